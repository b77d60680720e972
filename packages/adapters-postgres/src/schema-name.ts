import { ScanplaneError } from '@scanplane/core';

/**
 * The default schema that holds scanplane's tables.
 *
 * @example
 * ```ts
 * import { DEFAULT_SCHEMA } from '@scanplane/postgres';
 * console.log(`tables live in ${DEFAULT_SCHEMA}`); // scanplane
 * ```
 */
export const DEFAULT_SCHEMA = 'scanplane';

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Checks a schema name and returns it double-quoted for SQL. Only lower-case identifiers are accepted (letters,
 * digits, underscores, at most 63 characters): the name is the one thing that cannot be a query parameter.
 *
 * @throws `ScanplaneError` `INVALID_ARGUMENT` for any other name.
 * @example
 * ```ts
 * import { quoteSchema } from '@scanplane/postgres';
 * quoteSchema('scanplane'); // '"scanplane"'
 * ```
 */
export function quoteSchema(schema: string): string {
  if (typeof schema !== 'string' || !IDENTIFIER.test(schema)) {
    throw new ScanplaneError(
      'INVALID_ARGUMENT',
      `schema ${JSON.stringify(schema)} is not a valid schema name: use lower-case letters, digits and underscores, starting with a letter or underscore, at most 63 characters`,
      { details: { schema: String(schema) } },
    );
  }
  return `"${schema}"`;
}
