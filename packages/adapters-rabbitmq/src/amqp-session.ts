import { ScanplaneError } from '@scanplane/core';
import amqplib, { type ChannelModel, type Options } from 'amqplib';
import { EventEmitter } from 'eventemitter3';

/**
 * How the queue reconnects: exponential backoff with jitter between attempts, for as long as it is open.
 *
 * @example
 * ```ts
 * import type { ReconnectOptions } from '@scanplane/rabbitmq';
 * const reconnect: ReconnectOptions = { initialDelayMs: 250, maxDelayMs: 10_000 };
 * ```
 */
export interface ReconnectOptions {
  /** First pause after a lost connection or a failed attempt, in milliseconds. Default 100. */
  initialDelayMs?: number;
  /** Longest pause (the pause doubles up to it), in milliseconds. Default 5000. */
  maxDelayMs?: number;
}

export interface SessionOptions {
  /** An AMQP URL (`amqp://user:pass@host:5672/vhost`) or amqplib's connection object. */
  url: string | Options.Connect;
  /** Socket options for amqplib (TLS and the like). */
  socketOptions?: Record<string, unknown>;
  /** AMQP heartbeat in seconds: how fast a dead TCP connection is noticed. */
  heartbeatSeconds: number;
  /**
   * TCP_NODELAY. On for a connection of request-reply traffic (declarations, `basic.get`, checks): without it each
   * round trip can wait out TCP's delayed acknowledgement, ~40 ms. Off (amqplib's default, Nagle's algorithm) for
   * the streams of publishes and acks, which it packs into fewer segments.
   */
  noDelay: boolean;
  reconnect: Required<ReconnectOptions>;
}

export interface SessionEvents {
  /** A connection is up (the first or a new one): everything must be declared and subscribed again on it. */
  up: [connection: ChannelModel, generation: number];
  /** The connection was lost (not closed by us); a reconnect is scheduled. */
  down: [error: Error];
  /** A connection attempt failed; the next is scheduled after `delayMs`. */
  retry: [error: Error, delayMs: number];
  /** An error amqplib reported on the connection (a close follows). */
  error: [error: Error];
}

/**
 * One AMQP connection that comes back by itself. amqplib leaves reconnecting to its user and reports a lost
 * connection through `error` *and* `close` (issue #25): this listens to both, but reconnects once, on `close`.
 * Everything built on a connection (channels, declarations, consumers) listens to `up` and rebuilds itself.
 */
export class AmqpSession extends EventEmitter<SessionEvents> {
  #options: SessionOptions;
  #connection: ChannelModel | undefined;
  #generation = 0;
  #closed = false;
  #connecting: Promise<void> | undefined;
  #waiters: Array<{ resolve: (connection: ChannelModel) => void; reject: (error: Error) => void }> = [];
  #sleep: AbortController | undefined;
  #lastError: Error | undefined;

  constructor(options: SessionOptions) {
    super();
    this.#options = options;
  }

  /** The current connection's number: it grows by one on each (re)connect. */
  get generation(): number {
    return this.#generation;
  }

  /** Whether a connection is up now. */
  get isUp(): boolean {
    return this.#connection !== undefined;
  }

  /** Why the last connection attempt or connection failed, if it did. */
  get lastError(): Error | undefined {
    return this.#lastError;
  }

  /** Whether {@link close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** The connection, once up: connects (and keeps retrying) when needed; rejects only after {@link close}. */
  connection(): Promise<ChannelModel> {
    if (this.#closed) return Promise.reject(closedError());
    if (this.#connection !== undefined) return Promise.resolve(this.#connection);
    const waiting = new Promise<ChannelModel>((resolve, reject) => this.#waiters.push({ resolve, reject }));
    this.#ensureConnecting();
    return waiting;
  }

  #ensureConnecting(): void {
    if (this.#connecting !== undefined || this.#closed) return;
    this.#connecting = this.#connectLoop().finally(() => {
      this.#connecting = undefined;
    });
  }

  async #connectLoop(): Promise<void> {
    const { initialDelayMs, maxDelayMs } = this.#options.reconnect;
    let attempt = 0;
    while (!this.#closed) {
      try {
        const connection = await amqplib.connect(
          withHeartbeat(this.#options.url, this.#options.heartbeatSeconds),
          {
            timeout: 10_000,
            noDelay: this.#options.noDelay,
            ...this.#options.socketOptions,
          },
        );
        if (this.#closed) {
          await connection.close().catch(() => {});
          return;
        }
        this.#adopt(connection);
        return;
      } catch (error) {
        this.#lastError = error as Error;
        attempt++;
        const base = Math.min(maxDelayMs, initialDelayMs * 2 ** Math.min(attempt - 1, 30));
        const delay = Math.round(base * (0.8 + Math.random() * 0.4));
        this.emit('retry', error as Error, delay);
        this.#sleep = new AbortController();
        await sleep(delay, this.#sleep.signal);
      }
    }
  }

  #adopt(connection: ChannelModel): void {
    this.#connection = connection;
    this.#generation++;
    this.#lastError = undefined;
    connection.on('error', (error: Error) => {
      this.#lastError = error;
      this.emit('error', error);
    });
    connection.on('close', (error?: Error) => {
      if (this.#connection !== connection) return;
      this.#connection = undefined;
      if (this.#closed) return;
      const why = error ?? this.#lastError ?? new Error('connection closed by the broker');
      this.#lastError = why;
      this.emit('down', why);
      this.#ensureConnecting();
    });
    // A blocked connection (the broker is out of memory or disk) holds publishes; they time out on their own.
    const generation = this.#generation;
    for (const waiter of this.#waiters.splice(0)) waiter.resolve(connection);
    this.emit('up', connection, generation);
  }

  /** Drops the connection as if the network failed (for tests and for a consumer found dead). */
  async drop(): Promise<void> {
    const connection = this.#connection;
    if (connection === undefined) return;
    await connection.close().catch(() => {});
  }

  /** Closes the connection and stops reconnecting; waiters reject. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#sleep?.abort();
    for (const waiter of this.#waiters.splice(0)) waiter.reject(closedError());
    const connection = this.#connection;
    this.#connection = undefined;
    if (connection !== undefined) await connection.close().catch(() => {});
    await this.#connecting?.catch(() => {});
  }
}

/** The URL (or connect options) with the heartbeat set, unless it sets one itself. */
function withHeartbeat(url: string | Options.Connect, seconds: number): string | Options.Connect {
  if (typeof url !== 'string') return { ...url, heartbeat: url.heartbeat ?? seconds };
  if (/[?&]heartbeat=/.test(url)) return url;
  return `${url}${url.includes('?') ? '&' : '?'}heartbeat=${seconds}`;
}

/** The error of anything attempted on a closed queue. */
export function closedError(): ScanplaneError {
  return new ScanplaneError('UNAVAILABLE', 'the RabbitMQ queue is closed', {
    component: 'rabbitmq',
    retryable: false,
  });
}

/** Sleeps `ms`, or less when `signal` aborts; resolves either way. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
