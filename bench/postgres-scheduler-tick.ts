/**
 * Section "scheduler tick" of `pnpm bench:postgres` (see bench/postgres.bench.ts, which runs it after the queue
 * throughput section): one scheduler tick over 10,000 organizations × 25 scans with 250,000 stored tasks, read from
 * PostgreSQL by `@scanplane/postgres`, against a baseline that decides the same pairs the way Crossfeed did — two SQL
 * queries per (scan, organization) pair over the same table.
 *
 * WORKLOAD (seeded; loaded before any clock starts, in a fresh database)
 * - 10,000 organizations `org-00000` …, 5% passive, each with 0–2 of 10 tags. 25 per-organization scans: 22 over
 *   every organization, 3 granular by one tag each; 2 passive scans, the rest active; frequencies from 1 hour to
 *   7 days; created 400 days before NOW. No global, single-shot, cron or manual-run scans (the memory benchmark,
 *   `pnpm bench:scheduler`, covers those rules; this one measures reading the state from PostgreSQL).
 * - 250,000 tasks, shared between the scans in proportion to their candidates, each over a batch of 1–10 consecutive candidate organizations (the last 5% of a
 *   scan's candidates never scanned); ~2% active (created, queued, requested, started), ~8% failed, the rest
 *   finished, finish times uniform over 2 to 40 frequencies before NOW. Inserted with set-based SQL (no history
 *   rows: neither side reads them), then `ANALYZE`.
 *
 * THE TWO SIDES
 * - scanplane (timed): one tick's read and decision as `createScheduler` does it — `scheduleSnapshot()` (three
 *   set-based queries in one repeatable-read transaction: pair histories aggregated per (scan, organization), the
 *   queued scheduled tasks, the running count), `listScans()`, `listOrganizations()`, then `planSchedule(state, NOW,
 *   { organizationsPerTask: 10 })`. One warm-up tick, then TICK_RUNS timed ticks; the median.
 * - baseline, Crossfeed's `shouldRunScan`: per pair, query 1 "is a task of this scan covering this organization
 *   active" (`… WHERE scan_id = $1 AND $2 = ANY(organization_ids) AND status IN (created, queued, requested,
 *   started) LIMIT 1`), query 2 "its latest finished or failed task with a finish time" (`… ORDER BY finished_at
 *   DESC LIMIT 1`), over the same table with the same indexes (the scan id is indexed; Crossfeed's join table of
 *   task organizations was indexed by its foreign keys, which selects the same rows). A full tick asks 2 × (number
 *   of candidate pairs) queries, minutes: it is timed on a seeded random sample of SAMPLE_PAIRS pairs from every scan
 *   (one pass after a warm-up pass over 50 of them), one query at a time on one connection, and its per-pair time
 *   is multiplied by the number of candidate pairs. Every query is a round trip on loopback, as Crossfeed's were
 *   over its VPC; both are printed.
 *
 * CORRECTNESS (the section fails, and no goal line is printed, if any check fails): for every sampled pair, the
 * baseline's decision (passive guard, active, frequency window — inclusive, as Crossfeed's — or run) equals the
 * plan's (its skip reason, or the pair launched); the plan decides every candidate pair exactly once.
 *
 * GOAL: speedup_vs_crossfeed_per_pair_queries = extrapolated baseline tick time / median scanplane tick time ≥ 100.
 */

import {
  createPostgresScheduleStore,
  migrate,
  type Queryable,
} from '../packages/adapters-postgres/dist/index.js';
import {
  type Organization,
  planSchedule,
  type ScanDefinition,
  type SchedulePlan,
} from '../packages/core/dist/index.js';
import { elapsedMs, formatCount, formatMs, type Goal, median, mulberry32, now } from './support/measure.js';

const SEED = 0x7e57_0002;
const ORGANIZATIONS = 10_000;
const SCANS = 25;
const TASKS = 250_000;
const TAGS = 10;
const NOW = Date.parse('2026-06-01T12:00:00.000Z');
const DAY = 86_400_000;
const TICK_RUNS = 5;
const SAMPLE_PAIRS = 500;
const SCHEMA = 'scanplane';

/** What this section needs of the benchmark's context (bench/postgres.bench.ts provides it). */
export interface TickContext {
  withFreshDatabase<T>(label: string, work: (pool: Queryable) => Promise<T>): Promise<T>;
  check(ok: boolean, what: string, detail?: string): void;
}

interface Workload {
  organizations: Organization[];
  scans: ScanDefinition[];
  /** Candidate organization ids of each scan, in id order. */
  candidates: Map<string, string[]>;
}

function generate(): Workload {
  const prng = mulberry32(SEED);
  const rng = prng.float;
  const organizations: Organization[] = Array.from({ length: ORGANIZATIONS }, (_, i) => {
    const tags = new Set<string>();
    const count = Math.floor(rng() * 3);
    while (tags.size < count) tags.add(`tag-${Math.floor(rng() * TAGS)}`);
    return {
      id: `org-${String(i).padStart(5, '0')}`,
      name: `Org ${i}`,
      passive: rng() < 0.05,
      tags: [...tags],
    };
  });
  const frequencies = [3600, 6 * 3600, 12 * 3600, 86_400, 2 * 86_400, 7 * 86_400];
  const scans: ScanDefinition[] = Array.from({ length: SCANS }, (_, i) => {
    const scan: ScanDefinition = {
      id: `scan-${String(i).padStart(2, '0')}`,
      type: `type-${i % 5}`,
      frequencySeconds: frequencies[i % frequencies.length] as number,
      createdAt: NOW - 400 * DAY,
    };
    if (i % 12 === 3) scan.passive = true;
    if (i >= SCANS - 3) scan.granular = { tags: [`tag-${i % TAGS}`] };
    return scan;
  });
  const candidates = new Map<string, string[]>();
  for (const scan of scans) {
    const tag = scan.granular?.tags?.[0];
    candidates.set(
      scan.id,
      organizations.filter((o) => tag === undefined || o.tags.includes(tag)).map((o) => o.id),
    );
  }
  return { organizations, scans, candidates };
}

/** Loads the workload with set-based SQL: catalogue, then tasks in chunks of unnest()ed arrays. */
async function load(pool: Queryable, workload: Workload): Promise<number> {
  const rng = mulberry32(SEED + 1).float;
  const store = createPostgresScheduleStore({ pool, schema: SCHEMA });
  for (const scan of workload.scans) await store.putScan(scan);
  await pool.query(
    `INSERT INTO ${SCHEMA}.organizations (id, definition) SELECT id, definition::jsonb FROM unnest($1::text[], $2::text[]) AS u(id, definition)`,
    [workload.organizations.map((o) => o.id), workload.organizations.map((o) => JSON.stringify(o))],
  );
  const pairs = [...workload.candidates.values()].reduce((sum, ids) => sum + ids.length, 0);
  let total = 0;
  for (const scan of workload.scans) {
    const ids = workload.candidates.get(scan.id) as string[];
    const frequency = (scan.frequencySeconds as number) * 1000;
    const horizon = (2 + rng() * 38) * frequency;
    const rows = {
      id: [] as string[],
      orgs: [] as string[],
      status: [] as string[],
      created: [] as number[],
      finished: [] as (number | null)[],
    };
    const covered = Math.max(1, Math.floor(ids.length * 0.95));
    // 250,000 tasks in all, shared in proportion to each scan's candidates (the last scan takes the remainder).
    const perScan = scan === workload.scans.at(-1) ? TASKS - total : Math.round((TASKS * ids.length) / pairs);
    for (let t = 0; t < perScan; t++) {
      const start = Math.floor(rng() * covered);
      const size = 1 + Math.floor(rng() * 10);
      const batch = ids.slice(start, Math.min(covered, start + size));
      const roll = rng();
      const status =
        roll < 0.02
          ? (['created', 'queued', 'requested', 'started'][Math.floor(rng() * 4)] as string)
          : roll < 0.1
            ? 'failed'
            : 'finished';
      const finished = status === 'finished' || status === 'failed' ? NOW - rng() * horizon : null;
      rows.id.push(`${scan.id}-t${t}`);
      rows.orgs.push(batch.join(','));
      rows.status.push(status);
      rows.created.push((finished ?? NOW - rng() * frequency) - 60_000);
      rows.finished.push(finished);
    }
    await pool.query(
      `INSERT INTO ${SCHEMA}.tasks (id, project, scan_id, organization_ids, kind, status, attempt, max_attempts,
         priority, idempotency_key, version, start_timeout_ms, lease_ms, run_timeout_ms, created_at, queued_at,
         finished_at)
       SELECT id, 'scheduled', $1, string_to_array(orgs, ','), 'scheduled-scan', status, 1, 3, 1,
         'bench:' || id, 3, 300000, 30000, 86400000, created, created, finished
       FROM unnest($2::text[], $3::text[], $4::text[], $5::float8[], $6::float8[]) AS u(id, orgs, status, created, finished)`,
      [scan.id, rows.id, rows.orgs, rows.status, rows.created, rows.finished],
    );
    total += rows.id.length;
  }
  await pool.query(`ANALYZE ${SCHEMA}.tasks`);
  return total;
}

async function tick(pool: Queryable): Promise<{ plan: SchedulePlan; ms: number }> {
  const store = createPostgresScheduleStore({ pool, schema: SCHEMA });
  const start = now();
  const snapshot = await store.scheduleSnapshot();
  const scans = await store.listScans();
  const organizations = await store.listOrganizations();
  const plan = planSchedule(
    { scans, organizations, history: snapshot.history, queued: snapshot.queued, running: snapshot.running },
    NOW,
    { organizationsPerTask: 10 },
  );
  return { plan, ms: elapsedMs(start) };
}

type Decision = 'run' | 'passive-organization' | 'already-active' | 'not-due';

/** Crossfeed's shouldRunScan for one pair: two queries. */
async function crossfeedDecision(
  client: Pick<Queryable, 'query'>,
  scan: ScanDefinition,
  organization: Organization,
): Promise<Decision> {
  if (organization.passive && scan.passive !== true) return 'passive-organization';
  const active = await client.query(
    `SELECT id FROM ${SCHEMA}.tasks WHERE scan_id = $1 AND $2 = ANY(organization_ids)
       AND status IN ('created', 'queued', 'requested', 'started') LIMIT 1`,
    [scan.id, organization.id],
  );
  if (active.rows.length > 0) return 'already-active';
  const last = await client.query<{ finished_at: number }>(
    `SELECT finished_at FROM ${SCHEMA}.tasks WHERE scan_id = $1 AND $2 = ANY(organization_ids)
       AND status IN ('finished', 'failed') AND finished_at IS NOT NULL ORDER BY finished_at DESC LIMIT 1`,
    [scan.id, organization.id],
  );
  const finishedAt = last.rows[0]?.finished_at;
  if (finishedAt !== undefined && finishedAt >= NOW - (scan.frequencySeconds as number) * 1000)
    return 'not-due';
  return 'run';
}

/** The plan's decision for a pair. */
function planDecisions(plan: SchedulePlan): Map<string, string> {
  const decisions = new Map<string, string>();
  for (const skip of plan.skipped) decisions.set(`${skip.scanId}/${skip.organizationId ?? ''}`, skip.reason);
  for (const task of plan.launch)
    for (const id of task.organizationIds) {
      const key = `${task.scanId}/${id}`;
      decisions.set(key, decisions.has(key) ? 'twice' : 'run');
    }
  return decisions;
}

/** Runs the section: returns its goal. */
export async function schedulerTick(context: TickContext): Promise<Goal[]> {
  const workload = generate();
  const pairs = [...workload.candidates.values()].reduce((sum, ids) => sum + ids.length, 0);
  return context.withFreshDatabase('tick', async (pool) => {
    await migrate(pool, { schema: SCHEMA });
    const loadStart = now();
    const tasks = await load(pool, workload);
    console.log(
      `    ${formatCount(ORGANIZATIONS)} organizations, ${SCANS} scans, ${formatCount(tasks)} tasks, ` +
        `${formatCount(pairs)} candidate pairs; loaded in ${formatMs(elapsedMs(loadStart))}`,
    );

    await tick(pool); // warm-up
    const ticks: Array<{ plan: SchedulePlan; ms: number }> = [];
    for (let i = 0; i < TICK_RUNS; i++) ticks.push(await tick(pool));
    const tickMs = median(ticks.map((t) => t.ms));
    const plan = ticks[0]?.plan as SchedulePlan;
    const decisions = planDecisions(plan);
    const decided = [...decisions.values()].filter((d) => d !== 'not-selected').length;
    context.check(decided === pairs, `the plan decides every candidate pair once`, `${decided} of ${pairs}`);
    context.check(![...decisions.values()].includes('twice'), 'no pair launched twice');
    console.log(
      `    scanplane tick: ${formatMs(tickMs)} median of ${TICK_RUNS} [${ticks.map((t) => t.ms.toFixed(0)).join(' ')}] ` +
        `(launch ${plan.launch.length}, skipped ${plan.skippedCount})`,
    );

    // Baseline on a seeded sample of pairs, from every scan in proportion to its candidates.
    const rng = mulberry32(SEED + 2).float;
    const organizationsById = new Map(workload.organizations.map((o) => [o.id, o]));
    const sample: Array<[ScanDefinition, Organization]> = [];
    for (const scan of workload.scans) {
      const ids = workload.candidates.get(scan.id) as string[];
      const share = Math.max(1, Math.round((SAMPLE_PAIRS * ids.length) / pairs));
      for (let i = 0; i < share; i++)
        sample.push([
          scan,
          organizationsById.get(ids[Math.floor(rng() * ids.length)] as string) as Organization,
        ]);
    }
    const client = await pool.connect();
    try {
      for (const [scan, organization] of sample.slice(0, 50))
        await crossfeedDecision(client, scan, organization);
      let mismatches = 0;
      const start = now();
      const answers: Decision[] = [];
      for (const [scan, organization] of sample)
        answers.push(await crossfeedDecision(client, scan, organization));
      const sampleMs = elapsedMs(start);
      sample.forEach(([scan, organization], i) => {
        if (decisions.get(`${scan.id}/${organization.id}`) !== answers[i]) mismatches++;
      });
      context.check(
        mismatches === 0,
        `Crossfeed's decision equals scanplane's on ${sample.length} sampled pairs`,
        `${mismatches} differ`,
      );
      const perPairMs = sampleMs / sample.length;
      const baselineMs = perPairMs * pairs;
      console.log(
        `    baseline: ${sample.length} pairs in ${formatMs(sampleMs)} = ${formatMs(perPairMs)} per pair (2 queries); ` +
          `× ${formatCount(pairs)} pairs = ${formatMs(baselineMs)} (${(baselineMs / 60_000).toFixed(1)} min) per tick`,
      );
      const speedup = baselineMs / tickMs;
      console.log(`    speed-up: ${speedup.toFixed(0)}× (goal ≥ 100)`);
      return [
        {
          bench: 'postgres',
          metric: 'scheduler_tick_speedup_vs_crossfeed_per_pair_queries',
          value: speedup,
          goal: 100,
          better: 'higher',
        },
      ];
    } finally {
      client.release();
    }
  });
}
