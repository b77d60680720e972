import { createMemoryQueue, type QueueMessage, type TaskQueue } from '@scanplane/core';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createOutboxQueue,
  createOutboxRelay,
  createPostgresTaskStore,
  migrate,
  type PostgresTaskStore,
} from '../src/index.js';
import { dropSchema, startTestServer, type TestServer, uniqueSchema } from './support/postgres-server.js';

let server: TestServer;
let pool: pg.Pool;
let schema: string;
let store: PostgresTaskStore;
const T0 = Date.parse('2026-01-01T00:00:00Z');

beforeAll(async () => {
  server = await startTestServer();
  pool = new pg.Pool({ connectionString: server.connectionString, max: 20 });
});
afterAll(async () => {
  await pool?.end();
  await server?.stop();
});

const setup = async (): Promise<void> => {
  schema = uniqueSchema();
  await migrate(pool, { schema });
  store = createPostgresTaskStore({ pool, schema, outbox: true });
};
afterEach(async () => {
  if (schema !== undefined) await dropSchema(pool, schema);
});

const task = (key: string, status: 'created' | 'queued' = 'queued') => ({
  project: 'p',
  kind: 'scan',
  idempotencyKey: key,
  status,
});

/** Every message a queue holds, drained through a consumer. */
async function published(queue: TaskQueue, expected: number): Promise<QueueMessage[]> {
  const got: QueueMessage[] = [];
  const consumer = await queue.consume(
    async (delivery) => {
      got.push(delivery.message);
      await delivery.ack();
    },
    { prefetch: 100 },
  );
  const deadline = Date.now() + 10_000;
  while (got.length < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  await new Promise((r) => setTimeout(r, 50));
  await consumer.close();
  return got;
}

describe('the transactional outbox', () => {
  it('writes one row per task entering queued, with the task, and the relay publishes each once', async () => {
    await setup();
    const { created } = await store.create([task('a'), task('b'), task('c', 'created')], { at: T0 });
    const relay = createOutboxRelay({ pool, schema, queue: createMemoryQueue() });
    expect(await relay.pending()).toBe(2);

    // Queued later (created → queued), and queued again for a retry: each is a new row.
    await store.transition(created[2]?.id as string, { to: 'queued', at: T0 + 1, reason: 'enqueue' });
    const [claimed] = await store.claim({ workerId: 'w', limit: 1, leaseMs: 1000, at: T0 + 2 });
    await store.transition(claimed?.id as string, { to: 'queued', at: T0 + 3, reason: 'retry' });
    expect(await relay.pending()).toBe(4);

    const queue = createMemoryQueue();
    const sender = createOutboxRelay({ pool, schema, queue, batchSize: 3 });
    expect(await sender.drain()).toBe(4);
    expect(await sender.pending()).toBe(0);
    expect(await sender.drain()).toBe(0);
    const messages = await published(queue, 4);
    expect(messages.map((m) => m.taskId).sort()).toEqual(
      [created[0]?.id, created[1]?.id, created[2]?.id, claimed?.id].sort(),
    );
  });

  it("creates inside the caller's transaction: a rollback leaves neither task nor outbox row", async () => {
    await setup();
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await store.createWith(client, [task('x')], { at: T0 });
      await client.query('ROLLBACK');
      await client.query('BEGIN');
      const { created } = await store.createWith(client, [task('y')], { at: T0 });
      await client.query('COMMIT');
      expect(await store.list({ project: 'p' })).toEqual(created);
    } finally {
      client.release();
    }
    const rows = await pool.query(`SELECT task_id FROM "${schema}".outbox`);
    expect(rows.rows.map((r) => r.task_id)).toHaveLength(1);
  });

  it('a relay that dies before publishing loses nothing: the next one publishes what was committed', async () => {
    await setup();
    await store.create([task('a'), task('b')], { at: T0 });
    const broken: TaskQueue = {
      ...createMemoryQueue(),
      publish: async () => {
        throw new Error('broker unreachable');
      },
    };
    await expect(createOutboxRelay({ pool, schema, queue: broken }).drain()).rejects.toMatchObject({
      message: expect.stringContaining('broker unreachable'),
    });
    const attempts = await pool.query(`SELECT attempts, last_error FROM "${schema}".outbox`);
    expect(attempts.rows.every((r) => r.attempts === 1 && /broker unreachable/.test(r.last_error))).toBe(
      true,
    );

    const queue = createMemoryQueue();
    expect(await createOutboxRelay({ pool, schema, queue }).drain()).toBe(2);
    expect(await published(queue, 2)).toHaveLength(2);
  });

  it('a relay killed between the broker confirm and its commit publishes again: at least once, never lost', async () => {
    await setup();
    await store.create([task('a')], { at: T0 });
    const relayPool = new pg.Pool({
      connectionString: server.connectionString,
      application_name: 'relay_under_test',
    });
    relayPool.on('error', () => undefined);
    const queue = createMemoryQueue();
    const killing: TaskQueue = {
      ...queue,
      publish: async (messages) => {
        await queue.publish(messages);
        // The relay's backend dies after the broker took the message, before the rows are marked sent.
        await pool.query(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'relay_under_test'",
        );
      },
    };
    try {
      await expect(
        createOutboxRelay({ pool: relayPool, schema, queue: killing }).drain(),
      ).rejects.toMatchObject({
        code: 'UNAVAILABLE',
      });
    } finally {
      await relayPool.end();
    }
    expect(await createOutboxRelay({ pool, schema, queue }).drain()).toBe(1);
    const messages = await published(queue, 2);
    expect(messages).toHaveLength(2);
    expect(new Set(messages.map((m) => m.taskId)).size).toBe(1);
  });

  it('the outbox queue records rows for queued tasks a store without an outbox created, and wakes the relay', async () => {
    await setup();
    const plain = createPostgresTaskStore({ pool, schema });
    const { created } = await plain.create([task('a'), task('b', 'created')], { at: T0 });
    const queue = createMemoryQueue();
    const relay = createOutboxRelay({ pool, schema, queue, pollMs: 60_000 });
    relay.start();
    try {
      const outboxQueue = createOutboxQueue({ pool, schema, queue, relay });
      await outboxQueue.publish(
        created.map((t) => ({ taskId: t.id, project: 'p', kind: 'scan', priority: 1 })),
      );
      await outboxQueue.publish([
        { taskId: created[0]?.id as string, project: 'p', kind: 'scan', priority: 1 },
      ]);
      const messages = await published(queue, 1);
      // Only the queued task; once, though it was published twice.
      expect(messages.map((m) => m.taskId)).toEqual([created[0]?.id]);
    } finally {
      await relay.close();
    }
  });

  it('a running relay hears about rows committed by another process at once (LISTEN/NOTIFY), not at its next poll', async () => {
    await setup();
    const queue = createMemoryQueue();
    const relay = createOutboxRelay({ pool, schema, queue, pollMs: 60_000 });
    relay.start();
    try {
      // Let the first (empty) round pass and the relay settle into its long sleep.
      await new Promise((r) => setTimeout(r, 300));
      const other = new pg.Pool({ connectionString: server.connectionString, max: 2 });
      try {
        await createPostgresTaskStore({ pool: other, schema, outbox: true }).create([task('late')], {
          at: T0,
        });
      } finally {
        await other.end();
      }
      const started = Date.now();
      const messages = await published(queue, 1);
      expect(messages).toHaveLength(1);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(await relay.pending()).toBe(0);
    } finally {
      await relay.close();
    }
  });
});
