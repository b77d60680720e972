import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  createEmbedded,
  DEFAULT_TIMEOUTS,
  isScanplaneError,
  type ScanplaneError,
  type ScanTask,
  type TaskTarget,
} from '@scanplane/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LoopbackServices, startLoopbackServices } from '../src/nmap/loopback-services.js';
import { createNmapHandler } from '../src/nmap/nmap-handler.js';
import { runNmapProcess } from '../src/nmap/nmap-process.js';
import type { NmapScanResult } from '../src/nmap/nmap-result.js';

const NMAP = process.env.NMAP_BINARY ?? 'nmap';
/** One probe a second: phase 1 over the six-port block takes about six seconds, long enough to stop it midway. */
const SLOW = { nmap: { maxRate: 1 } };
let services: LoopbackServices;
let count = 0;

function nmapTask(target: Partial<TaskTarget>, extra: Partial<ScanTask> = {}): ScanTask {
  return {
    id: `nmap-abort-${++count}`,
    project: 'nmap-abort-test',
    kind: 'nmap',
    target: { ip: '127.0.0.1', addresses: ['127.0.0.1/32'], hostnames: [], ports: services.range, ...target },
    status: 'started',
    attempt: 1,
    maxAttempts: 1,
    priority: 1,
    idempotencyKey: `nmap-abort-${count}`,
    version: 1,
    timeouts: { ...DEFAULT_TIMEOUTS },
    createdAt: Date.now(),
    history: [],
    ...extra,
  };
}

/** Whether a process with this pid exists (a reaped child no longer does). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Pids of nmap processes whose argument list contains `marker` as one argument (read from /proc). */
function nmapProcesses(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if ((argv[0] ?? '').endsWith('nmap') && argv.includes(marker)) pids.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

/** Polls `check` every 50 ms until it returns true, for at most `withinMs`. */
async function eventually(check: () => boolean | Promise<boolean>, withinMs: number): Promise<boolean> {
  const until = Date.now() + withinMs;
  while (Date.now() < until) {
    if (await check()) return true;
    await sleep(50);
  }
  return check();
}

/**
 * Runs the handler and aborts its signal `afterMs` after the log line matching `when` (a phase starting with its
 * pid). Returns the error, the pids logged and the log.
 */
async function abortWhen(
  handler: ReturnType<typeof createNmapHandler>,
  task: ScanTask,
  when: RegExp,
  afterMs: number,
): Promise<{ error?: ScanplaneError; result?: unknown; pids: number[]; lines: string[] }> {
  const controller = new AbortController();
  const lines: string[] = [];
  const pids: number[] = [];
  const log = (line: string): void => {
    lines.push(line);
    const pid = /^nmap \w+: pid (\d+): /.exec(line);
    if (pid !== null) pids.push(Number(pid[1]));
    if (when.test(line)) setTimeout(() => controller.abort({ code: 'CANCELLED', message: 'test' }), afterMs);
  };
  try {
    return { result: await handler(task, { signal: controller.signal, log }), pids, lines };
  } catch (error) {
    if (!isScanplaneError(error)) throw error;
    return { error, pids, lines };
  }
}

beforeAll(async () => {
  try {
    await runNmapProcess({ binary: NMAP, args: ['--version'] });
  } catch (error) {
    throw new Error(`these tests run the real nmap, which cannot run here (${(error as Error).message})`);
  }
  services = await startLoopbackServices();
});

afterAll(async () => {
  await services?.close();
});

describe('createNmapHandler: stopping nmap', () => {
  it('an abort during phase 1 kills nmap and fails the run with ABORTED; phase 2 never starts', async () => {
    const handler = createNmapHandler({ binary: NMAP });
    const { error, result, pids, lines } = await abortWhen(
      handler,
      nmapTask({}, { payload: SLOW }),
      /^nmap discovery: pid/,
      300,
    );
    expect(result).toBeUndefined();
    expect(error?.code).toBe('ABORTED');
    expect(error?.message).toMatch(/nmap \(pid \d+\) was stopped: the task was aborted \(CANCELLED\)/);
    expect(error?.details).toMatchObject({ signal: 'SIGTERM', reason: 'CANCELLED' });
    expect(pids).toHaveLength(1);
    // The handler settles only once nmap has exited: by now the process is gone.
    expect(alive(pids[0] as number)).toBe(false);
    expect(nmapProcesses(services.range)).toEqual([]);
    expect(lines.some((line) => line.startsWith('nmap services:'))).toBe(false);
  });

  it('an abort during phase 2 (service detection) kills that nmap too', async () => {
    const handler = createNmapHandler({ binary: NMAP, defaults: { timing: 4, versionIntensity: 1 } });
    // Service detection waits about six seconds for the silent port's banner: the abort lands inside it.
    const { error, pids } = await abortWhen(handler, nmapTask({}), /^nmap services: pid/, 500);
    expect(error?.code).toBe('ABORTED');
    expect(pids).toHaveLength(2);
    for (const pid of pids) expect(alive(pid)).toBe(false);
  });

  it('an already aborted signal runs nothing', async () => {
    const handler = createNmapHandler({ binary: NMAP });
    const controller = new AbortController();
    controller.abort();
    const lines: string[] = [];
    await expect(
      handler(nmapTask({}), { signal: controller.signal, log: (line) => lines.push(line) }),
    ).rejects.toMatchObject({ code: 'ABORTED' });
    expect(lines).toEqual([]);
  });

  it("the task's time limit (timeouts.runMs) kills nmap and fails the run with TASK_TIMEOUT", async () => {
    const handler = createNmapHandler({ binary: NMAP });
    const task = nmapTask({}, { payload: SLOW, timeouts: { ...DEFAULT_TIMEOUTS, runMs: 1500 } });
    const lines: string[] = [];
    const error = await handler(task, {
      signal: new AbortController().signal,
      log: (line) => lines.push(line),
    }).then(
      () => undefined,
      (caught: unknown) => caught as ScanplaneError,
    );
    expect(error?.code).toBe('TASK_TIMEOUT');
    expect(error?.message).toMatch(/ran past the task's time limit/);
    const pid = Number(/pid (\d+)/.exec(lines[0] ?? '')?.[1]);
    expect(pid).toBeGreaterThan(0);
    expect(alive(pid)).toBe(false);
  });
});

describe('the nmap handler in a worker (embedded orchestrator)', () => {
  it('runs a submitted nmap task to a finished result, and a cancel kills the running nmap', async () => {
    const embedded = createEmbedded({
      handler: createNmapHandler({ binary: NMAP, defaults: { timing: 4, versionIntensity: 0 } }),
    });
    try {
      const { orchestrator, store } = embedded;
      const done = await orchestrator.submit('nmap-abort-embedded', ['127.0.0.1'], {
        ports: `${services.ssh},${services.closed[0]}`,
        kind: 'nmap',
      });
      await orchestrator.waitForIdle('nmap-abort-embedded');
      const finished = await store.get(done.taskIds[0] as string);
      expect(finished?.status).toBe('finished');
      const result = finished?.result as NmapScanResult;
      expect(result.open.map((port) => [port.port, port.service?.product])).toEqual([
        [services.ssh, 'OpenSSH'],
      ]);

      const slow = await orchestrator.submit('nmap-abort-embedded', ['127.0.0.1'], {
        ports: services.range,
        kind: 'nmap',
        payload: SLOW,
      });
      const taskId = slow.taskIds[0] as string;
      expect(await eventually(() => nmapProcesses(services.range).length === 1, 20_000)).toBe(true);
      await orchestrator.cancel(taskId, 'test cancel');
      expect(await eventually(() => nmapProcesses(services.range).length === 0, 10_000)).toBe(true);
      expect((await store.get(taskId))?.status).toBe('cancelled');
    } finally {
      await embedded.close();
    }
  });
});
