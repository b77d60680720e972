import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createPermutation, type Seed } from './permutation.js';

function isBijection(n: number, seed: Seed): boolean {
  const permutation = createPermutation(n, seed);
  const seen = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const index = permutation.atNumber(i);
    if (!Number.isInteger(index) || index < 0 || index >= n || seen[index] === 1) return false;
    seen[index] = 1;
  }
  return true;
}

const seedArb: fc.Arbitrary<Seed> = fc.oneof(
  fc.nat(),
  fc.maxSafeNat(),
  fc.bigInt({ min: 0n, max: 2n ** 70n }),
  fc.string({ maxLength: 12 }),
);

describe('createPermutation', () => {
  it('is a bijection on [0, n) for random n and seeds', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3000 }), seedArb, (n, seed) => {
        expect(isBijection(n, seed)).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it('is a bijection for n = 1 and n = 2^k - 1, 2^k, 2^k + 1', () => {
    expect(isBijection(1, 0)).toBe(true);
    expect(createPermutation(1, 99).atNumber(0)).toBe(0);
    for (let k = 1; k <= 14; k++) {
      for (const n of [2 ** k - 1, 2 ** k, 2 ** k + 1]) {
        for (const seed of [0, 7, 'k'])
          expect(isBijection(n, seed), `n=${n} seed=${String(seed)}`).toBe(true);
      }
    }
  });

  it('is a bijection on a domain of 2^17 + 3', () => {
    expect(isBijection(2 ** 17 + 3, 11)).toBe(true);
  });

  it('maps samples of domains between 2^32 and 2^52 (number path) to distinct in-range indexes', () => {
    for (const n of [2 ** 32 + 1, 2 ** 40 + 3, 2 ** 52]) {
      const permutation = createPermutation(n, 'mid');
      const seen = new Set<number>();
      for (let i = 0; i < 2000; i++) {
        const index = permutation.atNumber(i);
        expect(Number.isInteger(index) && index >= 0 && index < n).toBe(true);
        seen.add(index);
      }
      const last = permutation.atNumber(n - 1);
      expect(last >= 0 && last < n).toBe(true);
      seen.add(last);
      expect(seen.size).toBe(2001);
      expect(permutation.at(BigInt(n - 1))).toBe(BigInt(last));
    }
  });

  it('agrees between at() and atNumber()', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100_000 }), fc.nat(), fc.nat(), (n, seed, p) => {
        const permutation = createPermutation(BigInt(n), seed);
        const position = p % n;
        expect(permutation.at(BigInt(position))).toBe(BigInt(permutation.atNumber(position)));
        expect(permutation.size).toBe(BigInt(n));
      }),
      { numRuns: 200 },
    );
  });

  it('is reproducible from the seed and differs between seeds', () => {
    const order = (seed: Seed): number[] => {
      const permutation = createPermutation(1000, seed);
      return Array.from({ length: 1000 }, (_, i) => permutation.atNumber(i));
    };
    expect(order(42)).toEqual(order(42));
    expect(order(42)).not.toEqual(order(43));
    expect(order('nightly')).toEqual(order('nightly'));
    expect(order('nightly')).not.toEqual(order('nightlz'));
    expect(order(42n)).toEqual(order(42));
    const identity = Array.from({ length: 1000 }, (_, i) => i);
    expect(order(42)).not.toEqual(identity);
  });

  it('handles domains beyond 2^52 with bigints (distinct, in range, reproducible)', () => {
    for (const n of [2n ** 60n + 3n, 2n ** 128n, 2n ** 100n - 1n]) {
      const permutation = createPermutation(n, 'big');
      const again = createPermutation(n, 'big');
      const seen = new Set<bigint>();
      for (let i = 0n; i < 300n; i++) {
        const index = permutation.at(i);
        expect(index >= 0n && index < n).toBe(true);
        expect(again.at(i)).toBe(index);
        seen.add(index);
      }
      expect(seen.size).toBe(300);
      const last = permutation.at(n - 1n);
      expect(last >= 0n && last < n).toBe(true);
    }
  });

  it('refuses positions outside the domain, negative sizes and invalid seeds', () => {
    const invalid = expect.objectContaining({ code: 'INVALID_ARGUMENT' });
    const permutation = createPermutation(10, 1);
    expect(() => permutation.atNumber(10)).toThrow(invalid);
    expect(() => permutation.atNumber(-1)).toThrow(invalid);
    expect(() => permutation.at(10n)).toThrow(invalid);
    expect(() => createPermutation(0, 1).atNumber(0)).toThrow(invalid);
    expect(() => createPermutation(-1, 1)).toThrow(invalid);
    expect(() => createPermutation(10, -1)).toThrow(invalid);
    expect(() => createPermutation(10, 0.5)).toThrow(invalid);
    expect(() => createPermutation(10, Number.NaN)).toThrow(invalid);
    expect(() => createPermutation(10, -5n)).toThrow(invalid);
    const huge = createPermutation(2n ** 64n, 1);
    expect(() => huge.at(2n ** 64n)).toThrow(invalid);
  });
});
