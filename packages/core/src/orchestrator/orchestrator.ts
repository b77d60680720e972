import { EventEmitter } from 'eventemitter3';
import { type Clock, systemClock } from '../clock/clock.js';
import { isScanplaneError, ScanplaneError } from '../errors/scanplane-error.js';
import { createMemoryLock } from '../memory/memory-lock.js';
import { type PlannedTask, type PlanTasksOptions, planTasks } from '../plan/plan-tasks.js';
import { PortSet } from '../plan/port-set.js';
import { taskKey } from '../plan/task-key.js';
import type { HealthReport } from '../ports/health.js';
import type { Ledger } from '../ports/ledger.js';
import type { Lock } from '../ports/lock.js';
import type { TaskLauncher } from '../ports/task-launcher.js';
import type { TaskQueue } from '../ports/task-queue.js';
import type { TaskStore } from '../ports/task-store.js';
import type { WorkerInfo, WorkerRegistry } from '../ports/worker-registry.js';
import { AddressSet } from '../targets/address-set.js';
import { type PrepareOptions, prepare, type TargetEntries } from '../targets/prepare.js';
import type { PreparedTargets, PrepareSummary } from '../targets/prepared-targets.js';
import type { RefusalReason } from '../targets/scope-policy.js';
import { messageFor } from '../tasks/queue-message.js';
import {
  ACTIVE_STATUSES,
  isTerminal,
  type NewTask,
  type ScanTask,
  type TaskStatus,
  type TaskTarget,
  type TaskTimeouts,
} from '../tasks/task.js';
import type { RetryPolicy } from '../tasks/transitions.js';
import { sleep, yieldToEventLoop } from '../util/abort.js';
import { CoverageIndex } from './coverage.js';
import type { ScanplaneEvents } from './events.js';
import { TaskLifecycle } from './lifecycle.js';
import { publishOrFail } from './publish-or-fail.js';

/**
 * How a submission treats work already done: `rescan` skips only what active work covers (`already_queued`);
 * `skip-known` also skips what was scanned in the project within `knownWindowMs` (`already_scanned`), recording
 * hostnames newly seen for those addresses.
 *
 * @example
 * ```ts
 * import type { DedupMode } from '@scanplane/core';
 * const mode: DedupMode = 'skip-known';
 * ```
 */
export type DedupMode = 'rescan' | 'skip-known';

/**
 * Options of {@link Orchestrator.submit}: the target engine's options, the ports, how to cut tasks, dedup, and task
 * defaults.
 *
 * @example
 * ```ts
 * import type { SubmitOptions } from '@scanplane/core';
 * const options: SubmitOptions = { ports: '22,80,443', mode: 'skip-known', knownWindowMs: 7 * 86_400_000, exclude: ['10.0.0.1'] };
 * ```
 */
export interface SubmitOptions extends PrepareOptions {
  /** The ports to scan. */
  ports: string | PortSet;
  /** Handler kind of the tasks. Default `tcp-connect`. */
  kind?: string;
  /** Default `rescan`. */
  mode?: DedupMode;
  /** For `skip-known`: how far back a scan counts as known. Default 30 days. */
  knownWindowMs?: number;
  /** When the ledger cannot be read: `closed` (default) refuses the submission, `open` submits without dedup. */
  ledgerFailure?: 'closed' | 'open';
  /** Block tasks (see {@link PlanTasksOptions}). */
  maxAddressesPerTask?: number;
  /** Block tasks: most ports in one task (see {@link PlanTasksOptions}). */
  maxPortsPerTask?: number;
  /** Seeded order of the tasks. */
  seed?: PlanTasksOptions['seed'];
  /** Priority of every task; higher runs first. Default 1. */
  priority?: number;
  /** Attempts per task before a retryable failure becomes final. Default 3. */
  maxAttempts?: number;
  /** Time limits of every task, in milliseconds; the rest from {@link DEFAULT_TIMEOUTS}. */
  timeouts?: Partial<TaskTimeouts>;
  /** Extra command options for every task (JSON). */
  payload?: Record<string, unknown>;
}

/**
 * The target engine's summary, extended with what dedup did: `refused.already_queued` and
 * `refused.already_scanned` count planned targets (addresses × ports) left out because active or recent work covers
 * them, `partial` counts targets planned for their uncovered part only, and `tasks` the tasks queued.
 *
 * @example
 * ```ts
 * import type { SubmitSummary } from '@scanplane/core';
 * function line(summary: SubmitSummary): string {
 *   return `${summary.tasks} queued, ${summary.refused.already_queued ?? 0} already queued`;
 * }
 * ```
 */
export interface SubmitSummary extends Omit<PrepareSummary, 'refused'> {
  /** Refusals by reason: entries for the target engine's reasons, planned targets for the dedup reasons. */
  refused: Partial<Record<RefusalReason | 'already_queued' | 'already_scanned', number>>;
  /** Targets planned for their uncovered part only. */
  partial: number;
  /** Tasks created and queued. */
  tasks: number;
}

/**
 * The result of a submission.
 *
 * @example
 * ```ts
 * import type { SubmitResult } from '@scanplane/core';
 * function ids(result: SubmitResult): string[] {
 *   return result.taskIds;
 * }
 * ```
 */
export interface SubmitResult {
  /** The project submitted to. */
  project: string;
  /** What was accepted, refused, deduplicated and queued. */
  summary: SubmitSummary;
  /** Ids of the tasks created, in plan order. */
  taskIds: string[];
  /** The prepared targets (hostnames, provenance, every entry's outcome). */
  prepared: PreparedTargets;
}

/**
 * A project's state: tasks by status and what is running now.
 *
 * @example
 * ```ts
 * import type { ProjectStatus } from '@scanplane/core';
 * const idle = (status: ProjectStatus) => status.active === 0;
 * ```
 */
export interface ProjectStatus {
  /** The project asked about. */
  project: string;
  /** Tasks by status, every status present (zeros included). */
  counts: Record<TaskStatus, number>;
  /** Tasks in an active status. */
  active: number;
  /** Running targets, with worker and start time. */
  running: Array<{
    /** Id of the started task. */
    taskId: string;
    /** What it scans, for target tasks. */
    target?: ScanTask['target'];
    /** The worker running it (pull mode). */
    workerId?: string;
    /** The launcher's handle (push mode). */
    handle?: ScanTask['handle'];
    /** When its current attempt started, in epoch milliseconds. */
    startedAt?: number;
  }>;
}

/**
 * What a stop did.
 *
 * @example
 * ```ts
 * import type { StopResult } from '@scanplane/core';
 * const summary = (result: StopResult) => `${result.cancelled} cancelled, ${result.aborted} aborted`;
 * ```
 */
export interface StopResult {
  /** The project stopped. */
  project: string;
  /** Active tasks cancelled. */
  cancelled: number;
  /** Messages removed from the queue. */
  purged: number;
  /** Running tasks told to abort (cancel broadcast or launcher stop). */
  aborted: number;
}

/**
 * The orchestrator's health: every component checked for real.
 *
 * @example
 * ```ts
 * import type { OrchestratorHealth } from '@scanplane/core';
 * const failing = (health: OrchestratorHealth) => health.components.filter((c) => !c.ok);
 * ```
 */
export interface OrchestratorHealth {
  /** Whether every component is ok. */
  ok: boolean;
  /** One report per component given; a ledger or registry that is the store itself is checked once, as `store`. */
  components: HealthReport[];
}

/**
 * Options for {@link createOrchestrator}. Give a queue for pull-mode workers ({@link createWorker}), a launcher for
 * push mode (tasks launched as they are queued, up to `maxConcurrent`), or both (the launcher then starts workers
 * that pull).
 *
 * @example
 * ```ts
 * import { createMemoryQueue, createMemoryStore, createOrchestrator } from '@scanplane/core';
 * const store = createMemoryStore();
 * const orchestrator = createOrchestrator({ store, ledger: store, registry: store, queue: createMemoryQueue() });
 * ```
 */
export interface OrchestratorOptions {
  /** The system of record for tasks. */
  store: TaskStore;
  /** Active and scanned coverage, for dedup; often the store itself. */
  ledger: Ledger;
  /** Where workers register; without it {@link Orchestrator.workers} returns `[]`. */
  registry?: WorkerRegistry;
  /** Pull mode: tasks are published here for workers, unless a launcher is given. `stop` purges and cancels here. */
  queue?: TaskQueue;
  /** Push mode: queued tasks are launched here, up to `maxConcurrent` at once. */
  launcher?: TaskLauncher;
  /** Per-project submission lock; default in memory (one process). Use the Postgres lock across processes. */
  lock?: Lock;
  /** Time for timestamps, deadlines and the background loops. Default the system clock. */
  clock?: Clock;
  /** Backoff between attempts of a failed task. Default {@link DEFAULT_RETRY_POLICY}. */
  retryPolicy?: RetryPolicy;
  /** Push mode: most tasks launched and not yet ended at once. Default 16. */
  maxConcurrent?: number;
  /** How often the reaper (and, in push mode, the dispatcher) runs. Default 5000 ms. */
  intervalMs?: number;
  /** Workers not seen for this long are left out of {@link Orchestrator.workers}. Default 90000 ms. */
  staleWorkerMs?: number;
  /** Random source for backoff jitter (tests pass a fixed one). */
  random?: () => number;
}

/**
 * Tasker's API as a library: submit targets, see status, stop a project, cancel or retry a task, list workers and
 * check health — over any store, ledger, queue and launcher. Every transition and submission is an event.
 *
 * @example
 * ```ts
 * import { createEmbedded } from '@scanplane/core';
 * const { orchestrator, close } = createEmbedded({ workers: 2 });
 * const result = await orchestrator.submit('lab', ['127.0.0.1'], { ports: '22,80' });
 * await orchestrator.waitForIdle('lab');
 * await close();
 * ```
 */
export interface Orchestrator {
  /** Typed events ({@link ScanplaneEvents}). */
  readonly events: EventEmitter<ScanplaneEvents>;
  /** Prepare → dedup → create → enqueue. */
  submit(project: string, entries: TargetEntries, options: SubmitOptions): Promise<SubmitResult>;
  /** Task counts by status and the started tasks of a project (all zeros for an unknown project). */
  status(project: string): Promise<ProjectStatus>;
  /** Cancels every active task of the project, purges its queued messages and aborts what runs. */
  stop(project: string, reason?: string): Promise<StopResult>;
  /** Cancels one task (aborting it if it runs). */
  cancel(taskId: string, reason?: string): Promise<ScanTask>;
  /** Runs a failed or cancelled task again as a new task (terminal tasks never change); returns it. */
  retry(taskId: string): Promise<ScanTask>;
  /** Workers seen within `staleWorkerMs`; `[]` without a registry. */
  workers(): Promise<WorkerInfo[]>;
  /** Checks the store, ledger, registry, queue and launcher for real; a check that throws is reported as not ok. */
  health(): Promise<OrchestratorHealth>;
  /** Fails or retries tasks past a time limit; returns how many were handled. Runs periodically after `start()`. */
  reap(): Promise<number>;
  /** Push mode: launches queued tasks while capacity allows; returns how many. Runs periodically after `start()`. */
  dispatch(): Promise<number>;
  /** Resolves when the project has no active task (or the signal aborts); polls every `pollMs` (50) of real time. */
  waitForIdle(project: string, options?: { signal?: AbortSignal; pollMs?: number }): Promise<void>;
  /** Starts the background loops (reaper, dispatcher, launcher events). */
  start(): void;
  /** Stops the background loops. */
  close(): Promise<void>;
}

const DAY = 86_400_000;

/**
 * Creates an {@link Orchestrator} over the given ports.
 *
 * @example
 * ```ts
 * import { createInProcessLauncher, createMemoryStore, createOrchestrator, createTcpConnectScanner } from '@scanplane/core';
 * const store = createMemoryStore();
 * const launcher = createInProcessLauncher({ handler: createTcpConnectScanner(), concurrency: 8 });
 * const orchestrator = createOrchestrator({ store, ledger: store, launcher, maxConcurrent: 8 });
 * orchestrator.start();
 * ```
 */
export function createOrchestrator(options: OrchestratorOptions): Orchestrator {
  const { store, ledger, queue, launcher } = options;
  const clock = options.clock ?? systemClock;
  const lock = options.lock ?? createMemoryLock();
  const events = new EventEmitter<ScanplaneEvents>();
  const lifecycle = new TaskLifecycle({
    store,
    ledger,
    clock,
    events,
    ...(options.retryPolicy === undefined ? {} : { retryPolicy: options.retryPolicy }),
    ...(options.random === undefined ? {} : { random: options.random }),
  });
  const maxConcurrent = options.maxConcurrent ?? 16;
  const intervalMs = options.intervalMs ?? 5000;
  const staleWorkerMs = options.staleWorkerMs ?? 90_000;
  let loops: AbortController | undefined;
  let unsubscribe: (() => void) | undefined;
  let dispatching: Promise<number> | undefined;

  const report = (error: unknown): void => {
    events.emit('error', error instanceof Error ? error : new Error(String(error)));
  };

  /**
   * Makes created tasks runnable: mark them queued, then publish them (pull mode) — the order an outbox relay has, so
   * a worker never sees a message for a task that is not yet queued. If publishing fails, the tasks are failed with
   * `UNAVAILABLE` (visible, and retryable with `retry`), never left queued without a message. In push mode the
   * dispatcher launches queued tasks.
   */
  const enqueue = async (tasks: readonly ScanTask[]): Promise<void> => {
    if (tasks.length === 0) return;
    const queuedTasks: ScanTask[] = [];
    for (const task of tasks) {
      queuedTasks.push(
        task.status === 'created'
          ? await lifecycle.transition(task.id, {
              to: 'queued',
              from: ['created'],
              at: clock.now(),
              reason: 'enqueued',
            })
          : task,
      );
    }
    if (queue !== undefined && launcher === undefined) {
      await publishOrFail(queue, queuedTasks, { lifecycle, clock, what: 'task(s)', onFailError: report });
    }
    if (launcher !== undefined) void runDispatch();
  };

  /** Republishes a task that went back to `queued` (a retry) so a worker sees it. */
  const requeued = async (task: ScanTask): Promise<void> => {
    if (queue !== undefined && launcher === undefined) await queue.publish([messageFor(task)]);
    if (launcher !== undefined) void runDispatch();
  };

  const abortRunning = async (tasks: readonly ScanTask[], reason: string): Promise<number> => {
    let aborted = 0;
    const pulled = tasks
      .filter((task) => task.status === 'started' && task.handle === undefined)
      .map((task) => task.id);
    if (pulled.length > 0 && queue !== undefined) {
      await queue.broadcastCancel({ taskIds: pulled, reason });
      aborted += pulled.length;
    }
    for (const task of tasks) {
      if (
        task.handle !== undefined &&
        launcher !== undefined &&
        (task.status === 'requested' || task.status === 'started')
      ) {
        await launcher.stop(task.handle, { reason });
        aborted++;
      }
    }
    return aborted;
  };

  const cancelTasks = async (tasks: readonly ScanTask[], reason: string): Promise<ScanTask[]> => {
    const cancelled: ScanTask[] = [];
    for (const task of tasks) {
      try {
        cancelled.push(
          await lifecycle.transition(task.id, {
            to: 'cancelled',
            at: clock.now(),
            reason,
            patch: { error: { code: 'CANCELLED', message: reason } },
          }),
        );
      } catch (error) {
        // Already terminal: nothing to cancel.
        if (!(isScanplaneError(error) && error.code === 'INVALID_TRANSITION')) throw error;
      }
    }
    return cancelled;
  };

  const runDispatch = (): Promise<number> => {
    dispatching ??= dispatchOnce().finally(() => {
      dispatching = undefined;
    });
    return dispatching;
  };

  const dispatchOnce = async (): Promise<number> => {
    if (launcher === undefined) return 0;
    let launched = 0;
    for (;;) {
      const busy = (await store.count({ status: ['requested', 'started'] })) as Record<TaskStatus, number>;
      const free = maxConcurrent - busy.requested - busy.started;
      if (free <= 0) return launched;
      const now = clock.now();
      const candidates = (await store.list({ status: ['queued'] }))
        .filter((task) => (task.notBefore ?? 0) <= now)
        .sort((a, b) => b.priority - a.priority || (a.queuedAt ?? 0) - (b.queuedAt ?? 0))
        .slice(0, Math.min(free, launcher.capabilities.batchSize));
      if (candidates.length === 0) return launched;
      const results = await launcher.launch(candidates);
      for (const result of results) {
        const task = candidates.find((candidate) => candidate.id === result.taskId) as ScanTask;
        if (result.ok) {
          const outcome = await lifecycle
            .transition(task.id, {
              to: 'requested',
              from: ['queued'],
              at: clock.now(),
              reason: `launched by ${launcher.name}`,
              expectedVersion: task.version,
              patch: { handle: result.handle },
            })
            .catch((error: unknown) => error);
          if (outcome instanceof Error) {
            // The task changed while launching (cancelled): stop what was started — unless the task now records
            // this very launch (a scheduler launched it meanwhile, and the launcher returned the same run).
            const current = await store.get(task.id);
            if (current?.handle?.id !== result.handle.id) {
              await launcher.stop(result.handle, { reason: 'task changed during launch' });
            }
          } else {
            launched++;
            // Events may have arrived before the handle was recorded: reconcile from the launcher's view.
            await reconcile(outcome as ScanTask);
          }
        } else {
          const failed = await lifecycle.launchFailed(
            task,
            result.error,
            `launch failed: ${result.error.message}`,
          );
          if (failed.outcome === 'applied' && failed.task.status === 'queued') await requeued(failed.task);
        }
      }
    }
  };

  /** Applies events that arrived for a handle before it was stored. */
  const pendingEvents = new Map<string, Parameters<Parameters<TaskLauncher['onEvent']>[0]>[0][]>();
  const reconcile = async (task: ScanTask): Promise<void> => {
    const waiting = pendingEvents.get(task.id);
    if (waiting === undefined) return;
    pendingEvents.delete(task.id);
    for (const event of waiting) await onLauncherEvent(event);
  };

  /**
   * Events kept for launches whose handle was not yet recorded: once the task records a handle (whoever launched
   * it, in this process or another), apply them; forget those of tasks that ended meanwhile.
   */
  const reconcilePending = async (): Promise<void> => {
    for (const taskId of [...pendingEvents.keys()]) {
      const task = await store.get(taskId);
      if (task === undefined || isTerminal(task.status)) pendingEvents.delete(taskId);
      else if (task.status !== 'queued' && task.handle !== undefined) await reconcile(task);
    }
  };

  const onLauncherEvent = async (
    event: Parameters<Parameters<TaskLauncher['onEvent']>[0]>[0],
  ): Promise<void> => {
    const task = await store.get(event.taskId);
    if (task === undefined) return;
    if (task.handle?.id !== event.handle.id) {
      if (task.status === 'queued') {
        // The launch call has not returned yet; keep the event until the handle is recorded.
        const list = pendingEvents.get(task.id) ?? [];
        list.push(event);
        pendingEvents.set(task.id, list);
        return;
      }
      events.emit(
        'task:event-ignored',
        task.id,
        event.event,
        'stale',
        `event for another launch (${event.handle.id})`,
      );
      return;
    }
    // Events kept while the launch was being recorded come first (a `started` before this `finished`): the handle
    // is recorded now, whoever recorded it (a scheduler sharing this launcher records its own launches).
    if (pendingEvents.has(task.id)) await reconcile(task);
    const outcome = await lifecycle.applyPlatformEvent(event.taskId, event.event);
    if (outcome.outcome === 'applied' && outcome.task.status === 'queued') await requeued(outcome.task);
    if (
      outcome.outcome === 'applied' &&
      (outcome.task.status === 'finished' || outcome.task.status === 'failed')
    ) {
      void runDispatch();
    }
  };

  const reapOnce = async (): Promise<number> => {
    const now = clock.now();
    const expired = await store.expired(now);
    let handled = 0;
    for (const task of expired) {
      const t = task.timeouts;
      let code: 'START_TIMEOUT' | 'LEASE_EXPIRED' | 'TASK_TIMEOUT';
      let message: string;
      if (task.status === 'created') {
        // Created but never enqueued (a crash between the two): enqueue it now, it is not a failure.
        await enqueue([task]);
        handled++;
        continue;
      }
      if (task.status === 'requested') {
        code = 'START_TIMEOUT';
        message = `requested at ${new Date(task.requestedAt ?? now).toISOString()} and not started within ${t.startMs} ms`;
      } else if ((task.startedAt ?? now) + t.runMs <= now) {
        code = 'TASK_TIMEOUT';
        message = `running for more than ${t.runMs} ms`;
      } else {
        code = 'LEASE_EXPIRED';
        message = `no heartbeat since ${new Date(task.lastHeartbeatAt ?? task.startedAt ?? now).toISOString()} (lease ${t.leaseMs} ms)`;
      }
      const outcome = await lifecycle.fail(task, {
        code,
        message: `${message}${task.workerId ? ` (worker ${task.workerId})` : ''}`,
      });
      if (outcome.outcome !== 'applied') continue;
      handled++;
      // Whatever still runs of the old attempt must stop.
      await abortRunning([task], `${code}: ${message}`).catch(report);
      if (outcome.task.status === 'queued') await requeued(outcome.task);
    }
    return handled;
  };

  const orchestrator: Orchestrator = {
    events,

    async submit(project, entries, submitOptions) {
      if (typeof project !== 'string' || project === '') {
        throw new ScanplaneError('INVALID_ARGUMENT', 'a submission needs a non-empty project');
      }
      const ports =
        typeof submitOptions.ports === 'string' ? PortSet.parse(submitOptions.ports) : submitOptions.ports;
      const prepared = await prepare(entries, submitOptions);
      const kind = submitOptions.kind ?? 'tcp-connect';
      const mode = submitOptions.mode ?? 'rescan';
      const refused: SubmitSummary['refused'] = { ...prepared.summary.refused };
      const taskIds: string[] = [];
      let partial = 0;
      const lease = await lock.acquire(`submit:${project}`);
      try {
        const cidrs = prepared.addresses.isEmpty ? [] : [...prepared.addresses.cidrs()];
        let active = CoverageIndex.empty();
        let known = CoverageIndex.empty();
        if (cidrs.length > 0) {
          try {
            active = CoverageIndex.build(await ledger.active(project, cidrs));
            if (mode === 'skip-known') {
              const since = clock.now() - (submitOptions.knownWindowMs ?? 30 * DAY);
              known = CoverageIndex.build(await ledger.scanned(project, cidrs, since));
            }
          } catch (error) {
            if ((submitOptions.ledgerFailure ?? 'closed') === 'closed') {
              throw new ScanplaneError(
                'UNAVAILABLE',
                `the ledger could not be read, so dedup is impossible: ${(error as Error).message}`,
                {
                  cause: error,
                },
              );
            }
            prepared.summary.warnings.push(
              'ledger unavailable: submitted without dedup (ledgerFailure: open)',
            );
            prepared.summary.warningCount++;
          }
        }
        const planOptions: PlanTasksOptions = { ports, scope: project };
        if (submitOptions.maxAddressesPerTask !== undefined)
          planOptions.maxAddressesPerTask = submitOptions.maxAddressesPerTask;
        if (submitOptions.maxPortsPerTask !== undefined)
          planOptions.maxPortsPerTask = submitOptions.maxPortsPerTask;
        if (submitOptions.seed !== undefined) planOptions.seed = submitOptions.seed;
        const portCache = new Map<string, PortSet>();
        // Tasks are created queued: they are published (or, in push mode, launched) right after, and a failed
        // publish fails them visibly. `created` is for tasks recorded before any decision to run them.
        const newTask = (planned: PlannedTask): NewTask => {
          const target: TaskTarget =
            planned.ip === undefined
              ? { addresses: planned.addresses, hostnames: planned.hostnames, ports: planned.ports }
              : {
                  ip: planned.ip,
                  addresses: planned.addresses,
                  hostnames: planned.hostnames,
                  ports: planned.ports,
                };
          const task: NewTask = { project, kind, idempotencyKey: planned.key, target, status: 'queued' };
          if (submitOptions.priority !== undefined) task.priority = submitOptions.priority;
          if (submitOptions.maxAttempts !== undefined) task.maxAttempts = submitOptions.maxAttempts;
          if (submitOptions.timeouts !== undefined) task.timeouts = submitOptions.timeouts;
          if (submitOptions.payload !== undefined) task.payload = submitOptions.payload;
          return task;
        };
        const flush = async (batch: NewTask[]): Promise<void> => {
          const { created, existing } = await store.create(batch, { at: clock.now() });
          if (existing.length > 0) refused.already_queued = (refused.already_queued ?? 0) + existing.length;
          for (const task of created) {
            taskIds.push(task.id);
            lifecycle.announceCreated(task);
          }
          await enqueue(created);
        };
        let batch: NewTask[] = [];
        for (const planned of planTasks(prepared, planOptions)) {
          if (planned.hostnames.length > 0 && planned.ip !== undefined) {
            await ledger.recordHostnames(project, planned.ip, planned.hostnames, clock.now());
          }
          if (active.isEmpty && known.isEmpty) {
            batch.push(newTask(planned));
          } else {
            let taskPorts = portCache.get(planned.ports);
            if (taskPorts === undefined) {
              taskPorts = PortSet.parse(planned.ports);
              portCache.set(planned.ports, taskPorts);
            }
            const addresses = AddressSet.parse(planned.addresses);
            const afterActive = active.uncovered(addresses, taskPorts);
            if (afterActive.length === 0) {
              refused.already_queued = (refused.already_queued ?? 0) + 1;
              continue;
            }
            const remaining = afterActive.flatMap((group) => known.uncovered(group.addresses, group.ports));
            if (remaining.length === 0) {
              refused.already_scanned = (refused.already_scanned ?? 0) + 1;
              continue;
            }
            const whole =
              remaining.length === 1 &&
              remaining[0]?.addresses.equals(addresses) &&
              remaining[0].ports.equals(taskPorts);
            if (whole) {
              batch.push(newTask(planned));
            } else {
              partial++;
              for (const group of remaining) {
                const groupAddresses = [...group.addresses.cidrs()];
                const single = group.addresses.size === 1n ? group.addresses.at(0) : undefined;
                batch.push(
                  newTask({
                    ...planned,
                    ...(single === undefined ? { ip: undefined } : { ip: single }),
                    addresses: groupAddresses,
                    addressCount: Number(group.addresses.size),
                    ports: group.ports.toString(),
                    portCount: group.ports.size,
                    key: taskKey({
                      scope: project,
                      addresses: groupAddresses,
                      ports: group.ports.toString(),
                    }),
                  }),
                );
              }
            }
          }
          if (batch.length >= 1000) {
            await flush(batch);
            batch = [];
            // A large submission is promise-chained work that would otherwise hold the event loop to its end:
            // let I/O run between batches (the workers start on the first batch meanwhile).
            await yieldToEventLoop();
          }
        }
        await flush(batch);
      } finally {
        await lease?.release();
      }
      const summary: SubmitSummary = { ...prepared.summary, refused, partial, tasks: taskIds.length };
      events.emit('submission', { project, taskIds, refused: refused as Record<string, number> });
      return { project, summary, taskIds, prepared };
    },

    async status(project) {
      const counts = await store.count({ project });
      const running = await store.list({ project, status: ['started'] });
      return {
        project,
        counts,
        active: ACTIVE_STATUSES.reduce((sum, status) => sum + counts[status], 0),
        running: running.map((task) => ({
          taskId: task.id,
          ...(task.target === undefined ? {} : { target: task.target }),
          ...(task.workerId === undefined ? {} : { workerId: task.workerId }),
          ...(task.handle === undefined ? {} : { handle: task.handle }),
          ...(task.startedAt === undefined ? {} : { startedAt: task.startedAt }),
        })),
      };
    },

    async stop(project, reason = `project ${project} stopped`) {
      // Purge first, so no worker receives what is about to be cancelled; workers also drop cancelled tasks.
      const purged = queue === undefined ? 0 : await queue.purge(project);
      const activeTasks = await store.list({ project, status: ACTIVE_STATUSES });
      const cancelled = await cancelTasks(activeTasks, reason);
      const wasRunning = activeTasks.filter((task) => cancelled.some((c) => c.id === task.id));
      const aborted = await abortRunning(wasRunning, reason);
      return { project, cancelled: cancelled.length, purged, aborted };
    },

    async cancel(taskId, reason = 'cancelled') {
      const task = await store.get(taskId);
      if (task === undefined)
        throw new ScanplaneError('NOT_FOUND', `no task ${taskId}`, { details: { taskId } });
      const [cancelled] = await cancelTasks([task], reason);
      if (cancelled === undefined) {
        throw new ScanplaneError(
          'INVALID_TRANSITION',
          `task ${taskId} is ${task.status} and cannot be cancelled`,
          {
            details: { taskId, status: task.status },
          },
        );
      }
      await abortRunning([task], reason);
      return cancelled;
    },

    async retry(taskId) {
      const task = await store.get(taskId);
      if (task === undefined)
        throw new ScanplaneError('NOT_FOUND', `no task ${taskId}`, { details: { taskId } });
      if (task.status !== 'failed' && task.status !== 'cancelled') {
        throw new ScanplaneError(
          'INVALID_TRANSITION',
          `only failed or cancelled tasks can be retried; ${taskId} is ${task.status}`,
          {
            details: { taskId, status: task.status },
          },
        );
      }
      const again: NewTask = {
        project: task.project,
        kind: task.kind,
        idempotencyKey: task.idempotencyKey,
        priority: task.priority,
        maxAttempts: task.maxAttempts,
        timeouts: task.timeouts,
        payload: { ...(task.payload ?? {}), retryOf: task.id },
      };
      if (task.target !== undefined) again.target = task.target;
      if (task.scanId !== undefined) again.scanId = task.scanId;
      if (task.organizationIds !== undefined) again.organizationIds = task.organizationIds;
      const { created, existing } = await store.create([again], { at: clock.now() });
      const fresh = created[0];
      if (fresh === undefined) {
        throw new ScanplaneError('CONFLICT', `the same work is already active as task ${existing[0]?.id}`, {
          details: { taskId, activeTaskId: existing[0]?.id ?? null },
        });
      }
      lifecycle.announceCreated(fresh);
      await enqueue([fresh]);
      return (await store.get(fresh.id)) as ScanTask;
    },

    async workers() {
      if (options.registry === undefined) return [];
      return options.registry.listWorkers({ at: clock.now(), staleAfterMs: staleWorkerMs });
    },

    async health() {
      const components: HealthReport[] = [];
      const check = async (
        component: string,
        probe: (() => Promise<HealthReport>) | undefined,
      ): Promise<void> => {
        if (probe === undefined) return;
        const started = Date.now();
        try {
          const report = await probe();
          components.push({ ...report, component, latencyMs: report.latencyMs ?? Date.now() - started });
        } catch (error) {
          components.push({
            ok: false,
            component,
            detail: (error as Error).message,
            latencyMs: Date.now() - started,
          });
        }
      };
      await check('store', () => store.health());
      if ((ledger as unknown) !== (store as unknown)) await check('ledger', () => ledger.health());
      if (options.registry !== undefined && (options.registry as unknown) !== (store as unknown)) {
        await check('registry', () => (options.registry as WorkerRegistry).health());
      }
      await check('queue', queue === undefined ? undefined : () => queue.health());
      await check('launcher', launcher === undefined ? undefined : () => launcher.health());
      return { ok: components.every((component) => component.ok), components };
    },

    reap: reapOnce,
    dispatch: runDispatch,

    async waitForIdle(project, waitOptions = {}) {
      const pollMs = waitOptions.pollMs ?? 50;
      for (;;) {
        const counts = await store.count({ project });
        if (ACTIVE_STATUSES.every((status) => counts[status] === 0)) return;
        // Real time, whatever the clock: waiting is not a time limit, and a manual clock would never move here.
        if (!(await sleep(pollMs, waitOptions.signal))) return;
      }
    },

    start() {
      if (loops !== undefined) return;
      loops = new AbortController();
      const signal = loops.signal;
      if (launcher !== undefined) {
        const offLauncher = launcher.onEvent((event) => {
          void onLauncherEvent(event).catch(report);
        });
        // Another component that launches on this launcher and shares these events (a scheduler) records its
        // handles too: apply what arrived early for them at once.
        const onRequested = (task: ScanTask): void => {
          if (pendingEvents.has(task.id)) void reconcile(task).catch(report);
        };
        events.on('task:requested', onRequested);
        unsubscribe = () => {
          offLauncher();
          events.off('task:requested', onRequested);
        };
      }
      void (async () => {
        while (!signal.aborted) {
          await reconcilePending().catch(report);
          await reapOnce().catch(report);
          if (launcher !== undefined) await runDispatch().catch(report);
          if (!(await clock.sleep(intervalMs, signal))) break;
        }
      })();
    },

    async close() {
      loops?.abort();
      loops = undefined;
      unsubscribe?.();
      unsubscribe = undefined;
      await dispatching;
    },
  };
  return orchestrator;
}
