import { randomBytes } from 'node:crypto';
import { ScanplaneError, type TaskQueue } from '@scanplane/core';
import type Docker from 'dockerode';
import { EventEmitter } from 'eventemitter3';
import { LABELS, MANAGED_BY, ownerFilters } from './container-labels.js';
import { sanitizeNamePart } from './container-name.js';
import type { DockerResources } from './container-spec.js';
import { dockerClient } from './docker-client.js';
import { dockerApiError, dockerMessage, imageMissingError, statusOf } from './docker-errors.js';
import { parseLogBuffer } from './log-lines.js';
import { PULL_WORKER_ENV } from './worker/pull-worker-config.js';

/**
 * Options for {@link createDockerWorkerFleet}.
 *
 * @example
 * ```ts
 * import { type DockerWorkerFleetOptions, PULL_WORKER_ENTRYPOINT } from '@scanplane/docker';
 * declare const queue: import('@scanplane/core').TaskQueue; // the deployment's RabbitMQ queue
 * const options: DockerWorkerFleetOptions = {
 *   image: 'scanplane-worker:dev',
 *   entrypoint: PULL_WORKER_ENTRYPOINT, // the image's pull worker
 *   queue,
 *   min: 1,
 *   max: 20,
 *   tasksPerWorker: 8,
 *   env: {
 *     SCANPLANE_DATABASE_URL: 'postgres://scanplane@127.0.0.1:5432/scanplane',
 *     SCANPLANE_AMQP_URL: 'amqp://scanplane:secret@127.0.0.1:5672',
 *     SCANPLANE_CONCURRENCY: '8',
 *   },
 *   network: 'host',
 * };
 * ```
 */
export interface DockerWorkerFleetOptions {
  /** A dockerode client. Default: one for `socketPath`, else for `DOCKER_HOST`, else `/var/run/docker.sock`. */
  docker?: Docker;
  /** The daemon's Unix socket, when no `docker` client is given. */
  socketPath?: string;
  /**
   * The worker image: run with `entrypoint` (or `command`), it must run a pull worker (`createWorker`) on the same
   * queue and store — the package's worker image does with {@link PULL_WORKER_ENTRYPOINT}. Never pulled.
   */
  image: string;
  /** The queue whose backlog (`depth`) sizes the fleet. */
  queue: Pick<TaskQueue, 'depth'>;
  /** Only this kind's backlog counts (a fleet per scan type). Default: every kind. */
  kind?: string;
  /** Workers kept running even with an empty queue. Default 0. */
  min?: number;
  /** Most workers. */
  max: number;
  /** Waiting tasks per worker: the fleet wants `ceil(backlog / tasksPerWorker)` workers. Default 1. */
  tasksPerWorker?: number;
  /** How often `start()` rescales, in milliseconds. Default 5000. */
  intervalMs?: number;
  /**
   * How long the fleet must want fewer workers before it stops one, in milliseconds (one per rescale): a worker that
   * just took the queue's last tasks is still busy. Default 60000.
   */
  scaleDownAfterMs?: number;
  /** First part of every worker's name (`<prefix>_worker_<kind or all>_<random>`). Default `scanplane`. */
  namePrefix?: string;
  /** The deployment owning the workers (label `io.scanplane.owner`). Default `scanplane`. */
  owner?: string;
  /** The network mode: `none`, `host`, or a network the operator made. Default `host` (workers reach the broker). */
  network?: string;
  /** Limits of each worker container. */
  resources?: DockerResources;
  /**
   * Environment values given to every worker, explicitly. The fleet adds `SCANPLANE_WORKER_ID` (the container's name)
   * and, unless given here, `SCANPLANE_STOP_GRACE_MS` (the worker's own grace: `stopGraceMs` less a margin of a quarter
   * of it, at most 5 s, to hand back its tasks before the SIGKILL). The pull worker of the worker image reads its
   * configuration from these ({@link PULL_WORKER_ENV}).
   */
  env?: Record<string, string>;
  /** Names of variables of this process copied into every worker when set. */
  passEnv?: readonly string[];
  /** Extra labels of every worker. */
  labels?: Record<string, string>;
  /** The worker's command (`Cmd`), when not the image's. */
  command?: readonly string[];
  /**
   * The worker's entrypoint, when not the image's: {@link PULL_WORKER_ENTRYPOINT} runs the worker image's pull worker
   * (the image's default entrypoint runs one task and exits: push mode).
   */
  entrypoint?: readonly string[];
  /**
   * Grace between SIGTERM and SIGKILL when a worker is stopped (it finishes or hands back its tasks), in milliseconds,
   * rounded up to whole seconds for Docker. Default 30000.
   */
  stopGraceMs?: number;
  /** Where `passEnv` values are read. Default `process.env`. */
  hostEnv?: Record<string, string | undefined>;
}

/**
 * What one rescale saw and did.
 *
 * @example
 * ```ts
 * import type { FleetScaleReport } from '@scanplane/docker';
 * const line = (r: FleetScaleReport) => `backlog ${r.backlog}: ${r.running} → ${r.desired} (+${r.started.length} −${r.stopped.length})`;
 * ```
 */
export interface FleetScaleReport {
  /** Waiting tasks in the queue (of the fleet's kind). */
  backlog: number;
  /** Workers running before this rescale. */
  running: number;
  /** Workers wanted: `ceil(backlog / tasksPerWorker)` within `[min, max]`. */
  desired: number;
  /** Workers started. */
  started: string[];
  /** Workers stopped (gracefully) and removed. */
  stopped: string[];
  /**
   * Exited workers removed (they crashed or stopped by themselves; the next rescale replaces them). The
   * `worker:exited` event says how each one ended.
   */
  removed: string[];
}

/**
 * A worker that exited by itself (crashed, was killed, or refused to start: the image's pull worker exits 2 on an
 * invalid configuration), as the fleet saw it before removing its container.
 *
 * @example
 * ```ts
 * import type { FleetWorkerExit } from '@scanplane/docker';
 * const line = (exit: FleetWorkerExit) => `${exit.name} exited ${exit.exitCode}: ${exit.logTail.at(-1) ?? ''}`;
 * ```
 */
export interface FleetWorkerExit {
  /** The container's name (the worker's `SCANPLANE_WORKER_ID`). */
  name: string;
  /** Its exit code (137 for SIGKILL; 2 for the pull worker's invalid configuration). */
  exitCode: number;
  /** Whether the kernel killed it for running out of memory. */
  oomKilled: boolean;
  /** Its last output lines (stdout and stderr, up to 20), read before the container was removed. */
  logTail: string[];
}

/**
 * The fleet's typed events.
 *
 * @example
 * ```ts
 * import type { DockerWorkerFleetEvents } from '@scanplane/docker';
 * type Scaled = DockerWorkerFleetEvents['scaled'];
 * ```
 */
export interface DockerWorkerFleetEvents {
  /** A rescale ran. */
  scaled: [report: FleetScaleReport];
  /** A rescale found a worker that had exited by itself, and removed it (its exit code and last lines are here). */
  'worker:exited': [exit: FleetWorkerExit];
  /** A background rescale failed; the next one tries again. */
  error: [error: Error];
}

/**
 * Pull mode on Docker (Tasker's worker fleet): long-lived worker containers that take tasks from the queue
 * themselves, scaled between `min` and `max` by the queue's backlog.
 *
 * @example
 * ```ts
 * import { createMemoryQueue } from '@scanplane/core';
 * import { createDockerWorkerFleet } from '@scanplane/docker';
 * const fleet = createDockerWorkerFleet({ image: 'my-worker:1', queue: createMemoryQueue(), min: 1, max: 10 });
 * const report = await fleet.scale();
 * console.log(`${report.desired} workers wanted`);
 * ```
 */
export interface DockerWorkerFleet {
  /** Operational events. */
  readonly events: EventEmitter<DockerWorkerFleetEvents>;
  /** Rescales once now: starts workers up to the desired count, or stops one after `scaleDownAfterMs`. */
  scale(): Promise<FleetScaleReport>;
  /** The running workers' container names. */
  workers(): Promise<string[]>;
  /** Rescales every `intervalMs`. */
  start(): void;
  /** Stops rescaling; with `stopWorkers`, also stops and removes every worker (gracefully). */
  close(options?: { stopWorkers?: boolean }): Promise<void>;
}

/**
 * Creates a worker fleet: each rescale reads the queue's backlog, wants `ceil(backlog / tasksPerWorker)` workers
 * within `[min, max]`, starts the missing ones at once, and stops one extra worker per rescale once the fleet has
 * wanted fewer for `scaleDownAfterMs` (SIGTERM: a scanplane worker finishes its tasks within its grace period or hands
 * them back to the queue). Workers are labelled (`io.scanplane.role=worker`, owner), run with `--init`, the limits,
 * network and environment allow-list given; exited workers are removed (reported first by `worker:exited`, with their
 * exit code and last lines) and replaced. Run the worker image's pull worker with `entrypoint:`
 * {@link PULL_WORKER_ENTRYPOINT} and its configuration ({@link PULL_WORKER_ENV}) in `env`.
 *
 * @example
 * ```ts
 * import { createDockerWorkerFleet, PULL_WORKER_ENTRYPOINT } from '@scanplane/docker';
 * declare const queue: import('@scanplane/core').TaskQueue; // a @scanplane/rabbitmq queue: its depth sizes the fleet
 * const fleet = createDockerWorkerFleet({
 *   image: 'scanplane-worker:dev', entrypoint: PULL_WORKER_ENTRYPOINT, queue, min: 1, max: 20, tasksPerWorker: 8,
 *   env: { SCANPLANE_DATABASE_URL: 'postgres://scanplane@127.0.0.1:5432/scanplane', SCANPLANE_AMQP_URL: 'amqp://127.0.0.1' },
 *   network: 'host',
 * });
 * fleet.events.on('worker:exited', (exit) => console.warn(`${exit.name} exited ${exit.exitCode}`, exit.logTail));
 * fleet.start();
 * ```
 */
export function createDockerWorkerFleet(options: DockerWorkerFleetOptions): DockerWorkerFleet {
  const min = Math.max(0, options.min ?? 0);
  const max = options.max;
  if (!Number.isInteger(max) || max < Math.max(1, min)) {
    throw new ScanplaneError(
      'INVALID_ARGUMENT',
      `createDockerWorkerFleet: max must be an integer ≥ max(1, min), got ${max}`,
      {
        component: 'docker',
      },
    );
  }
  const { docker, endpoint } = dockerClient(options);
  const owner = options.owner ?? 'scanplane';
  const prefix = sanitizeNamePart(options.namePrefix ?? 'scanplane');
  const perWorker = Math.max(1, options.tasksPerWorker ?? 1);
  const intervalMs = options.intervalMs ?? 5000;
  const scaleDownAfterMs = options.scaleDownAfterMs ?? 60_000;
  const graceSeconds = Math.max(1, Math.ceil((options.stopGraceMs ?? 30_000) / 1000));
  // The worker's own grace ends before Docker's SIGKILL: it must still abort, record and hand back its tasks.
  const workerGraceMs = graceSeconds * 1000 - Math.min(5000, Math.ceil((graceSeconds * 1000) / 4));
  const hostEnv = options.hostEnv ?? process.env;
  const events = new EventEmitter<DockerWorkerFleetEvents>();
  const filters = [
    ...ownerFilters(owner, 'worker'),
    ...(options.kind === undefined ? [] : [`${LABELS.kind}=${options.kind}`]),
  ];
  let wantedFewerSince: number | undefined;
  let timer: NodeJS.Timeout | undefined;
  let scaling: Promise<FleetScaleReport> | undefined;

  const list = async (): Promise<Docker.ContainerInfo[]> => {
    try {
      return await docker.listContainers({ all: true, filters: { label: filters } });
    } catch (error) {
      throw dockerApiError('listing workers', endpoint, error);
    }
  };
  const nameOf = (info: Docker.ContainerInfo): string => (info.Names[0] ?? '').replace(/^\//, '');

  const startWorker = async (): Promise<string> => {
    const name = `${prefix}_worker_${sanitizeNamePart(options.kind ?? 'all')}_${randomBytes(4).toString('hex')}`;
    const env: Record<string, string> = { [PULL_WORKER_ENV.stopGraceMs]: String(workerGraceMs) };
    for (const variable of options.passEnv ?? []) {
      const value = hostEnv[variable];
      if (value !== undefined) env[variable] = value;
    }
    Object.assign(env, options.env ?? {}, { SCANPLANE_WORKER_ID: name });
    const resources = options.resources ?? {};
    const hostConfig: Docker.HostConfig = {
      Init: true,
      NetworkMode: options.network ?? 'host',
      PidsLimit: resources.pids ?? 512,
      SecurityOpt: ['no-new-privileges:true'],
    };
    if (resources.memoryMiB !== undefined) {
      hostConfig.Memory = Math.round(resources.memoryMiB * 1048576);
      hostConfig.MemorySwap = hostConfig.Memory;
    }
    if (resources.cpu !== undefined) hostConfig.NanoCpus = Math.round((resources.cpu / 1024) * 1e9);
    const spec: Docker.ContainerCreateOptions = {
      name,
      Image: options.image,
      Env: Object.entries(env).map(([key, value]) => `${key}=${value}`),
      Labels: {
        ...(options.labels ?? {}),
        [LABELS.managedBy]: MANAGED_BY,
        [LABELS.owner]: owner,
        [LABELS.role]: 'worker',
        ...(options.kind === undefined ? {} : { [LABELS.kind]: options.kind }),
      },
      StopSignal: 'SIGTERM',
      StopTimeout: graceSeconds,
      HostConfig: hostConfig,
    };
    if (options.command !== undefined) spec.Cmd = [...options.command];
    if (options.entrypoint !== undefined) spec.Entrypoint = [...options.entrypoint];
    let container: Docker.Container;
    try {
      container = await docker.createContainer(spec);
    } catch (error) {
      if (statusOf(error) === 404 && /image/i.test(dockerMessage(error)))
        throw imageMissingError(options.image, endpoint, error);
      throw dockerApiError(`creating worker ${name}`, endpoint, error);
    }
    try {
      await container.start();
    } catch (error) {
      await container.remove({ force: true }).catch(() => undefined);
      throw dockerApiError(`starting worker ${name}`, endpoint, error);
    }
    return name;
  };

  /** What an exited worker left: exit code and last lines (best effort: a container gone meanwhile has none). */
  const exitOf = async (info: Docker.ContainerInfo): Promise<FleetWorkerExit> => {
    const container = docker.getContainer(info.Id);
    const exit: FleetWorkerExit = { name: nameOf(info), exitCode: -1, oomKilled: false, logTail: [] };
    try {
      const state = (await container.inspect()).State;
      exit.exitCode = state.ExitCode;
      exit.oomKilled = state.OOMKilled;
      const buffer = (await container.logs({
        follow: false,
        stdout: true,
        stderr: true,
        timestamps: true,
        tail: 20,
      })) as unknown as Buffer;
      exit.logTail = parseLogBuffer(Buffer.isBuffer(buffer) ? buffer : Buffer.from(String(buffer)), 0).map(
        (line) => line.text,
      );
    } catch {
      // removed meanwhile: nothing more to say
    }
    return exit;
  };

  const stopWorker = async (name: string): Promise<void> => {
    const container = docker.getContainer(name);
    try {
      await container.stop({ t: graceSeconds });
    } catch (error) {
      if (statusOf(error) !== 304 && statusOf(error) !== 404)
        throw dockerApiError(`stopping worker ${name}`, endpoint, error);
    }
    await container.remove({ force: true }).catch(() => undefined);
  };

  const scaleOnce = async (): Promise<FleetScaleReport> => {
    const backlog = await options.queue.depth(options.kind);
    const containers = await list();
    const report: FleetScaleReport = {
      backlog,
      running: 0,
      desired: 0,
      started: [],
      stopped: [],
      removed: [],
    };
    const running: Docker.ContainerInfo[] = [];
    for (const info of containers) {
      if (info.State === 'running' || info.State === 'created' || info.State === 'restarting')
        running.push(info);
      else {
        const exit = events.listenerCount('worker:exited') > 0 ? await exitOf(info) : undefined;
        await docker
          .getContainer(info.Id)
          .remove({ force: true })
          .catch(() => undefined);
        report.removed.push(nameOf(info));
        if (exit !== undefined) events.emit('worker:exited', exit);
      }
    }
    report.running = running.length;
    report.desired = Math.min(max, Math.max(min, Math.ceil(backlog / perWorker)));
    if (report.desired > running.length) {
      wantedFewerSince = undefined;
      const missing = report.desired - running.length;
      report.started = await Promise.all(Array.from({ length: missing }, () => startWorker()));
    } else if (report.desired < running.length) {
      const now = Date.now();
      wantedFewerSince ??= now;
      if (now - wantedFewerSince >= scaleDownAfterMs) {
        // The newest worker goes first: the oldest have warmed up and hold the longest-running tasks.
        const newest = [...running].sort((a, b) => b.Created - a.Created)[0] as Docker.ContainerInfo;
        await stopWorker(nameOf(newest));
        report.stopped.push(nameOf(newest));
        wantedFewerSince = running.length - 1 > report.desired ? now : undefined;
      }
    } else {
      wantedFewerSince = undefined;
    }
    events.emit('scaled', report);
    return report;
  };

  const fleet: DockerWorkerFleet = {
    events,
    scale() {
      scaling ??= scaleOnce().finally(() => {
        scaling = undefined;
      });
      return scaling;
    },
    async workers() {
      return (await list()).filter((info) => info.State === 'running').map(nameOf);
    },
    start() {
      if (timer !== undefined) return;
      const tick = (): void => {
        void fleet.scale().catch((error: unknown) => {
          if (events.listenerCount('error') > 0)
            events.emit('error', error instanceof Error ? error : new Error(String(error)));
        });
      };
      tick();
      timer = setInterval(tick, intervalMs);
      timer.unref?.();
    },
    async close(closeOptions = {}) {
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
      await scaling?.catch(() => undefined);
      if (closeOptions.stopWorkers === true) {
        await Promise.all((await list()).map((info) => stopWorker(nameOf(info))));
      }
    },
  };
  return fleet;
}
