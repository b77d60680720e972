import {
  type CancelNotice,
  type HealthReport,
  type QueueCapabilities,
  type QueueDelivery,
  type QueueMessage,
  ScanplaneError,
  type TaskQueue,
} from '@scanplane/core';
import type { Channel, GetMessage, Options } from 'amqplib';
import { EventEmitter } from 'eventemitter3';
import { translateAmqpError } from './amqp-errors.js';
import { AmqpSession, closedError, type ReconnectOptions } from './amqp-session.js';
import { CancelListener } from './cancel-listener.js';
import { ConfirmPublisher } from './confirm-publisher.js';
import { decodeMessage, headerCount } from './message-codec.js';
import { MessageRouter, type RouteOptions } from './message-router.js';
import { deliveriesSoFar, RabbitConsumer, reasonOf } from './rabbit-consumer.js';
import {
  checkKind,
  DELIVERIES_HEADER,
  type RabbitQueueType,
  REASON_HEADER,
  type TopologyNames,
  topologyNames,
} from './topology.js';
import { TopologyDeclarer } from './topology-declarer.js';

/**
 * Options of {@link createRabbitQueue}.
 *
 * @example
 * ```ts
 * import type { RabbitQueueOptions } from '@scanplane/rabbitmq';
 * const options: RabbitQueueOptions = {
 *   url: 'amqp://guest:guest@127.0.0.1:5672',
 *   prefix: 'acme',
 *   kinds: ['tcp-connect', 'nmap'],
 *   deliveryLimit: 5,
 * };
 * ```
 */
export interface RabbitQueueOptions {
  /** The broker: an AMQP URL (`amqp://user:pass@host:5672/vhost`, `amqps://…`) or amqplib's connect options. */
  url: string | Options.Connect;
  /** Extra socket options for amqplib (TLS certificates and the like). */
  socketOptions?: Record<string, unknown>;
  /**
   * The prefix of every exchange and queue (`<prefix>.tasks.<kind>`, `<prefix>.dead`, …): deployments with
   * different prefixes share a broker without seeing each other's messages. Default `scanplane`.
   */
  prefix?: string;
  /** `quorum` (default: durable, replicated, counted redeliveries) or `classic` (priorities). See {@link RabbitQueueType}. */
  queueType?: RabbitQueueType;
  /**
   * Deliveries after which a message goes to the dead-letter queue (`<prefix>.dead`) with the reason, instead of
   * being delivered again. Default 5; 0 for no limit. With quorum queues it is also set as the queue's
   * `x-delivery-limit`, which cannot change once the queue exists (declaring it again with another value fails
   * with `INVALID_ARGUMENT`).
   */
  deliveryLimit?: number;
  /** Classic queues: the highest priority (`x-max-priority`, 1–255); message priorities are clamped to 0..it. Default 10. */
  maxPriority?: number;
  /** Kinds declared on connect and taken by consumers that name no kinds (besides every kind this process used). */
  kinds?: readonly string[];
  /** How long a publish waits for the broker's confirms before it rejects with `TIMEOUT`. Default 30000 ms. */
  publishTimeoutMs?: number;
  /**
   * The broker's delivery acknowledgement timeout (`consumer_timeout`), in milliseconds: 30 minutes unless the
   * broker is configured otherwise. A delivery still unacknowledged shortly before it (half of it, at most a minute
   * before) is acknowledged by the adapter — handed over to the task store's lease, which the worker keeps renewing
   * and the orchestrator's reaper enforces — so a scan longer than the timeout does not get its channel closed.
   * Default 1800000.
   */
  consumerTimeoutMs?: number;
  /** Hand long deliveries over to the store's lease before the consumer timeout (see `consumerTimeoutMs`). Default true. */
  handover?: boolean;
  /** AMQP heartbeat, in seconds: a connection that stops answering is dropped (and re-established) after about twice it. Default 10. */
  heartbeatSeconds?: number;
  /** Backoff between reconnect attempts. Default from 100 ms, doubling, up to 5000 ms, with jitter. */
  reconnect?: ReconnectOptions;
  /** How often each consumer checks its channel with a round trip, in milliseconds (0: never). Default 30000. */
  checkIntervalMs?: number;
}

/**
 * What {@link RabbitQueue} reports as it runs.
 *
 * @example
 * ```ts
 * import type { RabbitQueueEvents } from '@scanplane/rabbitmq';
 * const onDown: RabbitQueueEvents['disconnected'][0] = (error) => console.warn(`broker lost: ${error.message}`);
 * ```
 */
export interface RabbitQueueEvents {
  /** A connection to the broker is up (`generation` counts them: 1 for the first). */
  connected: [generation: number];
  /** The connection was lost; the adapter reconnects by itself. */
  disconnected: [error: Error];
  /** A connection attempt failed; the next one follows after `delayMs`. */
  reconnecting: [error: Error, delayMs: number];
  /** A long delivery was acknowledged before the broker's consumer timeout; the store's lease guards it now. */
  handover: [taskId: string, heldMs: number];
  /** A message went to the dead-letter queue. */
  deadLettered: [taskId: string | undefined, reason: string];
  /** A consumer lost its channel and subscribed again. */
  resubscribed: [reason: string];
  /** Something failed that the adapter recovers from (a channel error, a failed re-subscription). */
  error: [error: Error];
}

/**
 * A message taken from the dead-letter queue by `takeDeadLetters` ({@link RabbitQueue}).
 *
 * @example
 * ```ts
 * import type { RabbitDeadLetter } from '@scanplane/rabbitmq';
 * const letter: RabbitDeadLetter = { message: undefined, body: 'not json', deliveryCount: 1, reason: 'malformed message: the body (8 bytes) is not JSON' };
 * ```
 */
export interface RabbitDeadLetter {
  /** The message, when its body is one. */
  message: QueueMessage | undefined;
  /** The raw body, as text. */
  body: string;
  /** Deliveries it had. */
  deliveryCount: number;
  /** Why it was dead-lettered. */
  reason: string;
}

/**
 * The task queue port on RabbitMQ, plus what operating it needs.
 *
 * @example
 * ```ts
 * import { createRabbitQueue } from '@scanplane/rabbitmq';
 * const queue = createRabbitQueue({ url: 'amqp://guest:guest@127.0.0.1:5672' });
 * queue.events.on('disconnected', (error) => console.warn(error.message));
 * ```
 */
export type RabbitQueue = TaskQueue & {
  /** Connection, hand-over and dead-letter events. */
  readonly events: EventEmitter<RabbitQueueEvents>;
  /** The names of the exchanges and queues this queue uses. */
  readonly topology: TopologyNames;
  /** Connects and declares the topology (and the configured kinds) now, instead of on first use. */
  connect(): Promise<void>;
  /** Takes (removes) up to `limit` messages from the dead-letter queue, oldest first. */
  takeDeadLetters(limit?: number): Promise<RabbitDeadLetter[]>;
  /** The queues this process has declared or used: the work queues of its kinds, its delay queues, the dead-letter queue. */
  declaredQueues(): string[];
};

/**
 * Creates the task queue on RabbitMQ (amqplib). It connects on first use and reconnects by itself with backoff,
 * declaring its topology again and re-subscribing its consumers.
 *
 * - **Topology** (all durable, under `prefix`): a direct exchange `<prefix>.tasks` routing each message by kind to
 *   the work queue `<prefix>.tasks.<kind>` (one per kind, so each kind can have its own pool of workers); a headers
 *   exchange `<prefix>.delay` with one delay queue per delay bucket, whose expired messages return to the tasks
 *   exchange; the dead-letter exchange and queue `<prefix>.dead`; the fanout exchange `<prefix>.cancel`.
 * - **Publishing**: persistent messages, publisher confirms, `mandatory` (an unroutable message is an error), a
 *   time limit; messages unconfirmed when a connection drops are sent again on the next one.
 * - **Consuming**: a channel per consumer with its prefetch (1 by default in the worker), explicit ack after the
 *   outcome is recorded, a delivery count across redeliveries (`x-delivery-count` with quorum queues, counted by
 *   the adapter with classic ones) and the dead-letter queue after `deliveryLimit` deliveries, with the reason.
 * - **Long scans**: deliveries held close to the broker's `consumer_timeout` are handed over to the store's lease.
 * - **Stop**: `purge(project)` removes the project's waiting messages (its work queues and the delay queues this
 *   process knows), and `broadcastCancel` reaches every process listening with `onCancel`.
 *
 * @example
 * ```ts
 * import { createMemoryStore, createWorker, createTcpConnectScanner } from '@scanplane/core';
 * import { createRabbitQueue } from '@scanplane/rabbitmq';
 *
 * const queue = createRabbitQueue({ url: 'amqp://guest:guest@127.0.0.1:5672', kinds: ['tcp-connect'] });
 * const store = createMemoryStore();
 * const worker = createWorker({ store, ledger: store, queue, handler: createTcpConnectScanner(), kinds: ['tcp-connect'] });
 * await worker.start();
 * ```
 */
export function createRabbitQueue(options: RabbitQueueOptions): RabbitQueue {
  const type = options.queueType ?? 'quorum';
  if (type !== 'quorum' && type !== 'classic') {
    throw invalid(`queueType must be "quorum" or "classic", not ${JSON.stringify(type)}`, 'queueType');
  }
  const deliveryLimit = integerOption(options.deliveryLimit, 5, 0, 1_000_000, 'deliveryLimit');
  const maxPriority = integerOption(options.maxPriority, 10, 1, 255, 'maxPriority');
  const publishTimeoutMs = integerOption(options.publishTimeoutMs, 30_000, 1, 86_400_000, 'publishTimeoutMs');
  const consumerTimeoutMs = integerOption(
    options.consumerTimeoutMs,
    1_800_000,
    100,
    2 ** 31,
    'consumerTimeoutMs',
  );
  const heartbeatSeconds = integerOption(options.heartbeatSeconds, 10, 0, 3600, 'heartbeatSeconds');
  const checkIntervalMs = integerOption(options.checkIntervalMs, 30_000, 0, 86_400_000, 'checkIntervalMs');
  const handoverAfterMs =
    options.handover === false ? 0 : consumerTimeoutMs - Math.min(60_000, Math.floor(consumerTimeoutMs / 2));
  if (options.url === undefined || options.url === '') throw invalid('url is required', 'url');
  const names = topologyNames(options.prefix ?? 'scanplane');
  const configuredKinds = (options.kinds ?? []).map((kind) => checkKind(kind, 'options.kinds'));

  const events = new EventEmitter<RabbitQueueEvents>();
  const report = (error: Error): void => {
    if (events.listenerCount('error') > 0) events.emit('error', error);
  };
  // Two connections: one for the streams of publishes, deliveries and acks (Nagle's algorithm packs them), one for
  // request-reply work — declarations, purges, dead-letter reads, checks — with TCP_NODELAY, so each round trip does
  // not wait out a delayed ACK (measured: a basic.get took ~45 ms without it, ~1 ms with it).
  const sessionOptions = (noDelay: boolean) => ({
    url: options.url,
    ...(options.socketOptions === undefined ? {} : { socketOptions: options.socketOptions }),
    heartbeatSeconds,
    noDelay,
    reconnect: {
      initialDelayMs: options.reconnect?.initialDelayMs ?? 100,
      maxDelayMs: options.reconnect?.maxDelayMs ?? 5000,
    },
  });
  const session = new AmqpSession(sessionOptions(false));
  const control = new AmqpSession(sessionOptions(true));
  session.on('up', (_connection, generation) => events.emit('connected', generation));
  session.on('down', (error) => events.emit('disconnected', error));
  session.on('retry', (error, delayMs) => events.emit('reconnecting', error, delayMs));
  session.on('error', report);
  control.on('error', report);

  const shape = { type, deliveryLimit, maxPriority };
  const declarer = new TopologyDeclarer(control, names, shape);
  for (const kind of configuredKinds) declarer.knownKinds.add(kind);
  const publisher = new ConfirmPublisher(session, report);
  const router = new MessageRouter({ names, declarer, publisher, type, maxPriority, publishTimeoutMs });
  const cancels = new CancelListener(session, declarer, names.cancel, report);
  const consumers = new Set<RabbitConsumer>();
  let closed = false;

  const capabilities: QueueCapabilities = {
    priorities: type === 'classic',
    delayedDelivery: true,
    deliveryLimit,
  };

  const reports = {
    handover: (taskId: string, heldMs: number) => events.emit('handover', taskId, heldMs),
    deadLettered: (taskId: string | undefined, reason: string) => events.emit('deadLettered', taskId, reason),
    resubscribed: (reason: string) => events.emit('resubscribed', reason),
    error: report,
  };

  const ensureOpen = (): void => {
    if (closed) throw closedError();
  };

  /** Removes a project's waiting messages from one queue; republishes the others (behind what arrives meanwhile). */
  const purgeQueue = async (queue: string, project: string): Promise<number> => {
    const waiting = await declarer.messageCount(queue);
    if (waiting === 0) return 0;
    const channel = await declarer.channel();
    let purged = 0;
    // Messages of other projects, taken and not yet acknowledged: published again in batches, confirmed, then
    // acknowledged (so a failure leaves them in the queue).
    let keep: Array<{ raw: GetMessage; message: QueueMessage; route: RouteOptions }> = [];
    const giveBack = async (): Promise<void> => {
      const batch = keep;
      keep = [];
      if (batch.length === 0) return;
      try {
        await router.republishAll(batch, Date.now());
      } catch (error) {
        for (const { raw } of batch) returnToQueue(channel, raw);
        throw translateAmqpError(error, `purging ${queue}`);
      }
      for (const { raw } of batch) channel.ack(raw);
    };
    for (let i = 0; i < waiting; i++) {
      let raw: GetMessage | false;
      try {
        raw = await channel.get(queue, { noAck: false });
      } catch (error) {
        throw translateAmqpError(error, `purging ${queue}`);
      }
      if (raw === false) break;
      const decoded = decodeMessage(raw.content);
      const headers = raw.properties.headers ?? {};
      const sofar = deliveriesSoFar(raw, type);
      if (typeof decoded !== 'string' && decoded.project === project) {
        channel.ack(raw);
        purged++;
      } else if (typeof decoded !== 'string') {
        keep.push({ raw, message: decoded, route: { deliveries: sofar, ...reasonOf(headers) } });
        if (keep.length >= 500) await giveBack();
      } else {
        try {
          await router.deadLetter(undefined, raw.content, { deliveries: sofar, reason: decoded });
        } catch (error) {
          returnToQueue(channel, raw);
          throw translateAmqpError(error, `purging ${queue}`);
        }
        channel.ack(raw);
      }
    }
    await giveBack();
    return purged;
  };

  const queue: RabbitQueue = {
    name: 'rabbitmq',
    capabilities,
    events,
    topology: names,

    async connect() {
      ensureOpen();
      await declarer.base();
      await Promise.all([...declarer.knownKinds].map((kind) => declarer.kind(kind)));
    },

    async publish(messages, publishOptions = {}) {
      ensureOpen();
      for (let i = 0; i < messages.length; i++) checkMessage(messages[i] as QueueMessage, i);
      await router.publish(messages, Date.now(), publishOptions.signal);
    },

    async consume(handler: (delivery: QueueDelivery) => Promise<void>, consumeOptions) {
      ensureOpen();
      const prefetch = consumeOptions.prefetch;
      if (!Number.isInteger(prefetch) || prefetch < 1 || prefetch > 65_535) {
        throw invalid(`consume: prefetch must be an integer from 1 to 65535, not ${prefetch}`, 'prefetch');
      }
      const kinds = [
        ...new Set(
          (consumeOptions.kinds ?? [...declarer.knownKinds]).map((kind) => checkKind(kind, 'consume')),
        ),
      ];
      if (kinds.length === 0) {
        throw invalid(
          'consume: no kinds to take — RabbitMQ keeps one queue per kind, so name them: consume({ kinds }) or ' +
            'createRabbitQueue({ kinds })',
          'kinds',
        );
      }
      const consumer = new RabbitConsumer({
        session,
        declarer,
        router,
        names,
        type,
        kinds,
        prefetch,
        deliveryLimit,
        handoverAfterMs,
        checkIntervalMs,
        handler,
        reports,
      });
      try {
        await consumer.start();
      } catch (error) {
        await consumer.close();
        throw translateAmqpError(
          error,
          `subscribing to ${kinds.map((kind) => names.workQueue(kind)).join(', ')}`,
        );
      }
      consumers.add(consumer);
      const close = consumer.close.bind(consumer);
      consumer.close = async () => {
        consumers.delete(consumer);
        await close();
      };
      consumeOptions.signal?.addEventListener('abort', () => void consumer.close(), { once: true });
      return consumer;
    },

    async purge(project) {
      ensureOpen();
      let purged = 0;
      for (const kind of declarer.knownKinds) purged += await purgeQueue(names.workQueue(kind), project);
      for (const bucket of declarer.knownDelays)
        purged += await purgeQueue(names.delayQueue(bucket), project);
      return purged;
    },

    async depth(kind) {
      ensureOpen();
      if (kind !== undefined) return declarer.messageCount(names.workQueue(checkKind(kind, 'depth')));
      let total = 0;
      for (const known of declarer.knownKinds) total += await declarer.messageCount(names.workQueue(known));
      for (const bucket of declarer.knownDelays)
        total += await declarer.messageCount(names.delayQueue(bucket));
      return total;
    },

    async broadcastCancel(notice: CancelNotice) {
      ensureOpen();
      await declarer.base();
      // What this process listens with is bound before it broadcasts, so it hears its own notice.
      await cancels.ready();
      const content = Buffer.from(JSON.stringify({ taskIds: [...notice.taskIds], reason: notice.reason }));
      await publisher.publish(
        [{ exchange: names.cancel, routingKey: '', content, options: { contentType: 'application/json' } }],
        publishTimeoutMs,
      );
    },

    onCancel(listener) {
      ensureOpen();
      return cancels.add(listener);
    },

    async takeDeadLetters(limit = 100) {
      ensureOpen();
      await declarer.base();
      const channel = await declarer.channel();
      const letters: RabbitDeadLetter[] = [];
      while (letters.length < limit) {
        const raw = await channel.get(names.deadQueue, { noAck: false });
        if (raw === false) break;
        const headers = raw.properties.headers ?? {};
        const decoded = decodeMessage(raw.content);
        const reason = headers[REASON_HEADER];
        letters.push({
          message: typeof decoded === 'string' ? undefined : decoded,
          body: raw.content.toString('utf8'),
          deliveryCount: headerCount(headers[DELIVERIES_HEADER]),
          reason:
            typeof reason === 'string'
              ? reason
              : Buffer.isBuffer(reason)
                ? reason.toString('utf8')
                : 'rejected',
        });
        channel.ack(raw);
      }
      return letters;
    },

    declaredQueues() {
      return [
        ...[...declarer.knownKinds].map((kind) => names.workQueue(kind)),
        ...[...declarer.knownDelays].map((bucket) => names.delayQueue(bucket)),
        names.deadQueue,
      ];
    },

    async health(): Promise<HealthReport> {
      const started = Date.now();
      if (closed) {
        return { ok: false, component: 'queue', detail: 'rabbitmq: the queue is closed', latencyMs: 0 };
      }
      const down = [session, control].find((one) => one.generation > 0 && !one.isUp);
      if (down !== undefined) {
        // Lost and reconnecting: say so at once rather than wait for the check to time out.
        return {
          ok: false,
          component: 'queue',
          detail: `rabbitmq: not connected, reconnecting: ${down.lastError?.message ?? 'connection lost'}`,
          latencyMs: 0,
        };
      }
      try {
        const checked = (async () => {
          await declarer.base();
          await (await declarer.channel()).checkExchange(names.tasks);
          await session.connection();
        })();
        let timer: ReturnType<typeof setTimeout> | undefined;
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('no answer within 5000 ms')), 5000);
        });
        await Promise.race([checked, timeout]).finally(() => clearTimeout(timer));
        return {
          ok: true,
          component: 'queue',
          detail:
            `rabbitmq: connected (connection ${session.generation}), ${type} queues under "${names.tasks}", ` +
            `${consumers.size} consumer(s), ${publisher.backlog} publish(es) unconfirmed`,
          latencyMs: Date.now() - started,
        };
      } catch (error) {
        const why = session.lastError?.message ?? control.lastError?.message ?? (error as Error).message;
        return {
          ok: false,
          component: 'queue',
          detail: `rabbitmq: ${session.isUp && control.isUp ? 'check failed' : 'not connected'}: ${why}`,
          latencyMs: Date.now() - started,
        };
      }
    },

    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([...consumers].map((consumer) => consumer.close()));
      await cancels.close();
      publisher.failAll(closedError());
      await Promise.all([session.close(), control.close()]);
    },
  };
  return queue;
}

/** Puts a message taken with `basic.get` back in its queue (on a closed channel the broker does it by itself). */
function returnToQueue(channel: Channel, raw: GetMessage): void {
  try {
    channel.nack(raw, false, true);
  } catch {
    // The channel is gone: the broker returns the message by itself.
  }
}

function invalid(message: string, option: string): ScanplaneError {
  return new ScanplaneError('INVALID_ARGUMENT', message, { component: 'rabbitmq', details: { option } });
}

function integerOption(
  value: number | undefined,
  fallback: number,
  min: number,
  max: number,
  name: string,
): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw invalid(`${name} must be an integer from ${min} to ${max}, not ${value}`, name);
  }
  return value;
}

function checkMessage(message: QueueMessage, index: number): void {
  const where = `publish: message ${index}`;
  if (message === null || typeof message !== 'object') throw invalid(`${where} is not an object`, 'messages');
  for (const field of ['taskId', 'project'] as const) {
    if (typeof message[field] !== 'string' || message[field] === '') {
      throw invalid(`${where}: ${field} must be a non-empty string`, 'messages');
    }
  }
  checkKind(message.kind, where);
  if (typeof message.priority !== 'number' || !Number.isFinite(message.priority)) {
    throw invalid(`${where}: priority must be a finite number`, 'messages');
  }
  if (message.notBefore !== undefined && !Number.isFinite(message.notBefore)) {
    throw invalid(`${where}: notBefore must be a finite number of epoch milliseconds`, 'messages');
  }
}
