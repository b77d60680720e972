import type { RunTaskCommandInput } from '@aws-sdk/client-ecs';
import { ScanplaneError, type TaskError, type TaskQueue } from '@scanplane/core';
import { EventEmitter } from 'eventemitter3';
import { EcsGateway } from './ecs-gateway.js';
import { COMPONENT, failureTaskError } from './fargate-errors.js';
import { gatewayOptionsOf, placementOf } from './fargate-launcher.js';
import type { FargateTaskOptions } from './fargate-launcher-options.js';
import { clientTokenFor, type FargateResources, TAGS } from './run-task-input.js';

/**
 * Options of {@link createFargateWorkerPool}.
 *
 * @example
 * ```ts
 * import type { FargateWorkerPoolOptions } from '@scanplane/fargate';
 * declare const queue: import('@scanplane/core').TaskQueue;
 * const options: FargateWorkerPoolOptions = {
 *   ecsConfig: { region: 'us-east-1' }, cluster: 'scans', taskDefinition: 'scanplane-pull-worker',
 *   containerName: 'worker', subnets: ['subnet-0a1b2c3d'], queue, max: 50, tasksPerWorker: 20,
 * };
 * ```
 */
export interface FargateWorkerPoolOptions extends FargateTaskOptions {
  /** The queue whose backlog (`depth`) sizes the pool; the workers take their tasks from it. */
  queue: Pick<TaskQueue, 'depth'>;
  /** Only this kind's backlog counts. Default: every kind. */
  kind?: string;
  /** Workers kept even with an empty queue. Default 0. */
  min?: number;
  /** Most workers. */
  max: number;
  /** Waiting tasks per worker: the pool wants `ceil(backlog / tasksPerWorker)` workers. Default 10. */
  tasksPerWorker?: number;
  /** RunTask's `startedBy` of the workers (distinct from the push launcher's). Default `scanplane-workers`. */
  startedBy?: string;
  /** CPU and memory of each worker. */
  resources?: FargateResources;
  /** How often `start()` rescales, in milliseconds. Default 15000. */
  intervalMs?: number;
}

/**
 * What one rescale saw and did.
 *
 * @example
 * ```ts
 * import type { FargatePoolScaleReport } from '@scanplane/fargate';
 * const line = (r: FargatePoolScaleReport) => `backlog ${r.backlog}: ${r.running} → ${r.desired} in ${r.calls} calls`;
 * ```
 */
export interface FargatePoolScaleReport {
  /** Waiting tasks. */
  backlog: number;
  /** Workers running (or starting) before the rescale. */
  running: number;
  /** Workers wanted: `ceil(backlog / tasksPerWorker)` within `[min, max]`. */
  desired: number;
  /** ARNs of the workers launched. */
  launched: string[];
  /** RunTask calls made (up to 10 workers each). */
  calls: number;
  /** RunTask `failures[]` (capacity and others), as task errors. */
  failures: TaskError[];
}

/**
 * The pool's typed events.
 *
 * @example
 * ```ts
 * import type { FargateWorkerPoolEvents } from '@scanplane/fargate';
 * type Scaled = FargateWorkerPoolEvents['scaled'];
 * ```
 */
export interface FargateWorkerPoolEvents {
  /** A rescale ran. */
  scaled: [report: FargatePoolScaleReport];
  /** An ECS call is retried. */
  retry: [call: string, attempt: number, delayMs: number, error: unknown];
  /** A scheduled rescale failed; the pool carries on. */
  error: [error: Error];
}

/**
 * Pull mode on Fargate: generic workers (a task definition whose container runs a pull worker on the deployment's
 * queue and store) launched up to 10 per RunTask call and scaled to the backlog within a maximum. Workers stop by
 * themselves when idle; the pool only adds.
 *
 * @example
 * ```ts
 * import { createFargateWorkerPool } from '@scanplane/fargate';
 * declare const pool: import('@scanplane/fargate').FargateWorkerPool;
 * const report = await pool.scale();
 * console.log(`${report.launched.length} workers launched in ${report.calls} calls`);
 * ```
 */
export interface FargateWorkerPool {
  /** Operational events. */
  readonly events: EventEmitter<FargateWorkerPoolEvents>;
  /** Rescales once: counts running workers (ListTasks, every page), launches what is missing. */
  scale(options?: { signal?: AbortSignal }): Promise<FargatePoolScaleReport>;
  /** Rescales every `intervalMs` until `close`. */
  start(): void;
  /** Workers running or starting now. */
  running(): Promise<number>;
  /** Stops rescaling (running workers finish by themselves). */
  close(): Promise<void>;
}

/**
 * Creates a {@link FargateWorkerPool}: Crossfeed's later desired-count path, done with RunTask. Each rescale reads
 * the backlog, counts the running workers with ListTasks (every page), and launches the difference up to `max`,
 * 10 per call, each call rate-limited, throttling retried, with a `clientToken` per rescale and call.
 *
 * @example
 * ```ts
 * import { createFargateWorkerPool } from '@scanplane/fargate';
 * declare const queue: import('@scanplane/core').TaskQueue;
 * const pool = createFargateWorkerPool({
 *   ecsConfig: { region: 'us-east-1' }, cluster: 'scans', taskDefinition: 'scanplane-pull-worker',
 *   containerName: 'worker', subnets: ['subnet-0a1b2c3d'], queue, max: 50, tasksPerWorker: 20,
 * });
 * pool.start();
 * ```
 */
export function createFargateWorkerPool(options: FargateWorkerPoolOptions): FargateWorkerPool {
  if (!(options.max >= 1)) {
    throw new ScanplaneError('INVALID_ARGUMENT', 'a Fargate worker pool needs max ≥ 1', {
      component: COMPONENT,
    });
  }
  const placement = placementOf(options);
  const events = new EventEmitter<FargateWorkerPoolEvents>();
  const gateway = new EcsGateway(
    gatewayOptionsOf(options, (what, attempt, delayMs, error) =>
      events.emit('retry', what, attempt, delayMs, error),
    ),
  );
  const startedBy = options.startedBy ?? 'scanplane-workers';
  const min = Math.max(0, options.min ?? 0);
  const perWorker = Math.max(1, options.tasksPerWorker ?? 10);
  let timer: NodeJS.Timeout | undefined;
  let generation = 0;
  let scaling: Promise<FargatePoolScaleReport> | undefined;

  const environment = [
    ...Object.entries(options.environment ?? {}).map(([name, value]) => ({ name, value })),
    ...(options.kind === undefined ? [] : [{ name: 'SCANPLANE_WORKER_KIND', value: options.kind }]),
  ];

  const scaleOnce = async (signal?: AbortSignal): Promise<FargatePoolScaleReport> => {
    const backlog = await options.queue.depth(options.kind);
    const running = (await gateway.listTaskArns(startedBy)).length;
    const desired = Math.min(options.max, Math.max(min, Math.ceil(backlog / perWorker)));
    const report: FargatePoolScaleReport = {
      backlog,
      running,
      desired,
      launched: [],
      calls: 0,
      failures: [],
    };
    let missing = desired - running;
    const round = `${Date.now().toString(36)}-${generation++}`;
    for (let call = 0; missing > 0; call++) {
      const count = Math.min(10, missing);
      const input: RunTaskCommandInput = {
        ...placement,
        taskDefinition: options.taskDefinition,
        count,
        startedBy,
        overrides: {
          containerOverrides: [{ name: options.containerName, environment }],
          ...(options.resources?.cpu === undefined ? {} : { cpu: String(options.resources.cpu) }),
          ...(options.resources?.memoryMiB === undefined
            ? {}
            : { memory: String(options.resources.memoryMiB) }),
        },
        tags: [
          ...Object.entries(options.tags ?? {}).map(([key, value]) => ({ key, value })),
          { key: TAGS.role, value: 'worker' },
          ...(options.kind === undefined ? [] : [{ key: TAGS.kind, value: options.kind }]),
        ],
        clientToken: clientTokenFor({ id: `pool-${startedBy}-${round}-${call}`, attempt: 0 }),
      };
      report.calls++;
      const output = await gateway.runTask(input, signal);
      for (const task of output.tasks ?? [])
        if (task.taskArn !== undefined) report.launched.push(task.taskArn);
      for (const failure of output.failures ?? []) {
        report.failures.push(failureTaskError(`worker (${startedBy})`, failure, options.cluster));
      }
      // Stop this round on failures (capacity): the next rescale tries again.
      if ((output.failures ?? []).length > 0) break;
      missing -= count;
    }
    events.emit('scaled', report);
    return report;
  };

  return {
    events,
    scale(scaleOptions = {}) {
      // One rescale at a time: two at once would both see the same running count and overshoot.
      const run = (scaling ?? Promise.resolve())
        .catch(() => undefined)
        .then(() => scaleOnce(scaleOptions.signal));
      scaling = run;
      return run;
    },
    start() {
      if (timer !== undefined) return;
      const tick = (): void => {
        this.scale().catch((error: unknown) => {
          if (events.listenerCount('error') > 0)
            events.emit('error', error instanceof Error ? error : new Error(String(error)));
        });
      };
      timer = setInterval(tick, options.intervalMs ?? 15_000);
      timer.unref?.();
      tick();
    },
    async running() {
      return (await gateway.listTaskArns(startedBy)).length;
    },
    async close() {
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
      await scaling?.catch(() => undefined);
    },
  };
}
