import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isScanplaneError } from '../errors/scanplane-error.js';
import { PortSet, type Protocol } from './port-set.js';

const PROTOCOLS: Protocol[] = ['tcp', 'udp', 'sctp'];

/** Every (protocol, port) pair of a set, as `proto:port` keys. */
function pairs(set: PortSet): Set<string> {
  const out = new Set<string>();
  for (const protocol of PROTOCOLS) {
    for (const [a, b] of set.ranges(protocol)) for (let p = a; p <= b; p++) out.add(`${protocol}:${p}`);
  }
  return out;
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('PortSet.parse', () => {
  it.each([
    ['22,80,443,1000-2000', '22,80,443,1000-2000', 1004],
    ['443,80', '80,443', 2],
    ['80,443,80', '80,443', 2],
    ['1-10,5-20,21', '1-21', 21],
    ['-1024', '1-1024', 1024],
    ['60000-', '60000-65535', 5536],
    ['-', '1-65535', 65535],
    ['1,65535', '1,65535', 2],
    [' 22 , 80 ', '22,80', 2],
    ['T:80,U:53', 'T:80,U:53', 2],
    ['U:53,T:80', 'T:80,U:53', 2],
    ['T:80,U:53,443', 'T:80,U:53,443', 3],
    ['22,U:53,S:2905', 'T:22,U:53,S:2905', 3],
    ['U:53', 'U:53', 1],
    ['t:80,u:53', 'T:80,U:53', 2],
  ])('%s is canonically %s (%d pairs)', (spec, canonical, size) => {
    const set = PortSet.parse(spec);
    expect(set.toString()).toBe(canonical);
    expect(set.size).toBe(size);
    expect(JSON.stringify({ ports: set })).toBe(JSON.stringify({ ports: canonical }));
    expect(PortSet.parse(canonical).equals(set)).toBe(true);
  });

  it('applies a protocol prefix to the items that follow it', () => {
    const set = PortSet.parse('T:80,U:53,443');
    expect(set.has('udp', 443)).toBe(true);
    expect(set.has('tcp', 443)).toBe(false);
    expect(set.has('tcp', 80)).toBe(true);
    expect(set.protocols).toEqual(['tcp', 'udp']);
  });

  it('is canonical: order does not matter, protocol does', () => {
    expect(PortSet.parse('443,80').equals(PortSet.parse('80,443'))).toBe(true);
    expect(PortSet.parse('T:53').equals(PortSet.parse('U:53'))).toBe(false);
    expect(PortSet.parse('53').equals(PortSet.parse('T:53'))).toBe(true);
    expect(PortSet.parse('1-3').equals(PortSet.parse('3,1,2'))).toBe(true);
  });

  it.each([
    ['0', /outside/],
    ['65536', /outside/],
    ['80,0', /outside/],
    ['100-10', /before it starts/],
    ['', /empty/],
    ['   ', /empty/],
    ['80,,443', /empty/],
    ['80,', /empty/],
    [',80', /empty/],
    ['T:', /empty/],
    ['http', /not a port number/],
    ['80,https', /not a port number/],
    ['*', /not a port/],
    ['080', /leading zero/],
    ['1-065535', /leading zero/],
    ['X:80', /unknown protocol/],
    ['80-90-100', /not a port/],
    ['1.5', /not a port/],
    ['-5-', /not a port/],
  ])('refuses %j with PORTS_INVALID', (spec, why) => {
    const error = thrown(() => PortSet.parse(spec));
    expect(isScanplaneError(error)).toBe(true);
    if (!isScanplaneError(error)) return;
    expect(error.code).toBe('PORTS_INVALID');
    expect(error.message).toMatch(why);
  });
});

describe('PortSet.fromRanges', () => {
  it('builds a canonical set per protocol', () => {
    const set = PortSet.fromRanges({
      tcp: [
        [443, 443],
        [80, 80],
        [81, 90],
      ],
      udp: [[53, 53]],
    });
    expect(set.toString()).toBe('T:80-90,443,U:53');
    expect(PortSet.fromRanges({}).isEmpty).toBe(true);
  });

  it('refuses ranges outside 1-65535', () => {
    for (const range of [
      [0, 5],
      [5, 65536],
      [10, 5],
      [1.5, 2],
    ] as const) {
      expect(() => PortSet.fromRanges({ tcp: [range] })).toThrow(
        expect.objectContaining({ code: 'PORTS_INVALID' }),
      );
    }
  });
});

// A model over a small port window and all three protocols.
const itemArb = fc.record({
  protocol: fc.constantFrom<Protocol>('tcp', 'udp', 'sctp'),
  first: fc.integer({ min: 1, max: 60 }),
  length: fc.integer({ min: 0, max: 15 }),
});
const setArb = fc.array(itemArb, { maxLength: 6 }).map((items) => {
  const ranges: Record<Protocol, Array<[number, number]>> = { tcp: [], udp: [], sctp: [] };
  const model = new Set<string>();
  for (const { protocol, first, length } of items) {
    ranges[protocol].push([first, first + length]);
    for (let p = first; p <= first + length; p++) model.add(`${protocol}:${p}`);
  }
  return { set: PortSet.fromRanges(ranges), model, items };
});

/** The nmap text of a model's items, in item order, with prefixes. */
function specOf(items: ReadonlyArray<{ protocol: Protocol; first: number; length: number }>): string {
  const prefix: Record<Protocol, string> = { tcp: 'T', udp: 'U', sctp: 'S' };
  return items
    .map((i) => `${prefix[i.protocol]}:${i.first}${i.length > 0 ? `-${i.first + i.length}` : ''}`)
    .join(',');
}

const sameSet = (a: Set<string>, b: Set<string>): boolean =>
  a.size === b.size && [...a].every((k) => b.has(k));

describe('PortSet against a brute-force model', () => {
  it('parse, size, has and toString round-trip', () => {
    fc.assert(
      fc.property(setArb, ({ set, model, items }) => {
        expect(set.size).toBe(model.size);
        expect(sameSet(pairs(set), model)).toBe(true);
        if (items.length > 0) expect(PortSet.parse(specOf(items)).equals(set)).toBe(true);
        if (!set.isEmpty) expect(PortSet.parse(set.toString()).toString()).toBe(set.toString());
        const keys = PROTOCOLS.flatMap((protocol) =>
          Array.from({ length: 80 }, (_, i) => [protocol, i + 1] as const),
        );
        expect(keys.map(([protocol, p]) => set.has(protocol, p))).toEqual(
          keys.map(([pr, p]) => model.has(`${pr}:${p}`)),
        );
      }),
      { numRuns: 150 },
    );
  });

  it('union, intersect and subtract', () => {
    fc.assert(
      fc.property(setArb, setArb, (a, b) => {
        expect(sameSet(pairs(a.set.union(b.set)), new Set([...a.model, ...b.model]))).toBe(true);
        expect(
          sameSet(pairs(a.set.intersect(b.set)), new Set([...a.model].filter((k) => b.model.has(k)))),
        ).toBe(true);
        expect(
          sameSet(pairs(a.set.subtract(b.set)), new Set([...a.model].filter((k) => !b.model.has(k)))),
        ).toBe(true);
        expect(a.set.union(b.set).equals(b.set.union(a.set))).toBe(true);
        expect(a.set.equals(b.set)).toBe(sameSet(a.model, b.model));
      }),
      { numRuns: 300 },
    );
  });

  it('split(n) is balanced, disjoint and exactly the set', () => {
    fc.assert(
      fc.property(setArb, fc.integer({ min: 1, max: 12 }), ({ set, model }, wanted) => {
        fc.pre(!set.isEmpty);
        const n = Math.min(wanted, set.size);
        const shards = set.split(n);
        expect(shards.length).toBe(n);
        const sizes = shards.map((s) => s.size);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
        const all = new Set<string>();
        let total = 0;
        for (const shard of shards) {
          for (const key of pairs(shard)) all.add(key);
          total += shard.size;
        }
        expect(total).toBe(model.size);
        expect(sameSet(all, model)).toBe(true);
        expect(shards.reduce((u, s) => u.union(s), PortSet.fromRanges({})).equals(set)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('chunks(max) are at most max each, as few as possible, and exactly the set', () => {
    fc.assert(
      fc.property(setArb, fc.integer({ min: 1, max: 30 }), ({ set, model }, max) => {
        fc.pre(!set.isEmpty);
        const chunks = set.chunks(max);
        expect(chunks.length).toBe(Math.ceil(model.size / max));
        expect(chunks.every((c) => c.size <= max && c.size > 0)).toBe(true);
        const all = new Set<string>();
        for (const chunk of chunks) for (const key of pairs(chunk)) all.add(key);
        expect(sameSet(all, model)).toBe(true);
        expect(chunks.reduce((sum, c) => sum + c.size, 0)).toBe(model.size);
      }),
      { numRuns: 200 },
    );
  });
});

describe('split and chunks', () => {
  it('splits 1-65535 into four balanced shards', () => {
    const shards = PortSet.parse('1-65535').split(4);
    expect(shards.map((s) => s.size)).toEqual([16383, 16384, 16384, 16384]);
    expect(shards.map(String)).toEqual(['1-16383', '16384-32767', '32768-49151', '49152-65535']);
  });

  it('chunks 1-65535 by 32768 into two', () => {
    const chunks = PortSet.parse('1-65535').chunks(32768);
    expect(chunks.length).toBe(2);
    expect(chunks.every((c) => c.size <= 32768)).toBe(true);
    expect(PortSet.parse('80,443').chunks(10)).toHaveLength(1);
  });

  it('refuses impossible splits and chunk sizes with INVALID_ARGUMENT', () => {
    const invalid = expect.objectContaining({ code: 'INVALID_ARGUMENT' });
    expect(() => PortSet.parse('80,443').split(3)).toThrow(invalid);
    expect(() => PortSet.parse('80,443').split(0)).toThrow(invalid);
    expect(() => PortSet.parse('80,443').chunks(0)).toThrow(invalid);
    expect(() => PortSet.parse('80,443').chunks(1.5)).toThrow(invalid);
  });
});
