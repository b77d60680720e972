import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { WorkerInfo, WorkerRegistry } from '../ports/worker-registry.js';
import {
  type ConformanceOptions,
  type ConformanceSubject,
  defineConformanceSuite,
} from './conformance-harness.js';

/**
 * What the worker registry suite's `create` returns: an empty registry, and optionally how to clean it up.
 *
 * @example
 * ```ts
 * import { createMemoryStore } from '@scanplane/core';
 * import type { WorkerRegistrySubject } from '@scanplane/core/testing';
 * const subject: WorkerRegistrySubject = { registry: createMemoryStore() };
 * ```
 */
export interface WorkerRegistrySubject extends ConformanceSubject {
  /** The registry under test, empty. */
  registry: WorkerRegistry;
}

/**
 * Options for {@link runWorkerRegistryConformance}.
 *
 * @example
 * ```ts
 * import { createMemoryStore } from '@scanplane/core';
 * import type { WorkerRegistryConformanceOptions } from '@scanplane/core/testing';
 * const options: WorkerRegistryConformanceOptions = {
 *   name: 'memory',
 *   create: async () => ({ registry: createMemoryStore() }),
 * };
 * ```
 */
export interface WorkerRegistryConformanceOptions extends ConformanceOptions<WorkerRegistrySubject> {}

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const STALE_MS = 60_000;

function worker(overrides: Partial<WorkerInfo> = {}): WorkerInfo {
  return {
    id: randomUUID(),
    hostname: 'scanner-1',
    addresses: ['192.0.2.50', '2001:db8::50'],
    kinds: ['tcp-connect'],
    capacity: 4,
    currentTasks: [],
    startedAt: T0,
    lastSeenAt: T0,
    ...overrides,
  };
}

const byId = (workers: readonly WorkerInfo[]): WorkerInfo[] =>
  [...workers].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

/**
 * Registers the conformance tests of the {@link WorkerRegistry} port: register (and replace), list, heartbeat,
 * remove, stale workers left out of listings, heartbeats of unknown workers ignored, and `health`. `create` is
 * called once per test and must return an empty registry.
 *
 * @example
 * ```ts
 * import { createMemoryStore } from '@scanplane/core';
 * import { runWorkerRegistryConformance } from '@scanplane/core/testing';
 *
 * runWorkerRegistryConformance({ name: 'memory', create: async () => ({ registry: createMemoryStore() }) });
 * ```
 */
export function runWorkerRegistryConformance(options: WorkerRegistryConformanceOptions): void {
  defineConformanceSuite('WorkerRegistry', options, { timeoutMs: 60_000 }, (test) => {
    test('registerWorker adds a worker that listWorkers returns', async ({ registry }) => {
      expect(await registry.listWorkers({ at: T0, staleAfterMs: STALE_MS })).toEqual([]);
      const one = worker({ kinds: [], currentTasks: [randomUUID()] });
      const two = worker({ hostname: 'scanner-2', capacity: 16 });
      await registry.registerWorker(one);
      await registry.registerWorker(two);
      expect(byId(await registry.listWorkers({ at: T0 + 1_000, staleAfterMs: STALE_MS }))).toEqual(
        byId([one, two]),
      );
    });

    test('registerWorker replaces a worker with the same id', async ({ registry }) => {
      const first = worker();
      await registry.registerWorker(first);
      const replaced = {
        ...first,
        hostname: 'scanner-9',
        capacity: 32,
        kinds: ['nmap'],
        lastSeenAt: T0 + 10,
      };
      await registry.registerWorker(replaced);
      expect(await registry.listWorkers({ at: T0 + 1_000, staleAfterMs: STALE_MS })).toEqual([replaced]);
    });

    test('workerHeartbeat updates lastSeenAt and currentTasks', async ({ registry }) => {
      const one = worker();
      await registry.registerWorker(one);
      const tasks = [randomUUID(), randomUUID()];
      await registry.workerHeartbeat(one.id, { at: T0 + 5_000, currentTasks: tasks });
      expect(await registry.listWorkers({ at: T0 + 5_000, staleAfterMs: STALE_MS })).toEqual([
        { ...one, lastSeenAt: T0 + 5_000, currentTasks: tasks },
      ]);
      await registry.workerHeartbeat(one.id, { at: T0 + 6_000, currentTasks: [] });
      expect(await registry.listWorkers({ at: T0 + 6_000, staleAfterMs: STALE_MS })).toEqual([
        { ...one, lastSeenAt: T0 + 6_000, currentTasks: [] },
      ]);
    });

    test('workerHeartbeat of an unknown worker is ignored', async ({ registry }) => {
      const known = worker();
      await registry.registerWorker(known);
      await registry.workerHeartbeat(randomUUID(), { at: T0 + 1_000, currentTasks: [randomUUID()] });
      expect(await registry.listWorkers({ at: T0 + 1_000, staleAfterMs: STALE_MS })).toEqual([known]);
    });

    test('removeWorker removes a worker', async ({ registry }) => {
      const one = worker();
      const two = worker();
      await registry.registerWorker(one);
      await registry.registerWorker(two);
      await registry.removeWorker(one.id);
      expect(await registry.listWorkers({ at: T0 + 1_000, staleAfterMs: STALE_MS })).toEqual([two]);
      await registry.workerHeartbeat(one.id, { at: T0 + 2_000, currentTasks: [] });
      expect(await registry.listWorkers({ at: T0 + 2_000, staleAfterMs: STALE_MS })).toEqual([two]);
    });

    test('listWorkers leaves out stale workers', async ({ registry }) => {
      const old = worker({ lastSeenAt: T0 });
      const recent = worker({ lastSeenAt: T0 + 50_000 });
      await registry.registerWorker(old);
      await registry.registerWorker(recent);
      expect(byId(await registry.listWorkers({ at: T0 + 55_000, staleAfterMs: STALE_MS }))).toEqual(
        byId([old, recent]),
      );
      expect(await registry.listWorkers({ at: T0 + 70_000, staleAfterMs: STALE_MS })).toEqual([recent]);
      expect(await registry.listWorkers({ at: T0 + 200_000, staleAfterMs: STALE_MS })).toEqual([]);
    });

    test('a heartbeat keeps a worker listed', async ({ registry }) => {
      const one = worker({ lastSeenAt: T0 });
      await registry.registerWorker(one);
      await registry.workerHeartbeat(one.id, { at: T0 + 50_000, currentTasks: [] });
      expect(await registry.listWorkers({ at: T0 + 100_000, staleAfterMs: STALE_MS })).toEqual([
        { ...one, lastSeenAt: T0 + 50_000 },
      ]);
    });

    test('health reports ok', async ({ registry }) => {
      const report = await registry.health();
      expect(report.ok).toBe(true);
      expect(typeof report.component).toBe('string');
      expect(report.component).not.toBe('');
      expect(typeof report.detail).toBe('string');
    });
  });
}
