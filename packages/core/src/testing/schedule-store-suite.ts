import { expect } from 'vitest';
import { isScanplaneError } from '../errors/scanplane-error.js';
import type { ScheduleStore } from '../ports/schedule-store.js';
import type { TaskStore } from '../ports/task-store.js';
import type { Organization, ScanDefinition } from '../schedule/scan-definition.js';
import type { ScanTask, TaskStatus } from '../tasks/task.js';
import {
  type ConformanceOptions,
  type ConformanceSubject,
  defineConformanceSuite,
  sampleTask,
} from './conformance-harness.js';

/**
 * What the schedule store suite's `create` returns: an empty store that is both the task store and the schedule
 * store (the pair histories come from its tasks), and optionally how to clean it up.
 *
 * @example
 * ```ts
 * import { createMemoryStore } from '@scanplane/core';
 * import type { ScheduleStoreSubject } from '@scanplane/core/testing';
 * const subject: ScheduleStoreSubject = { store: createMemoryStore() };
 * ```
 */
export interface ScheduleStoreSubject extends ConformanceSubject {
  /** The store under test, empty. */
  store: TaskStore & ScheduleStore;
}

/**
 * Options for {@link runScheduleStoreConformance}.
 *
 * @example
 * ```ts
 * import { createMemoryStore } from '@scanplane/core';
 * import type { ScheduleStoreConformanceOptions } from '@scanplane/core/testing';
 * const options: ScheduleStoreConformanceOptions = { name: 'memory', create: async () => ({ store: createMemoryStore() }) };
 * ```
 */
export interface ScheduleStoreConformanceOptions extends ConformanceOptions<ScheduleStoreSubject> {}

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const HOUR = 3_600_000;

const scan = (id: string, extra: Partial<ScanDefinition> = {}): ScanDefinition => ({
  id,
  type: 'amass',
  frequencySeconds: 3600,
  ...extra,
});
const org = (id: string, extra: Partial<Organization> = {}): Organization => ({
  id,
  name: `Org ${id}`,
  passive: false,
  tags: [],
  ...extra,
});

async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  try {
    await promise;
  } catch (error) {
    expect(isScanplaneError(error) ? error.code : (error as Error).message).toBe(code);
    return;
  }
  throw new Error(`expected a ScanplaneError ${code}, got success`);
}

/** Creates a scheduled task and walks it through `path` (e.g. `['queued', 'started', 'finished']`). */
async function scheduled(
  store: TaskStore,
  scanId: string,
  organizationIds: string[],
  path: TaskStatus[],
  options: { at?: number; result?: unknown; payload?: Record<string, unknown>; priority?: number } = {},
): Promise<ScanTask> {
  const at = options.at ?? T0;
  const { created } = await store.create(
    [
      sampleTask({
        project: 'scheduled',
        scanId,
        organizationIds,
        ...(options.payload === undefined ? {} : { payload: options.payload }),
        ...(options.priority === undefined ? {} : { priority: options.priority }),
      }),
    ],
    { at },
  );
  let task = created[0] as ScanTask;
  for (const [i, to] of path.entries()) {
    const patch =
      to === 'finished' && options.result !== undefined ? { patch: { result: options.result } } : {};
    task = await store.transition(task.id, {
      to,
      at: at + (i + 1) * 1000,
      reason: `conformance: ${to}`,
      ...patch,
    });
  }
  return task;
}

/**
 * Registers the conformance tests of the {@link ScheduleStore} port: scan definitions and organizations (validated
 * upserts, listings in id order, deletes, copies never shared), manual run requests and the guarded clearing of
 * them, `lastRun` updates, and `scheduleSnapshot` — pair histories kept from the store's own tasks (active counts,
 * latest finish and outcome per organization, successes, failures since), queued scheduled tasks with their
 * `dueSince` and backoff, the running count, and a snapshot that later changes do not reach.
 *
 * @example
 * ```ts
 * import { createMemoryStore } from '@scanplane/core';
 * import { runScheduleStoreConformance } from '@scanplane/core/testing';
 *
 * runScheduleStoreConformance({ name: 'memory', create: async () => ({ store: createMemoryStore() }) });
 * ```
 */
export function runScheduleStoreConformance(options: ScheduleStoreConformanceOptions): void {
  defineConformanceSuite('ScheduleStore', options, { timeoutMs: 60_000 }, (test) => {
    // ------------------------------------------------------------------ catalogue
    test('putScan stores a definition that getScan and listScans (in id order) return', async ({ store }) => {
      await store.putScan(scan('zmap', { arguments: { rate: 100 }, granular: { tags: ['x'] } }), { at: T0 });
      await store.putScan(scan('amass', { global: true, passive: true, chunks: 4 }), { at: T0 + 1 });
      expect((await store.listScans()).map((s) => s.id)).toEqual(['amass', 'zmap']);
      expect(await store.getScan('zmap')).toEqual(
        scan('zmap', { arguments: { rate: 100 }, granular: { tags: ['x'] }, createdAt: T0 }),
      );
      expect(await store.getScan('nope')).toBeUndefined();
    });

    test('putScan replaces a definition and keeps its createdAt', async ({ store }) => {
      await store.putScan(scan('amass'), { at: T0 });
      const replaced = await store.putScan(scan('amass', { frequencySeconds: 60, enabled: false }), {
        at: T0 + HOUR,
      });
      expect(replaced).toEqual(scan('amass', { frequencySeconds: 60, enabled: false, createdAt: T0 }));
      expect(await store.getScan('amass')).toEqual(replaced);
    });

    test('putScan refuses an invalid definition with INVALID_ARGUMENT and stores nothing', async ({
      store,
    }) => {
      await expectCode(store.putScan(scan('bad', { chunks: 500 })), 'INVALID_ARGUMENT');
      await expectCode(
        store.putScan({ id: 'both', type: 'x', frequencySeconds: 5, cron: '* * * * *' }),
        'INVALID_ARGUMENT',
      );
      expect(await store.listScans()).toEqual([]);
    });

    test('deleteScan removes a definition and says whether it existed', async ({ store }) => {
      await store.putScan(scan('amass'));
      expect(await store.deleteScan('amass')).toBe(true);
      expect(await store.deleteScan('amass')).toBe(false);
      expect(await store.getScan('amass')).toBeUndefined();
    });

    test('organizations: put, get, list in id order, replace, delete; invalid ones refused', async ({
      store,
    }) => {
      await store.putOrganization(org('b', { tags: ['x'], scope: { ipBlocks: ['192.0.2.0/24'] } }));
      await store.putOrganization(org('a', { passive: true }));
      expect((await store.listOrganizations()).map((o) => o.id)).toEqual(['a', 'b']);
      expect(await store.getOrganization('b')).toEqual(
        org('b', { tags: ['x'], scope: { ipBlocks: ['192.0.2.0/24'] } }),
      );
      await store.putOrganization(org('b', { enabled: false }));
      expect(await store.getOrganization('b')).toEqual(org('b', { enabled: false }));
      await expectCode(
        store.putOrganization({ id: 'c', name: 'C', passive: 'yes', tags: [] } as never),
        'INVALID_ARGUMENT',
      );
      expect(await store.deleteOrganization('a')).toBe(true);
      expect(await store.deleteOrganization('a')).toBe(false);
      expect((await store.listOrganizations()).map((o) => o.id)).toEqual(['b']);
    });

    test('listOrganizations is a snapshot: later changes show in the next list, never in one handed out', async ({
      store,
    }) => {
      await store.putOrganization(org('a', { tags: ['t'] }));
      const first = await store.listOrganizations();
      await store.putOrganization(org('a', { tags: ['u'] }));
      await store.putOrganization(org('b'));
      const second = await store.listOrganizations();
      expect(first.map((o) => [o.id, o.tags])).toEqual([['a', ['t']]]);
      expect(second.map((o) => [o.id, o.tags])).toEqual([
        ['a', ['u']],
        ['b', []],
      ]);
      await store.deleteOrganization('a');
      expect((await store.listOrganizations()).map((o) => o.id)).toEqual(['b']);
      expect(second.map((o) => o.id)).toEqual(['a', 'b']);
    });

    test('what the store returns is a copy: changing it changes nothing stored', async ({ store }) => {
      await store.putScan(scan('amass', { dependsOn: ['x'] }));
      const copy = (await store.getScan('amass')) as ScanDefinition;
      copy.frequencySeconds = 1;
      copy.dependsOn?.push('y');
      await store.putOrganization(org('a', { tags: ['t'] }));
      ((await store.getOrganization('a')) as Organization).tags.push('u');
      expect((await store.getScan('amass'))?.frequencySeconds).toBe(3600);
      expect((await store.getScan('amass'))?.dependsOn).toEqual(['x']);
      expect((await store.getOrganization('a'))?.tags).toEqual(['t']);
    });

    // ------------------------------------------------------------------ manual runs and updates
    test('requestManualRun records the request time; an unknown scan is NOT_FOUND', async ({ store }) => {
      await store.putScan(scan('amass'));
      expect((await store.requestManualRun('amass', T0 + 5)).manualRunRequestedAt).toBe(T0 + 5);
      expect((await store.getScan('amass'))?.manualRunRequestedAt).toBe(T0 + 5);
      await expectCode(store.requestManualRun('nope', T0), 'NOT_FOUND');
    });

    test('updateScans sets lastRun and clears a manual run only if it is still the same request', async ({
      store,
    }) => {
      await store.putScan(scan('amass'));
      await store.putScan(scan('hibp'));
      await store.requestManualRun('amass', T0 + 1);
      await store.requestManualRun('hibp', T0 + 1);
      await store.requestManualRun('hibp', T0 + 2); // asked again after the tick read it
      await store.updateScans([
        { scanId: 'amass', lastRun: T0 + 10, clearManualRun: T0 + 1 },
        { scanId: 'hibp', clearManualRun: T0 + 1 },
        { scanId: 'deleted', lastRun: T0 + 10 },
      ]);
      const amass = await store.getScan('amass');
      expect(amass?.lastRun).toBe(T0 + 10);
      expect(amass?.manualRunRequestedAt).toBeUndefined();
      expect((await store.getScan('hibp'))?.manualRunRequestedAt).toBe(T0 + 2);
      expect((await store.getScan('hibp'))?.lastRun).toBeUndefined();
      expect(await store.getScan('deleted')).toBeUndefined();
    });

    // ------------------------------------------------------------------ snapshot
    test('scheduleSnapshot: an active task makes its pairs active, with lastRunAt its creation time', async ({
      store,
    }) => {
      await scheduled(store, 'amass', ['a', 'b'], ['queued', 'started'], { at: T0 });
      const { history } = await store.scheduleSnapshot();
      expect(history.get('amass', 'a')).toMatchObject({ active: 1, lastRunAt: T0 });
      expect(history.get('amass', 'b')).toMatchObject({ active: 1, lastRunAt: T0 });
      expect(history.get('amass', 'c')).toBeUndefined();
      expect(history.get('hibp', 'a')).toBeUndefined();
    });

    test('scheduleSnapshot: the latest finish, its outcome per organization, the last success, failures since', async ({
      store,
    }) => {
      await scheduled(store, 'amass', ['a', 'b'], ['queued', 'started', 'finished'], {
        at: T0,
        result: {
          organizations: {
            a: { status: 'finished' },
            b: { status: 'failed', error: { code: 'TASK_FAILED', message: 'x' } },
          },
        },
      });
      await scheduled(store, 'amass', ['a'], ['queued', 'started', 'failed'], { at: T0 + HOUR });
      const { history } = await store.scheduleSnapshot();
      expect(history.get('amass', 'a')).toEqual({
        active: 0,
        lastRunAt: T0 + HOUR,
        lastFinishedAt: T0 + HOUR + 3000,
        lastOutcome: 'failed',
        lastSucceededAt: T0 + 3000,
        failuresSinceSuccess: 1,
      });
      expect(history.get('amass', 'b')).toEqual({
        active: 0,
        lastRunAt: T0,
        lastFinishedAt: T0 + 3000,
        lastOutcome: 'failed',
        failuresSinceSuccess: 1,
      });
    });

    test('scheduleSnapshot: a global task (no organizations) is the scan’s own pair; tasks without a scan are not scheduled', async ({
      store,
    }) => {
      await scheduled(store, 'dotgov', [], ['queued', 'started', 'finished'], { at: T0 });
      await store.create([sampleTask({ project: 'scheduled' })], { at: T0 });
      const { history, queued } = await store.scheduleSnapshot();
      expect(history.get('dotgov')).toMatchObject({
        active: 0,
        lastFinishedAt: T0 + 3000,
        lastOutcome: 'finished',
      });
      expect(queued).toEqual([]);
    });

    test('scheduleSnapshot: cancelled tasks count as failed finishes', async ({ store }) => {
      await scheduled(store, 'amass', ['a'], ['queued', 'cancelled'], { at: T0 });
      expect((await store.scheduleSnapshot()).history.get('amass', 'a')).toMatchObject({
        active: 0,
        lastFinishedAt: T0 + 2000,
        lastOutcome: 'failed',
      });
    });

    test('scheduleSnapshot: the queued scheduled tasks, with priority, queuedAt, dueSince and backoff', async ({
      store,
    }) => {
      const waiting = await scheduled(store, 'amass', ['a'], ['queued'], {
        at: T0,
        payload: { dueSince: T0 - HOUR },
        priority: 4,
      });
      await scheduled(store, 'amass', ['b'], ['queued', 'started'], { at: T0 });
      const started = await scheduled(store, 'hibp', ['c'], ['queued', 'started'], { at: T0 + 10 });
      const retried = await store.transition(started.id, {
        to: 'queued',
        at: T0 + 50_000,
        reason: 'retry',
        patch: { notBefore: T0 + 60_000 },
      });
      const { queued } = await store.scheduleSnapshot();
      const byTask = new Map(queued.map((entry) => [entry.taskId, entry]));
      expect(byTask.size).toBe(2);
      expect(byTask.get(waiting.id)).toEqual({
        taskId: waiting.id,
        scanId: 'amass',
        organizationIds: ['a'],
        priority: 4,
        queuedAt: T0 + 1000,
        dueSince: T0 - HOUR,
      });
      expect(byTask.get(retried.id)).toMatchObject({
        scanId: 'hibp',
        organizationIds: ['c'],
        notBefore: T0 + 60_000,
      });
    });

    test('scheduleSnapshot: running counts requested and started tasks of any kind', async ({ store }) => {
      await scheduled(store, 'amass', ['a'], ['requested']);
      await scheduled(store, 'amass', ['b'], ['queued', 'started']);
      await scheduled(store, 'amass', ['c'], ['queued']);
      const { created } = await store.create([sampleTask()], { at: T0 });
      await store.transition((created[0] as ScanTask).id, { to: 'requested', at: T0, reason: 'launch' });
      expect((await store.scheduleSnapshot()).running).toBe(3);
    });

    test('scheduleSnapshot is a snapshot: changes after it do not reach it', async ({ store }) => {
      const task = await scheduled(store, 'amass', ['a'], ['queued']);
      const snapshot = await store.scheduleSnapshot();
      await store.transition(task.id, { to: 'cancelled', at: T0 + HOUR, reason: 'gone' });
      expect(snapshot.history.get('amass', 'a')).toMatchObject({ active: 1 });
      expect(snapshot.queued.map((entry) => entry.taskId)).toEqual([task.id]);
      const later = await store.scheduleSnapshot();
      expect(later.history.get('amass', 'a')).toMatchObject({ active: 0 });
      expect(later.queued).toEqual([]);
    });
  });
}
