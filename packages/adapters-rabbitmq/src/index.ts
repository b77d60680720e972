/**
 * `@scanplane/rabbitmq`: the task queue port on RabbitMQ — confirmed, persistent publishing; quorum (or classic,
 * priority) work queues per kind; delivery limits with a dead-letter queue; delayed delivery through delay queues;
 * purge by project; a cancel broadcast; hand-over of long scans to the store's lease before the broker's consumer
 * timeout; and reconnection with backoff that declares the topology and re-subscribes consumers again.
 *
 * @example
 * ```ts
 * import { createRabbitQueue } from '@scanplane/rabbitmq';
 * const queue = createRabbitQueue({ url: 'amqp://guest:guest@127.0.0.1:5672', prefix: 'acme' });
 * await queue.publish([{ taskId: 't1', project: 'acme', kind: 'tcp-connect', priority: 1 }]);
 * await queue.close();
 * ```
 * @module
 */
export type { ReconnectOptions } from './amqp-session.js';
export {
  createRabbitQueue,
  type RabbitDeadLetter,
  type RabbitQueue,
  type RabbitQueueEvents,
  type RabbitQueueOptions,
} from './rabbit-queue.js';
export {
  checkKind,
  delayBucket,
  MAX_DELAY_BUCKET_MS,
  MIN_DELAY_MS,
  type RabbitQueueType,
  type TopologyNames,
  topologyNames,
} from './topology.js';
