// Faults, each on a throwaway RabbitMQ node this file starts itself (never a shared broker), each counting every
// task: broker restarts under load, a worker process killed in the middle of a task, poison messages, and a stop
// while a project's tasks wait in the queue.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import {
  type CancelNotice,
  createMemoryStore,
  createOrchestrator,
  createWorker,
  type NewTask,
  type QueueDelivery,
  type QueueMessage,
  type ScanTask,
  type TaskHandler,
  type Worker,
} from '@scanplane/core';
import { waitFor } from '@scanplane/core/testing';
import { createPostgresStore } from '@scanplane/postgres';
import amqplib from 'amqplib';
import { afterEach, describe, expect, test } from 'vitest';
import {
  dropSchema,
  startTestServer,
  type TestServer,
  uniqueSchema,
} from '../../adapters-postgres/test/support/postgres-server.js';
import { createRabbitQueue, type RabbitQueue, type RabbitQueueOptions } from '../src/index.js';
import { startBroker, type TestBroker } from './support/rabbitmq-server.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

async function ownBroker(consumerTimeoutMs?: number): Promise<TestBroker> {
  const broker = await startBroker({
    own: true,
    ...(consumerTimeoutMs === undefined ? {} : { consumerTimeoutMs }),
  });
  cleanups.push(() => broker.stop());
  return broker;
}

/**
 * A queue on the test's broker. Waits for deliveries in these tests give up well before the default publish timeout
 * (30 s), so a publish whose confirm went missing fails a test instead of passing late.
 */
function rabbit(broker: TestBroker, options: Partial<RabbitQueueOptions> = {}): RabbitQueue {
  const queue = createRabbitQueue({ url: broker.url, prefix: 'faults', kinds: ['scan'], ...options });
  queue.events.on('error', () => {});
  cleanups.push(() => queue.close());
  return queue;
}

function started(worker: Worker): Worker {
  cleanups.push(() => worker.stop({ graceMs: 0 }));
  return worker;
}

function messageOf(task: ScanTask): QueueMessage {
  return { taskId: task.id, project: task.project, kind: task.kind, priority: task.priority };
}

const newTasks = (project: string, count: number, from = 0): NewTask[] =>
  Array.from({ length: count }, (_, i) => ({
    project,
    kind: 'scan',
    idempotencyKey: `${project}-${from + i}`,
    status: 'queued' as const,
  }));

/** A handler that counts its runs per task. */
function countingHandler(runs: Map<string, number>, work: () => Promise<void> = async () => {}): TaskHandler {
  return async (task) => {
    runs.set(task.id, (runs.get(task.id) ?? 0) + 1);
    await work();
    return { scanned: task.id };
  };
}

describe('RabbitMQ faults', () => {
  test('10,000 tasks published and consumed while the broker is restarted twice: each finished exactly once', async () => {
    const broker = await ownBroker();
    const store = createMemoryStore();
    const publisher = rabbit(broker, { publishTimeoutMs: 120_000 });
    const queues = [publisher];
    const disconnected = new Map<RabbitQueue, number>();
    const runs = new Map<string, number>();
    // Two workers, each on a connection of its own, like two processes.
    for (const id of ['w1', 'w2']) {
      const queue = rabbit(broker);
      queues.push(queue);
      const worker = started(
        createWorker({
          id,
          store,
          ledger: store,
          queue,
          kinds: ['scan'],
          concurrency: 16,
          handler: countingHandler(
            runs,
            () => new Promise((resolve) => setTimeout(resolve, Math.random() * 2)),
          ),
        }),
      );
      await worker.start();
    }
    for (const queue of queues) {
      queue.events.on('disconnected', () => disconnected.set(queue, (disconnected.get(queue) ?? 0) + 1));
    }
    const total = 10_000;
    const finished = async () => (await store.count({ project: 'restarts' })).finished;
    const publishing = (async () => {
      for (let from = 0; from < total; from += 250) {
        const { created } = await store.create(newTasks('restarts', 250, from), { at: Date.now() });
        await publisher.publish(created.map(messageOf));
      }
    })();
    for (const threshold of [2_000, 6_000]) {
      await waitFor(async () => (await finished()) >= threshold, {
        timeoutMs: 120_000,
        message: `${threshold} tasks finished`,
      });
      await broker.stopApp();
      await new Promise((resolve) => setTimeout(resolve, 1000));
      await broker.startApp();
      // Every connection back before the next restart, so each restart is one outage for each of them.
      await waitFor(
        async () => (await Promise.all(queues.map((queue) => queue.health()))).every((r) => r.ok),
        {
          timeoutMs: 60_000,
          message: 'every connection back',
        },
      );
    }
    await publishing;
    await waitFor(async () => (await finished()) === total, {
      timeoutMs: 180_000,
      message: 'every task finished',
    });
    const counts = await store.count({ project: 'restarts' });
    expect(counts.finished).toBe(total);
    expect(counts.failed + counts.queued + counts.started).toBe(0);
    expect(runs.size).toBe(total);
    expect([...runs.values()].filter((n) => n !== 1)).toEqual([]);
    for (const queue of queues) expect(disconnected.get(queue)).toBe(2);
    expect(await publisher.depth('scan')).toBe(0);
  }, 600_000);

  test('a worker process killed mid-task (SIGKILL): the task runs again elsewhere and is finished once', async () => {
    let server: TestServer | undefined;
    try {
      server = await startTestServer();
    } catch (error) {
      throw new Error(
        `this test needs PostgreSQL (the store shared by two processes): ${(error as Error).message}`,
      );
    }
    const pgServer = server;
    cleanups.push(() => pgServer.stop());
    const broker = await ownBroker();
    const schema = uniqueSchema('sp_rabbit');
    const store = await createPostgresStore({ connectionString: pgServer.connectionString, schema });
    cleanups.push(async () => {
      await dropSchema(store.pool as never, schema);
      await store.close();
    });
    const queue = rabbit(broker);
    const { created } = await store.create(
      [
        {
          project: 'kill',
          kind: 'scan',
          idempotencyKey: 'k1',
          status: 'queued',
          timeouts: { leaseMs: 1500 },
        },
      ],
      { at: Date.now() },
    );
    const task = created[0] as ScanTask;
    await queue.publish([messageOf(task)]);

    const child: ChildProcess = spawn(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(new URL('./fixtures/worker-process.ts', import.meta.url))],
      {
        cwd: fileURLToPath(new URL('..', import.meta.url)),
        env: {
          ...process.env,
          DATABASE_URL: pgServer.connectionString,
          SCHEMA: schema,
          AMQP_URL: broker.url,
          PREFIX: 'faults',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    cleanups.push(async () => child.kill('SIGKILL'));
    let output = '';
    child.stdout?.on('data', (chunk) => {
      output += String(chunk);
    });
    child.stderr?.on('data', (chunk) => {
      output += String(chunk);
    });
    await waitFor(() => output.includes(`started ${task.id}`), {
      timeoutMs: 60_000,
      message: `the child worker to start the task (its output: ${output})`,
    });
    expect((await store.get(task.id))?.workerId).toBe('doomed-worker');
    child.kill('SIGKILL');
    await once(child, 'exit');

    // The survivors: an orchestrator (its reaper finds the dead worker's lease expired and queues the task again)
    // and a worker in this process.
    const runs = new Map<string, number>();
    const deliveries: number[] = [];
    const survivorQueue = rabbit(broker);
    const observed: typeof survivorQueue = Object.assign(Object.create(survivorQueue), {
      consume: (
        handler: (delivery: QueueDelivery) => Promise<void>,
        options: Parameters<RabbitQueue['consume']>[1],
      ) =>
        survivorQueue.consume((delivery) => {
          deliveries.push(delivery.deliveryCount);
          return handler(delivery);
        }, options),
    });
    const orchestrator = createOrchestrator({ store, ledger: store, queue, intervalMs: 200 });
    orchestrator.start();
    cleanups.push(() => orchestrator.close());
    const worker = started(
      createWorker({
        id: 'survivor',
        store,
        ledger: store,
        queue: observed,
        kinds: ['scan'],
        handler: countingHandler(runs),
      }),
    );
    await worker.start();
    await waitFor(async () => (await store.get(task.id))?.status === 'finished', {
      timeoutMs: 60_000,
      message: 'the task to finish on the survivor',
    });
    const done = (await store.get(task.id)) as ScanTask;
    expect(done.workerId).toBe('survivor');
    expect(done.attempt).toBe(2);
    expect(done.history.some((entry) => entry.reason.startsWith('LEASE_EXPIRED'))).toBe(true);
    expect(runs.get(task.id)).toBe(1);
    // The broker redelivered the dead worker's unacknowledged message (dropped: its task was still started), and
    // the reaper's retry was delivered too.
    expect(deliveries).toContain(2);
  }, 300_000);

  for (const queueType of ['quorum', 'classic'] as const) {
    test(`${queueType}: a poison message is dead-lettered after the limit with the reason; the others are unaffected`, async () => {
      const broker = await ownBroker();
      const queue = rabbit(broker, { queueType, deliveryLimit: 3, prefix: `poison-${queueType}` });
      const fine = Array.from({ length: 20 }, () => ({
        taskId: randomUUID(),
        project: 'acme',
        kind: 'scan',
        priority: 1,
      }));
      const poison = { taskId: 'poison', project: 'acme', kind: 'scan', priority: 1 };
      await queue.publish([...fine.slice(0, 10), poison, ...fine.slice(10)]);
      // A message that is not a task at all, published by someone else.
      const connection = await amqplib.connect(broker.url);
      cleanups.push(() => connection.close());
      const channel = await connection.createConfirmChannel();
      channel.publish(queue.topology.tasks, 'scan', Buffer.from('not json'), { persistent: true });
      await channel.waitForConfirms();

      const seen: Array<{ taskId: string; count: number }> = [];
      const consumer = await queue.consume(
        async (delivery) => {
          seen.push({ taskId: delivery.message.taskId, count: delivery.deliveryCount });
          if (delivery.message.taskId === 'poison') throw new Error('boom');
          await delivery.ack();
        },
        { prefetch: 4, kinds: ['scan'] },
      );
      cleanups.push(() => consumer.close());
      const letters: Awaited<ReturnType<RabbitQueue['takeDeadLetters']>> = [];
      await waitFor(
        async () => {
          letters.push(...(await queue.takeDeadLetters()));
          return letters.length >= 2;
        },
        { timeoutMs: 15_000, message: 'two dead letters' },
      );
      expect(seen.filter((entry) => entry.taskId === 'poison').map((entry) => entry.count)).toEqual([
        1, 2, 3,
      ]);
      for (const message of fine) {
        expect(seen.filter((entry) => entry.taskId === message.taskId).map((entry) => entry.count)).toEqual([
          1,
        ]);
      }
      const poisoned = letters.find((letter) => letter.message?.taskId === 'poison');
      expect(poisoned?.deliveryCount).toBe(3);
      expect(poisoned?.reason).toMatch(
        /^delivery limit of 3 reached \(last: consumer handler threw: boom\)$/,
      );
      const malformed = letters.find((letter) => letter.message === undefined);
      expect(malformed?.body).toBe('not json');
      expect(malformed?.reason).toMatch(/^malformed message: the body \(8 bytes\) is not JSON$/);
      expect(await queue.depth('scan')).toBe(0);
    }, 120_000);

    test(`${queueType}: a message whose consumers die holding it is counted and dead-lettered after the limit`, async () => {
      const broker = await ownBroker();
      const queue = rabbit(broker, { queueType, deliveryLimit: 3, prefix: `crash-${queueType}` });
      await queue.publish([{ taskId: 'crasher', project: 'acme', kind: 'scan', priority: 1 }]);
      const counts: number[] = [];
      // Each consumer takes the message and "dies": its channel closes without an ack.
      for (let round = 0; round < 3; round++) {
        let got: (() => void) | undefined;
        const arrived = new Promise<void>((resolve) => {
          got = resolve;
        });
        const consumer = await queue.consume(
          async (delivery) => {
            counts.push(delivery.deliveryCount);
            got?.();
            await new Promise(() => {});
          },
          { prefetch: 1, kinds: ['scan'] },
        );
        await arrived;
        await consumer.close();
      }
      expect(counts).toEqual([1, 2, 3]);
      // The next delivery is past the limit: dead-lettered, never handed to a handler.
      const after: number[] = [];
      const last = await queue.consume(
        async (delivery) => {
          after.push(delivery.deliveryCount);
          await delivery.ack();
        },
        { prefetch: 1, kinds: ['scan'] },
      );
      cleanups.push(() => last.close());
      const letters: Awaited<ReturnType<RabbitQueue['takeDeadLetters']>> = [];
      await waitFor(
        async () => {
          letters.push(...(await queue.takeDeadLetters()));
          return letters.length >= 1;
        },
        { timeoutMs: 15_000, message: 'the dead letter' },
      );
      expect(letters[0]?.message?.taskId).toBe('crasher');
      expect(letters[0]?.reason).toBe('delivery limit of 3 reached');
      expect(after).toEqual([]);
    }, 120_000);
  }

  test('stop reaches a running task through the cancel broadcast: its AbortSignal fires at once, not at a heartbeat', async () => {
    const broker = await ownBroker();
    const store = createMemoryStore();
    const queue = rabbit(broker);
    const orchestrator = createOrchestrator({ store, ledger: store, queue, intervalMs: 200 });
    cleanups.push(() => orchestrator.close());
    let startedAt = 0;
    let abortedAt = 0;
    // A worker in "another process" (its own connection), with a long lease: its next heartbeat is 20 s away.
    const worker = started(
      createWorker({
        store,
        ledger: store,
        queue: rabbit(broker),
        kinds: ['scan'],
        leaseMs: 60_000,
        handler: (_task, context) =>
          new Promise((_, reject) => {
            startedAt = Date.now();
            context.signal.addEventListener('abort', () => {
              abortedAt = Date.now();
              reject(new Error('aborted'));
            });
          }),
      }),
    );
    await worker.start();
    const submitted = await orchestrator.submit('running', ['127.0.0.1'], { ports: '80', kind: 'scan' });
    await waitFor(() => startedAt > 0, { timeoutMs: 30_000, message: 'the task to start' });
    const stoppedAt = Date.now();
    await orchestrator.stop('running', 'test: stop while running');
    await waitFor(() => abortedAt > 0, { timeoutMs: 10_000, message: 'the handler to be aborted' });
    expect(abortedAt - stoppedAt).toBeLessThan(10_000);
    await waitFor(async () => (await store.get(submitted.taskIds[0] as string))?.status === 'cancelled', {
      timeoutMs: 10_000,
      message: 'the task cancelled',
    });
  }, 120_000);

  test('stop while 1,000 tasks are queued: none of them runs, including on a worker that connects afterwards', async () => {
    const broker = await ownBroker();
    const store = createMemoryStore();
    const queue = rabbit(broker);
    const orchestrator = createOrchestrator({ store, ledger: store, queue, intervalMs: 200 });
    cleanups.push(() => orchestrator.close());
    const submitted = await orchestrator.submit('acme', ['127.0.0.1'], {
      ports: '1-1000',
      maxPortsPerTask: 1,
      kind: 'scan',
    });
    expect(submitted.taskIds.length).toBe(1000);
    const other = await orchestrator.submit('other', ['127.0.0.1'], {
      ports: '1-10',
      maxPortsPerTask: 1,
      kind: 'scan',
    });
    // Some of acme's tasks wait in a delay queue (a retry backoff): the stop reaches them too.
    const later = await store.create(newTasks('acme', 5, 5000), { at: Date.now() });
    await queue.publish(
      later.created.map((task) => ({ ...messageOf(task), notBefore: Date.now() + 60_000 })),
    );
    await waitFor(async () => (await queue.depth()) === 1015, {
      timeoutMs: 30_000,
      message: '1,015 waiting',
    });

    const result = await orchestrator.stop('acme', 'test: stop acme');
    expect(result.cancelled).toBe(1005);
    expect(result.purged).toBe(1005);
    // A message for one of acme's tasks still on its way (published by another process before the stop).
    await queue.publish([messageOf((await store.get(submitted.taskIds[0] as string)) as ScanTask)]);

    const runs = new Map<string, number>();
    const lateQueue = rabbit(broker);
    const worker = started(
      createWorker({
        store,
        ledger: store,
        queue: lateQueue,
        kinds: ['scan'],
        concurrency: 4,
        handler: countingHandler(runs),
      }),
    );
    await worker.start();
    await waitFor(async () => (await store.count({ project: 'other' })).finished === 10, {
      timeoutMs: 30_000,
      message: "the other project's 10 tasks",
    });
    await waitFor(async () => (await queue.depth('scan')) === 0, {
      timeoutMs: 30_000,
      message: 'an empty queue',
    });
    expect(runs.size).toBe(10);
    for (const id of other.taskIds) expect(runs.get(id)).toBe(1);
    expect((await store.count({ project: 'acme' })).cancelled).toBe(1005);
  }, 180_000);
});

describe('RabbitMQ consumer timeout and long scans', () => {
  for (const handover of [true, false]) {
    test(`a scan longer than the broker's consumer_timeout, hand-over ${handover ? 'on' : 'off'}`, async () => {
      const broker = await ownBroker(2_000);
      const store = createMemoryStore();
      const queue = rabbit(broker, { consumerTimeoutMs: 2_000, handover });
      const handed: string[] = [];
      const resubscribed: string[] = [];
      queue.events.on('handover', (taskId) => handed.push(taskId));
      queue.events.on('resubscribed', (reason) => resubscribed.push(reason));
      const runs = new Map<string, number>();
      const worker = started(
        createWorker({
          store,
          ledger: store,
          queue,
          kinds: ['scan'],
          handler: countingHandler(runs, () => new Promise((resolve) => setTimeout(resolve, 6_000))),
        }),
      );
      await worker.start();
      const { created } = await store.create(newTasks('long', 1), { at: Date.now() });
      const task = created[0] as ScanTask;
      await queue.publish([messageOf(task)]);
      await waitFor(async () => (await store.get(task.id))?.status === 'finished', {
        timeoutMs: 60_000,
        message: 'the long task to finish',
      });
      expect(runs.get(task.id)).toBe(1);
      if (handover) {
        // Acknowledged before the timeout: the broker never closed the channel.
        expect(handed).toEqual([task.id]);
        expect(resubscribed).toEqual([]);
      } else {
        // The control: without the hand-over the broker closes the channel at its timeout (the delivery comes back
        // and is dropped, since its task is running) — so the timeout is real in this broker.
        expect(handed).toEqual([]);
        expect(resubscribed.length).toBeGreaterThanOrEqual(1);
      }
      await waitFor(async () => (await queue.depth('scan')) === 0, {
        timeoutMs: 10_000,
        message: 'an empty queue',
      });
    }, 120_000);
  }
});

describe('RabbitMQ reconnects', () => {
  test('a publish during an outage is confirmed once the broker is back; health follows the connection', async () => {
    const broker = await ownBroker();
    const queue = rabbit(broker, { publishTimeoutMs: 60_000 });
    await queue.connect();
    expect((await queue.health()).ok).toBe(true);
    await broker.stopApp();
    const report = await queue.health();
    expect(report.ok).toBe(false);
    const publishing = queue.publish([
      { taskId: 'during-outage', project: 'acme', kind: 'scan', priority: 1 },
    ]);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await broker.startApp();
    await publishing;
    await waitFor(async () => (await queue.health()).ok, { timeoutMs: 30_000, message: 'health ok again' });
    expect(await queue.depth('scan')).toBe(1);
  }, 120_000);

  test('a consumer the broker cancelled (its queue deleted) subscribes again and keeps consuming', async () => {
    const broker = await ownBroker();
    const queue = rabbit(broker);
    const received: string[] = [];
    const resubscribed: string[] = [];
    queue.events.on('resubscribed', (reason) => resubscribed.push(reason));
    const consumer = await queue.consume(
      async (delivery) => {
        received.push(delivery.message.taskId);
        await delivery.ack();
      },
      { prefetch: 1, kinds: ['scan'] },
    );
    cleanups.push(() => consumer.close());
    const connection = await amqplib.connect(broker.url);
    cleanups.push(() => connection.close());
    const channel = await connection.createChannel();
    await channel.deleteQueue('faults.tasks.scan');
    await waitFor(() => resubscribed.length > 0, {
      timeoutMs: 10_000,
      message: 'the consumer to subscribe again',
    });
    expect(resubscribed[0]).toMatch(/cancelled the consumer of faults\.tasks\.scan/);
    await queue.publish([{ taskId: 'after-delete', project: 'acme', kind: 'scan', priority: 1 }]);
    await waitFor(() => received.includes('after-delete'), { timeoutMs: 30_000, message: 'the new message' });
  }, 120_000);

  test("a user whose permissions cover only the prefix's names can publish, consume and hear cancels", async () => {
    const broker = await ownBroker();
    await broker.ctl(['add_user', 'scoped', 'scoped-secret']);
    const names = '^scoped\\.';
    await broker.ctl(['set_permissions', '-p', '/', 'scoped', names, names, names]);
    const url = broker.url.replace('guest:guest@', 'scoped:scoped-secret@');
    const errors: Error[] = [];
    const queue = createRabbitQueue({ url, prefix: 'scoped', kinds: ['scan'] });
    queue.events.on('error', (error) => errors.push(error));
    cleanups.push(() => queue.close());
    const heard: CancelNotice[] = [];
    queue.onCancel((notice) => heard.push(notice));
    const delivered: string[] = [];
    await queue.consume(
      async (delivery) => {
        delivered.push(delivery.message.taskId);
        await delivery.ack();
      },
      { prefetch: 1, kinds: ['scan'] },
    );
    await queue.publish([{ taskId: 'only-mine', project: 'p', kind: 'scan', priority: 1 }]);
    await queue.broadcastCancel({ taskIds: ['t-1'], reason: 'stopped' });
    await waitFor(() => delivered.length === 1 && heard.length === 1, {
      timeoutMs: 10_000,
      message: 'the delivery and the cancel notice',
    });
    expect(delivered).toEqual(['only-mine']);
    expect(heard).toEqual([{ taskIds: ['t-1'], reason: 'stopped' }]);
    expect(errors).toEqual([]);
    // Names outside its permissions: refused, typed, not retried.
    const outside = createRabbitQueue({ url, prefix: 'other', kinds: ['scan'] });
    outside.events.on('error', () => {});
    cleanups.push(() => outside.close());
    const refused = await outside.connect().catch((caught: unknown) => caught);
    expect(refused).toMatchObject({ code: 'PERMISSION_DENIED', retryable: false });
    expect(String((refused as Error).message)).toMatch(/access refused.*permissions on the virtual host/);
  }, 120_000);

  test('configuration errors are typed and say where', async () => {
    expect(() => createRabbitQueue({ url: 'amqp://127.0.0.1', prefix: 'bad prefix' })).toThrow(
      /prefix "bad prefix"/,
    );
    expect(() => createRabbitQueue({ url: 'amqp://127.0.0.1', deliveryLimit: -1 })).toThrow(
      /deliveryLimit must be an integer from 0/,
    );
    const broker = await ownBroker();
    const first = rabbit(broker, { prefix: 'limits', deliveryLimit: 3 });
    await first.connect();
    const second = rabbit(broker, { prefix: 'limits', deliveryLimit: 7 });
    const error = await second.connect().catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', retryable: false });
    expect(String((error as Error).message)).toMatch(/already exists with other arguments/);
    await expect(
      first.publish([{ taskId: 't', project: 'p', kind: 'has space', priority: 1 }]),
    ).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await expect(first.consume(async () => {}, { prefetch: 0, kinds: ['scan'] })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  }, 120_000);
});
