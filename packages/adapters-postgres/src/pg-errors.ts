import { isScanplaneError, ScanplaneError } from '@scanplane/core';

/** Connection-level failures, by node error code or SQLSTATE class. */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * A `ScanplaneError` for what `pg` threw while `doing` something: lost or refused connections, a server shutting
 * down and serialization failures are `UNAVAILABLE` (retryable); a refused login `UNAUTHENTICATED`; a missing
 * privilege `PERMISSION_DENIED`; unique violations `CONFLICT`; bad data
 * `INVALID_ARGUMENT`; a cancelled statement `TIMEOUT`; anything else `INTERNAL`. The SQLSTATE is kept in `details`.
 *
 * @example
 * ```ts
 * import { translateError } from '@scanplane/postgres';
 * try { await pool.query('SELECT 1'); } catch (error) { throw translateError(error, 'checking the store'); }
 * ```
 */
export function translateError(error: unknown, doing: string): ScanplaneError {
  if (isScanplaneError(error)) return error as ScanplaneError;
  const code =
    typeof (error as { code?: unknown })?.code === 'string' ? (error as { code: string }).code : '';
  const message = error instanceof Error ? error.message : String(error);
  const details = { sqlstate: code || null };
  const text = `${doing}: ${message}`;
  if (
    UNAVAILABLE_CODES.has(code) ||
    code.startsWith('08') || // connection exception
    code === '57P01' || // admin shutdown
    code === '57P02' || // crash shutdown
    code === '57P03' || // cannot connect now
    code === '53300' || // too many connections
    code === '40001' || // serialization failure
    code === '40P01' || // deadlock
    /Connection terminated|connection timeout|Client has encountered a connection error/i.test(message)
  ) {
    return new ScanplaneError('UNAVAILABLE', text, { cause: error, details });
  }
  if (code === '28P01' || code === '28000')
    return new ScanplaneError('UNAUTHENTICATED', text, { cause: error, details });
  if (code === '42501') return new ScanplaneError('PERMISSION_DENIED', text, { cause: error, details });
  if (code === '23505') return new ScanplaneError('CONFLICT', text, { cause: error, details });
  if (code.startsWith('22') || code === '23502' || code === '23514')
    return new ScanplaneError('INVALID_ARGUMENT', text, { cause: error, details });
  if (code === '57014') return new ScanplaneError('TIMEOUT', text, { cause: error, details });
  return new ScanplaneError('INTERNAL', text, { cause: error, details });
}
