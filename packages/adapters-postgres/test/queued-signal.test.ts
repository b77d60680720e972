import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresTaskStore, createQueuedSignal, migrate } from '../src/index.js';
import { dropSchema, startTestServer, type TestServer, uniqueSchema } from './support/postgres-server.js';

let server: TestServer;
let pool: pg.Pool;

beforeAll(async () => {
  server = await startTestServer();
  pool = new pg.Pool({ connectionString: server.connectionString, max: 10 });
});
afterAll(async () => {
  await pool?.end();
  await server?.stop();
});

describe('createQueuedSignal', () => {
  it('wakes a waiting worker when another process queues a task, and only then', async () => {
    const schema = uniqueSchema();
    await migrate(pool, { schema });
    const signal = createQueuedSignal({ pool, schema });
    const other = new pg.Pool({ connectionString: server.connectionString, max: 2 });
    try {
      const store = createPostgresTaskStore({ pool: other, schema });
      // Nothing queued: the wait times out.
      expect(await signal.wait({ timeoutMs: 200 })).toBe(false);
      // A task created (not queued) does not wake it either.
      const pending = signal.wait({ timeoutMs: 300 });
      const { created } = await store.create([{ project: 'p', kind: 'k', idempotencyKey: 'a' }], { at: 1 });
      expect(await pending).toBe(false);
      // Queued by another connection: woken long before the 30 s timeout.
      const woken = signal.wait({ timeoutMs: 30_000 });
      const started = Date.now();
      await store.transition(created[0]?.id as string, { to: 'queued', at: 2, reason: 'enqueue' });
      expect(await woken).toBe(true);
      expect(Date.now() - started).toBeLessThan(5000);
      // An abort ends a wait.
      const controller = new AbortController();
      const aborted = signal.wait({ timeoutMs: 30_000, signal: controller.signal });
      controller.abort();
      const abortedAt = Date.now();
      expect(await aborted).toBe(false);
      expect(Date.now() - abortedAt).toBeLessThan(5000);
    } finally {
      await signal.close();
      await other.end();
      await dropSchema(pool, schema);
    }
  });
});
