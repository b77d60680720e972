// The Fargate launcher against the local ECS endpoint, through the real AWS SDK over HTTP.
import {
  COMMAND_OPTIONS_VARIABLE,
  createMemoryStore,
  createOrchestrator,
  type LauncherEvent,
} from '@scanplane/core';
import { sampleScanTask, waitFor } from '@scanplane/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createFargateLauncher,
  type EventOutcome,
  fargateErrorReason,
  OVERRIDES_LIMIT,
  TAGS,
  TASK_ID_VARIABLE,
} from '../src/index.js';
import { type Setup, setUp } from './support/launcher-setup.js';
import type { LocalEcsOptions, PublishedEvent } from './support/local-ecs.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function start(...args: Parameters<typeof setUp>): Promise<Setup> {
  const setup = await setUp(...args);
  cleanups.push(() => setup.close());
  return setup;
}

const task = (behaviour = 'succeed', extra: Record<string, unknown> = {}) =>
  sampleScanTask({ kind: 'diagnostic', payload: { arguments: { behaviour, ...extra } } });

function record(setup: Setup) {
  const events: LauncherEvent[] = [];
  const off = setup.launcher.onEvent((event) => events.push(event));
  cleanups.push(async () => off());
  return {
    events,
    types: (taskId: string) => events.filter((e) => e.taskId === taskId).map((e) => e.event.type),
    of: (taskId: string) => events.filter((e) => e.taskId === taskId),
  };
}

/** An endpoint whose events are held until the test feeds them to the launcher. */
const held = (): { options: LocalEcsOptions; queue: PublishedEvent[] } => {
  const queue: PublishedEvent[] = [];
  return { queue, options: { deliver: (event) => void queue.push(event) } };
};

const launchOk = async (setup: Setup, scanTask: ReturnType<typeof task>) => {
  const [result] = await setup.launcher.launch([scanTask]);
  if (result?.ok !== true) throw new Error(`launch failed: ${JSON.stringify(result)}`);
  return result.handle;
};

describe('launch', () => {
  it('sends the command options, cpu and memory, startedBy, tags and a clientToken of task id and attempt', async () => {
    const setup = await start(
      {},
      {
        resources: (t) => (t.kind === 'diagnostic' ? { cpu: 1024, memoryMiB: 4096 } : undefined),
        tags: { team: 'red' },
      },
    );
    const scanTask = { ...task('hang'), scanId: 'scan-7', organizationIds: ['o1', 'o2'], attempt: 2 };
    const handle = await launchOk(setup, scanTask);
    const sent = setup.ecs.tasks.get(handle.id);
    expect(sent?.startedBy).toBe('scanplane');
    expect(sent?.clientToken).toBe(`${scanTask.id}-2`);
    expect(sent?.cpu).toBe('1024');
    expect(sent?.memory).toBe('4096');
    expect(JSON.parse(sent?.environment[COMMAND_OPTIONS_VARIABLE] ?? '{}')).toMatchObject({
      taskId: scanTask.id,
      scanId: 'scan-7',
      attempt: 2,
    });
    const tags = Object.fromEntries((sent?.tags ?? []).map((tag) => [tag.key, tag.value]));
    expect(tags).toMatchObject({
      [TAGS.taskId]: scanTask.id,
      [TAGS.scanId]: 'scan-7',
      [TAGS.organizations]: 'o1 o2',
      [TAGS.attempt]: '2',
      team: 'red',
    });
  });

  it('retries a call whose response was lost with the same clientToken: one task, not two', async () => {
    const setup = await start();
    setup.ecs.injectRunTask('lose-response');
    const scanTask = task('hang');
    const handle = await launchOk(setup, scanTask);
    expect(setup.ecs.stats.runTaskCalls).toBe(2);
    expect(setup.ecs.stats.tasksCreated).toBe(1);
    expect(setup.ecs.stats.launchesByTaskId.get(scanTask.id)).toBe(1);
    expect(setup.ecs.tasks.has(handle.id)).toBe(true);
  });

  it('retries throttling with backoff and never hands a ThrottlingException to the caller', async () => {
    const setup = await start();
    const retries: string[] = [];
    setup.launcher.events.on('retry', (call, _attempt, _delay, error) =>
      retries.push(`${call}:${(error as Error).name}`),
    );
    setup.ecs.injectRunTask('throttle', 'throttle', 'server-error');
    const results = await setup.launcher.launch([task('hang')]);
    expect(results[0]?.ok).toBe(true);
    expect(retries).toEqual([
      'RunTask:ThrottlingException',
      'RunTask:ThrottlingException',
      'RunTask:ServerException',
    ]);
  });

  it('gives up after maxRetries with a retryable UNAVAILABLE result, reason throttled', async () => {
    const setup = await start({}, { maxRetries: 2 });
    setup.ecs.injectRunTask('throttle', 'throttle', 'throttle');
    const [result] = await setup.launcher.launch([task('hang')]);
    expect(result?.ok).toBe(false);
    if (result?.ok === false) {
      expect(result.error.code).toBe('UNAVAILABLE');
      expect(result.error.retryable).toBe(true);
      expect(fargateErrorReason(result.error)).toBe('throttled');
    }
    expect(setup.ecs.stats.tasksCreated).toBe(0);
  });

  it('refuses overrides over 8,192 characters before calling ECS (LAUNCH_PAYLOAD_TOO_LARGE)', async () => {
    const setup = await start();
    const big = task('succeed', { hosts: 'h'.repeat(OVERRIDES_LIMIT) });
    const [result] = await setup.launcher.launch([big]);
    expect(result?.ok).toBe(false);
    if (result?.ok === false) {
      expect(result.error.code).toBe('LAUNCH_FAILED');
      expect(result.error.retryable).toBe(false);
      expect(fargateErrorReason(result.error)).toBe('LAUNCH_PAYLOAD_TOO_LARGE');
    }
    expect(setup.ecs.stats.runTaskCalls).toBe(0);
  });

  it('in reference and auto modes, launches a large task with only its id in the overrides', async () => {
    for (const payloadMode of ['reference', 'auto'] as const) {
      const setup = await start({}, { payloadMode });
      const big = task('hang', { hosts: 'h'.repeat(OVERRIDES_LIMIT) });
      const handle = await launchOk(setup, big);
      expect(setup.ecs.tasks.get(handle.id)?.environment).toEqual({ [TASK_ID_VARIABLE]: big.id });
    }
  });

  it('classifies failures[]: capacity is retryable, MISSING is fatal', async () => {
    const setup = await start();
    setup.ecs.failNextTasks(1);
    const [capacity] = await setup.launcher.launch([task()]);
    expect(capacity).toMatchObject({ ok: false, error: { code: 'LAUNCH_FAILED', retryable: true } });
    if (capacity?.ok === false) expect(fargateErrorReason(capacity.error)).toBe('capacity-unavailable');
    setup.ecs.failNextTasks(1, 'MISSING');
    const [missing] = await setup.launcher.launch([task()]);
    expect(missing).toMatchObject({ ok: false, error: { code: 'LAUNCH_FAILED', retryable: false } });
    if (missing?.ok === false) expect(fargateErrorReason(missing.error)).toBe('launch-refused');
  });

  it('refuses launchType together with a capacity provider strategy', async () => {
    await expect(
      start({}, { launchType: 'FARGATE', capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT' }] }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

describe('running', () => {
  it('counts beyond 100 running tasks with ListTasks pagination, filtered by startedBy', async () => {
    const setup = await start({}, { runTaskRatePerSecond: 10_000, runTaskBurst: 100 });
    setup.ecs.createForeignTask('someone-else');
    const tasks = Array.from({ length: 230 }, () => task('hang'));
    const results = await setup.launcher.launch(tasks);
    expect(results.every((result) => result.ok)).toBe(true);
    const before = setup.ecs.stats.listTasksCalls;
    expect(await setup.launcher.running()).toBe(230);
    expect(setup.ecs.stats.listTasksCalls - before).toBe(3);
    expect(await setup.launcher.runningTaskArns()).toHaveLength(230);
  });
});

describe('events', () => {
  it('ignores duplicated and reordered events by detail.version: started then finished, once each', async () => {
    const hold = held();
    const setup = await start(hold.options);
    const seen = record(setup);
    const scanTask = task('succeed');
    const handle = await launchOk(setup, scanTask);
    await waitFor(() =>
      hold.queue.some((e) => e.detail.taskArn === handle.id && e.detail.lastStatus === 'STOPPED'),
    );
    const mine = hold.queue.filter((e) => e.detail.taskArn === handle.id);
    const running = mine.find((e) => e.detail.lastStatus === 'RUNNING') as PublishedEvent;
    const stopped = mine.find((e) => e.detail.lastStatus === 'STOPPED') as PublishedEvent;
    const outcomes: EventOutcome[] = [];
    // At least once, out of order: RUNNING twice, then everything in reverse, then STOPPED again.
    for (const event of [running, running, ...[...mine].reverse(), stopped])
      outcomes.push(setup.launcher.handleEvent(event));
    expect(outcomes.slice(0, 2)).toEqual(['applied', 'duplicate']);
    expect(outcomes).toContain('stale');
    expect(outcomes.at(-1)).toBe('duplicate');
    expect(seen.types(scanTask.id)).toEqual(['started', 'finished']);
    const versions = seen.of(scanTask.id).map((e) => e.event.version);
    expect(versions).toEqual([running.detail.version, stopped.detail.version]);
  });

  it('a STOPPED event arriving before RUNNING reports started then finished, and the late RUNNING is stale', async () => {
    const hold = held();
    const setup = await start(hold.options);
    const seen = record(setup);
    const scanTask = task('fail');
    const handle = await launchOk(setup, scanTask);
    await waitFor(() =>
      hold.queue.some((e) => e.detail.taskArn === handle.id && e.detail.lastStatus === 'STOPPED'),
    );
    const mine = hold.queue.filter((e) => e.detail.taskArn === handle.id);
    const stopped = mine.find((e) => e.detail.lastStatus === 'STOPPED') as PublishedEvent;
    const running = mine.find((e) => e.detail.lastStatus === 'RUNNING') as PublishedEvent;
    expect(setup.launcher.handleEvent(stopped)).toBe('applied');
    expect(setup.launcher.handleEvent(running)).toBe('stale');
    expect(seen.types(scanTask.id)).toEqual(['started', 'failed']);
    const failed = seen.of(scanTask.id)[1]?.event;
    expect(failed?.error).toMatchObject({ code: 'TASK_FAILED', retryable: false, details: { exitCode: 1 } });
  });

  it('accepts an SQS message body (the event as JSON text) and ignores tasks it did not start', async () => {
    const hold = held();
    const setup = await start(hold.options);
    const seen = record(setup);
    const foreign = setup.ecs.createForeignTask('someone-else');
    await waitFor(() =>
      hold.queue.some((e) => e.detail.taskArn === foreign.arn && e.detail.lastStatus === 'RUNNING'),
    );
    for (const event of hold.queue) expect(setup.launcher.handleEvent(JSON.stringify(event))).toBe('foreign');
    expect(setup.launcher.handleEvent('{"detail-type":"EC2 Instance State-change Notification"}')).toBe(
      'invalid',
    );
    expect(seen.events).toEqual([]);
  });

  it('reports a Spot interruption and a start failure for lack of capacity as retryable failures', async () => {
    const setup = await start();
    const seen = record(setup);
    const spot = task('spot');
    const capacity = task('capacity');
    await setup.launcher.launch([spot, capacity]);
    await waitFor(() => seen.types(spot.id).includes('failed') && seen.types(capacity.id).includes('failed'));
    expect(seen.of(spot.id).at(-1)?.event.error).toMatchObject({
      retryable: true,
      details: { stopCode: 'SpotInterruption', reason: 'spot-interruption' },
    });
    expect(seen.types(capacity.id)).toEqual(['failed']);
    expect(seen.of(capacity.id)[0]?.event.error).toMatchObject({
      code: 'LAUNCH_FAILED',
      retryable: true,
      details: { stopCode: 'TaskFailedToStart', reason: 'capacity-unavailable' },
    });
  });
});

describe('stop', () => {
  it('really stops the Fargate task with StopTask and its reason; the task ends CANCELLED, a late RUNNING changes nothing', async () => {
    const hold = held();
    const setup = await start(hold.options);
    const seen = record(setup);
    const scanTask = task('hang');
    const handle = await launchOk(setup, scanTask);
    await waitFor(async () => (await setup.launcher.describe([handle]))[0]?.state === 'running');
    const running = hold.queue.find(
      (e) => e.detail.taskArn === handle.id && e.detail.lastStatus === 'RUNNING',
    );
    await setup.launcher.stop(handle, { reason: 'operator cancelled' });
    await waitFor(() => setup.ecs.tasks.get(handle.id)?.lastStatus === 'STOPPED');
    const ecsTask = setup.ecs.tasks.get(handle.id);
    expect(ecsTask?.stopCode).toBe('UserInitiated');
    expect(ecsTask?.stoppedReason).toBe('scanplane: operator cancelled');
    for (const event of hold.queue.filter((e) => e.detail.taskArn === handle.id && e !== running))
      setup.launcher.handleEvent(event);
    expect(setup.launcher.handleEvent(running)).toBe('stale');
    expect(seen.types(scanTask.id)).toEqual(['started', 'failed']);
    expect(seen.of(scanTask.id)[1]?.event.error).toMatchObject({ code: 'CANCELLED', retryable: false });
    expect(await setup.launcher.running()).toBe(0);
  });
});

describe('reconcile', () => {
  it('recovers a missed STOPPED event with DescribeTasks', async () => {
    const setup = await start({
      deliver: (event, send) => {
        if (event.detail.lastStatus !== 'STOPPED') setImmediate(() => send(event));
      },
    });
    const seen = record(setup);
    const scanTask = task('succeed');
    const handle = await launchOk(setup, scanTask);
    await waitFor(() => setup.ecs.tasks.get(handle.id)?.lastStatus === 'STOPPED');
    await waitFor(() => seen.types(scanTask.id).includes('started'));
    expect(seen.types(scanTask.id)).toEqual(['started']);
    const before = setup.ecs.stats.describeTasksCalls;
    const report = await setup.launcher.reconcile();
    expect(setup.ecs.stats.describeTasksCalls - before).toBe(1);
    expect(report.ended).toEqual([scanTask.id]);
    expect(seen.types(scanTask.id)).toEqual(['started', 'finished']);
    // A STOPPED event delivered late after all is a duplicate of what reconciliation applied.
    const stopped = setup.ecs.published.find(
      (e) => e.detail.taskArn === handle.id && e.detail.lastStatus === 'STOPPED',
    );
    expect(setup.launcher.handleEvent(stopped)).toBe('duplicate');
    expect((await setup.launcher.reconcile()).checked).toBe(0);
  });

  it('with a store, adopts after a restart the active tasks it no longer tracks and recovers their missed end', async () => {
    // Events never arrive: the process that launched is gone before they would have.
    const setup = await start({ deliver: () => undefined });
    const store = createMemoryStore();
    const first = createOrchestrator({ store, ledger: store, launcher: setup.launcher, maxConcurrent: 8 });
    first.start();
    const { created } = await store.create(
      ['succeed', 'hang'].map((behaviour) => ({
        project: 'fargate',
        kind: 'diagnostic',
        idempotencyKey: behaviour,
        maxAttempts: 1,
        status: 'queued' as const,
        payload: { arguments: { behaviour } },
      })),
      { at: Date.now() },
    );
    const [done, hang] = created as [(typeof created)[0], (typeof created)[0]];
    await first.dispatch();
    await waitFor(async () => (await store.list({ status: ['requested'] })).length === 2, {
      message: 'both tasks launched',
    });
    await first.close();
    const doneArn = (await store.get(done.id))?.handle?.id as string;
    const hangArn = (await store.get(hang.id))?.handle?.id as string;
    await waitFor(() => setup.ecs.tasks.get(doneArn)?.lastStatus === 'STOPPED', {
      message: 'one task to end',
    });
    await waitFor(() => setup.ecs.tasks.get(hangArn)?.lastStatus === 'RUNNING', { message: 'one to run' });

    // The restarted process: a new launcher on the same cluster, with the store, and nothing tracked.
    const restarted = createFargateLauncher({
      ecsConfig: setup.ecs.clientConfig,
      cluster: 'scans',
      taskDefinition: 'scanplane-worker:1',
      containerName: 'worker',
      subnets: ['subnet-0a1b2c3d'],
      securityGroups: ['sg-0a1b2c3d'],
      store,
    });
    cleanups.push(() => restarted.close());
    const second = createOrchestrator({ store, ledger: store, launcher: restarted, maxConcurrent: 8 });
    second.start();
    cleanups.push(() => second.close());
    const report = await restarted.reconcile();
    expect(report.checked).toBe(2);
    expect(report.ended).toEqual([done.id]);
    expect(report.started.sort()).toEqual([done.id, hang.id].sort()); // both were still `requested` in the store
    await waitFor(async () => (await store.get(done.id))?.status === 'finished', { message: 'finished' });
    await waitFor(async () => (await store.get(hang.id))?.status === 'started', { message: 'started' });
    // Tasks of another cluster in the same store are not described here (ECS would call them MISSING).
    await store.create(
      [{ project: 'fargate', kind: 'diagnostic', idempotencyKey: 'elsewhere', status: 'queued' as const }],
      { at: Date.now() },
    );
    const [elsewhere] = await store.list({ status: ['queued'] });
    await store.transition(elsewhere?.id as string, {
      to: 'requested',
      at: Date.now(),
      reason: 'launched on another cluster',
      patch: {
        handle: { launcher: 'fargate', id: 'arn:aws:ecs:us-east-1:123456789012:task/other/0123456789abcdef' },
      },
    });
    expect((await restarted.reconcile()).checked).toBe(1); // the hanging task only
  });

  it('describes in batches of 100', async () => {
    const setup = await start({}, { runTaskRatePerSecond: 10_000, runTaskBurst: 100 }, false);
    const results = await setup.launcher.launch(Array.from({ length: 150 }, () => task('hang')));
    expect(results.every((result) => result.ok)).toBe(true);
    await waitFor(() => [...setup.ecs.tasks.values()].every((t) => t.lastStatus === 'RUNNING'));
    const before = setup.ecs.stats.describeTasksCalls;
    const report = await setup.launcher.reconcile();
    expect(setup.ecs.stats.describeTasksCalls - before).toBe(2);
    expect(report.started).toHaveLength(150);
  });
});

describe('logs', () => {
  it('reads every page of the CloudWatch Logs stream, and the tail', async () => {
    const setup = await start({ logPageSize: 1 });
    const scanTask = task('succeed');
    const handle = await launchOk(setup, scanTask);
    await waitFor(async () => (await setup.launcher.describe([handle]))[0]?.state === 'stopped');
    const lines = await setup.launcher.logs(handle);
    expect(lines.map((line) => line.text)).toEqual([
      'conformance: succeed',
      'working',
      'SCANPLANE_RESULT {"ok":true}',
    ]);
    expect((await setup.launcher.logs(handle, { tail: 1 })).map((line) => line.text)).toEqual([
      'SCANPLANE_RESULT {"ok":true}',
    ]);
  });
});

describe('with the orchestrator', () => {
  it('a task runs to finished, and a cancelled task is stopped on ECS and stays cancelled', async () => {
    const setup = await start();
    const store = createMemoryStore();
    const orchestrator = createOrchestrator({
      store,
      ledger: store,
      launcher: setup.launcher,
      maxConcurrent: 8,
      intervalMs: 20,
    });
    orchestrator.start();
    cleanups.push(() => orchestrator.close());
    const { created } = await store.create(
      ['succeed', 'hang'].map((behaviour) => ({
        project: 'fargate',
        kind: 'diagnostic',
        idempotencyKey: behaviour,
        maxAttempts: 1,
        status: 'queued' as const,
        payload: { arguments: { behaviour } },
      })),
      { at: Date.now() },
    );
    const [done, hang] = created as [(typeof created)[0], (typeof created)[0]];
    await waitFor(async () => (await store.get(done.id))?.status === 'finished', {
      message: 'the task to finish',
    });
    await waitFor(async () => (await store.get(hang.id))?.status === 'started', {
      message: 'the hanging task to start',
    });
    await orchestrator.cancel(hang.id, 'no longer needed');
    const arn = (await store.get(hang.id))?.handle?.id as string;
    await waitFor(() => setup.ecs.tasks.get(arn)?.lastStatus === 'STOPPED', {
      message: 'the Fargate task to stop',
    });
    expect(setup.ecs.tasks.get(arn)?.stopCode).toBe('UserInitiated');
    expect((await store.get(hang.id))?.status).toBe('cancelled');
  });
});
