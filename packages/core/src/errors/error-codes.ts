/**
 * One of the closed set of scanplane error codes:
 * - `INVALID_ARGUMENT`: an option or argument is not valid;
 * - `TARGET_INVALID`: a target entry could not be parsed; `TARGET_TOO_LARGE`: it is over a size cap;
 * - `PORTS_INVALID`: a port specification could not be parsed or is out of range;
 * - `RESOLUTION_FAILED`: a hostname could not be resolved (retryable);
 * - `NOT_FOUND`: a named record or file does not exist; `CONFLICT`: the operation conflicts with current state;
 * - `INVALID_TRANSITION`: a task state change the transition table does not allow;
 * - `TIMEOUT`: an operation exceeded its time limit (retryable); `ABORTED`: cancelled through its AbortSignal;
 * - `UNAVAILABLE`: a backing system could not be reached (retryable); `INTERNAL`: a bug or unexpected condition.
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
  | 'INVALID_TRANSITION'
  | 'TIMEOUT'
  | 'ABORTED'
  | 'UNAVAILABLE'
  | 'INTERNAL';

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
