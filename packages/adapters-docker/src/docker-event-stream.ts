import type Docker from 'dockerode';
import { EventEmitter } from 'eventemitter3';

/**
 * One container event from the Docker event stream, as this package reads it.
 *
 * @example
 * ```ts
 * import type { DockerContainerEvent } from '@scanplane/docker';
 * const died = (event: DockerContainerEvent) => event.action === 'die' && event.attributes['exitCode'] !== '0';
 * ```
 */
export interface DockerContainerEvent {
  /** `start`, `die`, `oom`, … */
  action: string;
  /** The container id. */
  id: string;
  /** The container name (without Docker's leading `/`). */
  name: string;
  /** The event's attributes: the container's labels, `name`, `image`, and for `die` the `exitCode`. */
  attributes: Record<string, string>;
  /** When it happened, epoch milliseconds. */
  at: number;
}

/** The stream's typed events. */
export interface DockerEventStreamEvents {
  /** A container event. */
  event: [event: DockerContainerEvent];
  /** Connected; `reconnect` is true after a lost connection (events may have been missed: reconcile). */
  connected: [reconnect: boolean];
  /** The connection was lost (or could not be made); it is retried with backoff. */
  disconnected: [error: Error];
}

/** Options of {@link DockerEventStream}. */
export interface DockerEventStreamOptions {
  docker: Docker;
  /** Label filters (`key=value`). */
  labels: readonly string[];
  /** Event actions to receive. */
  actions: readonly string[];
  /** First reconnect delay, doubled up to `maxBackoffMs`. Default 100. */
  minBackoffMs?: number;
  /** Default 5000. */
  maxBackoffMs?: number;
}

interface RawEvent {
  Type?: string;
  Action?: string;
  status?: string;
  id?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
  time?: number;
  timeNano?: number;
}

/**
 * The Docker event stream of a set of labelled containers, kept open: it reconnects by itself with backoff, asks
 * the daemon to replay what it missed (`since` the last event seen), and says when it reconnected so the caller can
 * reconcile whatever the daemon no longer replays.
 */
export class DockerEventStream extends EventEmitter<DockerEventStreamEvents> {
  readonly #options: DockerEventStreamOptions;
  #stream: NodeJS.ReadableStream | undefined;
  #closed = false;
  #started = false;
  #everConnected = false;
  #lastSeconds: number | undefined;
  #backoff: number;
  #timer: NodeJS.Timeout | undefined;
  #waiters: Array<() => void> = [];
  /** Whether the stream is connected now. */
  connected = false;

  constructor(options: DockerEventStreamOptions) {
    super();
    this.#options = options;
    this.#backoff = options.minBackoffMs ?? 100;
  }

  /** Connects (once); later calls do nothing. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    void this.#connect();
  }

  /** Resolves once connected, or after `timeoutMs` (whichever is first); `true` if connected. */
  async whenConnected(timeoutMs: number): Promise<boolean> {
    if (this.connected) return true;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.#waiters.push(done);
    });
    return this.connected;
  }

  /** Drops the current connection as a network failure would (it reconnects by itself). */
  interrupt(): void {
    const stream = this.#stream as
      | (NodeJS.ReadableStream & { destroy?: (error?: Error) => void })
      | undefined;
    stream?.destroy?.(new Error('event stream interrupted'));
  }

  /** Closes the stream for good. */
  close(): void {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    const stream = this.#stream as (NodeJS.ReadableStream & { destroy?: () => void }) | undefined;
    this.#stream = undefined;
    stream?.destroy?.();
    for (const waiter of this.#waiters.splice(0)) waiter();
    this.removeAllListeners();
  }

  async #connect(): Promise<void> {
    if (this.#closed) return;
    let stream: NodeJS.ReadableStream;
    try {
      const options: Docker.GetEventsOptions = {
        filters: {
          type: ['container'],
          event: [...this.#options.actions],
          label: [...this.#options.labels],
        } as Docker.GetEventsOptions['filters'],
      };
      // Replay what the daemon still has since the last event seen (a second earlier: `since` is in seconds).
      if (this.#lastSeconds !== undefined) options.since = this.#lastSeconds - 1;
      stream = await this.#options.docker.getEvents(options);
    } catch (error) {
      this.#lost(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    if (this.#closed) {
      (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
      return;
    }
    this.#stream = stream;
    const reconnect = this.#everConnected;
    this.#everConnected = true;
    this.connected = true;
    this.#backoff = this.#options.minBackoffMs ?? 100;
    let partial = '';
    let ended = false;
    const end = (error: Error): void => {
      if (ended) return;
      ended = true;
      if (this.#stream === stream) this.#stream = undefined;
      this.connected = false;
      this.#lost(error);
    };
    stream.on('data', (chunk: Buffer | string) => {
      partial += chunk.toString();
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (line.trim() !== '') this.#dispatch(line);
    });
    stream.on('end', () => end(new Error('the daemon closed the event stream')));
    stream.on('close', () => end(new Error('the event stream closed')));
    stream.on('error', (error: Error) => end(error));
    for (const waiter of this.#waiters.splice(0)) waiter();
    this.emit('connected', reconnect);
  }

  #dispatch(line: string): void {
    let raw: RawEvent;
    try {
      raw = JSON.parse(line) as RawEvent;
    } catch {
      return;
    }
    const attributes = raw.Actor?.Attributes ?? {};
    const at =
      raw.timeNano !== undefined ? Math.floor(raw.timeNano / 1e6) : (raw.time ?? Date.now() / 1000) * 1000;
    if (raw.time !== undefined) this.#lastSeconds = raw.time;
    this.emit('event', {
      action: raw.Action ?? raw.status ?? '',
      id: raw.Actor?.ID ?? raw.id ?? '',
      name: (attributes['name'] ?? '').replace(/^\//, ''),
      attributes,
      at,
    });
  }

  #lost(error: Error): void {
    if (this.#closed) return;
    this.emit('disconnected', error);
    const delay = this.#backoff;
    this.#backoff = Math.min(this.#backoff * 2, this.#options.maxBackoffMs ?? 5000);
    this.#timer = setTimeout(() => void this.#connect(), delay);
    this.#timer.unref?.();
  }
}
