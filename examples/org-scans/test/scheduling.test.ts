// The scheduler of the org-scans deployment on the real parts: organizations and scans in PostgreSQL, ticks under
// its advisory lock, every task a real container running the org-scans worker image — which TCP-scans listeners this
// test opens on 127.0.0.1.
import { isTerminal, type ScanTask } from '@scanplane/core';
import { waitFor } from '@scanplane/core/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { closedPort, type Listeners, openListeners } from '../src/demo/listeners.js';
import type { Deployment } from '../src/deployment.js';
import { withScanType } from '../src/scan-types.js';
import {
  createTestDeployment,
  startTestDocker,
  type TestDeployment,
  type TestDocker,
} from './support/org-scans-harness.js';

let docker: TestDocker;
const disposals: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  docker = await startTestDocker();
}, 180_000);

afterEach(async () => {
  for (const dispose of disposals.splice(0).reverse()) await dispose();
});

afterAll(async () => {
  await docker?.engine.stop();
});

async function deploymentForTest(): Promise<TestDeployment> {
  const test = await createTestDeployment(docker);
  disposals.push(() => test.dispose());
  return test;
}

async function listeners(count: number): Promise<Listeners> {
  const opened = await openListeners(count);
  disposals.push(() => opened.close());
  return opened;
}

/** Waits until every task of the scans given has ended, and returns them. */
async function ended(deployment: Deployment, ids: readonly string[]): Promise<ScanTask[]> {
  let tasks: ScanTask[] = [];
  await waitFor(
    async () => {
      tasks = await deployment.store.list({ ids });
      return tasks.length === ids.length && tasks.every((task) => isTerminal(task.status));
    },
    { timeoutMs: 60_000, intervalMs: 100, message: `tasks ${ids.join(', ')} to end` },
  );
  return tasks;
}

type Outcome = { status: string; result: { openPorts: number[]; closed: number; addresses: string[] } };
const outcomesOf = (task: ScanTask): Record<string, Outcome> =>
  (task.result as { organizations: Record<string, Outcome> }).organizations;

describe('org-scans scheduling on PostgreSQL and Docker', () => {
  it('due scans finish in real containers: the TCP connect scan finds the open ports; a passive organization gets no active scan', async () => {
    const { deployment } = await deploymentForTest();
    const { store, scheduler, launcher } = deployment;
    const acme = await listeners(2);
    const umbrella = await listeners(1);
    const initech = await listeners(1);
    const closed = await closedPort();
    await store.putOrganization({
      id: 'acme',
      name: 'Acme',
      passive: false,
      tags: [],
      scope: { ipBlocks: ['127.0.0.1'] },
    });
    // Scoped by a root domain only: the worker's target engine resolves it.
    await store.putOrganization({
      id: 'umbrella',
      name: 'Umbrella',
      passive: false,
      tags: [],
      scope: { rootDomains: ['localhost'] },
    });
    await store.putOrganization({
      id: 'initech',
      name: 'Initech',
      passive: true,
      tags: [],
      scope: { ipBlocks: ['127.0.0.1'] },
    });
    const ports = {
      acme: [...acme.ports, closed].join(','),
      umbrella: [...umbrella.ports, closed].join(','),
      initech: [...initech.ports, closed].join(','),
    };
    await store.putScan(
      withScanType({ id: 'portscan', type: 'portscan', frequencySeconds: 3600, arguments: { ports } }),
    );
    await store.putScan(withScanType({ id: 'discovery', type: 'discovery', frequencySeconds: 86_400 }));

    const report = await scheduler.tick();
    expect(report).toBeDefined();
    if (report === undefined) return;
    expect(report.failed).toEqual([]);
    expect(report.plan.skipped).toContainEqual(
      expect.objectContaining({
        scanId: 'portscan',
        organizationId: 'initech',
        reason: 'passive-organization',
      }),
    );
    deployment.orchestrator.start();
    const tasks = await ended(deployment, [...report.launched, ...report.queued]);
    for (const task of tasks) expect(task.status, JSON.stringify(task.error)).toBe('finished');

    const portscans = tasks.filter((task) => task.scanId === 'portscan');
    expect(portscans.flatMap((task) => task.organizationIds).sort()).toEqual(['acme', 'umbrella']);
    const outcomes = Object.assign({}, ...portscans.map(outcomesOf)) as Record<string, Outcome>;
    expect(outcomes['acme']?.result.openPorts).toEqual(acme.ports);
    expect(outcomes['acme']?.result.closed).toBe(1);
    expect(outcomes['umbrella']?.result.openPorts).toEqual(umbrella.ports);
    expect(outcomes['umbrella']?.result.addresses).toEqual(['127.0.0.1']);
    expect(acme.connections()).toBeGreaterThanOrEqual(2);
    expect(umbrella.connections()).toBeGreaterThanOrEqual(1);

    // The passive organization: no portscan ever covered it, its listener never saw a connection; the passive
    // discovery did reach it.
    expect(await store.list({ scanId: 'portscan', organizationId: 'initech' })).toEqual([]);
    expect(initech.connections()).toBe(0);
    const discovered = await store.list({ scanId: 'discovery', organizationId: 'initech' });
    expect(discovered.map((task) => task.status)).toEqual(['finished']);

    // Each task ran in a container of the org-scans image, and its output is the worker's.
    for (const task of portscans) {
      expect(task.handle?.launcher).toBe('docker');
      expect(task.handle?.id).toMatch(/^orgscans_.+_portscan_[0-9a-f]{12}-1$/);
      const lines = (await launcher.logs(task.handle as NonNullable<ScanTask['handle']>)).map(
        (line) => line.text,
      );
      expect(lines.some((line) => /^portscan (acme|umbrella): open 127\.0\.0\.1:\d+/.test(line))).toBe(true);
    }
  });

  it('a manual run happens once: two ticks after the request make one run, and the request is cleared', async () => {
    const { deployment } = await deploymentForTest();
    const { store, scheduler } = deployment;
    await store.putOrganization({
      id: 'acme',
      name: 'Acme',
      passive: false,
      tags: [],
      scope: { ipBlocks: ['127.0.0.1'] },
    });
    await store.putScan(
      withScanType({ id: 'smoke', type: 'test', frequencySeconds: 86_400, arguments: { durationMs: 0 } }),
    );
    deployment.orchestrator.start();

    // The scan's due run: afterwards it is not due for a day.
    const first = await scheduler.tick();
    expect(first?.plan.launch).toHaveLength(1);
    await ended(deployment, await idsOf(deployment, 'smoke'));
    const notDue = await scheduler.tick();
    expect(notDue?.plan.launch).toEqual([]);
    expect(notDue?.plan.skipped).toContainEqual(
      expect.objectContaining({ scanId: 'smoke', reason: 'not-due' }),
    );

    await store.requestManualRun('smoke', Date.now());
    const manual = await scheduler.tick();
    expect(manual?.plan.launch.map((planned) => planned.manual)).toEqual([true]);
    const again = await scheduler.tick();
    expect(again?.plan.launch).toEqual([]);
    const runs = await idsOf(deployment, 'smoke');
    expect(runs).toHaveLength(2);
    const tasks = await ended(deployment, runs);
    expect(tasks.map((task) => task.status)).toEqual(['finished', 'finished']);
    expect((await store.getScan('smoke'))?.manualRunRequestedAt).toBeUndefined();
    const after = await scheduler.tick();
    expect(after?.plan.launch).toEqual([]);
    expect(await idsOf(deployment, 'smoke')).toHaveLength(2);
  });
});

async function idsOf(deployment: Deployment, scanId: string): Promise<string[]> {
  return (await deployment.store.list({ scanId })).map((task) => task.id);
}
