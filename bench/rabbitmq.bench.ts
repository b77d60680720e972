/**
 * Benchmark: scanplane's RabbitMQ queue (`@scanplane/rabbitmq`) against raw amqplib doing the same job on the same
 * broker, in the same process, with the same prefetch, batch size and queue type.
 *
 * Run with `pnpm bench:rabbitmq` after building the packages (`pnpm build`): it imports the BUILT output,
 * `packages/adapters-rabbitmq/dist/index.js`, like a user of the published package would. It needs a RabbitMQ broker:
 * `AMQP_URL` if set, else `amqp://guest:guest@127.0.0.1:5672`. If the broker does not answer, the script exits 1
 * saying how to start it. It declares its own queues (unique names) and deletes them at the end.
 *
 * CONNECTIONS: raw amqplib publishes and consumes on one connection with amqplib's defaults. The adapter does the
 * same on its data connection (amqplib's defaults too); its second connection (TCP_NODELAY) only carries the
 * declarations, made before the clock starts, and the depth checks after it stops.
 *
 * WORKLOAD — 100,000 small task messages (MESSAGES), each side on its own durable quorum queue with the same
 * arguments (the adapter's default type; raw amqplib declares the very arguments the adapter declares), messages
 * persistent and `mandatory`, bodies the same JSON (`{"taskId":…,"project":…,"kind":…,"priority":…}`).
 * - PUBLISH: batches of BATCH = 1,000, one after the other; a batch is done when the broker has confirmed every
 *   message of it. Adapter: `queue.publish(batch)`. Raw: a confirm channel, `publish(…, callback)` per message
 *   (waiting for `drain` when amqplib's buffer is full), then the batch's confirms.
 * - END TO END: a consumer with prefetch PREFETCH = 100 runs first (adapter: `queue.consume(handler, { prefetch,
 *   kinds })`, the handler acknowledges at once; raw: `channel.prefetch(100)`, `consume`, `ack` per message), then
 *   the same publishing as above; the clock runs from the first publish to the last message's ack.
 * - ROUNDS = 6 rounds; the order of the two sides alternates from round to round, because it matters: on this
 *   two-core machine the side that runs first in a round was measured up to twice as fast as the second (the broker
 *   is still writing and deleting the first side's quorum queue). Before each timed phase the script waits PAUSE_MS
 *   for the broker to settle. The rounds are taken in pairs (each side first once); a pair's ratio is raw time /
 *   adapter time summed over its two rounds (= adapter throughput / raw throughput), and the goal uses the median
 *   of the three pairs, per phase.
 * - Checks, every round and side: every message delivered exactly once (a bitmap of the ids), the queue empty at the
 *   end, no dead letter.
 *
 * GOALS: the adapter keeps at least 85% of raw amqplib's throughput, on publishing and on end to end.
 */
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import type * as Amqp from 'amqplib';
import {
  createChecks,
  elapsedMs,
  formatCount,
  type Goal,
  median,
  now,
  printGoal,
} from './support/measure.js';

const MESSAGES = 100_000;
const BATCH = 1_000;
const PREFETCH = 100;
const ROUNDS = 6;
const KIND = 'bench';
const PAUSE_MS = 2_000;

/** Lets the broker finish what the previous phase left (queue deletions, log writes) before a timed phase. */
const pause = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, PAUSE_MS));

const url = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const requireFromAdapter = createRequire(
  new URL('../packages/adapters-rabbitmq/package.json', import.meta.url),
);
const amqplib = requireFromAdapter('amqplib') as typeof Amqp;
const adapter = (await import(
  new URL('../packages/adapters-rabbitmq/dist/index.js', import.meta.url).href
)) as typeof import('../packages/adapters-rabbitmq/src/index.js');
type RabbitQueue = import('../packages/adapters-rabbitmq/src/index.js').RabbitQueue;

const { check, stopIfFailed } = createChecks('    ');
const run = randomUUID().slice(0, 8);

interface Body {
  taskId: string;
  project: string;
  kind: string;
  priority: number;
}

function messages(round: number, side: string): Body[] {
  return Array.from({ length: MESSAGES }, (_, i) => ({
    taskId: `${side}-${round}-${i}`,
    project: 'bench',
    kind: KIND,
    priority: 1,
  }));
}

/** Counts deliveries per message index: a bitmap, and how many arrived twice. */
class Seen {
  #bits = new Uint8Array(MESSAGES);
  unique = 0;
  duplicates = 0;
  add(taskId: string): void {
    const index = Number(taskId.slice(taskId.lastIndexOf('-') + 1));
    if (this.#bits[index] === 1) this.duplicates++;
    else {
      this.#bits[index] = 1;
      this.unique++;
    }
  }
}

let connection: Amqp.ChannelModel;
try {
  connection = await amqplib.connect(url);
} catch (error) {
  console.error(
    `cannot reach RabbitMQ at ${url} (${(error as Error).message}).\n` +
      'Start it (`rabbitmq-server -detached`, or `apt-get install -y rabbitmq-server`) or set AMQP_URL.',
  );
  process.exit(1);
}
const version = String(connection.connection.serverProperties.version ?? '?');
console.log(
  `bench:rabbitmq — RabbitMQ ${version} at ${url.replace(/\/\/[^@]*@/, '//')}, Node ${process.version}`,
);
console.log(
  `  ${formatCount(MESSAGES)} messages per phase, batches of ${BATCH}, prefetch ${PREFETCH}, ${ROUNDS} rounds, quorum queues`,
);

/**
 * A quorum queue's message count settles shortly after the last ack (the acks go through its Raft log): polls until
 * it reads 0, for at most 30 s, and returns the last reading.
 */
async function settled(count: () => Promise<number>): Promise<number> {
  const deadline = Date.now() + 30_000;
  let left = await count();
  while (left !== 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    left = await count();
  }
  return left;
}

// ---------------------------------------------------------------------------------------------------------------
// The raw amqplib side.

/** The adapter's work-queue arguments for a quorum queue (the same on both sides). */
function quorumArguments(deadExchange: string): Record<string, unknown> {
  return {
    'x-queue-type': 'quorum',
    'x-dead-letter-exchange': deadExchange,
    'x-delivery-limit': 5,
    'x-dead-letter-strategy': 'at-least-once',
    'x-overflow': 'reject-publish',
  };
}

async function rawSetup(name: string): Promise<{ channel: Amqp.ConfirmChannel; exchange: string }> {
  const channel = await connection.createConfirmChannel();
  const exchange = `${name}.tasks`;
  await channel.assertExchange(exchange, 'direct', { durable: true });
  await channel.assertExchange(`${name}.dead`, 'fanout', { durable: true });
  await channel.assertQueue(`${name}.tasks.${KIND}`, {
    durable: true,
    arguments: quorumArguments(`${name}.dead`),
  });
  await channel.bindQueue(`${name}.tasks.${KIND}`, exchange, KIND);
  return { channel, exchange };
}

async function rawPublish(channel: Amqp.ConfirmChannel, exchange: string, bodies: Body[]): Promise<void> {
  for (let start = 0; start < bodies.length; start += BATCH) {
    const batch = bodies.slice(start, start + BATCH);
    let remaining = batch.length;
    let settle: (error?: Error) => void = () => {};
    const confirmed = new Promise<void>((resolve, reject) => {
      settle = (error) => (error ? reject(error) : resolve());
    });
    let failed: Error | undefined;
    for (const body of batch) {
      const full = !channel.publish(
        exchange,
        KIND,
        Buffer.from(JSON.stringify(body)),
        { persistent: true, mandatory: true, contentType: 'application/json', messageId: body.taskId },
        (error) => {
          if (error) failed = error;
          if (--remaining === 0) settle(failed);
        },
      );
      // Like the adapter: when amqplib's buffer is full, wait for it to drain.
      if (full) await new Promise((done) => channel.once('drain', done));
    }
    await confirmed;
  }
}

async function rawRound(round: number): Promise<{ publishMs: number; endToEndMs: number }> {
  const name = `bench-raw-${run}-${round}`;
  const { channel, exchange } = await rawSetup(name);
  const queueName = `${name}.tasks.${KIND}`;
  // Publish only.
  await pause();
  let start = now();
  await rawPublish(channel, exchange, messages(round, 'p'));
  const publishMs = elapsedMs(start);
  await channel.purgeQueue(queueName);
  // End to end.
  const consumer = await connection.createChannel();
  await consumer.prefetch(PREFETCH);
  const seen = new Seen();
  let done: () => void = () => {};
  const all = new Promise<void>((resolve) => {
    done = resolve;
  });
  const { consumerTag } = await consumer.consume(
    queueName,
    (raw) => {
      if (raw === null) return;
      const body = JSON.parse(raw.content.toString('utf8')) as Body;
      seen.add(body.taskId);
      consumer.ack(raw);
      if (seen.unique === MESSAGES) done();
    },
    { noAck: false },
  );
  await pause();
  start = now();
  await rawPublish(channel, exchange, messages(round, 'e'));
  await all;
  const endToEndMs = elapsedMs(start);
  // Cancel, then close (as the adapter's consumer does): closing at once lets RabbitMQ 3.10 return a few messages of
  // a quorum queue that were acknowledged just before.
  await consumer.cancel(consumerTag);
  await consumer.close();
  const left = await settled(async () => (await channel.checkQueue(queueName)).messageCount);
  check(
    seen.unique === MESSAGES && seen.duplicates === 0 && left === 0,
    `raw amqplib, round ${round + 1}: every message once, queue empty`,
    `${seen.unique} unique, ${seen.duplicates} duplicates, ${left} left`,
  );
  await channel.deleteQueue(queueName);
  await channel.deleteExchange(exchange);
  await channel.deleteExchange(`${name}.dead`);
  await channel.close();
  return { publishMs, endToEndMs };
}

// ---------------------------------------------------------------------------------------------------------------
// The adapter side.

async function adapterPublish(queue: RabbitQueue, bodies: Body[]): Promise<void> {
  for (let start = 0; start < bodies.length; start += BATCH)
    await queue.publish(bodies.slice(start, start + BATCH));
}

async function adapterRound(round: number): Promise<{ publishMs: number; endToEndMs: number }> {
  const prefix = `bench-sp-${run}-${round}`;
  const queue = adapter.createRabbitQueue({ url, prefix, kinds: [KIND] });
  await queue.connect();
  await pause();
  let start = now();
  await adapterPublish(queue, messages(round, 'p'));
  const publishMs = elapsedMs(start);
  // Emptied the same way on both sides (untimed): the broker's queue.purge.
  {
    const channel = await connection.createChannel();
    await channel.purgeQueue(queue.topology.workQueue(KIND));
    await channel.close();
  }
  const seen = new Seen();
  let done: () => void = () => {};
  const all = new Promise<void>((resolve) => {
    done = resolve;
  });
  const consumer = await queue.consume(
    async (delivery) => {
      seen.add(delivery.message.taskId);
      await delivery.ack();
      if (seen.unique === MESSAGES) done();
    },
    { prefetch: PREFETCH, kinds: [KIND] },
  );
  await pause();
  start = now();
  await adapterPublish(queue, messages(round, 'e'));
  await all;
  const endToEndMs = elapsedMs(start);
  await consumer.close();
  const left = await settled(() => queue.depth());
  const dead = await queue.takeDeadLetters(10);
  check(
    seen.unique === MESSAGES && seen.duplicates === 0 && left === 0 && dead.length === 0,
    `adapter, round ${round + 1}: every message once, queue empty, no dead letter`,
    `${seen.unique} unique, ${seen.duplicates} duplicates, ${left} left, ${dead.length} dead`,
  );
  const declared = queue.declaredQueues();
  const topology = queue.topology;
  await queue.close();
  const channel = await connection.createChannel();
  for (const name of declared) await channel.deleteQueue(name);
  for (const exchange of [topology.tasks, topology.delay, topology.dead, topology.cancel]) {
    await channel.deleteExchange(exchange);
  }
  await channel.close();
  return { publishMs, endToEndMs };
}

// ---------------------------------------------------------------------------------------------------------------

const publishRatios: number[] = [];
const endToEndRatios: number[] = [];
const rate = (ms: number): string => `${formatCount(Math.round(MESSAGES / (ms / 1000)))} msg/s`;
type Times = { publishMs: number; endToEndMs: number };
let pairRaw: Times = { publishMs: 0, endToEndMs: 0 };
let pairOurs: Times = { publishMs: 0, endToEndMs: 0 };
for (let round = 0; round < ROUNDS; round++) {
  console.log(`  round ${round + 1}`);
  let raw: Times;
  let ours: Times;
  if (round % 2 === 0) {
    raw = await rawRound(round);
    ours = await adapterRound(round);
  } else {
    ours = await adapterRound(round);
    raw = await rawRound(round);
  }
  console.log(
    `    publish:    raw ${rate(raw.publishMs)}, adapter ${rate(ours.publishMs)} (ratio ${(raw.publishMs / ours.publishMs).toFixed(3)})`,
  );
  console.log(
    `    end to end: raw ${rate(raw.endToEndMs)}, adapter ${rate(ours.endToEndMs)} (ratio ${(raw.endToEndMs / ours.endToEndMs).toFixed(3)})`,
  );
  pairRaw = { publishMs: pairRaw.publishMs + raw.publishMs, endToEndMs: pairRaw.endToEndMs + raw.endToEndMs };
  pairOurs = {
    publishMs: pairOurs.publishMs + ours.publishMs,
    endToEndMs: pairOurs.endToEndMs + ours.endToEndMs,
  };
  if (round % 2 === 1) {
    // A pair of rounds, each side first once: the order effect cancels within it.
    publishRatios.push(pairRaw.publishMs / pairOurs.publishMs);
    endToEndRatios.push(pairRaw.endToEndMs / pairOurs.endToEndMs);
    console.log(
      `  pair ${(round + 1) / 2}: publish ratio ${(pairRaw.publishMs / pairOurs.publishMs).toFixed(3)}, end to end ratio ${(pairRaw.endToEndMs / pairOurs.endToEndMs).toFixed(3)}`,
    );
    pairRaw = { publishMs: 0, endToEndMs: 0 };
    pairOurs = { publishMs: 0, endToEndMs: 0 };
  }
}
await connection.close();
stopIfFailed();

const goals: Goal[] = [
  {
    bench: 'rabbitmq',
    metric: 'publish_confirmed_throughput_ratio_vs_amqplib',
    value: median(publishRatios),
    goal: 0.85,
    better: 'higher',
  },
  {
    bench: 'rabbitmq',
    metric: 'end_to_end_throughput_ratio_vs_amqplib',
    value: median(endToEndRatios),
    goal: 0.85,
    better: 'higher',
  },
];
for (const goal of goals) printGoal(goal, 3);
