import type { ServerResponse } from 'node:http';

/**
 * One server-sent events response. A slow client does not make the server buffer without bound: while the socket
 * is full, only the latest message of each event name is kept and written when it drains (a snapshot replaces the
 * one before it; a heartbeat is a heartbeat).
 */
export interface EventStream {
  /** Sends `data` (one line of text, normally JSON) as event `event`. */
  send(event: string, data: string): void;
  /** Ends the response (idempotent). */
  close(): void;
  /** Whether the response ended or the client went away. */
  readonly closed: boolean;
}

/** Formats one event: its name, then its data line by line, then a blank line. */
function formatEvent(event: string, data: string): string {
  return `event: ${event}\n${data
    .split(/\r?\n/)
    .map((line) => `data: ${line}`)
    .join('\n')}\n\n`;
}

/**
 * Starts a `text/event-stream` response on `response` (the caller has taken it over from its framework) and calls
 * `onClose` once, when it ends or the client disconnects.
 */
export function openEventStream(response: ServerResponse, onClose: () => void): EventStream {
  let closed = false;
  let blocked = false;
  const pending = new Map<string, string>();

  const finish = () => {
    if (closed) return;
    closed = true;
    pending.clear();
    onClose();
  };
  response.on('close', finish);
  response.on('drain', () => {
    blocked = false;
    const queued = [...pending.entries()];
    pending.clear();
    for (const [event, data] of queued) write(event, data);
  });

  function write(event: string, data: string): void {
    if (closed) return;
    if (blocked) {
      pending.set(event, data);
      return;
    }
    blocked = !response.write(formatEvent(event, data));
  }

  response.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'close', // the socket goes with the stream: nothing lingers when the server closes
    'x-accel-buffering': 'no',
  });
  response.write('retry: 3000\n\n');

  return {
    send: write,
    close() {
      if (!response.writableEnded) response.end();
      finish();
    },
    get closed() {
      return closed;
    },
  };
}
