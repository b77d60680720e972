import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isScanplaneError } from '../errors/scanplane-error.js';
import { formatAddress, parseAddress } from './address-set.js';
import { formatIpv6, IPV6_SPACE, parseIpv6 } from './ipv6.js';
import { parseTargetEntry } from './target-entry.js';

const MAPPED_START = 0xffffn << 32n;
const MAPPED_END = MAPPED_START + 0xffffffffn;

function toWords(value: bigint): number[] {
  const words: number[] = [];
  for (let i = 7; i >= 0; i--) words.push(Number((value >> BigInt(i * 16)) & 0xffffn));
  return words;
}

function fromWords(words: readonly number[]): bigint {
  return words.reduce((acc, word) => (acc << 16n) | BigInt(word), 0n);
}

/** An independent RFC 5952 §4 formatter (non-mapped values). */
function referenceFormat(words: readonly number[]): string {
  let bestStart = -1;
  let bestLength = 0;
  let i = 0;
  while (i < 8) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i >= 2 && j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (bestStart === -1) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/** The RFC 4291 full form with leading zeros. */
function fullForm(words: readonly number[], upper = false): string {
  const text = words.map((w) => w.toString(16).padStart(4, '0')).join(':');
  return upper ? text.toUpperCase() : text;
}

const wordArb = fc.oneof(
  { weight: 3, arbitrary: fc.constant(0) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 0xffff }) },
  { weight: 1, arbitrary: fc.constantFrom(1, 0xffff, 0xdb8, 0x2001) },
);
const wordsArb = fc.array(wordArb, { minLength: 8, maxLength: 8 });

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('parseIpv6: every RFC 4291 text form', () => {
  it.each([
    ['2001:0db8:0000:0000:0000:0000:0000:0001', 0x20010db8000000000000000000000001n],
    ['2001:db8:0:0:0:0:0:1', 0x20010db8000000000000000000000001n],
    ['2001:db8::1', 0x20010db8000000000000000000000001n],
    ['2001:DB8::1', 0x20010db8000000000000000000000001n],
    ['2001:0DB8::0001', 0x20010db8000000000000000000000001n],
    ['::', 0n],
    ['::1', 1n],
    ['1::', 1n << 112n],
    ['::0:0', 0n],
    ['1:2:3:4:5:6:7::', 0x00010002000300040005000600070000n],
    ['::2:3:4:5:6:7:8', 0x00000002000300040005000600070008n],
    ['::1.2.3.4', 0x01020304n],
    ['::ffff:1.2.3.4', MAPPED_START + 0x01020304n],
    ['::FFFF:1.2.3.4', MAPPED_START + 0x01020304n],
    ['64:ff9b::192.0.2.1', 0x0064ff9b0000000000000000c0000201n],
    ['1:2:3:4:5:6:1.2.3.4', 0x00010002000300040005000601020304n],
    ['0:0:0:0:0:ffff:255.255.255.255', MAPPED_END],
    ['ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', IPV6_SPACE - 1n],
    ['FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF', IPV6_SPACE - 1n],
  ])('parses %s', (text, value) => {
    expect(parseIpv6(text)).toBe(value);
  });

  it.each([
    ['1::2::3', /more than once/],
    ['::1::', /more than once/],
    ['1:2:3:4:5:6:7:8:9', /./],
    ['1:2:3:4:5:6:7', /./],
    ['12345::1', /invalid group '12345'/],
    ['fe80::1%eth0', /zone/],
    ['fe80::1%1', /zone/],
    ['::1.2.3.4:5', /./],
    ['1.2.3.4::', /./],
    ['1.2.3.4::1', /./],
    [':1:2:3:4:5:6:7', /./],
    ['1:2:3:4:5:6:7:', /./],
    [':::1', /./],
    ['g::1', /invalid group 'g'/],
    ['::ffff:256.1.1.1', /embedded IPv4/],
    ['::ffff:01.2.3.4', /embedded IPv4/],
    ['::ffff:1.2.3', /embedded IPv4/],
    ['1:2:3:4:5:6:7:1.2.3.4', /./],
    ['1:2:3:4:5:6:7:8::', /./],
    ['::1 ', /./],
    [':', /./],
    ['', /./],
  ])('refuses %s', (text, why) => {
    const error = thrown(() => parseIpv6(text));
    expect(isScanplaneError(error)).toBe(true);
    if (!isScanplaneError(error)) return;
    expect(error.code).toBe('TARGET_INVALID');
    expect(error.message).toContain(`'${text}'`);
    expect(error.message).toMatch(why);
  });

  it('refuses the invalid forms as target entries too (invalid, with the entry in the message)', () => {
    for (const text of ['1::2::3', '1:2:3:4:5:6:7:8:9', '12345::1', 'fe80::1%eth0', '::1.2.3.4:5']) {
      const result = parseTargetEntry(text);
      expect(result.ok, text).toBe(false);
      if (result.ok) continue;
      expect(result.reason).toBe('invalid');
      expect(result.message).toContain(text);
    }
  });

  it('parses the full, upper-case and canonical forms of the same value identically', () => {
    fc.assert(
      fc.property(wordsArb, (words) => {
        const value = fromWords(words);
        expect(parseIpv6(fullForm(words))).toBe(value);
        expect(parseIpv6(fullForm(words, true))).toBe(value);
        expect(parseIpv6(words.map((w) => w.toString(16)).join(':'))).toBe(value);
        expect(parseIpv6(formatIpv6(value))).toBe(value);
      }),
      { numRuns: 500 },
    );
  });

  it('parses an embedded dotted IPv4 tail as the last 32 bits', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 6, maxLength: 6 }),
        fc.integer({ min: 0, max: 0xffffffff }),
        (head, v4) => {
          const dotted = [v4 >>> 24, (v4 >>> 16) & 255, (v4 >>> 8) & 255, v4 & 255].join('.');
          const text = `${head.map((w) => w.toString(16)).join(':')}:${dotted}`;
          expect(parseIpv6(text)).toBe((fromWords([...head, 0, 0]) & ~0xffffffffn) | BigInt(v4));
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('formatIpv6: RFC 5952', () => {
  it.each([
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:DB8::0:1', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['2001:db8:0:0:0:1:0:0', '2001:db8::1:0:0'],
    ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
    ['0:0:1:0:0:0:1:0', '0:0:1::1:0'],
    ['1:0:1:0:1:0:1:0', '1:0:1:0:1:0:1:0'],
    ['1:2:3:4:5:6:7:0', '1:2:3:4:5:6:7:0'],
    ['0:1:2:3:4:5:6:7', '0:1:2:3:4:5:6:7'],
    ['0:0:1:2:3:4:5:6', '::1:2:3:4:5:6'],
    ['1:2:3:4:5:6:0:0', '1:2:3:4:5:6::'],
    ['fe80:0:0:0:0:0:0:0', 'fe80::'],
    ['0:0:0:0:0:0:0:0', '::'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['ABCD:EF01:2345:6789:ABCD:EF01:2345:6789', 'abcd:ef01:2345:6789:abcd:ef01:2345:6789'],
    ['2001:0db8:00a0:000b:0c00:0000:0000:0d00', '2001:db8:a0:b:c00::d00'],
  ])('%s prints as %s', (text, canonical) => {
    expect(formatIpv6(parseIpv6(text))).toBe(canonical);
  });

  it('prints IPv4-mapped addresses with a dotted tail', () => {
    expect(formatIpv6(MAPPED_START + 0x01020304n)).toBe('::ffff:1.2.3.4');
  });

  it('agrees with a reference RFC 5952 formatter on random values', () => {
    fc.assert(
      fc.property(wordsArb, (words) => {
        const value = fromWords(words);
        fc.pre(value < MAPPED_START || value > MAPPED_END);
        const text = formatIpv6(value);
        expect(text).toBe(referenceFormat(words));
        expect(text).toBe(text.toLowerCase());
        expect(text.split('::').length).toBeLessThanOrEqual(2);
        for (const group of text.split(':'))
          if (group !== '') expect(group).toMatch(/^(0|[1-9a-f][0-9a-f]{0,3})$/);
      }),
      { numRuns: 1000 },
    );
  });

  it('round-trips any 128-bit value', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: IPV6_SPACE - 1n }), (value) => {
        expect(parseIpv6(formatIpv6(value))).toBe(value);
        expect(toWords(value)).toHaveLength(8);
      }),
      { numRuns: 500 },
    );
  });
});

describe('IPv4-mapped addresses are IPv4', () => {
  it('parseAddress turns ::ffff:a.b.c.d (any form) into the IPv4 address', () => {
    expect(parseAddress('::ffff:1.2.3.4')).toEqual({ family: 4, value: 0x01020304 });
    expect(parseAddress('::ffff:0102:0304')).toEqual({ family: 4, value: 0x01020304 });
    expect(parseAddress('0:0:0:0:0:FFFF:1.2.3.4')).toEqual({ family: 4, value: 0x01020304 });
    expect(parseAddress('1.2.3.4')).toEqual({ family: 4, value: 0x01020304 });
    expect(formatAddress({ family: 4, value: 0x01020304 })).toBe('1.2.3.4');
  });

  it('keeps the neighbours of the mapped block as IPv6', () => {
    expect(parseAddress('::fffe:ffff:ffff')).toEqual({ family: 6, value: MAPPED_START - 1n });
    expect(parseAddress('::1:0:0:0')).toEqual({ family: 6, value: MAPPED_END + 1n });
    expect(parseAddress('::1.2.3.4')).toEqual({ family: 6, value: 0x01020304n });
    expect(parseAddress('64:ff9b::1.2.3.4')?.family).toBe(6);
  });

  it('turns a mapped entry into an IPv4 range', () => {
    const result = parseTargetEntry('::ffff:1.2.3.4');
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.entry.v4).toEqual([0x01020304, 0x01020304]);
    expect(result.entry.v6).toBeUndefined();
  });

  it('has IPV6_SPACE = 2^128', () => {
    expect(IPV6_SPACE).toBe(2n ** 128n);
  });
});
