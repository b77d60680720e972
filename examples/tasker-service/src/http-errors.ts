import { type ErrorCode, isScanplaneError, ScanplaneError, toScanplaneError } from '@scanplane/core';

/**
 * Why a request was refused at the HTTP level, where the {@link ErrorCode} alone does not say which HTTP status
 * applies: a missing or unknown token (401), a token of another project (403), an oversized body (413), a body
 * that is not JSON (415), or a route that does not exist (404).
 *
 * @example
 * ```ts
 * import type { HttpReason } from './http-errors.js';
 * const reason: HttpReason = 'forbidden';
 * ```
 */
export type HttpReason =
  | 'missing_token'
  | 'invalid_token'
  | 'forbidden'
  | 'body_too_large'
  | 'unsupported_media_type'
  | 'malformed_body'
  | 'schema_violation'
  | 'unknown_project'
  | 'unknown_route';

/** HTTP status by scanplane error code: the one table requests are answered from. */
const STATUS_BY_CODE: Readonly<Record<ErrorCode, number>> = {
  INVALID_ARGUMENT: 400,
  TARGET_INVALID: 422,
  TARGET_TOO_LARGE: 422,
  PORTS_INVALID: 422,
  RESOLUTION_FAILED: 422,
  NOT_FOUND: 404,
  CONFLICT: 409,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  INVALID_TRANSITION: 409,
  TIMEOUT: 504,
  ABORTED: 503,
  UNAVAILABLE: 503,
  INTERNAL: 500,
  START_TIMEOUT: 500,
  LEASE_EXPIRED: 500,
  TASK_TIMEOUT: 500,
  TASK_FAILED: 500,
  CANCELLED: 500,
  LAUNCH_FAILED: 500,
  INVALID_COMMAND: 500,
  RESULT_INVALID: 500,
};

/** HTTP status by {@link HttpReason}, ahead of the code table. */
const STATUS_BY_REASON: Readonly<Record<HttpReason, number>> = {
  missing_token: 401,
  invalid_token: 401,
  forbidden: 403,
  body_too_large: 413,
  unsupported_media_type: 415,
  malformed_body: 400,
  schema_violation: 400,
  unknown_project: 404,
  unknown_route: 404,
};

/**
 * The JSON body of every error answer: the scanplane error code, the HTTP-level reason when there is one, a
 * message saying what and where, and structured details.
 *
 * @example
 * ```ts
 * import type { ErrorBody } from './http-errors.js';
 * const body: ErrorBody = { statusCode: 422, code: 'PORTS_INVALID', message: "bad port '0'", details: {} };
 * ```
 */
export interface ErrorBody {
  /** The HTTP status, repeated. */
  statusCode: number;
  /** One of scanplane's closed set of error codes. */
  code: ErrorCode;
  /** Why, at the HTTP level (401/403/413/415 and the like). */
  reason?: HttpReason;
  /** What is wrong and where. */
  message: string;
  /** Whether trying again may succeed. */
  retryable: boolean;
  /** Structured context (the entries refused, the field, the limit). */
  details: Record<string, unknown>;
}

/**
 * A {@link ScanplaneError} for a refusal at the HTTP level: `details.reason` carries the {@link HttpReason}.
 *
 * @example
 * ```ts
 * import { httpError } from './http-errors.js';
 * throw httpError('INVALID_ARGUMENT', 'missing_token', 'this route needs Authorization: Bearer <token>');
 * ```
 */
export function httpError(
  code: ErrorCode,
  reason: HttpReason,
  message: string,
  details: Record<string, unknown> = {},
): ScanplaneError {
  return new ScanplaneError(code, message, { details: { ...details, reason } });
}

/** The HTTP status of a scanplane error: its reason's status, else its code's. */
export function statusOf(error: ScanplaneError): number {
  const reason = error.details['reason'];
  if (typeof reason === 'string' && Object.hasOwn(STATUS_BY_REASON, reason)) {
    return STATUS_BY_REASON[reason as HttpReason];
  }
  return STATUS_BY_CODE[error.code];
}

/** Fastify's own request errors (a body too large, not JSON, not matching the schema) as scanplane errors. */
function fromFastify(error: {
  code?: string;
  message: string;
  statusCode?: number;
  validation?: unknown;
}): ScanplaneError | undefined {
  if (error.validation !== undefined) {
    return httpError(
      'INVALID_ARGUMENT',
      'schema_violation',
      `the request does not match its schema: ${error.message}`,
      {
        errors: error.validation,
      },
    );
  }
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return httpError(
        'INVALID_ARGUMENT',
        'body_too_large',
        `the request body is too large: ${error.message}`,
      );
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return httpError(
        'INVALID_ARGUMENT',
        'unsupported_media_type',
        `send the request body as application/json: ${error.message}`,
      );
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return httpError(
        'INVALID_ARGUMENT',
        'malformed_body',
        `the request body is not valid JSON: ${error.message}`,
      );
    default:
      break;
  }
  if (error.code === undefined && error instanceof SyntaxError) {
    return httpError(
      'INVALID_ARGUMENT',
      'malformed_body',
      `the request body is not valid JSON: ${error.message}`,
    );
  }
  if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
    return httpError('INVALID_ARGUMENT', 'malformed_body', error.message, {
      fastifyCode: error.code ?? null,
    });
  }
  return undefined;
}

/**
 * Anything thrown while answering a request, as its HTTP status and {@link ErrorBody}: scanplane errors keep their
 * code, Fastify's request errors become `INVALID_ARGUMENT` with their reason, anything else is `INTERNAL` (500).
 *
 * @example
 * ```ts
 * import { ScanplaneError } from '@scanplane/core';
 * import { errorAnswer } from './http-errors.js';
 * errorAnswer(new ScanplaneError('PORTS_INVALID', 'bad port')).statusCode; // 422
 * ```
 */
export function errorAnswer(thrown: unknown): ErrorBody {
  const error = isScanplaneError(thrown)
    ? thrown
    : (fromFastify(thrown as Parameters<typeof fromFastify>[0]) ?? toScanplaneError(thrown, 'INTERNAL'));
  const statusCode = statusOf(error);
  const { reason, ...details } = error.details as Record<string, unknown>;
  return {
    statusCode,
    code: error.code,
    ...(typeof reason === 'string' ? { reason: reason as HttpReason } : {}),
    message: error.message,
    retryable: error.retryable,
    details,
  };
}
