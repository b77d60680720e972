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
import { createWorker, isScanplaneError, type ScanplaneEvents, type Worker } from '@scanplane/core';
import { createPostgresStore, type PostgresStore } from '@scanplane/postgres';
import { createRabbitQueue, type RabbitQueue } from '@scanplane/rabbitmq';
import { EventEmitter } from 'eventemitter3';
import { entrypointTaskHandler } from './entrypoint-task-handler.js';
import { type PullWorkerConfig, readPullWorkerConfig } from './pull-worker-config.js';
import { workerHandlers } from './worker-handlers.js';

/** Exit codes: 0 stopped by a signal, 1 could not start or stop, 2 invalid configuration, 130 a second signal. */
const EXIT = { ok: 0, failed: 1, invalidConfig: 2, forced: 130 } as const;

let label = 'pull-worker';
const say = (line: string): void => {
  process.stdout.write(`[${label}] ${line}\n`);
};
const complain = (line: string): void => {
  process.stderr.write(`[${label}] ${line}\n`);
};
const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** Exits once stdout and stderr are flushed, whatever a handler or a socket left behind. */
function exit(code: number): void {
  process.exitCode = code;
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}

// Signals are caught from the start: one that arrives while the worker is still starting stops it once started.
let signalled: NodeJS.Signals | undefined;
let onStopRequest: (() => void) | undefined;
const onSignal = (signal: NodeJS.Signals): void => {
  if (signalled !== undefined) {
    complain(`${signal} again while stopping: exiting now`);
    exit(EXIT.forced);
    return;
  }
  signalled = signal;
  onStopRequest?.();
};
process.on('SIGTERM', onSignal);
process.on('SIGINT', onSignal);

/** What the worker opened, each closed once (whoever asks first), failures reported but not thrown. */
class Resources {
  queue: RabbitQueue | undefined;
  store: PostgresStore | undefined;
  #closingQueue: Promise<void> | undefined;
  #closingStore: Promise<void> | undefined;

  /** Closes the queue, if open. */
  async closeQueue(): Promise<void> {
    const queue = this.queue;
    if (queue === undefined) return;
    this.#closingQueue ??= queue
      .close()
      .catch((error: unknown) => complain(`closing the queue: ${messageOf(error)}`));
    await this.#closingQueue;
  }

  /** Closes the queue, then the store (what is open of them). */
  async close(): Promise<void> {
    await this.closeQueue();
    const store = this.store;
    if (store === undefined) return;
    this.#closingStore ??= store
      .close()
      .catch((error: unknown) => complain(`closing the store: ${messageOf(error)}`));
    await this.#closingStore;
  }
}

/** Reads the configuration, starts the worker, waits for a signal, stops gracefully; returns the exit code. */
async function main(): Promise<number> {
  const handlers = workerHandlers();
  let config: PullWorkerConfig;
  try {
    config = readPullWorkerConfig(process.env, { knownKinds: Object.keys(handlers) });
  } catch (error) {
    const problems = isScanplaneError(error)
      ? ((error.details['problems'] as Array<{ problem: string }> | undefined) ?? [])
      : [];
    complain('invalid configuration, not starting:');
    for (const { problem } of problems.length > 0 ? problems : [{ problem: messageOf(error) }]) {
      complain(`  ${problem}`);
    }
    return EXIT.invalidConfig;
  }
  if (config.workerId !== undefined) label = `pull-worker ${config.workerId}`;

  const opened = new Resources();
  let worker: Worker | undefined;
  // A signal while starting (a broker that does not answer yet is waited for) closes the queue — or the store, while
  // there is no queue yet — which makes the start fail at once: the worker deregisters (if it got that far) and
  // leaves instead of waiting for Docker's SIGKILL.
  onStopRequest = () => {
    say(`${signalled} while starting: giving up the start`);
    void (opened.queue === undefined ? opened.close() : opened.closeQueue());
  };
  const checkpoint = (): void => {
    if (signalled !== undefined) throw new Error(`${signalled} while starting`);
  };
  try {
    checkpoint();
    const store = await createPostgresStore({
      connectionString: config.databaseUrl,
      schema: config.schema,
      migrate: false, // the deployment migrates (createPostgresStore, `scanplane migrate`), not each worker
      maxConnections: Math.min(50, config.concurrency + 3),
    });
    opened.store = store;
    const health = await store.health();
    checkpoint();
    if (!health.ok) {
      throw new Error(
        `the store is not ready (schema ${config.schema}): ${health.detail}. Is the server reachable from the ` +
          'container (network host, or a network reaching it), and is the schema migrated (`scanplane migrate`)?',
      );
    }
    const queue = createRabbitQueue({
      url: config.amqpUrl,
      prefix: config.queuePrefix,
      kinds: config.kinds,
      queueType: config.queueType,
      ...(config.deliveryLimit === undefined ? {} : { deliveryLimit: config.deliveryLimit }),
    });
    opened.queue = queue;
    queue.events.on('connected', (generation) => {
      if (generation > 1) say(`broker connection back (connection ${generation})`);
    });
    queue.events.on('disconnected', (error) => complain(`broker connection lost: ${error.message}`));
    queue.events.on('reconnecting', (error, delayMs) =>
      complain(`broker not reachable (${error.message}): trying again in ${delayMs} ms`),
    );
    queue.events.on('error', (error) => complain(`queue: ${error.message}`));

    const events = new EventEmitter<ScanplaneEvents>();
    events.on('task:started', (task) =>
      say(`task ${task.id} started (${task.kind}, attempt ${task.attempt})`),
    );
    events.on('task:finished', (task) => say(`task ${task.id} finished`));
    events.on('task:failed', (task) =>
      say(`task ${task.id} failed: ${task.error?.code ?? 'error'}: ${task.error?.message ?? ''}`),
    );
    events.on('task:retry', (task) =>
      say(`task ${task.id} queued again: ${task.error?.code ?? 'error'}: ${task.error?.message ?? ''}`),
    );
    events.on('error', (error) => complain(`worker: ${messageOf(error)}`));

    worker = createWorker({
      ...(config.workerId === undefined ? {} : { id: config.workerId }),
      store,
      ledger: store,
      registry: store,
      queue,
      kinds: config.kinds,
      concurrency: config.concurrency,
      events,
      handler: entrypointTaskHandler(handlers, { log: (taskId, line) => say(`task ${taskId}: ${line}`) }),
    });
    label = `pull-worker ${worker.id}`;
    await worker.start();
  } catch (error) {
    await worker?.stop({ graceMs: 0 }).catch(() => undefined);
    await opened.close();
    if (signalled !== undefined) {
      say(`stopped by ${signalled} before it was ready`);
      return EXIT.ok;
    }
    complain(`could not start: ${messageOf(error)}`);
    return EXIT.failed;
  }
  say(
    `ready: kinds ${config.kinds.join(', ')}, concurrency ${config.concurrency}, schema ${config.schema}, ` +
      `queue prefix ${config.queuePrefix} (${config.queueType}), stop grace ${config.stopGraceMs} ms`,
  );

  await new Promise<void>((resolve) => {
    onStopRequest = resolve;
    if (signalled !== undefined) resolve();
  });
  say(
    `${signalled}: stopping (${worker.running.length} task(s) running, grace ${config.stopGraceMs} ms; ` +
      'unfinished tasks go back to the queue)',
  );
  try {
    await worker.stop({ graceMs: config.stopGraceMs });
  } catch (error) {
    complain(`stopping failed: ${messageOf(error)}`);
    await opened.close();
    return EXIT.failed;
  }
  await opened.close();
  say('stopped and deregistered');
  return EXIT.ok;
}

exit(await main());
