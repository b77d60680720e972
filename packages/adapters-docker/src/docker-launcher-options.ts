import type { ScanTask, TaskStore } from '@scanplane/core';
import type Docker from 'dockerode';
import type { DockerResources } from './container-spec.js';

/**
 * What to do with ended task containers. Containers are never `AutoRemove`d (that loses the logs of fast
 * containers): the launcher removes each one itself once its logs and exit state are collected, keeping the `keep`
 * most recent ended ones for `docker logs` debugging. A container `stop` ended is removed at once.
 *
 * @example
 * ```ts
 * import type { DockerCleanupPolicy } from '@scanplane/docker';
 * const keepFive: DockerCleanupPolicy = { keep: 5 };
 * const keepAll: DockerCleanupPolicy = { keep: Number.POSITIVE_INFINITY };
 * ```
 */
export interface DockerCleanupPolicy {
  /** Ended containers kept on the daemon, newest first; older ones are removed. Default 10; 0 removes each at once. */
  keep?: number;
}

/**
 * Options for `createDockerLauncher`.
 *
 * @example
 * ```ts
 * import type { DockerLauncherOptions } from '@scanplane/docker';
 * const options: DockerLauncherOptions = {
 *   socketPath: '/var/run/docker.sock',
 *   image: 'scanplane-worker:dev',
 *   namePrefix: 'scanplane',
 *   network: 'host',
 *   resources: { memoryMiB: 512, cpu: 1024, pids: 256 },
 *   env: { LOG_LEVEL: 'info' },
 *   passEnv: ['HTTPS_PROXY'],
 *   labels: { team: 'recon' },
 * };
 * ```
 */
export interface DockerLauncherOptions {
  /** A dockerode client. Default: one for `socketPath`, else for `DOCKER_HOST`, else `/var/run/docker.sock`. */
  docker?: Docker;
  /** The daemon's Unix socket, when no `docker` client is given. */
  socketPath?: string;
  /** The worker image (built locally: `scripts/build-worker-image.mjs`). Never pulled. */
  image: string;
  /** First part of every container name. Default `scanplane`. */
  namePrefix?: string;
  /**
   * The deployment owning the containers (label `io.scanplane.owner`): launchers with the same owner watch,
   * reconcile and reap the same containers; others leave them alone. Default `scanplane`.
   */
  owner?: string;
  /** The network mode: `none` (default), `host`, or the name of a network the operator made. */
  network?: string;
  /** Limits when a task's scan definition does not set them (its `resources` win, field by field). */
  resources?: DockerResources;
  /** Environment values given to every container, explicitly. Nothing else from this process leaks in. */
  env?: Record<string, string>;
  /** Names of variables of this process copied into every container when set (unset ones are left out). */
  passEnv?: readonly string[];
  /** Extra labels of every container (scanplane's own labels cannot be overridden). */
  labels?: Record<string, string>;
  /** The user the worker runs as (`uid:gid`); default the image's (`65534:65534` in the built worker image). */
  user?: string;
  /** Grace between SIGTERM and SIGKILL when `stop` has no `graceMs`, in milliseconds. Default 10000. */
  stopGraceMs?: number;
  /** Clean-up of ended containers. Default `{ keep: 10 }`. */
  cleanup?: DockerCleanupPolicy;
  /**
   * The task store, read (never written) to reconcile tasks whose container vanished while no launcher watched, and
   * to reap orphans: containers whose task is unknown, ended, or launched again elsewhere.
   */
  store?: Pick<TaskStore, 'get' | 'list'>;
  /** How often the reaper runs after the first `onEvent` subscription, in milliseconds; 0 disables it. Default 60000. */
  reapIntervalMs?: number;
  /** Containers created and started at once by one `launch` call. Default 8. */
  launchConcurrency?: number;
  /** Output lines kept in memory per container. Default 1000. */
  logLines?: number;
  /** Last lines of output put in a failed task's error details. Default 20. */
  failureLogLines?: number;
  /** Ended runs remembered for `describe` and `logs` after their container is removed. Default 1000. */
  keepEnded?: number;
  /** Where `passEnv` values are read. Default `process.env`. */
  hostEnv?: Record<string, string | undefined>;
  /** Makes the container name of a task's next attempt. Default `containerNameFor(task, namePrefix)`. */
  containerName?: (task: ScanTask) => string;
}
