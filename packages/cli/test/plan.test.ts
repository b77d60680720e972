import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BIN, lines, runCli, summaryOf } from './run-cli.js';

let dir: string;
let hostsFile: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'scanplane-cli-'));
  hostsFile = join(dir, 'hosts');
  writeFileSync(
    hostsFile,
    '127.0.0.1 localhost\n::1 localhost\n192.0.2.10 web.lab www.lab\n10.1.2.3 db.lab\n',
  );
});

describe('scanplane plan: output formats', () => {
  it('prints one task per IP as JSON lines, ascending, and collapses localhost into 127.0.0.1', async () => {
    const result = await runCli([
      'plan',
      '127.0.0.1',
      'localhost',
      '192.0.2.8/30',
      '--ports',
      '443,80',
      '--hosts',
      hostsFile,
    ]);
    expect(result.status).toBe(0);
    expect(lines(result.stdout).map((line) => JSON.parse(line))).toEqual([
      { ip: '127.0.0.1', ports: '80,443', hostnames: ['localhost'] },
      { ip: '192.0.2.8', ports: '80,443', hostnames: [] },
      { ip: '192.0.2.9', ports: '80,443', hostnames: [] },
      { ip: '192.0.2.10', ports: '80,443', hostnames: [] },
      { ip: '192.0.2.11', ports: '80,443', hostnames: [] },
    ]);
    const summary = summaryOf(result);
    expect(summary.addresses).toBe(5);
    expect(summary.provided).toBe(3);
    expect(summary.merged).toBe(1);
  });

  it('keeps every hostname of a shared address, in input order', async () => {
    const result = await runCli([
      'plan',
      'www.lab',
      '192.0.2.10',
      'web.lab',
      '--ports',
      '80',
      '--hosts',
      hostsFile,
    ]);
    expect(lines(result.stdout).map((line) => JSON.parse(line))).toEqual([
      { ip: '192.0.2.10', ports: '80', hostnames: ['www.lab', 'web.lab'] },
    ]);
  });

  it('prints addresses, the minimal CIDR cover, the count and the summary', async () => {
    const targets = ['10.0.0.0/25', '10.0.0.128/25', '10.0.1.0-10.0.1.2'];
    const ips = await runCli(['plan', ...targets, '--output', 'ips']);
    expect(lines(ips.stdout)).toHaveLength(259);
    expect(lines(ips.stdout).slice(0, 2)).toEqual(['10.0.0.0', '10.0.0.1']);
    const cidrs = await runCli(['plan', ...targets, '--output', 'cidrs']);
    expect(lines(cidrs.stdout)).toEqual(['10.0.0.0/24', '10.0.1.0/31', '10.0.1.2/32']);
    const count = await runCli(['plan', ...targets, '--output', 'count']);
    expect(count.stdout).toBe('259\n');
    const summary = await runCli(['plan', ...targets, '10.0.0.7', '--output', 'summary']);
    const parsed = JSON.parse(summary.stdout);
    expect(parsed.addresses).toBe(259);
    expect(parsed.duplicates).toBe(1);
    expect(parsed.entries).toHaveLength(4);
    expect(parsed.entries[3]).toMatchObject({ input: '10.0.0.7', status: 'duplicate', added: 0 });
    // With --output summary, stderr carries no extra summary line.
    expect(summary.stderr).toBe('');
  });

  it('plans block tasks: runs of addresses × port chunks', async () => {
    const result = await runCli([
      'plan',
      '10.0.0.0/23',
      '--ports',
      '1-65535',
      '--block-size',
      '256',
      '--port-chunk',
      '40000',
    ]);
    expect(lines(result.stdout).map((line) => JSON.parse(line))).toEqual([
      { addresses: ['10.0.0.0/24'], ports: '1-32767', hostnames: [] },
      { addresses: ['10.0.0.0/24'], ports: '32768-65535', hostnames: [] },
      { addresses: ['10.0.1.0/24'], ports: '1-32767', hostnames: [] },
      { addresses: ['10.0.1.0/24'], ports: '32768-65535', hostnames: [] },
    ]);
  });

  it('walks a seeded order reproducibly, and shards partition it', async () => {
    const base = ['plan', '10.9.0.0/26', '--output', 'ips'];
    const ascending = lines((await runCli(base)).stdout);
    const seeded = lines((await runCli([...base, '--seed', '42'])).stdout);
    const again = lines((await runCli([...base, '--seed', '42'])).stdout);
    expect(seeded).toEqual(again);
    expect(seeded).not.toEqual(ascending);
    expect([...seeded].sort()).toEqual([...ascending].sort());
    const shards = await Promise.all(
      [1, 2, 3].map(async (k) =>
        lines((await runCli([...base, '--seed', '42', '--shard', `${k}/3`])).stdout),
      ),
    );
    expect(shards.flat()).toEqual(seeded);
    expect(new Set(shards.flat()).size).toBe(64);
    const counts = await Promise.all(
      [1, 2, 3].map(async (k) =>
        Number((await runCli(['plan', '10.9.0.0/26', '--output', 'count', '--shard', `${k}/3`])).stdout),
      ),
    );
    expect(counts).toEqual([21, 21, 22]);
  });
});

describe('scanplane plan: input and scope', () => {
  it('reads files with comments and blank lines, and names file and line in refusals', async () => {
    const file = join(dir, 'targets.txt');
    writeFileSync(file, '# lab targets\n10.0.0.1, 10.0.0.2\n\n10.1   # typo\n224.0.0.5\n');
    const result = await runCli(['plan', '-i', file, '--output', 'ips']);
    expect(result.status).toBe(0);
    expect(lines(result.stdout)).toEqual(['10.0.0.1', '10.0.0.2']);
    const summary = summaryOf(result);
    expect(summary.refused).toEqual({ invalid: 1, multicast: 1 });
    const invalid = summary.refusedEntries.find((entry) => entry.reason === 'invalid');
    expect(invalid?.message).toContain(`${file}:4`);
    expect(invalid?.message).toContain("'10.1'");
  });

  it('reads targets from stdin with -i -', async () => {
    const result = await runCli(['plan', '-i', '-', '--output', 'count'], {
      stdin: '10.0.0.0/30\n10.0.0.3\n',
    });
    expect(result.stdout).toBe('4\n');
  });

  it('applies exclusions, exclusion files, the allow-list and --public-only, counting each refusal', async () => {
    const exclusions = join(dir, 'exclude.txt');
    writeFileSync(exclusions, '10.0.0.4/30\n');
    const result = await runCli([
      'plan',
      '10.0.0.0/28',
      '8.8.8.8',
      '--exclude',
      '10.0.0.0,10.0.0.1',
      '--exclude-file',
      exclusions,
      '--output',
      'cidrs',
    ]);
    expect(lines(result.stdout)).toEqual(['8.8.8.8/32', '10.0.0.2/31', '10.0.0.8/29']);
    expect(summaryOf(result).refusedAddresses).toEqual({ excluded: 6 });

    const allowed = await runCli([
      'plan',
      '10.0.0.0/30',
      '8.8.8.8',
      '--allow',
      '10.0.0.0/31',
      '--output',
      'ips',
    ]);
    expect(lines(allowed.stdout)).toEqual(['10.0.0.0', '10.0.0.1']);
    expect(summaryOf(allowed).refused).toEqual({ out_of_scope: 1 });

    const publicOnly = await runCli([
      'plan',
      '10.0.0.1',
      '127.0.0.1',
      '8.8.8.8',
      '--public-only',
      '--output',
      'ips',
    ]);
    expect(lines(publicOnly.stdout)).toEqual(['8.8.8.8']);
    expect(summaryOf(publicOnly).refused).toEqual({ private: 1, loopback: 1 });
  });

  it('refuses hostnames without a lookup under --no-resolve, and resolves the first eligible answer', async () => {
    const none = await runCli(['plan', 'web.lab', '--no-resolve', '--hosts', hostsFile, '--output', 'count']);
    expect(none.stdout).toBe('0\n');
    expect(summaryOf(none).refused).toEqual({ unresolvable: 1 });

    const hosts = join(dir, 'multi-hosts');
    writeFileSync(hosts, '10.0.0.9 multi.lab\n203.0.114.9 multi.lab\n');
    const first = await runCli([
      'plan',
      'multi.lab',
      '--hosts',
      hosts,
      '--resolve-first',
      '--public-only',
      '--output',
      'ips',
    ]);
    expect(lines(first.stdout)).toEqual(['203.0.114.9']);
    const all = await runCli(['plan', 'multi.lab', '--hosts', hosts, '--output', 'ips']);
    expect(lines(all.stdout)).toEqual(['10.0.0.9', '203.0.114.9']);
  });
});

describe('scanplane plan: exit status and errors', () => {
  it('exits 0 with refused entries, and 1 under --strict with no plan printed', async () => {
    const lenient = await runCli(['plan', '10.0.0.1', '010.0.0.1', '--output', 'ips']);
    expect(lenient.status).toBe(0);
    expect(lines(lenient.stdout)).toEqual(['10.0.0.1']);
    const strict = await runCli(['plan', '10.0.0.1', '010.0.0.1', '--output', 'ips', '--strict']);
    expect(strict.status).toBe(1);
    expect(strict.stdout).toBe('');
    expect(strict.stderr).toContain('--strict: 1 invalid entry');
  });

  it.each([
    [['plan', '10.0.0.1', '--bogus'], "Unknown option '--bogus'"],
    [['plan', '10.0.0.1', '--shard', '3/2'], '--shard must be K/N'],
    [['plan', '10.0.0.1', '--ports', '0-10'], '--ports'],
    [['plan', '10.0.0.1', '--resolve-all', '--resolve-first'], 'cannot be used together'],
    [['plan', '10.0.0.1', '--output', 'xml'], '--output must be one of'],
    [['plan', '10.0.0.1', '--seed', 'abc'], '--seed must be an integer'],
    [['plan'], 'no targets'],
    [['plan', '-i', '/nonexistent/targets.txt'], 'cannot read /nonexistent/targets.txt'],
    [['plan', '10.0.0.1', '--exclude', '10.1'], 'exclusion entry'],
    [['explode'], "unknown command 'explode'"],
  ])('exits 2 with a message for %j', async (args, message) => {
    const result = await runCli(args);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stdout).toBe('');
  });

  it('prints help with exit 0', async () => {
    const result = await runCli(['plan', '--help']);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('Usage: scanplane plan');
  });

  it('stops quietly when the reader closes the pipe', async () => {
    const child = spawn(process.execPath, [BIN, 'plan', '10.0.0.0/8', '--output', 'ips'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const first = await new Promise<string>((resolve) =>
      child.stdout.once('data', (chunk: Buffer) => resolve(String(chunk))),
    );
    expect(first.startsWith('10.0.0.0\n')).toBe(true);
    child.stdout.destroy();
    const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(status).toBe(0);
  });
});
