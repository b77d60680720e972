import { createHash } from 'node:crypto';
import { EventEmitter } from 'eventemitter3';
import { type Clock, systemClock } from '../clock/clock.js';
import { isScanplaneError, ScanplaneError } from '../errors/scanplane-error.js';
import { createMemoryLock } from '../memory/memory-lock.js';
import type { ScanplaneEvents } from '../orchestrator/events.js';
import { TaskLifecycle } from '../orchestrator/lifecycle.js';
import { publishOrFail } from '../orchestrator/publish-or-fail.js';
import type { Lock } from '../ports/lock.js';
import type { ScheduleStore } from '../ports/schedule-store.js';
import type { TaskLauncher } from '../ports/task-launcher.js';
import type { TaskQueue } from '../ports/task-queue.js';
import type { TaskStore } from '../ports/task-store.js';
import type { NewTask, ScanTask, TaskError, TaskTimeouts } from '../tasks/task.js';
import type { RetryPolicy } from '../tasks/transitions.js';
import {
  explainPair,
  type PairExplanation,
  type PairSkip,
  type PlannedScanTask,
  planSchedule,
  type ScheduleCancel,
  type SchedulePlan,
  type ScheduleState,
} from './plan-schedule.js';

/**
 * Options for {@link createScheduler}. Give a `launcher` (push: the scheduler launches tasks within `limit`, like
 * Crossfeed on Fargate) or a `queue` (pull: it publishes them, and the workers' capacity is the limit).
 *
 * @example
 * ```ts
 * import { createInProcessLauncher, createMemoryStore, type SchedulerOptions } from '@scanplane/core';
 * const store = createMemoryStore();
 * const options: SchedulerOptions = {
 *   store,
 *   launcher: createInProcessLauncher({ handler: async () => ({ ok: true }) }),
 *   limit: 100,
 *   organizationsPerTask: 10,
 *   intervalMs: 5 * 60_000,
 * };
 * ```
 */
export interface SchedulerOptions {
  /** Scan definitions, organizations, pair histories, and where tasks are created. */
  store: TaskStore & ScheduleStore;
  /** Launches tasks (push mode). */
  launcher?: TaskLauncher;
  /** Receives tasks for workers (pull mode). */
  queue?: TaskQueue;
  /** Default the system clock. */
  clock?: Clock;
  /** One tick at a time across processes. Default an in-memory lock (one process). */
  lock?: Lock;
  /** Time between ticks after `start()`, in milliseconds. Default 60,000. */
  intervalMs?: number;
  /** Most tasks running at once (push mode only; Crossfeed's `FARGATE_MAX_CONCURRENCY`). Default no limit. */
  limit?: number;
  /** Organizations per task when a scan does not say. Default 1. */
  organizationsPerTask?: number;
  /** Scan types the workers run; others are skipped and their queued tasks cancelled. Default: all. */
  knownTypes?: readonly string[];
  /** The project of scheduled tasks (their dedup scope). Default `scheduled`. */
  project?: string;
  /** Attempts of each scheduled task (a retryable failure is retried inside one run). Default 3. */
  maxAttempts?: number;
  /** Time limits of scheduled tasks. Default {@link DEFAULT_TIMEOUTS}. */
  timeouts?: Partial<TaskTimeouts>;
  /** Retry backoff of failed launches. */
  retryPolicy?: RetryPolicy;
  /** Task events (share the orchestrator's to see scheduled tasks there too). Default a new emitter. */
  taskEvents?: EventEmitter<ScanplaneEvents>;
}

/**
 * What one tick did.
 *
 * @example
 * ```ts
 * import type { TickReport } from '@scanplane/core';
 * declare const report: TickReport;
 * `${report.launched.length} launched, ${report.queued.length} queued, ${report.failed.length} failed to launch`;
 * ```
 */
export interface TickReport {
  /** The decision. */
  plan: SchedulePlan;
  /** New tasks launched (push) or published (pull). */
  launched: string[];
  /** New tasks created queued, waiting for capacity. */
  queued: string[];
  /** Queued tasks launched. */
  relaunched: string[];
  /** Queued tasks cancelled. */
  cancelled: string[];
  /** Planned tasks the store already had, active (another tick, without the lock, created them): left alone. */
  existing: string[];
  /** Launches that failed, with why (each task is retried per policy or failed). */
  failed: Array<{
    /** The task. */
    taskId: string;
    /** The launcher's error. */
    error: TaskError;
  }>;
  /** How long the tick took, in milliseconds. */
  durationMs: number;
}

/**
 * The scheduler's typed events: one per decision.
 *
 * @example
 * ```ts
 * import type { SchedulerEvents } from '@scanplane/core';
 * type Launch = SchedulerEvents['launch'];
 * ```
 */
export interface SchedulerEvents {
  /** A new task was launched (push) or published (pull). */
  launch: [task: ScanTask, planned: PlannedScanTask];
  /** A new task was created queued: capacity is full. */
  queue: [task: ScanTask, planned: PlannedScanTask];
  /** A queued task was launched. */
  relaunch: [task: ScanTask];
  /** A queued task was cancelled. */
  cancel: [cancel: ScheduleCancel];
  /** A pair did not run (emitted only when someone listens: a tick can decide hundreds of thousands of pairs). */
  skip: [skip: PairSkip];
  /** A launch failed. */
  'launch-failed': [taskId: string, error: TaskError];
  /** A tick ended. */
  tick: [report: TickReport];
  /** A tick was skipped: another process holds the scheduler lock. */
  'tick-skipped': [at: number];
  /** Something failed in a background tick. */
  error: [error: Error];
}

/**
 * A running scheduler.
 *
 * @example
 * ```ts
 * import { createMemoryStore, createScheduler } from '@scanplane/core';
 * declare const launcher: import('@scanplane/core').TaskLauncher;
 * const scheduler = createScheduler({ store: createMemoryStore(), launcher });
 * scheduler.events.on('tick', (report) => console.log(report.launched.length));
 * scheduler.start();
 * ```
 */
export interface Scheduler {
  /** Typed events ({@link SchedulerEvents}). */
  readonly events: EventEmitter<SchedulerEvents>;
  /** The project of its tasks (`waitForIdle`, `status` and `count` take it). */
  readonly project: string;
  /** Runs one tick now; `undefined` if another process holds the lock. */
  tick(): Promise<TickReport | undefined>;
  /** Why a (scan, organization) pair would or would not run now (omit the organization for a global scan). */
  explain(scanId: string, organizationId?: string): Promise<PairExplanation>;
  /** Ticks now and then every `intervalMs`. */
  start(): void;
  /** Stops ticking (waits for a tick in progress). */
  close(): Promise<void>;
}

const LOCK_NAME = 'scanplane:scheduler';

/** The idempotency key of a planned task in the store: a digest of its project and deterministic key. */
function idempotencyKey(project: string, planned: PlannedScanTask): string {
  return createHash('sha256').update(`${project}\u0000${planned.key}`).digest('hex');
}

/**
 * Creates a scheduler: each tick reads the scan definitions, organizations and pair histories through the store,
 * decides with {@link planSchedule}, and applies the decision — cancels queued tasks that can never run, creates
 * the new tasks (already queued: the decision comes first, so no task waits in `created`), launches or publishes
 * them, launches queued tasks when capacity frees, and records `lastRun` and cleared manual runs. A lock makes one
 * tick at a time across processes; after downtime, each due scan runs once, never once per missed interval.
 *
 * Task outcomes arrive through the usual paths: run an orchestrator (`createOrchestrator`) on the same store and
 * launcher for launcher events and the reaper, or workers on the same queue.
 *
 * @throws {@link ScanplaneError} `INVALID_ARGUMENT` without a launcher or queue, or with a `limit` in pull mode.
 * @example
 * ```ts
 * import { createEmbedded, createScheduler } from '@scanplane/core';
 * const embedded = createEmbedded({ workers: 2 });
 * const scheduler = createScheduler({ store: embedded.store, queue: embedded.queue });
 * await embedded.store.putOrganization({ id: 'lab', name: 'Lab', passive: false, tags: [] });
 * await embedded.store.putScan({ id: 'ping', type: 'tcp-connect', frequencySeconds: 3600 });
 * await scheduler.tick();
 * ```
 */
export function createScheduler(options: SchedulerOptions): Scheduler {
  const { store, launcher, queue } = options;
  if ((launcher === undefined) === (queue === undefined)) {
    throw new ScanplaneError(
      'INVALID_ARGUMENT',
      'createScheduler needs a launcher (push) or a queue (pull), not both',
    );
  }
  if (queue !== undefined && options.limit !== undefined) {
    throw new ScanplaneError(
      'INVALID_ARGUMENT',
      "createScheduler: 'limit' applies to a launcher; with a queue, the workers' capacity is the limit",
    );
  }
  if (options.limit !== undefined && !(Number.isInteger(options.limit) && options.limit >= 0)) {
    throw new ScanplaneError('INVALID_ARGUMENT', `createScheduler: 'limit' must be a non-negative integer`);
  }
  const clock = options.clock ?? systemClock;
  const lock = options.lock ?? createMemoryLock();
  const intervalMs = options.intervalMs ?? 60_000;
  const project = options.project ?? 'scheduled';
  const events = new EventEmitter<SchedulerEvents>();
  const lifecycle = new TaskLifecycle({
    store,
    clock,
    events: options.taskEvents ?? new EventEmitter<ScanplaneEvents>(),
    ...(options.retryPolicy === undefined ? {} : { retryPolicy: options.retryPolicy }),
  });
  let loop: AbortController | undefined;
  let running: Promise<void> | undefined;

  const readState = async (): Promise<ScheduleState> => {
    const [scans, organizations, snapshot] = await Promise.all([
      store.listScans(),
      store.listOrganizations(),
      store.scheduleSnapshot(),
    ]);
    const state: ScheduleState = {
      scans,
      organizations,
      history: snapshot.history,
      queued: snapshot.queued,
      running: snapshot.running,
    };
    if (options.limit !== undefined) state.limit = options.limit;
    return state;
  };

  const newTask = (planned: PlannedScanTask): NewTask => {
    const task: NewTask = {
      project,
      kind: planned.type,
      scanId: planned.scanId,
      organizationIds: planned.organizationIds,
      payload: planned.payload,
      idempotencyKey: idempotencyKey(project, planned),
      priority: planned.priority,
      status: 'queued',
    };
    if (options.maxAttempts !== undefined) task.maxAttempts = options.maxAttempts;
    if (options.timeouts !== undefined) task.timeouts = options.timeouts;
    return task;
  };

  /** Launches queued tasks through the launcher (push): `queued → requested`, or a failed attempt. */
  const launchAll = async (tasks: ScanTask[], report: TickReport): Promise<ScanTask[]> => {
    const started: ScanTask[] = [];
    const pushLauncher = launcher as TaskLauncher;
    for (let i = 0; i < tasks.length; i += pushLauncher.capabilities.batchSize) {
      const batch = tasks.slice(i, i + pushLauncher.capabilities.batchSize);
      let results: Awaited<ReturnType<TaskLauncher['launch']>>;
      try {
        results = await pushLauncher.launch(batch);
      } catch (error) {
        const message = (error as Error).message;
        results = batch.map((task) => ({
          taskId: task.id,
          ok: false as const,
          error: { code: 'LAUNCH_FAILED' as const, message, retryable: true },
        }));
      }
      for (const result of results) {
        const task = batch.find((candidate) => candidate.id === result.taskId);
        if (task === undefined) continue;
        if (result.ok) {
          try {
            started.push(
              await lifecycle.transition(task.id, {
                to: 'requested',
                from: ['queued'],
                at: clock.now(),
                reason: `launched by the scheduler through ${pushLauncher.name}`,
                expectedVersion: task.version,
                patch: { handle: result.handle },
              }),
            );
          } catch (error) {
            if (
              !(isScanplaneError(error) && (error.code === 'CONFLICT' || error.code === 'INVALID_TRANSITION'))
            )
              throw error;
            // The task moved meanwhile (cancelled, or launched by an orchestrator's dispatcher with this same
            // handle): stop this launch unless it is the one the task now records.
            const current = await store.get(task.id);
            if (current?.handle?.id !== result.handle.id) {
              await pushLauncher.stop(result.handle, { reason: 'task changed during launch' });
            }
          }
        } else {
          report.failed.push({ taskId: task.id, error: result.error });
          events.emit('launch-failed', task.id, result.error);
          await lifecycle.launchFailed(task, result.error, `launch failed: ${result.error.message}`);
        }
      }
    }
    return started;
  };

  /** Publishes new queued tasks (pull); a failed publish fails them visibly rather than leaving them unqueued. */
  const publishAll = async (tasks: ScanTask[]): Promise<ScanTask[]> => {
    await publishOrFail(queue as TaskQueue, tasks, {
      lifecycle,
      clock,
      what: 'scheduled task(s)',
      onFailError: () => {},
    });
    return tasks;
  };

  const apply = async (plan: SchedulePlan, started: number): Promise<TickReport> => {
    const report: TickReport = {
      plan,
      launched: [],
      queued: [],
      relaunched: [],
      cancelled: [],
      existing: [],
      failed: [],
      durationMs: 0,
    };
    for (const cancel of plan.cancel) {
      try {
        await lifecycle.transition(cancel.taskId, {
          to: 'cancelled',
          from: ['queued'],
          at: clock.now(),
          reason: cancel.reason,
          patch: { error: { code: 'CANCELLED', message: cancel.reason } },
        });
        report.cancelled.push(cancel.taskId);
        events.emit('cancel', cancel);
      } catch (error) {
        if (!(isScanplaneError(error) && (error.code === 'INVALID_TRANSITION' || error.code === 'NOT_FOUND')))
          throw error;
      }
    }
    if (events.listenerCount('skip') > 0) for (const skip of plan.skipped) events.emit('skip', skip);

    // New work: created queued (the decision is already made), then launched or left waiting.
    const all = [...plan.launch, ...plan.queue];
    const { created } =
      all.length === 0 ? { created: [] } : await store.create(all.map(newTask), { at: plan.at });
    const plannedByKey = new Map(all.map((planned) => [idempotencyKey(project, planned), planned]));
    const launchKeys = new Set(plan.launch.map((planned) => idempotencyKey(project, planned)));
    const toLaunch: ScanTask[] = [];
    for (const task of created) {
      lifecycle.announceCreated(task);
      if (launchKeys.has(task.idempotencyKey)) toLaunch.push(task);
      else {
        report.queued.push(task.id);
        events.emit('queue', task, plannedByKey.get(task.idempotencyKey) as PlannedScanTask);
      }
    }
    const launched = launcher !== undefined ? await launchAll(toLaunch, report) : await publishAll(toLaunch);
    for (const task of launched) {
      report.launched.push(task.id);
      events.emit('launch', task, plannedByKey.get(task.idempotencyKey) as PlannedScanTask);
    }

    // Queued tasks whose turn came (push only: in pull mode they are in the broker already).
    if (launcher !== undefined && plan.relaunch.length > 0) {
      const waiting: ScanTask[] = [];
      for (const entry of plan.relaunch) {
        const task = await store.get(entry.taskId);
        if (task?.status === 'queued') waiting.push(task);
      }
      for (const task of await launchAll(waiting, report)) {
        report.relaunched.push(task.id);
        events.emit('relaunch', task);
      }
    }
    await store.updateScans(plan.scanUpdates);
    report.durationMs = clock.now() - started;
    events.emit('tick', report);
    return report;
  };

  const tickOnce = async (): Promise<TickReport | undefined> => {
    const lease = await lock.acquire(LOCK_NAME, { wait: false });
    if (lease === undefined) {
      events.emit('tick-skipped', clock.now());
      return undefined;
    }
    try {
      const started = clock.now();
      const state = await readState();
      const plan = planSchedule(state, clock.now(), {
        ...(options.organizationsPerTask === undefined
          ? {}
          : { organizationsPerTask: options.organizationsPerTask }),
        ...(options.knownTypes === undefined ? {} : { knownTypes: options.knownTypes }),
      });
      return await apply(plan, started);
    } finally {
      await lease.release();
    }
  };

  return {
    events,
    project,

    tick: tickOnce,

    async explain(scanId, organizationId) {
      return explainPair(
        await readState(),
        scanId,
        organizationId,
        clock.now(),
        options.knownTypes === undefined ? {} : { knownTypes: options.knownTypes },
      );
    },

    start() {
      if (loop !== undefined) return;
      const controller = new AbortController();
      loop = controller;
      running = (async () => {
        do {
          await tickOnce().catch((error: unknown) => {
            events.emit('error', error instanceof Error ? error : new Error(String(error)));
          });
        } while (await clock.sleep(intervalMs, controller.signal));
      })();
    },

    async close() {
      loop?.abort();
      loop = undefined;
      await running;
      running = undefined;
    },
  };
}
