import type { QueueMessage } from '@scanplane/core';
import type { Options } from 'amqplib';
import type { ConfirmPublisher, Outgoing } from './confirm-publisher.js';
import { encodeMessage } from './message-codec.js';
import {
  DELAY_HEADER,
  DELIVERIES_HEADER,
  delayBucket,
  MIN_DELAY_MS,
  type RabbitQueueType,
  REASON_HEADER,
  type TopologyNames,
} from './topology.js';
import type { TopologyDeclarer } from './topology-declarer.js';

/** How a message is (re)published: its delivery count so far, a reason, and what the broker property holds. */
export interface RouteOptions {
  /** Deliveries the message has had (0 for a new message). */
  deliveries: number;
  /** The last nack's reason, or a dead letter's reason. */
  reason?: string;
  /** The AMQP body, when re-publishing a message whose body is not a decodable queue message. */
  rawContent?: Buffer;
}

/**
 * Where every message goes: new and requeued messages to the tasks exchange by kind (or through the delay
 * exchange to the bucket's delay queue when they are due later), dead letters to the dead-letter exchange with
 * their reason. Every publish is confirmed; the topology a message needs is declared first.
 */
export class MessageRouter {
  #names: TopologyNames;
  #declarer: TopologyDeclarer;
  #publisher: ConfirmPublisher;
  #type: RabbitQueueType;
  #maxPriority: number;
  #publishTimeoutMs: number;

  constructor(options: {
    names: TopologyNames;
    declarer: TopologyDeclarer;
    publisher: ConfirmPublisher;
    type: RabbitQueueType;
    maxPriority: number;
    publishTimeoutMs: number;
  }) {
    this.#names = options.names;
    this.#declarer = options.declarer;
    this.#publisher = options.publisher;
    this.#type = options.type;
    this.#maxPriority = options.maxPriority;
    this.#publishTimeoutMs = options.publishTimeoutMs;
  }

  #properties(message: QueueMessage, route: RouteOptions): Options.Publish {
    const properties: Options.Publish = {
      persistent: true,
      contentType: 'application/json',
      messageId: message.taskId,
      mandatory: true,
      // Classic queues order by the AMQP priority, 0..x-max-priority; quorum queues (4.0+) read it too.
      priority: Math.max(0, Math.min(this.#maxPriority, Math.floor(message.priority))),
    };
    // A new message carries no headers at all (no count means none yet): the common case encodes no table.
    if (route.deliveries > 0 || route.reason !== undefined) {
      const headers: Record<string, unknown> = { [DELIVERIES_HEADER]: route.deliveries };
      if (route.reason !== undefined) headers[REASON_HEADER] = route.reason.slice(0, 1000);
      properties.headers = headers;
    }
    return properties;
  }

  /** The outgoing AMQP message for a queue message, due now or later (`notBefore`). */
  async outgoing(message: QueueMessage, route: RouteOptions, now: number): Promise<Outgoing> {
    await this.#declarer.kind(message.kind);
    const properties = this.#properties(message, route);
    const content = route.rawContent ?? encodeMessage(message);
    const wait = (message.notBefore ?? 0) - now;
    if (wait > MIN_DELAY_MS) {
      const bucket = delayBucket(wait);
      await this.#declarer.delay(bucket);
      properties.headers = { ...properties.headers, [DELAY_HEADER]: String(bucket) };
      return { exchange: this.#names.delay, routingKey: message.kind, content, options: properties };
    }
    return { exchange: this.#names.tasks, routingKey: message.kind, content, options: properties };
  }

  /** Publishes new messages (each with no deliveries yet); resolves once all are confirmed. */
  async publish(messages: readonly QueueMessage[], now: number, signal?: AbortSignal): Promise<void> {
    const kinds = new Set<string>();
    for (const message of messages) kinds.add(message.kind);
    await Promise.all([...kinds].map((kind) => this.#declarer.kind(kind)));
    const items: Outgoing[] = new Array(messages.length);
    let delayed = false;
    for (let i = 0; i < messages.length; i++) {
      const message = messages[i] as QueueMessage;
      if ((message.notBefore ?? 0) - now > MIN_DELAY_MS) {
        delayed = true;
        break;
      }
      items[i] = {
        exchange: this.#names.tasks,
        routingKey: message.kind,
        content: encodeMessage(message),
        options: this.#properties(message, { deliveries: 0 }),
      };
    }
    if (delayed) {
      for (let i = 0; i < messages.length; i++) {
        items[i] = await this.outgoing(messages[i] as QueueMessage, { deliveries: 0 }, now);
      }
    }
    await this.#publisher.publish(items, this.#publishTimeoutMs, signal);
  }

  /** Publishes a message again: back to its queue, or through a delay queue when it is due later. */
  async republish(message: QueueMessage, route: RouteOptions, now: number): Promise<void> {
    await this.republishAll([{ message, route }], now);
  }

  /** Publishes several messages again, confirmed together (one wait for the broker instead of one each). */
  async republishAll(
    items: ReadonlyArray<{ message: QueueMessage; route: RouteOptions }>,
    now: number,
  ): Promise<void> {
    const outgoing: Outgoing[] = [];
    for (const { message, route } of items) outgoing.push(await this.outgoing(message, route, now));
    await this.#publisher.publish(outgoing, this.#publishTimeoutMs);
  }

  /** Publishes a message to the dead-letter queue with its reason. */
  async deadLetter(message: QueueMessage | undefined, content: Buffer, route: RouteOptions): Promise<void> {
    await this.#declarer.base();
    const headers: Record<string, unknown> = {
      [DELIVERIES_HEADER]: route.deliveries,
      [REASON_HEADER]: (route.reason ?? 'rejected').slice(0, 1000),
    };
    const options: Options.Publish = { persistent: true, contentType: 'application/json', headers };
    if (message !== undefined) options.messageId = message.taskId;
    await this.#publisher.publish(
      [{ exchange: this.#names.dead, routingKey: message?.kind ?? '', content, options }],
      this.#publishTimeoutMs,
    );
  }
}
