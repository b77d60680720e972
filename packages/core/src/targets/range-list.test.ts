import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type FamilyOps, V4, V6 } from './address-family.js';
import { RangeList } from './range-list.js';

/** A window of 256 consecutive values of one family, so that sets can be checked against a Set<number> model. */
interface Universe<T extends number | bigint> {
  name: string;
  ops: FamilyOps<T>;
  base: T;
  value(offset: number): T;
  offset(value: T): number;
}

const v4Universe = (base: number): Universe<number> => ({
  name: `IPv4 from ${base}`,
  ops: V4,
  base,
  value: (offset) => base + offset,
  offset: (value) => value - base,
});

const v6Universe = (base: bigint): Universe<bigint> => ({
  name: `IPv6 from ${base}`,
  ops: V6,
  base,
  value: (offset) => base + BigInt(offset),
  offset: (value) => Number(value - base),
});

const UNIVERSES: Array<Universe<number> | Universe<bigint>> = [
  v4Universe(0),
  v4Universe(V4.max - 255),
  v4Universe(2 ** 31 - 128),
  v6Universe(0n),
  v6Universe(V6.max - 255n),
  v6Universe((1n << 64n) - 128n),
];

const pairsArb = fc.array(
  fc
    .tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }))
    .map(([a, b]) => [Math.min(a, b), Math.max(a, b)] as const),
  { maxLength: 8 },
);

function modelOf(pairs: ReadonlyArray<readonly [number, number]>): Set<number> {
  const model = new Set<number>();
  for (const [a, b] of pairs) for (let v = a; v <= b; v++) model.add(v);
  return model;
}

function runs(model: Set<number>): Array<[number, number]> {
  const sorted = [...model].sort((a, b) => a - b);
  const out: Array<[number, number]> = [];
  for (const v of sorted) {
    const last = out[out.length - 1];
    if (last && last[1] + 1 === v) last[1] = v;
    else out.push([v, v]);
  }
  return out;
}

function build<T extends number | bigint>(
  u: Universe<T>,
  pairs: ReadonlyArray<readonly [number, number]>,
): RangeList<T> {
  const starts = u.ops.allocate(pairs.length) as T[];
  const ends = u.ops.allocate(pairs.length) as T[];
  pairs.forEach(([a, b], i) => {
    starts[i] = u.value(a);
    ends[i] = u.value(b);
  });
  return RangeList.normalize(u.ops, starts, ends);
}

function contents<T extends number | bigint>(u: Universe<T>, list: RangeList<T>): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let i = 0; i < list.length; i++)
    out.push([u.offset(list.starts[i] as T), u.offset(list.ends[i] as T)]);
  return out;
}

describe.each(UNIVERSES)('RangeList over $name', (universe) => {
  const u = universe as Universe<number | bigint>;

  it('normalize merges overlapping and adjacent ranges, whatever their order', () => {
    fc.assert(
      fc.property(pairsArb, (pairs) => {
        const list = build(u, pairs);
        const model = modelOf(pairs);
        expect(contents(u, list)).toEqual(runs(model));
        expect(list.size).toBe(BigInt(model.size));
        expect(build(u, [...pairs].reverse()).equals(list)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('union, intersect and subtract match the model', () => {
    fc.assert(
      fc.property(pairsArb, pairsArb, (pa, pb) => {
        const a = build(u, pa);
        const b = build(u, pb);
        const ma = modelOf(pa);
        const mb = modelOf(pb);
        expect(contents(u, a.union(b))).toEqual(runs(new Set([...ma, ...mb])));
        expect(contents(u, a.intersect(b))).toEqual(runs(new Set([...ma].filter((v) => mb.has(v)))));
        expect(contents(u, a.subtract(b))).toEqual(runs(new Set([...ma].filter((v) => !mb.has(v)))));
        expect(a.equals(b)).toBe(ma.size === mb.size && [...ma].every((v) => mb.has(v)));
      }),
      { numRuns: 200 },
    );
  });

  it('contains, indexOf, lowerBound and at match the model', () => {
    fc.assert(
      fc.property(pairsArb, (pairs) => {
        const list = build(u, pairs);
        const model = modelOf(pairs);
        const modelRuns = runs(model);
        const actual: Array<[boolean, number, number]> = [];
        const expected: Array<[boolean, number, number]> = [];
        for (let offset = 0; offset < 256; offset++) {
          const value = u.value(offset);
          actual.push([list.contains(value), list.indexOf(value), list.lowerBound(value)]);
          const lower = modelRuns.findIndex(([, b]) => b >= offset);
          expected.push([
            model.has(offset),
            modelRuns.findIndex(([a, b]) => a <= offset && offset <= b),
            lower === -1 ? modelRuns.length : lower,
          ]);
        }
        expect(actual).toEqual(expected);
        const sorted = [...model].sort((a, b) => a - b);
        expect(sorted.map((_, i) => u.offset(list.at(BigInt(i))))).toEqual(sorted);
      }),
      { numRuns: 150 },
    );
  });

  it('clip, split and countIn match the model', () => {
    fc.assert(
      fc.property(
        pairsArb,
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: 0, max: 255 }),
        (pairs, x, y) => {
          const first = Math.min(x, y);
          const last = Math.max(x, y);
          const list = build(u, pairs);
          const model = modelOf(pairs);
          const insideModel = new Set([...model].filter((v) => v >= first && v <= last));
          const outsideModel = new Set<number>();
          for (let v = first; v <= last; v++) if (!model.has(v)) outsideModel.add(v);
          const clipped: Array<[number, number]> = [];
          list.clip(u.value(first), u.value(last), (s, e) => clipped.push([u.offset(s), u.offset(e)]));
          expect(clipped).toEqual(runs(insideModel));
          const inside: Array<[number, number]> = [];
          const outside: Array<[number, number]> = [];
          const order: string[] = [];
          list.split(
            u.value(first),
            u.value(last),
            (s, e) => {
              inside.push([u.offset(s), u.offset(e)]);
              order.push(`i${u.offset(s)}`);
            },
            (s, e) => {
              outside.push([u.offset(s), u.offset(e)]);
              order.push(`o${u.offset(s)}`);
            },
          );
          expect(inside).toEqual(runs(insideModel));
          expect(outside).toEqual(runs(outsideModel));
          // Visited in address order.
          const starts = order.map((t) => Number(t.slice(1)));
          expect(starts).toEqual([...starts].sort((a, b) => a - b));
          expect(list.countIn(u.value(first), u.value(last))).toBe(BigInt(insideModel.size));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('cidrsOf gives the minimal aligned cover of each range', () => {
    fc.assert(
      fc.property(pairsArb, (pairs) => {
        const list = build(u, pairs);
        for (let i = 0; i < list.length; i++) {
          const start = u.ops.toBigInt(list.starts[i] as number | bigint);
          const end = u.ops.toBigInt(list.ends[i] as number | bigint);
          // Greedy reference: the largest aligned block at each step.
          const expected: Array<[bigint, number]> = [];
          let cursor = start;
          while (cursor <= end) {
            let prefix = u.ops.bits;
            while (prefix > 0) {
              const size = 1n << BigInt(u.ops.bits - prefix + 1);
              if (cursor % size !== 0n || cursor + size - 1n > end) break;
              prefix--;
            }
            expected.push([cursor, prefix]);
            cursor += 1n << BigInt(u.ops.bits - prefix);
          }
          const actual = [...list.cidrsOf(i)].map(([network, prefix]) => [u.ops.toBigInt(network), prefix]);
          expect(actual).toEqual(expected);
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe('RangeList edges', () => {
  it('covers the whole space as one range and one CIDR', () => {
    const all4 = RangeList.normalize(V4, Float64Array.of(0, 100), Float64Array.of(200, V4.max));
    expect(all4.length).toBe(1);
    expect(all4.size).toBe(2n ** 32n);
    expect([...all4.cidrsOf(0)]).toEqual([[0, 0]]);
    const all6 = RangeList.normalize(V6, [0n], [V6.max]);
    expect(all6.size).toBe(2n ** 128n);
    expect([...all6.cidrsOf(0)]).toEqual([[0n, 0]]);
    expect(all6.subtract(all6).length).toBe(0);
    expect(all6.at(2n ** 128n - 1n)).toBe(V6.max);
  });

  it('subtracting the ends of the space keeps the middle', () => {
    const all = RangeList.normalize(V4, Float64Array.of(0), Float64Array.of(V4.max));
    const ends = RangeList.normalize(V4, Float64Array.of(0, V4.max), Float64Array.of(0, V4.max));
    const middle = all.subtract(ends);
    expect([middle.starts[0], middle.ends[0], middle.length]).toEqual([1, V4.max - 1, 1]);
  });

  it('the empty list', () => {
    const empty = RangeList.empty(V4);
    expect(empty.length).toBe(0);
    expect(empty.size).toBe(0n);
    expect(empty.contains(0)).toBe(false);
    expect(empty.lowerBound(5)).toBe(0);
    const some = RangeList.normalize(V4, Float64Array.of(3), Float64Array.of(9));
    expect(empty.union(some).equals(some)).toBe(true);
    expect(some.subtract(empty).equals(some)).toBe(true);
    expect(some.intersect(empty).length).toBe(0);
    expect(empty.equals(RangeList.normalize(V4, new Float64Array(0), new Float64Array(0)))).toBe(true);
  });
});
