import { describe, expect, it } from 'vitest';
import { exitEvent } from './exit-outcome.js';

const tail = [
  { at: 1, stream: 'stdout' as const, text: 'starting' },
  { at: 2, stream: 'stderr' as const, text: 'giving up' },
];

describe('exitEvent', () => {
  it('exit 0 is finished with the worker result', () => {
    expect(
      exitEvent({
        container: 'c',
        exitCode: 0,
        oomKilled: false,
        result: { value: { open: [22] } },
        tail,
        at: 5,
      }),
    ).toEqual({
      type: 'finished',
      at: 5,
      reason: 'container c exited with code 0',
      result: { open: [22] },
    });
  });

  it('a non-zero exit without a worker error is TASK_FAILED with the code, its signal and the log tail', () => {
    const event = exitEvent({ container: 'c', exitCode: 137, oomKilled: false, tail, at: 5 });
    expect(event.type).toBe('failed');
    expect(event.error).toEqual({
      code: 'TASK_FAILED',
      message: 'container c exited with code 137 (SIGKILL); last line: giving up',
      retryable: false,
      details: { exitCode: 137, container: 'c', logTail: ['starting', 'giving up'] },
    });
  });

  it('the worker’s own error keeps its code; exit 75 is retryable', () => {
    const event = exitEvent({
      container: 'c',
      exitCode: 75,
      oomKilled: false,
      error: { code: 'UNAVAILABLE', message: 'dns down', details: { host: 'x' } },
      tail,
      at: 5,
    });
    expect(event.error).toMatchObject({
      code: 'UNAVAILABLE',
      message: 'dns down',
      retryable: true,
      details: { host: 'x', exitCode: 75 },
    });
  });

  it('names an OOM kill, and a stop is CANCELLED whatever the exit code', () => {
    expect(
      exitEvent({ container: 'c', exitCode: 137, oomKilled: true, memoryMiB: 64, tail: [], at: 1 }).error,
    ).toMatchObject({
      code: 'TASK_FAILED',
      message: 'container c was killed for running out of memory (limit 64 MiB), exit code 137',
      details: { oomKilled: true, memoryMiB: 64 },
    });
    expect(
      exitEvent({ container: 'c', exitCode: 0, oomKilled: false, stopReason: 'operator', tail: [], at: 1 }),
    ).toMatchObject({ type: 'failed', error: { code: 'CANCELLED', message: 'operator' } });
  });
});
