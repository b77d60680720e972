// Pull mode: generic workers launched up to 10 per RunTask call, scaled to the backlog within a maximum.
import { afterEach, describe, expect, it } from 'vitest';
import { createFargateWorkerPool, type FargateWorkerPoolOptions } from '../src/index.js';
import { type LocalEcs, startLocalEcs } from './support/local-ecs.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function pool(backlog: { value: number }, options: Partial<FargateWorkerPoolOptions> = {}) {
  const ecs: LocalEcs = await startLocalEcs();
  const created = createFargateWorkerPool({
    ecsConfig: ecs.clientConfig,
    cluster: 'scans',
    taskDefinition: 'scanplane-pull-worker:1',
    containerName: 'worker',
    subnets: ['subnet-0a1b2c3d'],
    queue: { depth: async () => backlog.value },
    max: 25,
    tasksPerWorker: 10,
    retryBaseMs: 5,
    ...options,
  });
  cleanups.push(async () => {
    await created.close();
    await ecs.close();
  });
  return { ecs, pool: created };
}

describe('createFargateWorkerPool', () => {
  it('launches ceil(backlog / tasksPerWorker) workers within max, 10 per RunTask call', async () => {
    const backlog = { value: 250 };
    const { ecs, pool: workers } = await pool(backlog);
    const report = await workers.scale();
    expect(report).toMatchObject({ backlog: 250, running: 0, desired: 25, calls: 3 });
    expect(report.launched).toHaveLength(25);
    expect(ecs.stats.runTaskCalls).toBe(3);
    const worker = [...ecs.tasks.values()][0];
    expect(worker?.startedBy).toBe('scanplane-workers');
    expect(worker?.tags).toContainEqual({ key: 'scanplane:role', value: 'worker' });
    expect(worker?.environment['SCANPLANE_COMMAND_OPTIONS']).toBeUndefined();
  });

  it('counts the running workers and launches only the difference', async () => {
    const backlog = { value: 50 };
    const { ecs, pool: workers } = await pool(backlog);
    expect((await workers.scale()).launched).toHaveLength(5);
    const again = await workers.scale();
    expect(again).toMatchObject({ running: 5, desired: 5, calls: 0 });
    backlog.value = 120;
    expect((await workers.scale()).launched).toHaveLength(7);
    expect(await workers.running()).toBe(12);
    expect(ecs.stats.tasksCreated).toBe(12);
  });

  it('reports a partial failure (capacity) and fills the gap on the next rescale', async () => {
    const backlog = { value: 100 };
    const { ecs, pool: workers } = await pool(backlog);
    ecs.failNextTasks(3);
    const first = await workers.scale();
    expect(first.launched).toHaveLength(7);
    expect(first.failures).toHaveLength(3);
    expect(first.failures[0]).toMatchObject({ code: 'LAUNCH_FAILED', retryable: true });
    const second = await workers.scale();
    expect(second.launched).toHaveLength(3);
    expect(await workers.running()).toBe(10);
  });

  it('keeps min workers with an empty queue and retries throttled calls', async () => {
    const backlog = { value: 0 };
    const { ecs, pool: workers } = await pool(backlog, { min: 2 });
    ecs.injectRunTask('throttle');
    const report = await workers.scale();
    expect(report.launched).toHaveLength(2);
    expect(ecs.stats.runTaskThrottled).toBe(1);
  });
});
