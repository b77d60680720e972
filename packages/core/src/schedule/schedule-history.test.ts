import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ScanTask, TaskStatus } from '../tasks/task.js';
import { taskIn } from '../tasks/task-fixture.js';
import { organizationOutcome, ScheduleHistoryIndex } from './schedule-history.js';

let n = 0;
const task = (status: TaskStatus, extra: Partial<ScanTask> = {}): ScanTask =>
  taskIn(status, { id: `t${++n}`, scanId: 's', organizationIds: ['a'], createdAt: 100, ...extra });

describe('ScheduleHistoryIndex', () => {
  it('counts active tasks per pair and forgets them when they end', () => {
    const index = new ScheduleHistoryIndex();
    const created = task('queued', { organizationIds: ['a', 'b'] });
    index.update(undefined, created);
    expect(index.get('s', 'a')).toMatchObject({ active: 1, lastRunAt: 100 });
    expect(index.get('s', 'b')).toMatchObject({ active: 1 });
    const started = { ...created, status: 'started' as const };
    index.update(created, started); // active → active: nothing changes
    expect(index.get('s', 'a')?.active).toBe(1);
    index.update(started, { ...started, status: 'finished', finishedAt: 500 });
    expect(index.get('s', 'a')).toMatchObject({
      active: 0,
      lastFinishedAt: 500,
      lastOutcome: 'finished',
      lastSucceededAt: 500,
    });
    expect(index.get('s', 'c')).toBeUndefined();
  });

  it('keys a global task (no organizations) by the scan alone', () => {
    const index = ScheduleHistoryIndex.fromTasks([task('finished', { organizationIds: [], finishedAt: 7 })]);
    expect(index.get('s')).toMatchObject({ lastFinishedAt: 7 });
    expect(index.get('s', 'a')).toBeUndefined();
  });

  it('ignores tasks without a scanId, and finishes without a finish time', () => {
    const index = ScheduleHistoryIndex.fromTasks([
      taskIn('finished', { id: 'x', finishedAt: 5 }),
      task('failed', { organizationIds: ['b'] }),
    ]);
    expect(index.size).toBe(1);
    expect(index.get('s', 'b')).toEqual({ active: 0, lastRunAt: 100, failuresSinceSuccess: 0 });
  });

  it('reads each organization’s outcome of a batch task from its result', () => {
    const batch = task('finished', {
      organizationIds: ['a', 'b', 'c'],
      finishedAt: 9,
      result: { organizations: { a: { status: 'finished' }, b: { status: 'failed' } } },
    });
    expect(organizationOutcome(batch, 'a')).toBe('finished');
    expect(organizationOutcome(batch, 'b')).toBe('failed');
    expect(organizationOutcome(batch, 'c')).toBe('finished'); // not listed: the task's own outcome
    expect(organizationOutcome({ ...batch, status: 'cancelled' }, 'c')).toBe('failed');
    const index = ScheduleHistoryIndex.fromTasks([batch]);
    expect(index.get('s', 'b')).toMatchObject({ lastOutcome: 'failed', failuresSinceSuccess: 1 });
    expect(index.get('s', 'b')?.lastSucceededAt).toBeUndefined();
  });

  it('gives the same histories whatever order the tasks come in', () => {
    const finishes = fc.array(
      fc.record({ at: fc.integer({ min: 1, max: 50 }), ok: fc.boolean(), active: fc.boolean() }),
      { maxLength: 12 },
    );
    fc.assert(
      fc.property(finishes, fc.integer(), (runs, seed) => {
        const tasks = runs.map((run, i) =>
          run.active
            ? task('started', { id: `r${i}`, createdAt: run.at })
            : task(run.ok ? 'finished' : 'failed', { id: `r${i}`, createdAt: run.at, finishedAt: run.at }),
        );
        const shuffled = [...tasks].sort(
          (x, y) => ((x.id.charCodeAt(1) * seed) % 7) - ((y.id.charCodeAt(1) * seed) % 7),
        );
        const a = ScheduleHistoryIndex.fromTasks(tasks).get('s', 'a');
        const b = ScheduleHistoryIndex.fromTasks(shuffled).get('s', 'a');
        expect(b).toEqual(a);
        // And against a direct computation.
        const ended = runs.filter((run) => !run.active);
        const lastSuccess = Math.max(-1, ...ended.filter((run) => run.ok).map((run) => run.at));
        expect(a?.failuresSinceSuccess ?? 0).toBe(
          ended.filter((run) => !run.ok && run.at > lastSuccess).length,
        );
        expect(a?.active ?? 0).toBe(runs.filter((run) => run.active).length);
      }),
    );
  });

  it('snapshots: a copy that later changes do not reach', () => {
    const index = new ScheduleHistoryIndex();
    const created = task('queued');
    index.update(undefined, created);
    const snapshot = index.snapshot();
    index.update(created, { ...created, status: 'finished', finishedAt: 300 });
    expect(snapshot.get('s', 'a')).toMatchObject({ active: 1 });
    expect(snapshot.get('s', 'a')?.lastFinishedAt).toBeUndefined();
    expect(Object.isFrozen(snapshot.get('s', 'a'))).toBe(true);
  });
});
