import type { Orchestrator, ScanTask, TaskQueue, TaskStore } from '@scanplane/core';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/**
 * Options of {@link createTaskerMetrics}.
 *
 * @example
 * ```ts
 * import type { TaskerMetricsOptions } from './metrics.js';
 * declare const base: Omit<TaskerMetricsOptions, 'kinds'>;
 * const options: TaskerMetricsOptions = { ...base, kinds: ['tcp-connect', 'nmap'] };
 * ```
 */
export interface TaskerMetricsOptions {
  /** Its events feed the counters and the duration histogram (worker processes' events are forwarded there). */
  orchestrator: Orchestrator;
  /** Counted at scrape time: tasks by project and state. */
  store: TaskStore;
  /** Its depth per kind, at scrape time. */
  queue: TaskQueue;
  /** The projects to count tasks for. */
  projects: () => Promise<string[]>;
  /** The task kinds (one work queue each). */
  kinds: readonly string[];
  /** Also export Node's process metrics (`tasker_process_*`, `tasker_nodejs_*`). Default true. */
  processMetrics?: boolean;
}

/**
 * The service's Prometheus metrics, on a registry of its own.
 *
 * @example
 * ```ts
 * import type { TaskerMetrics } from './metrics.js';
 * const scrape = (metrics: TaskerMetrics) => metrics.registry.metrics();
 * ```
 */
export interface TaskerMetrics {
  /** The registry to expose (`registry.metrics()`, `registry.contentType`). */
  readonly registry: Registry;
  /** Stops listening to the orchestrator's events. */
  close(): void;
}

/** Seconds, from a loopback connect (milliseconds) to a long nmap scan (hours). */
const DURATION_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 14_400,
];

/**
 * Creates the service's metrics:
 * - `tasker_tasks{project,state}` (gauge): tasks by project and state, counted in the store at scrape time;
 * - `tasker_submissions_total{project}`, `tasker_tasks_submitted_total{project}`,
 *   `tasker_targets_refused_total{project,reason}` (counters): submissions, tasks they created, and what they left
 *   out (scope refusals by entry, dedup refusals by planned target);
 * - `tasker_task_launches_total{kind}` (counter): attempts started (a worker claimed the task);
 * - `tasker_task_outcomes_total{kind,outcome}` (counter): finished, failed, cancelled, retried;
 * - `tasker_task_duration_seconds{kind,outcome}` (histogram): run time of each ended attempt, start to end;
 * - `tasker_queue_depth{kind}` (gauge): messages waiting in the kind's work queue;
 * - `tasker_workers` and `tasker_worker_capacity` (gauges): workers seen recently, and the tasks they run at once;
 * - Node's process metrics, prefixed `tasker_`.
 *
 * @example
 * ```ts
 * import { createTaskerMetrics } from './metrics.js';
 * declare const options: import('./metrics.js').TaskerMetricsOptions;
 * const metrics = createTaskerMetrics(options);
 * console.log(await metrics.registry.metrics());
 * ```
 */
export function createTaskerMetrics(options: TaskerMetricsOptions): TaskerMetrics {
  const { orchestrator, store, queue } = options;
  const registry = new Registry();
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'tasker_' });

  new Gauge({
    name: 'tasker_tasks',
    help: 'Tasks by project and state (counted in the store at scrape time)',
    labelNames: ['project', 'state'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const project of await options.projects()) {
        const counts = await store.count({ project });
        for (const [state, value] of Object.entries(counts)) this.set({ project, state }, value);
      }
    },
  });
  new Gauge({
    name: 'tasker_queue_depth',
    help: "Messages waiting in a kind's work queue",
    labelNames: ['kind'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const kind of options.kinds) {
        // A broker that does not answer leaves the gauge without a value rather than failing the scrape.
        const depth = await queue.depth(kind).catch(() => undefined);
        if (depth !== undefined) this.set({ kind }, depth);
      }
    },
  });
  const workerCapacity = new Gauge({
    name: 'tasker_worker_capacity',
    help: 'Tasks the workers seen recently run at once, in all',
    registers: [registry],
  });
  new Gauge({
    name: 'tasker_workers',
    help: 'Workers seen recently',
    registers: [registry],
    async collect() {
      const workers = await orchestrator.workers();
      this.set(workers.length);
      workerCapacity.set(workers.reduce((sum, worker) => sum + worker.capacity, 0));
    },
  });
  const submissions = new Counter({
    name: 'tasker_submissions_total',
    help: 'Submissions (run requests that reached the orchestrator)',
    labelNames: ['project'] as const,
    registers: [registry],
  });
  const submitted = new Counter({
    name: 'tasker_tasks_submitted_total',
    help: 'Tasks created by submissions',
    labelNames: ['project'] as const,
    registers: [registry],
  });
  const refused = new Counter({
    name: 'tasker_targets_refused_total',
    help: 'What submissions left out, by reason (entries for scope reasons, planned targets for dedup reasons)',
    labelNames: ['project', 'reason'] as const,
    registers: [registry],
  });
  const launches = new Counter({
    name: 'tasker_task_launches_total',
    help: 'Task attempts started (claimed by a worker)',
    labelNames: ['kind'] as const,
    registers: [registry],
  });
  const outcomes = new Counter({
    name: 'tasker_task_outcomes_total',
    help: 'Task attempts ended, by outcome (finished, failed, cancelled, retried)',
    labelNames: ['kind', 'outcome'] as const,
    registers: [registry],
  });
  const durations = new Histogram({
    name: 'tasker_task_duration_seconds',
    help: 'Run time of ended task attempts, from start to end',
    labelNames: ['kind', 'outcome'] as const,
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });

  const ended = (outcome: string) => (task: ScanTask) => {
    outcomes.inc({ kind: task.kind, outcome });
    if (task.startedAt !== undefined && outcome !== 'cancelled') {
      const end = task.finishedAt ?? Date.now();
      durations.observe({ kind: task.kind, outcome }, Math.max(0, end - task.startedAt) / 1000);
    }
  };
  const listeners = {
    submission: (result: { project: string; taskIds: string[]; refused: Record<string, number> }) => {
      submissions.inc({ project: result.project });
      submitted.inc({ project: result.project }, result.taskIds.length);
      for (const [reason, value] of Object.entries(result.refused)) {
        if (value > 0) refused.inc({ project: result.project, reason }, value);
      }
    },
    started: (task: ScanTask) => launches.inc({ kind: task.kind }),
    finished: ended('finished'),
    failed: ended('failed'),
    cancelled: ended('cancelled'),
    retry: ended('retried'),
  };
  const events = orchestrator.events;
  events.on('submission', listeners.submission);
  events.on('task:started', listeners.started);
  events.on('task:finished', listeners.finished);
  events.on('task:failed', listeners.failed);
  events.on('task:cancelled', listeners.cancelled);
  events.on('task:retry', listeners.retry);

  return {
    registry,
    close() {
      events.off('submission', listeners.submission);
      events.off('task:started', listeners.started);
      events.off('task:finished', listeners.finished);
      events.off('task:failed', listeners.failed);
      events.off('task:cancelled', listeners.cancelled);
      events.off('task:retry', listeners.retry);
    },
  };
}
