import { ERROR_CODES, type ErrorCode, isErrorCode } from './error-codes.js';

/** The brand that marks scanplane errors, shared by every installed copy of the package. */
const BRAND = Symbol.for('scanplane.error');

/**
 * Options for {@link ScanplaneError}.
 *
 * @example
 * ```ts
 * import { ScanplaneError, type ScanplaneErrorOptions } from '@scanplane/core';
 * const options: ScanplaneErrorOptions = { retryable: true, details: { host: 'db' } };
 * throw new ScanplaneError('UNAVAILABLE', 'database is down', options);
 * ```
 */
export interface ScanplaneErrorOptions {
  /** The underlying error, kept as the standard `cause`. */
  cause?: unknown;
  /** Overrides the code's default {@link ERROR_CODES | retryable} flag. */
  retryable?: boolean;
  /** Structured context: where the problem is (entry, file, line, task id, …). Must be JSON-serialisable. */
  details?: Record<string, unknown>;
  /** The component that raised it, used as a message prefix (`[scanplane] [postgres] …`). */
  component?: string;
}

/**
 * The JSON form of a {@link ScanplaneError}.
 *
 * @example
 * ```ts
 * import { ScanplaneError, type ScanplaneErrorJSON } from '@scanplane/core';
 * const json: ScanplaneErrorJSON = new ScanplaneError('TIMEOUT', 'slow').toJSON();
 * ```
 */
export interface ScanplaneErrorJSON {
  /** Always `ScanplaneError`. */
  name: string;
  /** The error code. */
  code: ErrorCode;
  /** The message, with its `[scanplane]` prefix. */
  message: string;
  /** Whether a retry may succeed. */
  retryable: boolean;
  /** Structured context. */
  details: Record<string, unknown>;
  /** The cause's message, when there is a cause. */
  cause?: string;
}

/**
 * The one error type scanplane throws. It has a `code` from a closed set ({@link ErrorCode}), a `retryable` flag,
 * an optional `cause` and structured `details`. Check for it with {@link isScanplaneError}, which also works when
 * two copies of `@scanplane/core` are installed.
 *
 * @example
 * ```ts
 * import { ScanplaneError, isScanplaneError } from '@scanplane/core';
 * try {
 *   throw new ScanplaneError('TARGET_INVALID', "'10.1' is not an IPv4 address", { details: { entry: '10.1' } });
 * } catch (error) {
 *   if (isScanplaneError(error) && !error.retryable) console.error(error.code, error.message);
 * }
 * ```
 */
export class ScanplaneError extends Error {
  /** One of the closed set of codes. */
  readonly code: ErrorCode;
  /** Whether retrying the operation that raised it may succeed. */
  readonly retryable: boolean;
  /** Structured context about where the problem is. */
  readonly details: Readonly<Record<string, unknown>>;
  /** The component that raised it, if any. */
  readonly component: string | undefined;

  constructor(code: ErrorCode, message: string, options: ScanplaneErrorOptions = {}) {
    const prefix = options.component ? `[scanplane] [${options.component}] ` : '[scanplane] ';
    super(prefix + message, options.cause === undefined ? undefined : { cause: options.cause });
    if (!isErrorCode(code)) {
      throw new TypeError(`[scanplane] unknown error code ${JSON.stringify(code)}`);
    }
    this.name = 'ScanplaneError';
    this.code = code;
    this.retryable = options.retryable ?? ERROR_CODES[code].retryable;
    this.details = Object.freeze({ ...(options.details ?? {}) });
    this.component = options.component;
    Object.defineProperty(this, BRAND, { value: true, enumerable: false });
  }

  /**
   * A plain, JSON-serialisable view: name, code, message, retryable, details, and the cause's message.
   *
   * @example
   * ```ts
   * import { ScanplaneError } from '@scanplane/core';
   * JSON.stringify(new ScanplaneError('TIMEOUT', 'lookup timed out'));
   * ```
   */
  toJSON(): ScanplaneErrorJSON {
    const cause = this.cause;
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      retryable: this.retryable,
      details: { ...this.details },
      ...(cause === undefined ? {} : { cause: cause instanceof Error ? cause.message : String(cause) }),
    };
  }
}

/**
 * Whether `value` is a {@link ScanplaneError}, from this copy of `@scanplane/core` or any other installed copy
 * (the check uses a `Symbol.for` brand, not `instanceof`).
 *
 * @example
 * ```ts
 * import { isScanplaneError } from '@scanplane/core';
 * function describe(error: unknown): string {
 *   return isScanplaneError(error) ? `${error.code}: ${error.message}` : String(error);
 * }
 * ```
 */
export function isScanplaneError(value: unknown): value is ScanplaneError {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as Record<symbol, unknown>)[BRAND] === true &&
    isErrorCode((value as { code?: unknown }).code)
  );
}

/**
 * Turns anything thrown into a {@link ScanplaneError}: scanplane errors pass through unchanged, anything else is
 * wrapped with `code` (default `INTERNAL`) and kept as the cause.
 *
 * @example
 * ```ts
 * import { toScanplaneError } from '@scanplane/core';
 * const error = toScanplaneError(new Error('socket hang up'), 'UNAVAILABLE');
 * error.code; // 'UNAVAILABLE'
 * ```
 */
export function toScanplaneError(
  value: unknown,
  code: ErrorCode = 'INTERNAL',
  options: Omit<ScanplaneErrorOptions, 'cause'> = {},
): ScanplaneError {
  if (isScanplaneError(value)) return value;
  const message = value instanceof Error ? value.message : String(value);
  return new ScanplaneError(code, message, { ...options, cause: value });
}
