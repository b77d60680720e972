import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type {
  CancelNotice,
  QueueConsumer,
  QueueDelivery,
  QueueMessage,
  TaskQueue,
} from '../ports/task-queue.js';
import {
  type ConformanceContext,
  type ConformanceOptions,
  type ConformanceSubject,
  defineConformanceSuite,
} from './conformance-harness.js';

/**
 * What the queue suite's `create` returns: a queue with no messages and no consumers, and optionally how to clean
 * up (the suite closes the queue itself after each test, then calls `cleanup`).
 *
 * @example
 * ```ts
 * import { createMemoryQueue } from '@scanplane/core';
 * import type { QueueSubject } from '@scanplane/core/testing';
 * const subject: QueueSubject = { queue: createMemoryQueue({ deliveryLimit: 3 }) };
 * ```
 */
export interface QueueSubject extends ConformanceSubject {
  /** The queue under test, empty. */
  queue: TaskQueue;
}

/**
 * Options for {@link runQueueConformance}. Tests of a capability the queue does not have (`priorities`,
 * `delayedDelivery`, a `deliveryLimit` above 0) fail with a message asking to skip them: list them in `skip` with
 * the reason, so the gap shows in the report.
 *
 * @example
 * ```ts
 * import { createMemoryQueue } from '@scanplane/core';
 * import type { QueueConformanceOptions } from '@scanplane/core/testing';
 * const options: QueueConformanceOptions = {
 *   name: 'memory, no delivery limit',
 *   create: async () => ({ queue: createMemoryQueue({ deliveryLimit: 0 }) }),
 *   skip: [{ reason: 'deliveryLimit is 0', tests: ['a message past the delivery limit is dead-lettered'] }],
 * };
 * ```
 */
export interface QueueConformanceOptions extends ConformanceOptions<QueueSubject> {
  /**
   * How long a message is delayed in the delayed-delivery tests (`notBefore`, and `nack` with `delayMs`), in
   * milliseconds. Default 1500.
   */
  delayMs?: number;
}

/** A received delivery and when it arrived. */
interface Received {
  delivery: QueueDelivery;
  at: number;
}

function message(overrides: Partial<QueueMessage> = {}): QueueMessage {
  return { taskId: randomUUID(), project: 'acme', kind: 'conformance', priority: 1, ...overrides };
}

const countOf = (received: readonly Received[], taskId: string): number =>
  received.filter((entry) => entry.delivery.message.taskId === taskId).length;

const skipHint = (what: string): string =>
  `the queue reports ${what}: list this test in the suite's skip option with that reason`;

/**
 * Registers the conformance tests of the {@link TaskQueue} port: each message delivered once when acknowledged,
 * per-consumer prefetch, the kinds filter, priorities, delayed delivery (`notBefore`, and `nack` with `delayMs`),
 * nack and redelivery counts, dead-lettering (rejected, or past the delivery limit) without disturbing other
 * messages, redelivery of what a closed consumer left unacknowledged, purge by project, depth, the cancel broadcast,
 * `health` and `close`. `create` is called once per test and must return an empty queue (a fresh prefix or vhost);
 * the suite closes it after each test. Waits poll with `waitFor`; that nothing more arrives is shown by a marker
 * message published afterwards, not by sleeping.
 *
 * @example
 * ```ts
 * import { createMemoryQueue } from '@scanplane/core';
 * import { runQueueConformance } from '@scanplane/core/testing';
 *
 * runQueueConformance({ name: 'memory', create: async () => ({ queue: createMemoryQueue({ deliveryLimit: 3 }) }) });
 * ```
 */
export function runQueueConformance(options: QueueConformanceOptions): void {
  const delayMs = options.delayMs ?? 1_500;
  const closed = new WeakSet<TaskQueue>();

  /** Starts a consumer that records deliveries and answers each with `answer`; closed after the test. */
  const consumer = async (
    queue: TaskQueue,
    context: ConformanceContext,
    answer: (delivery: QueueDelivery) => Promise<void>,
    consumeOptions: { prefetch: number; kinds?: readonly string[] } = { prefetch: 10 },
  ): Promise<{ received: Received[]; consumer: QueueConsumer }> => {
    const received: Received[] = [];
    const started = await queue.consume(async (delivery) => {
      received.push({ delivery, at: Date.now() });
      await answer(delivery);
    }, consumeOptions);
    let open = true;
    const wrapped: QueueConsumer = {
      async close() {
        if (!open) return;
        open = false;
        await started.close();
      },
    };
    context.defer(() => wrapped.close());
    return { received, consumer: wrapped };
  };

  /** Publishes a marker and waits until `received` has it: what was due before it has arrived by then. */
  const marker = async (
    queue: TaskQueue,
    context: ConformanceContext,
    received: readonly Received[],
    overrides: Partial<QueueMessage> = {},
  ): Promise<QueueMessage> => {
    const sent = message({ ...overrides, taskId: randomUUID() });
    await queue.publish([sent]);
    await context.until(() => countOf(received, sent.taskId) > 0, 'the marker message');
    return sent;
  };

  const depth = (queue: TaskQueue, context: ConformanceContext, expected: number, kind?: string) =>
    context.until(
      async () => (await queue.depth(kind)) === expected,
      `depth(${kind ?? ''}) to be ${expected}`,
    );

  defineConformanceSuite(
    'TaskQueue',
    options,
    {
      timeoutMs: 120_000,
      teardown: async ({ queue }) => {
        if (!closed.has(queue)) await queue.close();
      },
    },
    (test) => {
      test('publish then consume delivers every message exactly once when acked', async ({
        queue,
      }, context) => {
        const messages = Array.from({ length: 20 }, () => message());
        await queue.publish(messages);
        const { received } = await consumer(queue, context, (delivery) => delivery.ack(), { prefetch: 5 });
        await context.until(() => received.length >= 20, '20 deliveries');
        const last = await marker(queue, context, received);
        const delivered = received.filter((entry) => entry.delivery.message.taskId !== last.taskId);
        expect(delivered.map((entry) => entry.delivery.message.taskId).sort()).toEqual(
          messages.map((sent) => sent.taskId).sort(),
        );
        for (const entry of delivered) {
          expect(entry.delivery.deliveryCount).toBe(1);
          const sent = messages.find((candidate) => candidate.taskId === entry.delivery.message.taskId);
          expect(entry.delivery.message).toEqual(sent);
        }
        await depth(queue, context, 0);
      });

      test('depth counts the waiting messages, by kind', async ({ queue }, context) => {
        await depth(queue, context, 0);
        await queue.publish([
          message({ kind: 'alpha' }),
          message({ kind: 'alpha' }),
          message({ kind: 'alpha' }),
          message({ kind: 'beta' }),
          message({ kind: 'beta' }),
        ]);
        await depth(queue, context, 5);
        expect(await queue.depth('alpha')).toBe(3);
        expect(await queue.depth('beta')).toBe(2);
        expect(await queue.depth('gamma')).toBe(0);
      });

      test('a consumer never holds more unacknowledged deliveries than its prefetch', async ({
        queue,
      }, context) => {
        const total = 12;
        const prefetch = 3;
        const held: Array<{ delivery: QueueDelivery; release: () => void }> = [];
        let running = 0;
        let most = 0;
        context.defer(() => {
          for (const entry of held) entry.release();
        });
        await queue.publish(Array.from({ length: total }, () => message()));
        await consumer(
          queue,
          context,
          async (delivery) => {
            running++;
            most = Math.max(most, running);
            await new Promise<void>((release) => held.push({ delivery, release }));
          },
          { prefetch },
        );
        for (let acked = 0; acked < total; acked++) {
          await context.until(
            () => held.length >= Math.min(prefetch, total - acked),
            `${Math.min(prefetch, total - acked)} deliveries in flight`,
          );
          expect(most, 'handlers running at once').toBeLessThanOrEqual(prefetch);
          const next = held.shift() as (typeof held)[number];
          running--;
          await next.delivery.ack();
          next.release();
        }
        expect(most).toBe(prefetch);
        await depth(queue, context, 0);
      });

      test('a consumer receives only the kinds it asks for', async ({ queue }, context) => {
        const beta = message({ kind: 'beta' });
        const others = [message({ kind: 'alpha' }), message({ kind: 'gamma' }), message({ kind: 'alpha' })];
        await queue.publish([beta, ...others]);
        const picky = await consumer(queue, context, (delivery) => delivery.ack(), {
          prefetch: 10,
          kinds: ['alpha', 'gamma'],
        });
        await context.until(() => picky.received.length >= 3, 'the alpha and gamma messages');
        await marker(queue, context, picky.received, { kind: 'gamma' });
        expect(picky.received.map((entry) => entry.delivery.message.kind)).not.toContain('beta');
        await depth(queue, context, 1, 'beta');
        const any = await consumer(queue, context, (delivery) => delivery.ack());
        await context.until(() => countOf(any.received, beta.taskId) === 1, 'the beta message');
        expect(countOf(picky.received, beta.taskId)).toBe(0);
      });

      test('higher priority is delivered first', async ({ queue }, context) => {
        expect(queue.capabilities.priorities, skipHint('capabilities.priorities false')).toBe(true);
        const priorities = [1, 5, 3, 9, 0, 5, 7];
        await queue.publish(priorities.map((priority) => message({ priority })));
        await depth(queue, context, priorities.length);
        const { received } = await consumer(queue, context, (delivery) => delivery.ack(), { prefetch: 1 });
        await context.until(() => received.length >= priorities.length, 'every message');
        expect(received.map((entry) => entry.delivery.message.priority)).toEqual([9, 7, 5, 5, 3, 1, 0]);
      });

      test('a message is not delivered before its notBefore', async ({ queue }, context) => {
        expect(queue.capabilities.delayedDelivery, skipHint('capabilities.delayedDelivery false')).toBe(true);
        const delayed = message({ notBefore: Date.now() + delayMs });
        const now = message();
        await queue.publish([delayed, now]);
        const { received } = await consumer(queue, context, (delivery) => delivery.ack());
        await context.until(() => countOf(received, now.taskId) === 1, 'the message without notBefore');
        await context.until(() => countOf(received, delayed.taskId) === 1, 'the delayed message');
        expect(received.map((entry) => entry.delivery.message.taskId)).toEqual([now.taskId, delayed.taskId]);
        const arrival = received[1] as Received;
        // A little slack for timer granularity; no upper bound.
        expect(arrival.at, 'delivered before notBefore').toBeGreaterThanOrEqual(
          (delayed.notBefore ?? 0) - 50,
        );
      });

      test('a nack with delayMs redelivers the message no sooner than the delay', async ({
        queue,
      }, context) => {
        expect(queue.capabilities.delayedDelivery, skipHint('capabilities.delayedDelivery false')).toBe(true);
        const limit = queue.capabilities.deliveryLimit;
        expect(limit === 0 || limit >= 2, skipHint(`capabilities.deliveryLimit ${limit}`)).toBe(true);
        const sent = message();
        await queue.publish([sent]);
        let nackedAt = 0;
        const { received } = await consumer(queue, context, async (delivery) => {
          if (delivery.deliveryCount > 1) return delivery.ack();
          nackedAt = Date.now();
          await delivery.nack({ delayMs, reason: 'conformance: later' });
        });
        await context.until(() => countOf(received, sent.taskId) >= 2, 'the delayed redelivery');
        const again = received[1] as Received;
        expect(again.delivery.deliveryCount).toBe(2);
        // A little slack for timer granularity; no upper bound.
        expect(again.at - nackedAt, 'redelivered before the delay').toBeGreaterThanOrEqual(delayMs - 50);
      });

      test('nack puts a message back and deliveryCount counts the redelivery', async ({ queue }, context) => {
        const limit = queue.capabilities.deliveryLimit;
        expect(limit === 0 || limit >= 2, skipHint(`capabilities.deliveryLimit ${limit}`)).toBe(true);
        // Nacked until the last delivery the limit allows (at most the third), then acknowledged.
        const deliveries = limit === 0 ? 3 : Math.min(3, limit);
        const sent = message();
        await queue.publish([sent]);
        const { received } = await consumer(queue, context, (delivery) =>
          delivery.deliveryCount < deliveries
            ? delivery.nack({ reason: 'conformance: again' })
            : delivery.ack(),
        );
        await context.until(() => countOf(received, sent.taskId) >= deliveries, `${deliveries} deliveries`);
        await marker(queue, context, received);
        expect(
          received
            .filter((entry) => entry.delivery.message.taskId === sent.taskId)
            .map((entry) => entry.delivery.deliveryCount),
        ).toEqual(Array.from({ length: deliveries }, (_, i) => i + 1));
        await depth(queue, context, 0);
      });

      test('nack with requeue false dead-letters the message and leaves the others alone', async ({
        queue,
      }, context) => {
        const rejected = message();
        const others = [message(), message()];
        await queue.publish([rejected, ...others]);
        const { received } = await consumer(queue, context, (delivery) =>
          delivery.message.taskId === rejected.taskId
            ? delivery.nack({ requeue: false, reason: 'conformance: reject' })
            : delivery.ack(),
        );
        await context.until(() => received.length >= 3, 'three deliveries');
        await marker(queue, context, received);
        expect(countOf(received, rejected.taskId)).toBe(1);
        for (const other of others) expect(countOf(received, other.taskId)).toBe(1);
        await depth(queue, context, 0);
      });

      test('a message past the delivery limit is dead-lettered', async ({ queue }, context) => {
        const limit = queue.capabilities.deliveryLimit;
        expect(limit, skipHint('capabilities.deliveryLimit 0 (no limit)')).toBeGreaterThan(0);
        const poison = message();
        const fine = message();
        await queue.publish([poison, fine]);
        const { received } = await consumer(queue, context, (delivery) =>
          delivery.message.taskId === poison.taskId
            ? delivery.nack({ reason: 'conformance: poison' })
            : delivery.ack(),
        );
        await context.until(() => countOf(received, poison.taskId) >= limit, `${limit} deliveries`);
        await marker(queue, context, received);
        expect(
          received
            .filter((entry) => entry.delivery.message.taskId === poison.taskId)
            .map((entry) => entry.delivery.deliveryCount),
        ).toEqual(Array.from({ length: limit }, (_, i) => i + 1));
        expect(countOf(received, fine.taskId)).toBe(1);
        await depth(queue, context, 0);
      });

      test('unacknowledged deliveries of a closed consumer go to another consumer', async ({
        queue,
      }, context) => {
        const messages = [message(), message()];
        await queue.publish(messages);
        const releases: Array<() => void> = [];
        context.defer(() => {
          for (const release of releases) release();
        });
        const first = await consumer(
          queue,
          context,
          () => new Promise<void>((release) => releases.push(release)),
          { prefetch: 2 },
        );
        await context.until(() => first.received.length >= 2, 'two deliveries to the first consumer');
        await first.consumer.close();
        const second = await consumer(queue, context, (delivery) => delivery.ack());
        await context.until(() => second.received.length >= 2, 'two redeliveries to the second consumer');
        await marker(queue, context, second.received);
        for (const sent of messages) {
          const again = second.received.filter((entry) => entry.delivery.message.taskId === sent.taskId);
          expect(again.map((entry) => entry.delivery.deliveryCount)).toEqual([2]);
        }
        expect(first.received).toHaveLength(2);
      });

      test('purge removes only the waiting messages of one project and returns how many', async ({
        queue,
      }, context) => {
        const acme = [message(), message(), message()];
        const other = [message({ project: 'other' }), message({ project: 'other' })];
        await queue.publish([acme[0], other[0], acme[1], acme[2], other[1]] as QueueMessage[]);
        await depth(queue, context, 5);
        expect(await queue.purge('acme')).toBe(3);
        await depth(queue, context, 2);
        expect(await queue.purge('nobody')).toBe(0);
        const { received } = await consumer(queue, context, (delivery) => delivery.ack());
        await context.until(() => received.length >= 2, "the other project's messages");
        await marker(queue, context, received, { project: 'other' });
        expect(received.map((entry) => entry.delivery.message.project)).toEqual(['other', 'other', 'other']);
      });

      test('purge leaves delivered messages alone', async ({ queue }, context) => {
        const inFlight = message();
        await queue.publish([inFlight]);
        const held: QueueDelivery[] = [];
        const releases: Array<() => void> = [];
        context.defer(() => {
          for (const release of releases) release();
        });
        const { received } = await consumer(
          queue,
          context,
          (delivery) =>
            delivery.message.taskId === inFlight.taskId
              ? new Promise<void>((release) => {
                  held.push(delivery);
                  releases.push(release);
                })
              : delivery.ack(),
          { prefetch: 1 },
        );
        await context.until(() => held.length === 1, 'the first delivery');
        await queue.publish([message(), message()]);
        await depth(queue, context, 2);
        expect(await queue.purge('acme')).toBe(2);
        await (held[0] as QueueDelivery).ack();
        await marker(queue, context, received, { project: 'other' });
        expect(received.map((entry) => entry.delivery.message.project)).toEqual(['acme', 'other']);
        await depth(queue, context, 0);
      });

      test('broadcastCancel reaches every listener until it unsubscribes', async ({ queue }, context) => {
        const first: CancelNotice[] = [];
        const second: CancelNotice[] = [];
        const offFirst = queue.onCancel((notice) => first.push(notice));
        const offSecond = queue.onCancel((notice) => second.push(notice));
        context.defer(offSecond);
        const notice = { taskIds: [randomUUID(), randomUUID()], reason: 'conformance: project stopped' };
        await queue.broadcastCancel(notice);
        await context.until(() => first.length >= 1 && second.length >= 1, 'the notice at both listeners');
        expect(first).toEqual([notice]);
        expect(second).toEqual([notice]);
        offFirst();
        const later = { taskIds: [randomUUID()], reason: 'conformance: task cancelled' };
        await queue.broadcastCancel(later);
        await context.until(() => second.length >= 2, 'the second notice');
        expect(second).toEqual([notice, later]);
        expect(first).toEqual([notice]);
      });

      test('health reports ok', async ({ queue }) => {
        const report = await queue.health();
        expect(report.ok).toBe(true);
        expect(typeof report.component).toBe('string');
        expect(report.component).not.toBe('');
        expect(typeof report.detail).toBe('string');
      });

      test('after close, publish rejects and health is not ok', async ({ queue }) => {
        await queue.close();
        closed.add(queue);
        await expect(queue.publish([message()])).rejects.toThrow();
        const report = await queue.health().catch(() => undefined);
        expect(report?.ok ?? false).toBe(false);
      });
    },
  );
}
