/**
 * Benchmark: scanplane's PostgreSQL task store (`@scanplane/postgres`) as a work queue, against graphile-worker
 * 0.16 doing the same job on the same PostgreSQL server, in the same process, at the same concurrency and batch size.
 *
 * Run with `pnpm bench:postgres` after building the packages (`cd packages/core && pnpm build`, then
 * `cd packages/adapters-postgres && pnpm build`): it imports the BUILT output,
 * `packages/adapters-postgres/dist/index.js` and `packages/core/dist/index.js`, like a user of the published packages
 * would. It needs a PostgreSQL server: `DATABASE_URL` (a URL) if set, else
 * `postgres://postgres@127.0.0.1:5432/postgres`, with the right to create databases. If the server does not answer,
 * the script exits 1 saying how to start it.
 *
 * STRUCTURE: the script runs the {@link SECTIONS} in order; each measures one part, checks it and returns its goal
 * lines, which are printed together, last, once every section has passed its checks. A new part is one more entry
 * in that array (see {@link Section} and {@link BenchContext}: a fresh database per run, the correctness checks).
 *
 * SECTION "queue throughput" — WORKLOAD
 * - 50,000 tasks (TASKS) without payload, enqueued in batches of BATCH = 100 by one producer, then claimed and
 *   completed by WORKERS = 8 workers in the same Node.js process, each with at most one statement in flight (at most
 *   8 claim/complete statements at once on both sides). The "work" of a task is nothing.
 * - Each run has its own fresh database (`CREATE DATABASE scanplane_bench_<pid>_<n>_<side>`, dropped afterwards, also
 *   on failure), created and migrated before the clock starts, so neither side sees the other's rows, dead tuples,
 *   statistics or cached plans. Each side gets its own `pg.Pool` of POOL_MAX = 10 connections (graphile-worker's
 *   advice: `max(10, concurrency + 2)`); both use the same `pg` module (resolved from `@scanplane/postgres`; the
 *   script checks that graphile-worker loads the very same file, and prints it).
 * - Two timed phases, like graphile-worker's own perfTest (schedule the jobs, then time their execution), but both
 *   timed: ENQUEUE, the producer alone, batch after batch, until the last batch is committed; then DRAIN, the 8
 *   workers start and claim and complete until all 50,000 are completed and the server has acknowledged the last
 *   completion. Throughput = 50,000 / (enqueue time + drain time); both phases are printed.
 * - Between the two phases, untimed, the same on both sides: `ANALYZE` of the side's database, i.e. the statistics
 *   that autovacuum gathers by itself on a server with its defaults (a table is analyzed once 50 rows + 10% of it
 *   have changed, checked every minute) and that this server, with autovacuum OFF, never gathers. Without them the
 *   planner takes a fresh table for a few dozen rows: scanplane's claim then reads and sorts EVERY queued task to
 *   pick 100 (a bitmap scan and a sort instead of the ordered partial index `tasks_queued`): measured while writing
 *   this, when the store still sent its statements unprepared (planned with their values every time), with 25,000
 *   queued, 51 ms per claim instead of 5.6 ms, and one worker draining at 645 tasks/s instead of 981;
 *   graphile-worker's `get_job` keeps its index scan either way. With this ANALYZE both sides run on the plans of a
 *   server that has statistics, as a deployment's tables do.
 *   Why not workers already running while the producer enqueues (a pipelined run)? Tried first, and rejected: idle
 *   graphile-worker workers poll the still-empty jobs table, so its prepared `get_job` statement gets PostgreSQL's
 *   generic plan for an empty table (a sequential scan), which each connection then keeps, so every job costs a scan
 *   of the whole jobs table: measured here 224 and 157 jobs/s for 50,000 (19,197 sequential scans reading 192 million
 *   rows for 20,000 jobs; its `jobs_main_index` unused; gone with `noPreparedStatements`), against ~3,400 jobs/s when
 *   the jobs exist before the workers start. On a server with autovacuum (the default) its ANALYZE of the jobs table
 *   would invalidate that plan within about a minute; this server runs with autovacuum OFF (printed in the first
 *   line), so the plan would last the whole run. That measures a PostgreSQL plan-cache hazard of graphile-worker's
 *   defaults on this server, not the two designs, so the goal uses the two phases, which neither side's plans can
 *   trip over. (scanplane's store, which prepares its statements too, was checked for the same hazard: after idle
 *   claims on the empty table its claim's generic plan still uses `tasks_queued`, 3.7 ms per claim of 100.)
 *
 * THE TWO SIDES
 * - scanplane: `migrate(pool, { schema: 'scanplane' })` and `createPostgresTaskStore({ pool, schema })` (untimed).
 *   Enqueue: `store.create(batch, { at: Date.now() })` with tasks `{ project, kind, idempotencyKey: 'k<i>' (unique),
 *   status: 'queued' }` (one transaction per batch: BEGIN, one INSERT … ON CONFLICT DO NOTHING with its history rows,
 *   the SELECT that reads the created tasks back, COMMIT). Drain: each worker loops `store.claim({ workerId, limit:
 *   BATCH, leaseMs: 300,000, at })` (one statement: FOR UPDATE SKIP LOCKED, started, history rows), then, for each
 *   claimed task in turn, `store.transition(id, { to: 'finished', from: ['started'], at, reason: 'done', owner:
 *   { workerId, attempt } })` (one guarded UPDATE with its history row; the finished row and its history stay); a
 *   worker stops at its first empty claim (every task is queued before the drain starts and none goes back).
 * - graphile-worker 0.16.6 (the current 0.16.x; root devDependency): `runMigrations({ pgPool })` (untimed). Enqueue:
 *   0.16 has no `WorkerUtils.addJobs` (it came with 0.17); its bulk path is the SQL function
 *   `graphile_worker.add_jobs(job_spec[])` ("Adding jobs through SQL" in its docs, marked experimental), called the
 *   way graphile-worker's own perfTest/init.js calls it: `select 1 from graphile_worker.add_jobs(array(select
 *   json_populate_recordset(null::graphile_worker.job_spec, $1::json)))`, once per batch of 100 specs
 *   `{ identifier: 'noop', payload: { i } }` (no `job_key`: graphile-worker's dedup is optional and unused here,
 *   while scanplane always maintains its idempotency index; this favours graphile-worker). Drain: `run({ pgPool,
 *   concurrency: 8, pollInterval: 10, noHandleSignals: true, taskList: { noop }, crontab: '' })`; the drain clock
 *   starts when `run()` has resolved (its start-up, a migration check and LISTEN, is printed but not timed; the
 *   script checks that no job started before), and stops at the 50,000th `job:complete` event, which a worker emits
 *   after its `complete_job` DELETE returned. The handler does nothing but count its call. Configuration, and why:
 *   * concurrency 8 = 8 workers, each running one job at a time: the same number of in-flight statements as
 *     scanplane's 8 workers. 0.16 fetches ONE job per `get_job` query and completes it with one DELETE; batched
 *     fetching (`localQueue`) and batched completion (`completeJobBatchDelay`) are opt-in features of 0.17+
 *     (graphile/worker#474), not in 0.16. So the batch size applies to its enqueue only.
 *   * pollInterval 10 ms (default 2,000): it only matters when a worker finds no job, which here happens at the very
 *     end; a short interval keeps a spurious empty result from costing 2 s. LISTEN/NOTIFY wake-ups (always on in
 *     0.16) do not matter either: every job exists before the runner starts.
 *   * useNodeTime false (the default, recommended): `now()` of PostgreSQL; preparedStatements true (the default, and
 *     harmless here: the first plans are made with the jobs in the table); no cron (`crontab: ''`); its logger keeps
 *     warnings and errors only, and `NO_LOG_SUCCESS=1` is set, as in graphile-worker's own perfTest, so it does not
 *     log a line per job (scanplane logs nothing either).
 *
 * CORRECTNESS (the script exits 1, printing no goal line, if any check fails; every run is checked, warm-ups
 * included)
 * - scanplane: every batch created in full (no `existing`); every task claimed exactly once (by index, across
 *   workers) at attempt 1 and moved to `finished` exactly once (every transition returned `finished`); at the end
 *   `store.count` says finished = TASKS and every other status 0; the table holds TASKS rows with TASKS distinct
 *   keys, and the history TASKS `queued`, TASKS `started` and TASKS `finished` entries, each over TASKS distinct
 *   tasks.
 * - graphile-worker: `add_jobs` returned TASKS rows; no job started before the drain clock; the handler ran exactly
 *   once per job (per payload index), TASKS times in all; TASKS `job:complete` events, no `job:error`, no LISTEN
 *   error; after the runner stopped, its jobs table (`graphile_worker._private_jobs`) is empty.
 * - Both: no pool error.
 *
 * METRIC (one JSON goal line, printed last; a missed goal is reported, not an error)
 * - throughput_ratio_vs_graphile_worker: the median, over ROUNDS = 5 rounds, of (scanplane tasks/s ÷ graphile-worker
 *   tasks/s) in that round. Before the rounds, one untimed, checked warm-up run of each side on WARMUP_TASKS = 2,000
 *   tasks. Each round runs both sides once, in alternating order (scanplane then graphile-worker; then the other way
 *   round), each after a settled heap (forced full GCs) and in a fresh database. Goal: at least 1.
 * Also printed per run (reference only): both phases and their rates, round trips per task (statements sent: for
 * scanplane 4 per create, 1 per claim, 1 per transition; for graphile-worker 1 per `add_jobs`, 1 per `get_job`, 1
 * per completion), the mean latency of scanplane's create, claim and transition calls, this process's CPU time and
 * the CPU time of everything else on the machine (mostly the PostgreSQL backends).
 *
 * NOISE: this machine has 2 cores, shared by this process (the producer or the 8 workers, and the `pg` driver, on one
 * JavaScript thread) and the PostgreSQL backends; other processes on the machine (other engineers' builds and tests)
 * take from the same 2 cores, so per-round times are printed to judge the spread, and the ratio is taken within a
 * round, whose two runs are close in time. While this was written the load average stood at 3 to 5 from other
 * work, and one side's run time moved by up to 2× between rounds (graphile-worker's from 17 s to 39 s): the rounds'
 * ratios spread from 0.82 to 1.52 over three runs of the same build, whose medians were 1.14 to 1.34. The server
 * runs as configured (printed): here `synchronous_commit = on`, so every commit waits for its WAL flush, and
 * autovacuum off, so neither side's dead rows are vacuumed during a run. Creating and dropping the databases is not
 * timed.
 */
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  run as graphileRun,
  Logger,
  type RunnerOptions,
  runMigrations,
  type TaskList,
  type WorkerEvents,
} from 'graphile-worker';
import { createPostgresTaskStore, migrate } from '../packages/adapters-postgres/dist/index.js';
import type { NewTask, TaskStatus } from '../packages/core/dist/index.js';
import { schedulerTick } from './postgres-scheduler-tick.js';
import {
  createChecks,
  elapsedMs,
  formatCount,
  formatMs,
  type Goal,
  median,
  meetsGoal,
  now,
  printGoal,
  settleHeap,
} from './support/measure.js';

// graphile-worker logs one info line per completed job unless this is set (its own perfTest sets it too).
process.env['NO_LOG_SUCCESS'] = '1';

const BENCH = 'postgres';
const DEFAULT_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
const START_HINT = 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start';
const TASKS = 50_000;
const WARMUP_TASKS = 2_000;
const ROUNDS = 5;
const WORKERS = 8;
const BATCH = 100;
/** graphile-worker's advice for its pool: max(10, concurrency + 2); both sides get the same. */
const POOL_MAX = Math.max(10, WORKERS + 2);
/** graphile-worker's pollInterval (see the header). */
const GRAPHILE_POLL_MS = 10;
const LEASE_MS = 300_000;
const SCHEMA = 'scanplane';
const PROJECT = 'bench';
const KIND = 'noop';
const GRAPHILE_TASK = 'noop';
/** Statements per `store.create` of one batch: BEGIN, INSERT (with history), SELECT created rows, COMMIT. */
const STATEMENTS_PER_CREATE = 4;
/** Above this many seconds per 50,000-task run the section says so (nothing is reduced). */
const SLOW_RUN_MS = 120_000;

// ---------------------------------------------------------------------------------------------------------------
// pg, through @scanplane/postgres (the root package does not depend on it; graphile-worker loads the same file)
// ---------------------------------------------------------------------------------------------------------------

/** A `pg.Pool`, typed through graphile-worker's own `@types/pg`. */
type PgPool = NonNullable<RunnerOptions['pgPool']>;
interface PgModule {
  Pool: new (config: {
    connectionString: string;
    max: number;
    connectionTimeoutMillis?: number;
    application_name?: string;
  }) => PgPool;
}
const fromAdapter = createRequire(new URL('../packages/adapters-postgres/package.json', import.meta.url));
const fromGraphile = createRequire(createRequire(import.meta.url).resolve('graphile-worker'));
const pg = fromAdapter('pg') as PgModule;
const pgVersion = (
  JSON.parse(readFileSync(fromAdapter.resolve('pg/package.json'), 'utf8')) as { version: string }
).version;
const samePg = fromAdapter.resolve('pg') === fromGraphile.resolve('pg');

// ---------------------------------------------------------------------------------------------------------------
// Sections: the extension point
// ---------------------------------------------------------------------------------------------------------------

/** What every section gets from `main()`. */
export interface BenchContext {
  /** The server's URL: `DATABASE_URL`, or the default. */
  readonly serverUrl: string;
  /**
   * Creates an empty database on the server, runs `work` with a pool of POOL_MAX connections to it, then ends the
   * pool and drops the database (also when `work` throws). `label` ends up in the database's name.
   */
  withFreshDatabase<T>(label: string, work: (pool: PgPool) => Promise<T>): Promise<T>;
  /** Records one correctness check (printed; a failed one stops the script before any goal line). */
  check(ok: boolean, what: string, detail?: string): void;
}

/** One part of the benchmark. */
export interface Section {
  /** A short title, printed before the section's output. */
  readonly name: string;
  /** Measures and checks (with `context.check`); returns its goals, printed after every section has run. */
  run(context: BenchContext): Promise<Goal[]>;
}

// ---------------------------------------------------------------------------------------------------------------
// Measuring helpers
// ---------------------------------------------------------------------------------------------------------------

const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

/** Busy CPU time of the whole machine so far, in ms (from /proc/stat; NaN where there is none). */
function machineCpuMs(): number {
  try {
    const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '')
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    // user nice system idle iowait irq softirq steal …, in USER_HZ (100 per second on Linux)
    const busy = fields.slice(0, 8).reduce((sum, value, i) => (i === 3 || i === 4 ? sum : sum + value), 0);
    return busy * 10;
  } catch {
    return Number.NaN;
  }
}

/** This process's CPU time so far (user + system, all threads), in ms. */
function processCpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/** A mean call latency, accumulated without allocating. */
class Latency {
  calls = 0;
  totalMs = 0;
  add(start: bigint): void {
    this.calls++;
    this.totalMs += elapsedMs(start);
  }
  get meanMs(): number {
    return this.calls === 0 ? 0 : this.totalMs / this.calls;
  }
}

/** The result of one side's run. */
interface SideRun {
  /** Enqueue + drain. */
  ms: number;
  /** From the first batch to the commit of the last. */
  enqueueMs: number;
  /** From the workers' start to the last acknowledged completion. */
  drainMs: number;
  /** Statements sent per task (see the header). */
  roundTripsPerTask: number;
  /** This process's CPU time during both phases (not the ANALYZE between them). */
  processCpuMs: number;
  /** The CPU time of the rest of the machine during both phases (mostly PostgreSQL). */
  otherCpuMs: number;
  /** Extra detail for the run line. */
  detail: string;
}

/** Starts counting CPU time; the function returned stops and reports it. */
function startCpu(): () => { processCpuMs: number; otherCpuMs: number } {
  const process0 = processCpuMs();
  const machine0 = machineCpuMs();
  return () => {
    const own = processCpuMs() - process0;
    return { processCpuMs: own, otherCpuMs: machineCpuMs() - machine0 - own };
  };
}

function addCpu(
  a: { processCpuMs: number; otherCpuMs: number },
  b: { processCpuMs: number; otherCpuMs: number },
): { processCpuMs: number; otherCpuMs: number } {
  return { processCpuMs: a.processCpuMs + b.processCpuMs, otherCpuMs: a.otherCpuMs + b.otherCpuMs };
}

/** `ANALYZE` of the whole (fresh, one-side) database, between the phases; returns its time in ms. */
async function analyze(pool: PgPool): Promise<number> {
  const start = now();
  await pool.query('ANALYZE');
  return elapsedMs(start);
}

const taskRate = (tasks: number, ms: number): string =>
  `${formatCount(Math.round(tasks / (ms / 1000)))} tasks/s`;

/** How many entries of a per-task counter are not exactly 1. */
function notExactlyOnce(counts: Uint8Array): number {
  let wrong = 0;
  for (const count of counts) if (count !== 1) wrong++;
  return wrong;
}

// ---------------------------------------------------------------------------------------------------------------
// Section "queue throughput": scanplane's side
// ---------------------------------------------------------------------------------------------------------------

async function runScanplane(context: BenchContext, pool: PgPool, tasks: number): Promise<SideRun> {
  await migrate(pool, { schema: SCHEMA });
  const store = createPostgresTaskStore({ pool, schema: SCHEMA });
  const claimedTimes = new Uint8Array(tasks);
  const finishedTimes = new Uint8Array(tasks);
  const indexOf = (key: string): number => Number(key.slice(1));
  const creates = new Latency();
  const claims = new Latency();
  const transitions = new Latency();
  let created = 0;
  let existing = 0;
  let notFirstAttempt = 0;
  let notFinished = 0;

  const worker = async (workerId: string): Promise<void> => {
    for (;;) {
      const claimStart = now();
      const claimed = await store.claim({ workerId, limit: BATCH, leaseMs: LEASE_MS, at: Date.now() });
      claims.add(claimStart);
      // Every task was queued before the drain started, and none goes back: an empty claim means done.
      if (claimed.length === 0) return;
      for (const task of claimed) {
        const i = indexOf(task.idempotencyKey);
        claimedTimes[i] = (claimedTimes[i] as number) + 1;
        if (task.attempt !== 1) notFirstAttempt++;
        const start = now();
        const done = await store.transition(task.id, {
          to: 'finished',
          from: ['started'],
          at: Date.now(),
          reason: 'done',
          owner: { workerId, attempt: task.attempt },
        });
        transitions.add(start);
        if (done.status === 'finished') finishedTimes[i] = (finishedTimes[i] as number) + 1;
        else notFinished++;
      }
    }
  };

  const enqueueCpu = startCpu();
  const enqueueStart = now();
  for (let first = 0; first < tasks; first += BATCH) {
    const batch: NewTask[] = [];
    for (let i = first; i < Math.min(tasks, first + BATCH); i++) {
      batch.push({ project: PROJECT, kind: KIND, idempotencyKey: `k${i}`, status: 'queued' });
    }
    const start = now();
    const result = await store.create(batch, { at: Date.now() });
    creates.add(start);
    created += result.created.length;
    existing += result.existing.length;
  }
  const enqueueMs = elapsedMs(enqueueStart);
  const enqueueUsed = enqueueCpu();
  const analyzeMs = await analyze(pool);
  const drainCpu = startCpu();
  const drainStart = now();
  await Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(`worker-${w}`)));
  const drainMs = elapsedMs(drainStart);
  const used = addCpu(enqueueUsed, drainCpu());

  // Checks (untimed).
  context.check(
    created === tasks && existing === 0,
    `scanplane: ${formatCount(created)} tasks created`,
    `${formatCount(existing)} existing`,
  );
  const claimedWrong = notExactlyOnce(claimedTimes);
  const finishedWrong = notExactlyOnce(finishedTimes);
  context.check(
    claimedWrong === 0 && finishedWrong === 0 && notFirstAttempt === 0 && notFinished === 0,
    'scanplane: every task claimed once (attempt 1) and moved to finished once',
    claimedWrong + finishedWrong + notFirstAttempt + notFinished === 0
      ? ''
      : `${claimedWrong} not claimed exactly once, ${finishedWrong} not finished exactly once, ` +
          `${notFirstAttempt} claimed at another attempt, ${notFinished} transitions not to finished`,
  );
  const counts = await store.count({ project: PROJECT });
  const others = (Object.entries(counts) as [TaskStatus, number][]).filter(
    ([status, n]) => status !== 'finished' && n !== 0,
  );
  context.check(
    counts.finished === tasks && others.length === 0,
    `scanplane: store.count finished = ${formatCount(counts.finished)}`,
    others.map(([status, n]) => `${status} ${n}`).join(', '),
  );
  const [rows] = (
    await pool.query<{ rows: number; keys: number }>(
      `SELECT count(*)::int AS rows, count(DISTINCT idempotency_key)::int AS keys FROM ${SCHEMA}.tasks`,
    )
  ).rows;
  const history = (
    await pool.query<{ to_status: string; n: number; tasks: number }>(
      `SELECT to_status, count(*)::int AS n, count(DISTINCT task_id)::int AS tasks FROM ${SCHEMA}.task_history
       GROUP BY to_status ORDER BY to_status`,
    )
  ).rows;
  const historyOk =
    history.length === 3 &&
    ['finished', 'queued', 'started'].every((status) =>
      history.some((h) => h.to_status === status && h.n === tasks && h.tasks === tasks),
    );
  context.check(
    rows?.rows === tasks && rows.keys === tasks && historyOk,
    `scanplane: ${formatCount(rows?.rows ?? 0)} rows, ${formatCount(rows?.keys ?? 0)} distinct keys; history ` +
      history.map((h) => `${h.to_status} ${formatCount(h.n)} (${formatCount(h.tasks)} tasks)`).join(', '),
  );

  const roundTrips = creates.calls * STATEMENTS_PER_CREATE + claims.calls + transitions.calls;
  return {
    ms: enqueueMs + drainMs,
    enqueueMs,
    drainMs,
    roundTripsPerTask: roundTrips / tasks,
    ...used,
    detail:
      `mean latency: create ${formatMs(creates.meanMs)} (${formatCount(creates.calls)} calls), claim ` +
      `${formatMs(claims.meanMs)} (${formatCount(claims.calls)}), transition ${formatMs(transitions.meanMs)} ` +
      `(${formatCount(transitions.calls)}); transitions ${Math.round((100 * transitions.totalMs) / WORKERS / drainMs)}% ` +
      `of the drain, claims ${Math.round((100 * claims.totalMs) / WORKERS / drainMs)}%; ANALYZE ` +
      `${formatMs(analyzeMs)} (not timed)`,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Section "queue throughput": graphile-worker's side
// ---------------------------------------------------------------------------------------------------------------

const ADD_JOBS =
  'select 1 from graphile_worker.add_jobs(array(select json_populate_recordset(null::graphile_worker.job_spec, $1::json)))';

/** graphile-worker's logger: warnings and errors only (it logs at info level per job otherwise). */
const graphileLogger = new Logger(() => (level, message) => {
  if (String(level) === 'error' || String(level) === 'warning')
    console.error(`  [graphile-worker ${level}] ${message}`);
});

async function runGraphile(context: BenchContext, pool: PgPool, tasks: number): Promise<SideRun> {
  await runMigrations({ pgPool: pool, logger: graphileLogger });
  const invocations = new Uint8Array(tasks);
  let handled = 0;
  let started = 0;
  let completed = 0;
  let jobErrors = 0;
  let getJobs = 0;
  let emptyGetJobs = 0;
  let listenErrors = 0;
  let allCompleted: () => void = () => undefined;
  const done = new Promise<void>((resolveDone) => {
    allCompleted = resolveDone;
  });
  const events = new EventEmitter() as WorkerEvents;
  events.on('job:start', () => {
    started++;
  });
  events.on('job:complete', ({ error }) => {
    if (error !== null && error !== undefined) jobErrors++;
    if (++completed === tasks) allCompleted();
  });
  events.on('job:error', () => {
    jobErrors++;
  });
  events.on('worker:getJob:start', () => {
    getJobs++;
  });
  events.on('worker:getJob:empty', () => {
    emptyGetJobs++;
  });
  events.on('pool:listen:error', () => {
    listenErrors++;
  });
  const taskList: TaskList = {
    [GRAPHILE_TASK]: (payload) => {
      const i = (payload as { i: number }).i;
      invocations[i] = (invocations[i] as number) + 1;
      handled++;
    },
  };

  const enqueueCpu = startCpu();
  const enqueueStart = now();
  let added = 0;
  let addCalls = 0;
  for (let first = 0; first < tasks; first += BATCH) {
    const specs: { identifier: string; payload: { i: number } }[] = [];
    for (let i = first; i < Math.min(tasks, first + BATCH); i++) {
      specs.push({ identifier: GRAPHILE_TASK, payload: { i } });
    }
    const result = await pool.query(ADD_JOBS, [JSON.stringify(specs)]);
    addCalls++;
    added += result.rowCount ?? 0;
  }
  const enqueueMs = elapsedMs(enqueueStart);
  const enqueueUsed = enqueueCpu();
  const analyzeMs = await analyze(pool);

  const startupCpu = startCpu();
  const startupStart = now();
  const runner = await graphileRun({
    pgPool: pool,
    concurrency: WORKERS,
    pollInterval: GRAPHILE_POLL_MS,
    noHandleSignals: true,
    taskList,
    crontab: '',
    logger: graphileLogger,
    events,
  });
  try {
    const startupMs = elapsedMs(startupStart);
    const startedBeforeClock = started;
    const drainStart = now();
    await done;
    const drainMs = elapsedMs(drainStart);
    const used = addCpu(enqueueUsed, startupCpu());
    const countedGetJobs = getJobs;
    const countedEmpty = emptyGetJobs;
    await runner.stop();

    // Checks (untimed).
    context.check(added === tasks, `graphile-worker: ${formatCount(added)} jobs added`);
    context.check(
      startedBeforeClock === 0,
      'graphile-worker: no job started before the drain clock',
      `${startedBeforeClock} had`,
    );
    const wrong = notExactlyOnce(invocations);
    context.check(
      wrong === 0 && handled === tasks && completed === tasks && jobErrors === 0 && listenErrors === 0,
      `graphile-worker: handler ran once per job (${formatCount(handled)} calls), ` +
        `${formatCount(completed)} job:complete events`,
      wrong + jobErrors + listenErrors === 0
        ? ''
        : `${wrong} jobs not run exactly once, ${jobErrors} job errors, ${listenErrors} LISTEN errors`,
    );
    const [left] = (
      await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM graphile_worker._private_jobs')
    ).rows;
    context.check(left?.n === 0, `graphile-worker: jobs table empty after the run (${left?.n ?? '?'} rows)`);

    return {
      ms: enqueueMs + drainMs,
      enqueueMs,
      drainMs,
      roundTripsPerTask: (addCalls + countedGetJobs + completed) / tasks,
      ...used,
      detail:
        `${formatCount(addCalls)} add_jobs calls, ${formatCount(countedGetJobs)} get_job queries ` +
        `(${formatCount(countedEmpty)} empty); ANALYZE ${formatMs(analyzeMs)}, runner start-up ` +
        `${formatMs(startupMs)} (not timed)`,
    };
  } finally {
    await runner.stop().catch(() => undefined);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Section "queue throughput": rounds and goal
// ---------------------------------------------------------------------------------------------------------------

type Side = 'scanplane' | 'graphile-worker';

async function runSide(context: BenchContext, side: Side, tasks: number): Promise<SideRun> {
  await settleHeap();
  return context.withFreshDatabase(side === 'scanplane' ? 'scanplane' : 'graphile', (pool) =>
    side === 'scanplane' ? runScanplane(context, pool, tasks) : runGraphile(context, pool, tasks),
  );
}

function runLine(side: Side, tasks: number, result: SideRun): string {
  return (
    `${side.padEnd(15)} ${formatMs(result.ms).padStart(9)} = ${taskRate(tasks, result.ms).padStart(13)}: enqueue ` +
    `${formatMs(result.enqueueMs)} (${taskRate(tasks, result.enqueueMs)}) + drain ${formatMs(result.drainMs)} ` +
    `(${taskRate(tasks, result.drainMs)}); ${result.roundTripsPerTask.toFixed(2)} round trips/task; CPU this ` +
    `process ${formatMs(result.processCpuMs)}, rest of machine ${formatMs(result.otherCpuMs)}\n` +
    `        ${result.detail}`
  );
}

async function queueThroughput(context: BenchContext): Promise<Goal[]> {
  console.log(
    `${formatCount(TASKS)} tasks: enqueue in batches of ${BATCH} by one producer, then drain by ${WORKERS} workers ` +
      `(scanplane claims ${BATCH} at a time; graphile-worker 0.16 takes one job per query); pool of ${POOL_MAX} ` +
      `connections per side; ${ROUNDS} rounds in alternating order, every run in a fresh database`,
  );
  console.log(`\nwarm-up (${formatCount(WARMUP_TASKS)} tasks each, untimed):`);
  for (const side of ['scanplane', 'graphile-worker'] as const) {
    const result = await runSide(context, side, WARMUP_TASKS);
    console.log(`    ${runLine(side, WARMUP_TASKS, result)}`);
  }

  const runs: Record<Side, SideRun[]> = { scanplane: [], 'graphile-worker': [] };
  const ratios: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const order: Side[] =
      round % 2 === 0 ? ['scanplane', 'graphile-worker'] : ['graphile-worker', 'scanplane'];
    console.log(`\nround ${round + 1} (${order.join(', then ')}):`);
    const results = {} as Record<Side, SideRun>;
    for (const side of order) {
      results[side] = await runSide(context, side, TASKS);
      console.log(`    ${runLine(side, TASKS, results[side])}`);
      runs[side].push(results[side]);
    }
    // (TASKS / scanplane ms) / (TASKS / graphile-worker ms)
    const ratio = results['graphile-worker'].ms / results.scanplane.ms;
    ratios.push(ratio);
    console.log(`    throughput ratio scanplane / graphile-worker: ${ratio.toFixed(2)}`);
  }

  const ratio = median(ratios);
  const list = (values: number[]): string => values.map((ms) => ms.toFixed(0)).join(' ');
  console.log(`\nresults (median of ${ROUNDS} rounds; runs in ms in brackets):`);
  for (const side of ['scanplane', 'graphile-worker'] as const) {
    const total = runs[side].map((r) => r.ms);
    const enqueue = runs[side].map((r) => r.enqueueMs);
    const drain = runs[side].map((r) => r.drainMs);
    console.log(
      `  ${`${side}:`.padEnd(16)} ${formatMs(median(total))} [${list(total)}] = ${taskRate(TASKS, median(total))}; ` +
        `enqueue ${formatMs(median(enqueue))} [${list(enqueue)}] = ${taskRate(TASKS, median(enqueue))}; ` +
        `drain ${formatMs(median(drain))} [${list(drain)}] = ${taskRate(TASKS, median(drain))}`,
    );
  }
  const spMs = median(runs.scanplane.map((r) => r.ms));
  const gwMs = median(runs['graphile-worker'].map((r) => r.ms));
  console.log(
    `  throughput ratio scanplane / graphile-worker: median of the rounds' ratios ${ratio.toFixed(2)} (goal ≥ 1) ` +
      `[${ratios.map((r) => r.toFixed(2)).join(' ')}]; ratio of the medians ${(gwMs / spMs).toFixed(2)}`,
  );
  const slowest = Math.max(...runs.scanplane.map((r) => r.ms));
  if (slowest > SLOW_RUN_MS) {
    console.log(
      `  NOTE: a scanplane run took ${formatMs(slowest)} for ${formatCount(TASKS)} tasks, over ` +
        `${formatMs(SLOW_RUN_MS)} (nothing was reduced; the mean latencies above say what dominates)`,
    );
  }
  return [
    { bench: BENCH, metric: 'throughput_ratio_vs_graphile_worker', value: ratio, goal: 1, better: 'higher' },
  ];
}

// ---------------------------------------------------------------------------------------------------------------
// The sections, in order. EXTENSION POINT: a new part of this benchmark is one more entry here; its goal lines are
// printed after those of the sections before it.
// ---------------------------------------------------------------------------------------------------------------

export const SECTIONS: Section[] = [
  { name: 'queue throughput', run: queueThroughput },
  { name: 'scheduler tick', run: (context) => schedulerTick(context) },
];

// ---------------------------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------------------------

const { check, stopIfFailed } = createChecks('      ');

/** The URL without its password, for messages. */
function redacted(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(DATABASE_URL, not a URL)';
  }
}

async function main(): Promise<void> {
  const started = now();
  const serverUrl = process.env['DATABASE_URL'] || DEFAULT_URL;
  let base: URL;
  try {
    base = new URL(serverUrl);
  } catch {
    console.error('DATABASE_URL must be a URL, e.g. postgres://postgres@127.0.0.1:5432/postgres');
    process.exit(1);
  }
  const admin = new pg.Pool({
    connectionString: serverUrl,
    max: 1,
    connectionTimeoutMillis: 5_000,
    application_name: 'scanplane-bench',
  });
  admin.on('error', () => undefined);
  let server: string;
  try {
    const { rows } = await admin.query<{ name: string; setting: string }>(
      `SELECT name, setting FROM pg_settings
       WHERE name IN ('server_version', 'autovacuum', 'synchronous_commit', 'shared_buffers', 'max_connections')
       ORDER BY name`,
    );
    const setting = new Map(rows.map((row) => [row.name, row.setting]));
    server =
      `PostgreSQL ${setting.get('server_version') ?? '?'} (autovacuum ${setting.get('autovacuum') ?? '?'}, ` +
      `synchronous_commit ${setting.get('synchronous_commit') ?? '?'}, shared_buffers ` +
      `${setting.get('shared_buffers') ?? '?'} × 8 kB, max_connections ${setting.get('max_connections') ?? '?'})`;
  } catch (error) {
    console.error(
      `PostgreSQL does not answer at ${redacted(serverUrl)}: ${(error as Error).message}\n` +
        `Start it with \`${START_HINT}\`, or point DATABASE_URL at a server where this user may create databases.`,
    );
    await admin.end().catch(() => undefined);
    process.exit(1);
  }

  // Databases this process created and has not dropped yet (dropped on Ctrl-C too).
  const live = new Set<string>();
  let sequence = 0;
  const drop = async (name: string, waitForSessions = true): Promise<void> => {
    // pool.end() does not wait for the server to close the sessions: wait for them (up to 5 s), so that the
    // FORCE below terminates none of them (which would surface as a connection error), then drop.
    for (let waited = 0; waitForSessions && waited < 5_000; waited += 10) {
      const open = await admin.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1',
        [name],
      );
      if (open.rows[0]?.n === 0) break;
      await sleep(10);
    }
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    live.delete(name);
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`\n${signal}: dropping ${live.size} benchmark database(s)`);
      void Promise.allSettled([...live].map((name) => drop(name, false))).finally(() => process.exit(130));
    });
  }

  const context: BenchContext = {
    serverUrl,
    async withFreshDatabase(label, work) {
      const name = `scanplane_bench_${process.pid}_${++sequence}_${label}`;
      await admin.query(`CREATE DATABASE "${name}"`);
      live.add(name);
      const url = new URL(base);
      url.pathname = `/${name}`;
      const pool = new pg.Pool({
        connectionString: url.toString(),
        max: POOL_MAX,
        application_name: 'scanplane-bench',
      });
      pool.on('error', (error) => {
        check(false, `pool error on ${name}`, error.message);
      });
      try {
        return await work(pool);
      } finally {
        await pool.end().catch(() => undefined);
        await drop(name);
      }
    },
    check,
  };

  console.log(
    `postgres benchmark — node ${process.version}; ${server} at ${redacted(serverUrl)}; ` +
      `pg ${pgVersion} (${samePg ? 'the same module for both sides' : 'NOT the module graphile-worker loads'})`,
  );
  const goals: Goal[] = [];
  try {
    for (const section of SECTIONS) {
      console.log(`\n== ${section.name} ==`);
      goals.push(...(await section.run(context)));
      stopIfFailed();
    }
  } finally {
    await Promise.allSettled([...live].map((name) => drop(name)));
    await admin.end().catch(() => undefined);
  }

  console.log(`\ngoals (total run time ${formatMs(elapsedMs(started))}):`);
  for (const goal of goals) console.log(`  ${meetsGoal(goal) ? 'met   ' : 'MISSED'} ${goal.metric}`);
  for (const goal of goals) printGoal(goal);
}

// Run only as a script, so the sections can be imported.
if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main();
}
