import { describe, expect, it } from 'vitest';
import { ERROR_CODES, isErrorCode } from './error-codes.js';
import { isScanplaneError, ScanplaneError, toScanplaneError } from './scanplane-error.js';

describe('ScanplaneError', () => {
  it('carries code, retryable default, details, cause and a prefixed message', () => {
    const cause = new Error('socket hang up');
    const error = new ScanplaneError('UNAVAILABLE', 'database is down', {
      cause,
      details: { host: 'db' },
      component: 'postgres',
    });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('ScanplaneError');
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.retryable).toBe(true);
    expect(error.cause).toBe(cause);
    expect(error.details).toEqual({ host: 'db' });
    expect(error.message).toBe('[scanplane] [postgres] database is down');
  });

  it('lets the caller override retryable', () => {
    expect(new ScanplaneError('TIMEOUT', 'x').retryable).toBe(true);
    expect(new ScanplaneError('TIMEOUT', 'x', { retryable: false }).retryable).toBe(false);
    expect(new ScanplaneError('TARGET_INVALID', 'x').retryable).toBe(false);
  });

  it('refuses a code outside the closed set', () => {
    expect(() => new ScanplaneError('NOPE' as never, 'x')).toThrow(TypeError);
    expect(isErrorCode('NOPE')).toBe(false);
    for (const code of Object.keys(ERROR_CODES)) expect(isErrorCode(code)).toBe(true);
  });

  it('serialises to JSON with the cause message', () => {
    const json = JSON.parse(
      JSON.stringify(new ScanplaneError('NOT_FOUND', 'no task 7', { cause: new Error('gone') })),
    );
    expect(json).toEqual({
      name: 'ScanplaneError',
      code: 'NOT_FOUND',
      message: '[scanplane] no task 7',
      retryable: false,
      details: {},
      cause: 'gone',
    });
  });

  it('is recognised by its brand, not by instanceof', () => {
    const foreign = Object.assign(new Error('from another copy'), { code: 'TIMEOUT' });
    Object.defineProperty(foreign, Symbol.for('scanplane.error'), { value: true });
    expect(isScanplaneError(foreign)).toBe(true);
    expect(isScanplaneError(new Error('plain'))).toBe(false);
    expect(isScanplaneError({ code: 'TIMEOUT' })).toBe(false);
    expect(isScanplaneError(null)).toBe(false);
  });

  it('wraps foreign errors and passes scanplane errors through', () => {
    const original = new ScanplaneError('CONFLICT', 'taken');
    expect(toScanplaneError(original)).toBe(original);
    const wrapped = toScanplaneError(new Error('ECONNRESET'), 'UNAVAILABLE');
    expect(wrapped.code).toBe('UNAVAILABLE');
    expect(wrapped.message).toBe('[scanplane] ECONNRESET');
    expect(toScanplaneError('weird').code).toBe('INTERNAL');
  });
});
