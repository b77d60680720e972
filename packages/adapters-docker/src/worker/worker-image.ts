/**
 * The entrypoint that runs the worker image's pull worker (`/opt/scanplane/pull-worker.mjs`, built from
 * `dist/pull-worker.js`) instead of its default, the one-task entrypoint of push mode. Give it to
 * `createDockerWorkerFleet` as `entrypoint`, with the pull worker's environment ({@link PULL_WORKER_ENV}); by hand it
 * is `docker run --init --network host --entrypoint /usr/local/bin/node -e SCANPLANE_… <image>
 * /opt/scanplane/pull-worker.mjs`.
 *
 * @example
 * ```ts
 * import { createDockerWorkerFleet, PULL_WORKER_ENTRYPOINT } from '@scanplane/docker';
 * declare const queue: import('@scanplane/core').TaskQueue;
 * const fleet = createDockerWorkerFleet({
 *   image: 'scanplane-worker:dev', entrypoint: PULL_WORKER_ENTRYPOINT, queue, min: 1, max: 8, network: 'host',
 *   env: { SCANPLANE_DATABASE_URL: 'postgres://scanplane@127.0.0.1:5432/scanplane', SCANPLANE_AMQP_URL: 'amqp://127.0.0.1' },
 * });
 * ```
 */
export const PULL_WORKER_ENTRYPOINT: readonly string[] = Object.freeze([
  '/usr/local/bin/node',
  '/opt/scanplane/pull-worker.mjs',
]);
