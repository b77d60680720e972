import { COMMAND_OPTIONS_VARIABLE, commandOptionsFor, type ScanTask } from '@scanplane/core';
import type Docker from 'dockerode';
import { taskLabels } from './container-labels.js';
import { payloadTooLargeError } from './docker-errors.js';

/**
 * Resource limits of a container. A scheduled task's scan definition (`resources: { cpu, memory }` in its payload)
 * overrides the launcher's defaults, field by field.
 *
 * @example
 * ```ts
 * import type { DockerResources } from '@scanplane/docker';
 * const resources: DockerResources = { memoryMiB: 512, cpu: 1024, pids: 256 };
 * ```
 */
export interface DockerResources {
  /** Memory limit in MiB (the swap limit is set equal: no swap, so running out is an OOM kill, reported as such). */
  memoryMiB?: number;
  /** CPU in units of 1/1024 vCPU, as scan definitions and Fargate count them (1024 = one CPU): `NanoCpus`. */
  cpu?: number;
  /** Most processes and threads in the container (`PidsLimit`). Default 512. */
  pids?: number;
}

/** What {@link containerSpecFor} needs from the launcher's options. */
export interface ContainerSpecOptions {
  image: string;
  owner: string;
  network: string;
  resources: DockerResources;
  env: Record<string, string>;
  passEnv: readonly string[];
  labels: Record<string, string>;
  user?: string;
  stopGraceMs: number;
  /** Where `passEnv` values are read. */
  hostEnv: Record<string, string | undefined>;
}

/** Linux's limit on one environment string (`MAX_ARG_STRLEN`), less a margin for the name. */
export const MAX_COMMAND_OPTIONS_BYTES = 131_072 - 64;

/** The limits of a task: the launcher's defaults, overridden by the scan definition's `resources`. */
export function resourcesFor(task: ScanTask, defaults: DockerResources): DockerResources {
  const scan = task.payload?.['resources'] as { cpu?: unknown; memory?: unknown; pids?: unknown } | undefined;
  const resources: DockerResources = { ...defaults };
  if (scan !== undefined && scan !== null && typeof scan === 'object') {
    if (typeof scan.memory === 'number' && scan.memory > 0) resources.memoryMiB = scan.memory;
    if (typeof scan.cpu === 'number' && scan.cpu > 0) resources.cpu = scan.cpu;
    if (typeof scan.pids === 'number' && scan.pids > 0) resources.pids = scan.pids;
  }
  return resources;
}

/**
 * The environment of a task container, and nothing else: the command options in `SCANPLANE_COMMAND_OPTIONS`, the
 * explicit `env` values, the `passEnv` names that are set here (an unset one is left out, never `"undefined"`), and
 * `NODE_OPTIONS=--max-old-space-size` at three quarters of the memory limit unless `env` sets `NODE_OPTIONS`.
 */
export function environmentFor(
  task: ScanTask,
  options: ContainerSpecOptions,
  resources: DockerResources,
): string[] {
  const json = JSON.stringify(commandOptionsFor(task));
  const bytes = Buffer.byteLength(json);
  if (bytes > MAX_COMMAND_OPTIONS_BYTES)
    throw payloadTooLargeError(task.id, bytes, MAX_COMMAND_OPTIONS_BYTES);
  const env: Record<string, string> = {};
  for (const name of options.passEnv) {
    const value = options.hostEnv[name];
    if (value !== undefined) env[name] = value;
  }
  Object.assign(env, options.env);
  if (resources.memoryMiB !== undefined && env['NODE_OPTIONS'] === undefined) {
    env['NODE_OPTIONS'] = `--max-old-space-size=${Math.max(16, Math.floor(resources.memoryMiB * 0.75))}`;
  }
  env[COMMAND_OPTIONS_VARIABLE] = json;
  return Object.entries(env).map(([name, value]) => `${name}=${value}`);
}

/** The create options of a task's container: image, name, labels, environment, init, limits, network. */
export function containerSpecFor(
  task: ScanTask,
  name: string,
  options: ContainerSpecOptions,
): Docker.ContainerCreateOptions {
  const resources = resourcesFor(task, options.resources);
  const hostConfig: Docker.HostConfig = {
    Init: true,
    NetworkMode: options.network,
    AutoRemove: false,
    PidsLimit: resources.pids ?? 512,
    SecurityOpt: ['no-new-privileges:true'],
  };
  if (resources.memoryMiB !== undefined) {
    hostConfig.Memory = Math.round(resources.memoryMiB * 1024 * 1024);
    hostConfig.MemorySwap = hostConfig.Memory;
  }
  if (resources.cpu !== undefined) hostConfig.NanoCpus = Math.round((resources.cpu / 1024) * 1e9);
  const spec: Docker.ContainerCreateOptions = {
    name,
    Image: options.image,
    Env: environmentFor(task, options, resources),
    Labels: taskLabels(task, options.owner, options.labels),
    Tty: false,
    AttachStdin: false,
    AttachStdout: true,
    AttachStderr: true,
    OpenStdin: false,
    StopSignal: 'SIGTERM',
    StopTimeout: Math.max(1, Math.ceil(options.stopGraceMs / 1000)),
    HostConfig: hostConfig,
  };
  if (options.user !== undefined) spec.User = options.user;
  return spec;
}
