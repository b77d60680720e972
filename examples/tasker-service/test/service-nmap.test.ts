// The nmap mode through the service: `POST /tasks/{project}/run-nmap` (mode nmap by default there) queues tasks of
// kind nmap, a forked worker process runs Tasker's two-phase nmap scan on them (src/nmap/), and the result names the
// open ports and their services. nmap options and ports nmap would refuse are answered 400 before anything is
// queued. Only 127.0.0.1 is scanned, on listeners this file opens.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LoopbackServices, startLoopbackServices } from '../src/nmap/loopback-services.js';
import type { NmapScanResult } from '../src/nmap/nmap-result.js';
import { call, startTestService, type TestService, waitFor } from './support/servers.js';

let test: TestService;
let services: LoopbackServices;
let token: string;

beforeAll(async () => {
  services = await startLoopbackServices();
  test = await startTestService('svcnmap', {
    workers: 1,
    workerConcurrency: 2,
    kinds: ['tcp-connect', 'nmap'],
  });
  token = (await test.service.tokens.createToken('lab')).token;
});

afterAll(async () => {
  await test?.cleanup();
  await services?.close();
});

describe('nmap mode through the service', () => {
  it('runs a two-phase nmap scan from run-nmap and reports the services', async () => {
    const run = await call(test.url, '/tasks/lab/run-nmap', {
      token,
      body: {
        targets: ['127.0.0.1'],
        ports: services.range,
        timeout: 120,
        nmap: { timing: 4, versionIntensity: 2 },
      },
    });
    expect(run.status).toBe(200);
    expect(run.body.tasks.created).toBe(1);
    const [task] = await test.service.store.list({ project: 'lab' });
    expect(task?.kind).toBe('nmap');
    expect(task?.payload).toEqual({ nmap: { timing: 4, versionIntensity: 2 } });

    await waitFor(
      'the nmap task to end',
      async () => (await call(test.url, '/tasks/lab/status', { token })).body.active === 0,
      { timeoutMs: 100_000, everyMs: 250 },
    );
    const [done] = await test.service.store.list({ project: 'lab' });
    expect(done?.status, JSON.stringify(done?.error)).toBe('finished');
    const result = done?.result as NmapScanResult;
    expect(result.scanner).toBe('nmap');
    expect(result.open.map((port) => port.port)).toEqual([services.plain, services.ssh, services.http]);
    const byPort = new Map(result.open.map((port) => [port.port, port.service?.name]));
    expect(byPort.get(services.ssh)).toBe('ssh');
    expect(byPort.get(services.http)).toBe('http');
  });

  it('refuses nmap options and ports nmap would refuse, before queuing anything', async () => {
    const before = await test.service.store.count({ project: 'lab' });
    const badOption = await call(test.url, '/tasks/lab/run-nmap', {
      token,
      body: { targets: ['127.0.0.1'], ports: '80', nmap: { timing: 9 } },
    });
    expect(badOption.status).toBe(400);
    expect(badOption.body.code).toBe('INVALID_ARGUMENT');
    expect(badOption.body.message).toContain('timing');
    const unknownOption = await call(test.url, '/tasks/lab/run-nmap', {
      token,
      body: { targets: ['127.0.0.1'], ports: '80', nmap: { script: 'vuln' } },
    });
    expect(unknownOption.status).toBe(400);
    const udp = await call(test.url, '/tasks/lab/run-nmap', {
      token,
      body: { targets: ['127.0.0.1'], ports: 'U:53' },
    });
    expect(udp.status).toBe(400);
    expect(udp.body.message).toMatch(/privileged|UDP|udp/);
    const wrongMode = await call(test.url, '/tasks/lab/run', {
      token,
      body: { targets: ['127.0.0.1'], ports: '80', mode: 'tcp-connect', nmap: { timing: 4 } },
    });
    expect(wrongMode.status).toBe(400);
    expect(wrongMode.body.details.field).toBe('nmap');
    expect(await test.service.store.count({ project: 'lab' })).toEqual(before);
  });
});
