import type { ScanTask } from '../tasks/task.js';

/**
 * What a handler gets besides its task: the signal that fires on cancel, stop, timeout and shutdown (stop work
 * promptly when it does), a log function, and the reason once the signal has fired.
 *
 * @example
 * ```ts
 * import type { TaskContext } from '@scanplane/core';
 * async function work(context: TaskContext) {
 *   context.log('starting');
 *   if (context.signal.aborted) return;
 * }
 * ```
 */
export interface TaskContext {
  /** Aborts on cancel, stop, time limit and shutdown. */
  signal: AbortSignal;
  /** Records a line of output (kept with the task's logs). */
  log(line: string): void;
}

/**
 * Runs one task and returns its result (JSON-serialisable). Throwing fails the attempt: a {@link ScanplaneError}
 * keeps its code and `retryable` flag, anything else is `TASK_FAILED`.
 *
 * @example
 * ```ts
 * import type { TaskHandler } from '@scanplane/core';
 * const handler: TaskHandler = async (task, { signal }) => {
 *   if (signal.aborted) throw new Error('aborted');
 *   return { scanned: task.target?.addresses ?? [] };
 * };
 * ```
 */
export type TaskHandler = (task: ScanTask, context: TaskContext) => Promise<unknown>;
