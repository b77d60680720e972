import { ScanplaneError } from '@scanplane/core';

/** An environment to read settings from (`process.env`, or a plain object in tests). */
export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Typed reads of environment variables: every bad value is an `INVALID_ARGUMENT` error naming the variable
 * (`details.where`) and what it should be.
 *
 * @example
 * ```ts
 * import { envReader } from './env-reader.js';
 * const read = envReader({ PORT: '8080' });
 * read.integer('PORT', 0, { min: 0, max: 65_535 }); // 8080
 * ```
 */
export function envReader(env: Env) {
  const bad = (name: string, message: string): ScanplaneError =>
    new ScanplaneError('INVALID_ARGUMENT', `${name}: ${message}`, { details: { where: name } });
  const raw = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  return {
    /** A string, or the fallback when unset or empty. */
    string(name: string, fallback: string): string {
      return raw(name) ?? fallback;
    },
    /** A string that must be set. */
    required(name: string, what: string): string {
      const value = raw(name);
      if (value === undefined) throw bad(name, `is required: ${what}`);
      return value;
    },
    /** A string, or undefined when unset. */
    optional(name: string): string | undefined {
      return raw(name);
    },
    /** An integer within bounds. */
    integer(name: string, fallback: number, bounds: { min: number; max?: number }): number {
      const value = raw(name);
      if (value === undefined) return fallback;
      const parsed = Number(value);
      if (
        !/^-?\d+$/.test(value) ||
        parsed < bounds.min ||
        (bounds.max !== undefined && parsed > bounds.max)
      ) {
        throw bad(
          name,
          `must be an integer from ${bounds.min}${bounds.max === undefined ? '' : ` to ${bounds.max}`}, got '${value}'`,
        );
      }
      return parsed;
    },
    /** `true`/`false` (also `1`/`0`, `yes`/`no`). */
    boolean(name: string, fallback: boolean): boolean {
      const value = raw(name)?.toLowerCase();
      if (value === undefined) return fallback;
      if (['true', '1', 'yes'].includes(value)) return true;
      if (['false', '0', 'no'].includes(value)) return false;
      throw bad(name, `must be true or false, got '${value}'`);
    },
    /** One of a closed set of values. */
    oneOf<T extends string>(name: string, values: readonly T[], fallback: T): T {
      const value = raw(name);
      if (value === undefined) return fallback;
      if (!(values as readonly string[]).includes(value))
        throw bad(name, `must be one of ${values.join(', ')}, got '${value}'`);
      return value as T;
    },
    /** A comma-separated list (empty entries dropped); the fallback when unset. */
    list(name: string, fallback: readonly string[] = []): string[] {
      const value = env[name];
      if (value === undefined) return [...fallback];
      return value
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== '');
    },
  };
}
