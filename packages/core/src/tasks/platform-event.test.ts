import { describe, expect, it } from 'vitest';
import { decidePlatformEvent } from './platform-event.js';
import { taskIn } from './task-fixture.js';
import { applyTransition } from './transitions.js';

describe('decidePlatformEvent', () => {
  it('moves a requested task to started, then to finished', () => {
    const requested = taskIn('requested', { handle: { launcher: 'ecs', id: 'arn', version: 1 }, attempt: 1 });
    const started = decidePlatformEvent(requested, { type: 'started', at: 5, version: 2 });
    expect(started.outcome).toBe('apply');
    if (started.outcome !== 'apply') return;
    const running = applyTransition(requested, started.request);
    expect(running.status).toBe('started');
    expect(running.handle?.version).toBe(2);
    const finished = decidePlatformEvent(running, {
      type: 'finished',
      at: 9,
      version: 3,
      result: { exit: 0 },
    });
    expect(finished.outcome === 'apply' && applyTransition(running, finished.request)).toMatchObject({
      status: 'finished',
      result: { exit: 0 },
    });
  });

  it('treats the same event twice as a no-op', () => {
    const running = taskIn('started', { handle: { launcher: 'ecs', id: 'arn', version: 2 } });
    expect(decidePlatformEvent(running, { type: 'started', at: 5, version: 2 }).outcome).toBe('duplicate');
    expect(decidePlatformEvent(running, { type: 'started', at: 5 }).outcome).toBe('duplicate');
  });

  it('ignores events older than the last applied platform version', () => {
    const running = taskIn('started', { handle: { launcher: 'ecs', id: 'arn', version: 5 } });
    expect(decidePlatformEvent(running, { type: 'finished', at: 5, version: 4 }).outcome).toBe('stale');
  });

  it('never lets a late event overwrite a kill or any terminal state (Crossfeed)', () => {
    for (const status of ['finished', 'failed', 'cancelled'] as const) {
      const ended = taskIn(status);
      for (const type of ['started', 'finished', 'failed'] as const) {
        expect(decidePlatformEvent(ended, { type, at: 99 }).outcome).toBe('stale');
      }
    }
  });

  it('accepts the end before the start (a fast container), and then the late start is stale', () => {
    const requested = taskIn('requested', { attempt: 1 });
    const end = decidePlatformEvent(requested, { type: 'finished', at: 5 });
    expect(end.outcome).toBe('apply');
    if (end.outcome !== 'apply') return;
    const done = applyTransition(requested, end.request);
    expect(decidePlatformEvent(done, { type: 'started', at: 4 }).outcome).toBe('stale');
  });

  it('fails or retries by the error, and records it (never an empty error)', () => {
    const running = taskIn('started', { attempt: 1, maxAttempts: 2 });
    const retry = decidePlatformEvent(running, {
      type: 'failed',
      at: 5,
      error: { code: 'SpotInterruption', message: 'spot capacity reclaimed', retryable: true },
    });
    expect(retry.outcome === 'apply' && retry.request.to).toBe('queued');
    const plain = decidePlatformEvent(running, { type: 'failed', at: 5, reason: 'exit 3' });
    expect(plain.outcome === 'apply' && plain.request).toMatchObject({
      to: 'failed',
      patch: { error: { code: 'TASK_FAILED', message: 'exit 3' } },
    });
  });
});
