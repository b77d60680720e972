import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizeHostname } from './hostname.js';
import { parseTargetEntry } from './target-entry.js';

const label = (length: number, char = 'a'): string => char.repeat(length);

/** A name of exactly `length` characters made of labels of at most 63. */
function nameOfLength(length: number): string {
  const labels: string[] = [];
  let left = length;
  while (left > 0) {
    const size = Math.min(63, left === 64 ? 62 : left);
    labels.push(label(size, 'b'));
    left -= size;
    if (left > 0) left -= 1; // the dot
  }
  const name = labels.join('.');
  if (name.length !== length) throw new Error(`built ${name.length}, wanted ${length}`);
  return name;
}

describe('normalizeHostname', () => {
  it.each([
    ['example.com', 'example.com'],
    ['WWW.Example.COM', 'www.example.com'],
    ['WWW.Example.COM.', 'www.example.com'],
    ['bücher.example', 'xn--bcher-kva.example'],
    ['BÜCHER.example', 'xn--bcher-kva.example'],
    ['xn--bcher-kva.example', 'xn--bcher-kva.example'],
    ['localhost', 'localhost'],
    ['LOCALHOST.', 'localhost'],
    ['a-b.example', 'a-b.example'],
    ['123.example', '123.example'],
    ['1a.example', '1a.example'],
    ['host.b1', 'host.b1'],
    ['a.b.c.d.e.f.example', 'a.b.c.d.e.f.example'],
  ])('%s -> %s', (input, expected) => {
    expect(normalizeHostname(input)).toBe(expected);
  });

  it.each([
    ['under_score.example', 'underscore'],
    ['_dmarc.example.com', 'underscore'],
    ['*.example.com', 'wildcard'],
    ['a.*.example', 'wildcard'],
    ['a..b', 'empty label'],
    ['.example.com', 'empty label'],
    ['example.com..', 'two trailing dots leave an empty label'],
    ['-a.example', 'leading hyphen'],
    ['a-.example', 'trailing hyphen'],
    ['host.123', 'numeric last label'],
    ['host.0', 'numeric last label'],
    ['exa mple.com', 'space'],
    ['exa!mple.com', 'punctuation'],
    ['', 'empty'],
    ['.', 'only a dot'],
  ])('refuses %s (%s)', (input) => {
    expect(normalizeHostname(input)).toBeUndefined();
  });

  it('accepts a 63-character label and refuses a 64-character one', () => {
    expect(normalizeHostname(`${label(63)}.example`)).toBe(`${label(63)}.example`);
    expect(normalizeHostname(`${label(64)}.example`)).toBeUndefined();
  });

  it('accepts a 253-character name (with or without the trailing dot) and refuses 254', () => {
    const n253 = nameOfLength(253);
    expect(normalizeHostname(n253)).toBe(n253);
    expect(normalizeHostname(`${n253}.`)).toBe(n253);
    expect(normalizeHostname(nameOfLength(254))).toBeUndefined();
  });

  it('is idempotent and lower-cases any valid domain', () => {
    fc.assert(
      fc.property(fc.domain(), fc.boolean(), (domain, upper) => {
        fc.pre(domain.length <= 253 && !/^\d+$/.test(domain.split('.').at(-1) ?? ''));
        const input = upper ? domain.toUpperCase() : domain;
        const once = normalizeHostname(input);
        expect(once).toBe(domain.toLowerCase());
        expect(normalizeHostname(once as string)).toBe(once);
        expect(normalizeHostname(`${input}.`)).toBe(once);
      }),
      { numRuns: 300 },
    );
  });
});

describe('hostnames through parseTargetEntry', () => {
  it('returns a hostname entry with the normalised name and size 0', () => {
    expect(parseTargetEntry('WWW.Example.COM.')).toEqual({
      ok: true,
      entry: { kind: 'hostname', size: 0n, hostname: 'www.example.com' },
    });
    const idn = parseTargetEntry('bücher.example');
    expect(idn.ok && idn.entry.hostname).toBe('xn--bcher-kva.example');
    const local = parseTargetEntry('localhost');
    expect(local.ok && local.entry.kind).toBe('hostname');
  });

  it.each([
    ['under_score.example', /underscore/],
    ['*.example.com', /wildcard/],
    ['a..b.example', /empty label/],
    [`${label(64)}.example`, /longer than 63/],
    [`${nameOfLength(254)}`, /longer than 253/],
    ['host.123', /numeric/],
    ['-a.example', /hyphen/],
  ])('refuses %s as invalid with a reason', (input, why) => {
    const result = parseTargetEntry(input);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.reason).toBe('invalid');
    expect(result.message).toMatch(why);
    expect(result.message).toContain(input.slice(0, 30));
  });
});
