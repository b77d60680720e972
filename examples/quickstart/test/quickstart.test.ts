import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { startBroker } from '../../../packages/adapters-rabbitmq/test/support/rabbitmq-server.js';

const SCRIPT = fileURLToPath(new URL('../quickstart.mjs', import.meta.url));
const CORE = fileURLToPath(new URL('../../../packages/core/dist/index.js', import.meta.url));
/** Far above what the demo needs (well under a second on loopback); past it the process is killed. */
const EXIT_WITHIN_MS = 60_000;

interface Run {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Whether it had to be killed because it did not exit by itself within {@link EXIT_WITHIN_MS}. */
  killed: boolean;
}

/** Runs the quickstart as `node examples/quickstart/quickstart.mjs` does, and waits for it to exit by itself. */
function runQuickstart(args: string[] = []): Promise<Run> {
  if (!existsSync(CORE))
    throw new Error(`${CORE} is missing: build first (pnpm build at the repository root)`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SCRIPT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let killed = false;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, EXIT_WITHIN_MS);
    child.on('error', reject);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr, killed });
    });
  });
}

/** The section of the output that starts with the line `title` and ends at the next blank line. */
function section(text: string, title: string): string {
  const start = text.indexOf(`\n${title}\n`);
  if (start === -1) throw new Error(`no section '${title}' in:\n${text}`);
  const body = text.slice(start + title.length + 2);
  const end = body.indexOf('\n\n');
  return end === -1 ? body : body.slice(0, end);
}

/** The row of a table whose first cell is `first`. */
function row(table: string, first: string): string[] | undefined {
  return table
    .split('\n')
    .map((line) => line.trim().split(/\s{2,}/))
    .find((cells) => cells[0] === first);
}

describe('examples/quickstart', () => {
  it('scans its own listeners through the embedded orchestrator, reports them, and exits 0 by itself', async () => {
    const run = await runQuickstart();
    // It left nothing running: it exited on its own, before the limit, with status 0.
    expect(run.killed, `did not exit within ${EXIT_WITHIN_MS} ms:\n${run.stdout}`).toBe(false);
    expect(run.stderr).toBe('');
    expect(run.status, run.stdout).toBe(0);

    const listening = /Listening on 127\.0\.0\.1 ports ([\d, ]+); port (\d+) is closed\./.exec(run.stdout);
    expect(listening).not.toBeNull();
    const openPorts = (listening?.[1] ?? '').split(', ').map(Number);
    const closedPort = Number(listening?.[2]);
    expect(openPorts).toHaveLength(3);
    expect(openPorts).not.toContain(closedPort);

    // The plan: localhost resolved to 127.0.0.1 and collapsed into it — six addresses, six tasks.
    const plan = section(run.stdout, 'Plan');
    expect(row(plan, 'localhost')).toEqual([
      'localhost',
      'hostname',
      'merged',
      'resolved to 127.0.0.1, an address already given: collapsed into that target',
    ]);
    expect(plan).toContain('6 addresses × 4 ports → 6 tasks (one per address)');

    // One target 127.0.0.1, named localhost, with exactly the listeners' ports open.
    const targets = section(run.stdout, 'Open ports per target');
    const loopback = row(targets, '127.0.0.1');
    expect(loopback?.slice(0, 4)).toEqual(['127.0.0.1', 'localhost', 'finished', '1']);
    const listed = [...(loopback?.[4] ?? '').matchAll(/(\d+) \([\d.]+ ms\)/g)].map((match) =>
      Number(match[1]),
    );
    expect(listed).toEqual([...openPorts].sort((a, b) => a - b));
    expect(targets.match(/^\s+127\.0\.0\.1\s/gm)).toHaveLength(1);
    // The range was scanned and has nothing open (the listeners bind 127.0.0.1 only).
    for (const address of ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5', '127.0.0.6']) {
      expect(row(targets, address)).toEqual([address, '-', 'finished', '4', '-']);
    }

    // Every task finished.
    expect(run.stdout).toContain('Tasks: 6 finished, 0 failed, 0 cancelled, 0 still active (of 6)');
    expect(run.stdout).toContain('quickstart: OK');
  });

  it('runs the same on PostgreSQL with one flag: --postgres', async () => {
    const url = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
    const run = await runQuickstart([`--postgres=${url}`]);
    expect(run.killed).toBe(false);
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain('PostgreSQL store');
    expect(run.stdout).toContain('quickstart: OK (everything closed)');
    expect(run.status).toBe(0);
  });

  it('distributes the same work over RabbitMQ with one flag: --rabbitmq', async () => {
    // AMQP_URL's broker, else a throwaway node of this test's own.
    const broker = await startBroker();
    try {
      const run = await runQuickstart([`--rabbitmq=${broker.url}`]);
      expect(run.killed).toBe(false);
      expect(run.stderr).toBe('');
      expect(run.stdout).toContain('in-memory store, RabbitMQ queue');
      expect(run.stdout).toContain('Tasks: 6 finished, 0 failed, 0 cancelled, 0 still active (of 6)');
      expect(run.stdout).toContain('quickstart: OK (everything closed)');
      expect(run.status).toBe(0);
    } finally {
      await broker.stop();
    }
  });
});
