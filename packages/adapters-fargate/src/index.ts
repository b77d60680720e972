/**
 * `@scanplane/fargate`: scan workers as ECS tasks on Fargate, on the AWS SDK v3. `createFargateLauncher` is the core
 * launcher port (push mode: one Fargate task per scan task, its command options in the container overrides, checked
 * against the 8,192-character limit, launched idempotently with a `clientToken`, rate-limited under RunTask's 20 calls
 * per second, followed through EventBridge "ECS Task State Change" events in `detail.version` order, reconciled with
 * DescribeTasks, counted with ListTasks over every page, stopped with StopTask, logs from CloudWatch Logs).
 * `createFargateWorkerPool` launches generic pull workers, 10 per RunTask call, scaled to the queue's backlog.
 *
 * @example
 * ```ts
 * import { createFargateLauncher } from '@scanplane/fargate';
 * const launcher = createFargateLauncher({
 *   ecsConfig: { region: 'us-east-1' }, cluster: 'scans', taskDefinition: 'scanplane-worker',
 *   containerName: 'worker', subnets: ['subnet-0a1b2c3d'],
 * });
 * console.log(await launcher.running());
 * ```
 * @module
 */
export { readCommandOptions } from './command-reference.js';
export {
  type FargateErrorReason,
  fargateErrorReason,
  isRetryableFailureReason,
} from './fargate-errors.js';
export {
  createFargateLauncher,
  type EventOutcome,
  type FargateLauncher,
  type FargateLauncherEvents,
  type FargateReconcileReport,
} from './fargate-launcher.js';
export type {
  CapacityProviderItem,
  FargateLauncherOptions,
  FargateTaskOptions,
} from './fargate-launcher-options.js';
export {
  createFargateWorkerPool,
  type FargatePoolScaleReport,
  type FargateWorkerPool,
  type FargateWorkerPoolEvents,
  type FargateWorkerPoolOptions,
} from './fargate-worker-pool.js';
export { createRateLimiter, type RateLimiter, type RateLimiterOptions } from './rate-limiter.js';
export {
  clientTokenFor,
  type FargateResources,
  OVERRIDES_LIMIT,
  TAGS,
  TASK_ID_VARIABLE,
} from './run-task-input.js';
export {
  type EcsEventContainer,
  type EcsTaskStateChangeEvent,
  type EcsTaskStateDetail,
  parseTaskStateChange,
} from './task-state-change.js';
