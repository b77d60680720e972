import {
  type HealthReport,
  type Ledger,
  ScanplaneError,
  type ScheduleStore,
  type WorkerRegistry,
} from '@scanplane/core';
import pg from 'pg';
import { migrate } from './migrations.js';
import { createPostgresLedger } from './postgres-ledger.js';
import { createPostgresScheduleStore } from './postgres-schedule-store.js';
import { createPostgresTaskStore, type PostgresTaskStore } from './postgres-task-store.js';
import { createPostgresWorkerRegistry } from './postgres-worker-registry.js';
import type { Queryable } from './queryable.js';
import { DEFAULT_SCHEMA } from './schema-name.js';

/**
 * Options of {@link createPostgresStore}: a pool, or a connection string to make one.
 *
 * @example
 * ```ts
 * import type { PostgresStoreOptions } from '@scanplane/postgres';
 * const options: PostgresStoreOptions = { connectionString: 'postgres://postgres@127.0.0.1:5432/postgres' };
 * ```
 */
export interface PostgresStoreOptions {
  /** A `pg.Pool`, or anything with its query interface (the store does not end it). */
  pool?: Queryable;
  /** Makes a `pg.Pool` when no pool is given (the store ends it on {@link PostgresStore.close}). */
  connectionString?: string;
  /** Connections of a pool the store makes. Default 10. */
  maxConnections?: number;
  /** The schema. Default `scanplane`. */
  schema?: string;
  /** Applies the migrations first ({@link migrate}). Default true. */
  migrate?: boolean;
  /** Largest payload or result, in characters of JSON. Default 1 MiB. */
  maxPayloadBytes?: number;
  /** Writes the transactional outbox (see {@link createOutboxRelay}). Default false. */
  outbox?: boolean;
}

/**
 * Every port PostgreSQL keeps for scanplane, on one pool and schema: the task store, the ledger, the worker
 * registry and the scan and organization catalogue with the scheduler's snapshot.
 *
 * @example
 * ```ts
 * import type { PostgresStore } from '@scanplane/postgres';
 * declare const store: PostgresStore;
 * await store.count({ project: 'acme' });
 * ```
 */
export interface PostgresStore extends PostgresTaskStore, Ledger, WorkerRegistry, ScheduleStore {
  /** The pool the store queries. */
  readonly pool: Queryable;
  /** Ends the pool if the store made it. */
  close(): Promise<void>;
}

/**
 * Creates a {@link PostgresStore}, migrating its schema first unless told not to.
 *
 * @throws `ScanplaneError` `INVALID_ARGUMENT` without a pool or connection string, or for a bad schema name;
 *   `UNAVAILABLE` when the server cannot be reached.
 * @example
 * ```ts
 * import { createOrchestrator } from '@scanplane/core';
 * import { createPostgresStore } from '@scanplane/postgres';
 * const store = await createPostgresStore({ connectionString: process.env.DATABASE_URL });
 * const orchestrator = createOrchestrator({ store, ledger: store, registry: store });
 * ```
 */
export async function createPostgresStore(options: PostgresStoreOptions): Promise<PostgresStore> {
  const owned = options.pool === undefined;
  if (owned && options.connectionString === undefined) {
    throw new ScanplaneError('INVALID_ARGUMENT', 'createPostgresStore needs a pool or a connectionString');
  }
  const pool: Queryable =
    options.pool ??
    (() => {
      const made = new pg.Pool({
        connectionString: options.connectionString,
        max: options.maxConnections ?? 10,
      });
      made.on('error', () => undefined); // an idle connection lost; the next checkout makes a new one
      return made;
    })();
  const schema = options.schema ?? DEFAULT_SCHEMA;
  try {
    if (options.migrate !== false) await migrate(pool, { schema });
  } catch (error) {
    if (owned) await (pool as pg.Pool).end().catch(() => undefined);
    throw error;
  }
  const tasks = createPostgresTaskStore({
    pool,
    schema,
    ...(options.maxPayloadBytes === undefined ? {} : { maxPayloadBytes: options.maxPayloadBytes }),
    ...(options.outbox === undefined ? {} : { outbox: options.outbox }),
  });
  const ledger = createPostgresLedger({ pool, schema });
  const registry = createPostgresWorkerRegistry({ pool, schema });
  const schedule = createPostgresScheduleStore({ pool, schema });
  return {
    ...ledger,
    ...registry,
    ...schedule,
    ...tasks,
    name: tasks.name,
    pool,
    async health(): Promise<HealthReport> {
      return tasks.health();
    },
    async close() {
      if (owned) await (pool as pg.Pool).end();
    },
  };
}
