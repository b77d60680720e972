import { isScanplaneError, ScanplaneError } from '@scanplane/core';

/** An AMQP error as amqplib raises it: a reply code from the broker, or a socket error code. */
interface AmqpErrorLike {
  message?: string;
  code?: number | string;
}

/**
 * Turns what amqplib throws into a `ScanplaneError` that says what was being done: a declaration that conflicts
 * with an existing queue (`PRECONDITION_FAILED - inequivalent arg`) is `INVALID_ARGUMENT` and refused access
 * `PERMISSION_DENIED` (neither retryable: an operator must act); a missing queue or exchange is `NOT_FOUND`; everything else — a refused or
 * dropped connection, a closed channel — is `UNAVAILABLE` and retryable.
 */
export function translateAmqpError(error: unknown, doing: string): ScanplaneError {
  if (isScanplaneError(error)) return error;
  const raw = (error ?? {}) as AmqpErrorLike;
  const text = raw.message ?? String(error);
  const options = { component: 'rabbitmq', cause: error, details: { doing, amqpCode: raw.code ?? null } };
  if (raw.code === 406 && /inequivalent arg/i.test(text)) {
    return new ScanplaneError(
      'INVALID_ARGUMENT',
      `${doing}: a queue or exchange already exists with other arguments (${text}). Its arguments cannot change ` +
        'once declared: use the options it was declared with, another prefix, or delete it (losing its messages)',
      options,
    );
  }
  if (raw.code === 403) {
    return new ScanplaneError(
      'PERMISSION_DENIED',
      `${doing}: access refused (${text}); check the user's permissions on the virtual host`,
      options,
    );
  }
  if (raw.code === 404) return new ScanplaneError('NOT_FOUND', `${doing}: ${text}`, options);
  return new ScanplaneError('UNAVAILABLE', `${doing}: ${text}`, { ...options, retryable: true });
}
