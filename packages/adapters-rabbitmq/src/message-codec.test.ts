import { describe, expect, it } from 'vitest';
import { parseNotice } from './cancel-listener.js';
import { decodeMessage, encodeMessage, headerCount } from './message-codec.js';

describe('message codec', () => {
  it('round-trips a queue message, and only its own fields', () => {
    const message = {
      taskId: 't1',
      project: 'acme',
      kind: 'scan',
      priority: 3,
      notBefore: 1_700_000_000_000,
    };
    expect(decodeMessage(encodeMessage(message))).toEqual(message);
    const extra = { taskId: 't2', project: 'acme', kind: 'scan', priority: 0, secret: 'x' } as never;
    expect(JSON.parse(encodeMessage(extra).toString())).toEqual({
      taskId: 't2',
      project: 'acme',
      kind: 'scan',
      priority: 0,
    });
  });

  it('says why a body is not a queue message', () => {
    expect(decodeMessage(Buffer.from('not json'))).toBe('malformed message: the body (8 bytes) is not JSON');
    expect(decodeMessage(Buffer.from('[1]'))).toMatch(/"taskId" must be a non-empty string/);
    expect(decodeMessage(Buffer.from('null'))).toBe('malformed message: the body is not a JSON object');
    expect(decodeMessage(Buffer.from('{"taskId":"t","project":"p","kind":"k"}'))).toMatch(/"priority"/);
    expect(
      decodeMessage(Buffer.from('{"taskId":"t","project":"p","kind":"k","priority":1,"notBefore":"x"}')),
    ).toMatch(/"notBefore"/);
  });

  it('reads counts from headers as non-negative integers', () => {
    expect(headerCount(3)).toBe(3);
    expect(headerCount('4')).toBe(4);
    expect(headerCount(undefined)).toBe(0);
    expect(headerCount(-1)).toBe(0);
    expect(headerCount(1.5)).toBe(0);
  });

  it('parses cancel notices and ignores anything else', () => {
    expect(parseNotice(Buffer.from('{"taskIds":["a","b"],"reason":"stop"}'))).toEqual({
      taskIds: ['a', 'b'],
      reason: 'stop',
    });
    expect(parseNotice(Buffer.from('{"taskIds":[1]}'))).toBeUndefined();
    expect(parseNotice(Buffer.from('garbage'))).toBeUndefined();
  });
});
