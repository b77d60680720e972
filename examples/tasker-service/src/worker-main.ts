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
// Forked by the service, it sends its task events and "ready" over IPC (worker-events.ts).
import { EventEmitter as NodeEventEmitter } from 'node:events';
import { createWorker, isScanplaneError, type Worker } from '@scanplane/core';
import { type PullWorkerConfig, readPullWorkerConfig } from '@scanplane/docker';
import { createPostgresStore, type PostgresStore } from '@scanplane/postgres';
import { createRabbitQueue, type RabbitQueue } from '@scanplane/rabbitmq';
import { HANDLER_LOADERS, type HandlerSettings, loadTaskHandler } from './task-handlers.js';
import { forwardWorkerEvents, type TaskEvents, type WorkerMessage } from './worker-events.js';

const EXIT = { ok: 0, failed: 1, invalidConfig: 2, forced: 130 } as const;

let label = 'tasker-worker';
const say = (line: string): void => {
  process.stdout.write(`[${label}] ${line}\n`);
};
const complain = (line: string): void => {
  process.stderr.write(`[${label}] ${line}\n`);
};
const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** Exits once stdout and stderr are flushed. */
function exit(code: number): void {
  process.exitCode = code;
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}

let stopRequested: string | undefined;
let onStopRequest: (() => void) | undefined;
const requestStop = (why: string): void => {
  if (stopRequested !== undefined) {
    if (why !== 'disconnect') {
      complain(`${why} again while stopping: exiting now`);
      exit(EXIT.forced);
    }
    return;
  }
  stopRequested = why;
  onStopRequest?.();
};
process.on('SIGTERM', () => requestStop('SIGTERM'));
process.on('SIGINT', () => requestStop('SIGINT'));
// Forked by the service: when it goes away (even killed), the IPC channel closes, and this worker stops.
process.on('disconnect', () => requestStop('disconnect'));

/** Sends a message to the service that forked this process, if any (never throws). */
function tell(message: WorkerMessage): void {
  if (process.send === undefined || !process.connected) return;
  try {
    process.send(message);
  } catch {
    // The channel closed: the 'disconnect' handler stops the worker.
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

/** Starts the worker, waits for a stop request, stops gracefully; returns the exit code. */
async function main(): Promise<number> {
  let config: PullWorkerConfig;
  let settings: HandlerSettings;
  try {
    config = readPullWorkerConfig(process.env, { knownKinds: Object.keys(HANDLER_LOADERS) });
    settings = handlerSettings(process.env);
  } catch (error) {
    const problems = isScanplaneError(error)
      ? ((error.details['problems'] as Array<{ problem: string }> | undefined) ?? [])
      : [];
    complain('invalid configuration, not starting:');
    for (const { problem } of problems.length > 0 ? problems : [{ problem: messageOf(error) }])
      complain(`  ${problem}`);
    return EXIT.invalidConfig;
  }
  if (config.workerId !== undefined) label = config.workerId;

  let store: PostgresStore | undefined;
  let queue: RabbitQueue | undefined;
  let worker: Worker | undefined;
  const closeAll = async (): Promise<void> => {
    await queue?.close().catch((error: unknown) => complain(`closing the queue: ${messageOf(error)}`));
    await store?.close().catch((error: unknown) => complain(`closing the store: ${messageOf(error)}`));
  };
  // A stop request while starting closes the queue, which makes a start still waiting for the broker fail at once.
  onStopRequest = () => void queue?.close().catch(() => undefined);
  try {
    const handler = await loadTaskHandler(config.kinds, settings);
    store = await createPostgresStore({
      connectionString: config.databaseUrl,
      schema: config.schema,
      migrate: false, // the service migrates
      maxConnections: Math.min(50, config.concurrency + 3),
    });
    const health = await store.health();
    if (!health.ok) throw new Error(`the store is not ready (schema ${config.schema}): ${health.detail}`);
    if (stopRequested !== undefined) throw new Error(`${stopRequested} while starting`);
    queue = createRabbitQueue({
      url: config.amqpUrl,
      prefix: config.queuePrefix,
      kinds: config.kinds,
      queueType: config.queueType,
      ...(config.deliveryLimit === undefined ? {} : { deliveryLimit: config.deliveryLimit }),
    });
    queue.events.on('disconnected', (error) => complain(`broker connection lost: ${error.message}`));
    queue.events.on('error', (error) => complain(`queue: ${error.message}`));

    // Node's emitter has the methods the worker uses (emit, on, off); 'error' always has a listener here.
    const events = new NodeEventEmitter() as unknown as TaskEvents;
    events.on('error', (error) => complain(`worker: ${messageOf(error)}`));
    events.on('task:failed', (task) =>
      complain(`task ${task.id} failed: ${task.error?.code ?? 'error'}: ${task.error?.message ?? ''}`),
    );
    forwardWorkerEvents(events, tell);

    worker = createWorker({
      ...(config.workerId === undefined ? {} : { id: config.workerId }),
      store,
      ledger: store,
      registry: store,
      queue,
      kinds: config.kinds,
      concurrency: config.concurrency,
      events,
      handler,
    });
    label = worker.id;
    await worker.start();
  } catch (error) {
    await worker?.stop({ graceMs: 0 }).catch(() => undefined);
    await closeAll();
    if (stopRequested !== undefined) {
      say(`stopped (${stopRequested}) before it was ready`);
      return EXIT.ok;
    }
    complain(`could not start: ${messageOf(error)}`);
    return EXIT.failed;
  }
  say(
    `ready: kinds ${config.kinds.join(', ')}, concurrency ${config.concurrency}, queue prefix ${config.queuePrefix}`,
  );
  tell({ type: 'tasker:ready', workerId: worker.id });

  await new Promise<void>((resolve) => {
    onStopRequest = resolve;
    if (stopRequested !== undefined) resolve();
  });
  say(`${stopRequested}: stopping (${worker.running.length} running, grace ${config.stopGraceMs} ms)`);
  try {
    await worker.stop({ graceMs: config.stopGraceMs });
  } catch (error) {
    complain(`stopping failed: ${messageOf(error)}`);
    await closeAll();
    return EXIT.failed;
  }
  await closeAll();
  say('stopped and deregistered');
  return EXIT.ok;
}

exit(await main());
