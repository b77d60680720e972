import {
  AddressSet,
  type CoverageRecord,
  createMemoryStore,
  type Ledger,
  type NewTask,
  type TaskStore,
} from '@scanplane/core';
import { runLedgerConformance, sampleTask } from '@scanplane/core/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresLedger, createPostgresTaskStore, migrate, type Queryable } from '../src/index.js';
import { dropSchema, startTestServer, type TestServer, uniqueSchema } from './support/postgres-server.js';

let server: TestServer;
let pool: pg.Pool;

beforeAll(async () => {
  server = await startTestServer();
  pool = new pg.Pool({ connectionString: server.connectionString, max: 30 });
});
afterAll(async () => {
  await pool?.end();
  await server?.stop();
});

const subject = async (queryable: Queryable = pool) => {
  const schema = uniqueSchema();
  await migrate(pool, { schema });
  return {
    schema,
    ledger: createPostgresLedger({ pool: queryable, schema }),
    store: createPostgresTaskStore({ pool, schema }),
    cleanup: () => dropSchema(pool, schema),
  };
};

runLedgerConformance({ name: 'postgres', create: () => subject() });

const T0 = Date.parse('2026-01-01T00:00:00.000Z');

/** A small deterministic PRNG (mulberry32), so a failure can be replayed. */
function random(seed: number): (n: number) => number {
  let state = seed >>> 0;
  return (n) => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

/** Random CIDRs crowded into small regions of both families (so that they overlap), host bits and all. */
function cidrGenerator(seed: number): () => string {
  const r = random(seed);
  return () => {
    switch (r(7)) {
      case 0:
      case 1:
      case 2:
        return `10.0.${r(16)}.${r(256)}/${16 + r(17)}`;
      case 3:
      case 4:
        return `2001:db8:0:${r(4).toString(16)}::${r(65536).toString(16)}/${56 + r(73)}`;
      case 5:
        // IPv4-mapped IPv6: the same addresses as IPv4 for the memory ledger.
        return `::ffff:10.0.${r(16)}.${r(256)}/${112 + r(17)}`;
      default:
        return r(2) === 0
          ? `192.0.2.${r(256)}/${24 + r(9)}`
          : `2001:db8:1::${r(256).toString(16)}/${120 + r(9)}`;
    }
  };
}

const byKey = (records: readonly CoverageRecord[]): CoverageRecord[] =>
  [...records].sort((a, b) => {
    const ka = `${a.taskId ?? ''}|${a.at}|${a.addresses.join(',')}|${a.ports}`;
    const kb = `${b.taskId ?? ''}|${b.at}|${b.addresses.join(',')}|${b.ports}`;
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });

/** Canonical CIDRs only (what planned tasks hold): the minimal cover of random CIDRs. */
const canonical = (addresses: string[]): string[] => [...AddressSet.parse(addresses).cidrs()];

describe('postgres ledger', () => {
  it('answers scanned overlap queries exactly like the memory ledger, IPv4, IPv6 and IPv4-mapped', async () => {
    const { ledger, cleanup } = await subject();
    try {
      const memory = createMemoryStore();
      const next = cidrGenerator(42);
      const r = random(7);
      for (let i = 0; i < 300; i++) {
        const record: CoverageRecord = {
          addresses: Array.from({ length: 1 + r(3) }, next),
          ports: String(1 + r(1000)),
          at: T0 + r(10_000),
        };
        if (r(2) === 0) record.taskId = `task-${i}`;
        const project = r(5) === 0 ? 'other' : 'acme';
        await ledger.recordScanned(project, record);
        await memory.recordScanned(project, record);
      }
      let nonEmpty = 0;
      for (let q = 0; q < 80; q++) {
        const query = Array.from({ length: 1 + r(3) }, next);
        if (q % 20 === 0) query.push(q % 40 === 0 ? '::/64' : '0.0.0.0/0');
        const since = T0 + r(12_000) - 1_000;
        for (const project of ['acme', 'other']) {
          const expected = await memory.scanned(project, query, since);
          const actual = await ledger.scanned(project, query, since);
          expect(byKey(actual), `scanned(${project}, ${query.join(' ')}, ${since})`).toEqual(byKey(expected));
          if (expected.length > 0) nonEmpty++;
        }
      }
      expect(nonEmpty, 'the random queries overlap some records').toBeGreaterThan(40);
    } finally {
      await cleanup();
    }
  });

  it('answers active overlap queries exactly like the memory ledger', async () => {
    const { ledger, store, cleanup } = await subject();
    try {
      const memory = createMemoryStore();
      const next = cidrGenerator(4242);
      const r = random(11);
      const stores: TaskStore[] = [store, memory];
      for (let i = 0; i < 200; i++) {
        const task: NewTask = sampleTask({
          id: `task-${String(i).padStart(3, '0')}`,
          project: r(4) === 0 ? 'other' : 'acme',
          status: r(3) === 0 ? 'created' : 'queued',
          target: {
            // Half canonical (what planned tasks hold), half CIDRs with host bits set.
            addresses:
              i % 2 === 0
                ? canonical(Array.from({ length: 1 + r(3) }, next))
                : Array.from({ length: 1 + r(3) }, next),
            hostnames: [],
            ports: '80',
          },
        });
        const at = T0 + i;
        for (const s of stores) await s.create([task], { at });
        const end = r(4);
        if (end === 0)
          for (const s of stores)
            await s.transition(task.id as string, { to: 'cancelled', at, reason: 'test' });
      }
      let nonEmpty = 0;
      for (let q = 0; q < 80; q++) {
        const query = Array.from({ length: 1 + r(3) }, next);
        if (q % 20 === 0) query.push(q % 40 === 0 ? '::/64' : '0.0.0.0/0');
        for (const project of ['acme', 'other']) {
          const expected = await memory.active(project, query);
          const actual = await ledger.active(project, query);
          expect(byKey(actual), `active(${project}, ${query.join(' ')})`).toEqual(byKey(expected));
          if (expected.length > 0) nonEmpty++;
        }
      }
      expect(nonEmpty, 'the random queries overlap some tasks').toBeGreaterThan(40);
    } finally {
      await cleanup();
    }
  });

  it('reads IPv6 coverage, and an IPv6 target holding IPv4-mapped space as IPv4', async () => {
    const { ledger, store, cleanup } = await subject();
    try {
      const record: CoverageRecord = {
        addresses: ['2001:db8:abcd::/48', '2001:db8::1/128'],
        ports: '443',
        at: T0,
      };
      await ledger.recordScanned('acme', record);
      expect(await ledger.scanned('acme', ['2001:db8:abcd:12::/64'], T0)).toEqual([record]);
      expect(await ledger.scanned('acme', ['2001:db8::/32'], T0)).toEqual([record]);
      expect(await ledger.scanned('acme', ['2001:db8::1'], T0)).toEqual([record]);
      expect(await ledger.scanned('acme', ['2001:db8::2/127', '2001:db8:abce::/48'], T0)).toEqual([]);
      expect(await ledger.scanned('acme', ['192.0.2.0/24'], T0)).toEqual([]);

      const { created } = await store.create(
        [
          sampleTask({
            project: 'acme',
            target: { addresses: ['::ffff:192.0.2.0/120'], hostnames: [], ports: '80' },
          }),
        ],
        { at: T0 },
      );
      const active = await ledger.active('acme', ['192.0.2.77/32']);
      expect(active).toEqual([
        { addresses: ['::ffff:192.0.2.0/120'], ports: '80', at: T0, taskId: created[0]?.id },
      ]);
      expect(await ledger.active('acme', ['192.0.3.0/24', '2001:db8::/32'])).toEqual([]);
    } finally {
      await cleanup();
    }
  });

  it('keeps a record’s addresses as given, and matches the whole of their cover', async () => {
    const { ledger, cleanup } = await subject();
    try {
      // Host bits, a range, a bare address: stored as given, indexed by their minimal CIDR cover.
      const record: CoverageRecord = {
        addresses: ['10.1.2.3/24', '10.9.0.5-10.9.0.9', '10.8.8.8'],
        ports: '22',
        at: T0,
      };
      await ledger.recordScanned('acme', record);
      expect(await ledger.scanned('acme', ['10.1.2.200'], T0)).toEqual([record]);
      expect(await ledger.scanned('acme', ['10.9.0.9'], T0)).toEqual([record]);
      expect(await ledger.scanned('acme', ['10.9.0.10/31'], T0)).toEqual([]);
      expect(await ledger.scanned('acme', ['10.8.8.8/32'], T0)).toEqual([record]);
    } finally {
      await cleanup();
    }
  });

  it('refuses addresses that are not address specifications, like the memory ledger', async () => {
    const { ledger, cleanup } = await subject();
    try {
      const memory = createMemoryStore();
      for (const l of [ledger, memory] as Ledger[]) {
        await expect(l.scanned('acme', ['192.0.2.300/24'], 0)).rejects.toMatchObject({
          code: 'TARGET_INVALID',
        });
        await expect(l.active('acme', ['not-an-address!'])).rejects.toMatchObject({ code: 'TARGET_INVALID' });
      }
      await expect(
        ledger.recordScanned('acme', { addresses: ['2001:db8::/129'], ports: '80', at: T0 }),
      ).rejects.toMatchObject({ code: 'TARGET_INVALID' });
      await expect(
        ledger.recordScanned('acme', { addresses: 'x' as unknown as string[], ports: '80', at: T0 }),
      ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      await expect(ledger.scanned('acme', [42 as unknown as string], 0)).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
      });
      // Nothing was written by the refused record.
      expect(await ledger.scanned('acme', ['::/0', '0.0.0.0/0'], 0)).toEqual([]);
    } finally {
      await cleanup();
    }
  });

  it('answers scanned overlap queries from the GiST index', async () => {
    const seen: Array<{ text: string; values: unknown[] | undefined }> = [];
    const recording: Queryable = {
      query: ((text: string, values?: unknown[]) => {
        seen.push({ text, values });
        return pool.query(text, values);
      }) as Queryable['query'],
      connect: () => pool.connect(),
    };
    const { schema, ledger, cleanup } = await subject(recording);
    const client = await pool.connect();
    try {
      // Enough rows, in both families, that an index is worth it.
      await pool.query(
        `WITH r AS (
           INSERT INTO "${schema}".scanned (project, addresses, ports, at)
           SELECT 'acme', ARRAY['10.' || (i / 256 % 256) || '.' || (i % 256) || '.0/24'], '80', i
             FROM generate_series(1, 5000) AS i
           RETURNING id, project, at, addresses)
         INSERT INTO "${schema}".scanned_cidrs (scanned_id, project, at, cidr)
         SELECT id, project, at, addresses[1]::cidr FROM r`,
      );
      const next = cidrGenerator(1);
      for (let i = 0; i < 50; i++) {
        await ledger.recordScanned('acme', { addresses: [next(), next()], ports: '80', at: T0 });
      }
      await pool.query(`ANALYZE "${schema}".scanned_cidrs`);

      seen.length = 0;
      const found = await ledger.scanned('acme', ['10.0.7.0/24', '2001:db8::/32'], 0);
      expect(found.length).toBeGreaterThan(0);
      const select = seen.find((q) => q.text.includes('scanned_cidrs'));
      expect(select, 'the ledger queried scanned_cidrs').toBeDefined();

      await client.query('SET enable_seqscan = off');
      const { rows } = await client.query(`EXPLAIN (FORMAT JSON) ${select?.text}`, select?.values);
      const nodes = planNodes(rows[0]['QUERY PLAN'][0].Plan);
      const description = JSON.stringify(rows[0]['QUERY PLAN']);
      expect(
        nodes.some(
          (node) =>
            /Index Scan|Index Only Scan/.test(String(node['Node Type'])) &&
            node['Index Name'] === 'scanned_cidrs_overlap',
        ),
        description,
      ).toBe(true);
      expect(
        nodes.some((node) => node['Node Type'] === 'Seq Scan' && node['Relation Name'] === 'scanned_cidrs'),
        description,
      ).toBe(false);
    } finally {
      client.release();
      await cleanup();
    }
  });

  it('reads active coverage from the project’s active tasks through an index, not a scan of every task', async () => {
    const seen: Array<{ text: string; values: unknown[] | undefined }> = [];
    const recording: Queryable = {
      query: ((text: string, values?: unknown[]) => {
        seen.push({ text, values });
        return pool.query(text, values);
      }) as Queryable['query'],
      connect: () => pool.connect(),
    };
    const { ledger, store, cleanup } = await subject(recording);
    const client = await pool.connect();
    try {
      const tasks = Array.from({ length: 500 }, (_, i) =>
        sampleTask({
          project: i % 10 === 0 ? 'acme' : `p${i % 7}`,
          status: 'queued',
          target: { addresses: [`10.0.${i % 256}.0/24`], hostnames: [], ports: '80' },
        }),
      );
      await store.create(tasks, { at: T0 });
      seen.length = 0;
      expect(await ledger.active('acme', ['10.0.0.0/16'])).toHaveLength(50);
      const select = seen.find((q) => q.text.includes('.tasks'));
      await client.query('SET enable_seqscan = off');
      const { rows } = await client.query(`EXPLAIN (FORMAT JSON) ${select?.text}`, select?.values);
      const nodes = planNodes(rows[0]['QUERY PLAN'][0].Plan);
      const description = JSON.stringify(rows[0]['QUERY PLAN']);
      expect(
        nodes.some((node) => node['Relation Name'] === 'tasks' && /Index/.test(String(node['Node Type']))),
        description,
      ).toBe(true);
      expect(
        nodes.some((node) => node['Node Type'] === 'Seq Scan' && node['Relation Name'] === 'tasks'),
        description,
      ).toBe(false);
    } finally {
      client.release();
      await cleanup();
    }
  });

  it('merges concurrent recordHostnames from 20 connections without duplicates or losses', async () => {
    const { schema, ledger, cleanup } = await subject();
    // 20 connections of their own, all merging into the same address at once, round after round.
    const pools = Array.from(
      { length: 20 },
      () => new pg.Pool({ connectionString: server.connectionString, max: 1 }),
    );
    try {
      const ledgers = pools.map((p) => createPostgresLedger({ pool: p, schema }));
      await Promise.all(pools.map((p) => p.query('SELECT 1'))); // all 20 connected before the race
      const expected = new Set<string>();
      for (let round = 0; round < 5; round++) {
        const address = `192.0.2.${round}`;
        const batches = ledgers.map((_, i) => {
          const names = [
            `shared-${round}.example`,
            `c${i}.example`,
            `c${(i + 1) % 20}.example`,
            `r${round}.example`,
          ];
          return i % 2 === 0 ? names : names.reverse();
        });
        await Promise.all(
          ledgers.map((l, i) => l.recordHostnames('acme', address, batches[i] as string[], T0 + i)),
        );
        const names = await ledger.hostnames('acme', address);
        expect(new Set(names).size, `duplicates in ${names.join(' ')}`).toBe(names.length);
        expect([...names].sort()).toEqual([...new Set(batches.flat())].sort());
        // First-seen order: the names are some batch's names first, in that batch's order.
        expect(batches.some((batch) => names.slice(0, 4).join() === batch.join())).toBe(true);
        for (const name of names) expected.add(name);
      }
      const { rows } = await pool.query(
        `SELECT count(*)::int AS n, sum(cardinality(hostnames))::int AS names FROM "${schema}".hostnames`,
      );
      expect(rows[0]).toEqual({ n: 5, names: 5 * 22 });
      expect(expected.size).toBe(20 + 5 * 2);
    } finally {
      await Promise.all(pools.map((p) => p.end()));
      await cleanup();
    }
  });

  it('reports health from a real query, and unhealthy when its tables are missing', async () => {
    const { ledger, cleanup } = await subject();
    try {
      const report = await ledger.health();
      expect(report).toMatchObject({ ok: true, component: 'ledger' });
      expect(report.latencyMs).toBeGreaterThan(0);
      const missing = createPostgresLedger({ pool, schema: uniqueSchema() });
      expect(await missing.health()).toMatchObject({ ok: false, component: 'ledger' });
    } finally {
      await cleanup();
    }
  });
});

/** Every node of an EXPLAIN (FORMAT JSON) plan. */
function planNodes(node: Record<string, unknown>): Array<Record<string, unknown>> {
  const children = (node['Plans'] as Array<Record<string, unknown>> | undefined) ?? [];
  return [node, ...children.flatMap(planNodes)];
}
