import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AddressSet } from '../targets/address-set.js';
import { jsonLengthOver } from './json-size.js';

const exact = (value: unknown): number => JSON.stringify(value)?.length ?? 0;

describe('jsonLengthOver', () => {
  it('agrees with JSON.stringify on any JSON value, at and around its exact length', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.integer({ min: -3, max: 3 }), (value, delta) => {
        const length = exact(value);
        const limit = Math.max(0, length + delta);
        expect(jsonLengthOver(value, limit)).toBe(length > limit ? length : undefined);
      }),
      { numRuns: 2_000 },
    );
  });

  it('agrees with JSON.stringify on values JSON changes: undefined, functions, NaN, escapes, sparse arrays', () => {
    const values: unknown[] = [
      { a: undefined, b: () => 1, c: Symbol('s'), d: Number.NaN, e: Number.POSITIVE_INFINITY, f: -0 },
      [undefined, () => 1, Symbol('s'), null],
      { control: '\u0000\u001f\n"\\', lone: '\ud800', emoji: '🙂' },
      // biome-ignore lint/suspicious/noSparseArray: a hole serialises as null, like undefined
      [1, , 3],
      { nested: { deeper: [{ x: -1.7976931348623157e308, y: 5e-324, z: 123456789012345680000 }] } },
      Object.assign(Object.create(null) as object, { bare: true }),
    ];
    for (const value of values) {
      const length = exact(value);
      for (const limit of [0, length - 1, length, length + 1]) {
        expect(jsonLengthOver(value, limit)).toBe(length > limit ? length : undefined);
      }
    }
  });

  it('uses toJSON, class instances and deep nesting through JSON.stringify itself', () => {
    const set = AddressSet.parse(['10.0.0.0/8']);
    expect(jsonLengthOver({ set }, 5)).toBe(exact({ set }));
    expect(jsonLengthOver({ when: new Date(0) }, 1_000)).toBeUndefined();
    expect(jsonLengthOver(new Map([[1, 2]]), 1)).toBe(2); // a Map is `{}`
    let deep: unknown = 'x';
    for (let i = 0; i < 100; i++) deep = [deep];
    expect(jsonLengthOver(deep, 10)).toBe(203);
    expect(jsonLengthOver(deep, 1_000)).toBeUndefined();
  });

  it('throws where JSON.stringify throws: a cycle, a BigInt', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    expect(() => jsonLengthOver(cyclic, 1_000_000)).toThrow(TypeError);
    expect(() => jsonLengthOver({ n: 1n }, 1_000_000)).toThrow(TypeError);
  });

  it('stops early on a large value whose bound passes the limit', () => {
    const big = { items: Array.from({ length: 100_000 }, (_, i) => ({ i })) };
    expect(jsonLengthOver(big, 1_000)).toBe(exact(big));
  });
});
