import { ScanplaneError, type WorkerInfo, type WorkerRegistry } from '@scanplane/core';
import { probeHealth, runQuery } from './query-helpers.js';
import type { Queryable } from './queryable.js';
import { DEFAULT_SCHEMA, quoteSchema } from './schema-name.js';

/**
 * Options of {@link createPostgresWorkerRegistry}.
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * import type { PostgresWorkerRegistryOptions } from '@scanplane/postgres';
 * const options: PostgresWorkerRegistryOptions = { pool: new pg.Pool(), schema: 'scanplane' };
 * ```
 */
export interface PostgresWorkerRegistryOptions {
  /** A `pg.Pool`, or anything with its query interface. */
  pool: Queryable;
  /** The schema holding the `workers` table ({@link migrate} creates it). Default `scanplane`. */
  schema?: string;
}

interface WorkerRow {
  id: string;
  hostname: string;
  addresses: string[];
  kinds: string[];
  capacity: number;
  current_tasks: string[];
  started_at: number;
  last_seen_at: number;
}

const COLUMNS = 'id, hostname, addresses, kinds, capacity, current_tasks, started_at, last_seen_at';

function workerOfRow(row: WorkerRow): WorkerInfo {
  return {
    id: row.id,
    hostname: row.hostname,
    addresses: row.addresses,
    kinds: row.kinds,
    capacity: row.capacity,
    currentTasks: row.current_tasks,
    startedAt: row.started_at,
    lastSeenAt: row.last_seen_at,
  };
}

function invalid(message: string): ScanplaneError {
  return new ScanplaneError('INVALID_ARGUMENT', message);
}

const isStringArray = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((item) => typeof item === 'string');

const isTime = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

/**
 * A `WorkerRegistry` on PostgreSQL: one `workers` row per worker. Registering replaces the row
 * (`INSERT … ON CONFLICT DO UPDATE`), a heartbeat is one `UPDATE` (of no row for an unknown worker), and
 * `listWorkers` deletes the workers not seen within `staleAfterMs` of `at` and returns the others, ordered by id, in
 * one statement — the semantics of the memory registry. Run {@link migrate} on the schema first.
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * import { createPostgresWorkerRegistry, migrate } from '@scanplane/postgres';
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * await migrate(pool);
 * const registry = createPostgresWorkerRegistry({ pool });
 * const live = await registry.listWorkers({ at: Date.now(), staleAfterMs: 90_000 });
 * ```
 */
export function createPostgresWorkerRegistry(options: PostgresWorkerRegistryOptions): WorkerRegistry {
  const { pool } = options;
  const schema = options.schema ?? DEFAULT_SCHEMA;
  const s = quoteSchema(schema);

  const run = <Row>(text: string, values: unknown[], doing: string): Promise<Row[]> =>
    runQuery<Row>(pool, text, values, doing);

  const registry: WorkerRegistry = {
    name: 'postgres',

    async registerWorker(worker) {
      if (typeof worker !== 'object' || worker === null) throw invalid('a worker must be an object');
      if (typeof worker.id !== 'string' || worker.id === '') throw invalid('a worker needs a string id');
      if (typeof worker.hostname !== 'string')
        throw invalid(`worker ${worker.id}: hostname must be a string`);
      if (!isStringArray(worker.addresses))
        throw invalid(`worker ${worker.id}: addresses must be a list of strings`);
      if (!isStringArray(worker.kinds)) throw invalid(`worker ${worker.id}: kinds must be a list of strings`);
      if (!isStringArray(worker.currentTasks))
        throw invalid(`worker ${worker.id}: currentTasks must be a list of strings`);
      if (!Number.isSafeInteger(worker.capacity) || worker.capacity < 0 || worker.capacity > 2_147_483_647)
        throw invalid(`worker ${worker.id}: capacity must be a non-negative integer`);
      if (!isTime(worker.startedAt) || !isTime(worker.lastSeenAt))
        throw invalid(`worker ${worker.id}: startedAt and lastSeenAt must be finite numbers`);
      await run(
        `INSERT INTO ${s}.workers (${COLUMNS})
         VALUES ($1, $2, $3::text[], $4::text[], $5, $6::text[], $7::float8, $8::float8)
         ON CONFLICT (id) DO UPDATE SET
           hostname = EXCLUDED.hostname, addresses = EXCLUDED.addresses, kinds = EXCLUDED.kinds,
           capacity = EXCLUDED.capacity, current_tasks = EXCLUDED.current_tasks,
           started_at = EXCLUDED.started_at, last_seen_at = EXCLUDED.last_seen_at`,
        [
          worker.id,
          worker.hostname,
          worker.addresses,
          worker.kinds,
          worker.capacity,
          worker.currentTasks,
          worker.startedAt,
          worker.lastSeenAt,
        ],
        `registering worker ${worker.id}`,
      );
    },

    async workerHeartbeat(id, update) {
      if (typeof id !== 'string') throw invalid('a worker id must be a string');
      if (typeof update !== 'object' || update === null || !isTime(update.at))
        throw invalid(`heartbeat of worker ${id}: at must be a finite number`);
      if (!isStringArray(update.currentTasks))
        throw invalid(`heartbeat of worker ${id}: currentTasks must be a list of strings`);
      await run(
        `UPDATE ${s}.workers SET last_seen_at = $2::float8, current_tasks = $3::text[] WHERE id = $1`,
        [id, update.at, update.currentTasks],
        `recording a heartbeat of worker ${id}`,
      );
    },

    async removeWorker(id) {
      if (typeof id !== 'string') throw invalid('a worker id must be a string');
      await run(`DELETE FROM ${s}.workers WHERE id = $1`, [id], `removing worker ${id}`);
    },

    async listWorkers(listOptions) {
      const { at, staleAfterMs } = listOptions ?? ({} as { at?: unknown; staleAfterMs?: unknown });
      if (!isTime(at)) throw invalid('listWorkers: at must be a finite number');
      if (typeof staleAfterMs !== 'number' || Number.isNaN(staleAfterMs))
        throw invalid('listWorkers: staleAfterMs must be a number');
      // Stale exactly as the memory registry says: lastSeenAt + staleAfterMs < at. The DELETE and the SELECT see
      // the same snapshot, so the SELECT filters the stale rows out itself.
      const rows = await run<WorkerRow>(
        `WITH stale AS (
           DELETE FROM ${s}.workers WHERE last_seen_at + $2::float8 < $1::float8 RETURNING id)
         SELECT ${COLUMNS} FROM ${s}.workers
          WHERE NOT (last_seen_at + $2::float8 < $1::float8)
          ORDER BY id COLLATE "C"`,
        [at, staleAfterMs],
        'listing workers',
      );
      return rows.map(workerOfRow);
    },

    health: () =>
      probeHealth('worker-registry', 'checking the worker registry', async () => {
        const { rows } = await pool.query<{ workers: string }>(
          `SELECT count(*) AS workers FROM ${s}.workers`,
        );
        return `PostgreSQL answers (schema ${schema}, registered workers: ${rows[0]?.workers ?? 0})`;
      }),
  };
  return registry;
}
