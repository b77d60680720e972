import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createStaticResolver } from '../resolver/static-resolver.js';
import { AddressSet } from '../targets/address-set.js';
import { prepare } from '../targets/prepare.js';
import { type PlannedTask, planTasks } from './plan-tasks.js';
import { PortSet } from './port-set.js';
import { taskKey } from './task-key.js';

function take<T>(iterable: Iterable<T>, n: number): T[] {
  const out: T[] = [];
  if (n <= 0) return out;
  for (const item of iterable) {
    out.push(item);
    if (out.length >= n) break;
  }
  return out;
}

/** Every (address, port-text) pair a list of block tasks covers. */
function coverage(tasks: PlannedTask[]): string[] {
  const out: string[] = [];
  for (const task of tasks) {
    for (const address of AddressSet.parse(task.addresses)) {
      for (const protocol of ['tcp', 'udp', 'sctp'] as const) {
        for (const [a, b] of PortSet.parse(task.ports).ranges(protocol)) {
          for (let p = a; p <= b; p++) out.push(`${address} ${protocol}/${p}`);
        }
      }
    }
  }
  return out;
}

describe('planTasks per IP', () => {
  it('yields one task per address in ascending order, with canonical ports and a key', () => {
    const set = AddressSet.parse(['2001:db8::1', '10.0.0.2', '10.0.0.1']);
    const tasks = [...planTasks(set, { ports: '443,80,22' })];
    expect(tasks.map((t) => t.ip)).toEqual(['10.0.0.1', '10.0.0.2', '2001:db8::1']);
    expect(tasks[0]).toEqual({
      granularity: 'ip',
      ip: '10.0.0.1',
      addresses: ['10.0.0.1/32'],
      addressCount: 1,
      ports: '22,80,443',
      portCount: 3,
      hostnames: [],
      key: taskKey({ scope: '', addresses: ['10.0.0.1/32'], ports: '22,80,443' }),
    });
    expect(tasks[2]?.addresses).toEqual(['2001:db8::1/128']);
    expect(new Set(tasks.map((t) => t.key)).size).toBe(3);
  });

  it('carries the hostnames of prepared targets in input order', async () => {
    const resolver = createStaticResolver({
      'b.example': ['10.0.0.1'],
      'a.example': ['10.0.0.1', '10.0.0.2'],
    });
    const prepared = await prepare(['b.example', 'a.example', '10.0.0.3'], { resolver });
    const tasks = [...planTasks(prepared, { ports: '80' })];
    expect(tasks.map((t) => [t.ip, t.hostnames])).toEqual([
      ['10.0.0.1', ['b.example', 'a.example']],
      ['10.0.0.2', ['a.example']],
      ['10.0.0.3', []],
    ]);
  });

  it('follows the seeded order and shards', () => {
    const set = AddressSet.parse(['10.0.0.0/26', '2001:db8::/126']);
    const seeded = [...planTasks(set, { ports: '80', seed: 7 })].map((t) => t.ip);
    expect(seeded).toEqual([...set.addresses({ seed: 7 })]);
    expect(seeded).not.toEqual([...set.addresses()]);
    const shards = [1, 2, 3].map((index) =>
      [...planTasks(set, { ports: '80', seed: 7, shard: { index, count: 3 } })].map((t) => t.ip),
    );
    expect(shards.flat()).toEqual(seeded);
    const ascendingShards = [1, 2].map((index) => [
      ...planTasks(set, { ports: '80', shard: { index, count: 2 } }),
    ]);
    expect(ascendingShards.flat().map((t) => t.ip)).toEqual([...set.addresses()]);
  });

  it('is lazy: the first 10 tasks of a /8 come without planning the rest', async () => {
    const set = AddressSet.parse(['10.0.0.0/8']);
    const first = take(planTasks(set, { ports: '1-65535' }), 10);
    expect(first.map((t) => t.ip)).toEqual(Array.from({ length: 10 }, (_, i) => `10.0.0.${i}`));
    const prepared = await prepare(['10.0.0.0/8']);
    expect(
      take(planTasks(prepared, { ports: '80', seed: 1 }), 10).every((t) => set.contains(t.ip as string)),
    ).toBe(true);
  });

  it('refuses an empty or invalid port set', () => {
    const set = AddressSet.parse(['10.0.0.1']);
    expect(() => [...planTasks(set, { ports: PortSet.fromRanges({}) })]).toThrow(
      expect.objectContaining({ code: 'PORTS_INVALID' }),
    );
    expect(() => [...planTasks(set, { ports: '0' })]).toThrow(
      expect.objectContaining({ code: 'PORTS_INVALID' }),
    );
  });
});

describe('planTasks in blocks', () => {
  it('10.0.0.0/22 with 256 addresses and 32768 ports per task on 1-65535 is 8 tasks', () => {
    const tasks = [
      ...planTasks(AddressSet.parse(['10.0.0.0/22']), {
        ports: '1-65535',
        maxAddressesPerTask: 256,
        maxPortsPerTask: 32768,
      }),
    ];
    expect(tasks.length).toBe(8);
    expect(
      tasks.every((t) => t.granularity === 'block' && t.addressCount === 256 && t.portCount <= 32768),
    ).toBe(true);
    expect(tasks.every((t) => t.ip === undefined)).toBe(true);
    expect([...new Set(tasks.map((t) => t.addresses.join(' ')))]).toEqual([
      '10.0.0.0/24',
      '10.0.1.0/24',
      '10.0.2.0/24',
      '10.0.3.0/24',
    ]);
    expect(tasks.reduce((sum, t) => sum + t.addressCount * t.portCount, 0)).toBe(1024 * 65535);
    const portHalves = [...new Set(tasks.map((t) => t.ports))];
    expect(portHalves.length).toBe(2);
    expect(PortSet.parse(portHalves.join(',')).equals(PortSet.parse('1-65535'))).toBe(true);
    expect(new Set(tasks.map((t) => t.key)).size).toBe(8);
  });

  it('uses the minimal CIDR cover of each run of addresses', () => {
    const tasks = [
      ...planTasks(AddressSet.parse(['10.0.0.1-10.0.0.6']), { ports: '80', maxAddressesPerTask: 10 }),
    ];
    expect(tasks.length).toBe(1);
    expect(tasks[0]?.addresses).toEqual(['10.0.0.1/32', '10.0.0.2/31', '10.0.0.4/31', '10.0.0.6/32']);
    expect(tasks[0]?.addressCount).toBe(6);
  });

  it('defaults to one address per block when only maxPortsPerTask is given', () => {
    const tasks = [...planTasks(AddressSet.parse(['10.0.0.0/31']), { ports: '1-10', maxPortsPerTask: 5 })];
    expect(tasks.map((t) => [t.addresses[0], t.ports])).toEqual([
      ['10.0.0.0/32', '1-5'],
      ['10.0.0.0/32', '6-10'],
      ['10.0.0.1/32', '1-5'],
      ['10.0.0.1/32', '6-10'],
    ]);
  });

  it('carries the hostnames of every address of a block', async () => {
    const resolver = createStaticResolver({
      'b.example': ['10.0.0.2'],
      'a.example': ['10.0.0.1', '10.0.0.2'],
    });
    const prepared = await prepare(['b.example', 'a.example', '10.0.0.0/29'], { resolver });
    const tasks = [...planTasks(prepared, { ports: '80', maxAddressesPerTask: 4 })];
    expect(tasks.map((t) => t.hostnames)).toEqual([['a.example', 'b.example'], []]);
  });

  it('covers every (address, port) pair exactly once, ascending or seeded, for random limits', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 20 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 4 }),
        fc.option(fc.nat(), { nil: undefined }),
        (hosts, maxAddressesPerTask, maxPortsPerTask, seed) => {
          const set = AddressSet.parse(hosts.map((h) => `10.0.0.${h}`));
          const ports = 'T:1-3,U:7';
          const options = {
            ports,
            maxAddressesPerTask,
            maxPortsPerTask,
            ...(seed === undefined ? {} : { seed }),
          };
          const tasks = [...planTasks(set, options)];
          expect(
            tasks.every((t) => t.addressCount <= maxAddressesPerTask && t.portCount <= maxPortsPerTask),
          ).toBe(true);
          const covered = coverage(tasks);
          expect(new Set(covered).size).toBe(covered.length);
          expect(covered.length).toBe(hosts.length * 4);
          // Sharding the same plan: shards together are the plan.
          const sharded = [1, 2].flatMap((index) => [
            ...planTasks(set, { ...options, shard: { index, count: 2 } }),
          ]);
          expect(coverage(sharded).sort()).toEqual([...covered].sort());
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('task keys', () => {
  it('are the same for the same work whatever the input order of addresses and ports', async () => {
    const a = await prepare(['10.0.0.3', '10.0.0.1', '10.0.0.2']);
    const b = await prepare(['10.0.0.1-3']);
    const keys = (targets: AddressSet | Awaited<ReturnType<typeof prepare>>, ports: string): string[] =>
      [...planTasks(targets, { ports, scope: 'acme' })].map((t) => t.key);
    expect(keys(a, '443,80')).toEqual(keys(b, '80,443'));
    const blocks = (targets: AddressSet, ports: string): string[] =>
      [...planTasks(targets, { ports, maxAddressesPerTask: 4, maxPortsPerTask: 2 })].map((t) => t.key).sort();
    expect(blocks(AddressSet.parse(['10.0.0.4/30', '10.0.0.0/30']), '443,80,22')).toEqual(
      blocks(AddressSet.parse(['10.0.0.0/29']), '22,80,443'),
    );
  });

  it('differ for a different scope, ports or protocol', () => {
    const set = AddressSet.parse(['10.0.0.1']);
    const key = (options: { ports: string; scope?: string }): string =>
      [...planTasks(set, options)][0]?.key ?? '';
    const keys = [
      key({ ports: '53' }),
      key({ ports: '53', scope: 'acme' }),
      key({ ports: '53', scope: 'other' }),
      key({ ports: 'U:53' }),
      key({ ports: '54' }),
      key({ ports: '53,54' }),
    ];
    expect(new Set(keys).size).toBe(keys.length);
    expect(key({ ports: 'T:53' })).toBe(key({ ports: '53' }));
  });
});
