import type { TaskStore } from '@scanplane/core';
import { createDockerLauncher, type DockerLauncher } from '@scanplane/docker';

/**
 * Options of {@link createOrgScansDockerLauncher}.
 *
 * @example
 * ```ts
 * import type { OrgScansDockerOptions } from './docker-launcher.js';
 * const options: OrgScansDockerOptions = {
 *   socketPath: '/var/run/docker.sock', image: 'scanplane-org-scans-worker:dev', network: 'host',
 *   owner: 'org-scans', allow: ['127.0.0.1'],
 * };
 * ```
 */
export interface OrgScansDockerOptions {
  /** The daemon's socket. Default `DOCKER_HOST`, else `/var/run/docker.sock`. */
  socketPath?: string;
  /** The org-scans worker image (`buildWorkerImage`). */
  image: string;
  /** `host` (the workers reach 127.0.0.1), `none`, or an operator-made network. Never the default bridge. */
  network: string;
  /** The owner label: launchers of one owner watch, reconcile and reap the same containers. */
  owner: string;
  /** The workers' allow-list, given to every container as `ORG_SCANS_ALLOW`. */
  allow: readonly string[];
  /** The task store, read to reconcile containers that ended while no launcher watched. */
  store?: Pick<TaskStore, 'get' | 'list'>;
  /** SIGTERM-to-SIGKILL grace of a stop, in milliseconds. Default 5000. */
  stopGraceMs?: number;
}

/**
 * The deployment's Docker launcher (Crossfeed's local mode, done properly): a container per scan task named
 * `orgscans_<organization or global>_<scan>_<task>-<attempt>`, labelled, given only `ORG_SCANS_ALLOW` and its
 * command options, run with `--init` and the scan type's memory and CPU; ended containers are removed once their
 * logs are read (the last 20 kept for `docker logs`).
 *
 * @example
 * ```ts
 * import { createOrgScansDockerLauncher } from './docker-launcher.js';
 * const launcher = createOrgScansDockerLauncher({
 *   image: 'scanplane-org-scans-worker:dev', network: 'host', owner: 'org-scans', allow: ['127.0.0.1'],
 * });
 * await launcher.checkImage();
 * ```
 */
export function createOrgScansDockerLauncher(options: OrgScansDockerOptions): DockerLauncher {
  return createDockerLauncher({
    ...(options.socketPath === undefined ? {} : { socketPath: options.socketPath }),
    image: options.image,
    network: options.network,
    owner: options.owner,
    namePrefix: 'orgscans',
    env: { ORG_SCANS_ALLOW: options.allow.join(',') },
    resources: { memoryMiB: 256, cpu: 512, pids: 128 },
    stopGraceMs: options.stopGraceMs ?? 5000,
    cleanup: { keep: 20 },
    ...(options.store === undefined ? {} : { store: options.store }),
  });
}
