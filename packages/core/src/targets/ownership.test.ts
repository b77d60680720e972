import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createStaticResolver } from '../resolver/static-resolver.js';
import { V4, V6 } from './address-family.js';
import { formatIpv4 } from './ipv4.js';
import { attributeOwnership } from './ownership.js';
import { prepare } from './prepare.js';

/** Runs attributeOwnership and returns entry -> owned count. */
function owned<T extends number | bigint>(
  ops: typeof V4 | typeof V6,
  triples: ReadonlyArray<readonly [T, T, number]>,
): Map<number, number> {
  const result = new Map<number, number>();
  const starts = triples.map((t) => t[0]);
  const ends = triples.map((t) => t[1]);
  const entries = triples.map((t) => t[2]);
  attributeOwnership(ops as never, starts, ends, entries, {
    add(entry, count) {
      result.set(entry, (result.get(entry) ?? 0) + count);
    },
  });
  for (const [entry, count] of result) if (count === 0) result.delete(entry);
  return result;
}

/** Brute force: each value goes to the lowest entry covering it. */
function bruteForce(triples: ReadonlyArray<readonly [number, number, number]>): Map<number, number> {
  const owner = new Map<number, number>();
  for (const [start, end, entry] of triples) {
    for (let v = start; v <= end; v++) {
      const current = owner.get(v);
      if (current === undefined || entry < current) owner.set(v, entry);
    }
  }
  const result = new Map<number, number>();
  for (const entry of owner.values()) result.set(entry, (result.get(entry) ?? 0) + 1);
  return result;
}

const tripleArb = fc
  .tuple(fc.integer({ min: 0, max: 120 }), fc.integer({ min: 0, max: 120 }), fc.integer({ min: 0, max: 9 }))
  .map(([a, b, entry]) => [Math.min(a, b), Math.max(a, b), entry] as const);

const sorted = (map: Map<number, number>): Array<[number, number]> => [...map].sort((a, b) => a[0] - b[0]);

describe('attributeOwnership', () => {
  it('gives each address to the lowest-numbered entry covering it', () => {
    // entry 1: 0-9, entry 0: 5-14, entry 2: 12-20 -> 0 owns 5-14 (10), 1 owns 0-4 (5), 2 owns 15-20 (6)
    expect(
      sorted(
        owned(V4, [
          [0, 9, 1],
          [5, 14, 0],
          [12, 20, 2],
        ]),
      ),
    ).toEqual([
      [0, 10],
      [1, 5],
      [2, 6],
    ]);
  });

  it('handles the top of both spaces', () => {
    expect(
      sorted(
        owned(V4, [
          [V4.max - 3, V4.max, 0],
          [V4.max, V4.max, 1],
        ] as const),
      ),
    ).toEqual([[0, 4]]);
    expect(
      sorted(
        owned(V6, [
          [V6.max - 9n, V6.max, 3],
          [V6.max - 4n, V6.max, 2],
        ] as const),
      ),
    ).toEqual([
      [2, 5],
      [3, 5],
    ]);
    expect(owned(V4, [])).toEqual(new Map());
  });

  it('matches a brute-force model (IPv4 and IPv6)', () => {
    fc.assert(
      fc.property(fc.array(tripleArb, { maxLength: 12 }), (triples) => {
        const expected = sorted(bruteForce(triples));
        expect(sorted(owned(V4, triples))).toEqual(expected);
        const base = (1n << 64n) - 60n;
        const six = triples.map(([a, b, e]) => [base + BigInt(a), base + BigInt(b), e] as const);
        expect(sorted(owned(V6, six))).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });
});

describe('prepare attributes every address to the first entry naming it', () => {
  // Entries over 10.0.0.0/26 (allowed by the default policy): literals, CIDRs, ranges, mapped literals and
  // hostnames resolving to a few of those addresses.
  const entryArb = fc.oneof(
    fc.integer({ min: 0, max: 63 }).map((i) => ({ text: `10.0.0.${i}`, values: [i] })),
    fc.integer({ min: 0, max: 63 }).map((i) => ({ text: `::ffff:10.0.0.${i}`, values: [i] })),
    fc.tuple(fc.integer({ min: 0, max: 63 }), fc.integer({ min: 2, max: 5 })).map(([i, bits]) => {
      const size = 2 ** bits;
      const network = Math.floor(i / size) * size;
      return {
        text: `10.0.0.${network}/${32 - bits}`,
        values: Array.from({ length: size }, (_, k) => network + k),
      };
    }),
    fc.tuple(fc.integer({ min: 0, max: 63 }), fc.integer({ min: 0, max: 63 })).map(([a, b]) => {
      const lo = Math.min(a, b);
      const hi = Math.max(a, b);
      return { text: `10.0.0.${lo}-${hi}`, values: Array.from({ length: hi - lo + 1 }, (_, k) => lo + k) };
    }),
    fc.integer({ min: 0, max: 5 }).map((h) => ({ text: `host${h}.test`, values: [] as number[] })),
  );
  const hostValues = (h: number): number[] => [h * 7, h * 7 + 1, 63 - h];
  const resolver = createStaticResolver(
    Object.fromEntries(
      Array.from({ length: 6 }, (_, h) => [`host${h}.test`, hostValues(h).map((v) => `10.0.0.${v}`)]),
    ),
  );

  it('sum of added equals summary.addresses, and each entry adds exactly what no earlier entry named', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(entryArb, { minLength: 1, maxLength: 10 }), async (entries) => {
        const prepared = await prepare(
          entries.map((e) => e.text),
          { resolver },
        );
        const seenNames = new Set<string>();
        const owner = new Map<number, number>();
        const producers = new Map<number, number[]>();
        const namesOf = new Map<number, string[]>();
        const expectedAdded: number[] = [];
        const expectedStatus: string[] = [];
        entries.forEach((entry, index) => {
          let values = entry.values;
          const hostname = entry.text.endsWith('.test') ? entry.text : undefined;
          if (hostname !== undefined) {
            if (seenNames.has(hostname)) {
              expectedAdded.push(0);
              expectedStatus.push('duplicate');
              return;
            }
            seenNames.add(hostname);
            values = hostValues(Number(hostname.slice(4, 5)));
          }
          let added = 0;
          for (const v of new Set(values)) {
            if (!owner.has(v)) {
              owner.set(v, index);
              added++;
            }
            const list = producers.get(v) ?? [];
            if (!list.includes(index)) list.push(index);
            producers.set(v, list);
            if (hostname !== undefined) {
              const names = namesOf.get(v) ?? [];
              names.push(hostname);
              namesOf.set(v, names);
            }
          }
          expectedAdded.push(added);
          expectedStatus.push(added > 0 ? 'accepted' : hostname !== undefined ? 'merged' : 'duplicate');
        });
        const outcomes = [...prepared.entries()];
        expect(outcomes.map((o) => o.added)).toEqual(expectedAdded);
        expect(outcomes.map((o) => o.status)).toEqual(expectedStatus);
        expect(outcomes.reduce((sum, o) => sum + o.added, 0)).toBe(Number(prepared.summary.addresses));
        expect(prepared.summary.addresses).toBe(BigInt(owner.size));
        for (const [v, list] of producers) {
          expect(prepared.sourcesOf(formatIpv4(0x0a000000 + v))).toEqual(list);
          expect(prepared.hostnamesOf(`10.0.0.${v}`)).toEqual(namesOf.get(v) ?? []);
        }
        expect(prepared.summary.accepted).toBe(expectedStatus.filter((s) => s === 'accepted').length);
        expect(prepared.summary.merged).toBe(expectedStatus.filter((s) => s === 'merged').length);
        expect(prepared.summary.duplicates).toBe(expectedStatus.filter((s) => s === 'duplicate').length);
      }),
      { numRuns: 120 },
    );
  });
});
