import { describe, expect, it } from 'vitest';
import { isScanplaneError } from '../errors/scanplane-error.js';
import { TASK_STATUSES } from './task.js';
import { taskIn } from './task-fixture.js';
import {
  applyTransition,
  canTransition,
  failureTransition,
  isRetryableError,
  retryDelay,
  TRANSITIONS,
} from './transitions.js';

function expectCode(fn: () => unknown, code: string): void {
  try {
    fn();
  } catch (error) {
    expect(isScanplaneError(error) && error.code).toBe(code);
    return;
  }
  throw new Error(`expected a ScanplaneError ${code}`);
}

describe('the transition table', () => {
  it('is exactly the documented lifecycle', () => {
    expect(TRANSITIONS).toEqual({
      created: ['queued', 'requested', 'failed', 'cancelled'],
      queued: ['requested', 'started', 'failed', 'cancelled'],
      requested: ['started', 'queued', 'finished', 'failed', 'cancelled'],
      started: ['finished', 'failed', 'queued', 'cancelled'],
      finished: [],
      failed: [],
      cancelled: [],
    });
  });

  it('refuses every move it does not list with INVALID_TRANSITION, and terminal states allow nothing', () => {
    for (const from of TASK_STATUSES) {
      for (const to of TASK_STATUSES) {
        const task = taskIn(from);
        if (canTransition(from, to)) {
          expect(applyTransition(task, { to, at: 2000, reason: 'test' }).status).toBe(to);
        } else {
          expectCode(() => applyTransition(task, { to, at: 2000, reason: 'test' }), 'INVALID_TRANSITION');
        }
      }
    }
    expect(TRANSITIONS.finished).toHaveLength(0);
  });

  it('names the final state in the message', () => {
    try {
      applyTransition(taskIn('finished'), { to: 'started', at: 1, reason: 'late' });
    } catch (error) {
      expect((error as Error).message).toContain('finished is final');
    }
  });
});

describe('applyTransition', () => {
  it('bumps the version, appends history and leaves the input untouched', () => {
    const before = taskIn('created');
    const after = applyTransition(before, { to: 'queued', at: 2000, reason: 'enqueued' });
    expect(after.version).toBe(2);
    expect(after.history.at(-1)).toEqual({ from: 'created', to: 'queued', at: 2000, reason: 'enqueued' });
    expect(before.status).toBe('created');
    expect(before.history).toHaveLength(1);
  });

  it('keeps the first queuedAt so the queue stays first in, first out', () => {
    let task = applyTransition(taskIn('created'), { to: 'queued', at: 2000, reason: 'q' });
    task = applyTransition(task, { to: 'started', at: 3000, reason: 's' });
    task = applyTransition(task, { to: 'queued', at: 4000, reason: 'retry' });
    expect(task.queuedAt).toBe(2000);
  });

  it('counts an attempt when it begins: at requested, or at started without requested', () => {
    let pushed = applyTransition(taskIn('queued'), { to: 'requested', at: 2, reason: 'launch' });
    expect(pushed.attempt).toBe(1);
    pushed = applyTransition(pushed, { to: 'started', at: 3, reason: 'running' });
    expect(pushed.attempt).toBe(1);
    const pulled = applyTransition(taskIn('queued'), { to: 'started', at: 2, reason: 'claim' });
    expect(pulled.attempt).toBe(1);
  });

  it('sets each timestamp with its status and clears the lease when leaving started', () => {
    let task = applyTransition(taskIn('queued'), {
      to: 'started',
      at: 5,
      reason: 'claim',
      patch: { workerId: 'w', leaseExpiresAt: 100 },
    });
    expect(task).toMatchObject({ startedAt: 5, workerId: 'w', leaseExpiresAt: 100 });
    task = applyTransition(task, { to: 'finished', at: 9, reason: 'done', patch: { result: { ok: 1 } } });
    expect(task.finishedAt).toBe(9);
    expect(task.leaseExpiresAt).toBeUndefined();
    expect(task.result).toEqual({ ok: 1 });
  });

  it('drops the old attempt worker and handle on a retry', () => {
    const started = taskIn('started', { workerId: 'w', handle: { launcher: 'x', id: 'h' }, attempt: 1 });
    const retried = applyTransition(started, { to: 'queued', at: 9, reason: 'retry' });
    expect(retried.workerId).toBeUndefined();
    expect(retried.handle).toBeUndefined();
  });

  it('honours from and expectedVersion', () => {
    expectCode(
      () => applyTransition(taskIn('requested'), { to: 'started', from: ['queued'], at: 1, reason: 'claim' }),
      'INVALID_TRANSITION',
    );
    expectCode(
      () => applyTransition(taskIn('queued'), { to: 'started', expectedVersion: 7, at: 1, reason: 'claim' }),
      'CONFLICT',
    );
  });
});

describe('retries', () => {
  it('backs off exponentially with jitter between half and all of the delay, up to the cap', () => {
    const policy = { baseMs: 1000, maxMs: 10_000 };
    expect(retryDelay(1, policy, () => 1)).toBe(1000);
    expect(retryDelay(1, policy, () => 0)).toBe(500);
    expect(retryDelay(3, policy, () => 1)).toBe(4000);
    expect(retryDelay(10, policy, () => 1)).toBe(10_000);
    const draws = Array.from({ length: 200 }, () => retryDelay(2, policy));
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(1000);
    expect(Math.max(...draws)).toBeLessThanOrEqual(2000);
    expect(new Set(draws).size).toBeGreaterThan(10);
  });

  it('retries retryable errors while attempts remain, then fails for good', () => {
    const error = { code: 'LEASE_EXPIRED', message: 'no heartbeat' };
    const first = failureTransition(taskIn('started', { attempt: 1, maxAttempts: 3 }), error, 10_000, {
      random: () => 1,
    });
    expect(first).toMatchObject({ to: 'queued', patch: { error, notBefore: 11_000 } });
    const last = failureTransition(taskIn('started', { attempt: 3, maxAttempts: 3 }), error, 10_000);
    expect(last).toMatchObject({ to: 'failed', patch: { error } });
  });

  it('never retries a non-retryable error', () => {
    const request = failureTransition(
      taskIn('started', { attempt: 1 }),
      { code: 'TASK_TIMEOUT', message: 'too slow' },
      1,
    );
    expect(request.to).toBe('failed');
    expect(isRetryableError({ code: 'TASK_FAILED', message: 'x', retryable: true })).toBe(true);
    expect(isRetryableError({ code: 'UNAVAILABLE', message: 'x' })).toBe(true);
    expect(isRetryableError({ code: 'EWEIRD', message: 'x' })).toBe(false);
  });
});
