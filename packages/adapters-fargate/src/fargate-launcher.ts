import type { RunTaskCommandInput, Task } from '@aws-sdk/client-ecs';
import {
  type HealthReport,
  isScanplaneError,
  type LaunchDescription,
  type LauncherCapabilities,
  type LauncherEvent,
  type LaunchResult,
  type LogLine,
  type PlatformEvent,
  ScanplaneError,
  type ScanTask,
  type TaskError,
  type TaskHandle,
  type TaskLauncher,
  type TaskStore,
} from '@scanplane/core';
import { EventEmitter } from 'eventemitter3';
import { EcsGateway } from './ecs-gateway.js';
import { COMPONENT, failureTaskError } from './fargate-errors.js';
import type { FargateLauncherOptions, FargateTaskOptions } from './fargate-launcher-options.js';
import { buildTaskOverrides, clientTokenFor, TAGS, TASK_ID_VARIABLE, tagsFor } from './run-task-input.js';
import {
  type EcsEventContainer,
  type EcsTaskStateDetail,
  epochMs,
  overrideValue,
  parseTaskStateChange,
  stoppedEvent,
} from './task-state-change.js';

/**
 * What the launcher did with one "ECS Task State Change" event: `applied` (its state changed; a task event may have
 * been emitted), `duplicate` (same version as the last one applied), `stale` (an older version, or the task already
 * ended), `foreign` (a task this launcher did not start), `invalid` (not a task state change).
 *
 * @example
 * ```ts
 * import type { EventOutcome } from '@scanplane/fargate';
 * const counts: Record<EventOutcome, number> = { applied: 0, duplicate: 0, stale: 0, foreign: 0, invalid: 0 };
 * ```
 */
export type EventOutcome = 'applied' | 'duplicate' | 'stale' | 'foreign' | 'invalid';

/**
 * What one reconciliation found: the tracked tasks not yet ended, described with DescribeTasks (100 per call).
 *
 * @example
 * ```ts
 * import type { FargateReconcileReport } from '@scanplane/fargate';
 * const line = (r: FargateReconcileReport) => `${r.checked} checked, ${r.ended.length} ended while unwatched`;
 * ```
 */
export interface FargateReconcileReport {
  /** Tasks described. */
  checked: number;
  /** Task ids reported `started` by this reconciliation. */
  started: string[];
  /** Task ids reported ended (`finished` or `failed`) by this reconciliation. */
  ended: string[];
  /** Task ids whose Fargate task ECS no longer knows: reported `failed` (retryable). */
  missing: string[];
}

/**
 * The Fargate launcher's operational events (task events go through `onEvent`).
 *
 * @example
 * ```ts
 * import type { FargateLauncherEvents } from '@scanplane/fargate';
 * type Retried = FargateLauncherEvents['retry'];
 * ```
 */
export interface FargateLauncherEvents {
  /** An ECS call is retried after throttling or a transient error. */
  retry: [call: string, attempt: number, delayMs: number, error: unknown];
  /** A state change event was handled, with its outcome. */
  'ecs:event': [detail: EcsTaskStateDetail, outcome: EventOutcome];
  /** A reconciliation ran. */
  reconciled: [report: FargateReconcileReport];
  /** Something failed in the background (a scheduled reconciliation); the launcher carries on. */
  error: [error: Error];
}

/**
 * The Fargate launcher: the core launcher port on ECS, plus the EventBridge handler and reconciliation.
 *
 * @example
 * ```ts
 * import { createFargateLauncher } from '@scanplane/fargate';
 * const launcher = createFargateLauncher({
 *   ecsConfig: { region: 'us-east-1' }, cluster: 'scans', taskDefinition: 'scanplane-worker',
 *   containerName: 'worker', subnets: ['subnet-0a1b2c3d'],
 * });
 * export const handler = async (event: unknown) => launcher.handleEvent(event); // a Lambda on the EventBridge rule
 * ```
 */
export interface FargateLauncher extends TaskLauncher {
  /** The cluster. */
  readonly cluster: string;
  /** RunTask's `startedBy`. */
  readonly startedBy: string;
  /** Operational events. */
  readonly events: EventEmitter<FargateLauncherEvents>;
  /**
   * Applies one EventBridge "ECS Task State Change" event (the event object, or an SQS message body holding it):
   * PROVISIONING / PENDING keep the task `requested`, RUNNING reports `started`, STOPPED reports `finished` or
   * `failed`. Duplicates and older versions (`detail.version`) are ignored, and so are tasks it did not start.
   */
  handleEvent(event: unknown): EventOutcome;
  /**
   * Describes every tracked task not yet ended — with a `store`, first adopting its active tasks on this cluster that
   * this process does not track (after a restart) — and reports what the events missed.
   */
  reconcile(): Promise<FargateReconcileReport>;
  /** The ARNs of the running tasks of this `startedBy` (ListTasks, every page). */
  runningTaskArns(): Promise<string[]>;
}

interface Run {
  arn: string;
  taskId: string;
  handle: TaskHandle;
  state: 'pending' | 'running' | 'stopped';
  version?: number;
  startReported: boolean;
  ended: boolean;
  stopReason?: string;
  exitCode?: number;
  startedAt?: number;
  stoppedAt?: number;
  reason?: string;
}

const LAUNCHER_NAME = 'fargate';
const STARTING = new Set(['PROVISIONING', 'PENDING', 'ACTIVATING']);
const ENDING = new Set(['DEACTIVATING', 'STOPPING', 'DEPROVISIONING']);

const taskErrorOf = (error: unknown): TaskError => {
  if (isScanplaneError(error)) {
    return {
      code: error.code,
      message: error.message,
      retryable: error.retryable,
      details: { ...error.details },
    };
  }
  return {
    code: 'LAUNCH_FAILED',
    message: error instanceof Error ? error.message : String(error),
    retryable: true,
  };
};

/** The ECS task id (last part of the ARN). */
export const ecsTaskIdOf = (arn: string): string => arn.slice(arn.lastIndexOf('/') + 1);

/** The network and placement part of RunTask shared by the launcher and the worker pool. */
export function placementOf(options: FargateTaskOptions): Partial<RunTaskCommandInput> {
  if (options.launchType !== undefined && options.capacityProviderStrategy !== undefined) {
    throw new ScanplaneError(
      'INVALID_ARGUMENT',
      'give launchType or capacityProviderStrategy, not both: ECS refuses RunTask with both',
      { component: COMPONENT },
    );
  }
  if (options.subnets.length === 0) {
    throw new ScanplaneError('INVALID_ARGUMENT', 'Fargate tasks need at least one subnet (awsvpc)', {
      component: COMPONENT,
    });
  }
  return {
    cluster: options.cluster,
    taskDefinition: options.taskDefinition,
    ...(options.capacityProviderStrategy === undefined
      ? { launchType: options.launchType ?? 'FARGATE' }
      : { capacityProviderStrategy: options.capacityProviderStrategy.map((item) => ({ ...item })) }),
    ...(options.platformVersion === undefined ? {} : { platformVersion: options.platformVersion }),
    networkConfiguration: {
      awsvpcConfiguration: {
        subnets: [...options.subnets],
        ...(options.securityGroups === undefined ? {} : { securityGroups: [...options.securityGroups] }),
        assignPublicIp: options.assignPublicIp === true ? 'ENABLED' : 'DISABLED',
      },
    },
  };
}

/** The gateway options of a launcher or pool. */
export function gatewayOptionsOf(
  options: FargateTaskOptions,
  onRetry: (what: string, attempt: number, delayMs: number, error: unknown) => void,
): ConstructorParameters<typeof EcsGateway>[0] {
  return {
    ecs: options.ecs,
    ecsConfig: options.ecsConfig,
    logs: options.logs,
    logsConfig: options.logsConfig,
    cluster: options.cluster,
    limiter: options.limiter,
    ratePerSecond: options.runTaskRatePerSecond,
    burst: options.runTaskBurst,
    maxRetries: options.maxRetries,
    retryBaseMs: options.retryBaseMs,
    retryMaxMs: options.retryMaxMs,
    onRetry,
  };
}

/**
 * Creates the Fargate launcher (push mode): one Fargate task per scan task, one RunTask call each (overrides apply to
 * every task of a call), with the command options in `SCANPLANE_COMMAND_OPTIONS` (checked against the 8,192-character
 * overrides limit first), CPU and memory per scan, `startedBy`, tags naming the task, scan and organizations, and a
 * `clientToken` of task id and attempt so a retried call never launches twice. RunTask is rate-limited client-side
 * (20 calls per second) and throttling is retried with backoff; `failures[]` are classified retryable (capacity) or
 * fatal. State comes from EventBridge through `handleEvent`, in order by `detail.version`; `reconcile` recovers
 * missed events with DescribeTasks; `running` counts with ListTasks over every page; `stop` calls StopTask and the
 * task ends `cancelled`; `logs` reads every page of the task's CloudWatch Logs stream.
 *
 * @example
 * ```ts
 * import { createMemoryStore, createOrchestrator } from '@scanplane/core';
 * import { createFargateLauncher } from '@scanplane/fargate';
 *
 * const store = createMemoryStore();
 * const launcher = createFargateLauncher({
 *   ecsConfig: { region: 'us-east-1' },
 *   cluster: 'scans',
 *   taskDefinition: 'scanplane-worker:3',
 *   containerName: 'worker',
 *   subnets: ['subnet-0a1b2c3d'],
 *   securityGroups: ['sg-0a1b2c3d'],
 *   logGroup: { name: '/scanplane/workers', streamPrefix: 'scan' },
 *   reconcileIntervalMs: 60_000,
 * });
 * const orchestrator = createOrchestrator({ store, ledger: store, launcher, maxConcurrent: 100 });
 * orchestrator.start();
 * ```
 */
export function createFargateLauncher(options: FargateLauncherOptions): FargateLauncher {
  for (const key of ['cluster', 'taskDefinition', 'containerName'] as const) {
    if (typeof options[key] !== 'string' || options[key] === '') {
      throw new ScanplaneError('INVALID_ARGUMENT', `createFargateLauncher needs a ${key}`, {
        component: COMPONENT,
      });
    }
  }
  const placement = placementOf(options);
  const startedBy = options.startedBy ?? 'scanplane';
  if (!/^[\w-]{1,128}$/.test(startedBy)) {
    throw new ScanplaneError(
      'INVALID_ARGUMENT',
      `startedBy '${startedBy}' must be 1 to 128 letters, digits, hyphens or underscores`,
      { component: COMPONENT },
    );
  }
  const events = new EventEmitter<FargateLauncherEvents>();
  const gateway = new EcsGateway(
    gatewayOptionsOf(options, (what, attempt, delayMs, error) =>
      events.emit('retry', what, attempt, delayMs, error),
    ),
  );
  const payloadMode = options.payloadMode ?? 'inline';
  const concurrency = Math.max(1, options.launchConcurrency ?? 20);
  const keepEnded = Math.max(1, options.keepEnded ?? 5000);
  const capabilities: LauncherCapabilities = {
    batchSize: 10,
    stop: true,
    logs: options.logGroup !== undefined,
    events: true,
  };
  const taskEvents = new EventEmitter<{ event: [LauncherEvent] }>();
  const runs = new Map<string, Run>(); // by task ARN
  const ended: string[] = [];
  let closed = false;

  const resourcesOf = (task: ScanTask) =>
    typeof options.resources === 'function' ? options.resources(task) : options.resources;

  const emit = (run: Run, event: PlatformEvent): void => {
    taskEvents.emit('event', { taskId: run.taskId, handle: run.handle, event });
  };

  const track = (arn: string, taskId: string): Run => {
    const existing = runs.get(arn);
    if (existing !== undefined) return existing;
    const run: Run = {
      arn,
      taskId,
      handle: { launcher: LAUNCHER_NAME, id: arn },
      state: 'pending',
      startReported: false,
      ended: false,
    };
    runs.set(arn, run);
    return run;
  };

  const retire = (run: Run): void => {
    ended.push(run.arn);
    while (ended.length > keepEnded) runs.delete(ended.shift() as string);
  };

  const overridesFor = (task: ScanTask) => {
    const input = {
      containerName: options.containerName,
      environment: options.environment ?? {},
      resources: resourcesOf(task),
    };
    if (payloadMode === 'auto') {
      try {
        return buildTaskOverrides(task, { ...input, payloadMode: 'inline' });
      } catch {
        return buildTaskOverrides(task, { ...input, payloadMode: 'reference' });
      }
    }
    return buildTaskOverrides(task, { ...input, payloadMode });
  };

  const launchOne = async (task: ScanTask, signal?: AbortSignal): Promise<LaunchResult> => {
    let input: RunTaskCommandInput;
    try {
      input = {
        ...placement,
        cluster: options.cluster,
        taskDefinition: options.taskDefinition,
        count: 1,
        startedBy,
        overrides: overridesFor(task),
        tags: tagsFor(task, options.tags ?? {}),
        clientToken: clientTokenFor(task),
      };
    } catch (error) {
      return { taskId: task.id, ok: false, error: taskErrorOf(error) };
    }
    try {
      const output = await gateway.runTask(input, signal);
      const started = output.tasks?.[0];
      if (started?.taskArn !== undefined) {
        const run = track(started.taskArn, task.id);
        return { taskId: task.id, ok: true, handle: run.handle };
      }
      const failure = output.failures?.[0] ?? { reason: 'RunTask returned neither a task nor a failure' };
      return { taskId: task.id, ok: false, error: failureTaskError(task.id, failure, options.cluster) };
    } catch (error) {
      return { taskId: task.id, ok: false, error: taskErrorOf(error) };
    }
  };

  interface StateFacts {
    arn: string;
    lastStatus: string;
    version?: number | undefined;
    stopCode?: string | undefined;
    stoppedReason?: string | undefined;
    containers: readonly EcsEventContainer[];
    startedAt?: string | Date | undefined;
    stoppedAt?: string | Date | undefined;
  }

  /** Applies one observed state (from an event or DescribeTasks) to a tracked run. */
  const apply = (run: Run, facts: StateFacts): EventOutcome => {
    if (run.ended)
      return facts.version !== undefined && facts.version === run.version ? 'duplicate' : 'stale';
    if (facts.version !== undefined && run.version !== undefined && facts.version <= run.version) {
      return facts.version === run.version ? 'duplicate' : 'stale';
    }
    if (facts.version !== undefined) run.version = facts.version;
    const startedAt = epochMs(facts.startedAt);
    if (startedAt !== undefined) run.startedAt = startedAt;
    if (STARTING.has(facts.lastStatus)) return 'applied'; // still `requested`
    const version = facts.version === undefined ? {} : { version: facts.version };
    if (facts.lastStatus === 'RUNNING' || (ENDING.has(facts.lastStatus) && startedAt !== undefined)) {
      if (run.state === 'pending') run.state = 'running';
      if (!run.startReported) {
        run.startReported = true;
        emit(run, {
          type: 'started',
          at: startedAt ?? Date.now(),
          ...version,
          reason: `Fargate task ${run.arn} is running`,
        });
      }
      return 'applied';
    }
    if (facts.lastStatus !== 'STOPPED') return 'applied';
    const event = stoppedEvent({
      taskArn: run.arn,
      containerName: options.containerName,
      stopCode: facts.stopCode,
      stoppedReason: facts.stoppedReason,
      containers: facts.containers,
      stoppedAt: facts.stoppedAt,
      version: facts.version,
      stopRequested: run.stopReason,
    });
    const essential = facts.containers.find((container) => container.name === options.containerName);
    const ran = startedAt !== undefined || essential?.exitCode !== undefined;
    if (!run.startReported && ran && facts.stopCode !== 'TaskFailedToStart') {
      // The RUNNING event was missed or came late: report the start first (unversioned), then the end.
      run.startReported = true;
      emit(run, { type: 'started', at: startedAt ?? event.at, reason: `Fargate task ${run.arn} ran` });
    }
    run.ended = true;
    run.state = 'stopped';
    run.stoppedAt = event.at;
    if (event.reason !== undefined) run.reason = event.reason;
    if (essential?.exitCode !== undefined) run.exitCode = essential.exitCode;
    emit(run, event);
    retire(run);
    return 'applied';
  };

  const handleEvent = (input: unknown): EventOutcome => {
    const event = parseTaskStateChange(input);
    if (event === undefined) return 'invalid';
    const detail = event.detail;
    let run = runs.get(detail.taskArn);
    if (run === undefined) {
      // Launched by another process of this deployment (same startedBy): adopt it by its task id variable.
      const taskId = overrideValue(detail, TASK_ID_VARIABLE);
      if (detail.startedBy !== startedBy || taskId === undefined) {
        events.emit('ecs:event', detail, 'foreign');
        return 'foreign';
      }
      run = track(detail.taskArn, taskId);
    }
    const outcome = apply(run, {
      arn: detail.taskArn,
      lastStatus: detail.lastStatus,
      version: typeof detail.version === 'number' ? detail.version : undefined,
      stopCode: detail.stopCode,
      stoppedReason: detail.stoppedReason,
      containers: detail.containers ?? [],
      startedAt: detail.startedAt,
      stoppedAt: detail.stoppedAt,
    });
    events.emit('ecs:event', detail, outcome);
    return outcome;
  };

  const factsOf = (task: Task): StateFacts => ({
    arn: task.taskArn as string,
    lastStatus: task.lastStatus ?? 'PENDING',
    version: task.version,
    stopCode: task.stopCode,
    stoppedReason: task.stoppedReason,
    containers: (task.containers ?? []).map((container) => ({
      ...(container.name === undefined ? {} : { name: container.name }),
      ...(container.exitCode === undefined ? {} : { exitCode: container.exitCode }),
      ...(container.reason === undefined ? {} : { reason: container.reason }),
      ...(container.lastStatus === undefined ? {} : { lastStatus: container.lastStatus }),
    })),
    startedAt: task.startedAt,
    stoppedAt: task.stoppedAt,
  });

  /** The cluster's name, as it appears in its task ARNs (`…:task/<cluster>/<id>`). */
  const clusterName = options.cluster.startsWith('arn:')
    ? (options.cluster.split('/').pop() as string)
    : options.cluster;
  /** Tracks the store's active tasks on Fargate tasks of this cluster that this process does not know. */
  const adoptFromStore = async (store: Pick<TaskStore, 'list'>): Promise<void> => {
    const active = await store.list({ status: ['requested', 'started'] });
    for (const task of active) {
      const arn = task.handle?.launcher === LAUNCHER_NAME ? task.handle.id : undefined;
      if (arn === undefined || runs.has(arn) || arn.split('/').at(-2) !== clusterName) continue;
      const run = track(arn, task.id);
      // Its start was recorded already: a RUNNING state is no news, a STOPPED one reports only the end.
      run.startReported = task.status === 'started';
      if (run.startReported) run.state = 'running';
    }
  };

  const reconcile = async (): Promise<FargateReconcileReport> => {
    if (options.store !== undefined) await adoptFromStore(options.store);
    const open = [...runs.values()].filter((run) => !run.ended);
    const report: FargateReconcileReport = { checked: open.length, started: [], ended: [], missing: [] };
    if (open.length === 0) {
      events.emit('reconciled', report);
      return report;
    }
    const { tasks, failures } = await gateway.describeTasks(open.map((run) => run.arn));
    for (const task of tasks) {
      const run = task.taskArn === undefined ? undefined : runs.get(task.taskArn);
      if (run === undefined || run.ended) continue;
      const wasStarted = run.startReported;
      // DescribeTasks gives the current state: apply it even when its version equals an event's (no duplicate).
      const facts = factsOf(task);
      if (facts.version !== undefined && run.version !== undefined && facts.version <= run.version) continue;
      apply(run, facts);
      if (!wasStarted && run.startReported) report.started.push(run.taskId);
      if (run.ended) report.ended.push(run.taskId);
    }
    for (const failure of failures) {
      const run = failure.arn === undefined ? undefined : runs.get(failure.arn);
      if (run === undefined || run.ended || failure.reason !== 'MISSING') continue;
      run.ended = true;
      run.state = 'stopped';
      run.stoppedAt = Date.now();
      run.reason = `Fargate task ${run.arn} is unknown to ECS (stopped tasks are kept about an hour)`;
      emit(run, {
        type: 'failed',
        at: run.stoppedAt,
        reason: run.reason,
        error: { code: 'LAUNCH_FAILED', message: run.reason, retryable: true, details: { taskArn: run.arn } },
      });
      retire(run);
      report.missing.push(run.taskId);
    }
    events.emit('reconciled', report);
    return report;
  };

  const reconcileTimer =
    options.reconcileIntervalMs !== undefined && options.reconcileIntervalMs > 0
      ? setInterval(() => {
          reconcile().catch((error: unknown) => {
            if (events.listenerCount('error') > 0)
              events.emit('error', error instanceof Error ? error : new Error(String(error)));
          });
        }, options.reconcileIntervalMs)
      : undefined;
  reconcileTimer?.unref?.();

  const describeState = (lastStatus: string | undefined): LaunchDescription['state'] => {
    if (lastStatus === 'RUNNING' || (lastStatus !== undefined && ENDING.has(lastStatus))) return 'running';
    if (lastStatus === 'STOPPED') return 'stopped';
    return 'pending';
  };

  return {
    name: LAUNCHER_NAME,
    capabilities,
    cluster: options.cluster,
    startedBy,
    events,
    handleEvent,
    reconcile,

    async launch(tasks, launchOptions = {}) {
      if (closed)
        throw new ScanplaneError('UNAVAILABLE', 'the Fargate launcher is closed', { component: COMPONENT });
      const results: LaunchResult[] = new Array(tasks.length);
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < tasks.length) {
          const index = next++;
          results[index] = await launchOne(tasks[index] as ScanTask, launchOptions.signal);
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, tasks.length) }, worker));
      return results;
    },

    async stop(handle, stopOptions) {
      const run = runs.get(handle.id);
      if (run?.ended === true) return;
      if (run !== undefined) run.stopReason ??= stopOptions.reason;
      await gateway.stopTask(handle.id, `scanplane: ${stopOptions.reason}`);
    },

    async describe(handles) {
      const { tasks } =
        handles.length === 0 ? { tasks: [] } : await gateway.describeTasks(handles.map((h) => h.id));
      const byArn = new Map(tasks.map((task) => [task.taskArn, task]));
      return handles.map((handle): LaunchDescription => {
        const task = byArn.get(handle.id);
        if (task === undefined) return { handle, state: 'missing' };
        const essential = task.containers?.find((container) => container.name === options.containerName);
        const taskId =
          task.tags?.find((tag) => tag.key === TAGS.taskId)?.value ?? runs.get(handle.id)?.taskId;
        const description: LaunchDescription = { handle, state: describeState(task.lastStatus) };
        if (taskId !== undefined) description.taskId = taskId;
        if (essential?.exitCode !== undefined) description.exitCode = essential.exitCode;
        const startedAt = epochMs(task.startedAt);
        const stoppedAt = epochMs(task.stoppedAt);
        if (startedAt !== undefined) description.startedAt = startedAt;
        if (stoppedAt !== undefined) description.stoppedAt = stoppedAt;
        if (task.stoppedReason !== undefined) description.reason = task.stoppedReason;
        return description;
      });
    },

    async logs(handle, logOptions = {}) {
      if (options.logGroup === undefined) {
        throw new ScanplaneError(
          'INVALID_ARGUMENT',
          'reading logs needs the logGroup option (awslogs group and prefix)',
          {
            component: COMPONENT,
          },
        );
      }
      const stream = `${options.logGroup.streamPrefix}/${options.containerName}/${ecsTaskIdOf(handle.id)}`;
      const found = await gateway.logEvents(options.logGroup.name, stream, logOptions.signal);
      const lines: LogLine[] = found.map((event) => ({
        at: event.timestamp ?? 0,
        stream: 'stdout',
        text: (event.message ?? '').replace(/\r?\n$/, ''),
      }));
      return logOptions.tail === undefined ? lines : lines.slice(-Math.max(0, logOptions.tail));
    },

    async running() {
      return (await gateway.listTaskArns(startedBy)).length;
    },

    runningTaskArns() {
      return gateway.listTaskArns(startedBy);
    },

    onEvent(listener) {
      taskEvents.on('event', listener);
      return () => {
        taskEvents.off('event', listener);
      };
    },

    async health(): Promise<HealthReport> {
      const started = Date.now();
      try {
        const arns = await gateway.listTaskArns(startedBy);
        return {
          component: `fargate:${options.cluster}`,
          ok: true,
          detail: `cluster ${options.cluster} answers; ${arns.length} tasks of ${startedBy} running`,
          latencyMs: Date.now() - started,
        };
      } catch (error) {
        return {
          component: `fargate:${options.cluster}`,
          ok: false,
          detail: `listing tasks on cluster ${options.cluster} failed: ${error instanceof Error ? error.message : String(error)}`,
          latencyMs: Date.now() - started,
        };
      }
    },

    async close() {
      closed = true;
      if (reconcileTimer !== undefined) clearInterval(reconcileTimer);
      taskEvents.removeAllListeners();
    },
  };
}
