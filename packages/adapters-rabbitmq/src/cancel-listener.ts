import { randomUUID } from 'node:crypto';
import type { CancelNotice } from '@scanplane/core';
import type { Channel } from 'amqplib';
import { EventEmitter } from 'eventemitter3';
import { type AmqpSession, sleep } from './amqp-session.js';
import type { TopologyDeclarer } from './topology-declarer.js';

/**
 * Receives cancel notices from the fanout cancel exchange on an exclusive, server-named queue of this process,
 * subscribed while at least one listener is registered and again after every reconnect. A notice broadcast while
 * this process was disconnected is not received here: the worker's heartbeat still finds the task cancelled in
 * the store and aborts it then.
 */
export class CancelListener {
  #session: AmqpSession;
  #declarer: TopologyDeclarer;
  #exchange: string;
  #listeners = new EventEmitter<{ cancel: [CancelNotice] }>();
  #channel: Channel | undefined;
  #ready: Promise<void> | undefined;
  #closed = false;
  /** Counts subscription attempts: a loop whose number is no longer current stops (a newer one took over). */
  #attempt = 0;
  #onError: (error: Error) => void;

  constructor(
    session: AmqpSession,
    declarer: TopologyDeclarer,
    exchange: string,
    onError: (error: Error) => void,
  ) {
    this.#session = session;
    this.#declarer = declarer;
    this.#exchange = exchange;
    this.#onError = onError;
  }

  /** Resolves once this process's subscription is bound (at once when nobody listens). */
  ready(): Promise<void> {
    return this.#ready ?? Promise.resolve();
  }

  /** Adds a listener; returns the function that removes it. */
  add(listener: (notice: CancelNotice) => void): () => void {
    this.#listeners.on('cancel', listener);
    this.#ensure();
    return () => {
      this.#listeners.off('cancel', listener);
      if (this.#listeners.listenerCount('cancel') === 0) void this.#unsubscribe();
    };
  }

  #ensure(): void {
    if (this.#ready !== undefined || this.#closed) return;
    const ready = this.#subscribeUntilDone();
    this.#ready = ready;
  }

  async #subscribeUntilDone(): Promise<void> {
    const attempt = ++this.#attempt;
    let failures = 0;
    while (!this.#closed && this.#listeners.listenerCount('cancel') > 0 && attempt === this.#attempt) {
      try {
        await this.#subscribe(attempt);
        return;
      } catch (error) {
        if (this.#session.closed) return;
        this.#onError(error as Error);
        failures++;
        await sleep(Math.min(5000, 100 * 2 ** Math.min(failures, 6)));
      }
    }
  }

  async #subscribe(attempt: number): Promise<void> {
    await this.#declarer.base();
    const connection = await this.#session.connection();
    const channel = await connection.createChannel();
    if (attempt !== this.#attempt || this.#closed) {
      await channel.close().catch(() => {});
      return;
    }
    // Current from the start, so a close at any point below subscribes again.
    this.#channel = channel;
    channel.on('error', (error: Error) => this.#onError(error));
    channel.on('close', () => {
      if (this.#channel !== channel) return;
      this.#channel = undefined;
      this.#ready = undefined;
      // Subscribe again (on the next connection, if this one is gone) while anyone listens.
      if (!this.#closed && this.#listeners.listenerCount('cancel') > 0) this.#ensure();
    });
    // Named under the prefix (not server-named `amq.gen-…`), so a user whose permissions cover only the prefix's names
    // may listen; a new name per subscription, since the last connection's exclusive queue may not be gone yet.
    const { queue } = await channel.assertQueue(`${this.#exchange}.${randomUUID()}`, {
      exclusive: true,
      autoDelete: true,
      durable: false,
    });
    await channel.bindQueue(queue, this.#exchange, '');
    await channel.consume(
      queue,
      (raw) => {
        if (raw === null) {
          void channel.close().catch(() => {});
          return;
        }
        const notice = parseNotice(raw.content);
        if (notice !== undefined) this.#listeners.emit('cancel', notice);
      },
      { noAck: true },
    );
  }

  async #unsubscribe(): Promise<void> {
    this.#attempt++;
    const channel = this.#channel;
    this.#channel = undefined;
    this.#ready = undefined;
    if (channel !== undefined) await channel.close().catch(() => {});
  }

  /** Stops listening for good. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#listeners.removeAllListeners();
    await this.#unsubscribe();
  }
}

/** A cancel notice from its JSON body, or undefined for anything else. */
export function parseNotice(content: Buffer): CancelNotice | undefined {
  try {
    const value = JSON.parse(content.toString('utf8')) as Partial<CancelNotice>;
    if (!Array.isArray(value.taskIds) || !value.taskIds.every((id) => typeof id === 'string'))
      return undefined;
    return { taskIds: value.taskIds, reason: typeof value.reason === 'string' ? value.reason : '' };
  } catch {
    return undefined;
  }
}
