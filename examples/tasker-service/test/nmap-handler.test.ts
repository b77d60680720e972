import {
  DEFAULT_TIMEOUTS,
  isScanplaneError,
  PortSet,
  type ScanplaneError,
  type ScanTask,
  type TaskTarget,
} from '@scanplane/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LoopbackServices, startLoopbackServices } from '../src/nmap/loopback-services.js';
import { createNmapHandler } from '../src/nmap/nmap-handler.js';
import { runNmapProcess } from '../src/nmap/nmap-process.js';
import type { NmapPhaseReport, NmapScanResult } from '../src/nmap/nmap-result.js';

const NMAP = process.env.NMAP_BINARY ?? 'nmap';
let services: LoopbackServices;
let count = 0;

/** A started task of kind `nmap` on 127.0.0.1 (the only address these tests scan). */
function nmapTask(target: Partial<TaskTarget>, extra: Partial<ScanTask> = {}): ScanTask {
  return {
    id: `nmap-handler-${++count}`,
    project: 'nmap-handler-test',
    kind: 'nmap',
    target: { ip: '127.0.0.1', addresses: ['127.0.0.1/32'], hostnames: [], ports: services.range, ...target },
    status: 'started',
    attempt: 1,
    maxAttempts: 1,
    priority: 1,
    idempotencyKey: `nmap-handler-${count}`,
    version: 1,
    timeouts: { ...DEFAULT_TIMEOUTS },
    createdAt: Date.now(),
    history: [],
    ...extra,
  };
}

/** Runs a handler on a task with a fresh signal, keeping its log lines. */
async function run(
  handler: ReturnType<typeof createNmapHandler>,
  task: ScanTask,
): Promise<{ result?: NmapScanResult; error?: ScanplaneError; lines: string[] }> {
  const lines: string[] = [];
  const context = { signal: new AbortController().signal, log: (line: string) => lines.push(line) };
  try {
    return { result: (await handler(task, context)) as NmapScanResult, lines };
  } catch (error) {
    if (!isScanplaneError(error)) throw error;
    return { error, lines };
  }
}

/** The value of `-p` in an argument list. */
function portsArg(phase: NmapPhaseReport): string | undefined {
  return phase.argv[phase.argv.indexOf('-p') + 1];
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

describe('createNmapHandler: Tasker two-phase scan on real nmap', () => {
  it('finds the open ports of a range, runs -sV on those only, and identifies the services', async () => {
    const handler = createNmapHandler({ binary: NMAP, defaults: { timing: 4 } });
    const task = nmapTask({ hostnames: ['lab.example'] }, { payload: { nmap: { versionIntensity: 1 } } });
    const { result, error, lines } = await run(handler, task);
    expect(error).toBeUndefined();
    if (result === undefined) return;
    expect(result).toMatchObject({
      scanner: 'nmap',
      address: '127.0.0.1',
      hostnames: ['lab.example'],
      hostState: 'up',
      closed: 3,
      filtered: 0,
      notOpen: 3,
      ports: 6,
    });
    expect(result.nmapVersion).toMatch(/^\d+\.\d+/);
    expect(result.open.map((port) => [port.protocol, port.port, port.state])).toEqual([
      ['tcp', services.plain, 'open'],
      ['tcp', services.ssh, 'open'],
      ['tcp', services.http, 'open'],
    ]);

    // Phase 1 scanned the whole range with --open; phase 2 got exactly the open ports, never a closed one.
    const { discovery, services: serviceScan } = result.phases;
    expect(discovery.argv).toContain('--open');
    expect(discovery.argv).not.toContain('-sV');
    expect(portsArg(discovery)).toBe(services.range);
    if (!('argv' in serviceScan)) throw new Error(`phase 2 did not run: ${JSON.stringify(serviceScan)}`);
    expect(serviceScan.argv).toContain('-sV');
    expect(serviceScan.argv).not.toContain('--open');
    expect(portsArg(serviceScan)).toBe(`${services.plain}-${services.ssh},${services.http}`);
    const phase2Ports = PortSet.parse(portsArg(serviceScan) ?? '');
    for (const closed of services.closed) expect(phase2Ports.has('tcp', closed)).toBe(false);
    expect(serviceScan.argv.slice(serviceScan.argv.indexOf('--'))).toEqual(['--', '127.0.0.1']);

    const byPort = new Map(result.open.map((port) => [port.port, port.service]));
    expect(byPort.get(services.ssh)).toMatchObject({ name: 'ssh', product: 'OpenSSH', method: 'probed' });
    expect(byPort.get(services.ssh)?.version).toMatch(/^8\.9p1/);
    expect(byPort.get(services.http)).toMatchObject({
      name: 'http',
      product: 'nginx',
      version: '1.18.0',
      method: 'probed',
    });
    expect(byPort.get(services.plain)?.product).toBeUndefined();

    // Two nmap processes ran, one per phase, each logged with its pid and argument list.
    expect(lines.filter((line) => /^nmap discovery: pid \d+: /.test(line))).toHaveLength(1);
    expect(lines.filter((line) => /^nmap services: pid \d+: .* -sV /.test(line))).toHaveLength(1);
    // The result is plain JSON, as a task store keeps it.
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
  });

  it('skips phase 2 when no port is open', async () => {
    const handler = createNmapHandler({ binary: NMAP, defaults: { timing: 4 } });
    const { result, lines } = await run(handler, nmapTask({ ports: services.closed.join(',') }));
    expect(result?.open).toEqual([]);
    expect(result?.hostState).toBe('up');
    expect(result?.notOpen).toBe(3);
    // nmap leaves a host without open ports out of --open output: it does not say closed or filtered.
    expect(result?.closed).toBeUndefined();
    expect(result?.phases.services).toEqual({ skipped: 'no-open-ports' });
    expect(lines.filter((line) => / pid \d+: /.test(line))).toHaveLength(1);
  });

  it('skips phase 2 when the task turns service detection off, and keeps the open ports', async () => {
    const handler = createNmapHandler({ binary: NMAP, defaults: { timing: 4 } });
    const task = nmapTask(
      { ports: `${services.ssh},${services.closed[0]}` },
      {
        payload: { nmap: { serviceDetection: false } },
      },
    );
    const { result, lines } = await run(handler, task);
    expect(result?.open.map((port) => port.port)).toEqual([services.ssh]);
    expect(result?.open[0]?.service?.product).toBeUndefined();
    expect(result?.phases.services).toEqual({ skipped: 'disabled' });
    expect(lines.some((line) => line.startsWith('nmap services:'))).toBe(false);
  });

  it('takes the address from a single-address target without ip, and the options from the handler defaults', async () => {
    const handler = createNmapHandler({
      binary: NMAP,
      defaults: { timing: 5, maxRetries: 0, serviceDetection: false },
    });
    const task = nmapTask({ ports: `${services.ssh}` });
    delete task.target?.ip;
    const { result } = await run(handler, task);
    expect(result?.address).toBe('127.0.0.1');
    expect(result?.phases.discovery.argv).toEqual(expect.arrayContaining(['-T5', '--max-retries', '0']));
    expect(result?.open.map((port) => port.port)).toEqual([services.ssh]);
  });
});

describe('createNmapHandler: typed errors', () => {
  it('refuses task options out of bounds before running nmap, naming the task and the bound', async () => {
    const handler = createNmapHandler({ binary: NMAP, limits: { maxRate: 1000 } });
    const task = nmapTask({}, { payload: { nmap: { minRate: 5000 } } });
    const { error, lines } = await run(handler, task);
    expect(error?.code).toBe('INVALID_ARGUMENT');
    expect(error?.message).toContain(
      `nmap option 'minRate' (task ${task.id} payload.nmap) must be an integer from 1 to 1000`,
    );
    expect(lines).toEqual([]);
  });

  it('refuses an injection attempt in the task target or ports before running nmap', async () => {
    const handler = createNmapHandler({ binary: NMAP });
    for (const target of [
      { ip: '127.0.0.1 -oN /tmp/pwned' },
      { ip: '-iL/etc/passwd' },
      { ports: '-p- --script=vuln' },
    ]) {
      const { error, lines } = await run(handler, nmapTask(target));
      expect(error?.code).toBe('INVALID_ARGUMENT');
      expect(lines).toEqual([]);
    }
  });

  it('refuses a task that is not one address: INVALID_COMMAND', async () => {
    const handler = createNmapHandler({ binary: NMAP });
    const { error } = await run(handler, nmapTask({ ip: undefined, addresses: ['127.0.0.0/30'] }));
    expect(error?.code).toBe('INVALID_COMMAND');
    expect(error?.message).toMatch(/scans one IP per task/);
    const bare = nmapTask({});
    delete bare.target;
    expect((await run(handler, bare)).error?.code).toBe('INVALID_COMMAND');
  });

  it('refuses bad handler options at creation', () => {
    expect(() => createNmapHandler({ defaults: { timing: 9 } })).toThrow(
      /'timing' \(defaults\) must be an integer from 0 to 5/,
    );
    expect(() => createNmapHandler({ defaults: { scanType: 'syn' } })).toThrow(/limits\.allowPrivileged/);
    expect(() => createNmapHandler({ limits: { maxRate: -1 } })).toThrow(/'maxRate' \(limits\)/);
    expect(() => createNmapHandler({ killGraceMs: 0 })).toThrow(/'killGraceMs'/);
    expect(() => createNmapHandler({ binary: '' })).toThrow(/binary/);
  });

  it('a missing nmap binary is UNAVAILABLE and says how to install it', async () => {
    const handler = createNmapHandler({ binary: '/nonexistent/bin/nmap' });
    const { error } = await run(handler, nmapTask({ ports: `${services.ssh}` }));
    expect(error?.code).toBe('UNAVAILABLE');
    expect(error?.retryable).toBe(true);
    expect(error?.message).toMatch(
      /cannot run '\/nonexistent\/bin\/nmap' \(ENOENT\).*apt-get install -y nmap/,
    );
  });

  it('a binary that exits non-zero is TASK_FAILED with its status and last stderr line', async () => {
    // /bin/false stands in for an nmap that fails: it is the exit status that is under test.
    const handler = createNmapHandler({ binary: '/bin/false' });
    const { error } = await run(handler, nmapTask({ ports: `${services.ssh}` }));
    expect(error?.code).toBe('TASK_FAILED');
    expect(error?.message).toMatch(/\/bin\/false exited with status 1/);
    expect(error?.details).toMatchObject({ exitCode: 1, binary: '/bin/false' });
  });

  it('nmap giving up at its --host-timeout is TIMEOUT (not retried), not an empty success', async () => {
    const handler = createNmapHandler({ binary: NMAP });
    // One probe a second over six ports outlasts a one-second host timeout.
    const task = nmapTask({}, { payload: { nmap: { maxRate: 1, hostTimeoutMs: 1000 } } });
    const { error } = await run(handler, task);
    expect(error?.code).toBe('TIMEOUT');
    expect(error?.retryable).toBe(false);
    expect(error?.message).toMatch(/gave up on 127\.0\.0\.1 at its host timeout \(1000 ms\)/);
  });
});
