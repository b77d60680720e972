import { ScanplaneError } from '@scanplane/core';

/**
 * The queue type of the work, delay and dead-letter queues.
 *
 * - `quorum` (the default): replicated, durable, and the broker counts redeliveries itself (`x-delivery-count`), so
 *   a message that kills its worker again and again is still dead-lettered after the limit. No priorities before
 *   RabbitMQ 4.0 (4.0 adds two levels only), so `capabilities.priorities` is false.
 * - `classic`: durable classic queues with `x-max-priority`, so higher priorities are delivered first. The broker
 *   only flags a redelivery (`redelivered`), without a count: the adapter counts it itself by re-publishing such a
 *   message with its count before anyone runs it.
 *
 * @example
 * ```ts
 * import type { RabbitQueueType } from '@scanplane/rabbitmq';
 * const type: RabbitQueueType = 'classic'; // for priorities
 * ```
 */
export type RabbitQueueType = 'quorum' | 'classic';

/**
 * The names of everything the adapter declares under one prefix.
 *
 * @example
 * ```ts
 * import { topologyNames } from '@scanplane/rabbitmq';
 * topologyNames('scanplane').workQueue('tcp-connect'); // 'scanplane.tasks.tcp-connect'
 * ```
 */
export interface TopologyNames {
  /** The direct exchange tasks are published to, routed by kind. */
  tasks: string;
  /** The headers exchange delayed messages go through, routed by delay bucket. */
  delay: string;
  /** The fanout exchange dead letters go to. */
  dead: string;
  /** The queue holding dead letters. */
  deadQueue: string;
  /** The fanout exchange of cancel notices (each listening process binds its own exclusive queue). */
  cancel: string;
  /** The work queue of one kind. */
  workQueue(kind: string): string;
  /** The delay queue of one bucket (milliseconds). */
  delayQueue(ms: number): string;
}

const NAME_PART = /^[A-Za-z0-9_.:-]{1,120}$/;

/**
 * The names of the exchanges and queues under a prefix. The prefix and the kinds must be 1–120 characters of
 * letters, digits, `_`, `.`, `:` and `-`.
 *
 * @throws `INVALID_ARGUMENT` for a prefix outside that alphabet.
 * @example
 * ```ts
 * import { topologyNames } from '@scanplane/rabbitmq';
 * const names = topologyNames('acme-scans');
 * names.deadQueue; // 'acme-scans.dead'
 * ```
 */
export function topologyNames(prefix: string): TopologyNames {
  if (!NAME_PART.test(prefix)) {
    throw new ScanplaneError(
      'INVALID_ARGUMENT',
      `prefix ${JSON.stringify(prefix)} must be 1-120 characters of letters, digits, "_", ".", ":" and "-"`,
      { component: 'rabbitmq', details: { prefix } },
    );
  }
  return {
    tasks: `${prefix}.tasks`,
    delay: `${prefix}.delay`,
    dead: `${prefix}.dead`,
    deadQueue: `${prefix}.dead`,
    cancel: `${prefix}.cancel`,
    workQueue: (kind) => `${prefix}.tasks.${kind}`,
    delayQueue: (ms) => `${prefix}.delay.${ms}`,
  };
}

/**
 * Checks a task kind before it becomes a routing key and a queue name.
 *
 * @throws `INVALID_ARGUMENT` naming the kind and where it came from.
 * @example
 * ```ts
 * import { checkKind } from '@scanplane/rabbitmq';
 * checkKind('tcp-connect', 'publish'); // fine
 * ```
 */
export function checkKind(kind: string, where: string): string {
  if (typeof kind !== 'string' || !NAME_PART.test(kind)) {
    throw new ScanplaneError(
      'INVALID_ARGUMENT',
      `${where}: kind ${JSON.stringify(kind)} must be 1-120 characters of letters, digits, "_", ".", ":" and "-" (it names a RabbitMQ queue)`,
      { component: 'rabbitmq', details: { kind, where } },
    );
  }
  return kind;
}

// The E24 series of preferred numbers: 24 steps per decade, each at most ~15% above the one before (13 → 15).
const E24 = [10, 11, 12, 13, 15, 16, 18, 20, 22, 24, 27, 30, 33, 36, 39, 43, 47, 51, 56, 62, 68, 75, 82, 91];

/**
 * Shortest delay the broker is asked for, in milliseconds; anything shorter is delivered at once.
 *
 * @example
 * ```ts
 * import { MIN_DELAY_MS } from '@scanplane/rabbitmq';
 * const immediate = (notBefore: number) => notBefore - Date.now() <= MIN_DELAY_MS;
 * ```
 */
export const MIN_DELAY_MS = 10;
/**
 * Longest delay one trip through a delay queue makes, in milliseconds (about 6 days); longer delays make several
 * trips.
 *
 * @example
 * ```ts
 * import { MAX_DELAY_BUCKET_MS } from '@scanplane/rabbitmq';
 * const trips = (ms: number) => Math.ceil(ms / MAX_DELAY_BUCKET_MS);
 * ```
 */
export const MAX_DELAY_BUCKET_MS = 510_000_000;

/**
 * The delay bucket for a delay: the smallest E24 preferred number of milliseconds at or above it (so a message is
 * never early and at most ~15% late), capped at {@link MAX_DELAY_BUCKET_MS}. One delay queue exists per bucket
 * used — a few dozen at most — instead of one per distinct delay.
 *
 * @example
 * ```ts
 * import { delayBucket } from '@scanplane/rabbitmq';
 * delayBucket(1500); // 1500
 * delayBucket(1234); // 1300
 * ```
 */
export function delayBucket(ms: number): number {
  if (!(ms > MIN_DELAY_MS)) return MIN_DELAY_MS;
  if (ms >= MAX_DELAY_BUCKET_MS) return MAX_DELAY_BUCKET_MS;
  let scale = 1;
  while (ms > 91 * scale) scale *= 10;
  for (const step of E24) {
    const bucket = step * scale;
    if (bucket >= ms) return bucket;
  }
  return 100 * scale;
}

/** What the work queues need to know to be declared. */
export interface QueueShape {
  type: RabbitQueueType;
  deliveryLimit: number;
  maxPriority: number;
}

/** Arguments of a work queue (`<prefix>.tasks.<kind>`). */
export function workQueueArguments(shape: QueueShape, names: TopologyNames): Record<string, unknown> {
  const args: Record<string, unknown> = {
    'x-queue-type': shape.type,
    'x-dead-letter-exchange': names.dead,
  };
  if (shape.type === 'quorum') {
    // The broker's own limit is a backstop for crash loops; the adapter dead-letters at the same count with the
    // reason. At-least-once dead-lettering so a poison message is never dropped on its way to the dead queue.
    if (shape.deliveryLimit > 0) args['x-delivery-limit'] = shape.deliveryLimit;
    args['x-dead-letter-strategy'] = 'at-least-once';
    args['x-overflow'] = 'reject-publish';
  } else {
    args['x-max-priority'] = shape.maxPriority;
  }
  return args;
}

/** Arguments of a delay queue: messages wait `ms`, then are dead-lettered back to the tasks exchange by kind. */
export function delayQueueArguments(
  shape: QueueShape,
  names: TopologyNames,
  ms: number,
): Record<string, unknown> {
  const args: Record<string, unknown> = {
    'x-queue-type': shape.type,
    'x-message-ttl': ms,
    'x-dead-letter-exchange': names.tasks,
  };
  if (shape.type === 'quorum') {
    args['x-dead-letter-strategy'] = 'at-least-once';
    args['x-overflow'] = 'reject-publish';
  } else {
    args['x-max-priority'] = shape.maxPriority;
  }
  return args;
}

/** Arguments of the dead-letter queue. */
export function deadQueueArguments(shape: QueueShape): Record<string, unknown> {
  return { 'x-queue-type': shape.type };
}

/** The header that routes a message through the delay exchange to its bucket's queue. */
export const DELAY_HEADER = 'x-scanplane-delay';
/** The header carrying how many deliveries a message had before it was (re)published. */
export const DELIVERIES_HEADER = 'x-scanplane-deliveries';
/** The header carrying the last nack's reason, and a dead letter's reason. */
export const REASON_HEADER = 'x-scanplane-reason';
