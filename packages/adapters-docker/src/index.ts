/**
 * `@scanplane/docker`: scan workers as real Docker containers. `createDockerLauncher` is the core launcher port on
 * dockerode (push mode: a container per task, watched through the event stream, stopped for real, reconciled after
 * restarts, cleaned up); `createDockerWorkerFleet` keeps long-lived worker containers that pull tasks from the queue,
 * scaled between a minimum and a maximum by the backlog (pull mode). The worker image is built locally, without a
 * registry, by `scripts/build-worker-image.mjs`; it holds both workers: the one-task entrypoint (push mode) and the
 * pull worker on RabbitMQ and PostgreSQL (`PULL_WORKER_ENTRYPOINT`, configured by `PULL_WORKER_ENV`).
 *
 * @example
 * ```ts
 * import { createDockerLauncher } from '@scanplane/docker';
 * const launcher = createDockerLauncher({ image: 'scanplane-worker:dev', network: 'host' });
 * await launcher.checkImage();
 * ```
 * @module
 */
export { LABELS } from './container-labels.js';
export { containerNameFor, sanitizeNamePart } from './container-name.js';
export type { DockerResources } from './container-spec.js';
export { type DockerErrorReason, dockerErrorReason } from './docker-errors.js';
export type { DockerContainerEvent } from './docker-event-stream.js';
export {
  createDockerLauncher,
  type DockerLauncher,
  type DockerLauncherEvents,
  type ReapReport,
  type ReconcileReport,
} from './docker-launcher.js';
export type { DockerCleanupPolicy, DockerLauncherOptions } from './docker-launcher-options.js';
export {
  createDockerWorkerFleet,
  type DockerWorkerFleet,
  type DockerWorkerFleetEvents,
  type DockerWorkerFleetOptions,
  type FleetScaleReport,
  type FleetWorkerExit,
} from './docker-worker-fleet.js';
export {
  type EntrypointTaskHandlerOptions,
  entrypointTaskHandler,
} from './worker/entrypoint-task-handler.js';
export {
  PULL_WORKER_ENV,
  type PullWorkerConfig,
  type ReadPullWorkerConfigOptions,
  readPullWorkerConfig,
} from './worker/pull-worker-config.js';
export {
  exitAfterFlush,
  type PullWorkerProcessOptions,
  runPullWorkerProcess,
} from './worker/pull-worker-process.js';
export { type DiagnosticBehaviour, workerHandlers } from './worker/worker-handlers.js';
export { PULL_WORKER_ENTRYPOINT } from './worker/worker-image.js';
