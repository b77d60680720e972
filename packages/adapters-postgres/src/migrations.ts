import { ScanplaneError } from '@scanplane/core';
import { translateError } from './pg-errors.js';
import { checkout, type Queryable } from './queryable.js';
import { DEFAULT_SCHEMA, quoteSchema } from './schema-name.js';

/**
 * One versioned schema change. `sql` receives the quoted schema name and returns the statements to run; migrations
 * run in version order, each at most once per schema.
 *
 * @example
 * ```ts
 * import type { Migration } from '@scanplane/postgres';
 * const migration: Migration = { version: 99, name: 'notes', sql: (s) => `CREATE TABLE ${s}.notes (id text)` };
 * ```
 */
export interface Migration {
  /** Applied in ascending order; never reused. */
  version: number;
  /** A short description, recorded with the version. */
  name: string;
  /** The statements, for the quoted schema name. */
  sql: (schema: string) => string;
}

/**
 * scanplane's migrations, in order: tasks and their history; the ledger and the worker registry; the scan and
 * organization catalogue; the outbox; wake-ups for waiting workers.
 *
 * @example
 * ```ts
 * import { MIGRATIONS } from '@scanplane/postgres';
 * console.log(MIGRATIONS.map((m) => `${m.version} ${m.name}`).join('\n'));
 * ```
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'tasks and their history',
    sql: (s) => `
      CREATE TABLE ${s}.tasks (
        id text PRIMARY KEY,
        project text NOT NULL,
        scan_id text,
        organization_ids text[],
        kind text NOT NULL,
        target json,
        payload json,
        status text NOT NULL CHECK (status IN ('created','queued','requested','started','finished','failed','cancelled')),
        attempt integer NOT NULL,
        max_attempts integer NOT NULL,
        priority integer NOT NULL,
        idempotency_key text NOT NULL,
        version integer NOT NULL,
        start_timeout_ms double precision NOT NULL,
        lease_ms double precision NOT NULL,
        run_timeout_ms double precision NOT NULL,
        created_at double precision NOT NULL,
        queued_at double precision,
        requested_at double precision,
        started_at double precision,
        finished_at double precision,
        last_heartbeat_at double precision,
        lease_expires_at double precision,
        not_before double precision,
        worker_id text,
        handle json,
        result json,
        error json
      );
      -- Dedup: one active task per (project, idempotency key); a finished key is free again.
      CREATE UNIQUE INDEX tasks_active_key ON ${s}.tasks (project, idempotency_key)
        WHERE status IN ('created','queued','requested','started');
      -- Claims: the queued tasks in claim order.
      CREATE INDEX tasks_queued ON ${s}.tasks (priority DESC, queued_at, id) WHERE status = 'queued';
      -- The reaper and the running counts: live tasks only.
      CREATE INDEX tasks_live ON ${s}.tasks (status) WHERE status IN ('created','requested','started');
      CREATE INDEX tasks_project ON ${s}.tasks (project, created_at, id);
      CREATE INDEX tasks_scan ON ${s}.tasks (scan_id) WHERE scan_id IS NOT NULL;
      CREATE TABLE ${s}.task_history (
        id bigserial PRIMARY KEY,
        task_id text NOT NULL REFERENCES ${s}.tasks (id) ON DELETE CASCADE,
        from_status text,
        to_status text NOT NULL,
        at double precision NOT NULL,
        reason text NOT NULL
      );
      CREATE INDEX task_history_task ON ${s}.task_history (task_id, id);
    `,
  },
  {
    version: 2,
    name: 'ledger and worker registry',
    sql: (s) => `
      -- Scanned coverage: one row per record, as recorded (its addresses as given)...
      CREATE TABLE ${s}.scanned (
        id bigserial PRIMARY KEY,
        project text NOT NULL,
        addresses text[] NOT NULL,
        ports text NOT NULL,
        at double precision NOT NULL,
        task_id text
      );
      -- ...and one row per (record, CIDR of its minimal cover), for indexed overlap (&&) queries.
      CREATE TABLE ${s}.scanned_cidrs (
        scanned_id bigint NOT NULL REFERENCES ${s}.scanned (id) ON DELETE CASCADE,
        project text NOT NULL,
        at double precision NOT NULL,
        cidr cidr NOT NULL
      );
      CREATE INDEX scanned_cidrs_overlap ON ${s}.scanned_cidrs USING gist (cidr inet_ops);
      CREATE INDEX scanned_cidrs_record ON ${s}.scanned_cidrs (scanned_id);
      -- Hostnames seen per address, in first-seen order.
      CREATE TABLE ${s}.hostnames (
        project text NOT NULL,
        address text NOT NULL,
        hostnames text[] NOT NULL,
        first_seen_at double precision NOT NULL,
        last_seen_at double precision NOT NULL,
        PRIMARY KEY (project, address)
      );
      -- The worker registry.
      CREATE TABLE ${s}.workers (
        id text PRIMARY KEY,
        hostname text NOT NULL,
        addresses text[] NOT NULL,
        kinds text[] NOT NULL,
        capacity integer NOT NULL,
        current_tasks text[] NOT NULL,
        started_at double precision NOT NULL,
        last_seen_at double precision NOT NULL
      );
      CREATE INDEX workers_last_seen ON ${s}.workers (last_seen_at);
    `,
  },
  {
    version: 3,
    name: 'scan and organization catalogue',
    sql: (s) => `
      CREATE TABLE ${s}.scans (
        id text PRIMARY KEY,
        definition jsonb NOT NULL,
        created_at double precision
      );
      CREATE TABLE ${s}.organizations (
        id text PRIMARY KEY,
        definition jsonb NOT NULL
      );
    `,
  },
  {
    version: 4,
    name: 'transactional outbox',
    sql: (s) => `
      -- One row per time a task entered queued (its version then): written in the transaction that queued it,
      -- published by the relay, marked sent after the broker confirmed.
      CREATE TABLE ${s}.outbox (
        id bigserial PRIMARY KEY,
        task_id text NOT NULL,
        task_version integer NOT NULL,
        project text NOT NULL,
        kind text NOT NULL,
        priority integer NOT NULL,
        not_before double precision,
        created_at double precision NOT NULL,
        sent_at double precision,
        attempts integer NOT NULL DEFAULT 0,
        last_error text,
        UNIQUE (task_id, task_version)
      );
      CREATE INDEX outbox_unsent ON ${s}.outbox (id) WHERE sent_at IS NULL;
      -- Wakes listening relays when rows commit (NOTIFY is delivered at commit, once per channel and transaction).
      CREATE FUNCTION ${s}.outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $fn$
        BEGIN
          PERFORM pg_notify('scanplane_outbox_' || TG_TABLE_SCHEMA, '');
          RETURN NULL;
        END
      $fn$;
      CREATE TRIGGER outbox_notify AFTER INSERT ON ${s}.outbox
        FOR EACH STATEMENT EXECUTE FUNCTION ${s}.outbox_notify();
    `,
  },
  {
    version: 5,
    name: 'wake-ups for waiting workers',
    sql: (s) => `
      -- NOTIFY (delivered at commit, once per transaction) when a statement leaves tasks queued: workers waiting
      -- for work wake at once; polling stays their backstop. Only then: a NOTIFY serialises commits server-wide,
      -- so claims, heartbeats and finishes never send one.
      CREATE FUNCTION ${s}.tasks_notify() RETURNS trigger LANGUAGE plpgsql AS $fn$
        BEGIN
          IF EXISTS (SELECT 1 FROM changed WHERE status = 'queued') THEN
            PERFORM pg_notify('scanplane_queued_' || TG_TABLE_SCHEMA, '');
          END IF;
          RETURN NULL;
        END
      $fn$;
      CREATE TRIGGER tasks_notify_insert AFTER INSERT ON ${s}.tasks
        REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION ${s}.tasks_notify();
      CREATE TRIGGER tasks_notify_update AFTER UPDATE ON ${s}.tasks
        REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION ${s}.tasks_notify();
    `,
  },
];

/**
 * What {@link migrate} did.
 *
 * @example
 * ```ts
 * import type { MigrateResult } from '@scanplane/postgres';
 * const result: MigrateResult = { schema: 'scanplane', applied: [1, 2], current: 2 };
 * ```
 */
export interface MigrateResult {
  /** The schema migrated. */
  schema: string;
  /** Versions applied by this call (empty when the schema was up to date). */
  applied: number[];
  /** The schema's version after the call. */
  current: number;
}

/**
 * Brings a schema up to date: creates it if needed and applies the missing migrations, all in one transaction
 * under a transaction-scoped advisory lock, so that several processes starting at once apply each migration exactly
 * once (the others wait, then find nothing to do). A failed migration rolls everything back.
 *
 * @throws `ScanplaneError` `INVALID_ARGUMENT` for a bad schema name, `UNAVAILABLE` when the server cannot be
 *   reached, `INTERNAL` when a statement fails.
 * @example
 * ```ts
 * import pg from 'pg';
 * import { migrate } from '@scanplane/postgres';
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * const { applied } = await migrate(pool, { schema: 'scanplane' });
 * ```
 */
export async function migrate(
  pool: Queryable,
  options: { schema?: string; migrations?: readonly Migration[] } = {},
): Promise<MigrateResult> {
  const schema = options.schema ?? DEFAULT_SCHEMA;
  const s = quoteSchema(schema);
  const migrations = [...(options.migrations ?? MIGRATIONS)].sort((a, b) => a.version - b.version);
  const client = await checkout(pool).catch((error: unknown) => {
    throw translateError(error, `connecting to migrate schema ${schema}`);
  });
  let failed = false;
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
      `scanplane:migrate:${schema}`,
    ]);
    // CREATE SCHEMA IF NOT EXISTS needs CREATE on the database even when the schema exists: a role given only a
    // schema of its own (created by an administrator) must not need it.
    const present = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
    if (present.rowCount === 0) await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${s}.migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const done = new Set(
      (await client.query<{ version: number }>(`SELECT version FROM ${s}.migrations`)).rows.map(
        (r) => r.version,
      ),
    );
    const applied: number[] = [];
    for (const migration of migrations) {
      if (done.has(migration.version)) continue;
      try {
        await client.query(migration.sql(s));
      } catch (error) {
        throw new ScanplaneError(
          'INTERNAL',
          `migration ${migration.version} (${migration.name}) of schema ${schema} failed: ${(error as Error).message}`,
          { cause: error, details: { schema, version: migration.version } },
        );
      }
      await client.query(`INSERT INTO ${s}.migrations (version, name) VALUES ($1, $2)`, [
        migration.version,
        migration.name,
      ]);
      applied.push(migration.version);
    }
    await client.query('COMMIT');
    const current = Math.max(0, ...done, ...applied);
    return { schema, applied, current };
  } catch (error) {
    failed = true;
    await client.query('ROLLBACK').catch(() => undefined);
    throw error instanceof ScanplaneError ? error : translateError(error, `migrating schema ${schema}`);
  } finally {
    client.release(failed ? true : undefined);
  }
}
