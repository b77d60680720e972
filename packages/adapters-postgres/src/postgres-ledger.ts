import { AddressSet, type CoverageRecord, type Ledger, ScanplaneError } from '@scanplane/core';
import { probeHealth, runQuery } from './query-helpers.js';
import type { Queryable } from './queryable.js';
import { DEFAULT_SCHEMA, quoteSchema } from './schema-name.js';

/**
 * Options of {@link createPostgresLedger}.
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * import type { PostgresLedgerOptions } from '@scanplane/postgres';
 * const options: PostgresLedgerOptions = { pool: new pg.Pool(), schema: 'scanplane' };
 * ```
 */
export interface PostgresLedgerOptions {
  /** A `pg.Pool`, or anything with its query interface. */
  pool: Queryable;
  /** The schema holding the tables ({@link migrate} creates them). Default `scanplane`. */
  schema?: string;
}

interface ActiveRow {
  id: string;
  addresses: string[];
  ports: string;
  at: number;
}

interface ScannedRow {
  addresses: string[];
  ports: string;
  at: number;
  task_id: string | null;
}

const IPV4_CIDR = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/;

/** Whether `value` is an array of strings. */
function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

function invalid(message: string, details: Record<string, unknown> = {}): ScanplaneError {
  return new ScanplaneError('INVALID_ARGUMENT', message, { details });
}

/**
 * The minimal CIDR cover of address specifications, as the memory ledger reads them ({@link AddressSet.parse}:
 * CIDRs with or without host bits, addresses, ranges; IPv4-mapped IPv6 as IPv4).
 *
 * @throws `ScanplaneError` `TARGET_INVALID` for an entry that is not an address specification (what the
 *   memory ledger throws), `INVALID_ARGUMENT` when `addresses` is not a list of strings.
 */
function coverOf(addresses: unknown, what: string): string[] {
  if (!isStringArray(addresses)) throw invalid(`${what} must be a list of CIDR strings`);
  return [...AddressSet.parse(addresses).cidrs()];
}

/**
 * The query CIDRs for overlap with task targets, which are compared as PostgreSQL `inet` values: the cover, plus the
 * IPv4-mapped IPv6 form of each IPv4 block, so that a target written in IPv6 that spans mapped space overlaps the
 * IPv4 addresses it holds (as it does in the memory ledger, which reads mapped addresses as IPv4).
 */
function withMapped(cidrs: readonly string[]): string[] {
  const out = [...cidrs];
  for (const cidr of cidrs) {
    const match = IPV4_CIDR.exec(cidr);
    if (match !== null) out.push(`::ffff:${match[1]}/${96 + Number(match[2])}`);
  }
  return out;
}

/**
 * A `Ledger` on PostgreSQL. Active coverage is read from the active tasks of the task store's `tasks` table
 * (their targets' CIDRs compared with `&&` as `inet`, over the project's active tasks only, found by the partial
 * index of active tasks); scanned coverage is one `scanned` row per record plus one `scanned_cidrs` row per CIDR of
 * the record's minimal cover, under a GiST (`inet_ops`) index, so an overlap query is an index scan, not a loop;
 * hostnames are one row per (project, address), merged atomically with `INSERT … ON CONFLICT DO UPDATE` keeping
 * first-seen order. IPv4 and IPv6. Run {@link migrate} on the schema first.
 *
 * Addresses are read like the memory ledger reads them: an entry that is not an address specification is refused
 * with `TARGET_INVALID`, anything but a list of strings with `INVALID_ARGUMENT`. Task targets are expected to hold
 * CIDRs (the `TaskTarget` contract): an active task whose target holds anything PostgreSQL cannot read as
 * `inet` makes `active` fail with `INVALID_ARGUMENT`.
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * import { createPostgresLedger, migrate } from '@scanplane/postgres';
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * await migrate(pool);
 * const ledger = createPostgresLedger({ pool });
 * await ledger.recordScanned('acme', { addresses: ['192.0.2.0/28'], ports: '80', at: Date.now() });
 * const recent = await ledger.scanned('acme', ['192.0.2.7/32'], Date.now() - 86_400_000);
 * ```
 */
export function createPostgresLedger(options: PostgresLedgerOptions): Ledger {
  const { pool } = options;
  const schema = options.schema ?? DEFAULT_SCHEMA;
  const s = quoteSchema(schema);

  const run = <Row>(text: string, values: unknown[], doing: string): Promise<Row[]> =>
    runQuery<Row>(pool, text, values, doing);

  const checkProject = (project: unknown): void => {
    if (typeof project !== 'string') throw invalid('project must be a string');
  };

  const ledger: Ledger = {
    name: 'postgres',

    async active(project, addresses) {
      checkProject(project);
      const query = coverOf(addresses, 'addresses');
      if (query.length === 0) return [];
      const rows = await run<ActiveRow>(
        `SELECT t.id, t.target->'addresses' AS addresses, t.target->'ports' AS ports,
                COALESCE(t.queued_at, t.created_at) AS at
           FROM ${s}.tasks t
          WHERE t.project = $1
            AND t.status IN ('created','queued','requested','started') -- ACTIVE_STATUSES, as the partial index
            AND t.target IS NOT NULL
            AND EXISTS (
              SELECT 1
                FROM json_array_elements_text(
                       CASE WHEN json_typeof(t.target->'addresses') = 'array' THEN t.target->'addresses' END
                     ) AS a (address)
               WHERE a.address::inet && ANY($2::inet[]))
          ORDER BY t.created_at, t.id`,
        [project, withMapped(query)],
        `reading the active coverage of project ${project}`,
      );
      return rows.map((row) => ({ addresses: row.addresses, ports: row.ports, at: row.at, taskId: row.id }));
    },

    async scanned(project, addresses, since) {
      checkProject(project);
      if (typeof since !== 'number' || Number.isNaN(since)) throw invalid('since must be a number');
      const query = coverOf(addresses, 'addresses');
      if (query.length === 0) return [];
      const rows = await run<ScannedRow>(
        `SELECT r.addresses, r.ports, r.at, r.task_id
           FROM ${s}.scanned r
          WHERE r.id IN (SELECT c.scanned_id
                           FROM ${s}.scanned_cidrs c
                          WHERE c.cidr && ANY($2::cidr[]) AND c.project = $1 AND c.at >= $3::float8)
          ORDER BY r.id`,
        [project, query, since],
        `reading the scanned coverage of project ${project}`,
      );
      return rows.map((row) => {
        const record: CoverageRecord = { addresses: row.addresses, ports: row.ports, at: row.at };
        if (row.task_id !== null) record.taskId = row.task_id;
        return record;
      });
    },

    async recordScanned(project, record) {
      checkProject(project);
      if (typeof record !== 'object' || record === null) throw invalid('a coverage record must be an object');
      if (typeof record.ports !== 'string') throw invalid('the record’s ports must be a string');
      if (typeof record.at !== 'number' || !Number.isFinite(record.at))
        throw invalid('the record’s at must be a finite number');
      if (record.taskId !== undefined && typeof record.taskId !== 'string')
        throw invalid('the record’s taskId must be a string');
      const cover = coverOf(record.addresses, 'the record’s addresses');
      await run(
        `WITH record AS (
           INSERT INTO ${s}.scanned (project, addresses, ports, at, task_id)
           VALUES ($1, $2::text[], $3, $4::float8, $5)
           RETURNING id, project, at)
         INSERT INTO ${s}.scanned_cidrs (scanned_id, project, at, cidr)
         SELECT record.id, record.project, record.at, c.cidr
           FROM record, unnest($6::cidr[]) AS c (cidr)`,
        [project, record.addresses, record.ports, record.at, record.taskId ?? null, cover],
        `recording scanned coverage of project ${project}`,
      );
    },

    async recordHostnames(project, address, hostnames, at) {
      checkProject(project);
      if (typeof address !== 'string') throw invalid('address must be a string');
      if (!isStringArray(hostnames)) throw invalid('hostnames must be a list of strings');
      if (typeof at !== 'number' || !Number.isFinite(at)) throw invalid('at must be a finite number');
      const names = [...new Set(hostnames)];
      if (names.length === 0) return;
      // One statement: a concurrent first insert makes this one wait and then update the row it wrote, so
      // concurrent merges never lose or duplicate a name. New names are appended in their input order.
      await run(
        `INSERT INTO ${s}.hostnames AS h (project, address, hostnames, first_seen_at, last_seen_at)
         VALUES ($1, $2, $3::text[], $4::float8, $4::float8)
         ON CONFLICT (project, address) DO UPDATE SET
           hostnames = h.hostnames || ARRAY(
             SELECT n.name FROM unnest(EXCLUDED.hostnames) WITH ORDINALITY AS n (name, i)
              WHERE NOT (n.name = ANY (h.hostnames))
              ORDER BY n.i),
           first_seen_at = LEAST(h.first_seen_at, EXCLUDED.first_seen_at),
           last_seen_at = GREATEST(h.last_seen_at, EXCLUDED.last_seen_at)`,
        [project, address, names, at],
        `recording hostnames of ${address} in project ${project}`,
      );
    },

    async hostnames(project, address) {
      checkProject(project);
      if (typeof address !== 'string') throw invalid('address must be a string');
      const rows = await run<{ hostnames: string[] }>(
        `SELECT hostnames FROM ${s}.hostnames WHERE project = $1 AND address = $2`,
        [project, address],
        `reading hostnames of ${address} in project ${project}`,
      );
      return rows[0]?.hostnames ?? [];
    },

    health: () =>
      probeHealth('ledger', 'checking the ledger', async () => {
        await pool.query(
          `SELECT (SELECT 1 FROM ${s}.scanned LIMIT 1) AS scanned,
                  (SELECT 1 FROM ${s}.scanned_cidrs LIMIT 1) AS cidrs,
                  (SELECT 1 FROM ${s}.hostnames LIMIT 1) AS hostnames,
                  (SELECT 1 FROM ${s}.tasks LIMIT 1) AS tasks`,
        );
        return `PostgreSQL answers (schema ${schema})`;
      }),
  };
  return ledger;
}
