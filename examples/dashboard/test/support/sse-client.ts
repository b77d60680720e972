/** One server-sent event. */
export interface SseEvent {
  /** The event name (`message` when the block had none). */
  event: string;
  /** Its data lines, joined with newlines. */
  data: string;
}

/** A client of a `text/event-stream` response, read with fetch streaming as the page does. */
export interface SseClient {
  /** The response status. */
  status: number;
  /** Waits for the next event that `accept` accepts (skipping others); fails after `timeoutMs`. */
  next(accept?: (event: SseEvent) => boolean, timeoutMs?: number): Promise<SseEvent>;
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  /** Aborts the request. */
  close(): void;
}

/** Parses one event block. */
function parseBlock(block: string): SseEvent | undefined {
  let event = 'message';
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  }
  return data.length === 0 ? undefined : { event, data: data.join('\n') };
}

/** Opens `url` as an event stream with `token` as bearer token (none when undefined). */
export async function openSse(url: string, token: string | undefined): Promise<SseClient> {
  const controller = new AbortController();
  const headers: Record<string, string> = { accept: 'text/event-stream' };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  const response = await fetch(url, { headers, signal: controller.signal });
  const queue: SseEvent[] = [];
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const waiter of [...waiters]) waiter();
  };
  let finished = false;
  const ended = (async () => {
    if (response.body === null) return;
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += value;
        let end = buffer.indexOf('\n\n');
        while (end !== -1) {
          const event = parseBlock(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
          if (event !== undefined) queue.push(event);
          end = buffer.indexOf('\n\n');
        }
        wake();
      }
    } catch {
      // Aborted by close().
    } finally {
      finished = true;
      wake();
    }
  })();

  return {
    status: response.status,
    ended,
    close: () => controller.abort(),
    next(accept = () => true, timeoutMs = 15_000) {
      return new Promise<SseEvent>((resolve, reject) => {
        const seen: string[] = [];
        const check = () => {
          while (queue.length > 0) {
            const event = queue.shift()!;
            if (accept(event)) {
              done();
              resolve(event);
              return;
            }
            seen.push(`${event.event}: ${event.data.slice(0, 200)}`);
          }
          if (finished) {
            done();
            reject(new Error(`the stream ended without the awaited event; skipped:\n${seen.join('\n')}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`no awaited event within ${timeoutMs} ms; skipped:\n${seen.join('\n')}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
  };
}
