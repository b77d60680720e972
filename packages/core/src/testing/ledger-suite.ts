import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { CoverageRecord, Ledger } from '../ports/ledger.js';
import type { TaskStore } from '../ports/task-store.js';
import type { NewTask, ScanTask, TaskStatus } from '../tasks/task.js';
import {
  type ConformanceOptions,
  type ConformanceSubject,
  defineConformanceSuite,
  sampleTask,
} from './conformance-harness.js';

/**
 * What the ledger suite's `create` returns: an empty ledger and the task store whose active tasks it reports (for
 * the memory store and the Postgres adapter, the same object twice).
 *
 * @example
 * ```ts
 * import { createMemoryStore } from '@scanplane/core';
 * import type { LedgerSubject } from '@scanplane/core/testing';
 * const store = createMemoryStore();
 * const subject: LedgerSubject = { ledger: store, store };
 * ```
 */
export interface LedgerSubject extends ConformanceSubject {
  /** The ledger under test, empty. */
  ledger: Ledger;
  /** The task store behind the ledger's active coverage, empty. */
  store: TaskStore;
}

/**
 * Options for {@link runLedgerConformance}.
 *
 * @example
 * ```ts
 * import { createMemoryStore } from '@scanplane/core';
 * import type { LedgerConformanceOptions } from '@scanplane/core/testing';
 * const options: LedgerConformanceOptions = {
 *   name: 'memory',
 *   create: async () => {
 *     const store = createMemoryStore();
 *     return { ledger: store, store };
 *   },
 * };
 * ```
 */
export interface LedgerConformanceOptions extends ConformanceOptions<LedgerSubject> {}

const T0 = Date.parse('2026-01-01T00:00:00.000Z');

const byTask = (a: CoverageRecord, b: CoverageRecord): number =>
  (a.taskId ?? '') < (b.taskId ?? '') ? -1 : (a.taskId ?? '') > (b.taskId ?? '') ? 1 : 0;
const sorted = (records: readonly CoverageRecord[]): CoverageRecord[] => [...records].sort(byTask);
const byAt = (records: readonly CoverageRecord[]): CoverageRecord[] =>
  [...records].sort((a, b) => a.at - b.at);

/**
 * Registers the conformance tests of the {@link Ledger} port: active coverage (only active tasks of the project that
 * overlap the query, IPv4 and IPv6), scanned coverage (`since`, overlap, project), hostnames merged in first-seen
 * order, and `health`. `create` is called once per test and must return an empty ledger with its task store.
 *
 * @example
 * ```ts
 * import { createMemoryStore } from '@scanplane/core';
 * import { runLedgerConformance } from '@scanplane/core/testing';
 *
 * runLedgerConformance({
 *   name: 'memory',
 *   create: async () => {
 *     const store = createMemoryStore();
 *     return { ledger: store, store };
 *   },
 * });
 * ```
 */
export function runLedgerConformance(options: LedgerConformanceOptions): void {
  defineConformanceSuite('Ledger', options, { timeoutMs: 60_000 }, (test) => {
    /** A task with a target, queued at T0 (its active coverage is stamped T0), then moved to `status`. */
    const task = async (
      store: TaskStore,
      addresses: string[],
      ports: string,
      status: TaskStatus,
      overrides: Partial<NewTask> = {},
    ): Promise<ScanTask> => {
      const { created } = await store.create(
        [
          sampleTask({
            project: 'acme',
            status: 'queued',
            target: { addresses, hostnames: [], ports },
            ...overrides,
          }),
        ],
        { at: T0 },
      );
      let current = created[0] as ScanTask;
      const path: Record<TaskStatus, TaskStatus[]> = {
        created: [],
        queued: [],
        requested: ['requested'],
        started: ['started'],
        finished: ['started', 'finished'],
        failed: ['failed'],
        cancelled: ['cancelled'],
      };
      for (const [i, to] of path[status].entries()) {
        current = await store.transition(current.id, { to, at: T0 + 10 + i, reason: 'conformance' });
      }
      return current;
    };
    const coverage = (t: ScanTask): CoverageRecord => ({
      addresses: t.target?.addresses ?? [],
      ports: t.target?.ports ?? '',
      at: T0,
      taskId: t.id,
    });

    test('active returns the coverage of active tasks that overlaps the addresses', async ({
      ledger,
      store,
    }) => {
      const queued = await task(store, ['192.0.2.0/30'], '80,443', 'queued');
      const requested = await task(store, ['192.0.2.8/29'], '1-1024', 'requested');
      const started = await task(store, ['2001:db8::/126'], '80', 'started');
      const far = await task(store, ['198.51.100.0/24'], '22', 'queued');
      await task(store, ['192.0.2.0/24'], '80', 'finished');
      await task(store, ['192.0.2.0/24'], '80', 'queued', { project: 'other' });

      const all = await ledger.active('acme', ['192.0.2.0/24', '2001:db8::/64']);
      expect(sorted(all)).toEqual(sorted([queued, requested, started].map(coverage)));
      expect(await ledger.active('acme', ['192.0.2.2/32'])).toEqual([coverage(queued)]);
      expect(await ledger.active('acme', ['192.0.2.15/32', '192.0.2.200/32'])).toEqual([coverage(requested)]);
      expect(await ledger.active('acme', ['2001:db8::3/128'])).toEqual([coverage(started)]);
      expect(await ledger.active('acme', ['198.51.100.255/32'])).toEqual([coverage(far)]);
      expect(await ledger.active('acme', ['192.0.2.16/28', '2001:db8::4/126', '203.0.113.0/24'])).toEqual([]);
      expect(await ledger.active('nobody', ['0.0.0.0/0', '::/0'])).toEqual([]);
    });

    test('active reports tasks created but not yet queued', async ({ ledger, store }) => {
      const { created } = await store.create(
        [
          sampleTask({
            project: 'acme',
            target: { addresses: ['192.0.2.7/32'], hostnames: [], ports: '22' },
          }),
        ],
        { at: T0 },
      );
      const records = await ledger.active('acme', ['192.0.2.0/24']);
      expect(records).toEqual([
        { addresses: ['192.0.2.7/32'], ports: '22', at: expect.any(Number), taskId: created[0]?.id },
      ]);
    });

    test('active leaves out tasks once they are terminal', async ({ ledger, store }) => {
      const running = await task(store, ['192.0.2.0/30'], '80', 'started');
      const queued = await task(store, ['192.0.2.4/30'], '80', 'queued');
      expect(await ledger.active('acme', ['192.0.2.0/29'])).toHaveLength(2);
      await store.transition(running.id, { to: 'finished', at: T0 + 100, reason: 'done' });
      await store.transition(queued.id, { to: 'cancelled', at: T0 + 100, reason: 'stopped' });
      expect(await ledger.active('acme', ['192.0.2.0/29'])).toEqual([]);
    });

    test('scanned honours since, overlap and project', async ({ ledger }) => {
      const first: CoverageRecord = {
        addresses: ['192.0.2.0/29'],
        ports: '80',
        at: T0,
        taskId: randomUUID(),
      };
      const imported: CoverageRecord = { addresses: ['198.51.100.0/24'], ports: '443', at: T0 + 1_000 };
      const v6: CoverageRecord = {
        addresses: ['2001:db8::/64'],
        ports: '22',
        at: T0 + 2_000,
        taskId: randomUUID(),
      };
      const elsewhere: CoverageRecord = { addresses: ['192.0.2.0/29'], ports: '80', at: T0 + 1_000 };
      await ledger.recordScanned('acme', first);
      await ledger.recordScanned('acme', imported);
      await ledger.recordScanned('acme', v6);
      await ledger.recordScanned('other', elsewhere);

      expect(await ledger.scanned('acme', ['192.0.2.4/32'], T0 - 1)).toEqual([first]);
      expect(await ledger.scanned('acme', ['192.0.2.4/32'], T0 + 1)).toEqual([]);
      expect(await ledger.scanned('acme', ['192.0.0.0/16'], T0 - 1)).toEqual([first]);
      expect(byAt(await ledger.scanned('acme', ['0.0.0.0/0', '::/0'], T0 + 500))).toEqual([imported, v6]);
      expect(byAt(await ledger.scanned('acme', ['0.0.0.0/0', '::/0'], T0 - 1))).toEqual([
        first,
        imported,
        v6,
      ]);
      expect(await ledger.scanned('acme', ['2001:db8:0:0:ffff::1/128'], T0 - 1)).toEqual([v6]);
      expect(await ledger.scanned('acme', ['203.0.113.0/24', '2001:db8:1::/48'], T0 - 1)).toEqual([]);
      expect(await ledger.scanned('other', ['192.0.2.0/24'], T0 - 1)).toEqual([elsewhere]);
      expect(await ledger.scanned('nobody', ['0.0.0.0/0'], 0)).toEqual([]);
    });

    test('recordHostnames merges hostnames in first-seen order', async ({ ledger }) => {
      await ledger.recordHostnames('acme', '192.0.2.7', ['b.example', 'a.example'], T0);
      await ledger.recordHostnames('acme', '192.0.2.7', ['a.example', 'c.example', 'b.example'], T0 + 1);
      await ledger.recordHostnames('acme', '192.0.2.7', [], T0 + 2);
      expect(await ledger.hostnames('acme', '192.0.2.7')).toEqual(['b.example', 'a.example', 'c.example']);
      await ledger.recordHostnames('other', '192.0.2.7', ['z.example'], T0);
      expect(await ledger.hostnames('other', '192.0.2.7')).toEqual(['z.example']);
      expect(await ledger.hostnames('acme', '192.0.2.7')).toEqual(['b.example', 'a.example', 'c.example']);
    });

    test('hostnames of an unknown address or project is empty', async ({ ledger }) => {
      await ledger.recordHostnames('acme', '192.0.2.7', ['a.example'], T0);
      expect(await ledger.hostnames('acme', '192.0.2.8')).toEqual([]);
      expect(await ledger.hostnames('nobody', '192.0.2.7')).toEqual([]);
    });

    test('health reports ok', async ({ ledger }) => {
      const report = await ledger.health();
      expect(report.ok).toBe(true);
      expect(typeof report.component).toBe('string');
      expect(report.component).not.toBe('');
      expect(typeof report.detail).toBe('string');
    });
  });
}
