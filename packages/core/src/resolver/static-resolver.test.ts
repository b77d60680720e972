import { describe, expect, it } from 'vitest';
import { isScanplaneError } from '../errors/scanplane-error.js';
import { createStaticResolver } from './static-resolver.js';

describe('createStaticResolver', () => {
  const resolver = createStaticResolver({
    'web.example': ['192.0.2.10', '2001:db8::10', '192.0.2.11'],
    'v6only.example': ['2001:db8::6'],
    'WEB2.Example.': ['192.0.2.20'],
    'mapped.example': ['::ffff:192.0.2.30'],
  });

  it('is named static', () => {
    expect(resolver.name).toBe('static');
  });

  it('answers A records in map order, then AAAA, for the requested families', async () => {
    expect(await resolver.resolve('web.example', { families: [4] })).toEqual({
      addresses: ['192.0.2.10', '192.0.2.11'],
    });
    expect(await resolver.resolve('web.example', { families: [6] })).toEqual({ addresses: ['2001:db8::10'] });
    expect(await resolver.resolve('web.example', { families: [4, 6] })).toEqual({
      addresses: ['192.0.2.10', '192.0.2.11', '2001:db8::10'],
    });
  });

  it('normalises the names of the map', async () => {
    expect(await resolver.resolve('web2.example', { families: [4] })).toEqual({ addresses: ['192.0.2.20'] });
  });

  it('stores IPv4-mapped answers as IPv4', async () => {
    expect(await resolver.resolve('mapped.example', { families: [4] })).toEqual({
      addresses: ['192.0.2.30'],
    });
  });

  it('answers ENOTFOUND for unknown names and for names without the requested family', async () => {
    const unknown = await resolver.resolve('nope.example', { families: [4, 6] });
    expect(unknown.addresses).toEqual([]);
    expect(unknown.error?.code).toBe('ENOTFOUND');
    expect(unknown.error?.message).toContain('nope.example');
    const noA = await resolver.resolve('v6only.example', { families: [4] });
    expect(noA.addresses).toEqual([]);
    expect(noA.error).toBeDefined();
  });

  it('answers ABORTED for an aborted signal', async () => {
    const result = await resolver.resolve('web.example', { families: [4], signal: AbortSignal.abort() });
    expect(result).toEqual({
      addresses: [],
      error: { code: 'ABORTED', message: expect.stringContaining('web.example') },
    });
  });

  it('accepts hosts(5) text', async () => {
    const fromText = createStaticResolver('192.0.2.7 lab.internal lab # box\n2001:db8::7 lab.internal\n');
    expect(await fromText.resolve('lab', { families: [4] })).toEqual({ addresses: ['192.0.2.7'] });
    expect(await fromText.resolve('lab.internal', { families: [4, 6] })).toEqual({
      addresses: ['192.0.2.7', '2001:db8::7'],
    });
  });

  it('refuses invalid addresses and names in the map with INVALID_ARGUMENT', () => {
    const maps: Array<Record<string, string[]>> = [
      { 'a.example': ['10.1'] },
      { 'bad_name.example': ['10.0.0.1'] },
    ];
    for (const hosts of maps) {
      let caught: unknown;
      try {
        createStaticResolver(hosts);
      } catch (error) {
        caught = error;
      }
      expect(isScanplaneError(caught) && caught.code).toBe('INVALID_ARGUMENT');
    }
  });
});
