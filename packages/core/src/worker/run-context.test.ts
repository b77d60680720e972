import { describe, expect, it } from 'vitest';
import { RunContext } from './run-context.js';

describe('RunContext', () => {
  it('makes its signal on first use, and the same one after', () => {
    const context = new RunContext(() => {});
    const signal = context.signal;
    expect(signal).toBeInstanceOf(AbortSignal);
    expect(signal.aborted).toBe(false);
    expect(context.signal).toBe(signal);
    expect(context.aborted).toBe(false);
  });

  it('aborts a signal already handed out, with the reason, once', () => {
    const context = new RunContext(() => {});
    const signal = context.signal;
    const reasons: unknown[] = [];
    signal.addEventListener('abort', () => reasons.push(signal.reason));
    context.abort({ code: 'CANCELLED' });
    context.abort({ code: 'TASK_TIMEOUT' });
    expect(context.aborted).toBe(true);
    expect(reasons).toEqual([{ code: 'CANCELLED' }]);
  });

  it('hands out an already aborted signal when aborted before anyone asked for it', () => {
    const context = new RunContext(() => {});
    context.abort('stopped');
    expect(context.aborted).toBe(true);
    expect(context.signal.aborted).toBe(true);
    expect(context.signal.reason).toBe('stopped');
  });

  it('passes log lines to its log function', () => {
    const lines: string[] = [];
    const context = new RunContext((line) => lines.push(line));
    context.log('hello');
    expect(lines).toEqual(['hello']);
  });
});
