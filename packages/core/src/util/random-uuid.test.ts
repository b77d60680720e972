import { describe, expect, it } from 'vitest';
import { randomUuid } from './random-uuid.js';

describe('randomUuid', () => {
  it('writes version 4 UUIDs in the canonical lowercase form', () => {
    for (let i = 0; i < 1_000; i++) {
      expect(randomUuid()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    }
  });

  it('does not repeat across many refills of its random pool', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 100_000; i++) seen.add(randomUuid());
    expect(seen.size).toBe(100_000);
  });

  it('spreads every random hex digit evenly (no stuck bits)', () => {
    const counts = Array.from({ length: 36 }, () => new Map<string, number>());
    const n = 16_000;
    for (let i = 0; i < n; i++) {
      const id = randomUuid();
      for (let c = 0; c < 36; c++) {
        const digit = id[c] as string;
        counts[c]?.set(digit, (counts[c]?.get(digit) ?? 0) + 1);
      }
    }
    for (const c of [0, 7, 9, 15, 20, 35]) {
      // 16 digits, 1000 expected each: all of them present and none far off (5 sigma ≈ 150).
      expect(counts[c]?.size).toBe(16);
      for (const value of counts[c]?.values() ?? []) expect(Math.abs(value - n / 16)).toBeLessThan(160);
    }
    // The variant digit takes exactly 8, 9, a, b.
    expect([...(counts[19]?.keys() ?? [])].sort()).toEqual(['8', '9', 'a', 'b']);
  });
});
