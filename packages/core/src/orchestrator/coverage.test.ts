import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PortSet } from '../plan/port-set.js';
import { AddressSet } from '../targets/address-set.js';
import { CoverageIndex } from './coverage.js';

const BASE = 0x0a000000; // 10.0.0.0
const text = (value: number) =>
  `${value >>> 24}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;

/** A rectangle: addresses BASE+[a, b] × ports (tcp and udp ranges within 1..12). */
const rectangle = fc.record({
  first: fc.integer({ min: 0, max: 40 }),
  length: fc.integer({ min: 0, max: 12 }),
  tcp: fc.subarray([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]),
  udp: fc.subarray([1, 2, 3, 53]),
});

type Rect = { first: number; length: number; tcp: number[]; udp: number[] };

function ports(rect: Rect): PortSet {
  return PortSet.fromRanges({ tcp: rect.tcp.map((p) => [p, p]), udp: rect.udp.map((p) => [p, p]) });
}

function cells(rect: Rect): Set<string> {
  const out = new Set<string>();
  for (let a = rect.first; a <= rect.first + rect.length; a++) {
    for (const p of rect.tcp) out.add(`${a}/tcp/${p}`);
    for (const p of rect.udp) out.add(`${a}/udp/${p}`);
  }
  return out;
}

describe('CoverageIndex', () => {
  it('returns exactly the uncovered cells of addresses × ports (brute-force model)', () => {
    fc.assert(
      fc.property(fc.array(rectangle, { maxLength: 6 }), rectangle, (records, wanted) => {
        fc.pre(wanted.tcp.length + wanted.udp.length > 0);
        const index = CoverageIndex.build(
          records
            .filter((r) => r.tcp.length + r.udp.length > 0)
            .map((r) => ({
              addresses: [
                ...AddressSet.parse([`${text(BASE + r.first)}-${text(BASE + r.first + r.length)}`]).cidrs(),
              ],
              ports: ports(r).toString(),
              at: 0,
            })),
        );
        const covered = new Set<string>();
        for (const record of records) for (const cell of cells(record)) covered.add(cell);
        const expected = [...cells(wanted)].filter((cell) => !covered.has(cell)).sort();
        const groups = index.uncovered(
          AddressSet.parse([`${text(BASE + wanted.first)}-${text(BASE + wanted.first + wanted.length)}`]),
          ports(wanted),
        );
        const actual: string[] = [];
        const seenPorts = new Set<string>();
        for (const group of groups) {
          // Groups have distinct, non-empty port sets.
          expect(group.ports.isEmpty).toBe(false);
          expect(seenPorts.has(group.ports.toString())).toBe(false);
          seenPorts.add(group.ports.toString());
          for (const address of group.addresses) {
            const value = AddressSet.parse([address]).v4.starts[0] as number;
            for (const protocol of ['tcp', 'udp'] as const) {
              for (const [a, b] of group.ports.ranges(protocol))
                for (let p = a; p <= b; p++) actual.push(`${value - BASE}/${protocol}/${p}`);
            }
          }
        }
        expect(actual.sort()).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('treats 443,80 after 80,443 as covered, cuts overlaps down and keeps TCP 53 apart from UDP 53', () => {
    const index = CoverageIndex.build([
      { addresses: ['192.0.2.0/30'], ports: PortSet.parse('80,443').toString(), at: 0 },
      { addresses: ['192.0.2.8/32'], ports: 'T:53', at: 0 },
    ]);
    expect(index.uncovered(AddressSet.parse(['192.0.2.1']), PortSet.parse('443,80'))).toEqual([]);
    const overlap = index.uncovered(AddressSet.parse(['192.0.2.2-192.0.2.5']), PortSet.parse('80'));
    expect(overlap.map((g) => [g.addresses.toJSON(), g.ports.toString()])).toEqual([
      [['192.0.2.4/31'], '80'],
    ]);
    const udp = index.uncovered(AddressSet.parse(['192.0.2.8']), PortSet.parse('T:53,U:53'));
    expect(udp.map((g) => g.ports.toString())).toEqual(['U:53']);
  });

  it('covers nothing when empty', () => {
    const set = AddressSet.parse(['10.0.0.0/24']);
    const [group] = CoverageIndex.empty().uncovered(set, PortSet.parse('22'));
    expect(group?.addresses).toBe(set);
  });
});
