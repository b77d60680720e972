import { type Clock, systemClock } from '../clock/clock.js';
import { createMemoryQueue, type MemoryQueue } from '../memory/memory-queue.js';
import { createMemoryStore, type MemoryStore } from '../memory/memory-store.js';
import type { Ledger } from '../ports/ledger.js';
import type { TaskQueue } from '../ports/task-queue.js';
import type { TaskStore } from '../ports/task-store.js';
import type { WorkerRegistry } from '../ports/worker-registry.js';
import { createTcpConnectScanner } from '../scanner/tcp-connect-scanner.js';
import type { RetryPolicy } from '../tasks/transitions.js';
import type { TaskHandler } from '../worker/task-handler.js';
import { createWorker, type Worker } from '../worker/worker.js';
import { createOrchestrator, type Orchestrator } from './orchestrator.js';

/**
 * Options for {@link createEmbedded}.
 *
 * @example
 * ```ts
 * import { createEmbedded, type EmbeddedOptions } from '@scanplane/core';
 * const options: EmbeddedOptions = { workers: 2, concurrency: 32 };
 * ```
 */
export interface EmbeddedOptions {
  /** The task handler. Default the TCP connect scanner. */
  handler?: TaskHandler;
  /** In-process workers. Default 1. */
  workers?: number;
  /** Tasks per worker at once. Default 64. */
  concurrency?: number;
  /** The clock of the queue, the orchestrator and the workers. Default the system clock. */
  clock?: Clock;
  /** Backoff between attempts of a failed task. Default {@link DEFAULT_RETRY_POLICY}. */
  retryPolicy?: RetryPolicy;
  /** Reaper period. Default 1000 ms. */
  intervalMs?: number;
  /**
   * Where tasks, coverage and workers are kept: one object that is a task store, a ledger and a worker registry
   * (`@scanplane/postgres`'s `createPostgresStore()` is one). Default a new in-memory store.
   */
  store?: TaskStore & Ledger & WorkerRegistry;
  /**
   * The queue between the orchestrator and the workers (`@scanplane/rabbitmq`'s `createRabbitQueue()` is one).
   * Default a new in-memory queue. A queue given here is not closed by {@link Embedded.close}: its owner closes it.
   */
  queue?: TaskQueue;
}

/**
 * The embedded deployment: everything in this process, nothing to install.
 *
 * @example
 * ```ts
 * import { createEmbedded } from '@scanplane/core';
 * const embedded = createEmbedded();
 * await embedded.close();
 * ```
 */
export interface Embedded<
  Store extends TaskStore & Ledger & WorkerRegistry = MemoryStore,
  Queue extends TaskQueue = MemoryQueue,
> {
  /** The store (the in-memory one unless one was given); it is also the ledger and the worker registry. */
  store: Store;
  /** The queue between the orchestrator and the workers (the in-memory one unless one was given). */
  queue: Queue;
  /** The orchestrator, already started. */
  orchestrator: Orchestrator;
  /** The in-process workers (`embedded-1`, `embedded-2`, …), started on creation. */
  workers: Worker[];
  /** Stops workers (gracefully), loops, and the queue unless it was given. */
  close(): Promise<void>;
}

/**
 * Creates and starts the embedded deployment: an in-memory store (also ledger and worker registry), an in-memory
 * queue, the orchestrator with its reaper, and in-process workers running the handler (the TCP connect scanner by
 * default).
 *
 * @example
 * ```ts
 * import { createEmbedded } from '@scanplane/core';
 * const { orchestrator, close } = createEmbedded({ workers: 2 });
 * const { taskIds } = await orchestrator.submit('lab', ['127.0.0.1'], { ports: '22,80,443' });
 * await orchestrator.waitForIdle('lab');
 * await close();
 * ```
 */
export function createEmbedded(
  options?: EmbeddedOptions & { store?: undefined; queue?: undefined },
): Embedded<MemoryStore, MemoryQueue>;
export function createEmbedded<Store extends TaskStore & Ledger & WorkerRegistry>(
  options: EmbeddedOptions & { store: Store; queue?: undefined },
): Embedded<Store, MemoryQueue>;
export function createEmbedded<Queue extends TaskQueue>(
  options: EmbeddedOptions & { store?: undefined; queue: Queue },
): Embedded<MemoryStore, Queue>;
export function createEmbedded<Store extends TaskStore & Ledger & WorkerRegistry, Queue extends TaskQueue>(
  options: EmbeddedOptions & { store: Store; queue: Queue },
): Embedded<Store, Queue>;
export function createEmbedded(
  options: EmbeddedOptions = {},
): Embedded<TaskStore & Ledger & WorkerRegistry, TaskQueue> {
  const clock = options.clock ?? systemClock;
  const store = options.store ?? createMemoryStore({ clock });
  const ownQueue = options.queue === undefined;
  const queue = options.queue ?? createMemoryQueue({ clock });
  const orchestrator = createOrchestrator({
    store,
    ledger: store,
    registry: store,
    queue,
    clock,
    intervalMs: options.intervalMs ?? 1000,
    ...(options.retryPolicy === undefined ? {} : { retryPolicy: options.retryPolicy }),
  });
  const handler = options.handler ?? createTcpConnectScanner();
  const workers = Array.from({ length: Math.max(1, options.workers ?? 1) }, (_, i) =>
    createWorker({
      store,
      ledger: store,
      registry: store,
      queue,
      handler,
      clock,
      concurrency: options.concurrency ?? 64,
      id: `embedded-${i + 1}`,
      events: orchestrator.events,
      ...(options.retryPolicy === undefined ? {} : { retryPolicy: options.retryPolicy }),
    }),
  );
  orchestrator.start();
  const started = Promise.all(workers.map((worker) => worker.start()));
  return {
    store,
    queue,
    orchestrator,
    workers,
    async close() {
      await started;
      await Promise.all(workers.map((worker) => worker.stop({ graceMs: 5000 })));
      await orchestrator.close();
      if (ownQueue) await queue.close();
    },
  };
}
