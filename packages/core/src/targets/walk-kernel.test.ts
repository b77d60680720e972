import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs generator script without types
import { binaryModule, compileKernel, WAT } from '../../scripts/walk-kernel.mjs';
import { AddressSet } from './address-set.js';
import { Ipv4IndexLocator } from './index-locator.js';
import { createPermutation, MixedRadixFeistel } from './permutation.js';
import { WalkKernel } from './walk-kernel.js';

/** The JavaScript reference: permutation batch + locator, the path used where WebAssembly is unavailable. */
function reference(set: AddressSet, seed: number, from: number, count: number): Uint32Array {
  const permutation = createPermutation(set.size, seed);
  const indexes = new Float64Array(count);
  permutation.fill(from, indexes);
  const out = new Uint32Array(count);
  new Ipv4IndexLocator(set.v4).map(indexes, out, count);
  return out;
}

function kernelWalk(set: AddressSet, seed: number, from: number, count: number): Uint32Array {
  const permutation = createPermutation(set.size, seed);
  expect(permutation).toBeInstanceOf(MixedRadixFeistel);
  const kernel = WalkKernel.create(new Ipv4IndexLocator(set.v4));
  if (kernel === undefined) throw new Error('WebAssembly SIMD is not available on this Node.js');
  return kernel.walk(permutation as MixedRadixFeistel, from, count);
}

const rangesArbitrary = fc.array(
  fc.tuple(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.integer({ min: 0, max: 5000 })),
  { minLength: 1, maxLength: 40 },
);

function setOf(ranges: Array<[number, number]>): AddressSet {
  return AddressSet.parse(
    ranges.map(([start, length]) => {
      const last = Math.min(2 ** 32 - 1, start + length);
      const text = (v: number) => `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
      return `${text(start)}-${text(last)}`;
    }),
  );
}

describe('the seeded-walk WebAssembly kernel', () => {
  it('is committed exactly as the generator produces it (text and binary)', async () => {
    expect(readFileSync(new URL('./walk-kernel.wat', import.meta.url), 'utf8')).toBe(WAT);
    const binary = await compileKernel();
    expect(readFileSync(new URL('./walk-kernel-binary.ts', import.meta.url), 'utf8')).toBe(
      binaryModule(binary),
    );
  });

  it('walks exactly the JavaScript reference order for random sets, seeds and windows', () => {
    fc.assert(
      fc.property(rangesArbitrary, fc.nat(), fc.nat(), fc.nat(), (ranges, seed, a, b) => {
        const set = setOf(ranges);
        const size = Number(set.size);
        const from = a % size;
        const count = 1 + (b % (size - from));
        expect(kernelWalk(set, seed, from, count)).toEqual(reference(set, seed, from, count));
      }),
      { numRuns: 150 },
    );
  });

  it('covers every address exactly once, including tiny sets that take the scalar path', () => {
    for (const specs of [
      ['10.0.0.1'],
      ['10.0.0.1', '10.0.0.3'],
      ['10.0.0.0/30'],
      ['10.0.0.0/29', '192.0.2.77'],
      ['1.0.0.0/12'],
    ]) {
      const set = AddressSet.parse(specs);
      const size = Number(set.size);
      const walked = kernelWalk(set, 99, 0, size);
      expect(new Set(walked).size).toBe(size);
      expect([...walked].every((value) => set.contains({ family: 4, value }))).toBe(true);
      expect(walked).toEqual(reference(set, 99, 0, size));
    }
  });

  it('handles the whole IPv4 space (radix 65536 × 65536) at its last positions', () => {
    const set = AddressSet.parse(['0.0.0.0/0']);
    const from = 2 ** 32 - 1000;
    expect(kernelWalk(set, 5, from, 1000)).toEqual(reference(set, 5, from, 1000));
  });

  it('is what AddressSet uses for IPv4 sets, and agrees with the JavaScript path used for mixed sets', () => {
    const v4 = AddressSet.parse(['10.0.0.0/22', '192.0.2.0/27', '8.8.8.8']);
    const mixed = v4.union(AddressSet.parse(['2001:db8::/126']));
    const fromSet = [...v4.chunks({ seed: 3 })].flatMap((chunk) => [...(chunk.values as Uint32Array)]);
    expect(fromSet).toEqual([...reference(v4, 3, 0, Number(v4.size))]);
    // The mixed set walks its own (larger) order in JavaScript: still each address once.
    const walked = [...mixed.addresses({ seed: 3 })];
    expect(new Set(walked).size).toBe(Number(mixed.size));
  });
});
