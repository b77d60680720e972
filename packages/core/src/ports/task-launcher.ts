import type { PlatformEvent } from '../tasks/platform-event.js';
import type { ScanTask, TaskError, TaskHandle } from '../tasks/task.js';
import type { HealthReport } from './health.js';

/**
 * The outcome of launching one task: its handle, or why it did not start (retryable or not).
 *
 * @example
 * ```ts
 * import type { LaunchResult } from '@scanplane/core';
 * const ok: LaunchResult = { taskId: 't1', ok: true, handle: { launcher: 'docker', id: 'scanplane_global_x_t1' } };
 * ```
 */
export type LaunchResult =
  | {
      /** The task launched. */
      taskId: string;
      /** Launched. */
      ok: true;
      /** Where it runs; the orchestrator records it on the task. */
      handle: TaskHandle;
    }
  | {
      /** The task not launched. */
      taskId: string;
      /** Not launched. */
      ok: false;
      /** Why; `retryable` says whether launching again may work. */
      error: TaskError;
    };

/**
 * What a launcher knows about something it launched.
 *
 * @example
 * ```ts
 * import type { LaunchDescription } from '@scanplane/core';
 * const seen: LaunchDescription = { handle: { launcher: 'docker', id: 'c1' }, taskId: 't1', state: 'stopped', exitCode: 0 };
 * ```
 */
export interface LaunchDescription {
  /** The handle described. */
  handle: TaskHandle;
  /** The task it runs, when the launcher can tell (labels, tags). */
  taskId?: string;
  /** `pending` (not running yet), `running`, `stopped`, or `missing` (the launcher does not know the handle). */
  state: 'pending' | 'running' | 'stopped' | 'missing';
  /** The exit code, once stopped: 0 for success. */
  exitCode?: number;
  /** When it started running, in epoch milliseconds. */
  startedAt?: number;
  /** When it stopped, in epoch milliseconds. */
  stoppedAt?: number;
  /** Why it stopped. */
  reason?: string;
}

/**
 * One line of a launched task's output.
 *
 * @example
 * ```ts
 * import type { LogLine } from '@scanplane/core';
 * const line: LogLine = { at: Date.now(), stream: 'stderr', text: 'scan finished' };
 * ```
 */
export interface LogLine {
  /** When it was written, in epoch milliseconds. */
  at: number;
  /** The stream it was written to. */
  stream: 'stdout' | 'stderr';
  /** The line, without its line break. */
  text: string;
}

/**
 * A state report from a launcher about one of its tasks.
 *
 * @example
 * ```ts
 * import type { LauncherEvent } from '@scanplane/core';
 * const event: LauncherEvent = { taskId: 't1', handle: { launcher: 'in-process', id: 't1' }, event: { type: 'started', at: Date.now() } };
 * ```
 */
export interface LauncherEvent {
  /** The task it is about. */
  taskId: string;
  /** The launch it is about; events for a launch other than the task's current one are ignored. */
  handle: TaskHandle;
  /** What happened. */
  event: PlatformEvent;
}

/**
 * What a launcher implementation supports.
 *
 * @example
 * ```ts
 * import type { LauncherCapabilities } from '@scanplane/core';
 * const caps: LauncherCapabilities = { batchSize: 10, stop: true, logs: true, events: true };
 * ```
 */
export interface LauncherCapabilities {
  /** Most tasks one `launch` call starts at once. */
  batchSize: number;
  /** `stop` really stops the work. */
  stop: boolean;
  /** `logs` returns the task's output. */
  logs: boolean;
  /** It reports state changes through `onEvent`. */
  events: boolean;
}

/**
 * The launcher port: starts task workers somewhere (in this process, a Docker container, a Fargate task), stops
 * them for real, describes them, reads their logs, and reports their state changes as {@link PlatformEvent}s, which
 * the orchestrator applies with {@link decidePlatformEvent}. Implementations: {@link createInProcessLauncher}
 * (embedded), `@scanplane/docker`, `@scanplane/fargate`.
 *
 * @example
 * ```ts
 * import { createInProcessLauncher } from '@scanplane/core';
 * const launcher = createInProcessLauncher({ concurrency: 4, handler: async () => ({ ok: true }) });
 * const off = launcher.onEvent((event) => console.log(event.taskId, event.event.type));
 * ```
 */
export interface TaskLauncher {
  /** A short name for handles, logs and health reports (`in-process`, `docker`). */
  readonly name: string;
  /** What this launcher supports. */
  readonly capabilities: LauncherCapabilities;
  /** Launches tasks (at most `capabilities.batchSize` per call is efficient; more are split). */
  launch(tasks: readonly ScanTask[], options?: { signal?: AbortSignal }): Promise<LaunchResult[]>;
  /** Stops a launched task: a graceful signal, then a kill after `graceMs`. Stopping what is gone is not an error. */
  stop(handle: TaskHandle, options: { reason: string; graceMs?: number }): Promise<void>;
  /** Describes launched tasks (reconciliation after missed events). */
  describe(handles: readonly TaskHandle[]): Promise<LaunchDescription[]>;
  /** A launched task's output. */
  logs(handle: TaskHandle, options?: { tail?: number; signal?: AbortSignal }): Promise<LogLine[]>;
  /** How many launched tasks are running now. */
  running(): Promise<number>;
  /** Subscribes to state changes; returns the unsubscribe function. */
  onEvent(listener: (event: LauncherEvent) => void): () => void;
  /** Checks the launcher for real. */
  health(): Promise<HealthReport>;
  /** Stops watching; running work is left to `stop`. */
  close(): Promise<void>;
}
