import { randomUUID } from 'node:crypto';
import { networkInterfaces, hostname as osHostname } from 'node:os';
import { EventEmitter } from 'eventemitter3';
import { type Clock, systemClock } from '../clock/clock.js';
import { isScanplaneError } from '../errors/scanplane-error.js';
import type { ScanplaneEvents } from '../orchestrator/events.js';
import { TaskLifecycle } from '../orchestrator/lifecycle.js';
import type { Ledger } from '../ports/ledger.js';
import type { QueueConsumer, QueueDelivery, TaskQueue } from '../ports/task-queue.js';
import type { TaskStore } from '../ports/task-store.js';
import type { WorkerRegistry } from '../ports/worker-registry.js';
import { messageFor } from '../tasks/queue-message.js';
import type { ScanTask, TaskError } from '../tasks/task.js';
import type { RetryPolicy } from '../tasks/transitions.js';
import { toTaskError } from './handler-error.js';
import { RunContext } from './run-context.js';
import type { TaskHandler } from './task-handler.js';

/**
 * Options for {@link createWorker}.
 *
 * @example
 * ```ts
 * import { createMemoryQueue, createMemoryStore, createTcpConnectScanner, type WorkerOptions } from '@scanplane/core';
 * const store = createMemoryStore();
 * const options: WorkerOptions = { store, ledger: store, registry: store, queue: createMemoryQueue(), handler: createTcpConnectScanner(), concurrency: 4 };
 * ```
 */
export interface WorkerOptions {
  /** Where tasks are claimed, heartbeated and their outcome recorded. */
  store: TaskStore;
  /** Where task ids and cancel notices arrive. */
  queue: TaskQueue;
  /** Runs each claimed task. */
  handler: TaskHandler;
  /** Records scanned coverage when a task finishes (dedup's "scanned when"). */
  ledger?: Ledger;
  /** Where the worker registers and heartbeats. */
  registry?: WorkerRegistry;
  /** Tasks run at once (the queue prefetch). Default 1, as long scans want. */
  concurrency?: number;
  /** Only these task kinds. */
  kinds?: string[];
  /** Lease per heartbeat; default each task's own `timeouts.leaseMs`. */
  leaseMs?: number;
  /** Heartbeat period. Default a third of the lease. */
  heartbeatMs?: number;
  /** Default `<hostname>-<random>`. */
  id?: string;
  /** Reported to the registry. Default the OS hostname. */
  hostname?: string;
  /** Reported to the registry. Default the addresses of this machine's non-internal interfaces. */
  addresses?: string[];
  /** Time for leases, heartbeats and the run time limit. Default the system clock. */
  clock?: Clock;
  /** Backoff between attempts of a failed task. Default {@link DEFAULT_RETRY_POLICY}. */
  retryPolicy?: RetryPolicy;
  /** Share the orchestrator's emitter to see worker transitions there. */
  events?: EventEmitter<ScanplaneEvents>;
}

/**
 * A running worker.
 *
 * @example
 * ```ts
 * import type { Worker } from '@scanplane/core';
 * async function drain(worker: Worker) {
 *   await worker.stop({ graceMs: 10_000 });
 * }
 * ```
 */
export interface Worker {
  /** The worker's id: the one given, else `<hostname>-<random>`. */
  readonly id: string;
  /** Ids of the tasks running now. */
  readonly running: readonly string[];
  /** Registers and starts consuming. */
  start(): Promise<void>;
  /**
   * Graceful shutdown: stop taking tasks, let running ones finish for up to `graceMs` (default 30 s), then abort
   * them (they go back to the queue as a retryable `ABORTED` failure) and deregister.
   */
  stop(options?: { graceMs?: number }): Promise<void>;
}

interface Running {
  task: ScanTask;
  /** What the handler gets: the (lazily made) signal and the log. */
  context: RunContext;
  /** Why the signal fired, once it has. */
  abortedWith?: TaskError | 'cancelled';
  /** When the next heartbeat is due, and when the run time limit passes (epoch ms). */
  nextBeat: number;
  deadline: number;
}

const noLog = (): void => {};

const CLAIM_FROM: readonly ScanTask['status'][] = Object.freeze(['queued']);

const CANCELLED = Object.freeze({ code: 'CANCELLED', message: 'the task was cancelled' });

/**
 * Creates a pull-mode worker: it takes task ids from the queue, claims each task in the store (`queued → started`
 * with a lease — a task already claimed, cancelled or finished is dropped, so a worker that joins after a stop can
 * never run a stopped task), renews the lease with heartbeats, hands the handler an `AbortSignal` that fires on
 * cancel (the queue's broadcast, or a heartbeat that finds the task cancelled), on the run time limit and on
 * shutdown, records the result or the error (retrying by policy), and only then acknowledges the message. It
 * registers in the worker registry and heartbeats there too.
 *
 * @example
 * ```ts
 * import { createMemoryQueue, createMemoryStore, createWorker } from '@scanplane/core';
 * const store = createMemoryStore();
 * const worker = createWorker({ store, ledger: store, queue: createMemoryQueue(), handler: async () => ({ done: true }) });
 * await worker.start();
 * await worker.stop();
 * ```
 */
export function createWorker(options: WorkerOptions): Worker {
  const clock = options.clock ?? systemClock;
  const concurrency = Math.max(1, options.concurrency ?? 1);
  const host = options.hostname ?? osHostname();
  const id = options.id ?? `${host}-${randomUUID().slice(0, 8)}`;
  const events = options.events ?? new EventEmitter<ScanplaneEvents>();
  const lifecycle = new TaskLifecycle({
    store: options.store,
    ...(options.ledger === undefined ? {} : { ledger: options.ledger }),
    clock,
    events,
    ...(options.retryPolicy === undefined ? {} : { retryPolicy: options.retryPolicy }),
  });
  const running = new Map<string, Running>();
  let consumer: QueueConsumer | undefined;
  let offCancel: (() => void) | undefined;
  let background: AbortController | undefined;
  let stopping = false;

  const leaseFor = (task: ScanTask): number => options.leaseMs ?? task.timeouts.leaseMs;
  const heartbeatEvery = (task: ScanTask): number =>
    options.heartbeatMs ?? Math.max(10, Math.floor(leaseFor(task) / 3));

  const abort = (run: Running, why: TaskError | 'cancelled'): void => {
    if (run.abortedWith !== undefined) return;
    run.abortedWith = why;
    // A plain reason: abort() without one builds a DOMException with a stack trace, per task.
    run.context.abort(why === 'cancelled' ? CANCELLED : why);
  };

  const claimReason = `claimed by worker ${id}`;

  // One loop per worker renews every running task's lease and enforces run limits, sleeping until the next thing
  // is due (no timers per task). A newly started task that is due sooner wakes it.
  let wake: AbortController | undefined;
  let sleepingUntil = Number.POSITIVE_INFINITY;
  const beat = async (run: Running): Promise<void> => {
    try {
      await options.store.heartbeat(run.task.id, {
        workerId: id,
        at: clock.now(),
        leaseMs: leaseFor(run.task),
      });
    } catch (error) {
      // The task is no longer ours (cancelled, or reaped and retried): stop working on it.
      if (isScanplaneError(error) && error.code === 'CONFLICT') abort(run, 'cancelled');
      else events.emit('error', error as Error);
    }
  };
  const schedule = async (signal: AbortSignal): Promise<void> => {
    while (!signal.aborted) {
      const now = clock.now();
      let next = now + 60_000;
      for (const run of running.values()) {
        if (run.abortedWith !== undefined) continue;
        if (now >= run.deadline) {
          abort(run, { code: 'TASK_TIMEOUT', message: `ran longer than ${run.task.timeouts.runMs} ms` });
          continue;
        }
        if (now >= run.nextBeat) {
          run.nextBeat = now + heartbeatEvery(run.task);
          void beat(run);
        }
        next = Math.min(next, run.nextBeat, run.deadline);
      }
      wake = new AbortController();
      sleepingUntil = next;
      const forward = (): void => wake?.abort();
      signal.addEventListener('abort', forward, { once: true });
      await clock.sleep(next - now, wake.signal);
      signal.removeEventListener('abort', forward);
    }
  };
  const track = (run: Running): void => {
    running.set(run.task.id, run);
    if (Math.min(run.nextBeat, run.deadline) < sleepingUntil) wake?.abort();
  };

  const republish = async (task: ScanTask): Promise<void> => {
    await options.queue.publish([messageFor(task)]);
  };

  // Deliveries being handled, and who waits for none to be (a graceful stop).
  let busy = 0;
  const drainWaiters: Array<() => void> = [];

  /** Handles one delivery, start to end; it never rejects (a failure is reported and the delivery returned). */
  const execute = async (delivery: QueueDelivery): Promise<void> => {
    if (stopping) {
      await delivery.nack({ reason: 'worker stopping' });
      return;
    }
    busy++;
    const taskId = delivery.message.taskId;
    try {
      const task = await options.store.get(taskId);
      if (task === undefined || task.status !== 'queued') {
        // Unknown, cancelled, finished, or claimed by someone else: never run it.
        await delivery.ack();
        return;
      }
      const now = clock.now();
      if ((task.notBefore ?? 0) > now) {
        await delivery.nack({ delayMs: (task.notBefore as number) - now, reason: 'retry backoff' });
        return;
      }
      let claimed: ScanTask;
      try {
        claimed = await lifecycle.transition(taskId, {
          to: 'started',
          from: CLAIM_FROM,
          expectedVersion: task.version,
          at: now,
          reason: claimReason,
          patch: { workerId: id, leaseExpiresAt: now + leaseFor(task), lastHeartbeatAt: now },
        });
      } catch (error) {
        if (isScanplaneError(error) && (error.code === 'CONFLICT' || error.code === 'INVALID_TRANSITION')) {
          await delivery.ack();
          return;
        }
        throw error;
      }
      const run: Running = {
        task: claimed,
        context: new RunContext(noLog),
        nextBeat: now + heartbeatEvery(claimed),
        deadline: now + claimed.timeouts.runMs,
      };
      track(run);
      let result: unknown;
      let failure: TaskError | undefined;
      try {
        result = await options.handler(claimed, run.context);
      } catch (error) {
        failure = toTaskError(error);
      }
      running.delete(taskId);
      const why = run.abortedWith;
      // Outcomes are recorded only while this worker still holds this attempt (its lease may have been reaped).
      const owner = { workerId: id, attempt: claimed.attempt };
      if (why === 'cancelled') {
        // The task was cancelled (its record says so already): nothing to record.
      } else if (why !== undefined || failure !== undefined) {
        const error = why ?? (failure as TaskError);
        const outcome = await lifecycle.fail((await options.store.get(taskId)) ?? claimed, error, { owner });
        if (outcome.outcome === 'applied' && outcome.task.status === 'queued') await republish(outcome.task);
      } else {
        await lifecycle.finish(claimed, result, { owner });
      }
      // The outcome is recorded: only now may the message go.
      await delivery.ack();
    } catch (error) {
      events.emit('error', error instanceof Error ? error : new Error(String(error)));
      await delivery.nack({ reason: (error as Error)?.message }).catch(() => {});
    } finally {
      running.delete(taskId);
      busy--;
      if (busy === 0) for (const resolve of drainWaiters.splice(0)) resolve();
    }
  };

  const registration = () => ({
    id,
    hostname: host,
    addresses: options.addresses ?? localAddresses(),
    kinds: options.kinds ?? [],
    capacity: concurrency,
    currentTasks: [...running.keys()],
    startedAt: clock.now(),
    lastSeenAt: clock.now(),
  });

  return {
    id,
    get running() {
      return [...running.keys()];
    },

    async start() {
      if (consumer !== undefined) return;
      stopping = false;
      background = new AbortController();
      void schedule(background.signal);
      const registry = options.registry;
      if (registry !== undefined) {
        await registry.registerWorker(registration());
        const signal = background.signal;
        void (async () => {
          while (await clock.sleep(10_000, signal)) {
            await registry
              .workerHeartbeat(id, { at: clock.now(), currentTasks: [...running.keys()] })
              .catch(() => {});
          }
        })();
      }
      offCancel = options.queue.onCancel((notice) => {
        for (const taskId of notice.taskIds) {
          const run = running.get(taskId);
          if (run !== undefined) abort(run, 'cancelled');
        }
      });
      consumer = await options.queue.consume(execute, {
        prefetch: concurrency,
        ...(options.kinds === undefined ? {} : { kinds: options.kinds }),
      });
    },

    async stop(stopOptions = {}) {
      stopping = true;
      const graceMs = stopOptions.graceMs ?? 30_000;
      const drained =
        busy === 0 ? Promise.resolve() : new Promise<void>((resolve) => drainWaiters.push(resolve));
      const timer = new AbortController();
      const graceOver = clock.sleep(graceMs, timer.signal);
      const finished = await Promise.race([drained.then(() => true), graceOver.then(() => false)]);
      timer.abort();
      if (!finished) {
        for (const run of running.values()) {
          abort(run, { code: 'ABORTED', message: `worker ${id} shut down`, retryable: true });
        }
        await drained;
      }
      await consumer?.close();
      consumer = undefined;
      offCancel?.();
      background?.abort();
      await options.registry?.removeWorker(id);
    },
  };
}

function localAddresses(): string[] {
  const out: string[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const address of list ?? []) if (!address.internal) out.push(address.address);
  }
  return out;
}
