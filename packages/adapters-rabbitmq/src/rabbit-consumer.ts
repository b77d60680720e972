import type { QueueConsumer, QueueDelivery, QueueMessage } from '@scanplane/core';
import type { Channel, ConsumeMessage, Message } from 'amqplib';
import type { AmqpSession } from './amqp-session.js';
import { sleep } from './amqp-session.js';
import { decodeMessage, headerCount } from './message-codec.js';
import type { MessageRouter } from './message-router.js';
import { DELIVERIES_HEADER, type RabbitQueueType, REASON_HEADER, type TopologyNames } from './topology.js';
import type { TopologyDeclarer } from './topology-declarer.js';

/** What a consumer reports to its queue's event emitter. */
export interface ConsumerReports {
  /** A delivery was handed over to the store's lease (acknowledged before the broker's consumer timeout). */
  handover(taskId: string, heldMs: number): void;
  /** A message was dead-lettered, and why. */
  deadLettered(taskId: string | undefined, reason: string): void;
  /** The consumer lost its channel and subscribes again. */
  resubscribed(reason: string): void;
  /** Something went wrong that the consumer recovers from. */
  error(error: Error): void;
}

export interface ConsumerConfig {
  session: AmqpSession;
  declarer: TopologyDeclarer;
  router: MessageRouter;
  names: TopologyNames;
  type: RabbitQueueType;
  kinds: readonly string[];
  prefetch: number;
  deliveryLimit: number;
  /** Acknowledge a delivery still held after this long (0: never), before the broker's consumer timeout. */
  handoverAfterMs: number;
  /** How often a consumer checks its channel with a round trip (0: never). */
  checkIntervalMs: number;
  handler: (delivery: QueueDelivery) => Promise<void>;
  reports: ConsumerReports;
}

/** One subscription: a channel and its consumer tags, alive until the channel closes. */
interface Subscription {
  channel: Channel;
  open: boolean;
  /** The consumer tag of each queue subscribed. */
  tags: string[];
}

/**
 * A consumer on one channel of its own, subscribed to the work queue of each of its kinds. The broker never hands
 * it more than `prefetch` unacknowledged messages per queue (per channel, with classic queues), and it never runs
 * more than `prefetch` handlers at once: with several kinds on quorum queues (which have no channel-wide prefetch)
 * the extra deliveries wait here, in order, and go back to the queue if they wait longer than the hand-over time.
 * When its channel closes under it (the connection dropped, the broker cancelled it, a queue was deleted, a
 * delivery timed out), it subscribes again; deliveries of the old channel are redelivered by the broker, so
 * acknowledging them does nothing.
 */
export class RabbitConsumer implements QueueConsumer {
  #config: ConsumerConfig;
  #subscription: Subscription | undefined;
  #closed = false;
  #running = 0;
  #waiting: RabbitDelivery[] = [];
  #held = new Set<RabbitDelivery>();
  #timer: ReturnType<typeof setInterval> | undefined;
  #lastCheck = Date.now();
  #subscribing: Promise<void> | undefined;
  #failures = 0;

  constructor(config: ConsumerConfig) {
    this.#config = config;
  }

  get config(): ConsumerConfig {
    return this.#config;
  }

  /** Subscribes; resolves once the broker has accepted every subscription. */
  async start(): Promise<void> {
    await this.#subscribe();
    const { handoverAfterMs, checkIntervalMs } = this.#config;
    const periods = [handoverAfterMs > 0 ? handoverAfterMs / 4 : 0, checkIntervalMs].filter((p) => p > 0);
    if (periods.length > 0) {
      const period = Math.max(50, Math.min(...periods, 10_000));
      this.#timer = setInterval(() => this.#sweep(), period);
      this.#timer.unref();
    }
  }

  async #subscribe(): Promise<void> {
    const connection = await this.#config.session.connection();
    const channel = await connection.createChannel();
    const subscription: Subscription = { channel, open: true, tags: [] };
    channel.on('error', (error: Error) => this.#config.reports.error(error));
    channel.on('close', () => {
      subscription.open = false;
      if (this.#subscription === subscription) this.#lost('its channel closed');
    });
    try {
      const { type, kinds, prefetch, declarer, names } = this.#config;
      // Classic queues share one limit across the channel's consumers; quorum queues only know per-consumer limits.
      await channel.prefetch(prefetch, type === 'classic' && kinds.length > 1);
      for (const kind of kinds) {
        await declarer.kind(kind);
        const { consumerTag } = await channel.consume(
          names.workQueue(kind),
          (raw) => this.#receive(subscription, kind, raw),
          { noAck: false },
        );
        subscription.tags.push(consumerTag);
      }
    } catch (error) {
      subscription.open = false;
      await channel.close().catch(() => {});
      throw error;
    }
    if (this.#closed) {
      subscription.open = false;
      await channel.close().catch(() => {});
      return;
    }
    this.#subscription = subscription;
    this.#failures = 0;
  }

  /** The channel is gone: forget what it delivered that has not started, and subscribe again. */
  #lost(reason: string): void {
    this.#subscription = undefined;
    if (this.#closed) return;
    // Deliveries of the closed channel that never started: the broker has them back; forget them here.
    this.#waiting = this.#waiting.filter((delivery) => {
      if (delivery.subscription.open) return true;
      this.#held.delete(delivery);
      return false;
    });
    this.#resubscribe(reason);
  }

  #resubscribe(reason: string): void {
    if (this.#subscribing !== undefined || this.#closed) return;
    this.#config.reports.resubscribed(reason);
    this.#subscribing = (async () => {
      while (!this.#closed && this.#subscription === undefined) {
        try {
          await this.#subscribe();
        } catch (error) {
          if (this.#config.session.closed) return;
          this.#failures++;
          this.#config.declarer.forget();
          this.#config.reports.error(error as Error);
          await sleep(Math.min(5000, 100 * 2 ** Math.min(this.#failures, 6)));
        }
      }
    })().finally(() => {
      this.#subscribing = undefined;
      // The new channel may have closed before this loop ended (its close found the loop still running): again.
      if (!this.#closed && this.#subscription === undefined && !this.#config.session.closed) {
        this.#resubscribe('its new channel closed at once');
      }
    });
  }

  #receive(subscription: Subscription, kind: string, raw: ConsumeMessage | null): void {
    if (raw === null) {
      // The broker cancelled the consumer (its queue was deleted, or a quorum leader moved): declare and subscribe
      // again on a new channel.
      this.#config.declarer.forget(kind);
      if (this.#subscription === subscription) {
        subscription.open = false;
        this.#subscription = undefined;
        void subscription.channel.close().catch(() => {});
        this.#lost(`the broker cancelled the consumer of ${this.#config.names.workQueue(kind)}`);
      }
      return;
    }
    // Closing: not run here; the channel's close returns it to the queue.
    if (this.#closed) return;
    this.#accept(subscription, raw);
  }

  /**
   * Counts, screens and dispatches one delivery: synchronously for the common case (a message due now, under the
   * limit); the rare ones (malformed, past the limit, a classic redelivery to count, early) are diverted.
   */
  #accept(subscription: Subscription, raw: ConsumeMessage): void {
    const { type, deliveryLimit } = this.#config;
    const decoded = decodeMessage(raw.content);
    const sofar = deliveriesSoFar(raw, type);
    if (
      typeof decoded === 'string' ||
      (type === 'classic' && raw.fields.redelivered) ||
      (deliveryLimit > 0 && sofar + 1 > deliveryLimit) ||
      (decoded.notBefore ?? 0) > Date.now() + 5
    ) {
      this.#divert(subscription, raw, decoded, sofar).catch((error) => {
        // Could not dead-letter, count or re-delay it (the broker is going away): the broker keeps it.
        settle(subscription, raw, 'requeue');
        this.#config.reports.error(error as Error);
      });
      return;
    }
    const delivery = new RabbitDelivery(this, subscription, raw, decoded, sofar + 1);
    this.#held.add(delivery);
    if (this.#running < this.#config.prefetch) this.#run(delivery);
    else this.#waiting.push(delivery);
  }

  /** The deliveries no handler sees: dead-lettered, counted and published again, or sent to wait again. */
  async #divert(
    subscription: Subscription,
    raw: ConsumeMessage,
    decoded: QueueMessage | string,
    sofar: number,
  ): Promise<void> {
    const { router, type, deliveryLimit, reports } = this.#config;
    const headers = raw.properties.headers ?? {};
    if (typeof decoded === 'string') {
      await router.deadLetter(undefined, raw.content, { deliveries: sofar + 1, reason: decoded });
      settle(subscription, raw, 'ack');
      reports.deadLettered(undefined, decoded);
    } else if (type === 'classic' && raw.fields.redelivered) {
      // A classic queue says only that this is a redelivery (a consumer died or closed holding it): count it by
      // publishing it again with its count, then drop this copy, before anyone runs it.
      await router.republish(decoded, { deliveries: sofar, ...reasonOf(headers) }, Date.now());
      settle(subscription, raw, 'ack');
    } else if (deliveryLimit > 0 && sofar + 1 > deliveryLimit) {
      const last = reasonOf(headers).reason;
      const reason = `delivery limit of ${deliveryLimit} reached${last === undefined ? '' : ` (last: ${last})`}`;
      await router.deadLetter(decoded, raw.content, { deliveries: sofar, reason });
      settle(subscription, raw, 'ack');
      reports.deadLettered(decoded.taskId, reason);
    } else {
      // Early (a clock ahead of ours, or a delay longer than one trip through a delay queue): wait again.
      await router.republish(decoded, { deliveries: sofar, ...reasonOf(headers) }, Date.now());
      settle(subscription, raw, 'ack');
    }
  }

  #run(delivery: RabbitDelivery): void {
    this.#running++;
    delivery.startedAt = Date.now();
    this.#config.handler(delivery).catch((error) => {
      // A throwing handler leaves its delivery unsettled: put it back as a failed delivery.
      void delivery.nack({ reason: `consumer handler threw: ${(error as Error)?.message ?? String(error)}` });
    });
  }

  /** A delivery is settled (or dropped): start the next waiting one. */
  released(delivery: RabbitDelivery): void {
    if (!this.#held.delete(delivery)) return;
    if (delivery.startedAt !== undefined) this.#running--;
    else this.#waiting = this.#waiting.filter((waiting) => waiting !== delivery);
    while (this.#running < this.#config.prefetch && this.#waiting.length > 0) {
      const next = this.#waiting.shift() as RabbitDelivery;
      if (next.subscription.open) this.#run(next);
      else this.#held.delete(next);
    }
  }

  /** Hands long-held deliveries over to the store's lease, returns long-waiting ones, and checks the channel. */
  #sweep(): void {
    const { handoverAfterMs, checkIntervalMs, reports } = this.#config;
    const now = Date.now();
    if (handoverAfterMs > 0) {
      for (const delivery of this.#held) {
        if (delivery.handedOver || now - delivery.receivedAt < handoverAfterMs) continue;
        if (delivery.startedAt === undefined) {
          // Waited here too long without running: back to the queue for another consumer, uncounted.
          void delivery.returnUnstarted().catch((error) => reports.error(error as Error));
        } else if (delivery.handOver()) {
          reports.handover(delivery.message.taskId, now - delivery.receivedAt);
        }
      }
    }
    const subscription = this.#subscription;
    if (checkIntervalMs > 0 && subscription !== undefined && now - this.#lastCheck >= checkIntervalMs) {
      this.#lastCheck = now;
      // A round trip on the consumer's own channel: a channel the broker closed without us hearing fails it.
      const queue = this.#config.names.workQueue(this.#config.kinds[0] as string);
      subscription.channel.checkQueue(queue).catch(() => {
        if (this.#subscription === subscription) {
          subscription.open = false;
          void subscription.channel.close().catch(() => {});
          this.#lost('its channel stopped answering');
        }
      });
    }
  }

  /** Stops taking deliveries; unacknowledged ones return to the queue. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    const subscription = this.#subscription;
    this.#subscription = undefined;
    this.#waiting = [];
    if (subscription !== undefined) {
      // Cancel first, then close: the cancel's round trip also makes the broker apply the acks just sent. Closing
      // at once was measured to return a few just-acknowledged messages of a quorum queue (RabbitMQ 3.10), to be
      // delivered again.
      for (const tag of subscription.tags) await subscription.channel.cancel(tag).catch(() => {});
      subscription.open = false;
      await subscription.channel.close().catch(() => {});
    }
    await this.#subscribing?.catch(() => {});
  }
}

/** Acknowledges or rejects a raw delivery on its channel, if the channel is still the one that delivered it. */
function settle(subscription: Subscription, raw: ConsumeMessage, how: 'ack' | 'requeue'): boolean {
  if (!subscription.open) return false;
  try {
    if (how === 'ack') subscription.channel.ack(raw);
    else subscription.channel.nack(raw, false, true);
    return true;
  } catch {
    return false;
  }
}

/**
 * Deliveries a message has had before this one: the count it was published with, plus what the broker counted
 * since (quorum queues' `x-delivery-count`; a classic queue's `redelivered` flag, one at most).
 */
export function deliveriesSoFar(raw: Message, type: RabbitQueueType): number {
  const headers = raw.properties.headers ?? {};
  const previous = headerCount(headers[DELIVERIES_HEADER]);
  if (type === 'quorum') return previous + headerCount(headers['x-delivery-count']);
  return previous + (raw.fields.redelivered ? 1 : 0);
}

/** The reason header as route options (kept when a message is published again). */
export function reasonOf(headers: Record<string, unknown>): { reason?: string } {
  const reason = headerReason(headers);
  return reason === undefined ? {} : { reason };
}

function headerReason(headers: Record<string, unknown>): string | undefined {
  const reason = headers[REASON_HEADER];
  return typeof reason === 'string' ? reason : Buffer.isBuffer(reason) ? reason.toString('utf8') : undefined;
}

type NackOptions = NonNullable<Parameters<QueueDelivery['nack']>[0]>;

/** One delivery to a handler. */
class RabbitDelivery implements QueueDelivery {
  readonly message: QueueMessage;
  readonly deliveryCount: number;
  readonly subscription: Subscription;
  readonly receivedAt = Date.now();
  startedAt: number | undefined;
  handedOver = false;
  #consumer: RabbitConsumer;
  #raw: ConsumeMessage;
  #settled = false;

  constructor(
    consumer: RabbitConsumer,
    subscription: Subscription,
    raw: ConsumeMessage,
    message: QueueMessage,
    deliveryCount: number,
  ) {
    this.#consumer = consumer;
    this.subscription = subscription;
    this.#raw = raw;
    this.message = message;
    this.deliveryCount = deliveryCount;
  }

  /** Acknowledges the broker's copy now; from then on the task store's lease is the guarantee. */
  handOver(): boolean {
    if (this.#settled || this.handedOver) return false;
    if (!settle(this.subscription, this.#raw, 'ack')) return false;
    this.handedOver = true;
    return true;
  }

  /** Puts a delivery that never started back in its queue (its count unchanged). */
  async returnUnstarted(): Promise<void> {
    if (this.#settled) return;
    this.#settled = true;
    const { router } = this.#consumer.config;
    try {
      // Its channel is gone: the broker has put it back already (a copy would be a duplicate).
      if (!this.subscription.open) return;
      await router.republish(this.message, { deliveries: this.deliveryCount - 1 }, Date.now());
      settle(this.subscription, this.#raw, 'ack');
    } catch {
      settle(this.subscription, this.#raw, 'requeue');
    } finally {
      this.#consumer.released(this);
    }
  }

  async ack(): Promise<void> {
    if (this.#settled) return;
    this.#settled = true;
    // After a hand-over the broker's copy is gone already; on a lost channel the broker redelivers it (and the
    // worker that gets it finds its task done).
    if (!this.handedOver) settle(this.subscription, this.#raw, 'ack');
    this.#consumer.released(this);
  }

  async nack(options: NackOptions = {}): Promise<void> {
    if (this.#settled) return;
    this.#settled = true;
    const { router, deliveryLimit, reports } = this.#consumer.config;
    const requeue = options.requeue ?? true;
    try {
      if (!this.subscription.open && !this.handedOver) return; // the broker redelivers it by itself
      if (!requeue || (deliveryLimit > 0 && this.deliveryCount >= deliveryLimit)) {
        const reason = !requeue
          ? (options.reason ?? 'rejected')
          : `delivery limit of ${deliveryLimit} reached${options.reason === undefined ? '' : ` (last: ${options.reason})`}`;
        await router.deadLetter(this.message, this.#raw.content, { deliveries: this.deliveryCount, reason });
        reports.deadLettered(this.message.taskId, reason);
      } else {
        const delayMs = Math.max(0, options.delayMs ?? 0);
        const now = Date.now();
        const message = delayMs > 0 ? { ...this.message, notBefore: now + delayMs } : this.message;
        await router.republish(
          message,
          {
            deliveries: this.deliveryCount,
            ...(options.reason === undefined ? {} : { reason: options.reason }),
          },
          now,
        );
      }
      if (!this.handedOver) settle(this.subscription, this.#raw, 'ack');
    } catch (error) {
      // Could not publish the copy: let the broker put the original back instead (it counts the return).
      if (!this.handedOver) settle(this.subscription, this.#raw, 'requeue');
      reports.error(error as Error);
    } finally {
      this.#consumer.released(this);
    }
  }
}
