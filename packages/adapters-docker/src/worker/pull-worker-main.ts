// The pull worker of the worker image (bundled to dist/pull-worker.js, baked in as /opt/scanplane/pull-worker.mjs by
// scripts/build-worker-image.mjs; run it with the entrypoint PULL_WORKER_ENTRYPOINT). A long-lived `createWorker` of
// @scanplane/core: it takes task ids from RabbitMQ (@scanplane/rabbitmq), claims and records the tasks in PostgreSQL
// (@scanplane/postgres: store, ledger and worker registry), and runs them with the image's handlers
// (`workerHandlers()`: tcp-connect, diagnostic). What `createDockerWorkerFleet` starts, scales and stops.
//
// Configuration: environment variables only (PULL_WORKER_ENV / readPullWorkerConfig). A missing or invalid one
// exits 2 at once, naming every problem on stderr. Anything else that stops the start (PostgreSQL unreachable, the
// schema not migrated) exits 1. A broker that does not answer yet is waited for (reconnecting with backoff).
// SIGTERM or SIGINT: stop taking tasks, let running ones finish for SCANPLANE_STOP_GRACE_MS, then abort them (they
// go back to the queue as a retryable ABORTED failure), deregister, close the queue and the store, exit 0. A second
// signal exits 130 at once; a signal while it is still starting (waiting for the broker) gives up the start and exits
// 0. Run it under an init process (`--init`): node as PID 1 ignores SIGTERM.
import { entrypointTaskHandler } from './entrypoint-task-handler.js';
import { exitAfterFlush, runPullWorkerProcess } from './pull-worker-process.js';
import { workerHandlers } from './worker-handlers.js';

const handlers = workerHandlers();
exitAfterFlush(
  await runPullWorkerProcess({
    label: (workerId) => (workerId === undefined ? 'pull-worker' : `pull-worker ${workerId}`),
    knownKinds: Object.keys(handlers),
    handler: (_config, _settings, log) =>
      entrypointTaskHandler(handlers, { log: (taskId, line) => log(`task ${taskId}: ${line}`) }),
  }),
);
