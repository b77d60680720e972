import { ScanplaneError } from '@scanplane/core';
// The adapter's own engine harness: DOCKER_HOST when set, else a throwaway dockerd in a temporary directory started
// with --bridge=none --iptables=false --ip-forward=false (it never touches the host's firewall), and the adapter's
// worker image built on it.
import { startTestEngine } from '../../../../packages/adapters-docker/test/support/docker-engine.js';

/**
 * A Docker Engine the deployment launches its workers on.
 *
 * @example
 * ```ts
 * import type { DockerEngine } from './docker-engine.js';
 * const socket = (engine: DockerEngine) => engine.socketPath;
 * ```
 */
export interface DockerEngine {
  /** `unix:///…/docker.sock`, for DOCKER_HOST. */
  host: string;
  /** The daemon's socket. */
  socketPath: string;
  /** Whether this process started the daemon (and stops it on close). */
  owned: boolean;
  /** The `@scanplane/docker` worker image, built on it. */
  baseImage: string;
  /** Stops the daemon this process started and removes its directory (nothing for DOCKER_HOST). */
  stop(): Promise<void>;
}

/**
 * The engine for `start` and the tests: the one `DOCKER_HOST` names (a `unix://` socket), else a throwaway `dockerd`
 * of its own — the `@scanplane/docker` test harness, reused — with the adapter's worker image built on it. Needs
 * `dockerd` (`apt-get install -y docker.io`) and root for its own daemon.
 *
 * @throws {@link ScanplaneError} `UNAVAILABLE` saying what is missing and how to get it.
 * @example
 * ```ts
 * import { startDockerEngine } from './docker-engine.js';
 * const engine = await startDockerEngine();
 * await engine.stop();
 * ```
 */
export async function startDockerEngine(): Promise<DockerEngine> {
  try {
    const engine = await startTestEngine();
    return {
      host: engine.host,
      socketPath: engine.socketPath,
      owned: engine.owned,
      baseImage: engine.image,
      stop: () => engine.stop(),
    };
  } catch (error) {
    throw new ScanplaneError(
      'UNAVAILABLE',
      `no Docker Engine: ${(error as Error).message} (the workers run as containers: install docker.io, run as ` +
        'root so a throwaway dockerd can start, or set DOCKER_HOST=unix:///path/to/docker.sock)',
      { cause: error, details: { where: 'DOCKER_HOST' } },
    );
  }
}
