import type { PlatformEvent } from '../tasks/platform-event.js';
import type { ScanTask, TaskTransition } from '../tasks/task.js';

/**
 * Typed events of the orchestrator, the workers and the scheduler (eventemitter3): every transition, by status and
 * in general, every submission, and platform events that were ignored as duplicates or stale.
 *
 * @example
 * ```ts
 * import type { ScanplaneEvents } from '@scanplane/core';
 * const onFinished: (...args: ScanplaneEvents['task:finished']) => void = (task) => console.log(task.id);
 * ```
 */
export interface ScanplaneEvents {
  /** Any status change (and creation), with the transition. */
  'task:transition': [task: ScanTask, transition: TaskTransition];
  'task:created': [task: ScanTask];
  'task:queued': [task: ScanTask];
  'task:requested': [task: ScanTask];
  'task:started': [task: ScanTask];
  'task:finished': [task: ScanTask];
  'task:failed': [task: ScanTask];
  'task:cancelled': [task: ScanTask];
  /** A failed attempt went back to the queue (the task is `queued` again). */
  'task:retry': [task: ScanTask];
  /** A platform event changed nothing: `duplicate` or `stale`. */
  'task:event-ignored': [
    taskId: string,
    event: PlatformEvent,
    outcome: 'duplicate' | 'stale',
    reason: string,
  ];
  /** A submission finished. */
  submission: [result: { project: string; taskIds: string[]; refused: Record<string, number> }];
  /** A background loop (reaper, dispatcher, event handling) failed; it keeps running. */
  error: [error: Error];
}
