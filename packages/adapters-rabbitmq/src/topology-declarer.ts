import type { Channel } from 'amqplib';
import { translateAmqpError } from './amqp-errors.js';
import type { AmqpSession } from './amqp-session.js';
import {
  DELAY_HEADER,
  deadQueueArguments,
  delayQueueArguments,
  type QueueShape,
  type TopologyNames,
  workQueueArguments,
} from './topology.js';

/**
 * Declares the adapter's exchanges and queues, each once per connection: after a reconnect (or a queue deleted
 * under a consumer) everything is declared again on first use. Declarations are idempotent on the broker; one that
 * conflicts with what exists (a queue declared with other arguments) fails with a clear `INVALID_ARGUMENT`.
 */
export class TopologyDeclarer {
  #session: AmqpSession;
  #names: TopologyNames;
  #shape: QueueShape;
  #generation = -1;
  #channel: Promise<Channel> | undefined;
  #base: Promise<void> | undefined;
  #kinds = new Map<string, Promise<void>>();
  #delays = new Map<number, Promise<void>>();
  /** Every kind ever declared or asked for, across connections: consumers of "all kinds" take these. */
  readonly knownKinds = new Set<string>();
  /** Every delay bucket ever declared, across connections: depth() counts their messages. */
  readonly knownDelays = new Set<number>();

  constructor(session: AmqpSession, names: TopologyNames, shape: QueueShape) {
    this.#session = session;
    this.#names = names;
    this.#shape = shape;
  }

  /** Forgets what was declared on the current connection, so the next use declares it again. */
  forget(kind?: string): void {
    if (kind === undefined) {
      this.#base = undefined;
      this.#kinds.clear();
      this.#delays.clear();
    } else {
      this.#kinds.delete(kind);
    }
  }

  #sync(): void {
    if (this.#generation !== this.#session.generation) {
      this.#generation = this.#session.generation;
      this.#channel = undefined;
      this.forget();
    }
  }

  /** A plain channel for declarations and queue checks; a new one after the broker closes it. */
  async channel(): Promise<Channel> {
    this.#sync();
    if (this.#channel === undefined) {
      const opening = this.#session.connection().then(async (connection) => {
        const channel = await connection.createChannel();
        channel.on('error', () => {});
        channel.on('close', () => {
          if (this.#channel === opening) this.#channel = undefined;
        });
        return channel;
      });
      this.#channel = opening;
      opening.catch(() => {
        if (this.#channel === opening) this.#channel = undefined;
      });
    }
    return this.#channel;
  }

  /** Runs `declare` once per connection under `key` in `cache`; a failure is not cached. */
  #once<K>(
    cache: Map<K, Promise<void>>,
    key: K,
    declare: (channel: Channel) => Promise<unknown>,
  ): Promise<void> {
    this.#sync();
    let done = cache.get(key);
    if (done === undefined) {
      done = (async () => {
        await this.base();
        const channel = await this.channel();
        await declare(channel);
      })();
      cache.set(key, done);
      const settled = done;
      settled.catch(() => {
        if (cache.get(key) === settled) cache.delete(key);
      });
    }
    return done.catch((error) => {
      throw translateAmqpError(error, 'declaring the topology');
    });
  }

  /** The exchanges and the dead-letter queue. */
  base(): Promise<void> {
    this.#sync();
    if (this.#base === undefined) {
      const names = this.#names;
      const declaring = (async () => {
        const channel = await this.channel();
        await channel.assertExchange(names.tasks, 'direct', { durable: true });
        await channel.assertExchange(names.delay, 'headers', { durable: true });
        await channel.assertExchange(names.dead, 'fanout', { durable: true });
        await channel.assertExchange(names.cancel, 'fanout', { durable: true });
        await channel.assertQueue(names.deadQueue, {
          durable: true,
          arguments: deadQueueArguments(this.#shape),
        });
        await channel.bindQueue(names.deadQueue, names.dead, '');
      })();
      this.#base = declaring;
      declaring.catch(() => {
        if (this.#base === declaring) this.#base = undefined;
      });
    }
    return this.#base.catch((error) => {
      throw translateAmqpError(error, 'declaring the topology');
    });
  }

  /** The work queue of a kind, bound to the tasks exchange by the kind. */
  kind(kind: string): Promise<void> {
    this.knownKinds.add(kind);
    return this.#once(this.#kinds, kind, async (channel) => {
      const queue = this.#names.workQueue(kind);
      await channel.assertQueue(queue, {
        durable: true,
        arguments: workQueueArguments(this.#shape, this.#names),
      });
      await channel.bindQueue(queue, this.#names.tasks, kind);
    });
  }

  /** The delay queue of a bucket, bound to the delay exchange by the delay header. */
  delay(ms: number): Promise<void> {
    this.knownDelays.add(ms);
    return this.#once(this.#delays, ms, async (channel) => {
      const queue = this.#names.delayQueue(ms);
      await channel.assertQueue(queue, {
        durable: true,
        arguments: delayQueueArguments(this.#shape, this.#names, ms),
      });
      await channel.bindQueue(queue, this.#names.delay, '', { 'x-match': 'all', [DELAY_HEADER]: String(ms) });
    });
  }

  /** Messages waiting in a queue (ready, not delivered), or 0 when it does not exist. */
  async messageCount(queue: string): Promise<number> {
    const channel = await this.channel();
    try {
      return (await channel.checkQueue(queue)).messageCount;
    } catch (error) {
      // A missing queue closes the channel with NOT_FOUND: it holds nothing (the next call opens a new channel).
      if ((error as { code?: number }).code === 404) {
        this.#channel = undefined;
        return 0;
      }
      throw translateAmqpError(error, `checking queue ${queue}`);
    }
  }
}
