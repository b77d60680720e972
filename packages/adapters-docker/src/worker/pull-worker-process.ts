import {
  createWorker,
  isScanplaneError,
  type ScanplaneEvents,
  type TaskHandler,
  type Worker,
} from '@scanplane/core';
import type { PostgresStore } from '@scanplane/postgres';
import type { RabbitQueue } from '@scanplane/rabbitmq';
import { EventEmitter } from 'eventemitter3';
import { type PullWorkerConfig, readPullWorkerConfig } from './pull-worker-config.js';

/** Exit codes of {@link runPullWorkerProcess}. */
const EXIT = { ok: 0, failed: 1, invalidConfig: 2, forced: 130 } as const;

/**
 * What {@link runPullWorkerProcess} runs: the handler and how the process presents itself. The rest — the
 * configuration (`readPullWorkerConfig`), PostgreSQL, RabbitMQ, `createWorker`, signals, the graceful stop — is the
 * pull worker's.
 *
 * @example
 * ```ts
 * import type { PullWorkerProcessOptions } from '@scanplane/docker';
 * const options: PullWorkerProcessOptions = {
 *   label: (workerId) => workerId ?? 'my-worker',
 *   knownKinds: ['tcp-connect'],
 *   handler: () => async () => ({ ok: true }),
 * };
 * ```
 */
export interface PullWorkerProcessOptions<S = undefined> {
  /** The prefix of every output line (`[label] …`), before the worker has an id (`undefined`) and after. */
  label(workerId: string | undefined): string;
  /** The kinds the handler can run: `SCANPLANE_KINDS` must name only these. */
  knownKinds: readonly string[];
  /** Reads settings beyond the pull worker's from the environment; what it throws is invalid configuration (exit 2). */
  settings?(env: NodeJS.ProcessEnv): S;
  /** The task handler; `log` writes a labelled line to stdout. */
  handler(
    config: PullWorkerConfig,
    settings: S,
    log: (line: string) => void,
  ): TaskHandler | Promise<TaskHandler>;
  /**
   * Which task events get a line: `all` (start, finish, failure and retry, to stdout), `failures` (to stderr) or
   * `none`. Default `all`.
   */
  logTasks?: 'all' | 'failures' | 'none';
  /** More listeners on the worker's events (before it starts). */
  observe?(events: EventEmitter<ScanplaneEvents>): void;
  /** Called once the worker consumes. */
  onReady?(worker: Worker): void;
  /** Also stop when the IPC channel to the parent closes (a worker forked by a service). Default false. */
  stopOnDisconnect?: boolean;
  /** The environment. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
}

/** What the worker opened, each closed once (whoever asks first), failures reported but not thrown. */
class Resources {
  queue: RabbitQueue | undefined;
  store: PostgresStore | undefined;
  #closingQueue: Promise<void> | undefined;
  #closingStore: Promise<void> | undefined;

  constructor(private readonly complain: (line: string) => void) {}

  /** Closes the queue, if open. */
  async closeQueue(): Promise<void> {
    const queue = this.queue;
    if (queue === undefined) return;
    this.#closingQueue ??= queue
      .close()
      .catch((error: unknown) => this.complain(`closing the queue: ${messageOf(error)}`));
    await this.#closingQueue;
  }

  /** Closes the queue, then the store (what is open of them). */
  async close(): Promise<void> {
    await this.closeQueue();
    const store = this.store;
    if (store === undefined) return;
    this.#closingStore ??= store
      .close()
      .catch((error: unknown) => this.complain(`closing the store: ${messageOf(error)}`));
    await this.#closingStore;
  }
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * Exits the process with `code` once stdout and stderr are flushed, whatever a handler or a socket left behind.
 *
 * @example
 * ```ts
 * import { exitAfterFlush, runPullWorkerProcess } from '@scanplane/docker';
 * exitAfterFlush(await runPullWorkerProcess({ label: () => 'w', knownKinds: ['x'], handler: () => async () => ({}) }));
 * ```
 */
export function exitAfterFlush(code: number): void {
  process.exitCode = code;
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}

/**
 * Runs this process as a pull worker: reads the configuration from the environment (`readPullWorkerConfig`; a
 * missing or invalid variable returns 2 at once, naming every problem on stderr), opens PostgreSQL (not migrating)
 * and RabbitMQ (a broker that does not answer yet is waited for), starts `createWorker` with the given handler and
 * waits. SIGTERM or SIGINT (and, with `stopOnDisconnect`, the parent going away) stop it gracefully: no new tasks,
 * running ones get `SCANPLANE_STOP_GRACE_MS` and are then handed back to the queue (a retryable `ABORTED` failure),
 * it deregisters, closes the queue and the store and returns 0. A stop request while it is still starting gives up
 * the start (0); a second signal exits 130 at once; a start that fails otherwise returns 1. The pull worker of the
 * worker image (`PULL_WORKER_ENTRYPOINT`) is this with the image's handlers. It needs `@scanplane/postgres` and
 * `@scanplane/rabbitmq` installed (optional peer dependencies of this package, loaded only here).
 *
 * @returns The exit code, for {@link exitAfterFlush}.
 * @example
 * ```ts
 * import { exitAfterFlush, runPullWorkerProcess } from '@scanplane/docker';
 * import { createTcpConnectScanner } from '@scanplane/core';
 * exitAfterFlush(
 *   await runPullWorkerProcess({
 *     label: (workerId) => workerId ?? 'scanner',
 *     knownKinds: ['tcp-connect'],
 *     handler: () => createTcpConnectScanner(),
 *   }),
 * );
 * ```
 */
export async function runPullWorkerProcess<S = undefined>(
  options: PullWorkerProcessOptions<S>,
): Promise<number> {
  const env = options.env ?? process.env;
  let label = options.label(undefined);
  const say = (line: string): void => {
    process.stdout.write(`[${label}] ${line}\n`);
  };
  const complain = (line: string): void => {
    process.stderr.write(`[${label}] ${line}\n`);
  };

  // Stop requests are caught from the start: one that arrives while the worker is still starting stops it once started.
  let stopRequested: string | undefined;
  let onStopRequest: (() => void) | undefined;
  const requestStop = (why: string): void => {
    if (stopRequested !== undefined) {
      if (why !== 'disconnect') {
        complain(`${why} again while stopping: exiting now`);
        exitAfterFlush(EXIT.forced);
      }
      return;
    }
    stopRequested = why;
    onStopRequest?.();
  };
  const onSigterm = () => requestStop('SIGTERM');
  const onSigint = () => requestStop('SIGINT');
  const onDisconnect = () => requestStop('disconnect');
  process.on('SIGTERM', onSigterm);
  process.on('SIGINT', onSigint);
  if (options.stopOnDisconnect === true) process.on('disconnect', onDisconnect);
  try {
    return await run();
  } finally {
    process.off('SIGTERM', onSigterm);
    process.off('SIGINT', onSigint);
    process.off('disconnect', onDisconnect);
  }

  async function run(): Promise<number> {
    let config: PullWorkerConfig;
    let settings: S;
    try {
      config = readPullWorkerConfig(env, { knownKinds: options.knownKinds });
      settings = options.settings === undefined ? (undefined as S) : options.settings(env);
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
    label = options.label(config.workerId);

    const opened = new Resources(complain);
    let worker: Worker | undefined;
    // A stop request while starting (a broker that does not answer yet is waited for) closes the queue — or the
    // store, while there is no queue yet — which makes the start fail at once: the worker deregisters (if it got that
    // far) and leaves instead of waiting for a SIGKILL.
    onStopRequest = () => {
      say(`${stopRequested} while starting: giving up the start`);
      void (opened.queue === undefined ? opened.close() : opened.closeQueue());
    };
    const checkpoint = (): void => {
      if (stopRequested !== undefined) throw new Error(`${stopRequested} while starting`);
    };
    try {
      checkpoint();
      // Loaded here, not with the package: the launcher's users need neither (both are optional peer dependencies).
      const [{ createPostgresStore }, { createRabbitQueue }] = await Promise.all([
        import('@scanplane/postgres'),
        import('@scanplane/rabbitmq'),
      ]);
      const handler = await options.handler(config, settings, say);
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
          `the store is not ready (schema ${config.schema}): ${health.detail}. Is the server reachable (from a ` +
            'container: network host, or a network reaching it), and is the schema migrated (`scanplane migrate`)?',
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
      const logTasks = options.logTasks ?? 'all';
      if (logTasks === 'all') {
        events.on('task:started', (task) =>
          say(`task ${task.id} started (${task.kind}, attempt ${task.attempt})`),
        );
        events.on('task:finished', (task) => say(`task ${task.id} finished`));
        events.on('task:retry', (task) =>
          say(`task ${task.id} queued again: ${task.error?.code ?? 'error'}: ${task.error?.message ?? ''}`),
        );
      }
      if (logTasks !== 'none') {
        const write = logTasks === 'all' ? say : complain;
        events.on('task:failed', (task) =>
          write(`task ${task.id} failed: ${task.error?.code ?? 'error'}: ${task.error?.message ?? ''}`),
        );
      }
      events.on('error', (error) => complain(`worker: ${messageOf(error)}`));
      options.observe?.(events);

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
      label = options.label(worker.id);
      await worker.start();
    } catch (error) {
      await worker?.stop({ graceMs: 0 }).catch(() => undefined);
      await opened.close();
      if (stopRequested !== undefined) {
        say(`stopped by ${stopRequested} before it was ready`);
        return EXIT.ok;
      }
      complain(`could not start: ${messageOf(error)}`);
      return EXIT.failed;
    }
    say(
      `ready: kinds ${config.kinds.join(', ')}, concurrency ${config.concurrency}, schema ${config.schema}, ` +
        `queue prefix ${config.queuePrefix} (${config.queueType}), stop grace ${config.stopGraceMs} ms`,
    );
    options.onReady?.(worker);

    await new Promise<void>((resolve) => {
      onStopRequest = resolve;
      if (stopRequested !== undefined) resolve();
    });
    say(
      `${stopRequested}: stopping (${worker.running.length} task(s) running, grace ${config.stopGraceMs} ms; ` +
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
}
