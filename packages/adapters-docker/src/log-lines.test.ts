import { describe, expect, it } from 'vitest';
import {
  demuxBuffer,
  FrameDemuxer,
  LineSplitter,
  outcomeLine,
  parseLogBuffer,
  parseTimestamped,
} from './log-lines.js';

function frame(type: 1 | 2, text: string): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = type;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

describe('FrameDemuxer', () => {
  it('splits Docker’s 8-byte framed stream into stdout and stderr, whatever the chunk boundaries', () => {
    const whole = Buffer.concat([frame(1, 'out one\n'), frame(2, 'err one\n'), frame(1, 'out two\n')]);
    for (const size of [1, 3, 7, 8, 9, whole.length]) {
      const got: string[] = [];
      const demuxer = new FrameDemuxer((stream, data) => got.push(`${stream}:${data.toString()}`));
      for (let at = 0; at < whole.length; at += size) demuxer.push(whole.subarray(at, at + size));
      expect(got, `chunks of ${size}`).toEqual(['stdout:out one\n', 'stderr:err one\n', 'stdout:out two\n']);
    }
  });

  it('demuxes a whole buffer', () => {
    expect(
      demuxBuffer(Buffer.concat([frame(2, 'x'), frame(1, 'y')])).map((f) => [f.stream, f.data.toString()]),
    ).toEqual([
      ['stderr', 'x'],
      ['stdout', 'y'],
    ]);
  });
});

describe('LineSplitter', () => {
  it('keeps partial lines per stream until the rest arrives, and flushes the remainder', () => {
    const lines: string[] = [];
    const splitter = new LineSplitter((stream, text) => lines.push(`${stream}:${text}`));
    splitter.push('stdout', 'hel');
    splitter.push('stderr', 'oops\r\nwa');
    splitter.push('stdout', 'lo\nworld');
    splitter.flush();
    expect(lines).toEqual(['stderr:oops', 'stdout:hello', 'stdout:world', 'stderr:wa']);
  });
});

describe('parseTimestamped / parseLogBuffer', () => {
  it('reads RFC 3339 nanosecond timestamps as epoch milliseconds', () => {
    expect(parseTimestamped('2026-01-05T10:00:00.123456789Z scan done', 0)).toEqual({
      at: Date.parse('2026-01-05T10:00:00.123Z'),
      text: 'scan done',
    });
    expect(parseTimestamped('no timestamp here', 42)).toEqual({ at: 42, text: 'no timestamp here' });
  });

  it('turns a `logs --timestamps` answer into lines with stream and time', () => {
    const buffer = Buffer.concat([
      frame(1, '2026-01-05T10:00:00.000000001Z first\n2026-01-05T10:00:01.5Z second\n'),
      frame(2, '2026-01-05T10:00:02Z SCANPLANE_ERROR {"code":"TASK_FAILED","message":"x"}\n'),
    ]);
    expect(parseLogBuffer(buffer, 0)).toEqual([
      { at: Date.parse('2026-01-05T10:00:00.000Z'), stream: 'stdout', text: 'first' },
      { at: Date.parse('2026-01-05T10:00:01.500Z'), stream: 'stdout', text: 'second' },
      {
        at: Date.parse('2026-01-05T10:00:02Z'),
        stream: 'stderr',
        text: 'SCANPLANE_ERROR {"code":"TASK_FAILED","message":"x"}',
      },
    ]);
  });
});

describe('outcomeLine', () => {
  it('finds the result on stdout and the error on stderr only', () => {
    expect(outcomeLine({ at: 0, stream: 'stdout', text: 'SCANPLANE_RESULT {"open":[80]}' })).toEqual({
      kind: 'result',
      value: { open: [80] },
    });
    expect(
      outcomeLine({ at: 0, stream: 'stderr', text: 'SCANPLANE_ERROR {"code":"X","message":"y"}' }),
    ).toEqual({
      kind: 'error',
      value: { code: 'X', message: 'y' },
    });
    expect(outcomeLine({ at: 0, stream: 'stderr', text: 'SCANPLANE_RESULT {}' })).toBeUndefined();
    expect(outcomeLine({ at: 0, stream: 'stdout', text: 'SCANPLANE_RESULT {oops' })).toEqual({
      kind: 'invalid',
      text: 'SCANPLANE_RESULT {oops',
    });
  });
});
