// A Tasker worker process: `createWorker` of @scanplane/core taking task ids from RabbitMQ (@scanplane/rabbitmq),
// claiming and recording the tasks in PostgreSQL (@scanplane/postgres: store, ledger, worker registry), and running
// them with the handler of their kind (`tcp-connect`: the core's TCP connect scanner; `nmap`: Tasker's two-phase nmap
// scan). `main.ts` forks it WORKERS times; it also runs alone: `node --import tsx src/worker-main.ts`.
//
// Configuration, from the environment: the pull worker's variables (`readPullWorkerConfig` of @scanplane/docker:
// SCANPLANE_DATABASE_URL, SCANPLANE_SCHEMA, SCANPLANE_AMQP_URL, SCANPLANE_QUEUE_PREFIX, SCANPLANE_KINDS,
// SCANPLANE_CONCURRENCY, SCANPLANE_WORKER_ID, SCANPLANE_STOP_GRACE_MS, …) plus TASKER_TCP_TIMEOUT_MS (TCP connect
// timeout per probe) and TASKER_NMAP_BINARY. Invalid configuration exits 2, naming every problem.
//
// SIGTERM or SIGINT — or the service that forked it going away (its IPC channel closes) — stops it gracefully: no new
// tasks, running ones get SCANPLANE_STOP_GRACE_MS to finish and are then handed back to the queue (a retryable
// ABORTED failure), it deregisters, closes the queue and the store and exits 0. A second signal exits 130 at once.
// Forked by the service, it sends its task events and "ready" over IPC (worker-events.ts). The process itself —
// configuration, store, queue, signals, the graceful stop — is @scanplane/docker's `runPullWorkerProcess`.
import { exitAfterFlush, runPullWorkerProcess } from '@scanplane/docker';
import { HANDLER_LOADERS, type HandlerSettings, loadTaskHandler } from './task-handlers.js';
import { forwardWorkerEvents, type WorkerMessage } from './worker-events.js';

/** Sends a message to the service that forked this process, if any (never throws). */
function tell(message: WorkerMessage): void {
  if (process.send === undefined || !process.connected) return;
  try {
    process.send(message);
  } catch {
    // The channel closed: the worker stops on 'disconnect'.
  }
}

/** Reads the optional settings of the handlers. */
function handlerSettings(env: NodeJS.ProcessEnv): HandlerSettings {
  const settings: HandlerSettings = {};
  const timeout = env['TASKER_TCP_TIMEOUT_MS'];
  if (timeout !== undefined && timeout !== '') {
    const value = Number(timeout);
    if (!Number.isInteger(value) || value < 1 || value > 600_000) {
      throw new Error(
        `TASKER_TCP_TIMEOUT_MS must be an integer from 1 to 600000, got ${JSON.stringify(timeout)}`,
      );
    }
    settings.tcpTimeoutMs = value;
  }
  const nmap = env['TASKER_NMAP_BINARY'];
  if (nmap !== undefined && nmap !== '') settings.nmapBinary = nmap;
  return settings;
}

exitAfterFlush(
  await runPullWorkerProcess({
    label: (workerId) => workerId ?? 'tasker-worker',
    knownKinds: Object.keys(HANDLER_LOADERS),
    settings: handlerSettings,
    handler: (config, settings) => loadTaskHandler(config.kinds, settings),
    // Thousands of tasks per worker: only failures are written; the service gets every event over IPC.
    logTasks: 'failures',
    observe: (events) => void forwardWorkerEvents(events, tell),
    onReady: (worker) => tell({ type: 'tasker:ready', workerId: worker.id }),
    stopOnDisconnect: true,
  }),
);
