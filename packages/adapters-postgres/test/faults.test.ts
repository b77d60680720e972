// Faults, always on a throwaway cluster this file starts itself: a backend terminated mid-transaction, a server
// crash and restart while workers claim and finish, many processes creating and claiming at once.
import { isScanplaneError, type ScanTask } from '@scanplane/core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresTaskStore, migrate, type PostgresTaskStore } from '../src/index.js';
import { startThrowawayServer, type TestServer, uniqueSchema } from './support/postgres-server.js';

let server: TestServer;

beforeAll(async () => {
  server = await startThrowawayServer();
});
afterAll(async () => {
  await server?.stop();
});

const newPool = (max = 10): pg.Pool => {
  const pool = new pg.Pool({ connectionString: server.connectionString, max, connectionTimeoutMillis: 2000 });
  pool.on('error', () => undefined); // idle clients of a crashed server
  return pool;
};

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('faults', () => {
  it('a backend terminated mid-transaction leaves no partial state: no task, no history, no outbox row', async () => {
    const pool = newPool();
    const schema = uniqueSchema();
    try {
      await migrate(pool, { schema });
      const store = createPostgresTaskStore({ pool, schema, outbox: true });
      const client = await pool.connect();
      client.on('error', () => undefined);
      await client.query('BEGIN');
      const { created } = await store.createWith(
        client,
        Array.from({ length: 50 }, (_, i) => ({
          project: 'p',
          kind: 'scan',
          idempotencyKey: `k${i}`,
          status: 'queued' as const,
        })),
        { at: 1 },
      );
      expect(created).toHaveLength(50);
      const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid;
      await pool.query('SELECT pg_terminate_backend($1)', [pid]);
      await expect(client.query('COMMIT')).rejects.toThrow();
      client.release(true);
      for (const table of ['tasks', 'task_history', 'outbox']) {
        const { rows } = await pool.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM "${schema}".${table}`,
        );
        expect(rows[0]?.n, table).toBe(0);
      }
      // The keys are free: the same tasks can be created again.
      expect(
        (await store.create([{ project: 'p', kind: 'scan', idempotencyKey: 'k0' }], { at: 2 })).created,
      ).toHaveLength(1);
    } finally {
      await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
      await pool.end();
    }
  });

  it('twenty processes submitting the same work at once create each task exactly once', async () => {
    const setup = newPool();
    const schema = uniqueSchema();
    await migrate(setup, { schema });
    const pools = Array.from({ length: 20 }, () => newPool(2));
    try {
      const keys = Array.from({ length: 200 }, (_, i) => `target-${i}`);
      const results = await Promise.all(
        pools.map((pool, p) =>
          createPostgresTaskStore({ pool, schema }).create(
            // Each process submits every key, in its own order.
            [...keys]
              .sort(() => (p % 2 === 0 ? 1 : -1))
              .map((key) => ({ project: 'p', kind: 'scan', idempotencyKey: key, status: 'queued' as const })),
            { at: 1 },
          ),
        ),
      );
      const created = results.flatMap((result) => result.created.map((task) => task.idempotencyKey));
      expect(created.sort()).toEqual([...keys].sort());
      for (const result of results) expect(result.created.length + result.existing.length).toBe(200);
      const { rows } = await setup.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${schema}".tasks`);
      expect(rows[0]?.n).toBe(200);
    } finally {
      await Promise.all(pools.map((pool) => pool.end()));
      await setup.query(`DROP SCHEMA "${schema}" CASCADE`);
      await setup.end();
    }
  });

  it('a server crash and restart while workers claim and finish: every task finishes exactly once', async () => {
    const pool = newPool(20);
    const schema = uniqueSchema();
    await migrate(pool, { schema });
    const store: PostgresTaskStore = createPostgresTaskStore({ pool, schema });
    const total = 400;
    await store.create(
      Array.from({ length: total }, (_, i) => ({
        project: 'p',
        kind: 'scan',
        idempotencyKey: `t${i}`,
        status: 'queued' as const,
      })),
      { at: Date.now() },
    );
    const finishedBy = new Map<string, number>();
    let stop = false;
    let errors = 0;
    const retryUnavailable = async <T>(work: () => Promise<T>): Promise<T | undefined> => {
      for (;;) {
        if (stop) return undefined;
        try {
          return await work();
        } catch (error) {
          if (isScanplaneError(error) && error.code === 'UNAVAILABLE') {
            errors++;
            await sleep(50);
            continue;
          }
          throw error;
        }
      }
    };
    const worker = async (workerId: string): Promise<void> => {
      while (!stop) {
        const claimed = await retryUnavailable(() =>
          store.claim({ workerId, limit: 5, leaseMs: 1500, at: Date.now() }),
        );
        if (claimed === undefined) return;
        if (claimed.length === 0) {
          await sleep(20);
          continue;
        }
        for (const task of claimed) {
          await sleep(2); // the scan
          try {
            const done = await retryUnavailable(() =>
              store.transition(task.id, {
                to: 'finished',
                from: ['started'],
                at: Date.now(),
                reason: 'done',
                owner: { workerId, attempt: task.attempt },
              }),
            );
            if (done !== undefined) finishedBy.set(task.id, (finishedBy.get(task.id) ?? 0) + 1);
          } catch (error) {
            // Reaped and retried elsewhere while this worker could not reach the server: its outcome is refused.
            if (
              !(isScanplaneError(error) && (error.code === 'CONFLICT' || error.code === 'INVALID_TRANSITION'))
            )
              throw error;
          }
        }
      }
    };
    // The reaper: a claim whose answer was lost in the crash holds its task until the lease expires.
    const reaper = async (): Promise<void> => {
      while (!stop) {
        const expired = (await retryUnavailable(() => store.expired(Date.now(), 100))) ?? [];
        for (const task of expired as ScanTask[]) {
          await retryUnavailable(() =>
            store
              .transition(task.id, {
                to: 'queued',
                from: ['started'],
                expectedVersion: task.version,
                at: Date.now(),
                reason: 'lease expired',
                patch: { error: { code: 'LEASE_EXPIRED', message: 'lease expired' } },
              })
              .catch((error) => {
                if (isScanplaneError(error) && error.code === 'CONFLICT') return undefined;
                throw error;
              }),
          );
        }
        await sleep(100);
      }
    };
    const workers = [...Array.from({ length: 4 }, (_, i) => worker(`w${i}`)), reaper()];
    try {
      // Let them get going, then crash the server mid-flight and bring it back.
      while (finishedBy.size < total / 4) await sleep(5);
      await server.crash();
      await sleep(300);
      await server.start();
      const deadline = Date.now() + 60_000;
      for (;;) {
        const counts = await retryUnavailable(() => store.count({ project: 'p' }));
        if (counts?.finished === total) break;
        if (Date.now() > deadline) throw new Error(`not all finished: ${JSON.stringify(counts)}`);
        await sleep(100);
      }
    } finally {
      stop = true;
      await Promise.allSettled(workers);
    }
    expect(errors).toBeGreaterThan(0); // the crash was felt
    const { rows } = await pool.query<{ task_id: string; n: number }>(
      `SELECT task_id, count(*)::int AS n FROM "${schema}".task_history WHERE to_status = 'finished' GROUP BY task_id`,
    );
    expect(rows).toHaveLength(total);
    expect(rows.every((row) => row.n === 1)).toBe(true);
    expect([...finishedBy.values()].every((n) => n === 1)).toBe(true);
    await pool.query(`DROP SCHEMA "${schema}" CASCADE`);
    await pool.end();
  });
});
