// The Docker launcher against a real engine (DOCKER_HOST, or a throwaway dockerd): what a container gets (name,
// labels, environment allow-list, init, limits, network), exit codes, OOM kills, stop, logs, clean-up, the reaper,
// and the typed errors.
import {
  createMemoryStore,
  createOrchestrator,
  type NewTask,
  type Orchestrator,
  type ScanTask,
  type TaskStore,
} from '@scanplane/core';
import { sampleScanTask, waitFor } from '@scanplane/core/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createDockerLauncher,
  type DockerLauncher,
  type DockerLauncherOptions,
  dockerErrorReason,
  LABELS,
} from '../src/index.js';
import { startTestEngine, type TestEngine, uniqueOwner } from './support/docker-engine.js';

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

function launcherFor(options: Partial<DockerLauncherOptions> = {}): DockerLauncher {
  const launcher = createDockerLauncher({
    socketPath: engine.socketPath,
    image: engine.image,
    owner: uniqueOwner(),
    network: 'none',
    ...options,
  });
  cleanups.push(async () => {
    await launcher.close();
    const owner = options.owner;
    const mine = await engine.docker.listContainers({
      all: true,
      filters: { label: [`${LABELS.owner}=${owner ?? ''}`] },
    });
    await Promise.all(mine.map((c) => engine.docker.getContainer(c.Id).remove({ force: true })));
  });
  return launcher;
}

/** Containers of a launcher's owner on the daemon, by name. */
async function containersOf(owner: string): Promise<string[]> {
  const list = await engine.docker.listContainers({
    all: true,
    filters: { label: [`${LABELS.owner}=${owner}`] },
  });
  return list.map((c) => (c.Names[0] ?? '').replace(/^\//, ''));
}

/** A push-mode orchestrator on a memory store over the launcher; tasks are made with `submitTask`. */
function orchestratorFor(launcher: DockerLauncher, store: TaskStore = createMemoryStore()) {
  const orchestrator = createOrchestrator({
    store,
    ledger: createMemoryStore(),
    launcher,
    maxConcurrent: 8,
    intervalMs: 200,
  });
  orchestrator.start();
  cleanups.push(() => orchestrator.close());
  const submitTask = async (
    arguments_: Record<string, unknown>,
    extra: Partial<NewTask> = {},
  ): Promise<ScanTask> => {
    const { created } = await store.create(
      [
        {
          project: 'docker-test',
          kind: 'diagnostic',
          idempotencyKey: `k-${Math.random()}`,
          maxAttempts: 1,
          status: 'queued',
          payload: { arguments: arguments_ },
          ...extra,
        },
      ],
      { at: Date.now() },
    );
    await orchestrator.dispatch();
    return created[0] as ScanTask;
  };
  const settled = async (taskId: string): Promise<ScanTask> => {
    await waitFor(
      async () => ['finished', 'failed', 'cancelled'].includes((await store.get(taskId))?.status ?? ''),
      {
        timeoutMs: 60_000,
        message: `task ${taskId} to end`,
      },
    );
    return (await store.get(taskId)) as ScanTask;
  };
  return { orchestrator, store, submitTask, settled } as {
    orchestrator: Orchestrator;
    store: TaskStore;
    submitTask: typeof submitTask;
    settled: typeof settled;
  };
}

describe('docker launcher: the container', () => {
  it('is named, labelled, limited and isolated as the task and the launcher say', async () => {
    const owner = uniqueOwner();
    const launcher = launcherFor({
      owner,
      env: { EXPLICIT: 'yes' },
      passEnv: ['SP_PASSED', 'SP_UNSET'],
      hostEnv: { SP_PASSED: 'passed', SP_SECRET: 'must not leak' },
      labels: { team: 'recon', [LABELS.owner]: 'not-overridable' },
      resources: { memoryMiB: 512, pids: 128 },
    });
    const task = sampleScanTask({
      kind: 'diagnostic',
      scanId: 'scan-7',
      organizationIds: ['o1'],
      payload: {
        scanName: 'Port Scan',
        organizations: [{ id: 'o1', name: 'Acme Energy' }],
        resources: { memory: 96, cpu: 512 },
        arguments: { behaviour: 'hang' },
      },
    });
    const [result] = await launcher.launch([task]);
    expect(result?.ok).toBe(true);
    const handle = (result as { handle: { id: string } }).handle;
    const short = task.id.replace(/-/g, '').slice(0, 12);
    expect(handle.id).toBe(`scanplane_acme-energy_port-scan_${short}-2`);
    const info = await engine.docker.getContainer(handle.id).inspect();
    expect(info.Config.Labels).toMatchObject({
      [LABELS.managedBy]: 'scanplane',
      [LABELS.owner]: owner,
      [LABELS.role]: 'task',
      [LABELS.taskId]: task.id,
      [LABELS.attempt]: '2',
      [LABELS.project]: 'conformance',
      [LABELS.kind]: 'diagnostic',
      [LABELS.scanId]: 'scan-7',
      [LABELS.organizations]: 'o1',
      team: 'recon',
    });
    const env = info.Config.Env;
    expect(env).toContain('EXPLICIT=yes');
    expect(env).toContain('SP_PASSED=passed');
    expect(env.some((entry) => entry.startsWith('SP_SECRET') || entry.startsWith('SP_UNSET'))).toBe(false);
    expect(env).toContain('NODE_OPTIONS=--max-old-space-size=72');
    const options = env.find((entry) => entry.startsWith('SCANPLANE_COMMAND_OPTIONS='));
    expect(JSON.parse((options as string).slice('SCANPLANE_COMMAND_OPTIONS='.length))).toMatchObject({
      taskId: task.id,
      kind: 'diagnostic',
      scanId: 'scan-7',
      organizations: [{ id: 'o1', name: 'Acme Energy' }],
      arguments: { behaviour: 'hang' },
    });
    expect(info.HostConfig).toMatchObject({
      Init: true,
      NetworkMode: 'none',
      Memory: 96 * 1024 * 1024,
      MemorySwap: 96 * 1024 * 1024,
      NanoCpus: 500_000_000,
      PidsLimit: 128,
      AutoRemove: false,
    });
    // The worker really runs under the init process, and it is the task's own command.
    // Once the worker has printed its first line, its processes are in place.
    await waitFor(async () => (await launcher.logs(handle as never)).length > 0, { timeoutMs: 20_000 });
    const top = (await engine.docker.getContainer(handle.id).top()) as { Processes: string[][] };
    const commands = top.Processes.map((row: string[]) => row[row.length - 1] ?? '');
    expect(commands[0]).toMatch(/docker-init|tini/);
    expect(commands.some((command: string) => command.includes('/opt/scanplane/worker.mjs'))).toBe(true);
    await launcher.stop({ launcher: 'docker', id: handle.id }, { reason: 'test over', graceMs: 1000 });
    expect(await containersOf(owner)).toEqual([]);
  });

  it('launching the same task twice starts one container; a foreign container holding the name is a clash', async () => {
    const owner = uniqueOwner();
    const launcher = launcherFor({ owner });
    const task = sampleScanTask({ kind: 'diagnostic', payload: { arguments: { behaviour: 'hang' } } });
    const [first] = await launcher.launch([task]);
    const [second] = await launcher.launch([task]);
    expect(first).toMatchObject({ ok: true });
    expect(second).toEqual(first);
    // A second launcher (a restarted process) launching the same attempt adopts the container, too.
    const other = launcherFor({ owner });
    const [third] = await other.launch([task]);
    expect(third).toEqual(first);
    expect(await containersOf(owner)).toHaveLength(1);

    const clashing = sampleScanTask({ kind: 'diagnostic', payload: { arguments: { behaviour: 'succeed' } } });
    const name = launcher.containerName(clashing);
    const squatter = await engine.docker.createContainer({
      name,
      Image: engine.image,
      Labels: { squatter: 'yes' },
    });
    cleanups.push(() => squatter.remove({ force: true }));
    const [clash] = await launcher.launch([clashing]);
    expect(clash?.ok).toBe(false);
    const error = (clash as { error: { code: string; message: string; retryable: boolean } }).error;
    expect(error.code).toBe('CONFLICT');
    expect(dockerErrorReason(error)).toBe('name-clash');
    expect(error.message).toContain(name);
    expect(error.message).toContain('a container scanplane does not manage');
    await launcher.stop((first as { handle: { launcher: string; id: string } }).handle, {
      reason: 'done',
      graceMs: 1000,
    });
  });
});

describe('docker launcher: outcomes through the orchestrator', () => {
  it('a container that exits 3 ends failed with code 3 and its last log lines', async () => {
    const launcher = launcherFor({ cleanup: { keep: 5 } });
    const { submitTask, settled } = orchestratorFor(launcher);
    const task = await submitTask({
      behaviour: 'exit',
      exitCode: 3,
      lines: ['opening targets', 'giving up: exit 3'],
    });
    const ended = await settled(task.id);
    expect(ended.status).toBe('failed');
    expect(ended.error?.code).toBe('TASK_FAILED');
    expect(ended.error?.message).toMatch(/exited with code 3; last line: giving up: exit 3/);
    expect(ended.error?.details).toMatchObject({ exitCode: 3, container: ended.handle?.id });
    expect(ended.error?.details?.['logTail']).toEqual([
      'diagnostic: exit (task ' + task.id + ')',
      'opening targets',
      'giving up: exit 3',
    ]);
    expect(ended.history.map((step) => step.to)).toEqual(['queued', 'requested', 'started', 'failed']);
  });

  it('a worker error keeps its code; exit 0 ends finished with the worker result', async () => {
    const launcher = launcherFor();
    const { submitTask, settled } = orchestratorFor(launcher);
    const failing = await submitTask({ behaviour: 'fail' });
    const succeeding = await submitTask({ behaviour: 'succeed' });
    const failed = await settled(failing.id);
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatchObject({
      code: 'TASK_FAILED',
      message: expect.stringContaining('asked to fail'),
    });
    expect(failed.error?.details).toMatchObject({ exitCode: 1 });
    const finished = await settled(succeeding.id);
    expect(finished.status).toBe('finished');
    expect(finished.result).toEqual({ ok: true, behaviour: 'succeed' });
  });

  it('a container that ended before anyone subscribed is reported to the first listener, in order', async () => {
    const launcher = launcherFor();
    const task = sampleScanTask({ kind: 'diagnostic', payload: { arguments: { behaviour: 'succeed' } } });
    const [launched] = await launcher.launch([task]);
    if (launched === undefined || !launched.ok) throw new Error(`launch failed: ${JSON.stringify(launched)}`);
    const container = engine.docker.getContainer(launched.handle.id);
    await waitFor(async () => (await container.inspect()).State.Status === 'exited', {
      timeoutMs: 60_000,
      message: 'the container to exit',
    });
    await new Promise((resolve) => setTimeout(resolve, 200)); // its end is handled (log stream drained)
    const heard: string[] = [];
    launcher.onEvent((event) => {
      if (event.taskId === task.id) heard.push(event.event.type);
    });
    await waitFor(() => heard.includes('finished'), { timeoutMs: 10_000, message: 'the finished event' });
    expect(heard).toEqual(['started', 'finished']);
  });

  it('an OOM-killed container is reported as such', async () => {
    const launcher = launcherFor();
    const { submitTask, settled } = orchestratorFor(launcher);
    const task = await submitTask(
      { behaviour: 'oom' },
      { payload: { arguments: { behaviour: 'oom' }, resources: { memory: 64 } } },
    );
    const ended = await settled(task.id);
    expect(ended.status).toBe('failed');
    expect(ended.error?.message).toMatch(/killed for running out of memory \(limit 64 MiB\)/);
    expect(ended.error?.details).toMatchObject({ oomKilled: true, exitCode: 137, memoryMiB: 64 });
  });

  it('cancel stops the container for real: SIGTERM, then it is removed, and the task is cancelled', async () => {
    const owner = uniqueOwner();
    const launcher = launcherFor({ owner });
    const { orchestrator, store, submitTask } = orchestratorFor(launcher);
    const task = await submitTask({ behaviour: 'hang' });
    await waitFor(async () => (await store.get(task.id))?.status === 'started', { timeoutMs: 30_000 });
    const handle = (await store.get(task.id))?.handle;
    expect(await containersOf(owner)).toEqual([handle?.id]);
    // Once the worker runs its handler (it has its SIGTERM handler then), cancel it.
    await waitFor(async () => (await launcher.logs(handle as never)).length > 0, { timeoutMs: 20_000 });
    const started = Date.now();
    await orchestrator.cancel(task.id, 'operator asked');
    // The worker honours SIGTERM (exit 130) well within the default 10 s grace.
    expect(Date.now() - started).toBeLessThan(8000);
    expect((await store.get(task.id))?.status).toBe('cancelled');
    expect(await containersOf(owner)).toEqual([]);
    const [description] = await launcher.describe([handle as never]);
    expect(description).toMatchObject({ state: 'stopped', exitCode: 130, taskId: task.id });
    // Its output stays readable after the container is gone.
    const lines = await launcher.logs(handle as never);
    expect(lines.map((line) => line.text)).toContain(`diagnostic: hang (task ${task.id})`);
  });
});

describe('docker launcher: logs, running count, clean-up, reaper', () => {
  it('logs are demultiplexed, with streams and timestamps, from memory and from the daemon', async () => {
    const owner = uniqueOwner();
    const launcher = launcherFor({ owner, cleanup: { keep: 5 } });
    const seen: string[] = [];
    launcher.onEvent((event) => seen.push(`${event.taskId}:${event.event.type}`));
    const task = sampleScanTask({ kind: 'diagnostic', payload: { arguments: { behaviour: 'fail' } } });
    const before = Date.now();
    const [result] = await launcher.launch([task]);
    const handle = (result as { handle: { launcher: string; id: string } }).handle;
    await waitFor(() => seen.includes(`${task.id}:failed`), { timeoutMs: 30_000 });
    const check = (lines: Awaited<ReturnType<DockerLauncher['logs']>>) => {
      expect(lines.find((line) => line.stream === 'stdout')?.text).toBe(`diagnostic: fail (task ${task.id})`);
      const error = lines.find((line) => line.stream === 'stderr');
      expect(error?.text.startsWith('SCANPLANE_ERROR {')).toBe(true);
      for (const line of lines) {
        expect(line.at).toBeGreaterThanOrEqual(before - 1000);
        expect(line.at).toBeLessThanOrEqual(Date.now() + 1000);
      }
    };
    check(await launcher.logs(handle));
    // Another launcher (a restarted process) reads them from the daemon: `docker logs --timestamps`, demuxed.
    const reader = launcherFor({ owner });
    const fromDaemon = await reader.logs(handle);
    check(fromDaemon);
    expect(await reader.logs(handle, { tail: 1 })).toHaveLength(1);
  });

  it('keeps the last N ended containers and removes older ones after collecting their logs', async () => {
    const owner = uniqueOwner();
    const launcher = launcherFor({ owner, cleanup: { keep: 2 } });
    const ended: string[] = [];
    launcher.onEvent((event) => {
      if (event.event.type === 'finished') ended.push(event.handle.id);
    });
    const handles = [];
    for (let i = 0; i < 4; i++) {
      const [result] = await launcher.launch([
        sampleScanTask({ kind: 'diagnostic', payload: { arguments: { behaviour: 'succeed' } } }),
      ]);
      handles.push((result as { handle: { launcher: string; id: string } }).handle);
      await waitFor(() => ended.length === i + 1, { timeoutMs: 30_000 });
    }
    await waitFor(async () => (await containersOf(owner)).length === 2, { timeoutMs: 10_000 });
    expect((await containersOf(owner)).sort()).toEqual([handles[2]?.id, handles[3]?.id].sort());
    const [removed] = await launcher.describe([handles[0] as never]);
    expect(removed).toMatchObject({ state: 'stopped', exitCode: 0 });
    expect(
      (await launcher.logs(handles[0] as never)).some((line) => line.text.startsWith('SCANPLANE_RESULT')),
    ).toBe(true);
  });

  it('running counts by label; the reaper stops and removes containers whose task is unknown or over', async () => {
    const owner = uniqueOwner();
    const store = createMemoryStore();
    const launcher = launcherFor({ owner, store, reapIntervalMs: 0 });
    const { created } = await store.create(
      [{ project: 'p', kind: 'diagnostic', idempotencyKey: 'known', status: 'queued' }],
      { at: Date.now() },
    );
    const known = created[0] as ScanTask;
    const orphan = sampleScanTask({ kind: 'diagnostic', payload: { arguments: { behaviour: 'hang' } } });
    const results = await launcher.launch([
      { ...known, payload: { arguments: { behaviour: 'hang' } } },
      orphan,
    ]);
    expect(results.every((result) => result.ok)).toBe(true);
    await waitFor(async () => (await launcher.running()) === 2, { timeoutMs: 20_000 });
    // Another owner's containers do not count.
    const stranger = launcherFor();
    expect(await stranger.running()).toBe(0);
    const report = await launcher.reap();
    const orphanName = (results[1] as { handle: { id: string } }).handle.id;
    expect(report.orphans).toEqual([orphanName]);
    expect(await containersOf(owner)).toEqual([(results[0] as { handle: { id: string } }).handle.id]);
    expect(await launcher.running()).toBe(1);
  });
});

describe('docker launcher: typed errors', () => {
  it('a missing image is NOT_FOUND with its name and how to build it; nothing is pulled', async () => {
    const launcher = launcherFor({ image: 'scanplane-missing:nope' });
    const [result] = await launcher.launch([sampleScanTask({ kind: 'diagnostic' })]);
    expect(result?.ok).toBe(false);
    const error = (result as { error: { code: string; message: string; retryable: boolean } }).error;
    expect(error).toMatchObject({ code: 'NOT_FOUND', retryable: false });
    expect(dockerErrorReason(error)).toBe('image-missing');
    expect(error.message).toContain("image 'scanplane-missing:nope'");
    expect(error.message).toContain('build-worker-image.mjs');
    await expect(launcher.checkImage()).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const health = await launcher.health();
    expect(health.ok).toBe(false);
    expect(health.detail).toContain('scanplane-missing:nope');
    expect(
      (await engine.docker.listImages()).some((image) => image.RepoTags?.includes('scanplane-missing:nope')),
    ).toBe(false);
  });

  it('an unreachable daemon is UNAVAILABLE and retryable, naming the endpoint', async () => {
    const launcher = createDockerLauncher({
      socketPath: '/tmp/scanplane-no-daemon.sock',
      image: engine.image,
    });
    cleanups.push(() => launcher.close());
    const [result] = await launcher.launch([sampleScanTask({ kind: 'diagnostic' })]);
    const error = (result as { error: { code: string; message: string; retryable: boolean } }).error;
    expect(error).toMatchObject({ code: 'UNAVAILABLE', retryable: true });
    expect(dockerErrorReason(error)).toBe('daemon-unreachable');
    expect(error.message).toContain('unix:///tmp/scanplane-no-daemon.sock');
    await expect(launcher.checkImage()).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect((await launcher.health()).ok).toBe(false);
  });

  it('health reports the engine, the event stream and the image', async () => {
    const launcher = launcherFor();
    launcher.onEvent(() => undefined);
    await waitFor(async () => (await launcher.health()).detail.includes('event stream connected'), {
      timeoutMs: 10_000,
    });
    const health = await launcher.health();
    expect(health).toMatchObject({ ok: true, component: 'launcher' });
    expect(health.detail).toContain(`image ${engine.image}: present`);
  });
});
