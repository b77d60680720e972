import { describe, expect, it } from 'vitest';
import { isScanplaneError } from '../errors/scanplane-error.js';
import { type HostMap, lookupHostMap, parseHostsFile } from './host-map.js';

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('parseHostsFile', () => {
  it('reads addresses, canonical names and aliases, skipping comments and blank lines', () => {
    const map = parseHostsFile(
      [
        '# the lab',
        '127.0.0.1 localhost',
        '::1       localhost ip6-localhost',
        '',
        '192.0.2.7\tscanme.internal   Scanme  # lab box',
        '192.0.2.8 scanme.internal',
        '192.0.2.7 scanme.internal',
        '   # indented comment',
      ].join('\r\n'),
    );
    expect(map.get('localhost')).toEqual({ v4: ['127.0.0.1'], v6: ['::1'] });
    expect(map.get('ip6-localhost')).toEqual({ v4: [], v6: ['::1'] });
    expect(map.get('scanme.internal')).toEqual({ v4: ['192.0.2.7', '192.0.2.8'], v6: [] });
    expect(map.get('scanme')).toEqual({ v4: ['192.0.2.7'], v6: [] });
    expect(map.size).toBe(4);
  });

  it('normalises names and addresses', () => {
    const map = parseHostsFile('2001:DB8:0::1 Web.Example. bücher.example\n::ffff:192.0.2.1 mapped.example');
    expect(map.get('web.example')).toEqual({ v4: [], v6: ['2001:db8::1'] });
    expect(map.get('xn--bcher-kva.example')).toEqual({ v4: [], v6: ['2001:db8::1'] });
    expect(map.get('mapped.example')).toEqual({ v4: ['192.0.2.1'], v6: [] });
  });

  it('adds to an existing map', () => {
    const map: HostMap = new Map();
    parseHostsFile('10.0.0.1 a.example', 'one', map);
    parseHostsFile('10.0.0.2 a.example', 'two', map);
    expect(map.get('a.example')?.v4).toEqual(['10.0.0.1', '10.0.0.2']);
  });

  it.each([
    ['10.0.0.1 ok.example\n10.1 bad.example', /lab-hosts:2: '10\.1' is not an IP address/],
    ['10.0.0.1', /lab-hosts:1: no hostname/],
    ['\n10.0.0.1 under_score.example', /lab-hosts:2: 'under_score\.example' is not a valid hostname/],
  ])('refuses %j naming the source and line', (text, why) => {
    const error = thrown(() => parseHostsFile(text, 'lab-hosts'));
    expect(isScanplaneError(error)).toBe(true);
    if (!isScanplaneError(error)) return;
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toMatch(why);
  });
});

describe('lookupHostMap', () => {
  const map = parseHostsFile('192.0.2.1 dual.example\n2001:db8::1 dual.example\n2001:db8::6 six.example');

  it('returns the addresses of the requested families, A first', () => {
    expect(lookupHostMap(map, 'dual.example', [4])).toEqual(['192.0.2.1']);
    expect(lookupHostMap(map, 'dual.example', [6])).toEqual(['2001:db8::1']);
    expect(lookupHostMap(map, 'dual.example', [6, 4])).toEqual(['192.0.2.1', '2001:db8::1']);
  });

  it('returns undefined for unknown names and for names without those families', () => {
    expect(lookupHostMap(map, 'nope.example', [4, 6])).toBeUndefined();
    expect(lookupHostMap(map, 'six.example', [4])).toBeUndefined();
  });
});
