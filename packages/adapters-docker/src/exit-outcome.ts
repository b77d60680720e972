import type { LogLine, PlatformEvent, TaskError } from '@scanplane/core';

/** What the launcher knows when a task container has ended. */
export interface ExitFacts {
  /** The container's name. */
  container: string;
  /** Its exit code. */
  exitCode: number;
  /** Whether the kernel killed it for exceeding its memory limit (`oom` event or `State.OOMKilled`). */
  oomKilled: boolean;
  /** Set when the launcher stopped it: the stop's reason. */
  stopReason?: string;
  /** The `SCANPLANE_RESULT` value, when that line was printed. */
  result?: { value: unknown };
  /** The `SCANPLANE_ERROR` value, when that line was printed. */
  error?: unknown;
  /** The last lines of output. */
  tail: readonly LogLine[];
  /** The memory limit, for the OOM message. */
  memoryMiB?: number;
  /** When it ended, epoch milliseconds. */
  at: number;
}

const SIGNALS: Record<number, string> = {
  1: 'SIGHUP',
  2: 'SIGINT',
  6: 'SIGABRT',
  9: 'SIGKILL',
  15: 'SIGTERM',
};

/** `137` → `(SIGKILL)`: exit codes above 128 of a process killed by a signal. */
function signalNote(exitCode: number): string {
  const signal = exitCode > 128 ? SIGNALS[exitCode - 128] : undefined;
  return signal === undefined ? '' : ` (${signal})`;
}

const isTaskError = (value: unknown): value is TaskError =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as TaskError).code === 'string' &&
  typeof (value as TaskError).message === 'string';

/**
 * The platform event of an ended task container: exit 0 → `finished` with the `SCANPLANE_RESULT` value; otherwise
 * `failed` with the exit code and the last lines of output in `details` — `CANCELLED` when the launcher stopped it,
 * an OOM kill named as such, the worker's own `SCANPLANE_ERROR` when it printed one (exit 75 or its `retryable` flag
 * makes it retryable), else `TASK_FAILED` naming the code and its signal.
 */
export function exitEvent(facts: ExitFacts): PlatformEvent {
  const logTail = facts.tail.map((line) => line.text);
  const base = { exitCode: facts.exitCode, container: facts.container, logTail };
  if (facts.stopReason !== undefined) {
    return {
      type: 'failed',
      at: facts.at,
      reason: `container ${facts.container} stopped: ${facts.stopReason}`,
      error: { code: 'CANCELLED', message: facts.stopReason, retryable: false, details: base },
    };
  }
  if (facts.oomKilled) {
    const limit = facts.memoryMiB === undefined ? '' : ` (limit ${facts.memoryMiB} MiB)`;
    const message = `container ${facts.container} was killed for running out of memory${limit}, exit code ${facts.exitCode}`;
    return {
      type: 'failed',
      at: facts.at,
      reason: message,
      error: {
        code: 'TASK_FAILED',
        message,
        retryable: false,
        details: {
          ...base,
          oomKilled: true,
          ...(facts.memoryMiB === undefined ? {} : { memoryMiB: facts.memoryMiB }),
        },
      },
    };
  }
  if (facts.exitCode === 0) {
    const event: PlatformEvent = {
      type: 'finished',
      at: facts.at,
      reason: `container ${facts.container} exited with code 0`,
    };
    if (facts.result !== undefined) event.result = facts.result.value;
    return event;
  }
  const retryableExit = facts.exitCode === 75;
  if (isTaskError(facts.error)) {
    const worker = facts.error;
    return {
      type: 'failed',
      at: facts.at,
      reason: `container ${facts.container} exited with code ${facts.exitCode}: ${worker.message}`,
      error: {
        code: worker.code,
        message: worker.message,
        retryable: retryableExit || worker.retryable === true,
        details: { ...(worker.details ?? {}), ...base },
      },
    };
  }
  const last = logTail.length > 0 ? `; last line: ${logTail[logTail.length - 1]}` : '';
  const message = `container ${facts.container} exited with code ${facts.exitCode}${signalNote(facts.exitCode)}${last}`;
  return {
    type: 'failed',
    at: facts.at,
    reason: message,
    error: { code: 'TASK_FAILED', message, retryable: retryableExit, details: base },
  };
}
