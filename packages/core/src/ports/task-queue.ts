import type { HealthReport } from './health.js';

/**
 * A message on the queue: which task, plus what routing and dropping need without reading the store.
 *
 * @example
 * ```ts
 * import type { QueueMessage } from '@scanplane/core';
 * const message: QueueMessage = { taskId: 't1', project: 'acme', kind: 'tcp-connect', priority: 1 };
 * ```
 */
export interface QueueMessage {
  /** The task to run; the store holds everything else about it. */
  taskId: string;
  /** The task's project, so {@link TaskQueue.purge} can drop its messages. */
  project: string;
  /** Routes the message to workers for this kind. */
  kind: string;
  /** Higher first, where the queue supports priorities. */
  priority: number;
  /** Do not deliver before this time (epoch ms), where the queue supports delays. */
  notBefore?: number;
}

/**
 * One delivery of a message to a consumer. Ack it only after the task's outcome is recorded; nack to put it back
 * (optionally after a delay); a message delivered more than the queue's limit goes to its dead-letter place.
 *
 * @example
 * ```ts
 * import type { QueueDelivery } from '@scanplane/core';
 * async function handle(delivery: QueueDelivery) {
 *   await delivery.ack();
 * }
 * ```
 */
export interface QueueDelivery {
  /** The message delivered. */
  message: QueueMessage;
  /** 1 on first delivery, counting redeliveries. */
  deliveryCount: number;
  /** Done: remove the message. */
  ack(): Promise<void>;
  /** Not done: deliver it again (after `delayMs`, where supported), or dead-letter it with `requeue: false`. */
  nack(options?: { requeue?: boolean; delayMs?: number; reason?: string }): Promise<void>;
}

/**
 * A running consumer.
 *
 * @example
 * ```ts
 * import type { QueueConsumer } from '@scanplane/core';
 * async function shutdown(consumer: QueueConsumer) {
 *   await consumer.close();
 * }
 * ```
 */
export interface QueueConsumer {
  /** Stops taking deliveries; unacknowledged ones return to the queue. */
  close(): Promise<void>;
}

/**
 * A cancel broadcast: tasks whose work must stop wherever it runs.
 *
 * @example
 * ```ts
 * import type { CancelNotice } from '@scanplane/core';
 * const notice: CancelNotice = { taskIds: ['t1', 't2'], reason: 'project acme stopped' };
 * ```
 */
export interface CancelNotice {
  /** Tasks whose work must stop; a consumer not running one of them ignores it. */
  taskIds: string[];
  /** Why, for logs. */
  reason: string;
}

/**
 * What a queue implementation supports.
 *
 * @example
 * ```ts
 * import type { QueueCapabilities } from '@scanplane/core';
 * const caps: QueueCapabilities = { priorities: true, delayedDelivery: true, deliveryLimit: 5 };
 * ```
 */
export interface QueueCapabilities {
  /** Higher-priority messages are delivered first. */
  priorities: boolean;
  /** `notBefore` and `nack` delays are honoured. */
  delayedDelivery: boolean;
  /** Deliveries after which a message is dead-lettered (0: no limit). */
  deliveryLimit: number;
}

/**
 * The queue port: distributes task ids to workers. Publishing is confirmed (a publish that resolves is stored);
 * consumption has a per-consumer prefetch and explicit ack; a project's queued messages can be purged; cancel
 * notices reach every running consumer. Implementations: {@link createMemoryQueue} (embedded),
 * `@scanplane/rabbitmq`.
 *
 * @example
 * ```ts
 * import { createMemoryQueue } from '@scanplane/core';
 * const queue = createMemoryQueue();
 * await queue.publish([{ taskId: 't1', project: 'acme', kind: 'tcp-connect', priority: 1 }]);
 * const consumer = await queue.consume(async (delivery) => delivery.ack(), { prefetch: 1 });
 * ```
 */
export interface TaskQueue {
  /** A short name for logs and health reports. */
  readonly name: string;
  /** What this queue supports. */
  readonly capabilities: QueueCapabilities;
  /** Publishes messages; resolves once they are stored (confirmed). */
  publish(messages: readonly QueueMessage[], options?: { signal?: AbortSignal }): Promise<void>;
  /**
   * Starts a consumer that receives at most `prefetch` unacknowledged deliveries at a time, of the given kinds
   * (all kinds when omitted).
   */
  consume(
    handler: (delivery: QueueDelivery) => Promise<void>,
    options: { prefetch: number; kinds?: readonly string[]; signal?: AbortSignal },
  ): Promise<QueueConsumer>;
  /** Removes every queued (undelivered) message of a project; returns how many. */
  purge(project: string): Promise<number>;
  /** Messages waiting (undelivered), optionally of one kind. */
  depth(kind?: string): Promise<number>;
  /** Sends a cancel notice to every consumer. */
  broadcastCancel(notice: CancelNotice): Promise<void>;
  /** Listens for cancel notices; returns the unsubscribe function. */
  onCancel(listener: (notice: CancelNotice) => void): () => void;
  /** Checks the queue for real. */
  health(): Promise<HealthReport>;
  /** Closes connections; consumers stop. */
  close(): Promise<void>;
}
