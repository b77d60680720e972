import type { LogLine } from '@scanplane/core';

/** The line the core entrypoint prints on stdout with the handler's result. */
export const RESULT_PREFIX = 'SCANPLANE_RESULT ';
/** The line the core entrypoint prints on stderr with the handler's error. */
export const ERROR_PREFIX = 'SCANPLANE_ERROR ';

type StreamName = LogLine['stream'];

/**
 * A streaming demultiplexer of Docker's attach and logs streams for containers without a TTY: 8-byte frame headers
 * (stream type, 3 zero bytes, big-endian length) followed by the payload, with headers and payloads split anywhere
 * across chunks. stdin frames (type 0) count as stdout, as Docker documents.
 */
export class FrameDemuxer {
  #pending: Buffer = Buffer.alloc(0);
  readonly #onData: (stream: StreamName, data: Buffer) => void;

  constructor(onData: (stream: StreamName, data: Buffer) => void) {
    this.#onData = onData;
  }

  /** Feeds one chunk; calls `onData` for each complete (or partial, for long frames) payload. */
  push(chunk: Buffer): void {
    let buffer = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    while (buffer.length >= 8) {
      const type = buffer[0] as number;
      const length = buffer.readUInt32BE(4);
      if (buffer.length < 8 + length) break;
      this.#onData(type === 2 ? 'stderr' : 'stdout', buffer.subarray(8, 8 + length));
      buffer = buffer.subarray(8 + length);
    }
    this.#pending = buffer.length === 0 ? Buffer.alloc(0) : Buffer.from(buffer);
  }
}

/** Every frame of a whole multiplexed buffer (a `logs` answer without `follow`). */
export function demuxBuffer(buffer: Buffer): Array<{ stream: StreamName; data: Buffer }> {
  const frames: Array<{ stream: StreamName; data: Buffer }> = [];
  new FrameDemuxer((stream, data) => frames.push({ stream, data: Buffer.from(data) })).push(buffer);
  return frames;
}

/** Splits each stream's bytes into lines (`\n`, a trailing `\r` dropped), keeping a partial last line until more. */
export class LineSplitter {
  readonly #partial: Record<StreamName, string> = { stdout: '', stderr: '' };
  readonly #onLine: (stream: StreamName, text: string) => void;

  constructor(onLine: (stream: StreamName, text: string) => void) {
    this.#onLine = onLine;
  }

  /** Feeds bytes of one stream. */
  push(stream: StreamName, data: Buffer | string): void {
    const text = this.#partial[stream] + (typeof data === 'string' ? data : data.toString('utf8'));
    const lines = text.split('\n');
    this.#partial[stream] = lines.pop() ?? '';
    for (const line of lines) this.#onLine(stream, line.endsWith('\r') ? line.slice(0, -1) : line);
  }

  /** Emits what is left of each stream as a last line. */
  flush(): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      if (this.#partial[stream] !== '') {
        const line = this.#partial[stream];
        this.#partial[stream] = '';
        this.#onLine(stream, line);
      }
    }
  }
}

const TIMESTAMP = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2}) (.*)$/s;

/**
 * Splits a line of `docker logs --timestamps` into its time (epoch milliseconds; RFC 3339 with nanoseconds cut to
 * milliseconds) and its text; a line without a timestamp keeps `fallbackAt`.
 */
export function parseTimestamped(line: string, fallbackAt: number): { at: number; text: string } {
  const match = TIMESTAMP.exec(line);
  if (match === null) return { at: fallbackAt, text: line };
  const fraction = (match[2] ?? '').slice(0, 4);
  const at = Date.parse(`${match[1]}${fraction}${match[3]}`);
  return { at: Number.isNaN(at) ? fallbackAt : at, text: match[4] ?? '' };
}

/** The lines of a whole `logs` answer with timestamps, demultiplexed, in order. */
export function parseLogBuffer(buffer: Buffer, fallbackAt: number): LogLine[] {
  const lines: LogLine[] = [];
  const splitter = new LineSplitter((stream, raw) => {
    const { at, text } = parseTimestamped(raw, fallbackAt);
    lines.push({ at, stream, text });
  });
  for (const frame of demuxBuffer(buffer)) splitter.push(frame.stream, frame.data);
  splitter.flush();
  return lines;
}

/**
 * The result (`SCANPLANE_RESULT <json>` on stdout) or error (`SCANPLANE_ERROR <json>` on stderr) a line carries, if
 * any; a line with the prefix and invalid JSON is reported as `invalid`.
 */
export function outcomeLine(
  line: LogLine,
):
  | { kind: 'result'; value: unknown }
  | { kind: 'error'; value: unknown }
  | { kind: 'invalid'; text: string }
  | undefined {
  const prefix = line.stream === 'stdout' ? RESULT_PREFIX : ERROR_PREFIX;
  if (!line.text.startsWith(prefix)) return undefined;
  try {
    const value = JSON.parse(line.text.slice(prefix.length)) as unknown;
    return line.stream === 'stdout' ? { kind: 'result', value } : { kind: 'error', value };
  } catch {
    return { kind: 'invalid', text: line.text };
  }
}
