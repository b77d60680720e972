import type { Clock } from '../clock/clock.js';
import { ScanplaneError } from '../errors/scanplane-error.js';
import type { TaskQueue } from '../ports/task-queue.js';
import { messageFor } from '../tasks/queue-message.js';
import type { ScanTask } from '../tasks/task.js';
import type { TaskLifecycle } from './lifecycle.js';

/**
 * Publishes queued tasks; if the queue refuses, fails each of them with a retryable `UNAVAILABLE` (visible, never
 * left queued without a message) and throws `UNAVAILABLE` saying how many `what` were not published. A task that
 * cannot be failed either is handed to `onFailError`.
 *
 * @internal
 */
export async function publishOrFail(
  queue: TaskQueue,
  tasks: readonly ScanTask[],
  options: { lifecycle: TaskLifecycle; clock: Clock; what: string; onFailError: (error: unknown) => void },
): Promise<void> {
  if (tasks.length === 0) return;
  try {
    await queue.publish(tasks.map(messageFor));
  } catch (error) {
    const message = `could not be published to the queue: ${(error as Error).message}`;
    for (const task of tasks) {
      await options.lifecycle
        .transition(task.id, {
          to: 'failed',
          from: ['queued'],
          at: options.clock.now(),
          reason: message,
          patch: { error: { code: 'UNAVAILABLE', message, retryable: true } },
        })
        .catch(options.onFailError);
    }
    throw new ScanplaneError('UNAVAILABLE', `${tasks.length} ${options.what} ${message}`, { cause: error });
  }
}
