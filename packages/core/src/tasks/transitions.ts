import { ERROR_CODES, isErrorCode } from '../errors/error-codes.js';
import { ScanplaneError } from '../errors/scanplane-error.js';
import { isTerminal, type ScanTask, type TaskError, type TaskHandle, type TaskStatus } from './task.js';

/**
 * The one table of allowed moves. Anything else is refused with `INVALID_TRANSITION`; terminal states allow nothing.
 * `queued → started` is a worker claiming pulled work; `queued → requested` is a launcher starting pushed work;
 * `requested → finished | failed` covers a platform that reports the end before (or instead of) the start; the moves
 * back to `queued` are retries.
 *
 * @example
 * ```ts
 * import { TRANSITIONS } from '@scanplane/core';
 * TRANSITIONS.started; // ['finished', 'failed', 'queued', 'cancelled']
 * ```
 */
export const TRANSITIONS: Readonly<Record<TaskStatus, readonly TaskStatus[]>> = Object.freeze({
  created: Object.freeze(['queued', 'requested', 'failed', 'cancelled'] as TaskStatus[]),
  queued: Object.freeze(['requested', 'started', 'failed', 'cancelled'] as TaskStatus[]),
  requested: Object.freeze(['started', 'queued', 'finished', 'failed', 'cancelled'] as TaskStatus[]),
  started: Object.freeze(['finished', 'failed', 'queued', 'cancelled'] as TaskStatus[]),
  finished: Object.freeze([] as TaskStatus[]),
  failed: Object.freeze([] as TaskStatus[]),
  cancelled: Object.freeze([] as TaskStatus[]),
});

/**
 * Whether the table allows `from → to`.
 *
 * @example
 * ```ts
 * import { canTransition } from '@scanplane/core';
 * canTransition('finished', 'started'); // false
 * ```
 */
export function canTransition(from: TaskStatus, to: TaskStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/**
 * Fields a transition may set along with the status.
 *
 * @example
 * ```ts
 * import type { TaskPatch } from '@scanplane/core';
 * const patch: TaskPatch = { workerId: 'w1', leaseExpiresAt: Date.now() + 30_000 };
 * ```
 */
export interface TaskPatch {
  /** The worker that claimed the task. */
  workerId?: string;
  /** When the lease ends unless a heartbeat renews it, in epoch milliseconds. */
  leaseExpiresAt?: number;
  /** When the worker last renewed the lease, in epoch milliseconds. */
  lastHeartbeatAt?: number;
  /** The launcher's handle for the task. */
  handle?: TaskHandle;
  /** The handler's result (JSON). */
  result?: unknown;
  /** Why the attempt failed or the task was cancelled. */
  error?: TaskError;
  /** The task may not run before this (retry backoff), in epoch milliseconds. */
  notBefore?: number;
}

/**
 * A guarded status change: to what, why, when, from which statuses (default: any the table allows) and, for
 * optimistic concurrency, the version the caller read.
 *
 * @example
 * ```ts
 * import type { TransitionRequest } from '@scanplane/core';
 * const claim: TransitionRequest = {
 *   to: 'started',
 *   from: ['queued'],
 *   at: Date.now(),
 *   reason: 'claimed by w1',
 *   patch: { workerId: 'w1', leaseExpiresAt: Date.now() + 30_000 },
 * };
 * ```
 */
export interface TransitionRequest {
  /** The status to move to. */
  to: TaskStatus;
  /** Why, recorded in the history entry. */
  reason: string;
  /** Epoch milliseconds. */
  at: number;
  /** Allow the move only from these statuses (further restricting the table). */
  from?: readonly TaskStatus[];
  /** Allow the move only if the task still has this version. */
  expectedVersion?: number;
  /**
   * Allow the move only if this worker still holds this attempt of the task (its `workerId` and `attempt`): a worker
   * whose lease was reaped, and whose task was retried elsewhere, cannot record an outcome for the new attempt.
   */
  owner?: {
    /** The worker that claimed the task. */
    workerId: string;
    /** The attempt it claimed. */
    attempt: number;
  };
  /** Fields to set along with the status; a key present with value `undefined` removes the field. */
  patch?: TaskPatch;
}

/**
 * Applies a transition to a task record and returns the new record (the input is not changed), or throws (it is
 * pure): `INVALID_TRANSITION` when the table or `from` forbids it, `CONFLICT` when the version moved or `owner` no
 * longer holds the task.
 * Timestamps follow the target: `queuedAt` (first time only, so the queue stays first-in first-out), `requestedAt`,
 * `startedAt`, `finishedAt`; the attempt counts up when an attempt begins (entering `requested`, or `started` without
 * passing `requested`); leaving `started` clears the lease; every change adds one to `version` and a history entry.
 *
 * @throws {@link ScanplaneError} `INVALID_TRANSITION` or `CONFLICT`.
 * @example
 * ```ts
 * import { applyTransition } from '@scanplane/core';
 * declare const task: import('@scanplane/core').ScanTask;
 * const next = applyTransition(task, { to: 'cancelled', at: Date.now(), reason: 'stopped by operator' });
 * ```
 */
export function applyTransition(task: ScanTask, request: TransitionRequest): ScanTask {
  const { to, at } = request;
  if (request.expectedVersion !== undefined && request.expectedVersion !== task.version) {
    throw new ScanplaneError(
      'CONFLICT',
      `task ${task.id} changed (version ${task.version}, expected ${request.expectedVersion})`,
      { details: { taskId: task.id, version: task.version, expectedVersion: request.expectedVersion } },
    );
  }
  if (
    request.owner !== undefined &&
    (task.workerId !== request.owner.workerId || task.attempt !== request.owner.attempt)
  ) {
    throw new ScanplaneError(
      'CONFLICT',
      `task ${task.id} attempt ${request.owner.attempt} is no longer held by ${request.owner.workerId} (now attempt ${task.attempt}${task.workerId ? ` of ${task.workerId}` : ''}, ${task.status})`,
      { details: { taskId: task.id, workerId: request.owner.workerId, attempt: request.owner.attempt } },
    );
  }
  if (
    !canTransition(task.status, to) ||
    (request.from !== undefined && !request.from.includes(task.status))
  ) {
    throw invalidTransition(task, to, request);
  }
  // Fields are cleared by setting them to undefined, never deleted: `delete` would turn every finished task into a
  // slow, large dictionary-mode object.
  const next = copyTask(task);
  const patch = request.patch;
  if (task.status === 'started' && to !== 'started' && next.leaseExpiresAt !== undefined)
    next.leaseExpiresAt = undefined;
  if (to === 'queued' && task.status !== 'created') {
    // A retry: the worker and handle belonged to the last attempt.
    if (next.workerId !== undefined) next.workerId = undefined;
    if (next.handle !== undefined) next.handle = undefined;
  }
  next.status = to;
  next.version = task.version + 1;
  if (patch !== undefined) {
    for (const key in patch) {
      const value = (patch as Record<string, unknown>)[key];
      // A key present with the value undefined clears the field.
      if (value !== undefined || key in next) (next as unknown as Record<string, unknown>)[key] = value;
    }
  }
  if (to === 'queued' && next.queuedAt === undefined) next.queuedAt = at;
  if (to === 'requested') {
    next.requestedAt = at;
    next.attempt = task.attempt + 1;
  }
  if (to === 'started') {
    next.startedAt = at;
    if (task.status !== 'requested') next.attempt = task.attempt + 1;
  }
  if (isTerminal(to)) next.finishedAt = at;
  next.history = [...task.history, { from: task.status, to, at, reason: request.reason }];
  return next;
}

/**
 * @internal A mutable copy of a task record with every field present, in one fixed order (the memory store creates records
 * in the same order, so all share one hidden class). Spelled out rather than `{ ...task }`: spreading a frozen
 * object (the memory store freezes what it keeps) takes V8's slow path, about ten times the time and four times the
 * memory of this copy, on every transition.
 */
export function copyTask(task: ScanTask): ScanTask {
  const copy: { [K in keyof Required<ScanTask>]: ScanTask[K] } = {
    id: task.id,
    project: task.project,
    scanId: task.scanId,
    organizationIds: task.organizationIds,
    kind: task.kind,
    target: task.target,
    payload: task.payload,
    status: task.status,
    attempt: task.attempt,
    maxAttempts: task.maxAttempts,
    priority: task.priority,
    idempotencyKey: task.idempotencyKey,
    version: task.version,
    timeouts: task.timeouts,
    createdAt: task.createdAt,
    queuedAt: task.queuedAt,
    requestedAt: task.requestedAt,
    startedAt: task.startedAt,
    finishedAt: task.finishedAt,
    lastHeartbeatAt: task.lastHeartbeatAt,
    leaseExpiresAt: task.leaseExpiresAt,
    notBefore: task.notBefore,
    workerId: task.workerId,
    handle: task.handle,
    result: task.result,
    error: task.error,
    history: task.history,
  };
  return copy;
}

function invalidTransition(task: ScanTask, to: TaskStatus, request: TransitionRequest): ScanplaneError {
  const allowed = request.from === undefined ? '' : ` (only from ${request.from.join(', ')})`;
  return new ScanplaneError(
    'INVALID_TRANSITION',
    `task ${task.id} cannot move from ${task.status} to ${to}${allowed}${isTerminal(task.status) ? `: ${task.status} is final` : ''}`,
    { details: { taskId: task.id, from: task.status, to } },
  );
}

/**
 * Retry backoff: exponential from `baseMs`, capped at `maxMs`, with jitter (each delay is drawn between half and
 * all of its exponential value).
 *
 * @example
 * ```ts
 * import type { RetryPolicy } from '@scanplane/core';
 * const policy: RetryPolicy = { baseMs: 2_000, maxMs: 300_000 };
 * ```
 */
export interface RetryPolicy {
  /** First delay. Default 1000. */
  baseMs: number;
  /** Largest delay. Default 300000. */
  maxMs: number;
}

/**
 * The default {@link RetryPolicy}: 1 s, doubling, at most 5 minutes.
 *
 * @example
 * ```ts
 * import { DEFAULT_RETRY_POLICY } from '@scanplane/core';
 * DEFAULT_RETRY_POLICY.baseMs; // 1000
 * ```
 */
export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({ baseMs: 1000, maxMs: 300_000 });

/**
 * The delay before retry number `attempt` (1 for the first retry).
 *
 * @example
 * ```ts
 * import { retryDelay } from '@scanplane/core';
 * retryDelay(3, { baseMs: 1000, maxMs: 60_000 }, () => 1); // 4000
 * ```
 */
export function retryDelay(
  attempt: number,
  policy: RetryPolicy = DEFAULT_RETRY_POLICY,
  random = Math.random,
): number {
  const exponential = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exponential / 2 + (exponential / 2) * random());
}

/**
 * Whether an error is worth another attempt: its own `retryable` flag, else its code's default.
 *
 * @example
 * ```ts
 * import { isRetryableError } from '@scanplane/core';
 * isRetryableError({ code: 'LEASE_EXPIRED', message: 'no heartbeat' }); // true
 * ```
 */
export function isRetryableError(error: TaskError): boolean {
  if (error.retryable !== undefined) return error.retryable;
  return isErrorCode(error.code) ? ERROR_CODES[error.code].retryable : false;
}

/**
 * The transition for a failed attempt: back to `queued` with a backoff when the error is retryable and attempts
 * are left, otherwise `failed`. The error is recorded either way.
 *
 * @example
 * ```ts
 * import { failureTransition } from '@scanplane/core';
 * declare const task: import('@scanplane/core').ScanTask;
 * const request = failureTransition(task, { code: 'LEASE_EXPIRED', message: 'worker died' }, Date.now());
 * request.to; // 'queued' while attempts remain
 * ```
 */
export function failureTransition(
  task: ScanTask,
  error: TaskError,
  at: number,
  options: { policy?: RetryPolicy; random?: () => number; reason?: string } = {},
): TransitionRequest {
  const retry = isRetryableError(error) && task.attempt < task.maxAttempts;
  const reason = options.reason ?? `${error.code}: ${error.message}`;
  if (retry) {
    const delay = retryDelay(task.attempt, options.policy, options.random);
    return {
      to: 'queued',
      at,
      reason: `${reason} (attempt ${task.attempt} of ${task.maxAttempts}, retry in ${delay} ms)`,
      expectedVersion: task.version,
      patch: { error, notBefore: at + delay },
    };
  }
  return { to: 'failed', at, reason, expectedVersion: task.version, patch: { error } };
}
