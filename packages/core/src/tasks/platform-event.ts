import type { ScanTask, TaskError } from './task.js';
import { canTransition, failureTransition, type RetryPolicy, type TransitionRequest } from './transitions.js';

/**
 * A state report from where a task runs (a container event, an ECS task state change, an in-process run): it
 * started, it finished, or it failed. Such events may arrive late, twice or out of order.
 *
 * @example
 * ```ts
 * import type { PlatformEvent } from '@scanplane/core';
 * const event: PlatformEvent = { type: 'failed', at: Date.now(), version: 7, error: { code: 'TASK_FAILED', message: 'exit 3' } };
 * ```
 */
export interface PlatformEvent {
  /** What happened to the task. */
  type: 'started' | 'finished' | 'failed';
  /** When it happened, epoch milliseconds. */
  at: number;
  /** The platform's own version of the task (ECS `detail.version`); older or equal versions are stale. */
  version?: number;
  /** Why, for the history. */
  reason?: string;
  /** For `failed`. */
  error?: TaskError;
  /** For `finished`. */
  result?: unknown;
}

/**
 * What applying a platform event decided: a transition to commit, or why nothing changes (`duplicate`: the task is
 * already there; `stale`: the event is older than what the task knows — for example `started` after `finished`, a
 * late `RUNNING` after a kill, or a lower platform version).
 *
 * @example
 * ```ts
 * import { decidePlatformEvent } from '@scanplane/core';
 * declare const task: import('@scanplane/core').ScanTask;
 * const decision = decidePlatformEvent(task, { type: 'started', at: Date.now() });
 * if (decision.outcome === 'apply') console.log(decision.request.to);
 * ```
 */
export type PlatformEventDecision =
  | {
      /** Commit this transition (with its expected version). */
      outcome: 'apply';
      /** The transition, guarded by the task's current version. */
      request: TransitionRequest;
    }
  | {
      /** Change nothing. */
      outcome: 'duplicate' | 'stale';
      /** Why. */
      reason: string;
    };

/**
 * Decides what a platform event does to a task, so that applying an event twice is a no-op and a stale event is
 * never applied: terminal tasks ignore every event (Crossfeed's late event can no longer overwrite a kill), events
 * with a platform version not above the last applied one are stale, `started` is a duplicate on a started task and
 * stale after it, and an end event on an active task ends it (a retryable failure retries, by the retry policy).
 *
 * @example
 * ```ts
 * import { decidePlatformEvent } from '@scanplane/core';
 * declare const finished: import('@scanplane/core').ScanTask;
 * decidePlatformEvent(finished, { type: 'started', at: Date.now() }); // { outcome: 'stale', … }
 * ```
 */
export function decidePlatformEvent(
  task: ScanTask,
  event: PlatformEvent,
  options: { policy?: RetryPolicy; random?: () => number } = {},
): PlatformEventDecision {
  if (task.status === 'finished' || task.status === 'failed' || task.status === 'cancelled') {
    return { outcome: 'stale', reason: `task is ${task.status}; a ${event.type} event cannot change it` };
  }
  const lastVersion = task.handle?.version;
  if (event.version !== undefined && lastVersion !== undefined && event.version <= lastVersion) {
    return {
      outcome: event.version === lastVersion ? 'duplicate' : 'stale',
      reason: `platform version ${event.version} is not newer than ${lastVersion}`,
    };
  }
  const handle =
    event.version !== undefined && task.handle !== undefined
      ? { ...task.handle, version: event.version }
      : undefined;
  const reason = event.reason ?? `platform reported ${event.type}`;
  if (event.type === 'started') {
    if (task.status === 'started') return { outcome: 'duplicate', reason: 'task is already started' };
    if (!canTransition(task.status, 'started')) {
      return { outcome: 'stale', reason: `a started event cannot apply to a ${task.status} task` };
    }
    return {
      outcome: 'apply',
      request: {
        to: 'started',
        at: event.at,
        reason,
        expectedVersion: task.version,
        ...(handle ? { patch: { handle } } : {}),
      },
    };
  }
  if (event.type === 'finished') {
    return {
      outcome: 'apply',
      request: {
        to: 'finished',
        at: event.at,
        reason,
        expectedVersion: task.version,
        patch: {
          ...(handle ? { handle } : {}),
          ...(event.result === undefined ? {} : { result: event.result }),
        },
      },
    };
  }
  const error = event.error ?? { code: 'TASK_FAILED', message: reason };
  const request = failureTransition(task, error, event.at, { ...options, reason });
  if (handle !== undefined && request.to !== 'queued') request.patch = { ...request.patch, handle };
  return { outcome: 'apply', request };
}
