/**
 * Benchmark: the cost of Falcoria Tasker's HTTP API (`examples/tasker-service`) over calling the library it wraps.
 * The same submission — 10,000 targets — goes once through the API (a real listening Fastify server on 127.0.0.1
 * and a real HTTP client, Node's `fetch`) and once straight to `orchestrator.submit`, in one run, on the same
 * PostgreSQL and RabbitMQ, through the very same orchestrator, store and queue.
 *
 * Run with `pnpm bench:service` (`node --expose-gc --max-old-space-size=4096 --import tsx bench/service.bench.ts`)
 * after `pnpm build` (the service imports the packages' built `dist`). It needs PostgreSQL (`DATABASE_URL`, else
 * `postgres://postgres@127.0.0.1:5432/postgres`) and RabbitMQ (`AMQP_URL`, else `amqp://guest:guest@127.0.0.1:5672`);
 * if either does not answer, the script exits 1 saying how to start it. It uses its own schemas
 * (`tasker_bench_<random>` and `…_svc`) and queue prefix (`tasker-bench-<random>`), and removes them at the end.
 *
 * WORKLOAD — one submission of TARGETS = 10,000 addresses written out one by one (`127.50.x.y`, all loopback; no
 * scan runs: the service has no worker), ports `80`, kind `tcp-connect`: 10,000 entries parsed, prepared and
 * deduplicated, 10,000 tasks created in PostgreSQL (batches of 1,000) and 10,000 messages published to RabbitMQ with
 * publisher confirms. Each submission goes to a project of its own (`bench-<side>-<round>`), created untimed, so
 * dedup never refuses anything.
 * - API side: `POST /tasks/{project}/run` with a project token and the body `{"targets":[…10,000…],"ports":"80"}`;
 *   the clock runs from before `JSON.stringify` of the body to the end of reading the JSON answer. What it adds to
 *   the library call: the client's encoding, HTTP on loopback, the token check (one indexed query), Fastify's JSON
 *   parsing and schema validation (ajv over 10,000 strings), the service's strict entry check (every entry parsed
 *   once before the submission parses it again), and the answer's serialisation.
 * - Library side: `orchestrator.submit(project, entries, { ports: '80', kind: 'tcp-connect', maxAddresses: 65536 })`,
 *   the options the API derives from that body; the clock runs around the call.
 * - Between submissions, untimed: the created tasks are counted (exactly 10,000, all `queued`), the work queue is
 *   purged (exactly 10,000 messages: none lost, none duplicated), the store's tasks are truncated, and a forced GC
 *   runs. A warm-up pair (one submission per side) comes first and is checked but not timed.
 * - ROUNDS = 8 rounds, the order of the two sides alternating from round to round (the second side of a round meets
 *   a busier PostgreSQL: the first side's WAL is still being written). The rounds are taken in pairs, each side
 *   first once; a pair's ratio is the API's time over the library's, summed over its two rounds.
 *
 * METRIC — `http_overhead_ratio` = median over the pairs of (API time / library time) − 1: the share of the work a
 * submission through the API costs on top of the same submission through the library (0.10 = 10% slower). Goal: at
 * most 0.25.
 *
 * OUTPUT — progress lines, then exactly one JSON line:
 * `{"bench":"service","metric":"http_overhead_ratio","value":…,"goal":0.25,"better":"lower"}`; no goal line is
 * printed if any check fails (exit 1).
 */
import { randomBytes } from 'node:crypto';
import amqplib from 'amqplib';
import { startTaskerService, type TaskerService } from '../examples/tasker-service/src/service.js';
import { createChecks, elapsedMs, formatMs, median, now, printGoal, requireGc } from './support/measure.js';

const TARGETS = 10_000;
const ROUNDS = 8;
const PORTS = '80';
const databaseUrl = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const amqpUrl = process.env['AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';
const id = randomBytes(4).toString('hex');
const names = {
  storeSchema: `tasker_bench_${id}`,
  serviceSchema: `tasker_bench_${id}_svc`,
  queuePrefix: `tasker-bench-${id}`,
};
const gc = requireGc();
const { check, stopIfFailed } = createChecks('    ');

/** The 10,000 entries, written out one by one. */
const entries = Array.from({ length: TARGETS }, (_, i) => `127.50.${i >> 8}.${i & 255}`);

let service: TaskerService;
try {
  service = await startTaskerService({
    databaseUrl,
    amqpUrl,
    ...names,
    kinds: ['tcp-connect'],
    workers: 0,
    dashboard: false,
    requireWorkers: false,
    bodyLimit: 16 * 1024 * 1024,
  });
} catch (error) {
  console.error(
    `the service could not start (${(error as Error).message}).\n` +
      'Is PostgreSQL running (DATABASE_URL, default 127.0.0.1:5432; `pg_ctlcluster 15 main start`) and RabbitMQ ' +
      '(AMQP_URL, default 127.0.0.1:5672; `rabbitmq-server -detached`)?',
  );
  process.exit(1);
}
const url = await service.listen({ port: 0 });
const { orchestrator, store, queue, tokens } = service;
const s = `"${names.storeSchema}"`;
const broker = await amqplib.connect(amqpUrl);
const channel = await broker.createChannel();
const workQueue = queue.topology.workQueue('tcp-connect');

console.log(`bench:service — ${url}, Node ${process.version}, PostgreSQL and RabbitMQ on loopback`);
console.log(
  `  ${TARGETS.toLocaleString('en-US')} targets per submission, ${ROUNDS} rounds in alternating order`,
);

/** One submission through the API; returns its time. */
async function viaApi(project: string): Promise<number> {
  const { token } = await tokens.createToken(project);
  const start = now();
  const response = await fetch(`${url}/tasks/${project}/run`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ targets: entries, ports: PORTS }),
  });
  const answer = (await response.json()) as { tasks?: { created?: number } };
  const ms = elapsedMs(start);
  check(
    response.status === 200 && answer.tasks?.created === TARGETS,
    `API ${project}: 200 with ${TARGETS} tasks created`,
    `status ${response.status}, created ${answer.tasks?.created}`,
  );
  return ms;
}

/** One submission through the library; returns its time. */
async function viaLibrary(project: string): Promise<number> {
  const start = now();
  const result = await orchestrator.submit(project, entries, {
    ports: PORTS,
    kind: 'tcp-connect',
    maxAddresses: 65_536,
  });
  const ms = elapsedMs(start);
  check(
    result.summary.tasks === TARGETS,
    `library ${project}: ${TARGETS} tasks created`,
    `${result.summary.tasks}`,
  );
  return ms;
}

/** Untimed: every task accounted for (in the store and in the queue), then everything cleared. */
async function settle(project: string): Promise<void> {
  const counts = await store.count({ project });
  check(counts.queued === TARGETS, `${project}: ${TARGETS} tasks queued in PostgreSQL`, `${counts.queued}`);
  const { messageCount } = await channel.purgeQueue(workQueue);
  check(messageCount === TARGETS, `${project}: ${TARGETS} messages in RabbitMQ`, `${messageCount}`);
  await store.pool.query(`TRUNCATE ${s}.tasks CASCADE`);
  await store.pool.query(`ANALYZE ${s}.tasks`);
  gc();
}

const sides = { api: viaApi, library: viaLibrary };
type Side = keyof typeof sides;

const ratios: number[] = [];
try {
  console.log('  warm-up');
  for (const side of ['api', 'library'] as Side[]) {
    await sides[side](`bench-${side}-warmup`);
    await settle(`bench-${side}-warmup`);
  }
  let pair = { api: 0, library: 0 };
  for (let round = 0; round < ROUNDS; round++) {
    const order: Side[] = round % 2 === 0 ? ['api', 'library'] : ['library', 'api'];
    const times = { api: 0, library: 0 };
    for (const side of order) {
      const project = `bench-${side}-${round + 1}`;
      times[side] = await sides[side](project);
      await settle(project);
    }
    console.log(
      `  round ${round + 1} (${order.join(' first, ')} second): API ${formatMs(times.api)}, library ${formatMs(times.library)}`,
    );
    pair = { api: pair.api + times.api, library: pair.library + times.library };
    if (round % 2 === 1) {
      ratios.push(pair.api / pair.library);
      console.log(`  pair ${(round + 1) / 2}: API / library = ${(pair.api / pair.library).toFixed(3)}`);
      pair = { api: 0, library: 0 };
    }
  }
} catch (error) {
  check(false, 'the benchmark ran to its end', (error as Error).message);
} finally {
  // Remove what this run made: its schemas (while the store's pool is open), its queues and exchanges.
  for (const schema of [names.storeSchema, names.serviceSchema]) {
    await store.pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
  }
  const topology = queue.topology;
  const declared = queue.declaredQueues();
  await service.close();
  for (const name of declared) await channel.deleteQueue(name);
  for (const exchange of [topology.tasks, topology.delay, topology.dead, topology.cancel]) {
    await channel.deleteExchange(exchange);
  }
  await broker.close();
}
stopIfFailed();
printGoal(
  { bench: 'service', metric: 'http_overhead_ratio', value: median(ratios) - 1, goal: 0.25, better: 'lower' },
  3,
);
