import type { HealthReport } from './health.js';

/**
 * A worker as the registry knows it.
 *
 * @example
 * ```ts
 * import type { WorkerInfo } from '@scanplane/core';
 * const worker: WorkerInfo = {
 *   id: 'w1', hostname: 'scanner-1', addresses: ['192.0.2.50'], kinds: ['tcp-connect'], capacity: 8,
 *   currentTasks: [], startedAt: Date.now(), lastSeenAt: Date.now(),
 * };
 * ```
 */
export interface WorkerInfo {
  /** Unique worker id. */
  id: string;
  /** The host it runs on. */
  hostname: string;
  /** Its network addresses (what targets see scans come from). */
  addresses: string[];
  /** Task kinds it runs (empty: all). */
  kinds: string[];
  /** How many tasks it runs at once. */
  capacity: number;
  /** Ids of the tasks it is running. */
  currentTasks: string[];
  /** When it registered, in epoch milliseconds. */
  startedAt: number;
  /** When it last registered or heartbeated, in epoch milliseconds. */
  lastSeenAt: number;
}

/**
 * The worker registry port: who is working, what on, and when they were last heard from. Workers register,
 * heartbeat and deregister; stale workers (not seen within `staleAfterMs`) age out of listings.
 *
 * @example
 * ```ts
 * import { createMemoryStore } from '@scanplane/core';
 * const registry = createMemoryStore();
 * const live = await registry.listWorkers({ at: Date.now(), staleAfterMs: 90_000 });
 * ```
 */
export interface WorkerRegistry {
  /** A short name for logs and health reports. */
  readonly name: string;
  /** Adds or replaces a worker. */
  registerWorker(worker: WorkerInfo): Promise<void>;
  /** Marks a worker seen at `at` with its current tasks. Unknown workers are ignored. */
  workerHeartbeat(id: string, update: { at: number; currentTasks: readonly string[] }): Promise<void>;
  /** Removes a worker (on shutdown). */
  removeWorker(id: string): Promise<void>;
  /** Workers seen within `staleAfterMs` of `at`; older ones are left out (and may be deleted). */
  listWorkers(options: { at: number; staleAfterMs: number }): Promise<WorkerInfo[]>;
  /** Checks the registry for real. */
  health(): Promise<HealthReport>;
}
