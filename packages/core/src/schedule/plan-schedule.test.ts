import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ScanTask, TaskStatus } from '../tasks/task.js';
import { taskIn } from '../tasks/task-fixture.js';
import { chunkSlice } from './chunk-slice.js';
import {
  explainPair,
  type PairSkip,
  planSchedule,
  type QueuedScanTask,
  type SchedulePlan,
  type ScheduleState,
} from './plan-schedule.js';
import type { Organization, ScanDefinition } from './scan-definition.js';
import { ScheduleHistoryIndex } from './schedule-history.js';

const NOW = Date.parse('2026-03-02T12:00:00Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const org = (id: string, extra: Partial<Organization> = {}): Organization => ({
  id,
  name: id.toUpperCase(),
  passive: false,
  tags: [],
  ...extra,
});
const scan = (id: string, extra: Partial<ScanDefinition> = {}): ScanDefinition => ({
  id,
  type: id,
  frequencySeconds: 86_400,
  ...extra,
});

let taskNumber = 0;
/** A scheduled task record: `finishedAt` for terminal tasks unless given as null. */
function task(
  scanId: string,
  organizationIds: string[],
  status: TaskStatus,
  extra: Omit<Partial<ScanTask>, 'finishedAt'> & { finishedAt?: number | null } = {},
): ScanTask {
  const { finishedAt, ...rest } = extra;
  const terminal = status === 'finished' || status === 'failed' || status === 'cancelled';
  const record = taskIn(status, {
    id: `t${++taskNumber}`,
    scanId,
    organizationIds,
    createdAt: (finishedAt ?? NOW - DAY) - HOUR,
    ...rest,
  });
  if (terminal && finishedAt !== null) record.finishedAt = finishedAt ?? NOW - 2 * DAY;
  return record;
}

function state(parts: {
  scans: ScanDefinition[];
  organizations?: Organization[];
  tasks?: ScanTask[];
  queued?: QueuedScanTask[];
  running?: number;
  limit?: number;
}): ScheduleState {
  const tasks = parts.tasks ?? [];
  const result: ScheduleState = {
    scans: parts.scans,
    organizations: parts.organizations ?? [org('a'), org('b'), org('c')],
    history: ScheduleHistoryIndex.fromTasks(tasks),
    // The queued tasks among the tasks (as a store reports them), unless given.
    queued:
      parts.queued ??
      tasks
        .filter((t) => t.status === 'queued')
        .map((t) => {
          const entry: QueuedScanTask = {
            taskId: t.id,
            scanId: t.scanId as string,
            organizationIds: t.organizationIds ?? [],
            priority: t.priority,
            queuedAt: t.queuedAt ?? t.createdAt,
          };
          if (t.notBefore !== undefined) entry.notBefore = t.notBefore;
          return entry;
        }),
    running: parts.running ?? 0,
  };
  if (parts.limit !== undefined) result.limit = parts.limit;
  return result;
}

/** The organizations of every new task (launched or queued) of a scan, in order. */
const planned = (plan: SchedulePlan, scanId: string): string[][] =>
  [...plan.launch, ...plan.queue].filter((t) => t.scanId === scanId).map((t) => t.organizationIds);

const reasonOf = (plan: SchedulePlan, scanId: string, organizationId?: string): PairSkip | undefined =>
  plan.skipped.find((skip) => skip.scanId === scanId && skip.organizationId === organizationId);

describe('planSchedule: Crossfeed rules, in their order', () => {
  it('runs a never-run per-organization scan on every organization, one organization per task by default', () => {
    const plan = planSchedule(state({ scans: [scan('amass')] }), NOW);
    expect(planned(plan, 'amass')).toEqual([['a'], ['b'], ['c']]);
    expect(plan.skipped).toEqual([]);
    expect(plan.launch[0]?.payload).toMatchObject({
      scanName: 'amass',
      organizations: [{ id: 'a', name: 'A' }],
    });
  });

  it("hands the worker each organization's scope, the scan's arguments and resources", () => {
    const scope = { rootDomains: ['acme.example'], ipBlocks: ['192.0.2.0/24'] };
    const plan = planSchedule(
      state({
        scans: [scan('amass', { arguments: { depth: 2 }, resources: { cpu: 1024, memory: 4096 } })],
        organizations: [org('a', { scope })],
      }),
      NOW,
    );
    expect(plan.launch[0]?.payload).toEqual({
      scanName: 'amass',
      organizations: [{ id: 'a', name: 'A', scope }],
      arguments: { depth: 2 },
      resources: { cpu: 1024, memory: 4096 },
      dueSince: 0,
    });
  });

  it('1. passive guard: an active scan skips passive organizations; a passive scan does not', () => {
    const organizations = [org('a'), org('p', { passive: true })];
    const plan = planSchedule(
      state({ scans: [scan('portscan'), scan('findomain', { passive: true })], organizations }),
      NOW,
    );
    expect(planned(plan, 'portscan')).toEqual([['a']]);
    expect(reasonOf(plan, 'portscan', 'p')?.reason).toBe('passive-organization');
    expect(planned(plan, 'findomain')).toEqual([['a'], ['p']]);
  });

  it('1. the passive guard comes before the manual run: a manual run of an active scan still skips passive organizations', () => {
    const organizations = [org('a'), org('p', { passive: true })];
    const plan = planSchedule(
      state({ scans: [scan('portscan', { manualRunRequestedAt: NOW - 1000 })], organizations }),
      NOW,
    );
    expect(planned(plan, 'portscan')).toEqual([['a']]);
    expect(reasonOf(plan, 'portscan', 'p')?.reason).toBe('passive-organization');
  });

  it('2. a manual run skips the frequency window and the single-shot check', () => {
    const tasks = [
      task('amass', ['a'], 'finished', { finishedAt: NOW - 1000 }),
      task('once', ['a'], 'finished'),
    ];
    const plan = planSchedule(
      state({
        scans: [
          scan('amass', { manualRunRequestedAt: NOW - 500 }),
          scan('once', { singleShot: true, manualRunRequestedAt: NOW - 500 }),
        ],
        organizations: [org('a')],
        tasks,
      }),
      NOW,
    );
    expect(planned(plan, 'amass')).toEqual([['a']]);
    expect(planned(plan, 'once')).toEqual([['a']]);
    expect(plan.launch.every((t) => t.manual)).toBe(true);
  });

  it.each(['created', 'queued', 'requested', 'started'] as const)(
    '3. a %s task makes its (scan, organization) pair active: it does not run',
    (status) => {
      const plan = planSchedule(
        state({ scans: [scan('amass')], tasks: [task('amass', ['b'], status, { finishedAt: null })] }),
        NOW,
      );
      expect(planned(plan, 'amass')).toEqual([['a'], ['c']]);
      expect(reasonOf(plan, 'amass', 'b')?.reason).toBe('already-active');
    },
  );

  it('3. a batch task keeps every one of its organizations active', () => {
    const plan = planSchedule(
      state({ scans: [scan('amass')], tasks: [task('amass', ['a', 'c'], 'started', { finishedAt: null })] }),
      NOW,
    );
    expect(planned(plan, 'amass')).toEqual([['b']]);
  });

  it('3. active work blocks even when finished tasks exist before and after it (Crossfeed PR #208)', () => {
    const tasks = [
      task('amass', ['a'], 'finished', { finishedAt: NOW - 10 * DAY }),
      task('amass', ['a'], 'requested', { finishedAt: null }),
      task('amass', ['a'], 'finished', { finishedAt: NOW - 5 * DAY }),
    ];
    const plan = planSchedule(state({ scans: [scan('amass')], organizations: [org('a')], tasks }), NOW);
    expect(reasonOf(plan, 'amass', 'a')?.reason).toBe('already-active');
  });

  it('4. the frequency window is inclusive, measured from the latest finish', () => {
    const frequency = 86_400;
    const at = (finishedAt: number) =>
      planSchedule(
        state({
          scans: [scan('amass', { frequencySeconds: frequency })],
          organizations: [org('a')],
          tasks: [task('amass', ['a'], 'finished', { finishedAt })],
        }),
        NOW,
      );
    const exactly = at(NOW - frequency * 1000);
    expect(reasonOf(exactly, 'amass', 'a')).toMatchObject({ reason: 'not-due', dueAt: NOW });
    expect(planned(at(NOW - frequency * 1000 - 1), 'amass')).toEqual([['a']]);
  });

  it('4. a failed task starts the window too (Crossfeed PR #307); the latest finish counts', () => {
    const tasks = [
      task('amass', ['a'], 'finished', { finishedAt: NOW - 3 * DAY }),
      task('amass', ['a'], 'failed', { finishedAt: NOW - HOUR }),
    ];
    const plan = planSchedule(state({ scans: [scan('amass')], organizations: [org('a')], tasks }), NOW);
    expect(reasonOf(plan, 'amass', 'a')?.reason).toBe('not-due');
  });

  it('4. a failed task without a finish time neither blocks nor counts', () => {
    const tasks = [task('amass', ['a'], 'failed', { finishedAt: null })];
    const plan = planSchedule(state({ scans: [scan('amass')], organizations: [org('a')], tasks }), NOW);
    expect(planned(plan, 'amass')).toEqual([['a']]);
  });

  it('5. single shot: never again after it succeeded', () => {
    const tasks = [task('once', ['a'], 'finished', { finishedAt: NOW - 30 * DAY })];
    const plan = planSchedule(
      state({ scans: [scan('once', { singleShot: true, frequencySeconds: 1 })], tasks }),
      NOW,
    );
    expect(planned(plan, 'once')).toEqual([['b'], ['c']]);
    expect(reasonOf(plan, 'once', 'a')?.reason).toBe('single-shot-done');
  });

  it('5. single shot (fixed): a failure is retried, after the frequency window, up to maxAttempts', () => {
    const definition = scan('once', { singleShot: true, frequencySeconds: 3600, maxAttempts: 2 });
    const failedOnce = [task('once', ['a'], 'failed', { finishedAt: NOW - 2 * HOUR })];
    expect(
      planned(
        planSchedule(state({ scans: [definition], organizations: [org('a')], tasks: failedOnce }), NOW),
        'once',
      ),
    ).toEqual([['a']]);
    const justFailed = [task('once', ['a'], 'failed', { finishedAt: NOW - 60_000 })];
    expect(
      reasonOf(
        planSchedule(state({ scans: [definition], organizations: [org('a')], tasks: justFailed }), NOW),
        'once',
        'a',
      )?.reason,
    ).toBe('not-due');
    const failedTwice = [...failedOnce, task('once', ['a'], 'failed', { finishedAt: NOW - 3 * HOUR })];
    expect(
      reasonOf(
        planSchedule(state({ scans: [definition], organizations: [org('a')], tasks: failedTwice }), NOW),
        'once',
        'a',
      ),
    ).toMatchObject({ reason: 'single-shot-failed' });
  });

  it('granular: the de-duplicated union of the listed organizations and the tagged ones; others are not selected', () => {
    const organizations = [
      org('a', { tags: ['energy'] }),
      org('b'),
      org('c', { tags: ['energy', 'water'] }),
      org('d', { tags: ['water'] }),
    ];
    const plan = planSchedule(
      state({
        scans: [
          scan('sslyze', {
            granular: { organizations: ['c', 'b'], tags: ['energy'] },
            organizationsPerTask: 10,
          }),
        ],
        organizations,
      }),
      NOW,
    );
    expect(planned(plan, 'sslyze')).toEqual([['a', 'b', 'c']]);
    expect(reasonOf(plan, 'sslyze', 'd')?.reason).toBe('not-selected');
  });

  it('global: decided once for all organizations, one task, with no organizations', () => {
    const plan = planSchedule(state({ scans: [scan('dotgov', { global: true, passive: true })] }), NOW);
    expect(plan.launch).toHaveLength(1);
    expect(plan.launch[0]).toMatchObject({ organizationIds: [], payload: { organizations: [] } });
    const busy = planSchedule(
      state({
        scans: [scan('dotgov', { global: true, passive: true })],
        tasks: [task('dotgov', [], 'started', { finishedAt: null })],
      }),
      NOW,
    );
    expect(busy.launch).toEqual([]);
    expect(reasonOf(busy, 'dotgov')?.reason).toBe('already-active');
  });

  it('global, chunked: one task per chunk, chunk numbers 0 … N−1 of N', () => {
    const plan = planSchedule(
      state({ scans: [scan('censys', { global: true, passive: true, chunks: 20 })] }),
      NOW,
    );
    expect(plan.launch.map((t) => t.payload.chunkNumber)).toEqual([...Array(20).keys()]);
    expect(new Set(plan.launch.map((t) => t.payload.chunkCount))).toEqual(new Set([20]));
    expect(new Set(plan.launch.map((t) => t.key)).size).toBe(20);
  });

  it('global (fixed): an active global scan is told which passive organizations to leave alone', () => {
    const organizations = [
      org('a'),
      org('p', { passive: true }),
      org('q', { passive: true, enabled: false }),
    ];
    const plan = planSchedule(state({ scans: [scan('test', { global: true })], organizations }), NOW);
    expect(plan.launch[0]?.payload.excludedOrganizations).toEqual(['p']);
    const passive = planSchedule(
      state({ scans: [scan('dotgov', { global: true, passive: true })], organizations }),
      NOW,
    );
    expect(passive.launch[0]?.payload.excludedOrganizations).toBeUndefined();
  });

  it('global + granular (fixed): its selection reaches the worker, passive organizations left out for an active scan', () => {
    const organizations = [org('a', { tags: ['x'] }), org('b'), org('p', { passive: true, tags: ['x'] })];
    const plan = planSchedule(
      state({ scans: [scan('webscraper', { global: true, granular: { tags: ['x'] } })], organizations }),
      NOW,
    );
    expect(plan.launch[0]?.organizationIds).toEqual(['a']);
    expect(plan.launch[0]?.payload.excludedOrganizations).toEqual(['p']);
  });

  it('batches eligible organizations in id order, whatever order they come in; the scan overrides the option', () => {
    const organizations = ['e', 'a', 'd', 'b', 'c'].map((id) => org(id));
    const plan = planSchedule(
      state({ scans: [scan('amass'), scan('hibp', { organizationsPerTask: 3 })], organizations }),
      NOW,
      { organizationsPerTask: 2 },
    );
    expect(planned(plan, 'amass')).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
    expect(planned(plan, 'hibp')).toEqual([
      ['a', 'b', 'c'],
      ['d', 'e'],
    ]);
  });

  it('lastRun moves only for scans that launched new work in this tick', () => {
    const plan = planSchedule(
      state({
        scans: [scan('amass'), scan('hibp'), scan('idle')],
        organizations: [org('a')],
        tasks: [task('idle', ['a'], 'finished', { finishedAt: NOW - HOUR })],
        limit: 1,
      }),
      NOW,
    );
    // amass launches, hibp is queued (capacity), idle is not due.
    expect(plan.launch.map((t) => t.scanId)).toEqual(['amass']);
    expect(plan.queue.map((t) => t.scanId)).toEqual(['hibp']);
    expect(plan.scanUpdates).toEqual([{ scanId: 'amass', lastRun: NOW }]);
  });
});

describe('planSchedule: capacity and the queue', () => {
  /** A queued task of `scanId` for organization z (an organization with nothing else going on). */
  const queued = (id: string, queuedAt: number, extra: Partial<ScanTask> = {}): ScanTask =>
    task('amass', ['z'], 'queued', { id, queuedAt, createdAt: queuedAt, finishedAt: null, ...extra });

  it('launches queued tasks oldest first, then new work, up to limit − running; the rest of the new work is queued', () => {
    // The queued tasks became due 2 h and 1 h ago; the new work when the scan was created, 30 minutes ago.
    const plan = planSchedule(
      state({
        scans: [scan('amass', { createdAt: NOW - HOUR / 2 })],
        organizations: [org('a'), org('b'), org('z')],
        tasks: [queued('q-late', NOW - HOUR), queued('q-early', NOW - 2 * HOUR)],
        running: 5,
        limit: 8,
      }),
      NOW,
    );
    expect(plan.relaunch.map((t) => t.taskId)).toEqual(['q-early', 'q-late']);
    expect(plan.launch.map((t) => t.organizationIds)).toEqual([['a']]);
    expect(plan.queue.map((t) => t.organizationIds)).toEqual([['b']]);
    // z is covered by its queued tasks: queued counts as active.
    expect(reasonOf(plan, 'amass', 'z')?.reason).toBe('already-active');
  });

  it('launches nothing when running tasks already fill the limit, and queues all new work', () => {
    const plan = planSchedule(
      state({
        scans: [scan('amass')],
        organizations: [org('a'), org('b'), org('c'), org('z')],
        tasks: [queued('q', NOW - HOUR)],
        running: 3,
        limit: 3,
      }),
      NOW,
    );
    expect(plan.relaunch).toEqual([]);
    expect(plan.launch).toEqual([]);
    expect(plan.queue).toHaveLength(3);
  });

  it('has no limit when none is given (Crossfeed: an unset FARGATE_MAX_CONCURRENCY gave NaN, so also none — by accident)', () => {
    const plan = planSchedule(state({ scans: [scan('amass')], running: 1_000_000 }), NOW);
    expect(plan.launch).toHaveLength(3);
  });

  it('gives capacity by priority, then how long the work has been due, then id', () => {
    const tasks = [
      task('low', ['a'], 'finished', { finishedAt: NOW - 10 * DAY }), // due for 9 days
      task('old', ['a'], 'finished', { finishedAt: NOW - 5 * DAY }), // due for 4 days
      task('new', ['a'], 'finished', { finishedAt: NOW - 2 * DAY }), // due for 1 day
    ];
    const plan = planSchedule(
      state({
        scans: [scan('new'), scan('old'), scan('low', { priority: 0 }), scan('urgent', { priority: 5 })],
        organizations: [org('a')],
        tasks,
        limit: 3,
      }),
      NOW,
    );
    expect(plan.launch.map((t) => t.scanId)).toEqual(['urgent', 'old', 'new']);
    expect(plan.queue.map((t) => t.scanId)).toEqual(['low']);
  });

  it('does not relaunch a queued task in its retry backoff', () => {
    const plan = planSchedule(
      state({
        scans: [scan('amass')],
        organizations: [org('z')],
        tasks: [queued('q', NOW - HOUR, { notBefore: NOW + 1000 })],
      }),
      NOW,
    );
    expect(plan.relaunch).toEqual([]);
    expect(plan.cancel).toEqual([]);
  });

  it.each([
    ['deleted', [], 'scan-deleted'],
    ['disabled', [scan('amass', { enabled: false })], 'scan-disabled'],
    ['of an unknown type', [scan('amass', { type: 'gone' })], 'unknown-type'],
    ['invalid', [scan('amass', { chunks: 101 })], 'invalid-definition'],
  ] as const)(
    'cancels a queued task whose scan is %s, and it takes no capacity (Crossfeed issue #2596)',
    (_, scans, code) => {
      const plan = planSchedule(
        state({
          scans: [...scans, scan('hibp')],
          organizations: [org('a'), org('z')],
          tasks: [queued('stale', NOW - DAY), queued('fine', NOW - HOUR, { scanId: 'hibp' })],
          limit: 2,
        }),
        NOW,
        { knownTypes: ['amass', 'hibp'] },
      );
      expect(plan.cancel).toEqual([{ taskId: 'stale', code, reason: expect.stringContaining('amass') }]);
      expect(plan.relaunch.map((t) => t.taskId)).toEqual(['fine']);
      expect(plan.launch).toHaveLength(1); // the second unit of capacity went to new work, not to the dead task
    },
  );

  it('cancels a queued task every organization of which is deleted or disabled', () => {
    const plan = planSchedule(
      state({
        scans: [scan('amass')],
        organizations: [org('a'), org('off', { enabled: false })],
        tasks: [
          queued('orphan', NOW - DAY, { organizationIds: ['off', 'deleted'] }),
          queued('half', NOW, { organizationIds: ['a', 'deleted'] }),
        ],
      }),
      NOW,
    );
    expect(plan.cancel.map((c) => [c.taskId, c.code])).toEqual([['orphan', 'organizations-gone']]);
    expect(plan.relaunch.map((t) => t.taskId)).toEqual(['half']);
  });
});

describe('planSchedule: manual runs (fixed, Crossfeed issue #753)', () => {
  it('never duplicates active work, and stays pending while it waits for it', () => {
    const plan = planSchedule(
      state({
        scans: [scan('amass', { manualRunRequestedAt: NOW - 1000 })],
        organizations: [org('a')],
        tasks: [task('amass', ['a'], 'started', { finishedAt: null })],
      }),
      NOW,
    );
    expect(plan.launch).toEqual([]);
    expect(reasonOf(plan, 'amass', 'a')?.reason).toBe('already-active');
    expect(plan.scanUpdates).toEqual([]);
  });

  it('is cleared once its work is queued (capacity full), so it cannot pile up queued tasks tick after tick', () => {
    const plan = planSchedule(
      state({
        scans: [scan('amass', { manualRunRequestedAt: NOW - 1000 })],
        organizations: [org('a')],
        running: 1,
        limit: 1,
      }),
      NOW,
    );
    expect(plan.queue).toHaveLength(1);
    expect(plan.scanUpdates).toEqual([{ scanId: 'amass', clearManualRun: NOW - 1000 }]);
  });

  it('is cleared with lastRun once launched, and cleared when nothing of it can ever run', () => {
    const launched = planSchedule(
      state({ scans: [scan('amass', { manualRunRequestedAt: NOW - 1000 })], organizations: [org('a')] }),
      NOW,
    );
    expect(launched.scanUpdates).toEqual([{ scanId: 'amass', lastRun: NOW, clearManualRun: NOW - 1000 }]);
    const nothing = planSchedule(
      state({
        scans: [scan('portscan', { manualRunRequestedAt: NOW - 1000 })],
        organizations: [org('p', { passive: true })],
      }),
      NOW,
    );
    expect(nothing.scanUpdates).toEqual([{ scanId: 'portscan', clearManualRun: NOW - 1000 }]);
  });

  it('is due since its request, ahead of scheduled work due later', () => {
    const plan = planSchedule(
      state({
        scans: [scan('amass'), scan('hibp', { manualRunRequestedAt: NOW - 1000 })],
        organizations: [org('a')],
        tasks: [task('amass', ['a'], 'finished', { finishedAt: NOW - DAY - 1 })],
        limit: 1,
      }),
      NOW,
    );
    // amass became due 1 ms before NOW; hibp's manual run was requested 1 s before NOW.
    expect(plan.launch.map((t) => t.scanId)).toEqual(['hibp']);
  });
});

describe('planSchedule: cron, jitter and dependencies (new)', () => {
  it('runs a cron scan once its next time after the last run has passed, in its time zone', () => {
    // 03:00 in Berlin is 02:00 UTC in winter.
    const definition = scan('nightly', {
      frequencySeconds: undefined,
      cron: '0 3 * * *',
      timezone: 'Europe/Berlin',
    });
    const lastRun = Date.parse('2026-03-01T02:00:00Z');
    const tasks = [task('nightly', ['a'], 'finished', { createdAt: lastRun, finishedAt: lastRun + HOUR })];
    const before = planSchedule(
      state({ scans: [definition], organizations: [org('a')], tasks }),
      Date.parse('2026-03-02T01:59:59Z'),
    );
    expect(reasonOf(before, 'nightly', 'a')).toMatchObject({
      reason: 'not-due',
      dueAt: Date.parse('2026-03-02T02:00:00Z'),
    });
    const after = planSchedule(
      state({ scans: [definition], organizations: [org('a')], tasks }),
      Date.parse('2026-03-02T02:00:00Z'),
    );
    expect(planned(after, 'nightly')).toEqual([['a']]);
  });

  it('catches up once after downtime, never once per missed interval', () => {
    const definition = scan('hourly', { frequencySeconds: undefined, cron: '0 * * * *' });
    const tasks = [
      task('hourly', ['a'], 'finished', { createdAt: NOW - 3 * DAY, finishedAt: NOW - 3 * DAY + 60_000 }),
    ];
    const plan = planSchedule(state({ scans: [definition], organizations: [org('a')], tasks }), NOW);
    expect(planned(plan, 'hourly')).toEqual([['a']]);
  });

  it('waits for the first cron time after the scan was created, when it never ran', () => {
    const definition = scan('nightly', {
      frequencySeconds: undefined,
      cron: '0 3 * * *',
      createdAt: Date.parse('2026-03-02T04:00:00Z'),
    });
    const plan = planSchedule(
      state({ scans: [definition], organizations: [org('a')] }),
      Date.parse('2026-03-02T12:00:00Z'),
    );
    expect(reasonOf(plan, 'nightly', 'a')).toMatchObject({
      reason: 'not-due',
      dueAt: Date.parse('2026-03-03T03:00:00Z'),
    });
  });

  it('spreads due times with jitter: a fixed offset per pair, below jitterSeconds', () => {
    const organizations = Array.from({ length: 200 }, (_, i) => org(`o${String(i).padStart(3, '0')}`));
    const finishedAt = NOW - DAY;
    const tasks = organizations.map((o) => task('amass', [o.id], 'finished', { finishedAt }));
    const definition = scan('amass', { frequencySeconds: 86_400, jitterSeconds: 3600 });
    const plan = planSchedule(state({ scans: [definition], organizations, tasks }), NOW);
    const dueAts = plan.skipped.map((skip) => (skip.dueAt as number) - (finishedAt + DAY));
    expect(dueAts).toHaveLength(200); // nobody due at NOW: every offset is ≥ 0, and 0 only if due exactly at NOW
    for (const offset of dueAts) {
      expect(offset).toBeGreaterThanOrEqual(0);
      expect(offset).toBeLessThan(HOUR);
    }
    expect(new Set(dueAts).size).toBeGreaterThan(190); // spread, not one value
    const again = planSchedule(state({ scans: [definition], organizations, tasks }), NOW);
    expect(again.skipped.map((skip) => skip.dueAt)).toEqual(plan.skipped.map((skip) => skip.dueAt)); // fixed
    const later = planSchedule(state({ scans: [definition], organizations, tasks }), NOW + HOUR);
    expect(later.launch.flatMap((t) => t.organizationIds)).toHaveLength(200); // all due within the jitter
  });

  it('runs a dependent scan on an organization once its prerequisites finished there since its own last run (Crossfeed issue #444)', () => {
    const scans = [
      scan('amass'),
      scan('findomain', { passive: true }),
      scan('portscan', { dependsOn: ['amass', 'findomain'], frequencySeconds: 3600 }),
    ];
    const organizations = [org('a'), org('b'), org('c')];
    const lastPortscan = NOW - 10 * HOUR;
    const tasks = [
      task('portscan', ['a'], 'finished', { createdAt: lastPortscan, finishedAt: lastPortscan + HOUR }),
      task('portscan', ['b'], 'finished', { createdAt: lastPortscan, finishedAt: lastPortscan + HOUR }),
      // a: both prerequisites finished since portscan's last run → runs.
      task('amass', ['a'], 'finished', { finishedAt: NOW - 2 * HOUR }),
      task('findomain', ['a'], 'finished', { finishedAt: NOW - 3 * HOUR }),
      // b: findomain only finished before portscan's last run → waits.
      task('amass', ['b'], 'finished', { finishedAt: NOW - 2 * HOUR }),
      task('findomain', ['b'], 'finished', { finishedAt: lastPortscan - HOUR }),
      // c: portscan never ran, amass failed there → waits.
      task('amass', ['c'], 'failed', { finishedAt: NOW - 2 * HOUR }),
      task('findomain', ['c'], 'finished', { finishedAt: NOW - 2 * HOUR }),
    ];
    const plan = planSchedule(state({ scans, organizations, tasks }), NOW);
    expect(planned(plan, 'portscan')).toEqual([['a']]);
    expect(reasonOf(plan, 'portscan', 'b')).toMatchObject({
      reason: 'waiting-for-dependency',
      detail: expect.stringContaining('findomain'),
    });
    expect(reasonOf(plan, 'portscan', 'c')).toMatchObject({
      reason: 'waiting-for-dependency',
      detail: expect.stringContaining('amass'),
    });
  });

  it('counts a batch task per organization: the organization that failed in it does not satisfy a dependency', () => {
    const batch = task('amass', ['a', 'b'], 'finished', {
      finishedAt: NOW - HOUR,
      result: {
        organizations: {
          a: { status: 'finished' },
          b: { status: 'failed', error: { code: 'TASK_FAILED', message: 'x' } },
        },
      },
    });
    const plan = planSchedule(
      state({
        scans: [scan('amass'), scan('portscan', { dependsOn: ['amass'] })],
        organizations: [org('a'), org('b')],
        tasks: [batch],
      }),
      NOW,
    );
    expect(planned(plan, 'portscan')).toEqual([['a']]);
    expect(reasonOf(plan, 'portscan', 'b')?.reason).toBe('waiting-for-dependency');
  });

  it('refuses impossible dependencies as invalid definitions', () => {
    const plan = planSchedule(
      state({
        scans: [
          scan('ghost', { dependsOn: ['nope'] }),
          scan('g', { global: true, dependsOn: ['amass'] }),
          scan('amass'),
        ],
      }),
      NOW,
    );
    expect(reasonOf(plan, 'ghost')).toMatchObject({
      reason: 'invalid-definition',
      detail: expect.stringContaining('nope'),
    });
    expect(reasonOf(plan, 'g')).toMatchObject({
      reason: 'invalid-definition',
      detail: expect.stringContaining('global'),
    });
  });
});

describe('planSchedule: whole-scan reasons and disabled organizations', () => {
  it('reports a disabled, unknown-type or invalid scan once, and a disabled organization per scan', () => {
    const plan = planSchedule(
      state({
        scans: [
          scan('off', { enabled: false }),
          scan('weird', { type: 'nope' }),
          scan('bad', { frequencySeconds: 0 }),
          scan('amass'),
        ],
        organizations: [org('a'), org('x', { enabled: false })],
      }),
      NOW,
      { knownTypes: ['off', 'bad', 'amass'] },
    );
    expect(
      plan.skipped
        .filter((skip) => skip.organizationId === undefined)
        .map((skip) => [skip.scanId, skip.reason]),
    ).toEqual([
      ['bad', 'invalid-definition'],
      ['off', 'scan-disabled'],
      ['weird', 'unknown-type'],
    ]);
    expect(reasonOf(plan, 'amass', 'x')?.reason).toBe('organization-disabled');
    expect(planned(plan, 'amass')).toEqual([['a']]);
  });
});

// ---------------------------------------------------------------------------------------------------- properties

/** A random world: scans, organizations, tasks, queued tasks, capacity. */
const worlds = fc
  .record({
    organizations: fc.uniqueArray(
      fc.record({
        id: fc.constantFrom(...'abcdefghij'.split('')),
        passive: fc.boolean(),
        tags: fc.subarray(['x', 'y']),
      }),
      { selector: (o) => o.id, minLength: 0, maxLength: 8 },
    ),
    scans: fc.uniqueArray(
      fc.record({
        id: fc.constantFrom('s1', 's2', 's3', 's4', 's5'),
        global: fc.boolean(),
        passive: fc.boolean(),
        frequencyHours: fc.integer({ min: 1, max: 48 }),
        chunks: fc.integer({ min: 1, max: 4 }),
        batch: fc.integer({ min: 1, max: 4 }),
        granular: fc.option(
          fc.record({ organizations: fc.subarray(['a', 'b', 'c']), tags: fc.subarray(['x']) }),
          { nil: undefined },
        ),
        singleShot: fc.boolean(),
        manual: fc.boolean(),
        priority: fc.integer({ min: 0, max: 2 }),
      }),
      { selector: (s) => s.id, minLength: 1, maxLength: 5 },
    ),
    tasks: fc.array(
      fc.record({
        scan: fc.constantFrom('s1', 's2', 's3', 's4', 's5'),
        organizations: fc.subarray('abcdefghij'.split(''), { maxLength: 3 }),
        status: fc.constantFrom<TaskStatus>('queued', 'started', 'finished', 'finished', 'failed'),
        ageHours: fc.integer({ min: 0, max: 72 }),
      }),
      { maxLength: 20 },
    ),
    running: fc.integer({ min: 0, max: 6 }),
    limit: fc.option(fc.integer({ min: 0, max: 8 }), { nil: undefined }),
  })
  .map((world) => {
    const organizations = world.organizations.map((o) => org(o.id, { passive: o.passive, tags: o.tags }));
    const scans = world.scans.map((s) =>
      scan(s.id, {
        global: s.global,
        passive: s.passive,
        frequencySeconds: s.frequencyHours * 3600,
        chunks: s.chunks,
        organizationsPerTask: s.batch,
        ...(s.granular === undefined ? {} : { granular: s.granular }),
        singleShot: s.singleShot,
        priority: s.priority,
        ...(s.manual ? { manualRunRequestedAt: NOW - 1000 } : {}),
      }),
    );
    const tasks = world.tasks.map((t) => {
      const global = world.scans.find((s) => s.id === t.scan)?.global === true;
      return task(t.scan, global ? [] : t.organizations, t.status, {
        createdAt: NOW - t.ageHours * HOUR - HOUR,
        finishedAt: NOW - t.ageHours * HOUR,
      });
    });
    const queued: QueuedScanTask[] = tasks
      .filter((t) => t.status === 'queued')
      .map((t) => ({
        taskId: t.id,
        scanId: t.scanId as string,
        organizationIds: t.organizationIds ?? [],
        priority: 1,
        queuedAt: t.createdAt,
      }));
    return { scans, organizations, tasks, queued, running: world.running, limit: world.limit };
  });

const activeOf = (tasks: readonly ScanTask[], scanId: string, organizationId: string | undefined): number =>
  tasks.filter(
    (t) =>
      t.scanId === scanId &&
      ['created', 'queued', 'requested', 'started'].includes(t.status) &&
      (organizationId === undefined
        ? (t.organizationIds ?? []).length === 0
        : (t.organizationIds ?? []).includes(organizationId)),
  ).length;

describe('planSchedule: invariants (property tests)', () => {
  it('never plans work for a pair that is active, nor two tasks for one pair (chunks aside)', () => {
    fc.assert(
      fc.property(worlds, (world) => {
        const plan = planSchedule(state(world), NOW);
        const seen = new Set<string>();
        for (const t of [...plan.launch, ...plan.queue]) {
          const scanDefinition = world.scans.find((s) => s.id === t.scanId) as ScanDefinition;
          const pairs = scanDefinition.global ? [undefined] : t.organizationIds;
          for (const organizationId of pairs) {
            expect(activeOf(world.tasks, t.scanId, organizationId)).toBe(0);
            const key = `${t.scanId}|${organizationId}|${t.payload.chunkNumber ?? 0}`;
            expect(seen.has(key)).toBe(false);
            seen.add(key);
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  it('never goes over the limit: relaunched + launched ≤ max(0, limit − running)', () => {
    fc.assert(
      fc.property(worlds, (world) => {
        const plan = planSchedule(state(world), NOW);
        if (world.limit !== undefined) {
          expect(plan.relaunch.length + plan.launch.length).toBeLessThanOrEqual(
            Math.max(0, world.limit - world.running),
          );
          // Work is only queued when capacity ran out.
          if (plan.queue.length > 0)
            expect(plan.relaunch.length + plan.launch.length).toBe(Math.max(0, world.limit - world.running));
        } else {
          expect(plan.queue).toEqual([]);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('covers every chunk of a chunked scan once, and every planned organization once per scan', () => {
    fc.assert(
      fc.property(worlds, (world) => {
        const plan = planSchedule(state(world), NOW);
        for (const scanDefinition of world.scans) {
          const mine = [...plan.launch, ...plan.queue].filter((t) => t.scanId === scanDefinition.id);
          const chunks = scanDefinition.chunks ?? 1;
          const byBatch = new Map<string, number[]>();
          for (const t of mine) {
            const key = t.organizationIds.join(',');
            byBatch.set(key, [...(byBatch.get(key) ?? []), t.payload.chunkNumber ?? 0]);
          }
          for (const numbers of byBatch.values())
            expect(numbers.sort((a, b) => a - b)).toEqual([...Array(chunks).keys()]);
          if (!scanDefinition.global) {
            const organizations = [...byBatch.keys()].flatMap((key) => key.split(','));
            expect(new Set(organizations).size).toBe(organizations.length);
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  it('decides every pair exactly once: planned, or skipped with a reason; explainPair agrees', () => {
    fc.assert(
      fc.property(worlds, (world) => {
        const s = state(world);
        const plan = planSchedule(s, NOW);
        expect(plan.skippedCount).toBe(plan.skipped.length);
        for (const scanDefinition of world.scans) {
          const scanLevel = plan.skipped.find(
            (skip) => skip.scanId === scanDefinition.id && skip.organizationId === undefined,
          );
          const pairs = scanDefinition.global ? [undefined] : world.organizations.map((o) => o.id);
          for (const organizationId of pairs) {
            const runs = [...plan.launch, ...plan.queue].some(
              (t) =>
                t.scanId === scanDefinition.id &&
                (organizationId === undefined || t.organizationIds.includes(organizationId)),
            );
            const skips = plan.skipped.filter(
              (skip) => skip.scanId === scanDefinition.id && skip.organizationId === organizationId,
            );
            if (scanLevel !== undefined && !scanDefinition.global) {
              expect(runs).toBe(false);
              continue;
            }
            expect(Number(runs) + skips.length).toBe(1);
            const explanation = explainPair(s, scanDefinition.id, organizationId, NOW);
            expect(explanation.run).toBe(runs);
            if (!explanation.run) expect(explanation.reason).toBe(skips[0]?.reason);
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  it('is deterministic: the same decision whatever order scans, organizations and queued tasks come in', () => {
    fc.assert(
      fc.property(worlds, fc.integer(), (world, seed) => {
        const shuffle = <T>(items: readonly T[]): T[] => {
          const copy = [...items];
          let x = seed | 1;
          for (let i = copy.length - 1; i > 0; i--) {
            x = (x * 1103515245 + 12345) | 0;
            const j = Math.abs(x) % (i + 1);
            [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
          }
          return copy;
        };
        const a = planSchedule(state(world), NOW);
        const b = planSchedule(
          state({
            ...world,
            scans: shuffle(world.scans),
            organizations: shuffle(world.organizations),
            queued: shuffle(world.queued),
          }),
          NOW,
        );
        expect(b).toEqual(a);
      }),
      { numRuns: 300 },
    );
  });
});

describe('planSchedule: what keeps a tick small', () => {
  /** A plan as plain data: every task with its key and payload, every skip. */
  const plain = (plan: SchedulePlan): unknown => JSON.parse(JSON.stringify(plan));
  /** Organizations frozen all the way down, in a frozen list: what the memory store hands out. */
  const frozen = (organizations: readonly Organization[]): readonly Organization[] =>
    Object.freeze(
      organizations.map((o) => Object.freeze({ ...o, tags: Object.freeze([...o.tags]) as string[] })),
    );

  it('decides alike through a history that keeps columns and through one read with get alone', () => {
    fc.assert(
      fc.property(worlds, (world) => {
        const indexed = state(world);
        const history = indexed.history;
        const readOnly = { ...indexed, history: { get: history.get.bind(history) } };
        expect(plain(planSchedule(readOnly, NOW))).toEqual(plain(planSchedule(indexed, NOW)));
      }),
      { numRuns: 300 },
    );
  });

  it('builds the same keys and payloads from a kept frozen organization list as from any list', () => {
    fc.assert(
      fc.property(worlds, (world) => {
        const any = state(world);
        const kept = { ...any, organizations: frozen(any.organizations) };
        expect(plain(planSchedule(kept, NOW))).toEqual(plain(planSchedule(any, NOW)));
      }),
      { numRuns: 300 },
    );
  });

  it('gives planned tasks as plain data that copies, serializes and clones whole', () => {
    const organizations = frozen([org('a', { scope: { rootDomains: ['a.example'] } }), org('b')]);
    const s = { ...state({ scans: [scan('amass', { organizationsPerTask: 2 })] }), organizations };
    const [task] = planSchedule(s, NOW).launch;
    if (task === undefined) throw new Error('a task was planned');
    const expected = {
      key: 'scan:amass#000/1@a,b',
      scanId: 'amass',
      type: 'amass',
      organizationIds: ['a', 'b'],
      priority: 1,
      dueSince: 0,
      manual: false,
      payload: {
        scanName: 'amass',
        organizations: [
          { id: 'a', name: 'A', scope: { rootDomains: ['a.example'] } },
          { id: 'b', name: 'B' },
        ],
        dueSince: 0,
      },
    };
    expect(task).toEqual(expected);
    expect(Object.keys(task).sort()).toEqual(Object.keys(expected).sort());
    expect({ ...task }).toEqual(expected);
    expect(structuredClone(task)).toEqual(expected);
    expect(JSON.parse(JSON.stringify(task))).toEqual(expected);
  });

  it('takes the payload of organizations that may still change as they were when it decided', () => {
    const organizations = [org('a'), org('b')];
    const plan = planSchedule({ ...state({ scans: [scan('amass')] }), organizations }, NOW);
    (organizations[0] as Organization).name = 'renamed';
    expect(plan.launch[0]?.payload.organizations).toEqual([{ id: 'a', name: 'A' }]);
  });

  it('sees organizations that gain a history between ticks of a kept organization list', () => {
    const organizations = frozen([org('a'), org('b'), org('c')]);
    const history = ScheduleHistoryIndex.fromTasks([
      task('amass', ['a'], 'finished', { finishedAt: NOW - HOUR }),
    ]);
    const s: ScheduleState = { scans: [scan('amass')], organizations, history, queued: [], running: 0 };
    expect(planSchedule(s, NOW).launch.map((t) => t.organizationIds)).toEqual([['b'], ['c']]);
    history.update(undefined, task('amass', ['c'], 'started'));
    const again = planSchedule(s, NOW);
    expect(again.launch.map((t) => t.organizationIds)).toEqual([['b']]);
    expect(reasonOf(again, 'amass', 'c')?.reason).toBe('already-active');
  });

  it('remembers that a frozen queued task can never run, per organization list', () => {
    const queuedTask = Object.freeze({
      taskId: 'q',
      scanId: 'amass',
      organizationIds: Object.freeze(['b']),
      priority: 1,
      queuedAt: NOW - HOUR,
    });
    const base = state({ scans: [scan('amass', { frequencySeconds: 60 })], queued: [queuedTask] });
    const enabled = { ...base, organizations: frozen([org('a'), org('b')]) };
    const disabled = { ...base, organizations: frozen([org('a'), org('b', { enabled: false })]) };
    for (const s of [enabled, disabled, enabled, disabled])
      expect(planSchedule(s, NOW).cancel.map((c) => c.taskId)).toEqual(s === disabled ? ['q'] : []);
  });
});

describe('chunkSlice', () => {
  it('partitions any list completely: every item in exactly one chunk, in order, sizes within one', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer(), { maxLength: 300 }),
        fc.integer({ min: 1, max: 100 }),
        (items, count) => {
          const chunks = Array.from({ length: count }, (_, k) => chunkSlice(items, k, count));
          expect(chunks.flat()).toEqual(items);
          const sizes = chunks.map((chunk) => chunk.length);
          expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
        },
      ),
    );
  });

  it("covers all organizations with 3 chunks, where Crossfeed's webscraper covered only the first 9", () => {
    const organizations = Array.from({ length: 30 }, (_, i) => `org${i}`);
    const covered = [0, 1, 2].flatMap((k) => chunkSlice(organizations, k, 3));
    expect(covered).toHaveLength(30);
    expect(new Set(covered).size).toBe(30);
  });

  it('refuses a chunk number or count out of range, saying which', () => {
    expect(() => chunkSlice([1], 3, 3)).toThrow(/chunk number 3 must be an integer from 0 to 2/);
    expect(() => chunkSlice([1], 0, 101)).toThrow(/chunk count 101 must be an integer from 1 to 100/);
    expect(() => chunkSlice([1], -1, 2)).toThrow(/chunk number -1/);
  });
});
