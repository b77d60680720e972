import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestDnsServer } from '../../core/test/support/dns-server.js';
import { lines, runCli, summaryOf } from './run-cli.js';

let dns: TestDnsServer;

beforeAll(async () => {
  dns = await TestDnsServer.start({
    'web.lab': { A: ['192.0.2.10', '192.0.2.11'], AAAA: ['2001:db8::10'] },
    'alias.lab': { A: ['192.0.2.10'] },
    'v6only.lab': { AAAA: ['2001:db8::99'] },
  });
});

afterAll(async () => {
  await dns.close();
});

describe('scanplane plan with a real DNS server (--dns-server)', () => {
  it('resolves A records, collapses names onto shared addresses, and names unresolvable entries', async () => {
    const result = await runCli([
      'plan',
      'web.lab',
      'alias.lab',
      'nowhere.lab',
      '--dns-server',
      dns.address,
      '--ports',
      '443',
    ]);
    expect(result.status).toBe(0);
    expect(lines(result.stdout).map((line) => JSON.parse(line))).toEqual([
      { ip: '192.0.2.10', ports: '443', hostnames: ['web.lab', 'alias.lab'] },
      { ip: '192.0.2.11', ports: '443', hostnames: ['web.lab'] },
    ]);
    const summary = summaryOf(result);
    expect(summary.hostnames).toEqual({ provided: 3, resolved: 2, unresolvable: 1 });
    const refused = summary.refusedEntries.find((entry) => entry.input === 'nowhere.lab');
    expect(refused?.reason).toBe('unresolvable');
    expect(refused?.message).toContain('ENOTFOUND');
    // No AAAA query without --ipv6.
    expect(dns.queries.some((query) => query.type === 'AAAA')).toBe(false);
  });

  it('asks for AAAA records with --ipv6', async () => {
    const result = await runCli([
      'plan',
      'web.lab',
      'v6only.lab',
      '--dns-server',
      dns.address,
      '--ipv6',
      '--output',
      'ips',
    ]);
    expect(lines(result.stdout)).toEqual(['192.0.2.10', '192.0.2.11', '2001:db8::10', '2001:db8::99']);
  });
});
