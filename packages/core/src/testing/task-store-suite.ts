import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { ErrorCode } from '../errors/error-codes.js';
import { isScanplaneError, type ScanplaneError } from '../errors/scanplane-error.js';
import type { TaskStore } from '../ports/task-store.js';
import {
  DEFAULT_TIMEOUTS,
  isTerminal,
  type NewTask,
  type ScanTask,
  TASK_STATUSES,
  type TaskStatus,
} from '../tasks/task.js';
import { TRANSITIONS } from '../tasks/transitions.js';
import {
  type ConformanceOptions,
  type ConformanceSubject,
  defineConformanceSuite,
  sampleTask,
} from './conformance-harness.js';

/**
 * What the task store suite's `create` returns: an empty store, and optionally how to clean it up.
 *
 * @example
 * ```ts
 * import { createMemoryStore } from '@scanplane/core';
 * import type { TaskStoreSubject } from '@scanplane/core/testing';
 * const subject: TaskStoreSubject = { store: createMemoryStore() };
 * ```
 */
export interface TaskStoreSubject extends ConformanceSubject {
  /** The store under test, empty. */
  store: TaskStore;
}

/**
 * Options for {@link runTaskStoreConformance}.
 *
 * @example
 * ```ts
 * import { createMemoryStore } from '@scanplane/core';
 * import type { TaskStoreConformanceOptions } from '@scanplane/core/testing';
 * const options: TaskStoreConformanceOptions = {
 *   name: 'memory (64 KiB payloads)',
 *   create: async () => ({ store: createMemoryStore({ maxPayloadBytes: 65_536 }) }),
 *   oversizedBytes: 100_000,
 * };
 * ```
 */
export interface TaskStoreConformanceOptions extends ConformanceOptions<TaskStoreSubject> {
  /**
   * Length in characters of a string that makes a payload (or a result) too large for the store, which must refuse
   * it with a `ScanplaneError` of code `INVALID_ARGUMENT`. Default 2 MiB (the memory store's limit is 1 MiB).
   */
  oversizedBytes?: number;
}

const T0 = Date.parse('2026-01-01T00:00:00.000Z');

/** The transitions that take a freshly created task to each status. */
const PATHS: Readonly<Record<TaskStatus, readonly TaskStatus[]>> = {
  created: [],
  queued: ['queued'],
  requested: ['requested'],
  started: ['queued', 'started'],
  finished: ['queued', 'started', 'finished'],
  failed: ['failed'],
  cancelled: ['cancelled'],
};

async function createOne(store: TaskStore, overrides: Partial<NewTask> = {}, at = T0): Promise<ScanTask> {
  const { created, existing } = await store.create([sampleTask({ project: 'acme', ...overrides })], { at });
  expect(existing).toEqual([]);
  expect(created).toHaveLength(1);
  return created[0] as ScanTask;
}

async function driveTo(store: TaskStore, task: ScanTask, status: TaskStatus, at = T0 + 1): Promise<ScanTask> {
  let current = task;
  for (const [i, to] of PATHS[status].entries()) {
    current = await store.transition(current.id, { to, at: at + i, reason: `conformance: to ${to}` });
  }
  expect(current.status).toBe(status);
  return current;
}

async function expectScanplaneError(
  promise: Promise<unknown>,
  codes: ErrorCode | readonly ErrorCode[],
  what: string,
): Promise<ScanplaneError> {
  let outcome: { resolved: true; value: unknown } | { resolved: false; error: unknown };
  try {
    outcome = { resolved: true, value: await promise };
  } catch (error) {
    outcome = { resolved: false, error };
  }
  if (outcome.resolved)
    throw new Error(`${what}: expected a ScanplaneError ${String(codes)}, but it resolved`);
  const error = outcome.error;
  expect(isScanplaneError(error), `${what}: expected a ScanplaneError, got ${String(error)}`).toBe(true);
  const scanplaneError = error as ScanplaneError;
  expect(typeof codes === 'string' ? [codes] : codes, `${what}: error code`).toContain(scanplaneError.code);
  return scanplaneError;
}

const byId = (a: { id: string }, b: { id: string }): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
const ids = (tasks: readonly ScanTask[]): string[] => tasks.map((task) => task.id);
const sortedIds = (tasks: readonly ScanTask[]): string[] => [...tasks].sort(byId).map((task) => task.id);

/**
 * Registers the conformance tests of the {@link TaskStore} port: creation and its per-project dedup by idempotency
 * key (also under 20 concurrent creates), the transition table with `from`, `expectedVersion`, `owner`, versions,
 * history, timestamps, attempts, patches and leases (also under 10 concurrent claims of one task), `claim`, `heartbeat`,
 * `list`/`count` with every filter and paging, `expired`, `health` and the payload size limit. `create` is called
 * once per test and must return an empty store; tests use the times around 2026-01-01 they pass in, never the clock.
 *
 * @example
 * ```ts
 * import { createMemoryStore } from '@scanplane/core';
 * import { runTaskStoreConformance } from '@scanplane/core/testing';
 *
 * runTaskStoreConformance({
 *   name: 'memory',
 *   create: async () => ({ store: createMemoryStore() }),
 *   skip: [{ reason: 'ids are assigned by the database', tests: ['create keeps a given id'] }],
 * });
 * ```
 */
export function runTaskStoreConformance(options: TaskStoreConformanceOptions): void {
  const oversized = options.oversizedBytes ?? 2 * 1024 * 1024;

  defineConformanceSuite('TaskStore', options, { timeoutMs: 60_000 }, (test) => {
    // ---------------------------------------------------------------- create
    test('create fills in id, status created, attempt 0, version 1, createdAt and the creation history entry', async ({
      store,
    }) => {
      const task = await createOne(store, { kind: 'tcp-connect' }, T0);
      expect(typeof task.id).toBe('string');
      expect(task.id).not.toBe('');
      expect(task.status).toBe('created');
      expect(task.attempt).toBe(0);
      expect(task.version).toBe(1);
      expect(task.createdAt).toBe(T0);
      expect(task.queuedAt).toBeUndefined();
      expect(task.history).toHaveLength(1);
      expect(task.history[0]).toEqual({ to: 'created', at: T0, reason: expect.any(String) });
      expect(task.history[0]?.from).toBeUndefined();
    });

    test('create in status queued also stamps queuedAt', async ({ store }) => {
      const task = await createOne(store, { status: 'queued' }, T0 + 5);
      expect(task.status).toBe('queued');
      expect(task.attempt).toBe(0);
      expect(task.version).toBe(1);
      expect(task.createdAt).toBe(T0 + 5);
      expect(task.queuedAt).toBe(T0 + 5);
      expect(task.history).toEqual([{ to: 'queued', at: T0 + 5, reason: expect.any(String) }]);
    });

    test('create applies the defaults: priority 1, maxAttempts 3, DEFAULT_TIMEOUTS', async ({ store }) => {
      const plain = await createOne(store);
      expect(plain.priority).toBe(1);
      expect(plain.maxAttempts).toBe(3);
      expect(plain.timeouts).toEqual(DEFAULT_TIMEOUTS);
      const partial = await createOne(store, { timeouts: { leaseMs: 5_000 } });
      expect(partial.timeouts).toEqual({ ...DEFAULT_TIMEOUTS, leaseMs: 5_000 });
    });

    test('create keeps a given id', async ({ store }) => {
      const id = randomUUID();
      const task = await createOne(store, { id });
      expect(task.id).toBe(id);
      expect((await store.get(id))?.id).toBe(id);
    });

    test('get returns every field create stored', async ({ store }) => {
      const input = sampleTask({
        project: 'acme',
        scanId: 'scan-1',
        organizationIds: ['org-1', 'org-2'],
        kind: 'tcp-connect',
        target: { ip: '192.0.2.7', addresses: ['192.0.2.7/32'], hostnames: ['web.example'], ports: '22,80' },
        payload: { options: { rate: 100 }, list: [1, 'two', null, true] },
        priority: 7,
        maxAttempts: 5,
        timeouts: { startMs: 1_000, leaseMs: 2_000, runMs: 3_000 },
      });
      const { created } = await store.create([input], { at: T0 });
      const task = created[0] as ScanTask;
      expect(task).toMatchObject({
        project: 'acme',
        scanId: 'scan-1',
        organizationIds: ['org-1', 'org-2'],
        kind: 'tcp-connect',
        target: input.target,
        payload: input.payload,
        priority: 7,
        maxAttempts: 5,
        idempotencyKey: input.idempotencyKey,
        timeouts: { startMs: 1_000, leaseMs: 2_000, runMs: 3_000 },
      });
      expect(await store.get(task.id)).toEqual(task);
    });

    test('create returns the created tasks in input order', async ({ store }) => {
      const inputs = [1, 2, 3, 4, 5].map((n) => sampleTask({ project: 'acme', priority: n }));
      const { created, existing } = await store.create(inputs, { at: T0 });
      expect(existing).toEqual([]);
      expect(created.map((task) => task.idempotencyKey)).toEqual(inputs.map((task) => task.idempotencyKey));
      expect(created.map((task) => task.priority)).toEqual([1, 2, 3, 4, 5]);
    });

    // ----------------------------------------------------------------- dedup
    test('create returns the active holder of an idempotency key in existing and creates nothing', async ({
      store,
    }) => {
      const first = await createOne(store, { idempotencyKey: 'key-1' }, T0);
      const second = await store.create([sampleTask({ project: 'acme', idempotencyKey: 'key-1' })], {
        at: T0 + 10,
      });
      expect(second.created).toEqual([]);
      expect(ids(second.existing)).toEqual([first.id]);
      expect(ids(await store.list({ project: 'acme' }))).toEqual([first.id]);
      // Still held while active in any active status.
      await store.transition(first.id, { to: 'queued', at: T0 + 20, reason: 'conformance' });
      await store.transition(first.id, { to: 'started', at: T0 + 30, reason: 'conformance' });
      const third = await store.create([sampleTask({ project: 'acme', idempotencyKey: 'key-1' })], {
        at: T0 + 40,
      });
      expect(third.created).toEqual([]);
      expect(ids(third.existing)).toEqual([first.id]);
      expect(third.existing[0]?.status).toBe('started');
    });

    test('create of one key twice in one call creates one task', async ({ store }) => {
      const result = await store.create(
        [
          sampleTask({ project: 'acme', idempotencyKey: 'key-1' }),
          sampleTask({ project: 'acme', idempotencyKey: 'key-2' }),
          sampleTask({ project: 'acme', idempotencyKey: 'key-1' }),
        ],
        { at: T0 },
      );
      expect(result.created.map((task) => task.idempotencyKey)).toEqual(['key-1', 'key-2']);
      expect(ids(result.existing)).toEqual([result.created[0]?.id]);
      expect(await store.list({ project: 'acme' })).toHaveLength(2);
    });

    test('the same idempotency key in another project is created', async ({ store }) => {
      const acme = await createOne(store, { project: 'acme', idempotencyKey: 'key-1' });
      const other = await createOne(store, { project: 'other', idempotencyKey: 'key-1' });
      expect(other.id).not.toBe(acme.id);
      expect(other.project).toBe('other');
    });

    test('an idempotency key is free again once its task is finished, failed or cancelled', async ({
      store,
    }) => {
      for (const terminal of ['finished', 'failed', 'cancelled'] as const) {
        const key = `key-${terminal}`;
        const first = await driveTo(store, await createOne(store, { idempotencyKey: key }), terminal);
        const again = await store.create([sampleTask({ project: 'acme', idempotencyKey: key })], {
          at: T0 + 100,
        });
        expect(again.existing, `after ${terminal}`).toEqual([]);
        expect(again.created, `after ${terminal}`).toHaveLength(1);
        expect(again.created[0]?.id).not.toBe(first.id);
        // And the new task holds the key again.
        const third = await store.create([sampleTask({ project: 'acme', idempotencyKey: key })], {
          at: T0 + 200,
        });
        expect(ids(third.existing)).toEqual([again.created[0]?.id]);
      }
    });

    test('concurrent creates of one key create exactly one task', async ({ store }) => {
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          store.create([sampleTask({ project: 'acme', idempotencyKey: 'contended', priority: i })], {
            at: T0 + i,
          }),
        ),
      );
      const created = results.flatMap((result) => result.created);
      const existing = results.flatMap((result) => result.existing);
      expect(created).toHaveLength(1);
      expect(existing).toHaveLength(19);
      for (const task of existing) expect(task.id).toBe(created[0]?.id);
      expect(ids(await store.list({ project: 'acme' }))).toEqual(ids(created));
    });

    test('get of an unknown id is undefined', async ({ store }) => {
      await createOne(store);
      expect(await store.get(randomUUID())).toBeUndefined();
    });

    // ------------------------------------------------------------ transition
    test('transition allows every move of the transition table', async ({ store }) => {
      for (const from of TASK_STATUSES) {
        for (const to of TRANSITIONS[from]) {
          const task = await driveTo(store, await createOne(store), from);
          const next = await store.transition(task.id, {
            to,
            at: T0 + 100,
            reason: `conformance: ${from} to ${to}`,
          });
          expect(next.status, `${from} → ${to}`).toBe(to);
          expect((await store.get(task.id))?.status, `${from} → ${to}`).toBe(to);
        }
      }
    });

    test('transition refuses every move outside the table with INVALID_TRANSITION and changes nothing', async ({
      store,
    }) => {
      for (const from of TASK_STATUSES.filter((status) => !isTerminal(status))) {
        const task = await driveTo(store, await createOne(store), from);
        for (const to of TASK_STATUSES.filter((status) => !TRANSITIONS[from].includes(status))) {
          await expectScanplaneError(
            store.transition(task.id, { to, at: T0 + 100, reason: 'conformance: forbidden' }),
            'INVALID_TRANSITION',
            `${from} → ${to}`,
          );
        }
        const after = await store.get(task.id);
        expect(after?.status).toBe(from);
        expect(after?.version).toBe(task.version);
        expect(after?.history).toHaveLength(task.history.length);
      }
    });

    test('terminal statuses allow no move', async ({ store }) => {
      for (const terminal of ['finished', 'failed', 'cancelled'] as const) {
        const task = await driveTo(store, await createOne(store), terminal);
        for (const to of TASK_STATUSES) {
          await expectScanplaneError(
            store.transition(task.id, { to, at: T0 + 100, reason: 'conformance: after the end' }),
            'INVALID_TRANSITION',
            `${terminal} → ${to}`,
          );
        }
        expect((await store.get(task.id))?.version).toBe(task.version);
      }
    });

    test('transition honours from', async ({ store }) => {
      const task = await createOne(store);
      await expectScanplaneError(
        store.transition(task.id, { to: 'queued', from: ['requested', 'started'], at: T0 + 1, reason: 'x' }),
        'INVALID_TRANSITION',
        'created → queued only from requested or started',
      );
      // `from` restricts the table, it never widens it.
      await expectScanplaneError(
        store.transition(task.id, { to: 'finished', from: ['created'], at: T0 + 1, reason: 'x' }),
        'INVALID_TRANSITION',
        'created → finished only from created',
      );
      expect((await store.get(task.id))?.version).toBe(1);
      const next = await store.transition(task.id, {
        to: 'queued',
        from: ['created'],
        at: T0 + 2,
        reason: 'conformance',
      });
      expect(next.status).toBe('queued');
    });

    test('transition honours expectedVersion with CONFLICT', async ({ store }) => {
      const task = await createOne(store);
      for (const expectedVersion of [0, 2]) {
        await expectScanplaneError(
          store.transition(task.id, { to: 'queued', expectedVersion, at: T0 + 1, reason: 'x' }),
          'CONFLICT',
          `expectedVersion ${expectedVersion} of a version 1 task`,
        );
      }
      const unchanged = await store.get(task.id);
      expect(unchanged?.status).toBe('created');
      expect(unchanged?.version).toBe(1);
      const next = await store.transition(task.id, {
        to: 'queued',
        expectedVersion: 1,
        at: T0 + 2,
        reason: 'conformance',
      });
      expect(next.version).toBe(2);
    });

    test('transition honours owner with CONFLICT', async ({ store }) => {
      await createOne(store, { status: 'queued' });
      const [first] = await store.claim({ workerId: 'worker-1', limit: 1, leaseMs: 1_000, at: T0 + 10 });
      const id = (first as ScanTask).id;
      expect(first?.attempt).toBe(1);
      for (const owner of [
        { workerId: 'worker-2', attempt: 1 },
        { workerId: 'worker-1', attempt: 2 },
      ]) {
        await expectScanplaneError(
          store.transition(id, { to: 'finished', owner, at: T0 + 20, reason: 'x' }),
          'CONFLICT',
          `owner ${owner.workerId} attempt ${owner.attempt} of worker-1's attempt 1`,
        );
      }
      expect((await store.get(id))?.version).toBe(first?.version);
      // The lease is reaped and the task retried by another worker: the first worker can no longer end it.
      await store.transition(id, { to: 'queued', at: T0 + 2_000, reason: 'lease expired' });
      const [second] = await store.claim({ workerId: 'worker-2', limit: 1, leaseMs: 1_000, at: T0 + 2_010 });
      expect(second?.id).toBe(id);
      expect(second?.attempt).toBe(2);
      await expectScanplaneError(
        store.transition(id, {
          to: 'finished',
          owner: { workerId: 'worker-1', attempt: 1 },
          at: T0 + 2_020,
          reason: 'late',
        }),
        'CONFLICT',
        'the first attempt ending the second',
      );
      const finished = await store.transition(id, {
        to: 'finished',
        owner: { workerId: 'worker-2', attempt: 2 },
        at: T0 + 2_030,
        reason: 'done',
      });
      expect(finished.status).toBe('finished');
    });

    test('transition of an unknown id throws NOT_FOUND', async ({ store }) => {
      await expectScanplaneError(
        store.transition(randomUUID(), { to: 'queued', at: T0, reason: 'x' }),
        'NOT_FOUND',
        'an unknown id',
      );
    });

    test('every transition adds one to version and appends {from, to, at, reason} to history', async ({
      store,
    }) => {
      let task = await createOne(store);
      const steps: TaskStatus[] = ['queued', 'started', 'queued', 'requested', 'started', 'finished'];
      for (const [i, to] of steps.entries()) {
        const before = task;
        const at = T0 + 10 * (i + 1);
        const reason = `conformance step ${i + 1}`;
        task = await store.transition(task.id, { to, at, reason });
        expect(task.version).toBe(before.version + 1);
        expect(task.history).toHaveLength(before.history.length + 1);
        expect(task.history.slice(0, -1)).toEqual(before.history);
        expect(task.history.at(-1)).toEqual({ from: before.status, to, at, reason });
      }
      expect(task.version).toBe(1 + steps.length);
      expect(await store.get(task.id)).toEqual(task);
    });

    test('transition stamps queuedAt once, requestedAt, startedAt and finishedAt', async ({ store }) => {
      let task = await createOne(store, {}, T0);
      const step = async (to: TaskStatus, at: number): Promise<ScanTask> =>
        (task = await store.transition(task.id, { to, at, reason: `conformance: ${to}` }));
      await step('queued', T0 + 10);
      expect(task.queuedAt).toBe(T0 + 10);
      await step('requested', T0 + 20);
      expect(task.requestedAt).toBe(T0 + 20);
      expect(task.queuedAt).toBe(T0 + 10);
      await step('started', T0 + 30);
      expect(task.startedAt).toBe(T0 + 30);
      expect(task.finishedAt).toBeUndefined();
      await step('queued', T0 + 40);
      expect(task.queuedAt, 'queuedAt is kept from the first queueing').toBe(T0 + 10);
      await step('started', T0 + 50);
      expect(task.startedAt).toBe(T0 + 50);
      expect(task.finishedAt).toBeUndefined();
      await step('finished', T0 + 60);
      expect(task.finishedAt).toBe(T0 + 60);
      expect(task.createdAt).toBe(T0);
      expect(await store.get(task.id)).toEqual(task);

      const failed = await store.transition((await createOne(store)).id, {
        to: 'failed',
        at: T0 + 70,
        reason: 'x',
      });
      expect(failed.finishedAt).toBe(T0 + 70);
      const queued = await driveTo(store, await createOne(store), 'queued');
      const cancelled = await store.transition(queued.id, { to: 'cancelled', at: T0 + 80, reason: 'x' });
      expect(cancelled.finishedAt).toBe(T0 + 80);
    });

    test('attempt counts up on entering requested, or started without requested', async ({ store }) => {
      let task = await createOne(store);
      const expectations: Array<[TaskStatus, number]> = [
        ['requested', 1],
        ['started', 1],
        ['queued', 1],
        ['started', 2],
        ['queued', 2],
        ['requested', 3],
        ['started', 3],
        ['failed', 3],
      ];
      for (const [i, [to, attempt]] of expectations.entries()) {
        task = await store.transition(task.id, { to, at: T0 + i + 1, reason: 'conformance' });
        expect(task.attempt, `attempt after step ${i + 1} (${to})`).toBe(attempt);
      }
      const failedAtOnce = await store.transition((await createOne(store)).id, {
        to: 'failed',
        at: T0 + 1,
        reason: 'x',
      });
      expect(failedAtOnce.attempt).toBe(0);
    });

    test('leaving started clears the lease', async ({ store }) => {
      for (const to of TRANSITIONS.started) {
        const queued = await driveTo(store, await createOne(store), 'queued');
        const started = await store.transition(queued.id, {
          to: 'started',
          at: T0 + 10,
          reason: 'conformance',
          patch: { workerId: 'worker-1', leaseExpiresAt: T0 + 30_010 },
        });
        expect(started.leaseExpiresAt).toBe(T0 + 30_010);
        const next = await store.transition(started.id, { to, at: T0 + 20, reason: 'conformance' });
        expect(next.leaseExpiresAt, `started → ${to}`).toBeUndefined();
        expect((await store.get(started.id))?.leaseExpiresAt, `started → ${to}`).toBeUndefined();
      }
    });

    test('transition stores the patch fields', async ({ store }) => {
      const queued = await driveTo(store, await createOne(store), 'queued');
      const handle = { launcher: 'conformance', id: 'handle-1', version: 3 };
      const started = await store.transition(queued.id, {
        to: 'started',
        at: T0 + 10,
        reason: 'conformance',
        patch: { workerId: 'worker-1', leaseExpiresAt: T0 + 1_000, lastHeartbeatAt: T0 + 10, handle },
      });
      expect(started).toMatchObject({
        workerId: 'worker-1',
        leaseExpiresAt: T0 + 1_000,
        lastHeartbeatAt: T0 + 10,
        handle,
      });
      const result = { open: [22, 80], nested: { text: 'ok', flag: true, none: null } };
      const finished = await store.transition(started.id, {
        to: 'finished',
        at: T0 + 20,
        reason: 'conformance',
        patch: { result },
      });
      expect(finished.result).toEqual(result);
      expect((await store.get(started.id))?.result).toEqual(result);

      const other = await driveTo(store, await createOne(store), 'started');
      const error = { code: 'TASK_FAILED', message: 'exit 3', retryable: false, details: { exitCode: 3 } };
      const retried = await store.transition(other.id, {
        to: 'queued',
        at: T0 + 30,
        reason: 'conformance',
        patch: { error, notBefore: T0 + 5_000 },
      });
      expect(retried.error).toEqual(error);
      expect(retried.notBefore).toBe(T0 + 5_000);
      expect(await store.get(other.id)).toEqual(retried);
    });

    test('a patch key set to undefined removes the field', async ({ store }) => {
      const error = { code: 'LEASE_EXPIRED', message: 'no heartbeat' };
      const queued = await store.transition((await createOne(store)).id, {
        to: 'queued',
        at: T0 + 10,
        reason: 'retry',
        patch: { error, notBefore: T0 + 5_000 },
      });
      expect(queued.notBefore).toBe(T0 + 5_000);
      const started = await store.transition(queued.id, {
        to: 'started',
        at: T0 + 6_000,
        reason: 'claimed',
        patch: { workerId: 'worker-1', notBefore: undefined, error: undefined },
      });
      expect(started.notBefore).toBeUndefined();
      expect(started.error).toBeUndefined();
      expect(started.workerId).toBe('worker-1');
      const stored = await store.get(queued.id);
      expect(stored?.notBefore).toBeUndefined();
      expect(stored?.error).toBeUndefined();
    });

    test('concurrent claims of one task with from [queued]: exactly one wins', async ({ store }) => {
      const task = await createOne(store, { status: 'queued' });
      const outcomes = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) =>
          store.transition(task.id, {
            to: 'started',
            from: ['queued'],
            at: T0 + 10,
            reason: `claimed by worker-${i}`,
            patch: { workerId: `worker-${i}`, leaseExpiresAt: T0 + 30_010 },
          }),
        ),
      );
      const won = outcomes.filter((outcome) => outcome.status === 'fulfilled');
      const lost = outcomes.filter((outcome) => outcome.status === 'rejected');
      expect(won).toHaveLength(1);
      for (const outcome of lost) {
        await expectScanplaneError(
          Promise.reject(outcome.reason),
          ['INVALID_TRANSITION', 'CONFLICT'],
          'a losing claim',
        );
      }
      const after = await store.get(task.id);
      const winner = (won[0] as PromiseFulfilledResult<ScanTask>).value;
      expect(after?.status).toBe('started');
      expect(after?.version).toBe(2);
      expect(after?.attempt).toBe(1);
      expect(after?.history).toHaveLength(2);
      expect(after?.workerId).toBe(winner.workerId);
    });

    test('concurrent transitions with one expectedVersion: exactly one wins', async ({ store }) => {
      const task = await createOne(store);
      const targets: TaskStatus[] = ['queued', 'requested', 'cancelled', 'failed'];
      const outcomes = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) =>
          store.transition(task.id, {
            to: targets[i % targets.length] as TaskStatus,
            expectedVersion: 1,
            at: T0 + 10,
            reason: `writer ${i}`,
          }),
        ),
      );
      expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
      for (const outcome of outcomes) {
        if (outcome.status === 'rejected') {
          await expectScanplaneError(
            Promise.reject(outcome.reason),
            ['CONFLICT', 'INVALID_TRANSITION'],
            'a losing writer',
          );
        }
      }
      const after = await store.get(task.id);
      expect(after?.version).toBe(2);
      expect(after?.history).toHaveLength(2);
    });

    // ----------------------------------------------------------------- claim
    test('claim takes the highest priority first, then the oldest', async ({ store }) => {
      const low = await createOne(store, { status: 'queued', priority: 1 }, T0);
      const high = await createOne(store, { status: 'queued', priority: 5 }, T0 + 1);
      const highLater = await createOne(store, { status: 'queued', priority: 5 }, T0 + 2);
      const lowLater = await createOne(store, { status: 'queued', priority: 1 }, T0 + 3);
      const order: string[] = [];
      for (let i = 0; i < 4; i++) {
        const claimed = await store.claim({ workerId: 'worker-1', limit: 1, leaseMs: 30_000, at: T0 + 100 });
        expect(claimed).toHaveLength(1);
        order.push((claimed[0] as ScanTask).id);
      }
      expect(order).toEqual([high.id, highLater.id, low.id, lowLater.id]);
      expect(await store.claim({ workerId: 'worker-1', limit: 1, leaseMs: 30_000, at: T0 + 100 })).toEqual(
        [],
      );
    });

    test('claim moves tasks to started with the worker, lease, attempt and history', async ({ store }) => {
      const task = await createOne(store, { status: 'queued' }, T0);
      const claimed = await store.claim({ workerId: 'worker-7', limit: 5, leaseMs: 30_000, at: T0 + 50 });
      expect(ids(claimed)).toEqual([task.id]);
      const started = claimed[0] as ScanTask;
      expect(started).toMatchObject({
        status: 'started',
        workerId: 'worker-7',
        leaseExpiresAt: T0 + 30_050,
        startedAt: T0 + 50,
        attempt: 1,
        version: 2,
      });
      expect(started.history).toHaveLength(2);
      expect(started.history[1]).toEqual({
        from: 'queued',
        to: 'started',
        at: T0 + 50,
        reason: expect.any(String),
      });
      expect(await store.get(task.id)).toEqual(started);
    });

    test('claim skips tasks whose notBefore has not passed', async ({ store }) => {
      const delayed = await store.transition((await createOne(store, {}, T0)).id, {
        to: 'queued',
        at: T0 + 1,
        reason: 'retry',
        patch: { notBefore: T0 + 10_000 },
      });
      const ready = await createOne(store, { status: 'queued' }, T0 + 2);
      const early = await store.claim({ workerId: 'worker-1', limit: 10, leaseMs: 30_000, at: T0 + 5_000 });
      expect(ids(early)).toEqual([ready.id]);
      expect((await store.get(delayed.id))?.status).toBe('queued');
      const late = await store.claim({ workerId: 'worker-1', limit: 10, leaseMs: 30_000, at: T0 + 20_000 });
      expect(ids(late)).toEqual([delayed.id]);
    });

    test('claim honours kinds, project and limit', async ({ store }) => {
      const alpha1 = await createOne(store, { status: 'queued', kind: 'alpha' }, T0);
      const alpha2 = await createOne(store, { status: 'queued', kind: 'alpha' }, T0 + 1);
      const beta = await createOne(store, { status: 'queued', kind: 'beta' }, T0 + 2);
      const otherAlpha = await createOne(
        store,
        { status: 'queued', kind: 'alpha', project: 'other' },
        T0 + 3,
      );
      const claim = (extra: { kinds?: string[]; project?: string; limit: number }) =>
        store.claim({ workerId: 'worker-1', leaseMs: 30_000, at: T0 + 100, ...extra });
      expect(ids(await claim({ kinds: ['beta'], limit: 10 }))).toEqual([beta.id]);
      expect(ids(await claim({ project: 'other', limit: 10 }))).toEqual([otherAlpha.id]);
      expect(ids(await claim({ project: 'acme', kinds: ['alpha', 'gamma'], limit: 1 }))).toEqual([alpha1.id]);
      expect(ids(await claim({ project: 'acme', kinds: ['alpha'], limit: 1 }))).toEqual([alpha2.id]);
      expect(await claim({ limit: 10 })).toEqual([]);
    });

    test('claim takes only queued tasks', async ({ store }) => {
      for (const status of TASK_STATUSES.filter((s) => s !== 'queued')) {
        await driveTo(store, await createOne(store), status);
      }
      const queued = await driveTo(store, await createOne(store), 'queued');
      const claimed = await store.claim({ workerId: 'worker-1', limit: 100, leaseMs: 30_000, at: T0 + 100 });
      expect(ids(claimed)).toEqual([queued.id]);
    });

    test('concurrent claimers never get the same task', async ({ store }) => {
      const { created } = await store.create(
        Array.from({ length: 20 }, () => sampleTask({ project: 'acme', status: 'queued' })),
        { at: T0 },
      );
      expect(created).toHaveLength(20);
      const batches = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          store.claim({ workerId: `worker-${i}`, limit: 3, leaseMs: 30_000, at: T0 + 100 }),
        ),
      );
      const claimed = batches.flat();
      expect(new Set(ids(claimed)).size, 'a task claimed twice').toBe(claimed.length);
      for (const [i, batch] of batches.entries()) {
        expect(batch.length).toBeLessThanOrEqual(3);
        for (const task of batch) {
          expect(task.workerId).toBe(`worker-${i}`);
          expect((await store.get(task.id))?.workerId).toBe(`worker-${i}`);
        }
      }
      const rest = await store.claim({ workerId: 'worker-rest', limit: 100, leaseMs: 30_000, at: T0 + 200 });
      expect(claimed.length + rest.length).toBe(20);
      expect(new Set([...ids(claimed), ...ids(rest)]).size).toBe(20);
      expect((await store.count({ project: 'acme' })).started).toBe(20);
    });

    // ------------------------------------------------------------- heartbeat
    test('heartbeat renews the lease of the owning worker', async ({ store }) => {
      await createOne(store, { status: 'queued' });
      const [task] = await store.claim({ workerId: 'worker-1', limit: 1, leaseMs: 1_000, at: T0 + 10 });
      expect(task?.leaseExpiresAt).toBe(T0 + 1_010);
      const renewed = await store.heartbeat((task as ScanTask).id, {
        workerId: 'worker-1',
        at: T0 + 500,
        leaseMs: 2_000,
      });
      expect(renewed).toMatchObject({
        status: 'started',
        workerId: 'worker-1',
        leaseExpiresAt: T0 + 2_500,
        lastHeartbeatAt: T0 + 500,
        version: (task as ScanTask).version + 1,
      });
      expect(renewed.history).toEqual((task as ScanTask).history);
      expect(await store.get(renewed.id)).toEqual(renewed);
    });

    test('heartbeat from another worker, or of a task not started, throws CONFLICT', async ({ store }) => {
      await createOne(store, { status: 'queued' });
      const [task] = await store.claim({ workerId: 'worker-1', limit: 1, leaseMs: 1_000, at: T0 + 10 });
      const id = (task as ScanTask).id;
      await expectScanplaneError(
        store.heartbeat(id, { workerId: 'worker-2', at: T0 + 500, leaseMs: 60_000 }),
        'CONFLICT',
        'a heartbeat from another worker',
      );
      expect((await store.get(id))?.leaseExpiresAt).toBe(T0 + 1_010);

      const queued = await createOne(store, { status: 'queued' });
      await expectScanplaneError(
        store.heartbeat(queued.id, { workerId: 'worker-1', at: T0 + 500, leaseMs: 60_000 }),
        'CONFLICT',
        'a heartbeat of a queued task',
      );
      await store.transition(id, { to: 'finished', at: T0 + 600, reason: 'done' });
      await expectScanplaneError(
        store.heartbeat(id, { workerId: 'worker-1', at: T0 + 700, leaseMs: 60_000 }),
        'CONFLICT',
        'a heartbeat of a finished task',
      );
      await expectScanplaneError(
        store.heartbeat(randomUUID(), { workerId: 'worker-1', at: T0 + 700, leaseMs: 60_000 }),
        ['NOT_FOUND', 'CONFLICT'],
        'a heartbeat of an unknown task',
      );
    });

    // ------------------------------------------------------------ list/count
    /** Five tasks over two projects, created one millisecond apart, in five statuses. */
    const fixture = async (store: TaskStore) => {
      const t1 = await createOne(
        store,
        { kind: 'tcp', scanId: 's1', organizationIds: ['o1'], idempotencyKey: 'k1' },
        T0 + 1,
      );
      const t2 = await createOne(
        store,
        { kind: 'nmap', scanId: 's1', organizationIds: ['o1', 'o2'], status: 'queued', idempotencyKey: 'k2' },
        T0 + 2,
      );
      const t3 = await driveTo(
        store,
        await createOne(store, { kind: 'tcp', scanId: 's2', organizationIds: ['o2'] }, T0 + 3),
        'started',
      );
      const t4 = await driveTo(
        store,
        await createOne(
          store,
          { project: 'other', kind: 'tcp', scanId: 's1', organizationIds: ['o1'] },
          T0 + 4,
        ),
        'cancelled',
      );
      const t5 = await driveTo(store, await createOne(store, { kind: 'tcp' }, T0 + 5), 'finished');
      return { t1, t2, t3, t4, t5 };
    };

    test('list filters by project, status, scanId, organizationId, kind and ids', async ({ store }) => {
      const { t1, t2, t3, t4, t5 } = await fixture(store);
      const check = async (query: Parameters<TaskStore['list']>[0], expected: ScanTask[]) =>
        expect(sortedIds(await store.list(query)), JSON.stringify(query)).toEqual(sortedIds(expected));
      await check({}, [t1, t2, t3, t4, t5]);
      await check({ project: 'acme' }, [t1, t2, t3, t5]);
      await check({ project: 'other' }, [t4]);
      await check({ project: 'nobody' }, []);
      await check({ status: ['created'] }, [t1]);
      await check({ status: ['queued', 'started'] }, [t2, t3]);
      await check({ status: ['finished', 'failed', 'cancelled'] }, [t4, t5]);
      await check({ scanId: 's1' }, [t1, t2, t4]);
      await check({ organizationId: 'o2' }, [t2, t3]);
      await check({ kind: 'tcp' }, [t1, t3, t4, t5]);
      await check({ ids: [t5.id, t1.id, randomUUID()] }, [t1, t5]);
      await check({ project: 'acme', kind: 'tcp', status: ['created', 'finished'] }, [t1, t5]);
      await check({ ids: [t1.id, t4.id], project: 'other' }, [t4]);
      await check({ scanId: 's1', organizationId: 'o1', kind: 'nmap' }, [t2]);
    });

    test('list orders by creation time, not by call order', async ({ store }) => {
      const middle = await createOne(store, {}, T0 + 200);
      const first = await createOne(store, {}, T0 + 100);
      const last = await createOne(store, {}, T0 + 300);
      expect(ids(await store.list({ project: 'acme' }))).toEqual([first.id, middle.id, last.id]);
    });

    test('list orders tasks created at the same time by id', async ({ store }) => {
      const { created } = await store.create(
        Array.from({ length: 8 }, () => sampleTask({ project: 'acme' })),
        { at: T0 },
      );
      expect(ids(await store.list({ project: 'acme' }))).toEqual(sortedIds(created));
    });

    test('list with ids returns them in creation order', async ({ store }) => {
      const a = await createOne(store, {}, T0 + 1);
      const b = await createOne(store, {}, T0 + 2);
      const c = await createOne(store, {}, T0 + 3);
      expect(ids(await store.list({ ids: [c.id, a.id, b.id] }))).toEqual([a.id, b.id, c.id]);
    });

    test('list pages with after and limit', async ({ store }) => {
      const tasks: ScanTask[] = [];
      for (let i = 0; i < 7; i++) {
        tasks.push(await createOne(store, i % 2 === 0 ? { status: 'queued' } : {}, T0 + i));
      }
      const pages: string[][] = [];
      let after: string | undefined;
      for (;;) {
        const page = await store.list({
          project: 'acme',
          limit: 3,
          ...(after === undefined ? {} : { after }),
        });
        if (page.length === 0) break;
        expect(page.length).toBeLessThanOrEqual(3);
        pages.push(ids(page));
        after = page.at(-1)?.id;
        expect(pages.length, 'paging does not end').toBeLessThanOrEqual(3);
      }
      expect(pages).toEqual([ids(tasks.slice(0, 3)), ids(tasks.slice(3, 6)), ids(tasks.slice(6))]);
      // `after` may name a task the other filters leave out.
      const queued = await store.list({
        project: 'acme',
        status: ['queued'],
        after: (tasks[1] as ScanTask).id,
      });
      expect(ids(queued)).toEqual(ids([tasks[2], tasks[4], tasks[6]] as ScanTask[]));
      expect(ids(await store.list({ project: 'acme', status: ['queued'], limit: 2 }))).toEqual(
        ids([tasks[0], tasks[2]] as ScanTask[]),
      );
    });

    test('count reports every status, zeros included, under the same filters', async ({ store }) => {
      const zeros = Object.fromEntries(TASK_STATUSES.map((status) => [status, 0]));
      const { t3 } = await fixture(store);
      const all = await store.count({});
      expect(Object.keys(all).sort()).toEqual([...TASK_STATUSES].sort());
      expect(all).toEqual({ ...zeros, created: 1, queued: 1, started: 1, finished: 1, cancelled: 1 });
      expect(await store.count({ project: 'acme' })).toEqual({
        ...zeros,
        created: 1,
        queued: 1,
        started: 1,
        finished: 1,
      });
      expect(await store.count({ kind: 'nmap' })).toEqual({ ...zeros, queued: 1 });
      expect(await store.count({ scanId: 's1', organizationId: 'o1' })).toEqual({
        ...zeros,
        created: 1,
        queued: 1,
        cancelled: 1,
      });
      expect(await store.count({ ids: [t3.id] })).toEqual({ ...zeros, started: 1 });
      expect(await store.count({ status: ['started', 'finished'] })).toEqual({
        ...zeros,
        started: 1,
        finished: 1,
      });
      expect(await store.count({ project: 'nobody' })).toEqual(zeros);
    });

    // --------------------------------------------------------------- expired
    const timeouts = { startMs: 1_000, leaseMs: 1_000, runMs: 10_000 };

    test('expired returns created and requested tasks past their start timeout', async ({ store }) => {
      const created = await createOne(store, { timeouts }, T0);
      const requested = await store.transition((await createOne(store, { timeouts }, T0)).id, {
        to: 'requested',
        at: T0 + 100,
        reason: 'launched',
      });
      await createOne(store, { timeouts }, T0 + 4_500); // created recently
      await store.transition((await createOne(store, { timeouts }, T0)).id, {
        to: 'requested',
        at: T0 + 4_500, // requested recently, although created long ago
        reason: 'launched',
      });
      expect(await store.expired(T0 + 500)).toEqual([]);
      expect(sortedIds(await store.expired(T0 + 5_000))).toEqual(sortedIds([created, requested]));
    });

    test('expired returns started tasks past their lease or past their run timeout', async ({ store }) => {
      const start = async (runMs: number, leaseExpiresAt: number) =>
        store.transition(
          (await createOne(store, { status: 'queued', timeouts: { ...timeouts, runMs } }, T0)).id,
          { to: 'started', at: T0 + 100, reason: 'claimed', patch: { workerId: 'w', leaseExpiresAt } },
        );
      const leaseGone = await start(10_000, T0 + 2_000);
      const ranTooLong = await start(3_000, T0 + 1_000_000);
      await start(10_000, T0 + 1_000_000); // in time on both counts
      expect(await store.expired(T0 + 1_000)).toEqual([]);
      expect(sortedIds(await store.expired(T0 + 5_000))).toEqual(sortedIds([leaseGone, ranTooLong]));
    });

    test('expired leaves out queued and terminal tasks', async ({ store }) => {
      for (const status of ['queued', 'finished', 'failed', 'cancelled'] as const) {
        await driveTo(store, await createOne(store, { timeouts }, T0), status);
      }
      expect(await store.expired(T0 + 1_000_000_000)).toEqual([]);
    });

    test('expired honours limit', async ({ store }) => {
      for (let i = 0; i < 3; i++) await createOne(store, { timeouts }, T0 + i);
      expect(await store.expired(T0 + 5_000, 2)).toHaveLength(2);
      expect(await store.expired(T0 + 5_000)).toHaveLength(3);
    });

    // ---------------------------------------------------------------- health
    test('health reports ok', async ({ store }) => {
      const report = await store.health();
      expect(report.ok).toBe(true);
      expect(typeof report.component).toBe('string');
      expect(report.component).not.toBe('');
      expect(typeof report.detail).toBe('string');
    });

    // ----------------------------------------------------------- size limits
    test('an oversized payload is refused with INVALID_ARGUMENT and nothing is created', async ({
      store,
    }) => {
      await expectScanplaneError(
        store.create([sampleTask({ project: 'acme', payload: { blob: 'x'.repeat(oversized) } })], { at: T0 }),
        'INVALID_ARGUMENT',
        `a payload of ${oversized} characters`,
      );
      expect(await store.list({})).toEqual([]);
    });

    test('an oversized result is refused with INVALID_ARGUMENT and the task is unchanged', async ({
      store,
    }) => {
      const started = await driveTo(store, await createOne(store), 'started');
      await expectScanplaneError(
        store.transition(started.id, {
          to: 'finished',
          at: T0 + 100,
          reason: 'done',
          patch: { result: { blob: 'x'.repeat(oversized) } },
        }),
        'INVALID_ARGUMENT',
        `a result of ${oversized} characters`,
      );
      const after = await store.get(started.id);
      expect(after?.status).toBe('started');
      expect(after?.version).toBe(started.version);
      expect(after?.result).toBeUndefined();
    });

    test('a result that is not JSON (a cycle) is refused with INVALID_ARGUMENT and the task is unchanged', async ({
      store,
    }) => {
      const started = await driveTo(store, await createOne(store), 'started');
      const cyclic: Record<string, unknown> = { open: [] };
      cyclic['self'] = cyclic;
      await expectScanplaneError(
        store.transition(started.id, {
          to: 'finished',
          at: T0 + 100,
          reason: 'done',
          patch: { result: cyclic },
        }),
        'INVALID_ARGUMENT',
        'a cyclic result',
      );
      const after = await store.get(started.id);
      expect(after?.status).toBe('started');
      expect(after?.version).toBe(started.version);
    });
  });
}
