import { isScanplaneError } from '../errors/scanplane-error.js';
import type { TaskError } from '../tasks/task.js';

/**
 * Turns what a handler threw into a {@link TaskError}: scanplane errors keep their code, retryable flag and details;
 * anything else becomes `TASK_FAILED` with its message.
 * @internal
 */
export function toTaskError(error: unknown): TaskError {
  if (isScanplaneError(error)) {
    const taskError: TaskError = {
      code: error.code,
      message: error.message.replace(/^\[scanplane\] (\[[^\]]+\] )?/, ''),
      retryable: error.retryable,
    };
    if (Object.keys(error.details).length > 0) taskError.details = { ...error.details };
    return taskError;
  }
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'TASK_FAILED', message: message === '' ? 'the handler failed without a message' : message };
}
