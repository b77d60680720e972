/**
 * One of the closed set of scanplane error codes:
 * - `INVALID_ARGUMENT`: an option or argument is not valid;
 * - `TARGET_INVALID`: a target entry could not be parsed; `TARGET_TOO_LARGE`: it is over a size cap;
 * - `PORTS_INVALID`: a port specification could not be parsed or is out of range;
 * - `RESOLUTION_FAILED`: a hostname could not be resolved (retryable);
 * - `NOT_FOUND`: a named record or file does not exist; `CONFLICT`: the operation conflicts with current state;
 * - `INVALID_TRANSITION`: a task state change the transition table does not allow;
 * - `TIMEOUT`: an operation exceeded its time limit (retryable); `ABORTED`: cancelled through its AbortSignal;
 * - `UNAVAILABLE`: a backing system could not be reached (retryable); `INTERNAL`: a bug or unexpected condition;
 * - task outcomes: `START_TIMEOUT` (a requested task never started), `LEASE_EXPIRED` (its heartbeats stopped),
 *   `TASK_TIMEOUT` (it ran past its time limit), `TASK_FAILED` (the handler or container failed), `CANCELLED`,
 *   `LAUNCH_FAILED` (a launcher could not start it), `INVALID_COMMAND` (a worker got command options it cannot run),
 *   `RESULT_INVALID` (the store refused the handler's result: not JSON, or over its size limit).
 *
 * @example
 * ```ts
 * import type { ErrorCode } from '@scanplane/core';
 * const code: ErrorCode = 'TARGET_INVALID';
 * ```
 */
export type ErrorCode =
  | 'INVALID_ARGUMENT'
  | 'TARGET_INVALID'
  | 'TARGET_TOO_LARGE'
  | 'PORTS_INVALID'
  | 'RESOLUTION_FAILED'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'UNAUTHENTICATED'
  | 'PERMISSION_DENIED'
  | 'INVALID_TRANSITION'
  | 'TIMEOUT'
  | 'ABORTED'
  | 'UNAVAILABLE'
  | 'INTERNAL'
  | 'START_TIMEOUT'
  | 'LEASE_EXPIRED'
  | 'TASK_TIMEOUT'
  | 'TASK_FAILED'
  | 'CANCELLED'
  | 'LAUNCH_FAILED'
  | 'INVALID_COMMAND'
  | 'RESULT_INVALID';

/**
 * What {@link ERROR_CODES} says about one code.
 *
 * @example
 * ```ts
 * import { ERROR_CODES, type ErrorCodeInfo } from '@scanplane/core';
 * const info: ErrorCodeInfo = ERROR_CODES.TIMEOUT;
 * ```
 */
export interface ErrorCodeInfo {
  /** Whether an error of this code is worth retrying by default. */
  readonly retryable: boolean;
  /** A few words naming the problem. */
  readonly summary: string;
}

/**
 * The closed set of error codes used across scanplane, with whether an error of that code is worth retrying
 * by default. Every {@link ScanplaneError} carries one of these codes.
 *
 * @example
 * ```ts
 * import { ERROR_CODES } from '@scanplane/core';
 * ERROR_CODES.UNAVAILABLE.retryable; // true
 * ```
 */
export const ERROR_CODES: Readonly<Record<ErrorCode, ErrorCodeInfo>> = {
  /** A caller passed an option or argument that is not valid (wrong type, out of range, contradictory). */
  INVALID_ARGUMENT: { retryable: false, summary: 'invalid argument' },
  /** A target entry could not be parsed (not an address, range, network or hostname). */
  TARGET_INVALID: { retryable: false, summary: 'invalid target' },
  /** A target entry expands to more addresses or ranges than the configured cap allows. */
  TARGET_TOO_LARGE: { retryable: false, summary: 'target too large' },
  /** A port specification could not be parsed or is out of range. */
  PORTS_INVALID: { retryable: false, summary: 'invalid port specification' },
  /** A hostname could not be resolved; transient DNS failures are retryable. */
  RESOLUTION_FAILED: { retryable: true, summary: 'resolution failed' },
  /** A named record (task, worker, scan, file) does not exist. */
  NOT_FOUND: { retryable: false, summary: 'not found' },
  /** The operation conflicts with the current state (a duplicate key, a name already in use). */
  CONFLICT: { retryable: false, summary: 'conflict' },
  /**
   * The caller's credentials are missing, unknown or wrong: a database or broker login refused, a bearer token not
   * given or not valid.
   */
  UNAUTHENTICATED: { retryable: false, summary: 'unauthenticated' },
  /** The caller is known but not allowed to do this: a database privilege or broker permission missing, a token of another project. */
  PERMISSION_DENIED: { retryable: false, summary: 'permission denied' },
  /** A task state change that the transition table does not allow. */
  INVALID_TRANSITION: { retryable: false, summary: 'invalid transition' },
  /** An operation did not finish within its time limit. */
  TIMEOUT: { retryable: true, summary: 'timed out' },
  /** An operation was aborted through its AbortSignal (cancel, stop or shutdown). */
  ABORTED: { retryable: false, summary: 'aborted' },
  /** A backing system (database, broker, daemon, DNS server) could not be reached or refused service. */
  UNAVAILABLE: { retryable: true, summary: 'unavailable' },
  /** A bug or an unexpected condition inside scanplane; the message says what. */
  INTERNAL: { retryable: false, summary: 'internal error' },
  /** A task was requested from a launcher but never reported as started within its start timeout. */
  START_TIMEOUT: { retryable: true, summary: 'task did not start in time' },
  /** A started task's lease expired: its worker stopped sending heartbeats (it died or lost its connection). */
  LEASE_EXPIRED: { retryable: true, summary: 'task lease expired' },
  /** A task ran past its time limit. */
  TASK_TIMEOUT: { retryable: false, summary: 'task timed out' },
  /** The task's handler, process or container failed. */
  TASK_FAILED: { retryable: false, summary: 'task failed' },
  /** The task was cancelled (by cancel, stop or shutdown). */
  CANCELLED: { retryable: false, summary: 'cancelled' },
  /** A launcher could not start the task. */
  LAUNCH_FAILED: { retryable: true, summary: 'launch failed' },
  /** A worker received command options it cannot run (malformed, or out of range). */
  INVALID_COMMAND: { retryable: false, summary: 'invalid command options' },
  /** The store refused a task's result (not JSON, or over its size limit): the task fails instead of finishing. */
  RESULT_INVALID: { retryable: false, summary: 'result refused' },
};

/**
 * Whether `value` is one of scanplane's error codes.
 *
 * @example
 * ```ts
 * import { isErrorCode } from '@scanplane/core';
 * isErrorCode('TIMEOUT'); // true
 * isErrorCode('EOF'); // false
 * ```
 */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);
}
