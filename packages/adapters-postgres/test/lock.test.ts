import { randomUUID } from 'node:crypto';
import type { ScanplaneError } from '@scanplane/core';
import { runLockConformance, waitFor } from '@scanplane/core/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresLock, type PostgresLockLease, type Queryable } from '../src/index.js';
import { startTestServer, type TestServer, uniqueSchema } from './support/postgres-server.js';

let server: TestServer;
let pool: pg.Pool;
let second: pg.Pool;

const newPool = (max: number): pg.Pool => {
  const made = new pg.Pool({ connectionString: server.connectionString, max });
  made.on('error', () => undefined); // an idle connection lost to a terminated backend
  return made;
};

beforeAll(async () => {
  server = await startTestServer();
  pool = newPool(20);
  second = newPool(20);
});
afterAll(async () => {
  await pool?.end();
  await second?.end();
  await server?.stop();
});

runLockConformance({
  name: 'postgres',
  create: async () => ({ lock: createPostgresLock({ pool, schema: uniqueSchema() }) }),
});

/** Connections of a pool checked out (a held lock keeps one). */
const checkedOut = (p: pg.Pool): number => p.totalCount - p.idleCount;

/** The backend holding advisory lock `name` of `schema`, if any. */
async function holder(schema: string, name: string): Promise<number | undefined> {
  const { rows } = await second.query<{ pid: number }>(
    `SELECT l.pid FROM pg_locks l, LATERAL (SELECT hashtextextended($1, 0) AS k) key
      WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
        AND l.classid::bigint = ((key.k >> 32) & 4294967295) AND l.objid::bigint = (key.k & 4294967295)`,
    [`${schema}:${name}`],
  );
  return rows[0]?.pid;
}

const within = <T>(promise: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([
    promise,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms)),
  ]);

describe('postgres lock', () => {
  it('is held by one pool and refused to another, on one dedicated connection, until released', async () => {
    const schema = uniqueSchema();
    const name = randomUUID();
    const a = createPostgresLock({ pool, schema });
    const b = createPostgresLock({ pool: second, schema });
    const before = checkedOut(pool);
    const lease = await a.acquire(name, { wait: false });
    expect(lease?.name).toBe(name);
    expect(checkedOut(pool) - before, 'the lease keeps one connection').toBe(1);
    const pid = await holder(schema, name);
    expect(pid).toBeDefined();
    expect(await b.acquire(name, { wait: false })).toBeUndefined();
    expect(await b.acquire(name, { signal: AbortSignal.timeout(200) })).toBeUndefined();
    // The timed-out wait may still have a try in flight when it resolves: that connection comes back when the try
    // returns (a statement cannot be taken back), and none stays checked out.
    await waitFor(() => checkedOut(second) === 0, {
      timeoutMs: 5_000,
      message: 'a refused or timed-out acquire to keep no connection',
    });
    // The key is hashtextextended('<schema>:<name>', 0), on the connection the lease keeps.
    expect(await holder(schema, name)).toBe(pid);
    await lease?.release();
    expect(checkedOut(pool)).toBe(before);
    expect(await holder(schema, name)).toBeUndefined();
    const other = await b.acquire(name, { wait: false });
    expect(other).toBeDefined();
    expect(await a.acquire(name, { wait: false })).toBeUndefined();
    await other?.release();
  });

  it('grants a waiter in another process when the holder releases', async () => {
    const schema = uniqueSchema();
    const name = randomUUID();
    const a = createPostgresLock({ pool, schema });
    const b = createPostgresLock({ pool: second, schema, minPollMs: 10, maxPollMs: 50 });
    const lease = await a.acquire(name, { wait: false });
    let granted: PostgresLockLease | undefined;
    const waiting = b.acquire(name).then((got) => {
      granted = got;
      return got;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(granted, 'the waiter got a held lock').toBeUndefined();
    const releasedAt = Date.now();
    await lease?.release();
    const got = await within(waiting, 5_000, 'the waiter');
    expect(got?.name).toBe(name);
    expect(Date.now() - releasedAt).toBeLessThan(1_000);
    expect(await a.acquire(name, { wait: false })).toBeUndefined();
    await got?.release();
  });

  it('ends a wait on a timeout signal with undefined, after about that long', async () => {
    const schema = uniqueSchema();
    const name = randomUUID();
    const lease = await createPostgresLock({ pool, schema }).acquire(name);
    const started = Date.now();
    const b = createPostgresLock({ pool: second, schema });
    expect(await b.acquire(name, { signal: AbortSignal.timeout(400) })).toBeUndefined();
    expect(Date.now() - started).toBeGreaterThanOrEqual(350);
    expect(Date.now() - started).toBeLessThan(3_000);
    await lease?.release();
    await (await b.acquire(name, { wait: false }))?.release();
  });

  it('is lost when its connection is terminated, says so, and another process can take it', async () => {
    const schema = uniqueSchema();
    const name = randomUUID();
    const losses: Array<{ name: string; error: ScanplaneError }> = [];
    const a = createPostgresLock({
      pool,
      schema,
      onLost: (lease, error) => losses.push({ name: lease.name, error }),
    });
    const b = createPostgresLock({ pool: second, schema, minPollMs: 10, maxPollMs: 100 });
    const lease = await a.acquire(name);
    if (lease === undefined) throw new Error('the free lock was refused');
    expect(lease.lost.aborted).toBe(false);
    const pid = await holder(schema, name);
    expect(await b.acquire(name, { wait: false })).toBeUndefined();
    const waiter = b.acquire(name, { signal: AbortSignal.timeout(10_000) });

    const lost = new Promise<void>((resolve) => lease.lost.addEventListener('abort', () => resolve()));
    const terminated = await second.query('SELECT pg_terminate_backend($1) AS ok', [pid]);
    expect(terminated.rows[0].ok).toBe(true);

    await within(lost, 5_000, 'the lost signal');
    expect(lease.lost.reason).toMatchObject({ code: 'UNAVAILABLE', retryable: true });
    expect(losses).toEqual([{ name, error: lease.lost.reason }]);
    const taken = await within(waiter, 10_000, 'the other process');
    expect(taken?.name).toBe(name);
    expect(await holder(schema, name)).not.toBe(pid);
    // Releasing the lost lease is harmless: it does not free the new holder's lock.
    await lease.release();
    expect(await a.acquire(name, { wait: false })).toBeUndefined();
    await taken?.release();
    // The dead connection was dropped, not returned to the pool: the lock works on a fresh one.
    const again = await a.acquire(name, { wait: false });
    expect(again).toBeDefined();
    await again?.release();
  });

  it('does not report a released lease as lost', async () => {
    const lock = createPostgresLock({ pool, schema: uniqueSchema() });
    const lease = await lock.acquire(randomUUID());
    await lease?.release();
    expect(lease?.lost.aborted).toBe(false);
  });

  it('namespaces the keys by schema', async () => {
    const name = randomUUID();
    const one = await createPostgresLock({ pool, schema: uniqueSchema() }).acquire(name, { wait: false });
    const two = await createPostgresLock({ pool: second, schema: uniqueSchema() }).acquire(name, {
      wait: false,
    });
    expect(one).toBeDefined();
    expect(two).toBeDefined();
    await one?.release();
    await two?.release();
  });

  it('declares a lock lost when its connection stops answering the periodic check', async () => {
    // A connection that took the lock and then hangs: no event, only the check can tell.
    let destroyed: boolean | Error | undefined;
    const hanging: Queryable = {
      query: () => Promise.reject(new Error('not used')),
      connect: async () => ({
        query: (async (text: string) => {
          if (text.includes('pg_try_advisory_lock')) return { rows: [{ locked: true }], rowCount: 1 };
          if (text.includes('pg_advisory_unlock')) return { rows: [{ unlocked: true }], rowCount: 1 };
          return new Promise(() => undefined); // the check never answers
        }) as Queryable['query'],
        release: (destroy?: boolean | Error) => {
          destroyed = destroy;
        },
      }),
    };
    const lock = createPostgresLock({ pool: hanging, checkIntervalMs: 50 });
    const lease = await lock.acquire('hangs');
    if (lease === undefined) throw new Error('the free lock was refused');
    await within(
      new Promise((resolve) => lease.lost.addEventListener('abort', resolve)),
      2_000,
      'the lost signal',
    );
    expect(lease.lost.reason).toMatchObject({
      code: 'UNAVAILABLE',
      message: expect.stringContaining('no answer'),
    });
    expect(destroyed, 'the connection is closed, not returned to the pool').toBe(true);
    // The name is free locally again: the next try goes to the server.
    const next = await lock.acquire('hangs', { wait: false });
    expect(next).toBeDefined();
    await next?.release();
    expect(destroyed, 'a released connection goes back to the pool').toBeUndefined();
  });

  it('ends a wait with UNAVAILABLE when the server cannot be reached', async () => {
    const unreachable = new pg.Pool({
      connectionString: 'postgres://postgres@127.0.0.1:1/postgres',
      connectionTimeoutMillis: 2_000,
    });
    try {
      const lock = createPostgresLock({ pool: unreachable });
      await expect(lock.acquire(randomUUID())).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    } finally {
      await unreachable.end();
    }
  });

  it('refuses bad options', () => {
    expect(() => createPostgresLock({ pool, schema: 'Bad Schema' })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(() => createPostgresLock({ pool, minPollMs: 500, maxPollMs: 100 })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});
