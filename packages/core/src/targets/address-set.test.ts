import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isScanplaneError } from '../errors/scanplane-error.js';
import {
  AddressSet,
  AddressSetBuilder,
  formatAddress,
  type NumericAddress,
  parseAddress,
} from './address-set.js';
import { formatIpv4, parseIpv4 } from './ipv4.js';
import { formatIpv6, IPV6_SPACE, parseIpv6 } from './ipv6.js';

// ---------------------------------------------------------------------------------------------------------------
// A brute-force model: a set of canonical keys over a small universe of segments of both families, chosen around
// the edges (0, 2^32-1, the IPv4-mapped block ::ffff:0:0/96 whose addresses are IPv4, 2^64, 2^128-1).
// ---------------------------------------------------------------------------------------------------------------

const V4_MAX = 2 ** 32 - 1;
const MAPPED_START = 0xffffn << 32n;
const MAPPED_END = MAPPED_START + 0xffffffffn;
const V6_MAX = IPV6_SPACE - 1n;

type Segment = { family: 4; lo: number; hi: number } | { family: 6; lo: bigint; hi: bigint };

const SEGMENTS: Segment[] = [
  { family: 4, lo: 0, hi: 255 },
  { family: 4, lo: V4_MAX - 255, hi: V4_MAX },
  { family: 6, lo: 0n, hi: 63n },
  { family: 6, lo: MAPPED_START - 64n, hi: MAPPED_START + 63n },
  { family: 6, lo: MAPPED_END - 63n, hi: MAPPED_END + 64n },
  { family: 6, lo: (1n << 64n) - 32n, hi: (1n << 64n) + 31n },
  { family: 6, lo: V6_MAX - 63n, hi: V6_MAX },
];

const segmentSize = (s: Segment): number => (s.family === 4 ? s.hi - s.lo + 1 : Number(s.hi - s.lo + 1n));

/** A canonical address: IPv4-mapped IPv6 values become IPv4. */
function canonical(family: 4 | 6, value: number | bigint): NumericAddress {
  if (family === 6) {
    const v = value as bigint;
    if (v >= MAPPED_START && v <= MAPPED_END) return { family: 4, value: Number(v - MAPPED_START) };
    return { family: 6, value: v };
  }
  return { family: 4, value: value as number };
}

const keyOf = (a: NumericAddress): string => `${a.family}:${a.value}`;

function fromKey(key: string): NumericAddress {
  const [family, value] = key.split(':') as [string, string];
  return family === '4' ? { family: 4, value: Number(value) } : { family: 6, value: BigInt(value) };
}

function compare(a: NumericAddress, b: NumericAddress): number {
  if (a.family !== b.family) return a.family - b.family;
  return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
}

/** Every point of the universe, canonical. */
const UNIVERSE: NumericAddress[] = (() => {
  const seen = new Map<string, NumericAddress>();
  for (const s of SEGMENTS) {
    for (let i = 0; i < segmentSize(s); i++) {
      const a = s.family === 4 ? canonical(4, s.lo + i) : canonical(6, s.lo + BigInt(i));
      seen.set(keyOf(a), a);
    }
  }
  return [...seen.values()].sort(compare);
})();

interface RangeSpec {
  segment: number;
  from: number;
  to: number;
}

const rangeArb: fc.Arbitrary<RangeSpec> = fc
  .integer({ min: 0, max: SEGMENTS.length - 1 })
  .chain((segment) => {
    const size = segmentSize(SEGMENTS[segment] as Segment);
    return fc
      .tuple(fc.integer({ min: 0, max: size - 1 }), fc.integer({ min: 0, max: size - 1 }))
      .map(([a, b]) => ({ segment, from: Math.min(a, b), to: Math.max(a, b) }));
  });

interface SetCase {
  ranges: RangeSpec[];
  viaText: boolean;
}

const setArb: fc.Arbitrary<SetCase> = fc.record({
  ranges: fc.array(rangeArb, { maxLength: 5 }),
  viaText: fc.boolean(),
});

function rangeEnds(
  r: RangeSpec,
): [NumericAddress, NumericAddress] | [{ family: 6; value: bigint }, { family: 6; value: bigint }] {
  const s = SEGMENTS[r.segment] as Segment;
  if (s.family === 4)
    return [
      { family: 4, value: s.lo + r.from },
      { family: 4, value: s.lo + r.to },
    ];
  return [
    { family: 6, value: s.lo + BigInt(r.from) },
    { family: 6, value: s.lo + BigInt(r.to) },
  ];
}

function modelOf(c: SetCase): Set<string> {
  const model = new Set<string>();
  for (const r of c.ranges) {
    const s = SEGMENTS[r.segment] as Segment;
    for (let i = r.from; i <= r.to; i++) {
      model.add(keyOf(s.family === 4 ? canonical(4, s.lo + i) : canonical(6, s.lo + BigInt(i))));
    }
  }
  return model;
}

/** Builds the set through the builder or through range text parsed by AddressSet.parse. */
function build(c: SetCase): AddressSet {
  if (c.viaText) {
    return AddressSet.parse(
      c.ranges.map((r) => {
        const [first, last] = rangeEnds(r);
        const text = (a: NumericAddress): string =>
          a.family === 4 ? formatIpv4(a.value) : formatIpv6(a.value);
        return first.value === last.value ? text(first) : `${text(first)}-${text(last)}`;
      }),
    );
  }
  const builder = new AddressSetBuilder();
  for (const r of c.ranges) {
    const [first, last] = rangeEnds(r);
    if (first.family === 4) builder.addV4(first.value, last.value as number);
    else builder.addV6(first.value, last.value as bigint);
  }
  return builder.build();
}

function sortedModel(model: Set<string>): NumericAddress[] {
  return [...model].map(fromKey).sort(compare);
}

/** The set's addresses as canonical keys, through the chunk iterator. */
function keysOf(set: AddressSet): string[] {
  const out: string[] = [];
  for (const chunk of set.chunks({ size: 97 })) {
    if (chunk.family === 4) for (const v of chunk.values) out.push(keyOf({ family: 4, value: v }));
    else for (const v of chunk.values) out.push(keyOf({ family: 6, value: v }));
  }
  return out;
}

const sameSet = (a: Set<string>, b: Set<string>): boolean =>
  a.size === b.size && [...a].every((k) => b.has(k));

/** Expands a CIDR string into [family, first, last] and checks its alignment. */
function expandCidr(cidr: string): { family: 4 | 6; first: bigint; last: bigint; prefix: number } {
  const [addressText, prefixText] = cidr.split('/') as [string, string];
  const prefix = Number(prefixText);
  const isV4 = !addressText.includes(':');
  const bits = isV4 ? 32 : 128;
  const first = isV4 ? BigInt(parseIpv4(addressText)) : parseIpv6(addressText);
  const size = 1n << BigInt(bits - prefix);
  expect(first % size, `${cidr} is aligned`).toBe(0n);
  return { family: isV4 ? 4 : 6, first, last: first + size - 1n, prefix };
}

function runsOf(sorted: NumericAddress[]): number {
  let runs = 0;
  for (let i = 0; i < sorted.length; i++) {
    const a = sorted[i] as NumericAddress;
    const prev = sorted[i - 1];
    const adjacent =
      prev !== undefined &&
      prev.family === a.family &&
      (a.family === 4 ? a.value === (prev.value as number) + 1 : a.value === (prev.value as bigint) + 1n);
    if (!adjacent) runs++;
  }
  return runs;
}

// ---------------------------------------------------------------------------------------------------------------

describe('AddressSet against a brute-force model', () => {
  it('size, contains, ranges, at and ascending iteration', () => {
    fc.assert(
      fc.property(setArb, (c) => {
        const set = build(c);
        const model = modelOf(c);
        const sorted = sortedModel(model);
        expect(set.size).toBe(BigInt(model.size));
        expect(set.sizeV4).toBe(sorted.filter((a) => a.family === 4).length);
        expect(set.sizeV6).toBe(BigInt(sorted.filter((a) => a.family === 6).length));
        expect(set.isEmpty).toBe(model.size === 0);
        expect(UNIVERSE.map((point) => set.contains(point))).toEqual(
          UNIVERSE.map((point) => model.has(keyOf(point))),
        );
        // Text lookups, including the ::ffff:a.b.c.d spelling of IPv4 addresses.
        for (const point of UNIVERSE.filter((_, i) => i % 7 === 0)) {
          const text = formatAddress(point);
          expect(set.contains(text)).toBe(model.has(keyOf(point)));
          if (point.family === 4) {
            expect(set.contains(`::ffff:${text}`)).toBe(model.has(keyOf(point)));
          }
        }
        const ranges = [...set.ranges()];
        expect(ranges.length).toBe(runsOf(sorted));
        expect(set.rangeCount).toBe(ranges.length);
        expect(ranges.reduce((sum, r) => sum + r.size, 0n)).toBe(BigInt(model.size));
        const formatted = sorted.map(formatAddress);
        expect([...set.addresses()]).toEqual(formatted);
        expect([...set]).toEqual(formatted);
        expect(keysOf(set)).toEqual(sorted.map(keyOf));
        expect(formatted.map((_, i) => set.at(i))).toEqual(formatted);
        expect(() => set.at(formatted.length)).toThrow();
        expect(() => set.at(-1)).toThrow();
      }),
      { numRuns: 100 },
    );
  });

  it('union, subtract and intersect', () => {
    fc.assert(
      fc.property(setArb, setArb, (ca, cb) => {
        const a = build(ca);
        const b = build(cb);
        const ma = modelOf(ca);
        const mb = modelOf(cb);
        const union = new Set([...ma, ...mb]);
        const minus = new Set([...ma].filter((k) => !mb.has(k)));
        const both = new Set([...ma].filter((k) => mb.has(k)));
        expect(keysOf(a.union(b))).toEqual(sortedModel(union).map(keyOf));
        expect(keysOf(a.subtract(b))).toEqual(sortedModel(minus).map(keyOf));
        expect(keysOf(a.intersect(b))).toEqual(sortedModel(both).map(keyOf));
        expect(a.union(b).size).toBe(BigInt(union.size));
        expect(a.subtract(b).size).toBe(BigInt(minus.size));
        expect(a.intersect(b).size).toBe(BigInt(both.size));
        // Results are normalised: one range per maximal run.
        expect(a.union(b).rangeCount).toBe(runsOf(sortedModel(union)));
        expect(a.subtract(b).rangeCount).toBe(runsOf(sortedModel(minus)));
        expect(a.intersect(b).rangeCount).toBe(runsOf(sortedModel(both)));
      }),
      { numRuns: 200 },
    );
  });

  it('equals is set equality, whatever the ranges were built from', () => {
    fc.assert(
      fc.property(setArb, setArb, (ca, cb) => {
        const a = build(ca);
        const b = build(cb);
        const ma = modelOf(ca);
        const mb = modelOf(cb);
        expect(a.equals(b)).toBe(sameSet(ma, mb));
        // The same set, built one address at a time in reverse order.
        const builder = new AddressSetBuilder();
        for (const point of sortedModel(ma).reverse()) builder.add(point);
        const pointwise = builder.build();
        expect(pointwise.equals(a)).toBe(true);
        expect(a.equals(pointwise)).toBe(true);
        expect(a.union(b).equals(b.union(a))).toBe(true);
        expect(a.intersect(b).equals(b.intersect(a))).toBe(true);
        expect(a.subtract(b).union(a.intersect(b)).equals(a)).toBe(true);
        expect(a.equals(AddressSet.empty())).toBe(ma.size === 0);
        expect(a.subtract(a).isEmpty).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it('cidrs() is a minimal cover that expands back to exactly the set', () => {
    fc.assert(
      fc.property(setArb, (c) => {
        const set = build(c);
        const model = modelOf(c);
        const cidrs = [...set.cidrs()].map(expandCidr);
        const expanded = new Set<string>();
        let total = 0n;
        for (const block of cidrs) {
          total += block.last - block.first + 1n;
          for (let v = block.first; v <= block.last; v++) {
            expanded.add(
              keyOf(block.family === 4 ? { family: 4, value: Number(v) } : { family: 6, value: v }),
            );
          }
        }
        expect(total).toBe(BigInt(model.size)); // no overlap
        expect(sameSet(expanded, model)).toBe(true);
        // Ascending, and no two neighbours can merge into one aligned block.
        for (let i = 1; i < cidrs.length; i++) {
          const prev = cidrs[i - 1] as (typeof cidrs)[number];
          const next = cidrs[i] as (typeof cidrs)[number];
          if (prev.family !== next.family) {
            expect(prev.family).toBe(4);
            continue;
          }
          expect(prev.last < next.first).toBe(true);
          const bits = prev.family === 4 ? 32 : 128;
          const mergedSize = 2n << BigInt(bits - prev.prefix);
          const mergeable =
            prev.prefix === next.prefix && prev.last + 1n === next.first && prev.first % mergedSize === 0n;
          expect(mergeable, `${prev.first}/${prev.prefix} + ${next.first}/${next.prefix}`).toBe(false);
        }
        expect(set.toJSON()).toEqual([...set.cidrs()]);
      }),
      { numRuns: 200 },
    );
  });

  it('shards are disjoint and together exactly the set, ascending and seeded', () => {
    fc.assert(
      fc.property(setArb, fc.integer({ min: 1, max: 6 }), fc.nat(), (c, count, seed) => {
        const set = build(c);
        const model = modelOf(c);
        const ascending = sortedModel(model).map(formatAddress);
        const ascendingShards: string[][] = [];
        const seededShards: string[][] = [];
        for (let index = 1; index <= count; index++) {
          ascendingShards.push([...set.addresses({ shard: { index, count } })]);
          seededShards.push([...set.addresses({ seed, shard: { index, count } })]);
        }
        expect(ascendingShards.flat()).toEqual(ascending);
        const seeded = [...set.addresses({ seed })];
        expect(seededShards.flat()).toEqual(seeded);
        expect(new Set(seeded).size).toBe(model.size);
        expect([...seeded].sort()).toEqual([...ascending].sort());
        // Balanced: shard sizes differ by at most one.
        const sizes = seededShards.map((s) => s.length);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      }),
      { numRuns: 150 },
    );
  });

  it('blocks are consecutive runs (ascending) or slices of the seeded order, disjoint, covering, each <= size', () => {
    fc.assert(
      fc.property(setArb, fc.integer({ min: 1, max: 40 }), fc.nat(), (c, size, seed) => {
        const set = build(c);
        const ascending = [...set.addresses()];
        const ascendingBlocks = [...set.blocks({ size })].map((b) => [...b.addresses()]);
        for (const block of ascendingBlocks) {
          expect(block.length).toBeGreaterThan(0);
          expect(block.length).toBeLessThanOrEqual(size);
        }
        expect(ascendingBlocks.flat()).toEqual(ascending);
        expect(ascendingBlocks.slice(0, -1).every((b) => b.length === size)).toBe(true);

        const seeded = [...set.addresses({ seed })];
        const seededBlocks = [...set.blocks({ size, seed })];
        let position = 0;
        for (const block of seededBlocks) {
          expect(block.size).toBeGreaterThan(0n);
          expect(block.size).toBeLessThanOrEqual(BigInt(size));
          const slice = seeded.slice(position, position + Number(block.size));
          expect([...block.addresses()].sort()).toEqual([...slice].sort());
          position += Number(block.size);
        }
        expect(position).toBe(seeded.length);
      }),
      { numRuns: 150 },
    );
  });

  it('blocks of a shard cover exactly that shard', () => {
    fc.assert(
      fc.property(
        setArb,
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 20 }),
        fc.nat(),
        (c, count, size, seed) => {
          const set = build(c);
          for (let index = 1; index <= count; index++) {
            const shard = { index, count };
            const fromBlocks = [...set.blocks({ size, shard })].flatMap((b) => [...b.addresses()]);
            expect(fromBlocks).toEqual([...set.addresses({ shard })]);
            const seededBlocks = [...set.blocks({ size, shard, seed })].flatMap((b) => [...b.addresses()]);
            expect(seededBlocks.sort()).toEqual([...set.addresses({ shard, seed })].sort());
          }
        },
      ),
      { numRuns: 80 },
    );
  });
});

describe('AddressSet.parse', () => {
  it('parses addresses, CIDRs, ranges and octet patterns of both families', () => {
    expect(AddressSet.parse(['10.0.0.0/30', '10.0.0.8-10', '2001:db8::/126']).size).toBe(11n);
    expect(AddressSet.parse(['192.168.0-255.1-254']).size).toBe(65024n);
    expect(AddressSet.parse(['10.0.0.0/255.255.255.0']).toJSON()).toEqual(['10.0.0.0/24']);
    expect(AddressSet.parse([]).isEmpty).toBe(true);
    expect(AddressSet.empty().size).toBe(0n);
  });

  it('has no per-entry address cap (sets are ranges)', () => {
    expect(AddressSet.parse(['0.0.0.0/0']).size).toBe(2n ** 32n);
    expect(AddressSet.parse(['2001:db8::/32']).size).toBe(2n ** 96n);
    const all6 = AddressSet.parse(['::/0']);
    expect(all6.size).toBe(2n ** 128n);
    // The IPv4-mapped block is stored as IPv4.
    expect(all6.sizeV4).toBe(2 ** 32);
    expect(all6.contains('192.0.2.1')).toBe(true);
  });

  it('treats ::ffff:a.b.c.d as the IPv4 address', () => {
    const set = AddressSet.parse(['::ffff:1.2.3.4']);
    expect(set.equals(AddressSet.parse(['1.2.3.4']))).toBe(true);
    expect(set.sizeV6).toBe(0n);
    expect(AddressSet.parse(['1.2.3.4', '::ffff:1.2.3.4']).size).toBe(1n);
    expect(set.contains('::ffff:1.2.3.4')).toBe(true);
    expect(set.contains('1.2.3.4')).toBe(true);
  });

  it('refuses hostnames and invalid entries with TARGET_INVALID naming the entry', () => {
    for (const spec of ['example.com', '10.1', '010.0.0.1', '1::2::3']) {
      let caught: unknown;
      try {
        AddressSet.parse(['10.0.0.1', spec]);
      } catch (error) {
        caught = error;
      }
      expect(isScanplaneError(caught), spec).toBe(true);
      if (!isScanplaneError(caught)) continue;
      expect(caught.code).toBe('TARGET_INVALID');
      expect(caught.message).toContain(spec);
    }
  });

  it('refuses an octet pattern with too many ranges with TARGET_TOO_LARGE', () => {
    expect(() => AddressSet.parse(['1-200.1-200.1-200.1'])).toThrow(
      expect.objectContaining({ code: 'TARGET_TOO_LARGE' }),
    );
  });
});

describe('AddressSet basics', () => {
  it('ranges() reports first, last and size per family, IPv4 first', () => {
    const set = AddressSet.parse(['2001:db8::1-2001:db8::3', '10.0.0.0/31', '10.0.0.2', '10.0.0.9']);
    expect([...set.ranges()]).toEqual([
      { family: 4, first: '10.0.0.0', last: '10.0.0.2', size: 3n },
      { family: 4, first: '10.0.0.9', last: '10.0.0.9', size: 1n },
      { family: 6, first: '2001:db8::1', last: '2001:db8::3', size: 3n },
    ]);
  });

  it('cidrs() gives the minimal cover', () => {
    expect([...AddressSet.parse(['10.0.0.1-10.0.0.6']).cidrs()]).toEqual([
      '10.0.0.1/32',
      '10.0.0.2/31',
      '10.0.0.4/31',
      '10.0.0.6/32',
    ]);
    expect([...AddressSet.parse(['0.0.0.0/0']).cidrs()]).toEqual(['0.0.0.0/0']);
    expect([...AddressSet.parse(['10.0.0.0/24', '10.0.1.0/24']).cidrs()]).toEqual(['10.0.0.0/23']);
    expect([...AddressSet.parse(['10.0.1.0/24', '10.0.2.0/24']).cidrs()]).toEqual([
      '10.0.1.0/24',
      '10.0.2.0/24',
    ]);
    expect([...AddressSet.parse(['2001:db8::/127', '2001:db8::2/127']).cidrs()]).toEqual(['2001:db8::/126']);
    expect([
      ...AddressSet.parse([
        'ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
      ]).cidrs(),
    ]).toEqual(['ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127']);
  });

  it('at() walks IPv4 first, then IPv6, with bigint indexes too', () => {
    const set = AddressSet.parse(['2001:db8::/127', '10.0.0.0/31']);
    expect([0, 1, 2, 3].map((i) => set.at(i))).toEqual(['10.0.0.0', '10.0.0.1', '2001:db8::', '2001:db8::1']);
    expect(set.at(3n)).toBe('2001:db8::1');
    const big = AddressSet.parse(['2001:db8::/64']);
    expect(big.at(2n ** 64n - 1n)).toBe('2001:db8::ffff:ffff:ffff:ffff');
    expect(() => big.at(2n ** 64n)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('contains() is false for text that is not an address', () => {
    const set = AddressSet.parse(['0.0.0.0/0']);
    expect(set.contains('example.com')).toBe(false);
    expect(set.contains('10.1')).toBe(false);
    expect(set.contains('')).toBe(false);
  });

  it('toString() and toJSON() stay small', () => {
    const set = AddressSet.parse(['10.0.0.0/8', '192.0.2.1']);
    expect(set.toString()).toBe('AddressSet(16777217 addresses in 2 ranges)');
    expect(JSON.stringify(set)).toBe('["10.0.0.0/8","192.0.2.1/32"]');
  });

  it('the builder splits IPv6 ranges at the IPv4-mapped block', () => {
    const set = new AddressSetBuilder()
      .addV6(MAPPED_START - 1n, MAPPED_START + 1n)
      .addV6(MAPPED_END, MAPPED_END + 1n)
      .build();
    expect(set.sizeV4).toBe(3);
    expect(set.sizeV6).toBe(2n);
    expect([...set]).toEqual(['0.0.0.0', '0.0.0.1', '255.255.255.255', '::fffe:ffff:ffff', '::1:0:0:0']);
  });

  it('parseAddress and formatAddress', () => {
    expect(parseAddress('192.0.2.1')).toEqual({ family: 4, value: 3221225985 });
    expect(parseAddress('::ffff:192.0.2.1')).toEqual({ family: 4, value: 3221225985 });
    expect(parseAddress('2001:db8::1')).toEqual({ family: 6, value: 0x20010db8000000000000000000000001n });
    expect(parseAddress('example.com')).toBeUndefined();
    expect(parseAddress('10.0.0.0/8')).toBeUndefined();
    expect(formatAddress({ family: 6, value: 1n })).toBe('::1');
  });
});

describe('memory and time grow with ranges, not addresses', () => {
  /** A small deterministic generator. */
  function lcg(seed: number): () => number {
    let state = seed >>> 0;
    return () => {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      return state;
    };
  }

  it('0.0.0.0/0 minus 1000 random exclusions has at most 1001 ranges and the right size', () => {
    const next = lcg(42);
    const excluded = new Set<number>();
    while (excluded.size < 1000) excluded.add(next());
    const exclusions = AddressSet.parse([...excluded].map(formatIpv4));
    const rest = AddressSet.parse(['0.0.0.0/0']).subtract(exclusions);
    expect(rest.rangeCount).toBeLessThanOrEqual(1001);
    expect(rest.size).toBe(2n ** 32n - 1000n);
    for (const value of [...excluded].slice(0, 50)) {
      expect(rest.contains({ family: 4, value })).toBe(false);
      if (value < V4_MAX && !excluded.has(value + 1))
        expect(rest.contains({ family: 4, value: value + 1 })).toBe(true);
    }
    expect(rest.union(exclusions).equals(AddressSet.parse(['0.0.0.0/0']))).toBe(true);
    expect(rest.intersect(exclusions).isEmpty).toBe(true);
    expect([...rest.cidrs()].length).toBeGreaterThan(1000);
  });

  it('the internet minus private ranges', () => {
    const internet = AddressSet.parse(['0.0.0.0/0']).subtract(
      AddressSet.parse(['10.0.0.0/8', '192.168.0.0/16']),
    );
    // 2^32 - 2^24 - 2^16 (the 4211015680n in the class's doc comment is wrong).
    expect(internet.size).toBe(4278124544n);
    expect(internet.rangeCount).toBe(3);
  });

  it('an IPv6 /32 minus 1000 addresses', () => {
    const next = lcg(7);
    const base = parseIpv6('2001:db8::');
    const holes = new Set<bigint>();
    while (holes.size < 1000) holes.add(base + ((BigInt(next()) << 64n) | BigInt(next())));
    const rest = AddressSet.parse(['2001:db8::/32']).subtract(AddressSet.parse([...holes].map(formatIpv6)));
    expect(rest.rangeCount).toBeLessThanOrEqual(1001);
    expect(rest.size).toBe(2n ** 96n - 1000n);
  });
});

describe('seeded order', () => {
  const set = AddressSet.parse(['10.0.0.0/20']);

  it('visits every address exactly once', () => {
    const order = [...set.addresses({ seed: 1234 })];
    expect(order.length).toBe(4096);
    expect(new Set(order).size).toBe(4096);
    expect(order.every((a) => set.contains(a))).toBe(true);
    expect(order).not.toEqual([...set.addresses()]);
  });

  it('is reproducible from the seed, and different seeds give different orders', () => {
    const a = [...set.addresses({ seed: 1 })];
    expect([...set.addresses({ seed: 1 })]).toEqual(a);
    expect([...set.addresses({ seed: 2 })]).not.toEqual(a);
    expect([...set.addresses({ seed: 'nightly' })]).toEqual([...set.addresses({ seed: 'nightly' })]);
    expect([...set.addresses({ seed: 'nightly' })]).not.toEqual([...set.addresses({ seed: 'nightlz' })]);
    expect([...set.addresses({ seed: 5n })]).toEqual([...set.addresses({ seed: 5 })]);
  });

  it('mixes families in one order', () => {
    const mixed = AddressSet.parse(['10.0.0.0/28', '2001:db8::/124']);
    const order = [...mixed.addresses({ seed: 9 })];
    expect(new Set(order).size).toBe(32);
    expect([...order].sort()).toEqual([...mixed.addresses()].sort());
    for (const chunk of mixed.chunks({ seed: 9, size: 5 })) {
      expect(chunk.values.length).toBeLessThanOrEqual(5);
      for (const v of chunk.values) {
        const address: NumericAddress =
          chunk.family === 4 ? { family: 4, value: v as number } : { family: 6, value: v as bigint };
        expect(mixed.contains(address)).toBe(true);
      }
    }
  });

  it('walks sets beyond 2^52 addresses lazily, with disjoint shards', () => {
    const huge = AddressSet.parse(['2001:db8::/64']);
    const take = (iterator: Iterator<string>, n: number): string[] => {
      const out: string[] = [];
      for (let i = 0; i < n; i++) {
        const step = iterator.next();
        if (step.done) break;
        out.push(step.value);
      }
      return out;
    };
    const first = take(huge.addresses({ seed: 3, shard: { index: 1, count: 3 } }), 300);
    const second = take(huge.addresses({ seed: 3, shard: { index: 2, count: 3 } }), 300);
    expect(first.length).toBe(300);
    expect(new Set([...first, ...second]).size).toBe(600);
    expect([...first, ...second].every((a) => huge.contains(a))).toBe(true);
    expect(take(huge.addresses({ seed: 3, shard: { index: 1, count: 3 } }), 300)).toEqual(first);
  });

  it('walks sets between 2^32 and 2^52 addresses in a seeded order', () => {
    const big = AddressSet.parse(['2001:db8::/88', '10.0.0.0/30']);
    const iterator = big.addresses({ seed: 'mid' });
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const step = iterator.next();
      if (step.done) break;
      seen.add(step.value);
    }
    expect(seen.size).toBe(2000);
    expect([...seen].every((a) => big.contains(a))).toBe(true);
  });

  it('refuses invalid seeds, shards and sizes with INVALID_ARGUMENT', () => {
    const invalid = expect.objectContaining({ code: 'INVALID_ARGUMENT' });
    expect(() => [...set.addresses({ seed: -1 })]).toThrow(invalid);
    expect(() => [...set.addresses({ seed: 1.5 })]).toThrow(invalid);
    expect(() => [...set.addresses({ seed: -1n })]).toThrow(invalid);
    for (const shard of [
      { index: 0, count: 4 },
      { index: 5, count: 4 },
      { index: 1, count: 0 },
      { index: 1.5, count: 4 },
    ]) {
      expect(() => [...set.addresses({ shard })]).toThrow(invalid);
    }
    expect(() => [...set.chunks({ size: 0 })]).toThrow(invalid);
    expect(() => [...set.blocks({ size: 0 })]).toThrow(invalid);
    expect(() => [...set.blocks({ size: 1.5 })]).toThrow(invalid);
  });
});

describe('blocks', () => {
  it('a /23 in blocks of 256 is two /24s', () => {
    expect([...AddressSet.parse(['10.0.0.0/23']).blocks({ size: 256 })].map((b) => b.toJSON())).toEqual([
      ['10.0.0.0/24'],
      ['10.0.1.0/24'],
    ]);
  });

  it('a /16 in blocks of 256 gives 256 /24s', () => {
    const blocks = [...AddressSet.parse(['10.1.0.0/16']).blocks({ size: 256 })];
    expect(blocks.length).toBe(256);
    expect(blocks.every((b) => b.toJSON().length === 1 && b.toJSON()[0]?.endsWith('/24'))).toBe(true);
  });

  it('the empty set has no blocks, chunks or addresses', () => {
    const empty = AddressSet.empty();
    expect([...empty.blocks({ size: 4 })]).toEqual([]);
    expect([...empty.chunks()]).toEqual([]);
    expect([...empty.addresses({ seed: 1, shard: { index: 1, count: 2 } })]).toEqual([]);
  });
});
