import { DEFAULT_TIMEOUTS, type ScanTask, type TaskStatus } from './task.js';

/**
 * A task record in the given status, for tests of the state machine.
 * @internal
 */
export function taskIn(status: TaskStatus, overrides: Partial<ScanTask> = {}): ScanTask {
  return {
    id: 't1',
    project: 'p',
    kind: 'test',
    status,
    attempt: 0,
    maxAttempts: 3,
    priority: 1,
    idempotencyKey: 'k',
    version: 1,
    timeouts: DEFAULT_TIMEOUTS,
    createdAt: 1000,
    history: [{ to: status, at: 1000, reason: 'created' }],
    ...overrides,
  };
}
