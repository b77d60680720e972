import { ScanplaneError } from '@scanplane/core';
import type { ConfirmChannel, Message, Options } from 'amqplib';
import { type AmqpSession, closedError } from './amqp-session.js';

/** One AMQP message to publish. */
export interface Outgoing {
  exchange: string;
  routingKey: string;
  content: Buffer;
  options: Options.Publish;
}

interface Batch {
  remaining: number;
  failed: boolean;
  resolve: () => void;
  reject: (error: Error) => void;
}

interface Pending {
  item: Outgoing;
  batch: Batch;
  /** Publish order, to resend in order after a lost channel. */
  seq: number;
  /** The channel it was last sent on; undefined while it waits to be (re)sent. */
  sentOn: ConfirmChannel | undefined;
  /** The broker returned it as unroutable (a confirm follows). */
  returned: boolean;
}

/**
 * Publishes with publisher confirms on one confirm channel. A publish resolves only when the broker has confirmed
 * every message of it; a broker `nack` or an unroutable message (published `mandatory`) rejects it; a message whose
 * channel or connection was lost before its confirm is sent again on the next channel (at least once: a duplicate is
 * possible, a loss is not), and a publish that is not confirmed within its time limit rejects with `TIMEOUT`
 * instead of hanging (amqplib issue #419: a confirm never comes when the connection dies). Backpressure is
 * respected: when amqplib's buffer is full, sending waits for `drain`.
 */
export class ConfirmPublisher {
  #session: AmqpSession;
  #channel: Promise<ConfirmChannel> | undefined;
  #unsent: Pending[] = [];
  #inFlight = new Map<number, Pending>();
  #seq = 0;
  #pumping = false;
  #onError: (error: Error) => void;

  constructor(session: AmqpSession, onError: (error: Error) => void) {
    this.#session = session;
    this.#onError = onError;
    session.on('up', () => this.#pump());
  }

  /** Messages sent and not yet confirmed, and messages waiting to be sent. */
  get backlog(): number {
    return this.#unsent.length + this.#inFlight.size;
  }

  /** Publishes `items`; resolves once every one is confirmed. */
  publish(items: readonly Outgoing[], timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (this.#session.closed) return Promise.reject(closedError());
    if (items.length === 0) return Promise.resolve();
    signal?.throwIfAborted();
    return new Promise<void>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const finish = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const batch: Batch = {
        remaining: items.length,
        failed: false,
        resolve: () => {
          finish();
          resolve();
        },
        reject: (error) => {
          if (batch.failed) return;
          batch.failed = true;
          finish();
          reject(error);
        },
      };
      const onAbort = (): void =>
        batch.reject(
          new ScanplaneError('ABORTED', 'publish aborted before every message was confirmed', {
            component: 'rabbitmq',
            cause: signal?.reason,
          }),
        );
      signal?.addEventListener('abort', onAbort, { once: true });
      timer = setTimeout(() => {
        const why = this.#session.isUp ? 'the broker did not confirm them' : 'the broker is unreachable';
        batch.reject(
          new ScanplaneError(
            'TIMEOUT',
            `publish of ${items.length} message(s): ${batch.remaining} not confirmed within ${timeoutMs} ms (${why}` +
              `${this.#session.lastError ? `: ${this.#session.lastError.message}` : ''}); they may still arrive`,
            { component: 'rabbitmq', retryable: true, details: { unconfirmed: batch.remaining, timeoutMs } },
          ),
        );
      }, timeoutMs);
      for (const item of items) {
        this.#unsent.push({ item, batch, seq: this.#seq++, sentOn: undefined, returned: false });
      }
      this.#pump();
    });
  }

  #openChannel(): Promise<ConfirmChannel> {
    if (this.#channel !== undefined) return this.#channel;
    const opening = this.#session.connection().then(async (connection) => {
      const channel = await connection.createConfirmChannel();
      channel.on('error', (error: Error) => this.#onError(error));
      channel.on('return', (message: Message) => {
        const pending = this.#inFlight.get(Number(message.properties.correlationId));
        if (pending !== undefined) pending.returned = true;
      });
      channel.on('close', () => {
        if (this.#channel === opening) this.#channel = undefined;
        // amqplib has already failed the unconfirmed callbacks of this channel (marking them unsent): send them
        // again, in their original order, ahead of what was never sent.
        const lost = [...this.#inFlight.values()].filter((pending) => pending.sentOn === undefined);
        for (const pending of lost) this.#inFlight.delete(pending.seq);
        lost.sort((a, b) => a.seq - b.seq);
        this.#unsent.unshift(...lost);
        if (this.#unsent.length > 0) setTimeout(() => this.#pump(), 50).unref();
      });
      return channel;
    });
    this.#channel = opening;
    opening.catch(() => {
      if (this.#channel === opening) this.#channel = undefined;
    });
    return opening;
  }

  #pump(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    void this.#send().finally(() => {
      this.#pumping = false;
      // A publish that arrived while the loop was finishing found it still pumping: send it now. (While
      // disconnected, the session's `up` pumps again.)
      if (this.#unsent.length > 0 && this.#session.isUp && !this.#session.closed) this.#pump();
    });
  }

  async #send(): Promise<void> {
    while (this.#unsent.length > 0) {
      if (this.#session.closed) {
        for (const pending of this.#unsent.splice(0)) pending.batch.reject(closedError());
        return;
      }
      let channel: ConfirmChannel;
      try {
        channel = await this.#openChannel();
      } catch (error) {
        // No channel now (the connection is being re-established): the session's `up` pumps again.
        if (!this.#session.isUp && !this.#session.closed) return;
        this.#onError(error as Error);
        await new Promise((resolve) => setTimeout(resolve, 100));
        continue;
      }
      // Sends what waits, in order, until amqplib's buffer is full or the channel fails; puts back the rest.
      const sending = this.#unsent;
      this.#unsent = [];
      for (let i = 0; i < sending.length; i++) {
        const pending = sending[i] as Pending;
        if (pending.batch.failed) continue;
        pending.sentOn = channel;
        pending.returned = false;
        this.#inFlight.set(pending.seq, pending);
        const { exchange, routingKey, content, options } = pending.item;
        // The publish's own options object (made for this message by the router): tagged in place, not copied.
        options.correlationId = String(pending.seq);
        let full: boolean;
        try {
          full = !channel.publish(exchange, routingKey, content, options, (error) =>
            this.#confirmed(pending, channel, error),
          );
        } catch {
          // The channel closed under us: put it back; the close handler or the next round resends it.
          this.#inFlight.delete(pending.seq);
          pending.sentOn = undefined;
          this.#unsent = [...sending.slice(i), ...this.#unsent];
          if (this.#channel !== undefined && (await this.#channel.catch(() => undefined)) === channel) {
            this.#channel = undefined;
          }
          break;
        }
        if (full) {
          this.#unsent = [...sending.slice(i + 1), ...this.#unsent];
          await drained(channel);
          break;
        }
      }
    }
  }

  #confirmed(pending: Pending, channel: ConfirmChannel, error: Error | null): void {
    if (pending.sentOn !== channel) return;
    if (error !== null && error.message !== 'message nacked') {
      // The channel closed before the confirm: leave it for the close handler to resend.
      pending.sentOn = undefined;
      return;
    }
    this.#inFlight.delete(pending.seq);
    const batch = pending.batch;
    if (batch.failed) return;
    if (error !== null) {
      batch.reject(
        new ScanplaneError(
          'UNAVAILABLE',
          `the broker refused a message (nack) for ${pending.item.exchange}/${pending.item.routingKey}`,
          { component: 'rabbitmq', retryable: true },
        ),
      );
    } else if (pending.returned) {
      batch.reject(
        new ScanplaneError(
          'UNAVAILABLE',
          `a message for ${pending.item.exchange}/${pending.item.routingKey} was unroutable: no queue is bound for it`,
          { component: 'rabbitmq', retryable: true, details: { routingKey: pending.item.routingKey } },
        ),
      );
    } else if (--batch.remaining === 0) {
      batch.resolve();
    }
  }

  /** Fails everything not yet confirmed (the queue is closing). */
  failAll(error: Error): void {
    for (const pending of this.#unsent.splice(0)) pending.batch.reject(error);
    for (const pending of this.#inFlight.values()) pending.batch.reject(error);
    this.#inFlight.clear();
  }
}

function drained(channel: ConfirmChannel): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      channel.off('drain', done);
      channel.off('close', done);
      resolve();
    };
    channel.on('drain', done);
    channel.on('close', done);
  });
}
