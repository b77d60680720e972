// Pull mode for real: the worker fleet runs the worker image's pull worker (PULL_WORKER_ENTRYPOINT) in containers on
// network `host`, against a throwaway RabbitMQ node (the queue) and PostgreSQL cluster (store, ledger, registry); an
// orchestrator in this process submits a TCP connect scan of a listener this test opens on 127.0.0.1 (and of
// 127.0.0.2-127.0.0.4: loopback only). The fleet scales up by the backlog, the workers take and finish every task and
// register; scaling down and closing stop them with SIGTERM: they deregister and exit 0. A worker stopped in the
// middle of a task hands it back to the queue (retryable ABORTED) and another worker finishes it. A worker with a
// missing or invalid variable exits 2 at once, naming it.
import { once } from 'node:events';
import { createServer, type Server } from 'node:net';
import {
  createOrchestrator,
  type Orchestrator,
  type ScanTask,
  type TaskStatus,
  type TcpScanResult,
} from '@scanplane/core';
import { waitFor } from '@scanplane/core/testing';
import { createPostgresStore, type PostgresStore } from '@scanplane/postgres';
import { createRabbitQueue, type RabbitQueue } from '@scanplane/rabbitmq';
import type Docker from 'dockerode';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  dropSchema,
  startTestServer,
  type TestServer,
  uniqueSchema,
} from '../../adapters-postgres/test/support/postgres-server.js';
import { startBroker, type TestBroker } from '../../adapters-rabbitmq/test/support/rabbitmq-server.js';
import {
  createDockerWorkerFleet,
  type DockerWorkerFleet,
  type DockerWorkerFleetOptions,
  type FleetWorkerExit,
  LABELS,
  PULL_WORKER_ENTRYPOINT,
} from '../src/index.js';
import { FrameDemuxer } from '../src/log-lines.js';
import { startTestEngine, type TestEngine, uniqueOwner } from './support/docker-engine.js';

let engine: TestEngine | undefined;
let broker: TestBroker | undefined;
let database: TestServer | undefined;
const cleanups: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  // The three servers start side by side; whichever started is stopped again if another one failed.
  const [dockerd, rabbit, postgres] = await Promise.allSettled([
    startTestEngine(),
    startBroker(),
    startTestServer(),
  ]);
  if (dockerd.status === 'fulfilled') engine = dockerd.value;
  if (rabbit.status === 'fulfilled') broker = rabbit.value;
  if (postgres.status === 'fulfilled') database = postgres.value;
  const failed = [dockerd, rabbit, postgres].filter(
    (r): r is PromiseRejectedResult => r.status === 'rejected',
  );
  if (failed.length > 0) {
    throw new Error(
      `pull mode needs Docker, RabbitMQ and PostgreSQL: ${failed.map((r) => (r.reason as Error).message).join('\n')}`,
    );
  }
}, 180_000);

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

afterAll(async () => {
  await Promise.all([engine?.stop(), broker?.stop(), database?.stop()]);
});

const TERMINAL: readonly TaskStatus[] = ['finished', 'failed', 'cancelled'];

/** A deployment of one test: a schema, a queue prefix, the store and queue of this process, an orchestrator. */
interface Deployment {
  schema: string;
  prefix: string;
  owner: string;
  store: PostgresStore;
  queue: RabbitQueue;
  orchestrator: Orchestrator;
  /** The pull worker's environment for this deployment. */
  env: Record<string, string>;
}

async function deploy(kinds: string[]): Promise<Deployment> {
  const schema = uniqueSchema('sp_docker');
  const prefix = `sp-docker-${Math.random().toString(36).slice(2, 10)}`;
  const store = await createPostgresStore({ connectionString: database!.connectionString, schema });
  cleanups.push(async () => {
    await dropSchema(store.pool as never, schema);
    await store.close();
  });
  const queue = createRabbitQueue({ url: broker!.url, prefix, kinds });
  queue.events.on('error', () => undefined);
  cleanups.push(() => queue.close());
  await queue.connect();
  const orchestrator = createOrchestrator({ store, ledger: store, registry: store, queue, intervalMs: 500 });
  orchestrator.start();
  cleanups.push(() => orchestrator.close());
  return {
    schema,
    prefix,
    owner: uniqueOwner('pull'),
    store,
    queue,
    orchestrator,
    env: {
      SCANPLANE_DATABASE_URL: database!.connectionString,
      SCANPLANE_SCHEMA: schema,
      SCANPLANE_AMQP_URL: broker!.url,
      SCANPLANE_QUEUE_PREFIX: prefix,
      SCANPLANE_KINDS: kinds.join(','),
      SCANPLANE_CONCURRENCY: '1',
    },
  };
}

function fleetFor(
  deployment: Deployment,
  options: Partial<DockerWorkerFleetOptions> & Pick<DockerWorkerFleetOptions, 'max'>,
): DockerWorkerFleet {
  const fleet = createDockerWorkerFleet({
    socketPath: engine!.socketPath,
    image: engine!.image,
    entrypoint: PULL_WORKER_ENTRYPOINT,
    queue: deployment.queue,
    owner: deployment.owner,
    network: 'host',
    scaleDownAfterMs: 0,
    stopGraceMs: 10_000,
    resources: { memoryMiB: 256 },
    ...options,
    env: { ...deployment.env, ...options.env },
  });
  cleanups.push(async () => {
    await fleet.close({ stopWorkers: true });
    const left = await engine!.docker.listContainers({
      all: true,
      filters: { label: [`${LABELS.owner}=${deployment.owner}`] },
    });
    await Promise.all(left.map((c) => engine!.docker.getContainer(c.Id).remove({ force: true })));
  });
  return fleet;
}

/** The exit codes of the owner's containers, by name, from the daemon's `die` events. */
async function watchExits(owner: string): Promise<Map<string, number>> {
  const exits = new Map<string, number>();
  const stream = (await engine!.docker.getEvents({
    filters: {
      type: ['container'],
      event: ['die'],
      label: [`${LABELS.owner}=${owner}`],
    } as Docker.GetEventsOptions['filters'],
  })) as NodeJS.ReadableStream & { destroy(): void };
  let partial = '';
  stream.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString('utf8')).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (line.trim() === '') continue;
      const event = JSON.parse(line) as { Actor: { Attributes: Record<string, string> } };
      exits.set(event.Actor.Attributes['name'] ?? '', Number(event.Actor.Attributes['exitCode']));
    }
  });
  stream.on('error', () => undefined);
  cleanups.push(async () => stream.destroy());
  return exits;
}

/** Follows a container's output (stdout and stderr) from its start until it ends. */
function followOutput(name: string): { text: () => string } {
  let text = '';
  const demuxer = new FrameDemuxer((_stream, data) => {
    text += data.toString('utf8');
  });
  void engine!.docker
    .getContainer(name)
    .logs({ follow: true, stdout: true, stderr: true })
    .then((stream) => {
      stream.on('data', (chunk: Buffer) => demuxer.push(chunk));
      stream.on('error', () => undefined);
      cleanups.push(async () => (stream as NodeJS.ReadableStream & { destroy(): void }).destroy());
    })
    .catch(() => undefined);
  return { text: () => text };
}

async function listen(server: Server): Promise<number> {
  server.listen({ port: 0, host: '127.0.0.1' });
  await once(server, 'listening');
  return (server.address() as { port: number }).port;
}

const ids = async (deployment: Deployment): Promise<string[]> =>
  (await deployment.orchestrator.workers()).map((worker) => worker.id).sort();

describe('pull mode: a Docker worker fleet of real pull workers on RabbitMQ and PostgreSQL', () => {
  it('scales up by the backlog, scans 127.0.0.1-4 with real workers, scales down and closes gracefully', async () => {
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

    const deployment = await deploy(['tcp-connect']);
    const exits = await watchExits(deployment.owner);
    const fleet = fleetFor(deployment, { kind: 'tcp-connect', min: 2, max: 3, tasksPerWorker: 1 });

    // 4 addresses × 2 ports, one address and one port per task: 8 tasks waiting before any worker runs.
    const submitted = await deployment.orchestrator.submit(
      'pull',
      ['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4'],
      { ports: `${openPort},${closedPort}`, maxAddressesPerTask: 1, maxPortsPerTask: 1 },
    );
    expect(submitted.taskIds).toHaveLength(8);
    await waitFor(async () => (await deployment.queue.depth('tcp-connect')) === 8, {
      timeoutMs: 10_000,
      message: 'the 8 messages in the queue',
    });

    // A backlog of 8 at one task per worker: the maximum, 3.
    const up = await fleet.scale();
    expect(up).toMatchObject({ backlog: 8, running: 0, desired: 3 });
    expect(up.started).toHaveLength(3);
    const names = [...up.started].sort();
    const outputs = new Map(names.map((name) => [name, followOutput(name)]));

    const signal = AbortSignal.timeout(60_000);
    await deployment.orchestrator.waitForIdle('pull', { signal, pollMs: 100 });
    const tasks = await deployment.store.list({ project: 'pull' });
    expect(tasks).toHaveLength(8);
    for (const task of tasks) {
      expect(task.status, `${task.id}: ${JSON.stringify(task.error)}`).toBe('finished');
      expect(names).toContain(task.workerId);
    }
    const scanOf = (address: string, port: number): ScanTask =>
      tasks.find(
        (task) => task.target?.addresses.join() === `${address}/32` && task.target.ports === String(port),
      ) as ScanTask;
    expect((scanOf('127.0.0.1', openPort).result as TcpScanResult).open).toEqual([
      expect.objectContaining({ address: '127.0.0.1', port: openPort }),
    ]);
    expect(scanOf('127.0.0.1', closedPort).result).toMatchObject({ open: [], closed: 1 });
    for (const address of ['127.0.0.2', '127.0.0.3', '127.0.0.4']) {
      for (const port of [openPort, closedPort]) {
        // The listener is bound to 127.0.0.1 only: the other loopback addresses refuse.
        expect(scanOf(address, port).result, `${address}:${port}`).toMatchObject({ open: [], closed: 1 });
      }
    }
    expect(connections).toBeGreaterThanOrEqual(1);
    // The coverage reached the ledger too (dedup's "scanned when").
    const coverage = await deployment.store.scanned('pull', ['127.0.0.1/32'], 0);
    expect(coverage.map((record) => record.taskId)).toContain(scanOf('127.0.0.1', openPort).id);

    // Every worker of the fleet registered, under its container name, with its kinds and capacity.
    await waitFor(async () => (await ids(deployment)).length === 3, {
      timeoutMs: 30_000,
      message: 'the 3 workers in the registry',
    });
    expect(await ids(deployment)).toEqual(names);
    for (const worker of await deployment.orchestrator.workers()) {
      expect(worker).toMatchObject({ kinds: ['tcp-connect'], capacity: 1 });
    }
    const info = await engine!.docker.getContainer(names[0] as string).inspect();
    expect(info.HostConfig).toMatchObject({ Init: true, NetworkMode: 'host', Memory: 256 * 1048576 });
    expect(info.Config.Entrypoint).toEqual([...PULL_WORKER_ENTRYPOINT]);
    expect(info.Config.User).toBe('65534:65534');
    expect(info.Config.Env).toEqual(
      expect.arrayContaining([
        `SCANPLANE_WORKER_ID=${names[0]}`,
        // 10 s of Docker grace: the worker's own is 2.5 s shorter, to hand back its tasks before a SIGKILL.
        'SCANPLANE_STOP_GRACE_MS=7500',
      ]),
    );

    // A worker registers before it consumes: wait until each says it is ready, so the one stopped below is stopped
    // running, not while it is still starting (that case gives up the start instead).
    await waitFor(() => names.every((name) => /ready: kinds/.test(outputs.get(name)?.text() ?? '')), {
      timeoutMs: 30_000,
      message: 'the 3 workers ready',
    });

    // The queue is empty: one worker stopped (SIGTERM), down to the minimum of 2. It deregistered and exited 0,
    // well before Docker's SIGKILL.
    const startedStop = Date.now();
    const down = await fleet.scale();
    const stopTook = Date.now() - startedStop;
    expect(down).toMatchObject({ backlog: 0, running: 3, desired: 2 });
    expect(down.stopped).toHaveLength(1);
    const [stopped] = down.stopped as [string];
    expect(stopTook).toBeLessThan(7500);
    await waitFor(() => exits.has(stopped), { timeoutMs: 10_000, message: `the die event of ${stopped}` });
    expect(exits.get(stopped)).toBe(0);
    const remaining = names.filter((name) => name !== stopped);
    expect(await ids(deployment)).toEqual(remaining);
    expect((await fleet.workers()).sort()).toEqual(remaining);
    expect(outputs.get(stopped)?.text()).toMatch(/SIGTERM: stopping[\s\S]*stopped and deregistered/);

    // Closing the fleet stops the others the same way; nothing is left registered or running.
    await fleet.close({ stopWorkers: true });
    await waitFor(() => remaining.every((name) => exits.has(name)), {
      timeoutMs: 10_000,
      message: 'the die events of the last workers',
    });
    for (const name of remaining) {
      expect(exits.get(name), name).toBe(0);
      expect(outputs.get(name)?.text()).toMatch(/ready: kinds tcp-connect, concurrency 1/);
      expect(outputs.get(name)?.text()).toMatch(/stopped and deregistered/);
    }
    expect(await ids(deployment)).toEqual([]);
    expect(
      await engine!.docker.listContainers({
        all: true,
        filters: { label: [`${LABELS.owner}=${deployment.owner}`] },
      }),
    ).toEqual([]);
    // Which worker took which task: the output of the workers says so too.
    for (const task of tasks) {
      expect(outputs.get(task.workerId as string)?.text()).toContain(`task ${task.id} finished`);
    }
  });

  it('a worker stopped in the middle of a task hands it back (retryable ABORTED) and another worker finishes it', async () => {
    const deployment = await deploy(['diagnostic']);
    const exits = await watchExits(deployment.owner);
    // The worker's own grace is 500 ms (set explicitly: it wins over the fleet's default); the task sleeps 4 s.
    const options = { min: 1, max: 1, env: { SCANPLANE_STOP_GRACE_MS: '500' } };
    const first = fleetFor(deployment, options);
    const submitted = await deployment.orchestrator.submit('handback', ['127.0.0.1'], {
      ports: '1',
      kind: 'diagnostic',
      payload: { arguments: { behaviour: 'sleep', sleepMs: 4000 } },
    });
    const taskId = submitted.taskIds[0] as string;
    const [worker] = (await first.scale()).started as [string];
    const output = followOutput(worker);
    await waitFor(async () => (await deployment.store.get(taskId))?.status === 'started', {
      timeoutMs: 30_000,
      message: 'the first worker to start the task',
    });
    expect((await deployment.store.get(taskId))?.workerId).toBe(worker);

    await first.close({ stopWorkers: true });
    await waitFor(() => exits.has(worker), { timeoutMs: 10_000, message: `the die event of ${worker}` });
    expect(exits.get(worker)).toBe(0);
    const handedBack = (await deployment.store.get(taskId)) as ScanTask;
    expect(handedBack.status).toBe('queued');
    expect(handedBack.error).toMatchObject({ code: 'ABORTED', retryable: true });
    expect(handedBack.error?.message).toContain(`worker ${worker} shut down`);
    expect(output.text()).toMatch(/SIGTERM: stopping \(1 task\(s\) running, grace 500 ms/);
    expect(output.text()).toContain(`task ${taskId} queued again: ABORTED`);
    expect(await ids(deployment)).toEqual([]);

    // A new fleet's worker takes it from the queue and finishes it.
    const second = fleetFor(deployment, options);
    const [successor] = (await second.scale()).started as [string];
    await waitFor(async () => TERMINAL.includes((await deployment.store.get(taskId))?.status as TaskStatus), {
      timeoutMs: 60_000,
      message: 'the task to end on the second worker',
    });
    const done = (await deployment.store.get(taskId)) as ScanTask;
    expect(done.status, JSON.stringify(done.error)).toBe('finished');
    expect(done.workerId).toBe(successor);
    expect(done.result).toEqual({ ok: true, behaviour: 'sleep', sleptMs: 4000 });
    expect(done.history.map((step) => step.to)).toEqual([
      'queued',
      'started',
      'queued',
      'started',
      'finished',
    ]);
  });

  it('a pull worker with a missing or invalid variable exits 2 at once, naming it in its output', async () => {
    const owner = uniqueOwner('pull-config');
    cleanups.push(async () => {
      const left = await engine!.docker.listContainers({
        all: true,
        filters: { label: [`${LABELS.owner}=${owner}`] },
      });
      await Promise.all(left.map((c) => engine!.docker.getContainer(c.Id).remove({ force: true })));
    });
    const run = async (env: string[]): Promise<{ code: number; output: string }> => {
      const container = await engine!.docker.createContainer({
        Image: engine!.image,
        Entrypoint: [...PULL_WORKER_ENTRYPOINT],
        Env: env,
        Labels: { [LABELS.owner]: owner },
        HostConfig: { Init: true, NetworkMode: 'none' },
      });
      await container.start();
      const { StatusCode } = (await container.wait()) as { StatusCode: number };
      const logs = (await container.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer;
      let output = '';
      new FrameDemuxer((_stream, data) => {
        output += data.toString('utf8');
      }).push(logs);
      return { code: StatusCode, output };
    };

    const missing = await run(['SCANPLANE_AMQP_URL=amqp://guest:guest@127.0.0.1:5672']);
    expect(missing.code).toBe(2);
    expect(missing.output).toContain('invalid configuration, not starting');
    expect(missing.output).toContain('SCANPLANE_DATABASE_URL is not set');

    const invalid = await run([
      'SCANPLANE_DATABASE_URL=mysql://root:hunter2@127.0.0.1/scanplane',
      'SCANPLANE_AMQP_URL=amqp://guest:guest@127.0.0.1:5672',
      'SCANPLANE_CONCURRENCY=many',
      'SCANPLANE_KINDS=tcp-connect,nmap',
    ]);
    expect(invalid.code).toBe(2);
    expect(invalid.output).toContain('SCANPLANE_DATABASE_URL must be a postgres:// or postgresql:// URL');
    expect(invalid.output).toContain('SCANPLANE_CONCURRENCY must be an integer from 1 to 1000, got "many"');
    expect(invalid.output).toContain('SCANPLANE_KINDS: no handler runs kind "nmap"');
    expect(invalid.output).not.toContain('hunter2');

    // Through the fleet: the next rescale reports how the worker ended (exit 2, its last lines), removes and
    // replaces it.
    const deployment = await deploy(['tcp-connect']);
    const exits = await watchExits(deployment.owner);
    const fleet = fleetFor(deployment, {
      min: 1,
      max: 1,
      network: 'none',
      env: { SCANPLANE_CONCURRENCY: '0' },
    });
    const exited: FleetWorkerExit[] = [];
    fleet.events.on('worker:exited', (exit) => exited.push(exit));
    const [doomed] = (await fleet.scale()).started as [string];
    await waitFor(() => exits.has(doomed), { timeoutMs: 30_000, message: `the die event of ${doomed}` });
    // What the fleet reads: the container listing (it can lag the `die` event a little on a busy daemon).
    await waitFor(
      async () =>
        (await engine!.docker.listContainers({ all: true, filters: { name: [doomed] } }))[0]?.State ===
        'exited',
      { timeoutMs: 30_000, intervalMs: 50, message: `${doomed} listed as exited` },
    );
    expect(exits.get(doomed)).toBe(2);
    const report = await fleet.scale();
    expect(report.removed).toEqual([doomed]);
    expect(report.started).toHaveLength(1);
    expect(exited).toEqual([
      {
        name: doomed,
        exitCode: 2,
        oomKilled: false,
        logTail: [
          `[pull-worker] invalid configuration, not starting:`,
          '[pull-worker]   SCANPLANE_CONCURRENCY must be an integer from 1 to 1000, got "0"',
        ],
      },
    ]);
  });
});
