import { describe, expect, it } from 'vitest';
import { createMemoryStore } from './memory-store.js';

const T0 = Date.parse('2026-01-15T12:00:00Z');

describe('createMemoryStore: scheduleSnapshot', () => {
  it('describes a task that waits in the queue once, frozen, until the task changes', async () => {
    const store = createMemoryStore();
    const { created } = await store.create(
      [
        {
          project: 'scheduled',
          kind: 'amass',
          idempotencyKey: 'k1',
          scanId: 'amass',
          organizationIds: ['a', 'b'],
          status: 'queued',
          priority: 2,
          payload: { dueSince: T0 - 1000 },
        },
      ],
      { at: T0 },
    );
    const task = created[0];
    if (task === undefined) throw new Error('the task was created');
    const [first] = (await store.scheduleSnapshot()).queued;
    const [second] = (await store.scheduleSnapshot()).queued;
    expect(first).toEqual({
      taskId: task.id,
      scanId: 'amass',
      organizationIds: ['a', 'b'],
      priority: 2,
      queuedAt: T0,
      dueSince: T0 - 1000,
    });
    expect(second).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(Object.isFrozen(first?.organizationIds)).toBe(true);

    await store.transition(task.id, { to: 'started', at: T0 + 1, reason: 'test' });
    await store.transition(task.id, {
      to: 'queued',
      at: T0 + 2,
      reason: 'retry',
      patch: { notBefore: T0 + 60_000 },
    });
    const [requeued] = (await store.scheduleSnapshot()).queued;
    expect(requeued).not.toBe(first);
    expect(requeued).toMatchObject({ taskId: task.id, notBefore: T0 + 60_000 });
  });
});
