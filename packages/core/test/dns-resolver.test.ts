import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDnsResolver, type DnsResolverOptions, parseHostsFile, prepare } from '../src/index.js';
import { TestDnsServer } from './support/dns-server.js';

let server: TestDnsServer;
const dir = mkdtempSync(join(tmpdir(), 'scanplane-dns-'));

beforeAll(async () => {
  server = await TestDnsServer.start({
    'multi.test': { A: ['192.0.2.3', '192.0.2.1', '192.0.2.2'], AAAA: ['2001:db8::2', '2001:db8::1'] },
    'v4only.test': { A: ['192.0.2.4'] },
    'v6only.test': { AAAA: ['2001:db8::6'] },
    'servfail.test': { rcode: 'SERVFAIL' },
    'silent.test': { silent: true },
    'private.test': { A: ['10.0.0.5'] },
    'mixed.test': { A: ['10.0.0.6', '8.8.8.8'] },
    'public.test': { A: ['8.8.4.4'] },
    'static.test': { A: ['198.51.100.1'] },
    'filehost.test': { A: ['198.51.100.2'] },
    ...Object.fromEntries(
      Array.from({ length: 6 }, (_, i) => [`slow${i}.test`, { A: [`192.0.2.${100 + i}`], delayMs: 120 }]),
    ),
  });
});

afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => server.reset());

function resolverFor(options: DnsResolverOptions = {}) {
  return createDnsResolver({
    servers: [server.address],
    hostsFile: false,
    retryDelay: 5,
    timeout: 1000,
    ...options,
  });
}

describe('createDnsResolver against a real DNS server', () => {
  it('answers A records in answer order', async () => {
    const result = await resolverFor().resolve('multi.test', { families: [4] });
    expect(result).toEqual({ addresses: ['192.0.2.3', '192.0.2.1', '192.0.2.2'] });
    expect(server.count('multi.test', 'A')).toBe(1);
    expect(server.count('multi.test', 'AAAA')).toBe(0);
  });

  it('answers A then AAAA for both families, and AAAA alone for family 6', async () => {
    const resolver = resolverFor();
    expect(await resolver.resolve('multi.test', { families: [4, 6] })).toEqual({
      addresses: ['192.0.2.3', '192.0.2.1', '192.0.2.2', '2001:db8::2', '2001:db8::1'],
    });
    expect(await resolver.resolve('multi.test', { families: [6] })).toEqual({
      addresses: ['2001:db8::2', '2001:db8::1'],
    });
  });

  it('returns ENOTFOUND on NXDOMAIN without retrying', async () => {
    const result = await resolverFor({ attempts: 3 }).resolve('nxdomain.test', { families: [4] });
    expect(result.addresses).toEqual([]);
    expect(result.error?.code).toBe('ENOTFOUND');
    expect(server.count('nxdomain.test')).toBe(1);
  });

  it('returns ENODATA when the name has no record of the type, without retrying', async () => {
    const result = await resolverFor({ attempts: 3 }).resolve('v4only.test', { families: [6] });
    expect(result.addresses).toEqual([]);
    expect(result.error?.code).toBe('ENODATA');
    expect(server.count('v4only.test', 'AAAA')).toBe(1);
    // With both families, the A answer is enough.
    expect(await resolverFor().resolve('v4only.test', { families: [4, 6] })).toEqual({
      addresses: ['192.0.2.4'],
    });
    expect(await resolverFor().resolve('v6only.test', { families: [4, 6] })).toEqual({
      addresses: ['2001:db8::6'],
    });
  });

  it('retries SERVFAIL up to `attempts` times', async () => {
    const result = await resolverFor({ attempts: 3 }).resolve('servfail.test', { families: [4] });
    expect(result.addresses).toEqual([]);
    expect(result.error?.code).toBe('ESERVFAIL');
    expect(server.count('servfail.test', 'A')).toBe(3);
    server.reset();
    await resolverFor({ attempts: 1 }).resolve('servfail.test', { families: [4] });
    expect(server.count('servfail.test', 'A')).toBe(1);
  });

  it('times out with ETIMEOUT and retries', async () => {
    const result = await resolverFor({ timeout: 150, attempts: 2 }).resolve('silent.test', { families: [4] });
    expect(result.addresses).toEqual([]);
    expect(result.error?.code).toBe('ETIMEOUT');
    expect(server.count('silent.test', 'A')).toBe(2);
  });

  it('respects the concurrency limit', async () => {
    const resolver = resolverFor({ concurrency: 2 });
    const names = Array.from({ length: 6 }, (_, i) => `slow${i}.test`);
    const results = await Promise.all(names.map((name) => resolver.resolve(name, { families: [4] })));
    expect(results.map((r) => r.addresses)).toEqual(names.map((_, i) => [`192.0.2.${100 + i}`]));
    expect(server.queries.length).toBe(6);
    expect(server.maxInFlight).toBe(2);
  });

  it('consults the static hosts map first, without sending a query', async () => {
    const resolver = resolverFor({ hosts: '192.0.2.99 static.test\n2001:db8::99 static.test' });
    expect(await resolver.resolve('static.test', { families: [4] })).toEqual({ addresses: ['192.0.2.99'] });
    expect(await resolver.resolve('static.test', { families: [4, 6] })).toEqual({
      addresses: ['192.0.2.99', '2001:db8::99'],
    });
    expect(server.count('static.test')).toBe(0);
    const fromMap = resolverFor({ hosts: parseHostsFile('192.0.2.98 static.test') });
    expect(await fromMap.resolve('static.test', { families: [4] })).toEqual({ addresses: ['192.0.2.98'] });
    expect(server.count('static.test')).toBe(0);
    // A name the map does not know goes to DNS.
    expect(await resolver.resolve('v4only.test', { families: [4] })).toEqual({ addresses: ['192.0.2.4'] });
    expect(server.count('v4only.test')).toBe(1);
  });

  it('consults the hosts file before DNS, after the hosts option, skipping malformed lines', async () => {
    const hostsFile = join(dir, 'hosts');
    writeFileSync(
      hostsFile,
      '# test hosts\n192.0.2.77 filehost.test\nnot-an-address broken.test\n192.0.2.78 both.test\n',
    );
    const resolver = resolverFor({ hostsFile });
    expect(await resolver.resolve('filehost.test', { families: [4] })).toEqual({ addresses: ['192.0.2.77'] });
    expect(server.count('filehost.test')).toBe(0);
    const withHosts = resolverFor({ hostsFile, hosts: '192.0.2.79 both.test' });
    expect(await withHosts.resolve('both.test', { families: [4] })).toEqual({ addresses: ['192.0.2.79'] });
    expect(await resolver.resolve('both.test', { families: [4] })).toEqual({ addresses: ['192.0.2.78'] });
    expect(await resolver.resolve('v4only.test', { families: [4] })).toEqual({ addresses: ['192.0.2.4'] });
  });

  it('returns ABORTED when the signal aborts during a lookup or before it', async () => {
    const controller = new AbortController();
    const pending = resolverFor({ timeout: 5000 }).resolve('silent.test', {
      families: [4],
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 50);
    const result = await pending;
    expect(result.addresses).toEqual([]);
    expect(result.error?.code).toBe('ABORTED');
    server.reset();
    const before = await resolverFor().resolve('multi.test', { families: [4], signal: AbortSignal.abort() });
    expect(before.error?.code).toBe('ABORTED');
    expect(server.count('multi.test')).toBe(0);
  });

  it('refuses invalid options with INVALID_ARGUMENT', () => {
    for (const options of [
      { timeout: 0 },
      { attempts: 0 },
      { concurrency: 0 },
      { servers: ['not a server'] },
    ]) {
      expect(() => createDnsResolver({ hostsFile: false, ...options })).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
      );
    }
  });
});

describe('prepare() with the DNS resolver', () => {
  it('refuses a name answering a private address as private under publicOnly, not as unresolvable', async () => {
    const prepared = await prepare(['private.test', 'public.test'], {
      resolver: resolverFor(),
      publicOnly: true,
    });
    expect(prepared.entry(0)).toMatchObject({ status: 'refused', reason: 'private', resolved: ['10.0.0.5'] });
    expect(prepared.entry(1).status).toBe('accepted');
    expect([...prepared.addresses]).toEqual(['8.8.4.4']);
    expect(prepared.summary.hostnames).toEqual({ provided: 2, resolved: 1, unresolvable: 0 });
  });

  it('refuses an NXDOMAIN name as unresolvable with the DNS code in the message', async () => {
    const prepared = await prepare(['gone.test'], { resolver: resolverFor() });
    expect(prepared.entry(0)).toMatchObject({ status: 'refused', reason: 'unresolvable' });
    expect(prepared.entry(0).message).toContain('ENOTFOUND');
    expect(prepared.entry(0).message).toContain('gone.test');
    expect(server.count('gone.test')).toBe(1);
  });

  it("takes the first public answer with resolution 'first' under publicOnly", async () => {
    const prepared = await prepare(['mixed.test'], {
      resolver: resolverFor(),
      publicOnly: true,
      resolution: 'first',
    });
    expect([...prepared.addresses]).toEqual(['8.8.8.8']);
    expect(prepared.hostnamesOf('8.8.8.8')).toEqual(['mixed.test']);
  });

  it('asks AAAA only with ipv6:true', async () => {
    await prepare(['multi.test'], { resolver: resolverFor() });
    expect(server.count('multi.test', 'AAAA')).toBe(0);
    const both = await prepare(['multi.test'], { resolver: resolverFor(), ipv6: true });
    expect(server.count('multi.test', 'AAAA')).toBe(1);
    expect(both.addresses.size).toBe(5n);
  });
});
