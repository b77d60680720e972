import { spawn } from 'node:child_process';
import { EventEmitter, once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { TaskHandler } from '@scanplane/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runScan } from '../src/commands/scan.js';
import { BIN, lines, runCli, summaryOf } from './run-cli.js';

// Every test here only connects to loopback: listeners it opens on 127.0.0.1, a port it has just closed, and the
// same ports on 127.0.0.2-127.0.0.4, where nothing listens (the listeners bind 127.0.0.1 only).

let dir: string;
let hostsFile: string;
const servers: Server[] = [];
const accepted = new Set<Socket>();
/** Ports of the test's listeners on 127.0.0.1, ascending. */
let open: number[];
/** A port nothing listens on (bound, then closed). */
let closed: number;

async function listen(): Promise<Server> {
  const server = createServer((socket) => {
    accepted.add(socket);
    socket.on('close', () => accepted.delete(socket));
    socket.on('error', () => {});
    socket.end();
  });
  server.listen({ port: 0, host: '127.0.0.1' });
  await once(server, 'listening');
  return server;
}

function portOf(server: Server): number {
  return (server.address() as { port: number }).port;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'scanplane-scan-'));
  hostsFile = join(dir, 'hosts');
  writeFileSync(hostsFile, '127.0.0.1 localhost\n127.0.0.3 three.lab\n');
  for (let i = 0; i < 3; i++) servers.push(await listen());
  open = servers.map(portOf).sort((a, b) => a - b);
  const probe = await listen();
  closed = portOf(probe);
  await new Promise((resolve) => probe.close(resolve));
});

afterAll(async () => {
  for (const socket of accepted) socket.destroy();
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
});

const ports = (): string => [...open, closed].join(',');

/** The cells of a table line (columns are separated by two spaces or more). */
function cells(line: string): string[] {
  return line.trim().split(/\s{2,}/);
}

describe('scanplane scan: results', () => {
  it('prints a table of the targets with open ports and a footer with the counts', async () => {
    const result = await runCli([
      'scan',
      '127.0.0.1',
      'localhost',
      '127.0.0.2-127.0.0.4',
      '--ports',
      ports(),
      '--hosts',
      hostsFile,
    ]);
    expect(result.status, result.stderr).toBe(0);
    const out = lines(result.stdout);
    expect(cells(out[0] as string)).toEqual(['TARGET', 'HOSTNAMES', 'OPEN PORTS (CONNECT TIME)']);
    // Only 127.0.0.1 has open ports; localhost collapsed into it.
    expect(out).toHaveLength(3);
    const [target, hostnames, openPorts] = cells(out[1] as string);
    expect([target, hostnames]).toEqual(['127.0.0.1', 'localhost']);
    expect(openPorts?.split(', ').map((cell) => /^(\d+) \(\d+\.\d ms\)$/.exec(cell)?.[1])).toEqual(
      open.map(String),
    );
    expect(out[2]).toBe('tasks: 4 finished, 0 failed (of 4); open ports: 3 on 1 of 4 targets');
    // The submission summary, as plan prints it, on stderr.
    const summary = summaryOf(result);
    expect(summary).toMatchObject({ provided: 3, accepted: 2, merged: 1, addresses: 4, tasks: 4 });
    expect(summary.refusedEntries).toEqual([]);
  });

  it('prints one JSON line per finished task with --output jsonl', async () => {
    const result = await runCli([
      'scan',
      '127.0.0.1-127.0.0.3',
      'three.lab',
      '--ports',
      ports(),
      '--hosts',
      hostsFile,
      '--output',
      'jsonl',
      '--workers',
      '2',
      '--concurrency',
      '1',
      '--timeout',
      '5000',
    ]);
    expect(result.status, result.stderr).toBe(0);
    const records = lines(result.stdout)
      .map((line) => JSON.parse(line))
      .sort((a, b) => a.ip.localeCompare(b.ip));
    const canonical = [...open, closed].sort((a, b) => a - b).join(',');
    expect(records).toEqual([
      {
        ip: '127.0.0.1',
        hostnames: [],
        ports: canonical,
        open: open.map((port) => ({ port, latencyMs: expect.any(Number) })),
        status: 'finished',
      },
      { ip: '127.0.0.2', hostnames: [], ports: canonical, open: [], status: 'finished' },
      { ip: '127.0.0.3', hostnames: ['three.lab'], ports: canonical, open: [], status: 'finished' },
    ]);
    expect(summaryOf(result)).toMatchObject({ tasks: 3, merged: 1 });
  });

  it('exits 0 when every task finished without an open port', async () => {
    const result = await runCli(['scan', '127.0.0.1', '--ports', String(closed)]);
    expect(result.status).toBe(0);
    expect(lines(result.stdout)).toEqual([
      'No open ports found.',
      'tasks: 1 finished, 0 failed (of 1); open ports: 0 on 0 of 1 target',
    ]);
  });

  it('applies the target options shared with plan: -i -, exclusions, the allow-list, --no-resolve', async () => {
    const exclusions = join(dir, 'exclude.txt');
    writeFileSync(exclusions, '127.0.0.4\n');
    const result = await runCli(
      [
        'scan',
        '-i',
        '-',
        '--exclude',
        '127.0.0.2',
        '--exclude-file',
        exclusions,
        '--allow',
        '127.0.0.0/29',
        '--no-resolve',
        '--hosts',
        hostsFile,
        '--ports',
        ports(),
        '--output',
        'jsonl',
      ],
      { stdin: '127.0.0.1-127.0.0.4\nlocalhost\n127.0.0.9\n' },
    );
    expect(result.status, result.stderr).toBe(0);
    const ips = lines(result.stdout)
      .map((line) => JSON.parse(line).ip)
      .sort();
    expect(ips).toEqual(['127.0.0.1', '127.0.0.3']);
    const summary = summaryOf(result);
    expect(summary.refused).toMatchObject({ unresolvable: 1, out_of_scope: 1 });
    expect(summary.refusedAddresses).toEqual({ excluded: 2, out_of_scope: 1 });
    expect(summary.tasks).toBe(2);
  });

  it('scans nothing, and says so, when every entry is refused', async () => {
    const result = await runCli(['scan', '127.0.0.1', '--public-only', '--ports', ports()]);
    expect(result.status).toBe(0);
    expect(lines(result.stdout)[0]).toContain('Nothing to scan');
    expect(summaryOf(result).refused).toMatchObject({ loopback: 1 });
  });
});

describe('scanplane scan: usage', () => {
  it.each([
    [['scan', '127.0.0.1', '--output', 'xml'], '--output must be one of table, jsonl'],
    [['scan', '127.0.0.1', '--timeout', '0'], '--timeout must be an integer of at least 1'],
    [['scan', '127.0.0.1', '--concurrency', 'many'], '--concurrency must be an integer'],
    [['scan', '127.0.0.1', '--workers', '0'], '--workers must be an integer of at least 1'],
    [['scan', '127.0.0.1', '--ports', 'U:53'], 'has no TCP port'],
    [['scan', '127.0.0.1', '--ports', '0-10'], '--ports'],
    [['scan', '127.0.0.1', '--project', ' '], '--project must not be empty'],
    [['scan', '127.0.0.1', '--resolve-all', '--resolve-first'], 'cannot be used together'],
    [['scan', '127.0.0.1', '--shard', '1/2'], "Unknown option '--shard'"],
    [['scan'], 'no targets'],
    [['scan', '-i', '/nonexistent/targets.txt'], 'cannot read /nonexistent/targets.txt'],
  ])('exits 2 with a message for %j', async (args, message) => {
    const result = await runCli(args);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stdout).toBe('');
  });

  it('prints help with exit 0, and is listed in the command list', async () => {
    const help = await runCli(['scan', '--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Usage: scanplane scan');
    expect(help.stdout).toContain('--dns-server IP[:PORT]');
    const top = await runCli(['--help']);
    expect(top.stdout).toMatch(/^ {2}scan {6}/m);
  });
});

describe('scanplane scan: SIGINT', () => {
  it('stops the project, prints what it has and exits 130', async () => {
    // 65,536 loopback addresses on a closed port, one at a time: long enough to be interrupted mid-scan, and every
    // probe is refused at once (nothing hangs, nothing outside 127/8 is contacted).
    const child = spawn(
      process.execPath,
      [BIN, 'scan', '127.9.0.0/16', '--ports', String(closed), '--concurrency', '1', '--timeout', '1000'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    try {
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (text: string) => {
        stdout += text;
      });
      const queued = new Promise<void>((resolve) => {
        child.stderr.setEncoding('utf8').on('data', (text: string) => {
          stderr += text;
          if (stderr.includes('"tasks":65536')) resolve();
        });
      });
      const closedWith = new Promise<number | null>((resolve) => child.on('close', resolve));
      await queued; // the summary line: the tasks are queued and running
      child.kill('SIGINT');
      expect(await closedWith).toBe(130);
      expect(stderr).toMatch(/scanplane scan: interrupted: stopped the scan \(\d+ tasks? cancelled\)/);
      const footer = lines(stdout).at(-1) ?? '';
      const match = /^tasks: (\d+) finished, 0 failed, (\d+) cancelled \(of 65536\)/.exec(footer);
      expect(match, footer).not.toBeNull();
      expect(Number(match?.[1]) + Number(match?.[2])).toBe(65536);
      expect(Number(match?.[2])).toBeGreaterThan(0);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('scanplane scan in process (runScan with a replaced handler, no network)', () => {
  function io(stderrIsTTY = false) {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    let err = '';
    stdout.setEncoding('utf8').on('data', (text: string) => {
      out += text;
    });
    stderr.setEncoding('utf8').on('data', (text: string) => {
      err += text;
    });
    return { io: { stdout, stderr, stdin: new PassThrough(), stderrIsTTY }, out: () => out, err: () => err };
  }
  const handler: TaskHandler = async (task) => {
    const ip = task.target?.ip ?? '';
    if (ip === '192.0.2.2') throw new Error('scanner crashed');
    return { open: [{ address: ip, port: 443, latencyMs: 1.5 }], closed: 0, filtered: 0, errors: 0 };
  };

  it('exits 1 when a task fails, says which on stderr, and marks it in the JSON lines', async () => {
    const { io: streams, out, err } = io();
    const status = await runScan(['192.0.2.1-192.0.2.3', '--ports', '443', '--output', 'jsonl'], streams, {
      handler,
    });
    expect(status).toBe(1);
    const records = lines(out())
      .map((line) => JSON.parse(line))
      .sort((a, b) => a.ip.localeCompare(b.ip));
    expect(records).toEqual([
      {
        ip: '192.0.2.1',
        hostnames: [],
        ports: '443',
        open: [{ port: 443, latencyMs: 1.5 }],
        status: 'finished',
      },
      {
        ip: '192.0.2.2',
        hostnames: [],
        ports: '443',
        open: [],
        status: 'failed',
        error: { code: 'TASK_FAILED', message: 'scanner crashed' },
      },
      {
        ip: '192.0.2.3',
        hostnames: [],
        ports: '443',
        open: [{ port: 443, latencyMs: 1.5 }],
        status: 'finished',
      },
    ]);
    expect(err()).toContain('scanplane scan: 192.0.2.2 failed: TASK_FAILED: scanner crashed');
  });

  it('counts the failure in the table footer', async () => {
    const { io: streams, out } = io();
    expect(await runScan(['192.0.2.1-192.0.2.3', '--ports', '443'], streams, { handler })).toBe(1);
    expect(lines(out())).toEqual([
      'TARGET     HOSTNAMES  OPEN PORTS (CONNECT TIME)',
      '192.0.2.1  -          443 (1.5 ms)',
      '192.0.2.3  -          443 (1.5 ms)',
      'tasks: 2 finished, 1 failed (of 3); open ports: 2 on 2 of 3 targets',
    ]);
  });

  it('draws the progress bar (tasks ended / total) on stderr only when it is a terminal', async () => {
    const tty = io(true);
    expect(await runScan(['192.0.2.1', '192.0.2.3', '--ports', '443'], tty.io, { handler })).toBe(0);
    expect(tty.err()).toMatch(/scanning {2}\[#{30}\] 2\/2 100%/);
    expect(tty.err()).toContain('\r\u001b[2K');
    const plain = io(false);
    expect(await runScan(['192.0.2.1', '192.0.2.3', '--ports', '443'], plain.io, { handler })).toBe(0);
    expect(plain.err()).not.toContain('scanning');
    expect(JSON.parse(plain.err().trim()).tasks).toBe(2);
  });

  it('on SIGINT, aborts the running task, cancels the rest and returns 130', async () => {
    const signals = new EventEmitter();
    let started!: () => void;
    const running = new Promise<void>((resolve) => {
      started = resolve;
    });
    const aborted: string[] = [];
    const waiting: TaskHandler = (task, { signal }) =>
      new Promise((_, reject) => {
        started();
        signal.addEventListener('abort', () => {
          aborted.push(task.target?.ip ?? '');
          reject(new Error('aborted'));
        });
      });
    const { io: streams, out, err } = io();
    const scan = runScan(['192.0.2.0/29', '--ports', '80', '--concurrency', '2'], streams, {
      handler: waiting,
      signals,
    });
    await running;
    signals.emit('SIGINT');
    expect(await scan).toBe(130);
    expect(aborted.length).toBeGreaterThan(0);
    expect(err()).toContain('interrupted: stopped the scan (8 tasks cancelled)');
    expect(lines(out()).at(-1)).toBe(
      'tasks: 0 finished, 0 failed, 8 cancelled (of 8); open ports: 0 on 0 of 8 targets',
    );
    expect(signals.listenerCount('SIGINT')).toBe(0);
  });
});

describe('scanplane scan: a retried task', () => {
  it('keeps the process alive through the retry backoff and reports the task finished', async () => {
    // The core's timers are unref'd: with a task waiting for its retry (and no connection open), nothing else
    // would keep the process alive, and node would exit 13 with the scan unfinished.
    const root = fileURLToPath(new URL('../../..', import.meta.url));
    const scanModule = new URL('../src/commands/scan.ts', import.meta.url).href;
    const coreModule = new URL('../../core/dist/index.js', import.meta.url).href;
    const script = `
      import { ScanplaneError } from '${coreModule}';
      import { runScan } from '${scanModule}';
      let calls = 0;
      const handler = async (task) => {
        calls++;
        if (calls === 1) throw new ScanplaneError('UNAVAILABLE', 'transient');
        return { open: [{ address: task.target.ip, port: 80, latencyMs: 1 }], errors: 0 };
      };
      const io = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, stderrIsTTY: false };
      process.exitCode = await runScan(['192.0.2.1', '--ports', '80'], io, { handler });
      console.log('handler calls: ' + calls);
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      stdout += text;
    });
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      stderr += text;
    });
    const [status] = (await once(child, 'close')) as [number | null];
    expect(status, stderr).toBe(0);
    expect(lines(stdout)).toEqual([
      'TARGET     HOSTNAMES  OPEN PORTS (CONNECT TIME)',
      '192.0.2.1  -          80 (1.0 ms)',
      'tasks: 1 finished, 0 failed (of 1); open ports: 1 on 1 of 1 target',
      'handler calls: 2',
    ]);
  });
});
