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
  /** A task was created (in `created`, or directly `queued`; its status event follows). */
  'task:created': [task: ScanTask];
  /** A task entered `queued`: enqueued, or back for a retry (then `task:retry` follows). */
  'task:queued': [task: ScanTask];
  /** A task entered `requested`: a launcher was asked to start it. */
  'task:requested': [task: ScanTask];
  /** A task entered `started`: a worker claimed it, or its platform reported it running. */
  'task:started': [task: ScanTask];
  /** A task finished (terminal), with its `result`. */
  'task:finished': [task: ScanTask];
  /** A task failed for good (terminal); `error` says why. A failure that is retried emits `task:retry` instead. */
  'task:failed': [task: ScanTask];
  /** A task was cancelled (terminal). */
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
  submission: [
    result: {
      /** The project submitted to. */
      project: string;
      /** Ids of the tasks created, in plan order. */
      taskIds: string[];
      /** Refusals by reason, as in {@link SubmitSummary.refused}. */
      refused: Record<string, number>;
    },
  ];
  /** A background loop (reaper, dispatcher, event handling) failed; it keeps running. */
  error: [error: Error];
}
