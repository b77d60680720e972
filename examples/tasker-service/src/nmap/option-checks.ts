import { ScanplaneError } from '@scanplane/core';

/**
 * Where a value being checked came from, for error messages (`nmap option 'maxRate' (task payload.nmap) …`).
 * @internal
 */
export type CheckSource = string;

/** Characters that never belong in one argument: whitespace and control characters. */
const UNSAFE = /[\s\p{Cc}\p{Cf}]/u;

/**
 * An INVALID_ARGUMENT error about one option, naming it, where it came from and the bound it breaks.
 * @internal
 */
export function optionError(
  option: string,
  source: CheckSource,
  message: string,
  details: Record<string, unknown> = {},
): ScanplaneError {
  return new ScanplaneError('INVALID_ARGUMENT', `nmap option '${option}' (${source}) ${message}`, {
    details: { option, source, ...details },
  });
}

/**
 * Shows a value in an error message: JSON, cut to 60 characters.
 * @internal
 */
export function show(value: unknown): string {
  const text = typeof value === 'bigint' ? `${value}n` : (JSON.stringify(value) ?? String(value));
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/**
 * Checks an integer option against its bounds (inclusive); strings, fractions and anything else are refused.
 * @internal
 */
export function checkInteger(
  option: string,
  source: CheckSource,
  value: unknown,
  min: number,
  max: number,
): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw optionError(option, source, `must be an integer from ${min} to ${max}, got ${show(value)}`, {
      min,
      max,
      value: show(value),
    });
  }
  return value;
}

/**
 * Checks a boolean option.
 * @internal
 */
export function checkBoolean(option: string, source: CheckSource, value: unknown): boolean {
  if (typeof value !== 'boolean')
    throw optionError(option, source, `must be true or false, got ${show(value)}`);
  return value;
}

/**
 * Checks an option that takes one of a closed set of words.
 * @internal
 */
export function checkOneOf<T extends string>(
  option: string,
  source: CheckSource,
  value: unknown,
  allowed: readonly T[],
): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value))
    throw optionError(option, source, `must be one of ${allowed.join(', ')}, got ${show(value)}`, {
      allowed,
    });
  return value as T;
}

/**
 * Checks that a text value can only ever be one argument and never an option: a non-empty string without
 * whitespace or control characters that does not start with `-`.
 * @internal
 */
export function checkToken(option: string, source: CheckSource, value: unknown, maxLength = 4096): string {
  if (typeof value !== 'string' || value === '')
    throw optionError(option, source, `must be a non-empty string, got ${show(value)}`);
  if (value.length > maxLength)
    throw optionError(option, source, `must be at most ${maxLength} characters, got ${value.length}`);
  if (UNSAFE.test(value))
    throw optionError(
      option,
      source,
      `must not contain whitespace or control characters, got ${show(value)}`,
    );
  if (value.startsWith('-'))
    throw optionError(
      option,
      source,
      `must not start with '-' (it would read as an nmap option), got ${show(value)}`,
    );
  return value;
}

/**
 * Checks that a value is a plain object (not an array, not null) and has no keys outside `known`.
 * @internal
 */
export function checkRecord(
  option: string,
  source: CheckSource,
  value: unknown,
  known: readonly string[],
): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw optionError(option, source, `must be an object, got ${show(value)}`);
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      throw optionError(key, source, `is not a known ${option} option (known: ${known.join(', ')})`, {
        known,
      });
    }
  }
  return value as Record<string, unknown>;
}
