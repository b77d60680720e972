/**
 * What the adapter needs of a query result: `pg`'s `QueryResult` satisfies it.
 *
 * @example
 * ```ts
 * import type { QueryResultLike } from '@scanplane/postgres';
 * const result: QueryResultLike<{ id: string }> = { rows: [{ id: 't1' }], rowCount: 1 };
 * ```
 */
export interface QueryResultLike<Row> {
  /** The rows returned. */
  rows: Row[];
  /** Rows the statement touched (null for some utility statements). */
  rowCount: number | null;
}

/**
 * A statement as `pg` takes it in config form: with a `name`, it is prepared once per connection and then only
 * executed (no parsing and planning per call).
 *
 * @example
 * ```ts
 * import type { QueryConfigLike } from '@scanplane/postgres';
 * const config: QueryConfigLike = { name: 'one', text: 'SELECT $1::int AS n', values: [1] };
 * ```
 */
export interface QueryConfigLike {
  /** Prepared-statement name, unique per statement text. */
  name?: string;
  /** The SQL. */
  text: string;
  /** Its parameters. */
  values?: unknown[];
}

const statementNames = new Map<string, string>();

/**
 * A prepared-statement config for `text`: the same text always gets the same name (and different texts different
 * names), so each connection prepares each statement once.
 *
 * @internal
 */
export function prepared(text: string, values: unknown[]): QueryConfigLike {
  let name = statementNames.get(text);
  if (name === undefined) {
    name = `scanplane_${statementNames.size + 1}`;
    statementNames.set(text, name);
  }
  return { name, text, values };
}

/**
 * A connection checked out of a pool: `pg`'s `PoolClient` satisfies it.
 *
 * @example
 * ```ts
 * import type { QueryClient } from '@scanplane/postgres';
 * declare const client: QueryClient;
 * await client.query('SELECT 1');
 * client.release();
 * ```
 */
export interface QueryClient {
  /** Runs one parameterised statement (a `{ name, text, values }` config prepares it once per connection). */
  // biome-ignore lint/suspicious/noExplicitAny: pg's own signature; rows are typed by each caller.
  query<Row = any>(text: string | QueryConfigLike, values?: unknown[]): Promise<QueryResultLike<Row>>;
  /** Returns the connection to its pool; with `true` (or an error), closes it instead. */
  release(destroy?: boolean | Error): void;
}

/**
 * Any pool with `pg`'s query interface: a `pg.Pool`, or a wrapper around one (instrumentation, a pool shared with
 * the application).
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * import type { Queryable } from '@scanplane/postgres';
 * const pool: Queryable = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * ```
 */
export interface Queryable {
  /** Runs one parameterised statement on any connection of the pool (a config with a `name` is prepared). */
  // biome-ignore lint/suspicious/noExplicitAny: pg's own signature; rows are typed by each caller.
  query<Row = any>(text: string | QueryConfigLike, values?: unknown[]): Promise<QueryResultLike<Row>>;
  /** Checks out one connection (for a transaction or a session-level lock). */
  connect(): Promise<QueryClient>;
}

const ignore = (): void => undefined;

/**
 * Checks a connection out of the pool with an `error` listener for as long as it is out: `pg` emits `error` on a
 * checked-out client whose connection dies between two queries (a server restart, `pg_terminate_backend`), and an
 * unheard `error` event would end the process. The next query on it fails instead, and the caller releases it with
 * `true` to drop it.
 *
 * @internal
 */
export async function checkout(pool: Queryable): Promise<QueryClient> {
  const client = await pool.connect();
  const emitter = client as unknown as {
    on?: (event: 'error', listener: () => void) => void;
    off?: (event: 'error', listener: () => void) => void;
  };
  emitter.on?.('error', ignore);
  const release = client.release.bind(client);
  client.release = (destroy) => {
    emitter.off?.('error', ignore);
    release(destroy);
  };
  return client;
}
