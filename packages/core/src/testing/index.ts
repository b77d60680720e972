/**
 * `@scanplane/core/testing`: the conformance suites of scanplane's ports. An adapter (PostgreSQL, RabbitMQ, Docker,
 * Fargate, …) calls the suite of each port it implements from its own vitest test file, against a real server, and
 * the suite registers one test per rule of the port's contract. `vitest` is an optional peer dependency: install it
 * where the suites run.
 *
 * Every suite takes the same options ({@link ConformanceOptions}): a `name` for the describe title, a `create`
 * function called **once per test** that returns a fresh, empty, isolated subject (a new schema, a new queue prefix)
 * with an optional `cleanup`, an optional `skip` list whose entries carry a reason, and generous time limits. A
 * skipped test is not run: the suite registers a test named `skipped: <name> — <reason>` in its place, so the
 * reason shows in every report.
 *
 * @example
 * ```ts
 * import { createMemoryStore } from '@scanplane/core';
 * import { runTaskStoreConformance } from '@scanplane/core/testing';
 *
 * runTaskStoreConformance({ name: 'memory', create: async () => ({ store: createMemoryStore() }) });
 * ```
 * @module
 */

export { type ClockConformanceOptions, type ClockSubject, runClockConformance } from './clock-suite.js';
export {
  type ConformanceContext,
  type ConformanceOptions,
  type ConformanceSkip,
  type ConformanceSubject,
  type ConformanceTest,
  defineConformanceSuite,
  sampleScanTask,
  sampleTask,
  type WaitForOptions,
  waitFor,
} from './conformance-harness.js';
export {
  type ConformanceBehaviour,
  type LauncherConformanceOptions,
  type LauncherSubject,
  runLauncherConformance,
} from './launcher-suite.js';
export { type LedgerConformanceOptions, type LedgerSubject, runLedgerConformance } from './ledger-suite.js';
export { type LockConformanceOptions, type LockSubject, runLockConformance } from './lock-suite.js';
export { type QueueConformanceOptions, type QueueSubject, runQueueConformance } from './queue-suite.js';
export {
  type ResolverConformanceOptions,
  type ResolverSubject,
  runResolverConformance,
} from './resolver-suite.js';
export {
  runScheduleStoreConformance,
  type ScheduleStoreConformanceOptions,
  type ScheduleStoreSubject,
} from './schedule-store-suite.js';
export {
  runTaskStoreConformance,
  type TaskStoreConformanceOptions,
  type TaskStoreSubject,
} from './task-store-suite.js';
export {
  runWorkerRegistryConformance,
  type WorkerRegistryConformanceOptions,
  type WorkerRegistrySubject,
} from './worker-registry-suite.js';
