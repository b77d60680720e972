// The core's scheduler on PostgreSQL: the catalogue, the snapshot, the advisory lock and the task store together.
import { createManualClock, createMemoryQueue, createScheduler } from '@scanplane/core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresLock, createPostgresStore } from '../src/index.js';
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

/** The lock name the core's scheduler takes for a tick. */
const SCHEDULER_LOCK = 'scanplane:scheduler';

describe('createScheduler on PostgreSQL', () => {
  it('two schedulers in two processes tick at once: the advisory lock lets one plan, each pair runs once', async () => {
    const schema = uniqueSchema();
    const T0 = Date.parse('2026-03-01T00:00:00Z');
    const clock = createManualClock(T0);
    const pools = [
      new pg.Pool({ connectionString: server.connectionString, max: 5 }),
      new pg.Pool({ connectionString: server.connectionString, max: 5 }),
    ];
    try {
      const stores = await Promise.all(pools.map((p) => createPostgresStore({ pool: p, schema })));
      const store = stores[0] as (typeof stores)[number];
      for (const id of ['acme', 'globex', 'initech'])
        await store.putOrganization({ id, name: id, passive: false, tags: [] });
      await store.putScan({
        id: 'portscan',
        type: 'portscanner',
        frequencySeconds: 3600,
        createdAt: T0 - 86_400_000,
      });
      const queue = createMemoryQueue({ clock });
      const schedulers = stores.map((s, i) =>
        createScheduler({
          store: s,
          queue,
          clock,
          lock: createPostgresLock({ pool: pools[i] as pg.Pool, schema }),
          organizationsPerTask: 1,
        }),
      );
      // While a third process holds the scheduler lock, neither ticks.
      const holder = await createPostgresLock({ pool, schema }).acquire(SCHEDULER_LOCK, { wait: false });
      expect(holder).toBeDefined();
      expect(await Promise.all(schedulers.map((scheduler) => scheduler.tick()))).toEqual([
        undefined,
        undefined,
      ]);
      expect(await store.list({ project: 'scheduled' })).toEqual([]);
      await holder?.release();
      const reports = await Promise.all(schedulers.map((scheduler) => scheduler.tick()));
      const launched = reports.flatMap((report) => [...(report?.launched ?? []), ...(report?.queued ?? [])]);
      // One of them planned (the other skipped the tick, or found the work existing): three tasks, once each.
      const tasks = await store.list({ project: 'scheduled' });
      expect(tasks.filter((t) => t.scanId === 'portscan')).toHaveLength(3);
      expect(new Set(tasks.map((t) => t.organizationIds?.[0]))).toEqual(
        new Set(['acme', 'globex', 'initech']),
      );
      expect(launched.length).toBeLessThanOrEqual(3);
      // Nothing is due again within the hour, whichever scheduler ticks.
      clock.advance(60_000);
      const again = await schedulers[1]?.tick();
      expect(again?.plan.launch ?? []).toHaveLength(0);
      expect(await schedulers[1]?.explain('portscan', 'acme')).toMatchObject({
        run: false,
        reason: 'already-active',
      });
      await Promise.all(schedulers.map((scheduler) => scheduler.close()));
    } finally {
      await Promise.all(pools.map((p) => p.end()));
      await dropSchema(pool, schema);
    }
  });
});
