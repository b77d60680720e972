import { type ErrorCode, isScanplaneError } from '@scanplane/core';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

/**
 * The body of every error answer: the `ScanplaneError` code, what went wrong and where.
 *
 * @example
 * ```ts
 * import type { ErrorBody } from './error-reply.js';
 * const body: ErrorBody = {
 *   error: { code: 'NOT_FOUND', message: 'no scan ports', details: { where: 'params/id' } },
 * };
 * ```
 */
export interface ErrorBody {
  /** The error. */
  error: {
    /** One of the core's closed set of codes. */
    code: ErrorCode;
    /** What went wrong, naming the field or record. */
    message: string;
    /** Where (`details.where`) and other context. */
    details?: Record<string, unknown>;
  };
}

/**
 * The HTTP status of each error code: bad input 400, unknown records 404, conflicts with the current state 409,
 * unreachable backing systems 503, time-outs 504, anything else 500.
 *
 * @example
 * ```ts
 * import { statusOf } from './error-reply.js';
 * statusOf('INVALID_TRANSITION'); // 409
 * ```
 */
export function statusOf(code: ErrorCode): number {
  switch (code) {
    case 'INVALID_ARGUMENT':
    case 'TARGET_INVALID':
    case 'TARGET_TOO_LARGE':
    case 'PORTS_INVALID':
    case 'INVALID_COMMAND':
      return 400;
    case 'UNAUTHENTICATED':
      return 401;
    case 'PERMISSION_DENIED':
      return 403;
    case 'NOT_FOUND':
      return 404;
    case 'CONFLICT':
    case 'INVALID_TRANSITION':
      return 409;
    case 'UNAVAILABLE':
      return 503;
    case 'TIMEOUT':
      return 504;
    default:
      return 500;
  }
}

/** Sends an error answer with its code, message and details. */
export function sendError(
  reply: FastifyReply,
  status: number,
  code: ErrorCode,
  message: string,
  details?: Record<string, unknown>,
): FastifyReply {
  const body: ErrorBody = { error: { code, message, ...(details === undefined ? {} : { details }) } };
  return reply.code(status).type('application/json').send(body);
}

/**
 * Fastify's error handler for the API: a `ScanplaneError` keeps its code (status from {@link statusOf}); a schema
 * violation is `INVALID_ARGUMENT` naming the field (`details.where`, e.g. `body/scope/ipBlocks/0`); any other
 * client error (bad JSON, wrong content type, too large) is `INVALID_ARGUMENT` with its own status; the rest is a
 * 500 `INTERNAL`, logged, without internals in the answer.
 *
 * @example
 * ```ts
 * import { fastify } from 'fastify';
 * import { handleError } from './error-reply.js';
 * const app = fastify();
 * app.setErrorHandler(handleError);
 * ```
 */
export function handleError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (isScanplaneError(error)) {
    return sendError(reply, statusOf(error.code), error.code, error.message, { ...error.details });
  }
  if (error.validation !== undefined) {
    const first = error.validation[0];
    const where = `${error.validationContext ?? 'request'}${first?.instancePath ?? ''}`;
    const missing = (first?.params as { missingProperty?: string } | undefined)?.missingProperty;
    const extra = (first?.params as { additionalProperty?: string } | undefined)?.additionalProperty;
    const suffix = missing !== undefined ? ` (${missing})` : extra !== undefined ? ` ('${extra}')` : '';
    return sendError(
      reply,
      400,
      'INVALID_ARGUMENT',
      `${where} ${first?.message ?? 'is not valid'}${suffix}`,
      {
        where: missing === undefined ? where : `${where}/${missing}`,
      },
    );
  }
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    return sendError(reply, status, 'INVALID_ARGUMENT', error.message, { fastifyCode: error.code });
  }
  request.log.error({ err: error }, 'request failed');
  return sendError(reply, 500, 'INTERNAL', 'the request failed on the server; see its log');
}
