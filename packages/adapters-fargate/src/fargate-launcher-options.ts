import type { CloudWatchLogsClient, CloudWatchLogsClientConfig } from '@aws-sdk/client-cloudwatch-logs';
import type { ECSClient, ECSClientConfig } from '@aws-sdk/client-ecs';
import type { ScanTask, TaskStore } from '@scanplane/core';
import type { RateLimiter } from './rate-limiter.js';
import type { FargateResources } from './run-task-input.js';

/**
 * One entry of a capacity provider strategy (`FARGATE`, `FARGATE_SPOT`).
 *
 * @example
 * ```ts
 * import type { CapacityProviderItem } from '@scanplane/fargate';
 * const spot: CapacityProviderItem = { capacityProvider: 'FARGATE_SPOT', weight: 3 };
 * ```
 */
export interface CapacityProviderItem {
  /** `FARGATE` or `FARGATE_SPOT`. */
  capacityProvider: string;
  /** Relative share. */
  weight?: number;
  /** Tasks placed on this provider first. */
  base?: number;
}

/**
 * Where and how the Fargate tasks run: the parts of RunTask shared by the launcher (push mode) and the worker pool
 * (pull mode).
 *
 * @example
 * ```ts
 * import type { FargateTaskOptions } from '@scanplane/fargate';
 * const where: FargateTaskOptions = {
 *   ecsConfig: { region: 'us-east-1' },
 *   cluster: 'scans',
 *   taskDefinition: 'scanplane-worker:3',
 *   containerName: 'worker',
 *   subnets: ['subnet-0a1b2c3d'],
 *   securityGroups: ['sg-0a1b2c3d'],
 * };
 * ```
 */
export interface FargateTaskOptions {
  /** An ECS client. Default: one made from `ecsConfig`, with the SDK's own retries off (the launcher retries). */
  ecs?: ECSClient;
  /** The configuration of the ECS client made when `ecs` is not given (region, credentials, endpoint). */
  ecsConfig?: ECSClientConfig;
  /** A CloudWatch Logs client, for `logs`. Default: one made from `logsConfig`, else from `ecsConfig`. */
  logs?: CloudWatchLogsClient;
  /** The configuration of the Logs client made when `logs` is not given. */
  logsConfig?: CloudWatchLogsClientConfig;
  /** The cluster's name or ARN. */
  cluster: string;
  /** The task definition (`family`, `family:revision` or ARN). */
  taskDefinition: string;
  /** The essential container running the worker: overrides go to it, its exit code decides the outcome. */
  containerName: string;
  /** The awsvpc subnets. */
  subnets: readonly string[];
  /** The awsvpc security groups. */
  securityGroups?: readonly string[];
  /** Give tasks a public IP (needed in public subnets without a NAT to pull the image). Default false. */
  assignPublicIp?: boolean;
  /** `FARGATE` (default when no strategy is given); mutually exclusive with `capacityProviderStrategy`. */
  launchType?: 'FARGATE';
  /** Capacity providers (`FARGATE_SPOT` for Spot); mutually exclusive with `launchType`. */
  capacityProviderStrategy?: readonly CapacityProviderItem[];
  /** The Fargate platform version. Default: ECS's `LATEST`. */
  platformVersion?: string;
  /** Tags added to every task (besides the `scanplane:*` tags). */
  tags?: Record<string, string>;
  /** Where the task definition's `awslogs` driver writes: the group and the stream prefix. */
  logGroup?: {
    /** `awslogs-group`. */
    name: string;
    /** `awslogs-stream-prefix`: streams are `<prefix>/<container>/<ecs task id>`. */
    streamPrefix: string;
  };
  /** Environment values given to every task's container. */
  environment?: Record<string, string>;
  /** RunTask calls per second, client-side (ECS allows 20, burst and sustained). Default 20. */
  runTaskRatePerSecond?: number;
  /** RunTask calls that may go at once after a pause. Default 10. */
  runTaskBurst?: number;
  /** A limiter shared with other launchers of the same account and region (then the two options above are unused). */
  limiter?: RateLimiter;
  /** Retries of a throttled or failed call. Default 8. */
  maxRetries?: number;
  /** First backoff, in milliseconds, doubled each retry (with jitter). Default 100. */
  retryBaseMs?: number;
  /** Longest backoff, in milliseconds. Default 5000. */
  retryMaxMs?: number;
}

/**
 * Options of `createFargateLauncher`.
 *
 * @example
 * ```ts
 * import type { FargateLauncherOptions } from '@scanplane/fargate';
 * const options: FargateLauncherOptions = {
 *   ecsConfig: { region: 'us-east-1' },
 *   cluster: 'scans',
 *   taskDefinition: 'scanplane-worker:3',
 *   containerName: 'worker',
 *   subnets: ['subnet-0a1b2c3d'],
 *   securityGroups: ['sg-0a1b2c3d'],
 *   capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }],
 *   logGroup: { name: '/scanplane/workers', streamPrefix: 'scan' },
 *   resources: (task) => (task.kind === 'amass' ? { cpu: 1024, memoryMiB: 4096 } : undefined),
 * };
 * ```
 */
export interface FargateLauncherOptions extends FargateTaskOptions {
  /** RunTask's `startedBy` for every task: `running` counts by it, events of other tasks are ignored. Default `scanplane`. */
  startedBy?: string;
  /**
   * `inline` (default): the command options travel in `SCANPLANE_COMMAND_OPTIONS`, and a task whose overrides exceed
   * 8,192 characters fails its launch (`LAUNCH_FAILED`, reason `LAUNCH_PAYLOAD_TOO_LARGE`). `reference`: only
   * `SCANPLANE_TASK_ID` travels and the worker reads its task from the store (`readCommandOptions`). `auto`: inline
   * when it fits, reference otherwise.
   */
  payloadMode?: 'inline' | 'reference' | 'auto';
  /** CPU and memory per scan: fixed, or per task (undefined: the task definition's). */
  resources?: FargateResources | ((task: ScanTask) => FargateResources | undefined);
  /** Launches in flight at once (each is one rate-limited RunTask call). Default 20. */
  launchConcurrency?: number;
  /** Reconcile tracked tasks with DescribeTasks this often, in milliseconds (missed events). Default 0: only on call. */
  reconcileIntervalMs?: number;
  /**
   * The task store, read (never written): each reconciliation also adopts the active tasks (`requested`, `started`)
   * whose handle is a Fargate task of this cluster that this process does not track — launched before a restart, or
   * by another process — so the events they missed are recovered too, not left to the task's time limit.
   */
  store?: Pick<TaskStore, 'list'>;
  /** Ended tasks remembered (for late events and `describe`). Default 5000. */
  keepEnded?: number;
}
