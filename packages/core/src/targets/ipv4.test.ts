import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isScanplaneError } from '../errors/scanplane-error.js';
import { formatIpv4, IPV4_SPACE, parseIpv4 } from './ipv4.js';
import { parseTargetEntry } from './target-entry.js';

/** Catches what `fn` throws, failing the test when it does not throw. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('parseIpv4', () => {
  it.each([
    ['0.0.0.0', 0],
    ['0.0.0.1', 1],
    ['10.0.0.1', 167772161],
    ['192.0.2.1', 3221225985],
    ['127.0.0.1', 2130706433],
    ['255.255.255.255', 4294967295],
    ['1.2.3.4', 0x01020304],
  ])('parses %s as %d', (text, value) => {
    expect(parseIpv4(text)).toBe(value);
  });

  it.each([
    ['010.0.0.1', /leading zero/],
    ['10.0.0.01', /leading zero/],
    ['00.0.0.0', /leading zero/],
    ['0x0a.0.0.1', /hexadecimal/],
    ['10.0.0.0x1', /hexadecimal/],
    ['10.1', /2 parts/],
    ['10.0.1', /3 parts/],
    ['1.2.3.4.5', /5 parts/],
    ['167772161', /1 part\b/],
    ['256.0.0.1', /above 255/],
    ['1.2.3.999', /above 255/],
    ['1..2.3', /empty octet/],
    ['1.2.3.', /empty octet/],
    ['1.2.3.a', /non-decimal/],
    ['-1.2.3.4', /non-decimal/],
    ['+1.2.3.4', /non-decimal/],
    [' 1.2.3.4', /non-decimal/],
  ])('refuses %s with a message naming it and why', (text, why) => {
    const error = thrown(() => parseIpv4(text));
    expect(isScanplaneError(error)).toBe(true);
    if (!isScanplaneError(error)) return;
    expect(error.code).toBe('TARGET_INVALID');
    expect(error.message).toContain(`'${text}'`);
    expect(error.message).toMatch(why);
    expect(error.details).toEqual({ entry: text });
  });

  it('refuses the empty string and text around an address', () => {
    for (const text of ['', '1.2.3.4/', 'a1.2.3.4', '1.2.3.4 x', '1,2,3,4', '1.2.3.4\n']) {
      expect(() => parseIpv4(text), text).toThrow(/not an IPv4 address|part|octet/);
    }
  });

  it('round-trips every 32-bit value through formatIpv4', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: IPV4_SPACE - 1 }), (value) => {
        const text = formatIpv4(value);
        expect(text).toMatch(/^(0|[1-9]\d{0,2})(\.(0|[1-9]\d{0,2})){3}$/);
        expect(parseIpv4(text)).toBe(value);
      }),
      { numRuns: 500 },
    );
  });

  it('agrees with a reference parser on random four-part decimal text', () => {
    const octet = fc.oneof(
      fc.integer({ min: 0, max: 300 }).map(String),
      fc.constantFrom('00', '01', '007', '1000'),
    );
    fc.assert(
      fc.property(fc.array(octet, { minLength: 1, maxLength: 6 }), (parts) => {
        const text = parts.join('.');
        const valid =
          parts.length === 4 && parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255);
        if (valid) {
          expect(parseIpv4(text)).toBe(parts.reduce((acc, p) => acc * 256 + Number(p), 0));
        } else {
          expect(() => parseIpv4(text)).toThrow();
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('formatIpv4', () => {
  it('prints dotted decimal without leading zeros', () => {
    expect(formatIpv4(0)).toBe('0.0.0.0');
    expect(formatIpv4(3221225985)).toBe('192.0.2.1');
    expect(formatIpv4(4294967295)).toBe('255.255.255.255');
    expect(formatIpv4(0x0a000001)).toBe('10.0.0.1');
  });

  it('has IPV4_SPACE = 2^32', () => {
    expect(IPV4_SPACE).toBe(2 ** 32);
  });
});

describe('strict IPv4 through parseTargetEntry', () => {
  it.each([
    ['010.0.0.1', /leading zero/],
    ['0x0a.0.0.1', /hexadecimal/],
    ['0x0A.0.0.1', /hexadecimal/],
    ['10.1', /2 parts/],
    ['1.2.3.4.5', /5 parts/],
    ['256.0.0.1', /above 255/],
  ])('%s is an invalid entry, never an untyped throw', (text, why) => {
    const result = parseTargetEntry(text);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.reason).toBe('invalid');
    expect(result.message).toContain(text);
    expect(result.message).toMatch(why);
  });

  it('accepts strict four-part decimal', () => {
    const result = parseTargetEntry('10.0.0.1');
    expect(result).toEqual({ ok: true, entry: { kind: 'ipv4', size: 1n, v4: [167772161, 167772161] } });
  });
});
