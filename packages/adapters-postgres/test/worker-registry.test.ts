import type { WorkerInfo } from '@scanplane/core';
import { runWorkerRegistryConformance } from '@scanplane/core/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresWorkerRegistry, migrate } from '../src/index.js';
import { dropSchema, startTestServer, type TestServer, uniqueSchema } from './support/postgres-server.js';

let server: TestServer;
let pool: pg.Pool;

beforeAll(async () => {
  server = await startTestServer();
  pool = new pg.Pool({ connectionString: server.connectionString, max: 20 });
});
afterAll(async () => {
  await pool?.end();
  await server?.stop();
});

const subject = async () => {
  const schema = uniqueSchema();
  await migrate(pool, { schema });
  return {
    schema,
    registry: createPostgresWorkerRegistry({ pool, schema }),
    cleanup: () => dropSchema(pool, schema),
  };
};

runWorkerRegistryConformance({ name: 'postgres', create: () => subject() });

const T0 = Date.parse('2026-01-01T00:00:00.000Z');

const worker = (overrides: Partial<WorkerInfo> = {}): WorkerInfo => ({
  id: 'w1',
  hostname: 'scanner-1',
  addresses: ['192.0.2.50', '2001:db8::50'],
  kinds: ['tcp-connect', 'nmap'],
  capacity: 8,
  currentTasks: ['t1', 't2'],
  startedAt: T0 + 0.25,
  lastSeenAt: T0 + 0.5,
  ...overrides,
});

describe('postgres worker registry', () => {
  it('deletes the stale workers it leaves out, and keeps the others', async () => {
    const { schema, registry, cleanup } = await subject();
    try {
      await registry.registerWorker(worker({ id: 'old', lastSeenAt: T0 }));
      await registry.registerWorker(worker({ id: 'edge', lastSeenAt: T0 + 40_000 }));
      await registry.registerWorker(worker({ id: 'new', lastSeenAt: T0 + 50_000 }));
      // Exactly at the limit (lastSeenAt + staleAfterMs === at) a worker is still live, as in the memory registry.
      const live = await registry.listWorkers({ at: T0 + 100_000, staleAfterMs: 60_000 });
      expect(live.map((w) => w.id)).toEqual(['edge', 'new']);
      const { rows } = await pool.query(`SELECT id FROM "${schema}".workers ORDER BY id`);
      expect(rows.map((r) => r.id)).toEqual(['edge', 'new']);
      // A deleted worker's heartbeat does not bring it back.
      await registry.workerHeartbeat('old', { at: T0 + 100_000, currentTasks: [] });
      expect(
        (await registry.listWorkers({ at: T0 + 100_000, staleAfterMs: 60_000 })).map((w) => w.id),
      ).toEqual(['edge', 'new']);
    } finally {
      await cleanup();
    }
  });

  it('keeps every field exactly, fractional times included, and is shared by every process on the schema', async () => {
    const { schema, registry, cleanup } = await subject();
    const other = new pg.Pool({ connectionString: server.connectionString, max: 2 });
    try {
      const one = worker();
      await registry.registerWorker(one);
      const elsewhere = createPostgresWorkerRegistry({ pool: other, schema });
      expect(await elsewhere.listWorkers({ at: T0 + 1, staleAfterMs: 1_000 })).toEqual([one]);
      await elsewhere.workerHeartbeat(one.id, { at: T0 + 700.125, currentTasks: ['t3'] });
      expect(await registry.listWorkers({ at: T0 + 701, staleAfterMs: 1_000 })).toEqual([
        { ...one, lastSeenAt: T0 + 700.125, currentTasks: ['t3'] },
      ]);
      // Another schema is another registry.
      const { registry: unrelated, cleanup: dropOther } = await subject();
      try {
        expect(await unrelated.listWorkers({ at: T0, staleAfterMs: 1_000 })).toEqual([]);
      } finally {
        await dropOther();
      }
    } finally {
      await other.end();
      await cleanup();
    }
  });

  it('refuses malformed workers with INVALID_ARGUMENT and writes nothing', async () => {
    const { registry, cleanup } = await subject();
    try {
      await expect(registry.registerWorker(worker({ capacity: 1.5 }))).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
      });
      await expect(
        registry.registerWorker(worker({ addresses: 'x' as unknown as string[] })),
      ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      await expect(registry.registerWorker(worker({ lastSeenAt: Number.NaN }))).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
      });
      await expect(registry.listWorkers({ at: Number.NaN, staleAfterMs: 1 })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
      });
      expect(await registry.listWorkers({ at: T0, staleAfterMs: 1_000 })).toEqual([]);
    } finally {
      await cleanup();
    }
  });

  it('reports health from a real query, and unhealthy when its table is missing', async () => {
    const { registry, cleanup } = await subject();
    try {
      await registry.registerWorker(worker());
      const report = await registry.health();
      expect(report).toMatchObject({ ok: true, component: 'worker-registry' });
      expect(report.detail).toContain('registered workers: 1');
      expect(report.latencyMs).toBeGreaterThan(0);
      const missing = createPostgresWorkerRegistry({ pool, schema: uniqueSchema() });
      expect(await missing.health()).toMatchObject({ ok: false, component: 'worker-registry' });
    } finally {
      await cleanup();
    }
  });
});
