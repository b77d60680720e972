import type { NewTask, ScanTask, TaskStatus } from '../tasks/task.js';
import type { TransitionRequest } from '../tasks/transitions.js';
import type { HealthReport } from './health.js';

/**
 * The result of {@link TaskStore.create}: the tasks created, and for each new task whose project already had an
 * active task with the same idempotency key, that task instead (nothing was created for it).
 *
 * @example
 * ```ts
 * import type { CreateTasksResult } from '@scanplane/core';
 * function report(result: CreateTasksResult): string {
 *   return `${result.created.length} created, ${result.existing.length} already active`;
 * }
 * ```
 */
export interface CreateTasksResult {
  /** Tasks created, in input order. */
  created: ScanTask[];
  /** Active tasks that already held a requested key, in input order of the requests they answered. */
  existing: ScanTask[];
}

/**
 * A filter over tasks. Every field narrows the result; results are ordered by creation time, then id.
 *
 * @example
 * ```ts
 * import type { TaskQuery } from '@scanplane/core';
 * const running: TaskQuery = { project: 'acme', status: ['started'], limit: 100 };
 * ```
 */
export interface TaskQuery {
  /** Only tasks of this project. */
  project?: string;
  /** Only tasks in one of these statuses. */
  status?: readonly TaskStatus[];
  /** Only tasks of this scan definition. */
  scanId?: string;
  /** Only tasks whose `organizationIds` include this one. */
  organizationId?: string;
  /** Only tasks of this kind. */
  kind?: string;
  /** Only these tasks. */
  ids?: readonly string[];
  /** Only tasks created after this task id in the ordering (for paging). */
  after?: string;
  /** At most this many. */
  limit?: number;
}

/**
 * A request for queued work, for workers that pull from the store itself: up to `limit` queued tasks whose backoff
 * has passed, highest priority first, then oldest, are moved to `started` with a lease for `workerId`.
 *
 * @example
 * ```ts
 * import type { ClaimRequest } from '@scanplane/core';
 * const claim: ClaimRequest = { workerId: 'w1', limit: 10, leaseMs: 30_000, at: Date.now(), kinds: ['tcp-connect'] };
 * ```
 */
export interface ClaimRequest {
  /** The worker that will run the claimed tasks (it holds their leases). */
  workerId: string;
  /** Most tasks to claim. */
  limit: number;
  /** Length of each lease, in milliseconds from `at`. */
  leaseMs: number;
  /** Epoch milliseconds. */
  at: number;
  /** Only tasks of these kinds (all kinds when omitted). */
  kinds?: readonly string[];
  /** Only tasks of this project. */
  project?: string;
}

/**
 * The task store port: the system of record for tasks. Every change is one guarded transition
 * ({@link applyTransition} semantics: the transition table, an optional expected version, a history entry) applied
 * atomically, so concurrent writers can never both win. Creation is atomic per (project, idempotency key) among
 * active tasks. Implementations: {@link createMemoryStore} (embedded), `@scanplane/postgres`.
 *
 * @example
 * ```ts
 * import { createMemoryStore } from '@scanplane/core';
 * const store = createMemoryStore();
 * const { created } = await store.create([{ project: 'acme', kind: 'tcp-connect', idempotencyKey: 'k1' }]);
 * await store.transition(created[0]!.id, { to: 'queued', at: Date.now(), reason: 'published' });
 * ```
 */
export interface TaskStore {
  /** A short name for logs and health reports. */
  readonly name: string;
  /**
   * Creates tasks; a task whose project already has an active task with the same idempotency key is not created and
   * that task is returned in `existing`. `at` stamps `createdAt` (and `queuedAt` for tasks created `queued`).
   */
  create(tasks: readonly NewTask[], options: { at: number }): Promise<CreateTasksResult>;
  /** One task, or `undefined`. */
  get(id: string): Promise<ScanTask | undefined>;
  /**
   * Applies a guarded transition and returns the new record.
   * @throws `NOT_FOUND`, `INVALID_TRANSITION` (the table, or `from`), `CONFLICT` (`expectedVersion`).
   */
  transition(id: string, request: TransitionRequest): Promise<ScanTask>;
  /** Claims queued work for a worker (see `ClaimRequest`). */
  claim(request: ClaimRequest): Promise<ScanTask[]>;
  /**
   * Renews a started task's lease for the worker that holds it.
   * @throws `CONFLICT` when the task is no longer started by that worker (it was cancelled, reaped or retried).
   */
  heartbeat(id: string, request: { workerId: string; at: number; leaseMs: number }): Promise<ScanTask>;
  /** Tasks matching a query. */
  list(query: TaskQuery): Promise<ScanTask[]>;
  /** Number of tasks per status matching a query (every status present, zeros included). */
  count(query: TaskQuery): Promise<Record<TaskStatus, number>>;
  /**
   * Tasks past a time limit at `at`, for the reaper: `created` or `requested` past their start timeout, `started`
   * past their lease or their run timeout.
   */
  expired(at: number, limit?: number): Promise<ScanTask[]>;
  /** Checks the store for real. */
  health(): Promise<HealthReport>;
}
