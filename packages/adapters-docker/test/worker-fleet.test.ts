// Pull mode against a real engine: the worker fleet sizes itself by the queue's backlog between min and max, replaces
// crashed workers, and stops extra ones gracefully. (The workers here are stand-ins that idle until SIGTERM: what
// they run is the image's business; the fleet's is how many run.)
import { createMemoryQueue, type QueueMessage } from '@scanplane/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createDockerWorkerFleet, type DockerWorkerFleet, LABELS } from '../src/index.js';
import { startTestEngine, type TestEngine, uniqueOwner } from './support/docker-engine.js';

let engine: TestEngine;
const fleets: DockerWorkerFleet[] = [];

beforeAll(async () => {
  engine = await startTestEngine();
}, 180_000);

afterEach(async () => {
  for (const fleet of fleets.splice(0)) await fleet.close({ stopWorkers: true });
});

afterAll(async () => {
  await engine?.stop();
});

/** A stand-in worker: idles until SIGTERM, then exits 0 at once. */
const IDLE_WORKER = [
  '/usr/local/bin/node',
  '-e',
  "process.on('SIGTERM',()=>process.exit(0));setInterval(()=>{},60000)",
];

const messages = (count: number): QueueMessage[] =>
  Array.from({ length: count }, (_, i) => ({
    taskId: `t${i}`,
    project: 'fleet',
    kind: 'tcp-connect',
    priority: 1,
  }));

describe('docker worker fleet (pull mode)', () => {
  it('scales between min and max by the backlog, replaces crashed workers and stops extras gracefully', async () => {
    const owner = uniqueOwner('fleet');
    const queue = createMemoryQueue();
    const fleet = createDockerWorkerFleet({
      socketPath: engine.socketPath,
      image: engine.image,
      queue,
      owner,
      min: 1,
      max: 3,
      tasksPerWorker: 2,
      scaleDownAfterMs: 0,
      stopGraceMs: 2000,
      network: 'none',
      entrypoint: IDLE_WORKER,
      env: { WORKER_SETTING: 'x' },
    });
    fleets.push(fleet);

    // Empty queue: the minimum.
    let report = await fleet.scale();
    expect(report).toMatchObject({ backlog: 0, running: 0, desired: 1 });
    expect(report.started).toHaveLength(1);
    expect(await fleet.workers()).toHaveLength(1);

    // 5 waiting tasks at 2 per worker: 3 workers.
    await queue.publish(messages(5));
    report = await fleet.scale();
    expect(report).toMatchObject({ backlog: 5, running: 1, desired: 3 });
    expect(report.started).toHaveLength(2);

    // 40 waiting: still the maximum, 3.
    await queue.publish(messages(35));
    report = await fleet.scale();
    expect(report).toMatchObject({ backlog: 40, desired: 3, started: [], stopped: [] });
    const workers = await fleet.workers();
    expect(workers).toHaveLength(3);
    const info = await engine.docker.getContainer(workers[0] as string).inspect();
    expect(info.Config.Labels).toMatchObject({ [LABELS.owner]: owner, [LABELS.role]: 'worker' });
    expect(info.Config.Env).toEqual(
      expect.arrayContaining(['WORKER_SETTING=x', `SCANPLANE_WORKER_ID=${workers[0]}`]),
    );
    expect(info.HostConfig.Init).toBe(true);

    // A worker that dies is removed and replaced.
    await engine.docker.getContainer(workers[1] as string).kill();
    await new Promise((resolve) => setTimeout(resolve, 300));
    report = await fleet.scale();
    expect(report.removed).toEqual([workers[1]]);
    expect(report.started).toHaveLength(1);
    expect(await fleet.workers()).toHaveLength(3);

    // The queue empties: one worker stopped per rescale, down to the minimum.
    await queue.purge('fleet');
    report = await fleet.scale();
    expect(report).toMatchObject({ backlog: 0, running: 3, desired: 1 });
    expect(report.stopped).toHaveLength(1);
    report = await fleet.scale();
    expect(report.stopped).toHaveLength(1);
    report = await fleet.scale();
    expect(report).toMatchObject({ running: 1, desired: 1, stopped: [] });
    const all = await engine.docker.listContainers({
      all: true,
      filters: { label: [`${LABELS.owner}=${owner}`] },
    });
    expect(all).toHaveLength(1);
  });

  it('waits scaleDownAfterMs before stopping a worker', async () => {
    const queue = createMemoryQueue();
    const fleet = createDockerWorkerFleet({
      socketPath: engine.socketPath,
      image: engine.image,
      queue,
      owner: uniqueOwner('fleet'),
      max: 2,
      scaleDownAfterMs: 60_000,
      network: 'none',
      entrypoint: IDLE_WORKER,
    });
    fleets.push(fleet);
    await queue.publish(messages(2));
    expect((await fleet.scale()).started).toHaveLength(2);
    await queue.purge('fleet');
    const report = await fleet.scale();
    expect(report).toMatchObject({ desired: 0, running: 2, stopped: [] });
    expect(await fleet.workers()).toHaveLength(2);
  });

  it('refuses a maximum below the minimum', () => {
    expect(() => createDockerWorkerFleet({ image: 'x', queue: createMemoryQueue(), min: 3, max: 2 })).toThrow(
      /max must be/,
    );
  });
});
