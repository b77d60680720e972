import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isScanplaneError } from '../errors/scanplane-error.js';
import type { ResolveOptions, ResolveResult, Resolver } from '../resolver/resolver.js';
import { createStaticResolver } from '../resolver/static-resolver.js';
import { type PrepareProgress, prepare } from './prepare.js';
import { bigintToJSON, summaryToJSON } from './prepared-targets.js';
import { readTargetFile, type TargetInput } from './target-input.js';

const dir = mkdtempSync(join(tmpdir(), 'scanplane-prepare-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A resolver over a fixed table that records every call; answers may be delayed. */
function recordingResolver(
  table: Record<string, string[] | Error>,
  delay: (hostname: string) => number = () => 0,
): Resolver & { calls: Array<{ hostname: string; options: ResolveOptions }> } {
  const calls: Array<{ hostname: string; options: ResolveOptions }> = [];
  return {
    name: 'recording',
    calls,
    async resolve(hostname: string, options: ResolveOptions): Promise<ResolveResult> {
      calls.push({ hostname, options });
      const ms = delay(hostname);
      if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
      const answer = table[hostname];
      if (answer instanceof Error) throw answer;
      if (answer === undefined)
        return { addresses: [], error: { code: 'ENOTFOUND', message: `${hostname} not found` } };
      return {
        addresses: answer.filter((a) =>
          a.includes(':') ? options.families.includes(6) : options.families.includes(4),
        ),
      };
    },
  };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  const error = await rejection(promise);
  expect(isScanplaneError(error), String(error)).toBe(true);
  if (isScanplaneError(error)) expect(error.code).toBe(code);
}

describe('dedup is set union', () => {
  it('merges a literal inside a CIDR and reports it as duplicate', async () => {
    const prepared = await prepare(['10.0.0.0/30', '10.0.0.2']);
    expect(prepared.addresses.size).toBe(4n);
    expect(prepared.entry(0)).toMatchObject({ status: 'accepted', addresses: 4, accepted: 4, added: 4 });
    expect(prepared.entry(1)).toMatchObject({ status: 'duplicate', addresses: 1, accepted: 1, added: 0 });
    expect(prepared.summary).toMatchObject({
      provided: 2,
      accepted: 1,
      duplicates: 1,
      addresses: 4n,
      ranges: 1,
    });
    expect(prepared.sourcesOf('10.0.0.2')).toEqual([0, 1]);
    expect(prepared.sourcesOf('10.0.0.3')).toEqual([0]);
    expect(prepared.hostnamesOf('10.0.0.2')).toEqual([]);
  });

  it('keeps all 8 addresses of ["1.1.1.1", "1.1.1.0/29"] (Falcoria kept 1)', async () => {
    const prepared = await prepare(['1.1.1.1', '1.1.1.0/29']);
    expect(prepared.addresses.size).toBe(8n);
    expect([...prepared.addresses]).toEqual(Array.from({ length: 8 }, (_, i) => `1.1.1.${i}`));
    expect(prepared.entry(0).added).toBe(1);
    expect(prepared.entry(1)).toMatchObject({ status: 'accepted', added: 7, accepted: 8 });
  });

  it('merges overlapping CIDRs', async () => {
    const prepared = await prepare(['10.0.0.0/24', '10.0.0.128/25', '10.0.0.0/23']);
    expect(prepared.addresses.size).toBe(512n);
    expect(prepared.addresses.toJSON()).toEqual(['10.0.0.0/23']);
    expect([...prepared.entries()].map((e) => [e.status, e.added])).toEqual([
      ['accepted', 256],
      ['duplicate', 0],
      ['accepted', 256],
    ]);
  });

  it('150 hostnames resolving to 1.1.1.1 then the literal keep every hostname, in input order (Falcoria race)', async () => {
    const names = Array.from({ length: 150 }, (_, i) => `host${i}.example`);
    // Answers arrive in an order unrelated to the input order.
    const resolver = recordingResolver(
      Object.fromEntries(names.map((n) => [n, ['1.1.1.1']])),
      (hostname) => (Number(hostname.slice(4).split('.')[0]) * 37) % 23,
    );
    const prepared = await prepare([...names, '1.1.1.1'], { resolver, concurrency: 50 });
    expect(prepared.addresses.size).toBe(1n);
    expect(prepared.hostnamesOf('1.1.1.1')).toEqual(names);
    expect(prepared.sourcesOf('1.1.1.1')).toEqual(Array.from({ length: 151 }, (_, i) => i));
    expect(prepared.entry(0).status).toBe('accepted');
    expect(prepared.entry(1).status).toBe('merged');
    expect(prepared.entry(149).status).toBe('merged');
    expect(prepared.entry(150).status).toBe('duplicate');
    expect(prepared.summary).toMatchObject({ accepted: 1, merged: 149, duplicates: 1, addresses: 1n });
    expect(prepared.summary.hostnames).toEqual({ provided: 150, resolved: 150, unresolvable: 0 });
  });

  it('a hostname whose addresses were all named earlier is merged and keeps its name', async () => {
    const resolver = createStaticResolver({ 'web.example': ['10.0.0.2'] });
    const prepared = await prepare(['10.0.0.0/30', 'web.example'], { resolver });
    expect(prepared.entry(1)).toMatchObject({
      status: 'merged',
      hostname: 'web.example',
      resolved: ['10.0.0.2'],
      added: 0,
    });
    expect(prepared.hostnamesOf('10.0.0.2')).toEqual(['web.example']);
    expect(prepared.sourcesOf('10.0.0.2')).toEqual([0, 1]);
    expect(prepared.summary.merged).toBe(1);
  });

  it('a hostname before a literal owns the address; the literal is a duplicate', async () => {
    const resolver = createStaticResolver({ 'web.example': ['10.0.0.2'] });
    const prepared = await prepare(['web.example', '10.0.0.2'], { resolver });
    expect(prepared.entry(0).status).toBe('accepted');
    expect(prepared.entry(1).status).toBe('duplicate');
  });

  it('treats ::ffff:1.2.3.4 as 1.2.3.4 when deduplicating', async () => {
    const resolver = createStaticResolver({ 'mapped.example': ['::ffff:1.2.3.5'] });
    const prepared = await prepare(['1.2.3.4', '::ffff:1.2.3.4', '1.2.3.5', 'mapped.example'], {
      resolver,
      ipv6: true,
    });
    expect(prepared.addresses.size).toBe(2n);
    expect(prepared.addresses.sizeV6).toBe(0n);
    expect(prepared.entry(1).status).toBe('duplicate');
    expect(prepared.entry(3).status).toBe('merged');
    expect(prepared.hostnamesOf('1.2.3.5')).toEqual(['mapped.example']);
    expect(prepared.sourcesOf('::ffff:1.2.3.4')).toEqual([0, 1]);
  });

  it('treats the IPv4-mapped part of an IPv6 range as IPv4 (dedup and provenance)', async () => {
    const prepared = await prepare(['1.0.0.1', '::fffe:ffff:ffff-::ffff:1.0.0.1'], {
      maxAddresses: 2n ** 25n,
    });
    const added = [...prepared.entries()].reduce((sum, e) => sum + e.added, 0);
    expect(added).toBe(Number(prepared.summary.addresses));
    expect(prepared.sourcesOf('1.0.0.1')).toEqual([0, 1]);
  });

  it('repeats of a hostname are duplicates and are resolved once', async () => {
    const resolver = recordingResolver({ 'web.example': ['10.0.0.9'] });
    const prepared = await prepare(['web.example', 'WEB.Example.', 'web.example'], { resolver });
    expect(resolver.calls.map((c) => c.hostname)).toEqual(['web.example']);
    expect([...prepared.entries()].map((e) => e.status)).toEqual(['accepted', 'duplicate', 'duplicate']);
    expect(prepared.entry(1).message).toMatch(/repeats entry 0/);
    expect(prepared.summary.duplicates).toBe(2);
    expect(prepared.summary.hostnames.provided).toBe(1);
  });
});

describe('special-purpose policy', () => {
  it('refuses unspecified, broadcast, multicast and reserved by default, with reasons and counts', async () => {
    // 240.0.0.0/4 has its own test below.
    const entries = ['0.0.0.0', '255.255.255.255', '224.0.0.1', '::', 'ff02::1', '4000::1', '::2'];
    const prepared = await prepare(entries);
    expect(prepared.addresses.isEmpty).toBe(true);
    expect([...prepared.entries()].map((e) => [e.status, e.reason])).toEqual([
      ['refused', 'unspecified'],
      ['refused', 'broadcast'],
      ['refused', 'multicast'],
      ['refused', 'unspecified'],
      ['refused', 'multicast'],
      ['refused', 'reserved'],
      ['refused', 'reserved'],
    ]);
    expect(prepared.summary.refused).toEqual({ unspecified: 2, broadcast: 1, multicast: 2, reserved: 2 });
    expect(prepared.entry(2).refused).toEqual({ multicast: 1 });
    expect(prepared.entry(2).message).toContain('224.0.0.1');
  });

  it('refuses the reserved block 240.0.0.0/4 by default', async () => {
    const prepared = await prepare(['240.0.0.0/30']);
    expect(prepared.addresses.size).toBe(0n);
    expect(prepared.entry(0)).toMatchObject({ status: 'refused', reason: 'reserved' });
  });

  it('allows loopback and private addresses by default (the quickstart scans 127.0.0.1)', async () => {
    const resolver = createStaticResolver({ localhost: ['127.0.0.1', '::1'] });
    const prepared = await prepare(['127.0.0.1', '10.0.0.1', '192.168.1.1', '::1', 'fd00::1', 'localhost'], {
      resolver,
    });
    expect([...prepared.addresses]).toEqual(['10.0.0.1', '127.0.0.1', '192.168.1.1', '::1', 'fd00::1']);
    expect(prepared.summary.refused).toEqual({});
    expect(prepared.entry(5).status).toBe('merged');
  });

  it('with publicOnly refuses private, loopback, link-local, CGNAT, documentation and not-global', async () => {
    const entries = [
      '10.0.0.1',
      '172.16.0.1',
      '192.168.0.1',
      'fc00::1',
      '127.0.0.1',
      '::1',
      '169.254.0.1',
      'fe80::1',
      '100.64.0.1',
      '192.0.2.1',
      '2001:db8::1',
      '198.18.0.1',
      '8.8.8.8',
    ];
    const prepared = await prepare(entries, { publicOnly: true });
    expect([...prepared.addresses]).toEqual(['8.8.8.8']);
    expect([...prepared.entries()].map((e) => e.reason)).toEqual([
      'private',
      'private',
      'private',
      'private',
      'loopback',
      'loopback',
      'link_local',
      'link_local',
      'carrier_grade_nat',
      'documentation',
      'documentation',
      'not_global',
      undefined,
    ]);
  });

  it('refuses only the special part of a range, counting entries and distinct addresses', async () => {
    const prepared = await prepare(['223.255.255.254-224.0.0.1', '224.0.0.0/30', '224.0.0.1']);
    expect([...prepared.addresses]).toEqual(['223.255.255.254', '223.255.255.255']);
    expect(prepared.entry(0)).toMatchObject({ status: 'accepted', accepted: 2, refused: { multicast: 2 } });
    expect(prepared.entry(1)).toMatchObject({
      status: 'refused',
      reason: 'multicast',
      refused: { multicast: 4 },
    });
    expect(prepared.summary.refused).toEqual({ multicast: 2 });
    expect(prepared.summary.refusedAddresses).toEqual({ multicast: 4n });
  });

  it('never lets the IPv4-mapped part of an IPv6 range bypass the IPv4 policy', async () => {
    const prepared = await prepare(['::fffe:ffff:ffff-::ffff:0.0.0.3']);
    expect(prepared.addresses.contains('0.0.0.1')).toBe(false);
    expect(prepared.addresses.isEmpty).toBe(true);
    const multicast = await prepare(['::ffff:224.0.0.1']);
    expect(multicast.entry(0).reason).toBe('multicast');
  });
});

describe('exclusions and allow-list', () => {
  it('excludes addresses, counting them per entry and in the summary', async () => {
    const prepared = await prepare(['10.0.0.0/24', '10.0.5.7', '10.0.1.1'], {
      exclude: ['10.0.0.1', '10.0.5.0/24'],
    });
    expect(prepared.addresses.size).toBe(256n);
    expect(prepared.addresses.contains('10.0.0.1')).toBe(false);
    expect(prepared.entry(0)).toMatchObject({ status: 'accepted', accepted: 255, refused: { excluded: 1 } });
    expect(prepared.entry(1)).toMatchObject({ status: 'refused', reason: 'excluded' });
    expect(prepared.entry(1).message).toContain('10.0.5.7');
    expect(prepared.summary.refused).toEqual({ excluded: 1 });
    expect(prepared.summary.refusedAddresses).toEqual({ excluded: 2n });
  });

  it('reads exclusions from a file', async () => {
    const path = join(dir, 'exclude.txt');
    writeFileSync(path, '# never\r\n10.0.0.0/30 10.0.0.9\r\n');
    const prepared = await prepare(['10.0.0.0/28'], { exclude: readTargetFile(path) });
    expect(prepared.addresses.size).toBe(11n);
    expect(prepared.addresses.contains('10.0.0.9')).toBe(false);
  });

  it('resolves exclusion hostnames (A and AAAA)', async () => {
    const resolver = createStaticResolver({ 'db.lab': ['10.0.0.3', 'fd00::3'] });
    const prepared = await prepare(['10.0.0.0/30', 'fd00::/126'], { exclude: ['db.lab'], resolver });
    expect(prepared.addresses.contains('10.0.0.3')).toBe(false);
    expect(prepared.addresses.contains('fd00::3')).toBe(false);
    expect(prepared.addresses.size).toBe(6n);
  });

  it('throws TARGET_INVALID for an invalid exclusion and RESOLUTION_FAILED for an unresolvable one', async () => {
    await expectCode(prepare(['10.0.0.1'], { exclude: ['10.1'] }), 'TARGET_INVALID');
    await expectCode(prepare(['10.0.0.1'], { exclude: ['10.0.0.0/33'] }), 'TARGET_INVALID');
    const resolver = createStaticResolver({});
    await expectCode(prepare(['10.0.0.1'], { exclude: ['gone.example'], resolver }), 'RESOLUTION_FAILED');
    await expectCode(prepare(['10.0.0.1'], { allow: ['bad_name.example'] }), 'TARGET_INVALID');
  });

  it('fails closed for an exclusion hostname when resolution is disabled', async () => {
    const error = await rejection(prepare(['10.0.0.1'], { exclude: ['db.lab'], resolve: false }));
    expect(isScanplaneError(error)).toBe(true);
  });

  it('refuses addresses outside the allow-list as out_of_scope', async () => {
    const prepared = await prepare(['10.0.0.0/23', '10.0.2.1', '10.0.0.7'], { allow: ['10.0.0.0/24'] });
    expect(prepared.addresses.size).toBe(256n);
    expect(prepared.entry(0)).toMatchObject({
      status: 'accepted',
      accepted: 256,
      refused: { out_of_scope: 256 },
    });
    expect(prepared.entry(1)).toMatchObject({ status: 'refused', reason: 'out_of_scope' });
    expect(prepared.entry(2).status).toBe('duplicate');
    expect(prepared.summary.refusedAddresses).toEqual({ out_of_scope: 257n });
  });

  it('applies exclusions before the allow-list', async () => {
    const prepared = await prepare(['10.0.0.1'], { allow: ['10.0.0.0/24'], exclude: ['10.0.0.1'] });
    expect(prepared.entry(0).reason).toBe('excluded');
  });
});

describe('resolution', () => {
  it('resolve:false refuses every hostname as unresolvable without calling the resolver', async () => {
    const resolver = recordingResolver({ 'web.example': ['10.0.0.1'] });
    const prepared = await prepare(['web.example', 'db.example', '10.0.0.2'], { resolve: false, resolver });
    expect(resolver.calls).toEqual([]);
    expect(prepared.entry(0)).toMatchObject({ status: 'refused', reason: 'unresolvable' });
    expect(prepared.entry(1)).toMatchObject({ status: 'refused', reason: 'unresolvable' });
    expect(prepared.entry(0).message).toMatch(/disabled/);
    expect(prepared.summary.refused).toEqual({ unresolvable: 2 });
    expect(prepared.summary.hostnames).toEqual({ provided: 2, resolved: 0, unresolvable: 2 });
    expect([...prepared.addresses]).toEqual(['10.0.0.2']);
  });

  it('an unknown name is unresolvable with the resolver code in the message', async () => {
    const prepared = await prepare(['nope.example'], { resolver: createStaticResolver({}) });
    expect(prepared.entry(0)).toMatchObject({
      status: 'refused',
      reason: 'unresolvable',
      hostname: 'nope.example',
    });
    expect(prepared.entry(0).message).toContain('ENOTFOUND');
    expect(prepared.entry(0).message).toContain('nope.example');
  });

  it("resolution 'first' takes the first answer that passes the policy", async () => {
    const resolver = createStaticResolver({ 'mixed.example': ['10.0.0.1', '8.8.8.8', '8.8.4.4'] });
    const publicOnly = await prepare(['mixed.example'], { resolver, resolution: 'first', publicOnly: true });
    expect([...publicOnly.addresses]).toEqual(['8.8.8.8']);
    expect(publicOnly.hostnamesOf('8.8.8.8')).toEqual(['mixed.example']);
    expect(publicOnly.entry(0)).toMatchObject({
      status: 'accepted',
      resolved: ['10.0.0.1', '8.8.8.8', '8.8.4.4'],
    });
    const first = await prepare(['mixed.example'], { resolver, resolution: 'first' });
    expect([...first.addresses]).toEqual(['10.0.0.1']);
    const all = await prepare(['mixed.example'], { resolver });
    expect([...all.addresses]).toEqual(['8.8.4.4', '8.8.8.8', '10.0.0.1']);
  });

  it("a name whose answers are all refused is refused for the policy's reason, not as unresolvable", async () => {
    const resolver = createStaticResolver({ 'intra.example': ['10.0.0.1', '10.0.0.2'] });
    const prepared = await prepare(['intra.example'], { resolver, publicOnly: true });
    expect(prepared.entry(0)).toMatchObject({
      status: 'refused',
      reason: 'private',
      refused: { private: 2 },
    });
  });

  it('asks only A by default and A and AAAA with ipv6:true', async () => {
    const table = { 'dual.example': ['192.0.2.1', '2001:db8::1'] };
    const v4only = recordingResolver(table);
    const a = await prepare(['dual.example'], { resolver: v4only });
    expect(v4only.calls[0]?.options.families).toEqual([4]);
    expect([...a.addresses]).toEqual(['192.0.2.1']);
    const dual = recordingResolver(table);
    const both = await prepare(['dual.example'], { resolver: dual, ipv6: true });
    expect(dual.calls[0]?.options.families).toEqual([4, 6]);
    expect([...both.addresses]).toEqual(['192.0.2.1', '2001:db8::1']);
    expect(both.hostnamesOf('2001:db8::1')).toEqual(['dual.example']);
  });

  it('a resolver that throws for one name makes only that name unresolvable', async () => {
    const resolver = recordingResolver({ 'ok.example': ['10.0.0.1'], 'boom.example': new Error('kaboom') });
    const prepared = await prepare(['boom.example', 'ok.example'], { resolver });
    expect(prepared.entry(0)).toMatchObject({ status: 'refused', reason: 'unresolvable' });
    expect(prepared.entry(0).message).toContain('kaboom');
    expect(prepared.entry(1).status).toBe('accepted');
    expect([...prepared.addresses]).toEqual(['10.0.0.1']);
  });

  it('passes IDN names to the resolver as punycode', async () => {
    const resolver = recordingResolver({ 'xn--bcher-kva.example': ['10.0.0.1'] });
    const prepared = await prepare(['bücher.example'], { resolver });
    expect(resolver.calls.map((c) => c.hostname)).toEqual(['xn--bcher-kva.example']);
    expect(prepared.hostnamesOf('10.0.0.1')).toEqual(['xn--bcher-kva.example']);
  });

  it('reports progress while resolving', async () => {
    const progress: PrepareProgress[] = [];
    const resolver = createStaticResolver({ 'a.example': ['10.0.0.1'], 'b.example': ['10.0.0.2'] });
    await prepare(['a.example', 'b.example', 'c.example', 'a.example'], {
      resolver,
      onProgress: (p) => progress.push({ ...p }),
    });
    expect(progress.length).toBe(3);
    expect(progress.map((p) => p.done)).toEqual([1, 2, 3]);
    expect(progress.every((p) => p.phase === 'resolve' && p.total === 3)).toBe(true);
  });

  it('throws ABORTED for an aborted signal, before or during resolution', async () => {
    await expectCode(prepare(['10.0.0.1'], { signal: AbortSignal.abort() }), 'ABORTED');
    const controller = new AbortController();
    const resolver: Resolver = {
      name: 'aborting',
      async resolve() {
        controller.abort();
        return { addresses: ['10.0.0.1'] };
      },
    };
    const names = Array.from({ length: 20 }, (_, i) => `n${i}.example`);
    await expectCode(prepare(names, { resolver, signal: controller.signal, concurrency: 1 }), 'ABORTED');
  });
});

describe('entries, sources, warnings and caps', () => {
  it('refuses invalid and too_large entries with a reason and a message, never expanding them', async () => {
    const prepared = await prepare(['10.1', '0.0.0.0/0', '2001:db8::/32', '10.0.0.1']);
    expect(prepared.entry(0)).toMatchObject({ status: 'refused', reason: 'invalid', input: '10.1' });
    expect(prepared.entry(0).message).toContain('10.1');
    expect(prepared.entry(0).kind).toBeUndefined();
    expect(prepared.entry(1)).toMatchObject({ status: 'refused', reason: 'too_large', addresses: 2 ** 32 });
    expect(prepared.entry(2)).toMatchObject({ status: 'refused', reason: 'too_large' });
    expect(prepared.summary.refused).toEqual({ invalid: 1, too_large: 2 });
    expect(prepared.summary.addresses).toBe(1n);
    expect([...prepared.refusedEntries()].map((e) => e.index)).toEqual([0, 1, 2]);
  });

  it('applies maxAddresses and hostsOnly', async () => {
    const capped = await prepare(['10.0.0.0/16'], { maxAddresses: 1000 });
    expect(capped.entry(0).reason).toBe('too_large');
    const hosts = await prepare(['10.0.0.0/30', '10.0.0.8/31'], { hostsOnly: true });
    expect([...hosts.addresses]).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.8', '10.0.0.9']);
  });

  it('reports host bits set as a warning in the entry and the summary', async () => {
    const prepared = await prepare(['10.0.0.5/24']);
    expect(prepared.addresses.toJSON()).toEqual(['10.0.0.0/24']);
    expect(prepared.summary.warningCount).toBe(1);
    expect(prepared.summary.warnings).toHaveLength(1);
    expect(prepared.summary.warnings[0]).toMatch(/host bits/);
    expect(prepared.entry(0).warnings?.[0]).toMatch(/10\.0\.0\.0\/24/);
  });

  it('keeps each entry’s file and line, and names them in messages', async () => {
    const path = join(dir, 'targets.txt');
    writeFileSync(path, '10.0.0.1\n# comment\n10.1 web.example\n');
    const prepared = await prepare(readTargetFile(path), { resolver: createStaticResolver({}) });
    expect(prepared.entry(1).source).toEqual({ kind: 'file', name: path, line: 3 });
    expect(prepared.entry(1).message).toContain(`${path}:3`);
    expect(prepared.entry(2).source).toEqual({ kind: 'file', name: path, line: 3 });
    expect(prepared.entry(2).message).toContain(`${path}:3`);
  });

  it('accepts TargetInput objects and async iterables', async () => {
    async function* entries(): AsyncGenerator<string | TargetInput> {
      yield '10.0.0.1';
      yield { text: '10.0.0.2', source: { kind: 'argument' } };
    }
    const prepared = await prepare(entries());
    expect(prepared.entryCount).toBe(2);
    expect(prepared.entry(1).source).toEqual({ kind: 'argument' });
  });

  it('keeps the port and scheme of URL and host:port entries', async () => {
    const resolver = createStaticResolver({ 'web.example': ['10.0.0.1'] });
    const prepared = await prepare(['https://web.example:8443/login', '10.0.0.2:22'], { resolver });
    expect(prepared.entry(0)).toMatchObject({
      kind: 'hostname',
      hostname: 'web.example',
      port: 8443,
      scheme: 'https',
    });
    expect(prepared.entry(1)).toMatchObject({ kind: 'ipv4', port: 22 });
    expect(prepared.addresses.size).toBe(2n);
  });

  it('refuses invalid options with INVALID_ARGUMENT', async () => {
    await expectCode(prepare(['10.0.0.1'], { concurrency: 0 }), 'INVALID_ARGUMENT');
    await expectCode(prepare(['10.0.0.1'], { maxAddresses: -1 }), 'INVALID_ARGUMENT');
    await expectCode(prepare(['10.0.0.1'], { resolution: 'some' as never }), 'INVALID_ARGUMENT');
  });

  it('serialises summaries with bigints as numbers or strings', async () => {
    const prepared = await prepare(['10.0.0.0/24', '224.0.0.1']);
    const json = summaryToJSON(prepared.summary);
    expect(json.addresses).toBe(256);
    expect(json.refusedAddresses).toEqual({ multicast: 1 });
    expect(bigintToJSON(2n ** 64n)).toBe('18446744073709551616');
    expect(bigintToJSON(5n)).toBe(5);
  });
});
