import type { QueueMessage } from '../ports/task-queue.js';
import type { ScanTask } from './task.js';

/**
 * The queue message of a task: its id plus what routing and dropping need.
 * @internal
 */
export function messageFor(task: ScanTask): QueueMessage {
  return {
    taskId: task.id,
    project: task.project,
    kind: task.kind,
    priority: task.priority,
    ...(task.notBefore === undefined ? {} : { notBefore: task.notBefore }),
  };
}
