import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatIpv4, parseIpv4 } from './ipv4.js';
import { parseIpv6 } from './ipv6.js';
import {
  DEFAULT_MAX_ADDRESSES,
  DEFAULT_MAX_RANGES,
  MAX_ENTRY_LENGTH,
  type ParsedTargetEntry,
  parseTargetEntry,
  type TargetEntryOptions,
} from './target-entry.js';

function ok(text: string, options?: TargetEntryOptions): ParsedTargetEntry {
  const result = parseTargetEntry(text, options);
  if (!result.ok) throw new Error(`expected '${text}' to parse, got ${result.reason}: ${result.message}`);
  return result.entry;
}

function refused(
  text: string,
  options?: TargetEntryOptions,
): { reason: string; message: string; size?: bigint } {
  const result = parseTargetEntry(text, options);
  if (result.ok)
    throw new Error(`expected '${text}' to be refused, got ${JSON.stringify(result.entry.kind)}`);
  return result;
}

/** Every IPv4 address of an entry, formatted (small entries only). */
function v4Addresses(entry: ParsedTargetEntry): string[] {
  const out: string[] = [];
  const ranges = entry.v4 ?? [];
  for (let i = 0; i < ranges.length; i += 2) {
    for (let v = ranges[i] as number; v <= (ranges[i + 1] as number); v++) out.push(formatIpv4(v));
  }
  return out;
}

const v4 = (text: string): number => parseIpv4(text);

describe('single addresses', () => {
  it('parses IPv4 and IPv6 literals', () => {
    expect(ok('192.0.2.1')).toEqual({ kind: 'ipv4', size: 1n, v4: [v4('192.0.2.1'), v4('192.0.2.1')] });
    const six = ok('2001:db8::1');
    expect(six.kind).toBe('ipv6');
    expect(six.size).toBe(1n);
    expect(six.v6).toEqual([parseIpv6('2001:db8::1'), parseIpv6('2001:db8::1')]);
    expect(six.v4).toBeUndefined();
  });

  it('trims surrounding whitespace but refuses whitespace inside', () => {
    expect(ok('  10.0.0.1\t').v4).toEqual([v4('10.0.0.1'), v4('10.0.0.1')]);
    const r = refused('10.0.0.1 10.0.0.2');
    expect(r.reason).toBe('invalid');
    expect(r.message).toMatch(/whitespace/);
  });

  it('refuses empty and over-long entries', () => {
    expect(refused('').reason).toBe('invalid');
    expect(refused('   ').reason).toBe('invalid');
    const long = refused(`${'a'.repeat(MAX_ENTRY_LENGTH)}.example`);
    expect(long.reason).toBe('invalid');
    expect(long.message).toMatch(/longer than/);
  });
});

describe('CIDR', () => {
  it('is every address in the block, including network and broadcast', () => {
    const entry = ok('10.0.0.0/24');
    expect(entry.kind).toBe('cidr');
    expect(entry.size).toBe(256n);
    expect(entry.v4).toEqual([v4('10.0.0.0'), v4('10.0.0.255')]);
    expect(entry.warning).toBeUndefined();
  });

  it('parses IPv6 CIDRs', () => {
    const entry = ok('2001:db8::/126');
    expect(entry.size).toBe(4n);
    expect(entry.v6).toEqual([parseIpv6('2001:db8::'), parseIpv6('2001:db8::3')]);
    expect(ok('2001:db8::1/128').size).toBe(1n);
    expect(ok('::/0', { maxAddresses: 2n ** 128n }).size).toBe(2n ** 128n);
  });

  it('accepts the IPv4 netmask form', () => {
    expect(ok('10.0.0.0/255.255.255.0')).toEqual(ok('10.0.0.0/24'));
    expect(ok('10.0.0.0/255.255.0.0').size).toBe(65536n);
    expect(ok('10.0.0.7/255.255.255.255').size).toBe(1n);
    expect(ok('10.1.2.3/255.255.255.252').v4).toEqual([v4('10.1.2.0'), v4('10.1.2.3')]);
  });

  it.each(['10.0.0.0/255.0.255.0', '10.0.0.0/255.255.255.1', '10.0.0.0/0.255.255.255'])(
    'refuses the non-contiguous netmask %s',
    (text) => {
      const r = refused(text);
      expect(r.reason).toBe('invalid');
      expect(r.message).toMatch(/non-contiguous/);
      expect(r.message).toContain(text);
    },
  );

  it.each([
    '10.0.0.0/33',
    '2001:db8::/129',
    '10.0.0.0/',
    '10.0.0.0/-1',
    '10.0.0.0/24/8',
    '10.0.0.0/x',
    '010.0.0.0/8',
    '10.0.0/24',
    '2001:db8::/ffff::',
    'example.com/24',
  ])('refuses the malformed CIDR %s', (text) => {
    const r = refused(text);
    expect(r.reason).toBe('invalid');
    expect(r.message).toContain(text);
  });

  it('accepts host bits set as the network, with a warning', () => {
    const entry = ok('10.0.0.5/24');
    expect(entry.v4).toEqual([v4('10.0.0.0'), v4('10.0.0.255')]);
    expect(entry.size).toBe(256n);
    expect(entry.warning).toMatch(/host bits/);
    expect(entry.warning).toContain('10.0.0.0/24');
    const six = ok('2001:db8::5/126');
    expect(six.v6).toEqual([parseIpv6('2001:db8::4'), parseIpv6('2001:db8::7')]);
    expect(six.warning).toMatch(/host bits/);
  });

  it('turns an IPv4-mapped CIDR into IPv4', () => {
    const entry = ok('::ffff:10.0.0.0/120');
    expect(entry.v4).toEqual([v4('10.0.0.0'), v4('10.0.0.255')]);
    expect(entry.v6).toBeUndefined();
  });

  describe('hostsOnly', () => {
    const hostsOnly = { hostsOnly: true };
    it('leaves out network and broadcast of IPv4 blocks', () => {
      const entry = ok('10.0.0.0/24', hostsOnly);
      expect(entry.size).toBe(254n);
      expect(entry.v4).toEqual([v4('10.0.0.1'), v4('10.0.0.254')]);
      expect(v4Addresses(ok('10.0.0.0/30', hostsOnly))).toEqual(['10.0.0.1', '10.0.0.2']);
      expect(ok('10.0.0.0/255.255.255.0', hostsOnly).size).toBe(254n);
    });

    it('keeps /31 and /32 whole', () => {
      expect(v4Addresses(ok('10.0.0.0/31', hostsOnly))).toEqual(['10.0.0.0', '10.0.0.1']);
      expect(v4Addresses(ok('10.0.0.9/32', hostsOnly))).toEqual(['10.0.0.9']);
    });

    it('drops only the subnet-router anycast address of IPv6 blocks, keeping /127 and /128 whole', () => {
      const entry = ok('2001:db8::/64', { hostsOnly: true, maxAddresses: 2n ** 64n });
      expect(entry.size).toBe(2n ** 64n - 1n);
      expect(ok('2001:db8::/120', hostsOnly).v6).toEqual([
        parseIpv6('2001:db8::1'),
        parseIpv6('2001:db8::ff'),
      ]);
      expect(entry.v6).toEqual([parseIpv6('2001:db8::1'), parseIpv6('2001:db8::ffff:ffff:ffff:ffff')]);
      expect(ok('2001:db8::/126', hostsOnly).v6).toEqual([
        parseIpv6('2001:db8::1'),
        parseIpv6('2001:db8::3'),
      ]);
      expect(ok('2001:db8::/127', hostsOnly).v6).toEqual([parseIpv6('2001:db8::'), parseIpv6('2001:db8::1')]);
      expect(ok('2001:db8::7/128', hostsOnly).size).toBe(1n);
    });

    it('is off by default', () => {
      expect(ok('10.0.0.0/30').size).toBe(4n);
      expect(ok('2001:db8::/126').size).toBe(4n);
    });
  });
});

describe('ranges', () => {
  it('parses full IPv4 ranges', () => {
    const entry = ok('10.0.0.5-10.0.1.20');
    expect(entry.kind).toBe('range');
    expect(entry.size).toBe(272n);
    expect(entry.v4).toEqual([v4('10.0.0.5'), v4('10.0.1.20')]);
    expect(ok('10.0.0.5-10.0.0.5').size).toBe(1n);
  });

  it('parses the short form a.b.c.d-e', () => {
    const entry = ok('10.0.0.5-20');
    expect(entry.size).toBe(16n);
    expect(entry.v4).toEqual([v4('10.0.0.5'), v4('10.0.0.20')]);
  });

  it('parses IPv6 ranges', () => {
    const entry = ok('a::1-a::ff');
    expect(entry.size).toBe(255n);
    expect(entry.v6).toEqual([parseIpv6('a::1'), parseIpv6('a::ff')]);
  });

  it.each(['10.0.0.20-10.0.0.5', '10.0.1.0-10.0.0.255', '10.0.0.20-5', 'a::ff-a::1'])(
    'refuses the reversed range %s',
    (text) => {
      const r = refused(text);
      expect(r.reason).toBe('invalid');
      expect(r.message).toMatch(/before it starts/);
      expect(r.message).toContain(text);
    },
  );

  it.each(['10.0.0.5-10.0.0.300', '10.0.0.5-010.0.0.9', 'a::1-b', 'a::1-10.0.0.1', '10.0.0.1-a::1'])(
    'refuses the malformed range %s',
    (text) => {
      expect(refused(text).reason).toBe('invalid');
    },
  );
});

describe('nmap octet ranges and lists', () => {
  it('192.168.0-255.1-254 is 65024 addresses in 256 runs', () => {
    const entry = ok('192.168.0-255.1-254');
    expect(entry.kind).toBe('octets');
    expect(entry.size).toBe(65024n);
    const ranges = entry.v4 ?? [];
    expect(ranges.length).toBe(512);
    expect(ranges.slice(0, 4)).toEqual([
      v4('192.168.0.1'),
      v4('192.168.0.254'),
      v4('192.168.1.1'),
      v4('192.168.1.254'),
    ]);
    expect(ranges.slice(-2)).toEqual([v4('192.168.255.1'), v4('192.168.255.254')]);
  });

  it('10.1.3-5,7.1 is .3.1 .4.1 .5.1 .7.1', () => {
    const entry = ok('10.1.3-5,7.1');
    expect(entry.size).toBe(4n);
    expect(v4Addresses(entry)).toEqual(['10.1.3.1', '10.1.4.1', '10.1.5.1', '10.1.7.1']);
  });

  it('192.0.2.1,5,7 is .1 .5 .7', () => {
    expect(v4Addresses(ok('192.0.2.1,5,7'))).toEqual(['192.0.2.1', '192.0.2.5', '192.0.2.7']);
  });

  it('supports "-" and open ends', () => {
    const all = ok('10.0.0.-');
    expect(all.size).toBe(256n);
    expect(all.v4).toEqual([v4('10.0.0.0'), v4('10.0.0.255')]);
    expect(v4Addresses(ok('10.0.0.-5'))).toEqual([
      '10.0.0.0',
      '10.0.0.1',
      '10.0.0.2',
      '10.0.0.3',
      '10.0.0.4',
      '10.0.0.5',
    ]);
    expect(v4Addresses(ok('10.0.0.250-'))).toEqual([
      '10.0.0.250',
      '10.0.0.251',
      '10.0.0.252',
      '10.0.0.253',
      '10.0.0.254',
      '10.0.0.255',
    ]);
    expect(ok('10.-.0.1').size).toBe(256n);
  });

  it('merges overlapping items and counts each address once', () => {
    const entry = ok('10.0.0.1-5,3-8,8');
    expect(entry.size).toBe(8n);
    expect(v4Addresses(entry)).toEqual([1, 2, 3, 4, 5, 6, 7, 8].map((i) => `10.0.0.${i}`));
  });

  it('matches a brute-force expansion of random patterns', () => {
    const item = fc
      .tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 5 }))
      .map(([a, b]) => (a === b ? `${a}` : `${Math.min(a, b)}-${Math.max(a, b)}`));
    const octet = fc.array(item, { minLength: 1, maxLength: 3 });
    fc.assert(
      fc.property(fc.array(octet, { minLength: 4, maxLength: 4 }), (octets) => {
        const text = octets.map((o) => o.join(',')).join('.');
        const values = octets.map((o) => {
          const set = new Set<number>();
          for (const it of o) {
            const [a, b] = it.split('-').map(Number) as [number, number | undefined];
            for (let v = a; v <= (b ?? a); v++) set.add(v);
          }
          return [...set].sort((x, y) => x - y);
        });
        const expected: string[] = [];
        for (const a of values[0] ?? [])
          for (const b of values[1] ?? [])
            for (const c of values[2] ?? [])
              for (const d of values[3] ?? []) expected.push(`${a}.${b}.${c}.${d}`);
        const entry = ok(text);
        expect(entry.size).toBe(BigInt(expected.length));
        expect(v4Addresses(entry)).toEqual(expected);
      }),
      { numRuns: 200 },
    );
  });

  it.each([
    ['10.0.0.9-5', /before it starts/],
    ['10.0.0.1-256', /above 255/],
    ['10.0.0-300.1', /above 255/],
    ['10.0.0.01-5', /leading zero/],
    ['10.0.0.1,,2', /not a number/],
    ['10.0.0,1', /parts/],
    ['10.0.0.1-2.5', /./],
    ['10..0.1-5', /empty/],
  ])('refuses %s', (text, why) => {
    const r = refused(text);
    expect(r.reason).toBe('invalid');
    expect(r.message).toMatch(why);
  });

  it('refuses a pattern with more ranges than maxRanges as too_large, before expanding it', () => {
    const r = refused('1-200.1-200.1-200.1');
    expect(r.reason).toBe('too_large');
    expect(r.message).toMatch(/ranges/);
    expect(DEFAULT_MAX_RANGES).toBe(1_048_576);
    expect(refused('10.0.1-10.1', { maxRanges: 9 }).reason).toBe('too_large');
    expect(ok('10.0.1-10.1', { maxRanges: 10 }).size).toBe(10n);
    // Complete trailing octets fold into one range per run.
    expect(ok('10.1-10.-.-', { maxRanges: 1 }).size).toBe(10n * 65536n);
  });

  it('refuses a pattern with more addresses than maxAddresses as too_large with its size', () => {
    const r = refused('0-255.0-255.0-255.0-255');
    expect(r.reason).toBe('too_large');
    expect(r.size).toBe(2n ** 32n);
    expect(r.message).toContain('4294967296');
  });
});

describe('size caps', () => {
  it('defaults to 2^24 addresses per entry', () => {
    expect(DEFAULT_MAX_ADDRESSES).toBe(2 ** 24);
    expect(ok('10.0.0.0/8').size).toBe(2n ** 24n);
    const r = refused('10.0.0.0/7');
    expect(r.reason).toBe('too_large');
    expect(r.size).toBe(2n ** 25n);
  });

  it('0.0.0.0/0 is too_large with its size', () => {
    const r = refused('0.0.0.0/0');
    expect(r.reason).toBe('too_large');
    expect(r.size).toBe(2n ** 32n);
    expect(r.message).toContain('0.0.0.0/0');
    expect(r.message).toContain('4294967296');
  });

  it('2001:db8::/32 is too_large with its size, without expanding it', () => {
    const r = refused('2001:db8::/32');
    expect(r.reason).toBe('too_large');
    expect(r.size).toBe(2n ** 96n);
    expect(r.message).toContain((2n ** 96n).toString());
    expect(refused('::/0').size).toBe(2n ** 128n);
    expect(refused('::-ffff::').reason).toBe('too_large');
  });

  it('applies a custom maxAddresses at its boundary', () => {
    expect(ok('10.0.0.0/16', { maxAddresses: 65536 }).size).toBe(65536n);
    expect(refused('10.0.0.0/16', { maxAddresses: 65535 }).reason).toBe('too_large');
    expect(refused('10.0.0.0-10.0.1.0', { maxAddresses: 256 }).size).toBe(257n);
    expect(refused('10.0.0-1.-', { maxAddresses: 511 }).size).toBe(512n);
    expect(refused('a::1-a::ff', { maxAddresses: 254n }).size).toBe(255n);
  });
});

describe('URLs and host:port', () => {
  it('extracts host, port and scheme from a URL', () => {
    expect(ok('https://Example.com:8443/login')).toEqual({
      kind: 'hostname',
      size: 0n,
      hostname: 'example.com',
      port: 8443,
      scheme: 'https',
    });
    const plain = ok('http://192.0.2.1/');
    expect(plain.kind).toBe('ipv4');
    expect(plain.v4).toEqual([v4('192.0.2.1'), v4('192.0.2.1')]);
    expect(plain.scheme).toBe('http');
    expect(plain.port).toBeUndefined();
    const six = ok('http://[2001:db8::1]:8080/x?y=1');
    expect(six.v6).toEqual([parseIpv6('2001:db8::1'), parseIpv6('2001:db8::1')]);
    expect(six.port).toBe(8080);
    const creds = ok('http://user:secret@host.example:81/');
    expect(creds.hostname).toBe('host.example');
    expect(creds.port).toBe(81);
    expect(ok('FTP://files.example').scheme).toBe('ftp');
    expect(ok('https://bücher.example/').hostname).toBe('xn--bcher-kva.example');
  });

  it.each([
    'http://010.0.0.1/',
    'http://0x0a.0.0.1/',
    'http://10.1/',
    'http://167772161/',
    'http:///path',
    'https://host.example:0/',
    'https://host.example:65536/',
    'https://host.example:http/',
    'http://2001:db8::1/',
    'http://under_score.example/',
    'http://[2001:db8::1/',
  ])('refuses %s (parsed by hand, not by WHATWG URL)', (text) => {
    const r = refused(text);
    expect(r.reason).toBe('invalid');
    expect(r.message).toContain(text);
  });

  it('does not read http://010.0.0.1/ as 8.0.0.1', () => {
    const result = parseTargetEntry('http://010.0.0.1/');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toMatch(/leading zero/);
  });

  it('keeps the port of host:port and [v6]:port', () => {
    expect(ok('example.com:8080')).toEqual({
      kind: 'hostname',
      size: 0n,
      hostname: 'example.com',
      port: 8080,
    });
    const ip = ok('10.0.0.1:80');
    expect(ip.kind).toBe('ipv4');
    expect(ip.v4).toEqual([v4('10.0.0.1'), v4('10.0.0.1')]);
    expect(ip.port).toBe(80);
    const six = ok('[2001:db8::1]:443');
    expect(six.v6).toEqual([parseIpv6('2001:db8::1'), parseIpv6('2001:db8::1')]);
    expect(six.port).toBe(443);
    expect(ok('[2001:db8::1]').port).toBeUndefined();
    const mapped = ok('[::ffff:1.2.3.4]:80');
    expect(mapped.v4).toEqual([0x01020304, 0x01020304]);
    expect(mapped.port).toBe(80);
  });

  it.each([
    'example.com:0',
    'example.com:65536',
    'example.com:http',
    'example.com:',
    ':80',
    '[2001:db8::1',
    '[2001:db8::1]x',
    '[2001:db8::1]:0',
    '[10.0.0.1]:80',
    '010.0.0.1:80',
    'exa_mple.com:80',
  ])('refuses %s', (text) => {
    expect(refused(text).reason).toBe('invalid');
  });
});

describe('never an untyped throw', () => {
  it('returns a result for arbitrary input', () => {
    const chars = fc.constantFrom(...'0123456789abcdefx.:/-,[]%_*@ü'.split(''));
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: chars, maxLength: 40 })),
        fc.boolean(),
        (text, hostsOnly) => {
          const result = parseTargetEntry(text, { hostsOnly });
          expect(typeof result.ok).toBe('boolean');
          if (!result.ok) {
            expect(['invalid', 'too_large']).toContain(result.reason);
            expect(result.message.length).toBeGreaterThan(0);
          } else {
            expect(result.entry.size).toBeGreaterThanOrEqual(0n);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
