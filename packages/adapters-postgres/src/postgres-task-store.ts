import { randomUUID } from 'node:crypto';
import {
  ACTIVE_STATUSES,
  applyTransition,
  type ClaimRequest,
  type CreateTasksResult,
  canTransition,
  DEFAULT_TIMEOUTS,
  type NewTask,
  ScanplaneError,
  type ScanTask,
  TASK_STATUSES,
  type TaskQuery,
  type TaskStatus,
  type TaskStore,
  type TransitionRequest,
} from '@scanplane/core';
import { translateError } from './pg-errors.js';
import { probeHealth, runQuery } from './query-helpers.js';
import { checkout, type Queryable, type QueryClient } from './queryable.js';
import { DEFAULT_SCHEMA, quoteSchema } from './schema-name.js';
import { historyOf, TASK_COLUMNS, type TaskRow, taskOfRow } from './task-rows.js';

/**
 * Options of {@link createPostgresTaskStore}.
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * import type { PostgresTaskStoreOptions } from '@scanplane/postgres';
 * const options: PostgresTaskStoreOptions = { pool: new pg.Pool(), schema: 'scanplane' };
 * ```
 */
export interface PostgresTaskStoreOptions {
  /** A `pg.Pool`, or anything with its query interface. */
  pool: Queryable;
  /** The schema holding the tables ({@link migrate} creates them). Default `scanplane`. */
  schema?: string;
  /** Largest payload or result, in characters of JSON. Default 1 MiB. */
  maxPayloadBytes?: number;
  /**
   * Writes an outbox row, in the same statement, for every task that enters `queued` (created queued, or queued again
   * for a retry), for {@link createOutboxRelay} to publish. Default false.
   */
  outbox?: boolean;
}

/**
 * A `TaskStore` that can also create tasks inside the caller's own transaction.
 *
 * @example
 * ```ts
 * import type { PostgresTaskStore } from '@scanplane/postgres';
 * declare const store: PostgresTaskStore;
 * const { created } = await store.create([{ project: 'p', kind: 'scan', idempotencyKey: 'k' }], { at: Date.now() });
 * ```
 */
export interface PostgresTaskStore extends TaskStore {
  /** The schema the store uses. */
  readonly schema: string;
  /**
   * Creates tasks with `client`, a connection inside a transaction the caller opened (`BEGIN`) and will commit or
   * roll back: the tasks exist exactly when the caller's own rows do.
   */
  createWith(
    client: QueryClient,
    tasks: readonly NewTask[],
    options: { at: number },
  ): Promise<CreateTasksResult>;
}

const ACTIVE = ACTIVE_STATUSES as readonly string[];
const DEFAULT_MAX_PAYLOAD = 1024 * 1024;
/** Rows per INSERT statement (PostgreSQL takes at most 65,535 parameters). */
const INSERT_BATCH = 1000;
const INSERT_COLUMNS = 14;
/** Patch fields, with their column. */
const PATCH_COLUMNS = [
  ['workerId', 'worker_id', 'text'],
  ['leaseExpiresAt', 'lease_expires_at', 'float8'],
  ['lastHeartbeatAt', 'last_heartbeat_at', 'float8'],
  ['handle', 'handle', 'json'],
  ['result', 'result', 'json'],
  ['error', 'error', 'json'],
  ['notBefore', 'not_before', 'float8'],
] as const;

/**
 * A `TaskStore` on PostgreSQL. Every transition is one guarded `UPDATE … WHERE status = ANY(allowed) AND
 * version … RETURNING` (the allowed statuses come from the core's transition table) together with its history row,
 * in one statement; claims take queued tasks with `FOR UPDATE SKIP LOCKED`, so concurrent workers never claim one
 * task twice; dedup is a unique index over the active idempotency keys with `ON CONFLICT DO NOTHING`. Run
 * {@link migrate} on the schema first.
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * import { createPostgresTaskStore, migrate } from '@scanplane/postgres';
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * await migrate(pool);
 * const store = createPostgresTaskStore({ pool });
 * const [task] = await store.claim({ workerId: 'w1', limit: 1, leaseMs: 30_000, at: Date.now() });
 * ```
 */
export function createPostgresTaskStore(options: PostgresTaskStoreOptions): PostgresTaskStore {
  const { pool } = options;
  const schema = options.schema ?? DEFAULT_SCHEMA;
  const s = quoteSchema(schema);
  const maxPayloadBytes = options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD;
  const outbox = options.outbox === true;
  /** A data-modifying CTE writing the outbox rows of `source`'s rows that are queued (empty without an outbox). */
  const outboxRows = (source: string, at: string): string =>
    outbox
      ? `, outboxed AS (INSERT INTO ${s}.outbox (task_id, task_version, project, kind, priority, not_before, created_at)
           SELECT id, version, project, kind, priority, not_before, ${at} FROM ${source} WHERE status = 'queued'
           ON CONFLICT (task_id, task_version) DO NOTHING)`
      : '';
  const selectTasks = `SELECT ${TASK_COLUMNS}, ${historyOf(s)} FROM ${s}.tasks t`;

  const run = <Row>(
    text: string,
    values: unknown[],
    doing: string,
    client: Pick<QueryClient, 'query'> = pool,
    prepare = false,
  ): Promise<Row[]> => runQuery<Row>(client, text, values, doing, prepare);

  /** JSON text of a value, or null; refused with INVALID_ARGUMENT when not JSON or too large. */
  const json = (what: string, value: unknown, taskId: string | undefined): string | null => {
    if (value === undefined) return null;
    let text: string | undefined;
    try {
      text = JSON.stringify(value);
    } catch (error) {
      throw new ScanplaneError(
        'INVALID_ARGUMENT',
        `${what} of ${taskId ?? 'a new task'} is not JSON: ${(error as Error).message}`,
        { details: { taskId: taskId ?? null }, cause: error },
      );
    }
    if (text === undefined) return null;
    if (text.length > maxPayloadBytes) {
      throw new ScanplaneError(
        'INVALID_ARGUMENT',
        `${what} of ${taskId ?? 'a new task'} is ${text.length} characters of JSON, above the limit of ${maxPayloadBytes}`,
        { details: { taskId: taskId ?? null, size: text.length, limit: maxPayloadBytes } },
      );
    }
    return text;
  };

  const getTask = async (id: string, client?: Pick<QueryClient, 'query'>): Promise<ScanTask | undefined> => {
    const rows = await run<TaskRow>(
      `${selectTasks} WHERE t.id = $1`,
      [id],
      `reading task ${id}`,
      client,
      true,
    );
    return rows[0] === undefined ? undefined : taskOfRow(rows[0]);
  };

  const holders = async (
    client: Pick<QueryClient, 'query'>,
    keys: ReadonlyArray<{ project: string; key: string }>,
  ): Promise<Map<string, ScanTask>> => {
    const out = new Map<string, ScanTask>();
    if (keys.length === 0) return out;
    const rows = await run<TaskRow>(
      `${selectTasks} WHERE (t.project, t.idempotency_key) IN (SELECT * FROM unnest($1::text[], $2::text[]))
         AND t.status = ANY($3::text[])`,
      [keys.map((k) => k.project), keys.map((k) => k.key), ACTIVE],
      'reading the holders of idempotency keys',
      client,
    );
    for (const row of rows) out.set(`${row.project}\u0000${row.idempotency_key}`, taskOfRow(row));
    return out;
  };

  /** The create, on a connection inside a transaction. */
  const createIn = async (
    client: Pick<QueryClient, 'query'>,
    newTasks: readonly NewTask[],
    at: number,
  ): Promise<CreateTasksResult> => {
    const payloads = newTasks.map((task) => json('payload', task.payload, task.id));
    // One insert per (project, key) of the call; later requests for a key answer with its holder.
    const keyOf = (task: NewTask): string => `${task.project}\u0000${task.idempotencyKey}`;
    const firstOfKey = new Map<string, number>();
    newTasks.forEach((task, i) => {
      if (!firstOfKey.has(keyOf(task))) firstOfKey.set(keyOf(task), i);
    });
    const ids = newTasks.map((task) => task.id ?? randomUUID());
    const insertedIds = new Set<string>();
    const candidates = [...firstOfKey.values()].sort((a, b) => {
      const x = newTasks[a] as NewTask;
      const y = newTasks[b] as NewTask;
      return x.project < y.project
        ? -1
        : x.project > y.project
          ? 1
          : x.idempotencyKey < y.idempotencyKey
            ? -1
            : x.idempotencyKey > y.idempotencyKey
              ? 1
              : 0;
    });
    for (let start = 0; start < candidates.length; start += INSERT_BATCH) {
      const batch = candidates.slice(start, start + INSERT_BATCH);
      const values: unknown[] = [];
      const tuples = batch.map((i, row) => {
        const task = newTasks[i] as NewTask;
        const status = task.status ?? 'created';
        const timeouts = { ...DEFAULT_TIMEOUTS, ...task.timeouts };
        values.push(
          ids[i],
          task.project,
          task.scanId ?? null,
          task.organizationIds ?? null,
          task.kind,
          json('target', task.target, task.id),
          payloads[i],
          status,
          task.maxAttempts ?? 3,
          task.priority ?? 1,
          task.idempotencyKey,
          timeouts.startMs,
          timeouts.leaseMs,
          timeouts.runMs,
        );
        const p = row * INSERT_COLUMNS;
        return `($${p + 1}, $${p + 2}, $${p + 3}, $${p + 4}::text[], $${p + 5}, $${p + 6}::json, $${p + 7}::json, $${p + 8}, $${p + 9}::int, $${p + 10}::int, $${p + 11}, $${p + 12}::float8, $${p + 13}::float8, $${p + 14}::float8)`;
      });
      values.push(at);
      const atParam = values.length;
      const inserted = await run<{ id: string }>(
        `WITH input (id, project, scan_id, organization_ids, kind, target, payload, status, max_attempts, priority,
                     idempotency_key, start_timeout_ms, lease_ms, run_timeout_ms) AS (VALUES ${tuples.join(', ')}),
         ins AS (
           INSERT INTO ${s}.tasks (id, project, scan_id, organization_ids, kind, target, payload, status, attempt,
             max_attempts, priority, idempotency_key, version, start_timeout_ms, lease_ms, run_timeout_ms, created_at,
             queued_at)
           SELECT id, project, scan_id, organization_ids, kind, target, payload, status, 0, max_attempts, priority,
             idempotency_key, 1, start_timeout_ms, lease_ms, run_timeout_ms, $${atParam}::float8,
             CASE WHEN status = 'queued' THEN $${atParam}::float8 END
           FROM input
           -- One order for every transaction: two creates of overlapping keys then wait for each other instead of
           -- deadlocking on the unique index.
           ORDER BY project, idempotency_key
           ON CONFLICT (project, idempotency_key) WHERE status IN ('created','queued','requested','started')
           DO NOTHING
           RETURNING id, status, version, project, kind, priority, not_before)
         ${outboxRows('ins', `$${atParam}::float8`)}
         INSERT INTO ${s}.task_history (task_id, to_status, at, reason)
         SELECT id, status, $${atParam}::float8, 'created' FROM ins RETURNING task_id AS id`,
        values,
        `creating ${batch.length} tasks`,
        client,
      );
      for (const row of inserted) insertedIds.add(row.id);
    }
    const missing = newTasks.filter(
      (task, i) => !insertedIds.has(ids[i] as string) || firstOfKey.get(keyOf(task)) !== i,
    );
    const holderOf = await holders(
      client,
      missing.map((task) => ({ project: task.project, key: task.idempotencyKey })),
    );
    const created: ScanTask[] = [];
    const existing: ScanTask[] = [];
    const createdRows =
      insertedIds.size === 0
        ? []
        : await run<TaskRow>(
            `${selectTasks} WHERE t.id = ANY($1::text[])`,
            [[...insertedIds]],
            'reading created tasks',
            client,
          );
    const byId = new Map(createdRows.map((row) => [row.id, taskOfRow(row)]));
    newTasks.forEach((task, i) => {
      const id = ids[i] as string;
      if (firstOfKey.get(keyOf(task)) === i && insertedIds.has(id)) {
        created.push(byId.get(id) as ScanTask);
        return;
      }
      const holder =
        holderOf.get(keyOf(task)) ?? byId.get(ids[firstOfKey.get(keyOf(task)) as number] as string);
      if (holder === undefined) {
        // The holder finished between the insert and this read: the caller may simply retry.
        throw new ScanplaneError(
          'UNAVAILABLE',
          `the active task holding key ${task.idempotencyKey} of project ${task.project} ended while this create ran; retry`,
          { details: { project: task.project, idempotencyKey: task.idempotencyKey } },
        );
      }
      existing.push(holder);
    });
    return { created, existing };
  };

  const inTransaction = async <T>(doing: string, work: (client: QueryClient) => Promise<T>): Promise<T> => {
    let client: QueryClient;
    try {
      client = await checkout(pool);
    } catch (error) {
      throw translateError(error, doing);
    }
    let broken = false;
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      if (!(error instanceof ScanplaneError) || error.code === 'UNAVAILABLE') broken = true;
      throw translateError(error, doing);
    } finally {
      client.release(broken || undefined);
    }
  };

  /** One guarded UPDATE with its history row; undefined when the guard refused (or the task does not exist). */
  const guardedTransition = async (id: string, request: TransitionRequest): Promise<ScanTask | undefined> => {
    const allowed = TASK_STATUSES.filter(
      (from) =>
        canTransition(from, request.to) && (request.from === undefined || request.from.includes(from)),
    );
    const values: unknown[] = [
      id,
      request.to,
      request.at,
      request.reason,
      allowed,
      request.expectedVersion ?? null,
      request.owner?.workerId ?? null,
      request.owner?.attempt ?? null,
    ];
    const patch = (request.patch ?? {}) as Record<string, unknown>;
    const sets = PATCH_COLUMNS.map(([field, column, type]) => {
      const present = Object.hasOwn(patch, field);
      const value = patch[field];
      let fallback = `t.${column}`;
      if (column === 'lease_expires_at')
        fallback = `CASE WHEN t.status = 'started' AND $2 <> 'started' THEN NULL ELSE t.lease_expires_at END`;
      if (column === 'worker_id' || column === 'handle')
        fallback = `CASE WHEN $2 = 'queued' AND t.status <> 'created' THEN NULL ELSE t.${column} END`;
      if (!present) return `${column} = ${fallback}`;
      values.push(
        value === undefined
          ? null
          : type === 'json'
            ? json(field === 'result' ? 'result' : field, value, id)
            : value,
      );
      return `${column} = $${values.length}::${type}`;
    });
    const rows = await run<TaskRow & { from_status: TaskStatus }>(
      `WITH cur AS (SELECT id, status AS from_status FROM ${s}.tasks WHERE id = $1 FOR UPDATE),
       upd AS (
         UPDATE ${s}.tasks t SET
           status = $2,
           version = t.version + 1,
           ${sets.join(',\n           ')},
           queued_at = CASE WHEN $2 = 'queued' THEN COALESCE(t.queued_at, $3::float8) ELSE t.queued_at END,
           requested_at = CASE WHEN $2 = 'requested' THEN $3::float8 ELSE t.requested_at END,
           started_at = CASE WHEN $2 = 'started' THEN $3::float8 ELSE t.started_at END,
           attempt = CASE WHEN $2 = 'requested' OR ($2 = 'started' AND t.status <> 'requested') THEN t.attempt + 1
                          ELSE t.attempt END,
           finished_at = CASE WHEN $2 IN ('finished', 'failed', 'cancelled') THEN $3::float8 ELSE t.finished_at END
         FROM cur
         WHERE t.id = cur.id AND t.status = ANY($5::text[])
           AND ($6::int IS NULL OR t.version = $6::int)
           AND ($7::text IS NULL OR (t.worker_id = $7::text AND t.attempt = $8::int))
         RETURNING t.*, cur.from_status),
       hist AS (INSERT INTO ${s}.task_history (task_id, from_status, to_status, at, reason)
                SELECT id, from_status, $2, $3::float8, $4 FROM upd)
       ${outboxRows('upd', '$3::float8')}
       SELECT ${TASK_COLUMNS}, t.from_status, ${historyOf(s)} FROM upd t`,
      values,
      `moving task ${id} to ${request.to}`,
      pool,
      true,
    );
    const row = rows[0];
    if (row === undefined) return undefined;
    const task = taskOfRow(row);
    // The statement's own history row is not visible to its snapshot: add it here.
    task.history = [
      ...task.history,
      { from: row.from_status, to: request.to, at: request.at, reason: request.reason },
    ];
    return task;
  };

  const store: PostgresTaskStore = {
    name: `postgres:${schema}`,
    schema,

    async create(newTasks, { at }) {
      if (newTasks.length === 0) return { created: [], existing: [] };
      for (let attempt = 1; ; attempt++) {
        try {
          return await inTransaction(`creating ${newTasks.length} tasks`, (client) =>
            createIn(client, newTasks, at),
          );
        } catch (error) {
          // A deadlock or serialization failure rolled everything back: safe to run again, a few times.
          const sqlstate = (error as ScanplaneError).details?.sqlstate;
          if (attempt >= 3 || (sqlstate !== '40P01' && sqlstate !== '40001')) throw error;
        }
      }
    },

    createWith(client, newTasks, { at }) {
      return createIn(client, newTasks, at);
    },

    get: (id) => getTask(id),

    async transition(id, request) {
      for (let tries = 0; ; tries++) {
        const moved = await guardedTransition(id, request);
        if (moved !== undefined) return moved;
        const current = await getTask(id);
        if (current === undefined)
          throw new ScanplaneError('NOT_FOUND', `no task ${id}`, { details: { taskId: id } });
        // The guard refused: the core's pure transition says why (INVALID_TRANSITION or CONFLICT). If it would
        // accept, the task changed between the two statements: try again.
        applyTransition(current, request);
        if (tries >= 5)
          throw new ScanplaneError(
            'UNAVAILABLE',
            `task ${id} kept changing while moving it to ${request.to}`,
            {
              details: { taskId: id },
            },
          );
      }
    },

    async claim(request: ClaimRequest) {
      if (request.limit <= 0) return [];
      const rows = await run<TaskRow>(
        `WITH picked AS (
           SELECT id FROM ${s}.tasks
           WHERE status = 'queued' AND (not_before IS NULL OR not_before <= $1::float8)
             AND ($2::text[] IS NULL OR kind = ANY($2::text[]))
             AND ($3::text IS NULL OR project = $3::text)
           ORDER BY priority DESC, queued_at, id
           LIMIT $4
           FOR UPDATE SKIP LOCKED),
         upd AS (
           UPDATE ${s}.tasks t SET status = 'started', version = t.version + 1, attempt = t.attempt + 1,
             started_at = $1::float8, worker_id = $5, lease_expires_at = $1::float8 + $6::float8,
             last_heartbeat_at = $1::float8
           FROM picked WHERE t.id = picked.id
           RETURNING t.*),
         hist AS (INSERT INTO ${s}.task_history (task_id, from_status, to_status, at, reason)
                  SELECT id, 'queued', 'started', $1::float8, 'claimed' FROM upd)
         SELECT ${TASK_COLUMNS}, ${historyOf(s)} FROM upd t
         ORDER BY t.priority DESC, t.queued_at, t.id`,
        [
          request.at,
          request.kinds ?? null,
          request.project ?? null,
          request.limit,
          request.workerId,
          request.leaseMs,
        ],
        `claiming tasks for ${request.workerId}`,
        pool,
        true,
      );
      return rows.map((row) => {
        const task = taskOfRow(row);
        task.history = [
          ...task.history,
          { from: 'queued', to: 'started', at: request.at, reason: 'claimed' },
        ];
        return task;
      });
    },

    async heartbeat(id, { workerId, at, leaseMs }) {
      const rows = await run<TaskRow>(
        `WITH upd AS (
           UPDATE ${s}.tasks t SET last_heartbeat_at = $2::float8, lease_expires_at = $2::float8 + $3::float8,
             version = t.version + 1
           WHERE t.id = $1 AND t.status = 'started' AND t.worker_id = $4
           RETURNING t.*)
         SELECT ${TASK_COLUMNS}, ${historyOf(s)} FROM upd t`,
        [id, at, leaseMs, workerId],
        `renewing the lease of task ${id}`,
        pool,
        true,
      );
      if (rows[0] !== undefined) return taskOfRow(rows[0]);
      const task = await getTask(id);
      if (task === undefined)
        throw new ScanplaneError('NOT_FOUND', `no task ${id}`, { details: { taskId: id } });
      throw new ScanplaneError(
        'CONFLICT',
        `task ${id} is ${task.status}${task.workerId ? ` (worker ${task.workerId})` : ''}, not started by ${workerId}`,
        { details: { taskId: id, status: task.status } },
      );
    },

    async list(query: TaskQuery) {
      const { where, values } = filter(query);
      if (query.after !== undefined) {
        values.push(query.after);
        where.push(
          `(t.created_at, t.id) > (SELECT p.created_at, p.id FROM ${s}.tasks p WHERE p.id = $${values.length})`,
        );
      }
      let text = `${selectTasks} ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY t.created_at, t.id`;
      if (query.limit !== undefined) {
        values.push(query.limit);
        text += ` LIMIT $${values.length}`;
      }
      const rows = await run<TaskRow>(text, values, 'listing tasks');
      return rows.map(taskOfRow);
    },

    async count(query: TaskQuery) {
      const { where, values } = filter(query);
      const rows = await run<{ status: TaskStatus; n: number }>(
        `SELECT t.status, count(*)::int AS n FROM ${s}.tasks t ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
         GROUP BY t.status`,
        values,
        'counting tasks',
      );
      const counts = Object.fromEntries(TASK_STATUSES.map((status) => [status, 0])) as Record<
        TaskStatus,
        number
      >;
      for (const row of rows) counts[row.status] = row.n;
      return counts;
    },

    async expired(at, limit) {
      const rows = await run<TaskRow>(
        `${selectTasks}
         WHERE (t.status = 'created' AND t.created_at + t.start_timeout_ms <= $1::float8)
            OR (t.status = 'requested' AND COALESCE(t.requested_at, t.created_at) + t.start_timeout_ms <= $1::float8)
            OR (t.status = 'started' AND ((t.lease_expires_at IS NOT NULL AND t.lease_expires_at <= $1::float8)
                                          OR COALESCE(t.started_at, $1::float8) + t.run_timeout_ms <= $1::float8))
         ORDER BY t.created_at, t.id
         ${limit === undefined || !Number.isFinite(limit) ? '' : 'LIMIT $2'}`,
        limit === undefined || !Number.isFinite(limit) ? [at] : [at, limit],
        'finding expired tasks',
      );
      return rows.map(taskOfRow);
    },

    health: () =>
      probeHealth(store.name, 'checking the task store', async () => {
        await pool.query(`SELECT 1 FROM ${s}.tasks LIMIT 1`);
        return `PostgreSQL answers (schema ${schema})`;
      }),
  };
  return store;
}

/** WHERE clauses (over alias `t`) and their values for a task query's filters. */
function filter(query: TaskQuery): { where: string[]; values: unknown[] } {
  const where: string[] = [];
  const values: unknown[] = [];
  const add = (clause: (p: string) => string, value: unknown): void => {
    values.push(value);
    where.push(clause(`$${values.length}`));
  };
  if (query.project !== undefined) add((p) => `t.project = ${p}`, query.project);
  if (query.status !== undefined) add((p) => `t.status = ANY(${p}::text[])`, query.status);
  if (query.scanId !== undefined) add((p) => `t.scan_id = ${p}`, query.scanId);
  if (query.organizationId !== undefined) add((p) => `${p} = ANY(t.organization_ids)`, query.organizationId);
  if (query.kind !== undefined) add((p) => `t.kind = ${p}`, query.kind);
  if (query.ids !== undefined) add((p) => `t.id = ANY(${p}::text[])`, query.ids);
  return { where, values };
}
