// End to end against a real engine: the scheduler launches a real container running the worker entrypoint, which
// scans a TCP listener this test opens on 127.0.0.1 (network `host`); and reconciliation — a lost event stream, and a
// launcher restarted while containers ended — brings every task to its real outcome.
import { once } from 'node:events';
import { createServer, type Server } from 'node:net';
import {
  createMemoryStore,
  createOrchestrator,
  createScheduler,
  type NewTask,
  type Orchestrator,
  type ScanTask,
} from '@scanplane/core';
import { waitFor } from '@scanplane/core/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createDockerLauncher,
  type DockerLauncher,
  type DockerLauncherOptions,
  LABELS,
} from '../src/index.js';
import { startTestEngine, type TestEngine, uniqueOwner } from './support/docker-engine.js';
import { type SocketProxy, startSocketProxy } from './support/socket-proxy.js';

let engine: TestEngine;
const cleanups: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  engine = await startTestEngine();
}, 180_000);

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

afterAll(async () => {
  await engine?.stop();
});

const TERMINAL = ['finished', 'failed', 'cancelled'];

function launcherFor(options: Partial<DockerLauncherOptions> & { owner: string }): DockerLauncher {
  const launcher = createDockerLauncher({
    socketPath: engine.socketPath,
    image: engine.image,
    network: 'none',
    ...options,
  });
  cleanups.push(async () => {
    await launcher.close();
    const mine = await engine.docker.listContainers({
      all: true,
      filters: { label: [`${LABELS.owner}=${options.owner}`] },
    });
    await Promise.all(mine.map((c) => engine.docker.getContainer(c.Id).remove({ force: true })));
  });
  return launcher;
}

function orchestratorFor(
  launcher: DockerLauncher,
  store: ReturnType<typeof createMemoryStore>,
): Orchestrator {
  const orchestrator = createOrchestrator({
    store,
    ledger: store,
    launcher,
    maxConcurrent: 8,
    intervalMs: 200,
  });
  orchestrator.start();
  cleanups.push(() => orchestrator.close());
  return orchestrator;
}

async function listen(server: Server): Promise<number> {
  server.listen({ port: 0, host: '127.0.0.1' });
  await once(server, 'listening');
  return (server.address() as { port: number }).port;
}

const diagnostic = (key: string, arguments_: Record<string, unknown>): NewTask => ({
  project: 'reconcile',
  kind: 'diagnostic',
  idempotencyKey: key,
  maxAttempts: 1,
  status: 'queued',
  payload: { arguments: arguments_ },
});

describe('end to end: scheduler → Docker container → worker entrypoint → result', () => {
  it('a scheduled tcp-connect scan runs in a real container and finds the open port on 127.0.0.1', async () => {
    let connections = 0;
    const listener = createServer((socket) => {
      connections++;
      socket.end();
    });
    const openPort = await listen(listener);
    cleanups.push(() => new Promise((resolve) => listener.close(resolve)));
    const probe = createServer();
    const closedPort = await listen(probe);
    await new Promise((resolve) => probe.close(resolve));

    const owner = uniqueOwner('e2e');
    const store = createMemoryStore();
    const launcher = launcherFor({ owner, network: 'host', store, resources: { memoryMiB: 256 } });
    orchestratorFor(launcher, store);
    const scheduler = createScheduler({ store, launcher, limit: 4 });
    cleanups.push(() => scheduler.close());
    await store.putOrganization({
      id: 'lab',
      name: 'Loopback Lab',
      passive: false,
      tags: [],
      scope: { ipBlocks: ['127.0.0.1'] },
    });
    await store.putScan({
      id: 'ports',
      type: 'tcp-connect',
      frequencySeconds: 3600,
      arguments: { ports: `${openPort},${closedPort}` },
      resources: { memory: 128, cpu: 512 },
    });

    const report = await scheduler.tick();
    // One task, launched by the scheduler — or by the orchestrator's dispatcher (every 200 ms) when it reaches the new
    // queued task first: the same container either way (a launch is idempotent by name), but the scheduler then
    // leaves it out of `launched`. So the task is found by its scan, not by who launched it.
    expect(report?.plan.launch).toHaveLength(1);
    expect(report?.failed).toEqual([]);
    const scheduled = await store.list({ scanId: 'ports' });
    expect(scheduled).toHaveLength(1);
    const taskId = (scheduled[0] as ScanTask).id;
    await waitFor(async () => TERMINAL.includes((await store.get(taskId))?.status ?? ''), {
      timeoutMs: 60_000,
      message: 'the scheduled task to end',
    });
    const task = (await store.get(taskId)) as ScanTask;
    expect(task.status, JSON.stringify(task.error)).toBe('finished');
    expect(task.handle?.id).toMatch(/^scanplane_loopback-lab_tcp-connect_[0-9a-f]{12}-1$/);
    const outcome = (
      task.result as {
        organizations: Record<string, { status: string; result: { openPorts: number[]; closed: number } }>;
      }
    ).organizations['lab'];
    expect(outcome?.status).toBe('finished');
    expect(outcome?.result.openPorts).toEqual([openPort]);
    expect(outcome?.result.closed).toBe(1);
    expect(connections).toBeGreaterThanOrEqual(1);
    expect(task.history.map((step) => step.to)).toEqual(['queued', 'requested', 'started', 'finished']);
    // The scan definition's limits reached the container.
    const info = await engine.docker.getContainer(task.handle?.id as string).inspect();
    expect(info.HostConfig).toMatchObject({
      Memory: 128 * 1048576,
      NanoCpus: 500_000_000,
      NetworkMode: 'host',
      Init: true,
    });
  });
});

describe('reconciliation against a real engine', () => {
  let proxy: SocketProxy;

  beforeAll(async () => {
    proxy = await startSocketProxy(engine.socketPath);
  });

  afterAll(async () => {
    await proxy?.close();
  });

  it('a lost event stream reconnects by itself and reconciles what ended meanwhile', async () => {
    const owner = uniqueOwner('stream');
    const store = createMemoryStore();
    const launcher = launcherFor({ owner, store, socketPath: proxy.socketPath, cleanup: { keep: 10 } });
    const reconnects: boolean[] = [];
    launcher.events.on('stream:connected', (reconnect) => reconnects.push(reconnect));
    const orchestrator = orchestratorFor(launcher, store);
    const { created } = await store.create(
      [
        diagnostic('quick-ok', { behaviour: 'sleep', sleepMs: 1500 }),
        diagnostic('quick-exit', { behaviour: 'exit', exitCode: 3, lines: ['bye'], delayMs: 1500 }),
        diagnostic('slow-ok', { behaviour: 'sleep', sleepMs: 4000 }),
      ],
      { at: Date.now() },
    );
    await orchestrator.dispatch();
    await waitFor(async () => (await store.count({ project: 'reconcile' })).started === 3, {
      timeoutMs: 30_000,
      message: 'the containers to start',
    });
    // Kill the event stream and keep the daemon unreachable while the quick containers end.
    proxy.cut({ refuse: true });
    await waitFor(
      async () => {
        const list = await engine.docker.listContainers({
          all: true,
          filters: { label: [`${LABELS.owner}=${owner}`], status: ['exited'] },
        });
        return list.length >= 2;
      },
      { timeoutMs: 30_000, message: 'two containers to exit while unwatched' },
    );
    expect((await store.get(created[0]?.id as string))?.status).toBe('started');
    proxy.resume();
    for (const task of created) {
      await waitFor(async () => TERMINAL.includes((await store.get(task.id))?.status ?? ''), {
        timeoutMs: 60_000,
        message: `task ${task.idempotencyKey} to end`,
      });
    }
    expect(reconnects[0]).toBe(false);
    expect(reconnects).toContain(true);
    const [quickOk, quickExit, slowOk] = await Promise.all(created.map((task) => store.get(task.id)));
    expect(quickOk?.status).toBe('finished');
    expect(quickOk?.result).toMatchObject({ ok: true, sleptMs: 1500 });
    expect(quickExit?.status).toBe('failed');
    expect(quickExit?.error?.details).toMatchObject({ exitCode: 3 });
    expect(slowOk?.status).toBe('finished');
  });

  it('a launcher restarted after its containers ended (or vanished) reconciles every task from the labels', async () => {
    const owner = uniqueOwner('restart');
    const store = createMemoryStore();
    const first = launcherFor({ owner, store, cleanup: { keep: 10 } });
    const orchestrator = orchestratorFor(first, store);
    const { created } = await store.create(
      [
        diagnostic('r-ok', { behaviour: 'sleep', sleepMs: 2000 }),
        diagnostic('r-exit', { behaviour: 'exit', exitCode: 3, lines: ['unwatched failure'], delayMs: 2000 }),
        diagnostic('r-hang', { behaviour: 'hang' }),
        diagnostic('r-vanish', { behaviour: 'hang' }),
      ],
      { at: Date.now() },
    );
    await orchestrator.dispatch();
    await waitFor(async () => (await store.count({ project: 'reconcile' })).started === 4, {
      timeoutMs: 30_000,
      message: 'the four containers to start',
    });
    // The process goes down: nothing watches the containers any more.
    await orchestrator.close();
    await first.close();
    const vanish = (await store.get(created[3]?.id as string)) as ScanTask;
    await engine.docker.getContainer(vanish.handle?.id as string).remove({ force: true });
    await waitFor(
      async () =>
        (
          await engine.docker.listContainers({
            all: true,
            filters: { label: [`${LABELS.owner}=${owner}`], status: ['exited'] },
          })
        ).length === 2,
      { timeoutMs: 30_000, message: 'two containers to exit while no launcher watches' },
    );
    expect((await store.count({ project: 'reconcile' })).started).toBe(4);

    // A new process: a new launcher and orchestrator on the same store reconcile at start-up.
    const second = launcherFor({ owner, store, cleanup: { keep: 10 } });
    const reports: unknown[] = [];
    second.events.on('reconciled', (report) => reports.push(report));
    const restarted = orchestratorFor(second, store);
    const [ok, exit, hang, vanished] = created.map((task) => task.id) as [string, string, string, string];
    for (const id of [ok, exit, vanished]) {
      await waitFor(async () => TERMINAL.includes((await store.get(id))?.status ?? ''), {
        timeoutMs: 30_000,
        message: `task ${id} to be reconciled`,
      });
    }
    expect(reports[0]).toMatchObject({
      containers: 3,
      ended: expect.arrayContaining([ok, exit]),
      vanished: [vanished],
    });
    expect(await store.get(ok)).toMatchObject({ status: 'finished', result: { ok: true, sleptMs: 2000 } });
    const failed = (await store.get(exit)) as ScanTask;
    expect(failed.status).toBe('failed');
    expect(failed.error?.details).toMatchObject({ exitCode: 3 });
    expect(failed.error?.details?.['logTail']).toContain('unwatched failure');
    expect(await store.get(vanished)).toMatchObject({
      status: 'failed',
      error: { message: expect.stringContaining('no longer exists') },
    });
    // The running one is still followed: cancelling it stops and removes its container.
    expect((await store.get(hang))?.status).toBe('started');
    await restarted.cancel(hang, 'test over');
    expect((await store.get(hang))?.status).toBe('cancelled');
    const left = await engine.docker.listContainers({
      all: true,
      filters: { label: [`${LABELS.owner}=${owner}`] },
    });
    expect(left.map((c) => c.Names[0]?.slice(1)).sort()).toEqual(
      [(await store.get(ok))?.handle?.id, (await store.get(exit))?.handle?.id].sort(),
    );
  });
});
