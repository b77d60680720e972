import type { ScanTask, TaskStore } from '@scanplane/core';
import {
  createFargateLauncher,
  type FargateLauncher,
  type FargateLauncherOptions,
  type FargateResources,
} from '@scanplane/fargate';
import { type Env, envReader } from '../config/env-reader.js';

/** Fargate's task sizes: each CPU value with the memory values (MiB) it allows, in steps of 1 GiB past 1 GiB. */
const FARGATE_SIZES: ReadonlyArray<{ cpu: number; memory: readonly number[] }> = [
  { cpu: 256, memory: [512, 1024, 2048] },
  { cpu: 512, memory: [1024, 2048, 3072, 4096] },
  { cpu: 1024, memory: [2048, 3072, 4096, 5120, 6144, 7168, 8192] },
  { cpu: 2048, memory: Array.from({ length: 13 }, (_, i) => 4096 + i * 1024) },
  { cpu: 4096, memory: Array.from({ length: 23 }, (_, i) => 8192 + i * 1024) },
];

/**
 * The smallest valid Fargate size holding a scan's `resources` (cpu units, memory MiB), or undefined (the task
 * definition's) when the scan sets none or needs more than Fargate offers. Docker takes the values as they are;
 * Fargate only accepts its own combinations.
 *
 * @example
 * ```ts
 * import { fargateSize } from './fargate-launcher.js';
 * fargateSize({ cpu: 512, memory: 256 }); // { cpu: 512, memoryMiB: 1024 }
 * ```
 */
export function fargateSize(
  resources: { cpu?: number; memory?: number } | undefined,
): FargateResources | undefined {
  if (resources === undefined || (resources.cpu === undefined && resources.memory === undefined))
    return undefined;
  for (const size of FARGATE_SIZES) {
    if (size.cpu < (resources.cpu ?? 0)) continue;
    const memory = size.memory.find((value) => value >= (resources.memory ?? 0));
    if (memory !== undefined) return { cpu: size.cpu, memoryMiB: memory };
  }
  return undefined;
}

/** The Fargate size of a scheduled task, from its scan type's `resources` (carried in its payload). */
const sizeOf = (task: ScanTask): FargateResources | undefined =>
  fargateSize(task.payload?.['resources'] as { cpu?: number; memory?: number } | undefined);

/**
 * The Fargate launcher's options from the environment, with Crossfeed's variable names where it had one:
 *
 * | Variable | Default | |
 * | --- | --- | --- |
 * | `FARGATE_CLUSTER_NAME` | required | the cluster |
 * | `FARGATE_TASK_DEFINITION_NAME` | required | `family`, `family:revision` or ARN |
 * | `FARGATE_SUBNET_ID` | required | awsvpc subnets, comma-separated |
 * | `FARGATE_SG_ID` | none | security groups, comma-separated |
 * | `FARGATE_CONTAINER_NAME` | `worker` | the essential container (overrides and exit code) |
 * | `FARGATE_LOG_GROUP_NAME`, `FARGATE_LOG_STREAM_PREFIX` | none, `scan` | the `awslogs` group: `GET /scan-tasks/{id}/logs` reads it |
 * | `FARGATE_ASSIGN_PUBLIC_IP` | `false` | |
 * | `FARGATE_CAPACITY_PROVIDER` | none (`launchType: FARGATE`) | `FARGATE` or `FARGATE_SPOT` |
 * | `FARGATE_PLATFORM_VERSION` | ECS's `LATEST` | |
 * | `FARGATE_STARTED_BY` | `scanplane` | what `running()` counts and events are matched by |
 * | `FARGATE_RECONCILE_INTERVAL_MS` | 60000 | DescribeTasks for tasks whose events were missed |
 * | `AWS_REGION` | the SDK's default chain | |
 *
 * The workers' allow-list travels to every task as `ORG_SCANS_ALLOW`; each task's CPU and memory are its scan
 * type's `resources` rounded up to a valid Fargate size ({@link fargateSize}).
 *
 * @throws `ScanplaneError` `INVALID_ARGUMENT` naming the variable that is missing or wrong.
 * @example
 * ```ts
 * import { fargateOptionsFromEnv } from './fargate-launcher.js';
 * const options = fargateOptionsFromEnv({
 *   FARGATE_CLUSTER_NAME: 'scans', FARGATE_TASK_DEFINITION_NAME: 'org-scans-worker:3', FARGATE_SUBNET_ID: 'subnet-0abc',
 * }, ['127.0.0.1']);
 * options.containerName; // 'worker'
 * ```
 */
export function fargateOptionsFromEnv(env: Env, allow: readonly string[]): FargateLauncherOptions {
  const read = envReader(env);
  const subnets = read.list('FARGATE_SUBNET_ID');
  if (subnets.length === 0) read.required('FARGATE_SUBNET_ID', 'the awsvpc subnet ids, comma-separated');
  const capacityProvider = read.optional('FARGATE_CAPACITY_PROVIDER');
  const options: FargateLauncherOptions = {
    cluster: read.required('FARGATE_CLUSTER_NAME', 'the ECS cluster the workers run in'),
    taskDefinition: read.required('FARGATE_TASK_DEFINITION_NAME', 'the worker task definition'),
    containerName: read.string('FARGATE_CONTAINER_NAME', 'worker'),
    subnets,
    securityGroups: read.list('FARGATE_SG_ID'),
    assignPublicIp: read.boolean('FARGATE_ASSIGN_PUBLIC_IP', false),
    startedBy: read.string('FARGATE_STARTED_BY', 'scanplane'),
    // Inline only: the worker image reads its command options from SCANPLANE_COMMAND_OPTIONS, not from the store.
    payloadMode: 'inline',
    reconcileIntervalMs: read.integer('FARGATE_RECONCILE_INTERVAL_MS', 60_000, { min: 0 }),
    environment: { ORG_SCANS_ALLOW: allow.join(',') },
    resources: sizeOf,
    tags: { deployment: 'org-scans' },
  };
  const region = read.optional('AWS_REGION');
  if (region !== undefined) options.ecsConfig = { region };
  if (capacityProvider !== undefined) {
    options.capacityProviderStrategy = [
      {
        capacityProvider: read.oneOf(
          'FARGATE_CAPACITY_PROVIDER',
          ['FARGATE', 'FARGATE_SPOT'] as const,
          'FARGATE',
        ),
        weight: 1,
      },
    ];
  } else options.launchType = 'FARGATE';
  const platformVersion = read.optional('FARGATE_PLATFORM_VERSION');
  if (platformVersion !== undefined) options.platformVersion = platformVersion;
  const logGroup = read.optional('FARGATE_LOG_GROUP_NAME');
  if (logGroup !== undefined) {
    options.logGroup = { name: logGroup, streamPrefix: read.string('FARGATE_LOG_STREAM_PREFIX', 'scan') };
  }
  return options;
}

/**
 * The deployment's Fargate launcher (`SCANPLANE_LAUNCHER=fargate`): {@link fargateOptionsFromEnv} given to
 * `createFargateLauncher`. Task state arrives through EventBridge → SQS → `launcher.handleEvent` (see
 * `ecs-event-pump.ts`), with periodic reconciliation as the backstop (given the store, it covers the tasks launched
 * before a restart too).
 *
 * @throws `ScanplaneError` `INVALID_ARGUMENT` naming the variable that is missing or wrong.
 * @example
 * ```ts
 * import { fargateLauncherFromEnv } from './fargate-launcher.js';
 * const launcher = fargateLauncherFromEnv(process.env, ['203.0.113.0/24']);
 * ```
 */
export function fargateLauncherFromEnv(
  env: Env,
  allow: readonly string[],
  store?: Pick<TaskStore, 'list'>,
): FargateLauncher {
  // With the store, reconciliation also recovers the tasks launched before a restart.
  return createFargateLauncher({
    ...fargateOptionsFromEnv(env, allow),
    ...(store === undefined ? {} : { store }),
  });
}
