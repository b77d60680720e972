import type { Clock, Orchestrator, Scheduler, ScheduleStore, TaskLauncher, TaskStore } from '@scanplane/core';

/**
 * What the operators' API works on: the catalogue and task store (PostgreSQL here), the orchestrator (kill goes
 * through its `cancel`, which stops the container), the scheduler (invoke, explain), the launcher (logs) and the
 * clock.
 *
 * @example
 * ```ts
 * import type { ApiContext } from './api-context.js';
 * const scans = (context: ApiContext) => context.store.listScans();
 * ```
 */
export interface ApiContext {
  /** Organizations, scans and tasks. */
  store: TaskStore & ScheduleStore;
  /** Cancels tasks for real. */
  orchestrator: Orchestrator;
  /** Ticks and explains. */
  scheduler: Scheduler;
  /** Reads task logs. */
  launcher: TaskLauncher;
  /** Stamps manual run requests. */
  clock: Clock;
}
