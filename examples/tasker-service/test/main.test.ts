// The one command: `node --import tsx src/main.ts` (what `pnpm start` runs) migrates, starts the orchestrator and
// the worker processes, listens and prints the URL and a demo token; a scan submitted with that token finishes;
// SIGTERM stops everything gracefully (exit 0, no worker left); invalid configuration exits 2 naming the variable.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  AMQP_URL,
  call,
  DATABASE_URL,
  deleteTopology,
  dropSchemas,
  requireServers,
  testNames,
  waitFor,
} from './support/servers.js';

const EXAMPLE_DIR = fileURLToPath(new URL('..', import.meta.url));
const names = testNames('main');

interface Running {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startMain(env: Record<string, string>): Running {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: EXAMPLE_DIR,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    text += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    text += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, output: () => text, exited };
}

afterAll(async () => {
  await dropSchemas(names);
  await deleteTopology(names.queuePrefix, ['tcp-connect']);
});

describe('main.ts', () => {
  it('starts everything from the environment, serves a scan, and stops gracefully on SIGTERM', async () => {
    await requireServers();
    const main = startMain({
      DATABASE_URL,
      AMQP_URL,
      PORT: '0',
      WORKERS: '1',
      WORKER_KINDS: 'tcp-connect',
      STORE_SCHEMA: names.storeSchema,
      SERVICE_SCHEMA: names.serviceSchema,
      QUEUE_PREFIX: names.queuePrefix,
      DEMO_PROJECT: 'demo',
      DASHBOARD: '0',
      ADMIN_TOKEN: 'an-operator-token-for-the-test',
    });
    try {
      await waitFor('the service to print its token', async () => /token: tsk_\S+/.test(main.output()), {
        timeoutMs: 60_000,
      });
      const url = /listening on (https?:\/\/\S+)/.exec(main.output())?.[1] as string;
      const token = /project demo, token: (tsk_\S+)/.exec(main.output())?.[1] as string;
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(main.output()).not.toContain('admin token (generated');
      const run = await call(url, '/tasks/demo/run', { token, body: { targets: ['127.0.0.1'], ports: '1' } });
      expect(run.status).toBe(200);
      expect(run.body.tasks.created).toBe(1);
      await waitFor('the scan to finish', async () => {
        const status = await call(url, '/tasks/demo/status', { token });
        return status.body.counts.finished === 1;
      });
      expect((await call(url, '/health')).status).toBe(200);

      main.child.kill('SIGTERM');
      const { code } = await main.exited;
      expect(code, main.output()).toBe(0);
      expect(main.output()).toContain('[tasker-worker-1] stopped and deregistered');
      expect(main.output()).toContain('tasker-service: stopped');
      await expect(fetch(`${url}/health`)).rejects.toThrow();
    } finally {
      main.child.kill('SIGKILL');
    }
  });

  it('exits 2 on invalid configuration, naming every bad variable', async () => {
    const main = startMain({ WORKERS: 'many', ADMIN_TOKEN: 'short', TLS_CERT: '/nonexistent/cert.pem' });
    const { code } = await main.exited;
    expect(code).toBe(2);
    const output = main.output();
    expect(output).toContain('WORKERS must be an integer');
    expect(output).toContain('ADMIN_TOKEN must be at least 16 characters');
    expect(output).toContain('TLS_CERT and TLS_KEY go together');
  });
});
