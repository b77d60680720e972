import { EventEmitter } from 'eventemitter3';
import { type Clock, systemClock } from '../clock/clock.js';
import type { HealthReport } from '../ports/health.js';
import type {
  LaunchDescription,
  LauncherCapabilities,
  LauncherEvent,
  LaunchResult,
  LogLine,
  TaskLauncher,
} from '../ports/task-launcher.js';
import type { ScanTask, TaskHandle } from '../tasks/task.js';
import { toTaskError } from './handler-error.js';
import { RunContext } from './run-context.js';
import type { TaskHandler } from './task-handler.js';

/**
 * Options for {@link createInProcessLauncher}.
 *
 * @example
 * ```ts
 * import { createInProcessLauncher, createTcpConnectScanner, type InProcessLauncherOptions } from '@scanplane/core';
 * const options: InProcessLauncherOptions = { handler: createTcpConnectScanner(), concurrency: 8 };
 * ```
 */
export interface InProcessLauncherOptions {
  /** Runs each launched task. */
  handler: TaskHandler;
  /** Tasks run at once; more wait their turn in launch order. Default 4. */
  concurrency?: number;
  /** Log lines kept per task. Default 1000. */
  logLines?: number;
  /** Ended runs kept for `describe` and `logs` (the oldest are forgotten first). Default 1000. */
  keepEnded?: number;
  /** Timestamps of events, descriptions and log lines. Default the system clock. */
  clock?: Clock;
}

interface Run {
  task: ScanTask;
  handle: TaskHandle;
  context: RunContext;
  state: 'pending' | 'running' | 'stopped';
  exitCode?: number;
  startedAt?: number;
  stoppedAt?: number;
  reason?: string;
  logs: LogLine[];
}

/**
 * The in-process launcher: the embedded default for running workers. Each launched task runs its handler in this
 * process, at most `concurrency` at a time, and reports `started`, then `finished` or `failed`, as platform events —
 * the same contract a container launcher has, so the orchestrator treats both alike. `stop` aborts the handler's
 * signal.
 *
 * @example
 * ```ts
 * import { createInProcessLauncher } from '@scanplane/core';
 * const launcher = createInProcessLauncher({ concurrency: 2, handler: async (task) => ({ id: task.id }) });
 * launcher.onEvent(({ taskId, event }) => console.log(taskId, event.type));
 * ```
 */
export function createInProcessLauncher(options: InProcessLauncherOptions): TaskLauncher {
  const clock = options.clock ?? systemClock;
  const concurrency = Math.max(1, options.concurrency ?? 4);
  const logLimit = options.logLines ?? 1000;
  const keepEnded = options.keepEnded ?? 1000;
  const runs = new Map<string, Run>(); // by task id: the latest launch of each task
  const byHandle = new Map<string, Run>();
  const ended: Run[] = [];
  const waiting: Run[] = [];
  const events = new EventEmitter<{ event: [LauncherEvent] }>();
  let running = 0;
  let closed = false;
  const capabilities: LauncherCapabilities = {
    batchSize: Number.POSITIVE_INFINITY,
    stop: true,
    logs: true,
    events: true,
  };

  const emit = (run: Run, event: LauncherEvent['event']): void => {
    events.emit('event', { taskId: run.task.id, handle: run.handle, event });
  };

  /** Keeps the last `keepEnded` ended runs, so memory stays bounded however many tasks run. */
  const retire = (run: Run): void => {
    ended.push(run);
    while (ended.length > keepEnded) {
      const old = ended.shift() as Run;
      byHandle.delete(old.handle.id);
      if (runs.get(old.task.id) === old) runs.delete(old.task.id);
    }
  };

  const pump = (): void => {
    while (running < concurrency && waiting.length > 0 && !closed) {
      const run = waiting.shift() as Run;
      if (run.state !== 'pending') continue;
      running++;
      void execute(run).finally(() => {
        running--;
        pump();
      });
    }
  };

  const execute = async (run: Run): Promise<void> => {
    run.state = 'running';
    run.startedAt = clock.now();
    emit(run, { type: 'started', at: run.startedAt, reason: 'in-process run started' });
    try {
      const result = await options.handler(run.task, run.context);
      run.exitCode = 0;
      run.stoppedAt = clock.now();
      run.state = 'stopped';
      retire(run);
      emit(run, { type: 'finished', at: run.stoppedAt, reason: 'in-process run finished', result });
    } catch (error) {
      const taskError = toTaskError(error);
      run.exitCode = 1;
      run.stoppedAt = clock.now();
      run.state = 'stopped';
      run.reason = taskError.message;
      run.logs.push({ at: run.stoppedAt, stream: 'stderr', text: `${taskError.code}: ${taskError.message}` });
      retire(run);
      emit(run, {
        type: 'failed',
        at: run.stoppedAt,
        reason: `in-process run failed: ${taskError.message}`,
        error: taskError,
      });
    }
  };

  return {
    name: 'in-process',
    capabilities,

    async launch(tasks) {
      const results: LaunchResult[] = [];
      for (const task of tasks) {
        if (closed) {
          results.push({
            taskId: task.id,
            ok: false,
            error: { code: 'UNAVAILABLE', message: 'launcher is closed', retryable: true },
          });
          continue;
        }
        const existing = runs.get(task.id);
        if (existing !== undefined && existing.state !== 'stopped') {
          // Launching the same task twice starts nothing new (a retried launch call is idempotent).
          results.push({ taskId: task.id, ok: true, handle: existing.handle });
          continue;
        }
        const handle: TaskHandle = { launcher: 'in-process', id: `${task.id}#${task.attempt + 1}` };
        const logs: LogLine[] = [];
        const log = (text: string): void => {
          logs.push({ at: clock.now(), stream: 'stdout', text });
          if (logs.length > logLimit) logs.shift();
        };
        const run: Run = { task, handle, context: new RunContext(log), state: 'pending', logs };
        runs.set(task.id, run);
        byHandle.set(handle.id, run);
        waiting.push(run);
        results.push({ taskId: task.id, ok: true, handle });
      }
      pump();
      return results;
    },

    async stop(handle, { reason }) {
      const run = byHandle.get(handle.id);
      if (run === undefined || run.state === 'stopped') return;
      run.reason = reason;
      if (run.state === 'pending') {
        // Never started: it ends here, and reports so like a run that was stopped.
        run.state = 'stopped';
        run.stoppedAt = clock.now();
        retire(run);
        emit(run, {
          type: 'failed',
          at: run.stoppedAt,
          reason,
          error: { code: 'CANCELLED', message: reason },
        });
      }
      run.context.abort(new Error(reason));
    },

    async describe(handles) {
      return handles.map((handle): LaunchDescription => {
        const run = byHandle.get(handle.id);
        if (run === undefined) return { handle, state: 'missing' };
        const description: LaunchDescription = { handle, taskId: run.task.id, state: run.state };
        if (run.exitCode !== undefined) description.exitCode = run.exitCode;
        if (run.startedAt !== undefined) description.startedAt = run.startedAt;
        if (run.stoppedAt !== undefined) description.stoppedAt = run.stoppedAt;
        if (run.reason !== undefined) description.reason = run.reason;
        return description;
      });
    },

    async logs(handle, logOptions = {}) {
      const lines = byHandle.get(handle.id)?.logs ?? [];
      return logOptions.tail === undefined ? [...lines] : lines.slice(-logOptions.tail);
    },

    async running() {
      return running;
    },

    onEvent(listener) {
      events.on('event', listener);
      return () => {
        events.off('event', listener);
      };
    },

    async health(): Promise<HealthReport> {
      return {
        ok: !closed,
        component: 'launcher',
        detail: closed
          ? 'in-process launcher is closed'
          : `in-process: ${running} running, ${waiting.length} waiting`,
        latencyMs: 0,
      };
    },

    async close() {
      closed = true;
      events.removeAllListeners();
    },
  };
}
