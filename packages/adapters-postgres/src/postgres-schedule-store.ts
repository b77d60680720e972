import {
  type Organization,
  type PairHistory,
  type QueuedScanTask,
  type ScanDefinition,
  ScanplaneError,
  type ScheduleHistory,
  type ScheduleSnapshot,
  type ScheduleStore,
  validateOrganization,
  validateScanDefinition,
} from '@scanplane/core';
import { translateError } from './pg-errors.js';
import { runQuery } from './query-helpers.js';
import { checkout, type Queryable } from './queryable.js';
import { DEFAULT_SCHEMA, quoteSchema } from './schema-name.js';

/**
 * Options of {@link createPostgresScheduleStore}.
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * import type { PostgresScheduleStoreOptions } from '@scanplane/postgres';
 * const options: PostgresScheduleStoreOptions = { pool: new pg.Pool(), schema: 'scanplane' };
 * ```
 */
export interface PostgresScheduleStoreOptions {
  /** A `pg.Pool`, or anything with its query interface. */
  pool: Queryable;
  /** The schema holding the tables ({@link migrate} creates them). Default `scanplane`. */
  schema?: string;
  /** Stamps a new scan definition's `createdAt` when neither it nor `putScan`'s `at` does. Default `Date.now`. */
  now?: () => number;
}

interface PairRow {
  scan_id: string;
  org: string;
  active: number;
  last_run_at: number | null;
  last_finished_at: number | null;
  last_succeeded_at: number | null;
  failed_at: number[] | null;
}

/** A read-only history over pair rows, keyed by scan then organization ('' for a global scan's pair). */
class PairTable implements ScheduleHistory {
  readonly #pairs = new Map<string, Map<string, PairHistory>>();

  add(row: PairRow): void {
    const succeeded = row.last_succeeded_at;
    let failures = 0;
    for (const at of row.failed_at ?? []) if (succeeded === null || at > succeeded) failures++;
    const pair: PairHistory = { active: row.active, failuresSinceSuccess: failures };
    if (row.last_run_at !== null) pair.lastRunAt = row.last_run_at;
    if (row.last_finished_at !== null) {
      pair.lastFinishedAt = row.last_finished_at;
      // The latest finish; at the same instant a success wins.
      pair.lastOutcome = succeeded === row.last_finished_at ? 'finished' : 'failed';
    }
    if (succeeded !== null) pair.lastSucceededAt = succeeded;
    let scan = this.#pairs.get(row.scan_id);
    if (scan === undefined) {
      scan = new Map();
      this.#pairs.set(row.scan_id, scan);
    }
    scan.set(row.org, Object.freeze(pair));
  }

  get(scanId: string, organizationId?: string): PairHistory | undefined {
    return this.#pairs.get(scanId)?.get(organizationId ?? '');
  }
}

/**
 * The scan and organization catalogue and the scheduler's snapshot on PostgreSQL (`ScheduleStore`). A
 * snapshot is three set-based queries in one repeatable-read transaction, whatever the number of pairs: the pair
 * histories aggregated over the scheduled tasks (one row per (scan, organization)), the queued scheduled tasks and
 * the running count — never Crossfeed's two queries per pair. Pair histories follow the core's rules exactly: the
 * latest finish and its outcome per organization (a batch task's result can fail one organization only), the latest
 * success, failures since, active tasks, the last run.
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * import { createScheduler } from '@scanplane/core';
 * import { createPostgresScheduleStore, createPostgresTaskStore } from '@scanplane/postgres';
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * const store = { ...createPostgresTaskStore({ pool }), ...createPostgresScheduleStore({ pool }) };
 * await store.putScan({ id: 'portscan', type: 'portscanner', frequencySeconds: 86_400 });
 * ```
 */
export function createPostgresScheduleStore(options: PostgresScheduleStoreOptions): ScheduleStore {
  const { pool } = options;
  const schema = options.schema ?? DEFAULT_SCHEMA;
  const s = quoteSchema(schema);
  const now = options.now ?? Date.now;

  const run = <Row>(text: string, values: unknown[], doing: string): Promise<Row[]> =>
    runQuery<Row>(pool, text, values, doing);

  const scanOf = (row: { definition: ScanDefinition; created_at: number | null }): ScanDefinition => {
    const scan = { ...row.definition };
    if (row.created_at !== null) scan.createdAt = row.created_at;
    return scan;
  };

  // One pass over the scheduled tasks, one row per (scan, organization): a task over n organizations counts once
  // for each (a global scan's task, over none, for the pair ''). A finish's outcome for an organization is the one
  // its result records for it, else the task's. Failure times are returned as an array (few per pair) and counted
  // against the latest success in JavaScript, which needs no second pass.
  const pairsQuery = `
    SELECT scan_id, org,
      count(*) FILTER (WHERE status IN ('created', 'queued', 'requested', 'started'))::int AS active,
      max(created_at) AS last_run_at,
      max(finished_at) FILTER (WHERE outcome IS NOT NULL) AS last_finished_at,
      max(finished_at) FILTER (WHERE outcome = 'finished') AS last_succeeded_at,
      array_agg(finished_at) FILTER (WHERE outcome = 'failed') AS failed_at
    FROM (
      SELECT t.scan_id, COALESCE(o.org, '') AS org, t.status, t.created_at, t.finished_at,
        CASE WHEN t.status IN ('finished', 'failed', 'cancelled') AND t.finished_at IS NOT NULL THEN
          CASE WHEN t.result IS NOT NULL AND o.org IS NOT NULL
                    AND (t.result -> 'organizations' -> o.org ->> 'status') IN ('finished', 'failed')
                 THEN t.result -> 'organizations' -> o.org ->> 'status'
               WHEN t.status = 'finished' THEN 'finished'
               ELSE 'failed' END
        END AS outcome
      FROM ${s}.tasks t LEFT JOIN LATERAL unnest(t.organization_ids) AS o(org) ON true
      WHERE t.scan_id IS NOT NULL
    ) pairs
    GROUP BY scan_id, org`;

  return {
    async listScans() {
      const rows = await run<{ definition: ScanDefinition; created_at: number | null }>(
        `SELECT definition, created_at FROM ${s}.scans ORDER BY id`,
        [],
        'listing scans',
      );
      return rows.map(scanOf);
    },

    async getScan(id) {
      const rows = await run<{ definition: ScanDefinition; created_at: number | null }>(
        `SELECT definition, created_at FROM ${s}.scans WHERE id = $1`,
        [id],
        `reading scan ${id}`,
      );
      return rows[0] === undefined ? undefined : scanOf(rows[0]);
    },

    async putScan(scan, putOptions = {}) {
      validateScanDefinition(scan);
      const { createdAt, ...definition } = scan;
      const rows = await run<{ definition: ScanDefinition; created_at: number | null }>(
        `INSERT INTO ${s}.scans (id, definition, created_at) VALUES ($1, $2::jsonb, $3::float8)
         ON CONFLICT (id) DO UPDATE SET definition = EXCLUDED.definition
         RETURNING definition, created_at`,
        [scan.id, JSON.stringify(definition), createdAt ?? putOptions.at ?? now()],
        `storing scan ${scan.id}`,
      );
      return scanOf(rows[0] as { definition: ScanDefinition; created_at: number | null });
    },

    async deleteScan(id) {
      const rows = await run(
        `DELETE FROM ${s}.scans WHERE id = $1 RETURNING id`,
        [id],
        `deleting scan ${id}`,
      );
      return rows.length > 0;
    },

    async listOrganizations() {
      const rows = await run<{ definition: Organization }>(
        `SELECT definition FROM ${s}.organizations ORDER BY id`,
        [],
        'listing organizations',
      );
      return rows.map((row) => row.definition);
    },

    async getOrganization(id) {
      const rows = await run<{ definition: Organization }>(
        `SELECT definition FROM ${s}.organizations WHERE id = $1`,
        [id],
        `reading organization ${id}`,
      );
      return rows[0]?.definition;
    },

    async putOrganization(organization) {
      validateOrganization(organization);
      const rows = await run<{ definition: Organization }>(
        `INSERT INTO ${s}.organizations (id, definition) VALUES ($1, $2::jsonb)
         ON CONFLICT (id) DO UPDATE SET definition = EXCLUDED.definition RETURNING definition`,
        [organization.id, JSON.stringify(organization)],
        `storing organization ${organization.id}`,
      );
      return (rows[0] as { definition: Organization }).definition;
    },

    async deleteOrganization(id) {
      const rows = await run(
        `DELETE FROM ${s}.organizations WHERE id = $1 RETURNING id`,
        [id],
        `deleting organization ${id}`,
      );
      return rows.length > 0;
    },

    async requestManualRun(scanId, at) {
      const rows = await run<{ definition: ScanDefinition; created_at: number | null }>(
        `UPDATE ${s}.scans SET definition = definition || jsonb_build_object('manualRunRequestedAt', $2::float8)
         WHERE id = $1 RETURNING definition, created_at`,
        [scanId, at],
        `requesting a manual run of ${scanId}`,
      );
      if (rows[0] === undefined)
        throw new ScanplaneError('NOT_FOUND', `no scan ${scanId}`, { details: { scanId } });
      return scanOf(rows[0]);
    },

    async updateScans(updates) {
      if (updates.length === 0) return;
      // One statement for the tick's updates: lastRun set; a manual run cleared only if it is still the same request.
      await run(
        `UPDATE ${s}.scans sc SET definition =
           CASE WHEN u.clear IS NOT NULL AND (sc.definition ->> 'manualRunRequestedAt')::float8 = u.clear
                THEN sc.definition - 'manualRunRequestedAt' ELSE sc.definition END
           || CASE WHEN u.last_run IS NOT NULL THEN jsonb_build_object('lastRun', u.last_run) ELSE '{}'::jsonb END
         FROM unnest($1::text[], $2::float8[], $3::float8[]) AS u(id, last_run, clear)
         WHERE sc.id = u.id`,
        [
          updates.map((u) => u.scanId),
          updates.map((u) => u.lastRun ?? null),
          updates.map((u) => u.clearManualRun ?? null),
        ],
        `updating ${updates.length} scans`,
      );
    },

    async scheduleSnapshot(): Promise<ScheduleSnapshot> {
      let client: Awaited<ReturnType<Queryable['connect']>>;
      try {
        client = await checkout(pool);
      } catch (error) {
        throw translateError(error, 'reading the schedule snapshot');
      }
      let broken = false;
      try {
        // One consistent view of the three reads.
        await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
        // The aggregation holds one entry per pair: room for it in memory rather than batches spilled to disk.
        await client.query("SET LOCAL work_mem = '128MB'");
        const pairs = await client.query<PairRow>(pairsQuery);
        const queued = await client.query<{
          id: string;
          scan_id: string;
          organization_ids: string[] | null;
          priority: number;
          queued_at: number;
          due_since: number | null;
          not_before: number | null;
        }>(
          `SELECT id, scan_id, organization_ids, priority, COALESCE(queued_at, created_at) AS queued_at,
             CASE WHEN json_typeof(payload -> 'dueSince') = 'number' THEN (payload ->> 'dueSince')::float8 END AS due_since,
             not_before
           FROM ${s}.tasks WHERE status = 'queued' AND scan_id IS NOT NULL`,
        );
        const running = await client.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM ${s}.tasks WHERE status IN ('requested', 'started')`,
        );
        await client.query('COMMIT');
        const history = new PairTable();
        for (const row of pairs.rows) history.add(row);
        return {
          history,
          queued: queued.rows.map((row) => {
            const entry: QueuedScanTask = {
              taskId: row.id,
              scanId: row.scan_id,
              organizationIds: row.organization_ids ?? [],
              priority: row.priority,
              queuedAt: row.queued_at,
            };
            if (row.due_since !== null) entry.dueSince = row.due_since;
            if (row.not_before !== null) entry.notBefore = row.not_before;
            return entry;
          }),
          running: running.rows[0]?.n ?? 0,
        };
      } catch (error) {
        broken = true;
        await client.query('ROLLBACK').catch(() => undefined);
        throw translateError(error, 'reading the schedule snapshot');
      } finally {
        client.release(broken || undefined);
      }
    },
  };
}
