import { createOrchestrator, type Orchestrator, type TaskTimeouts } from '@scanplane/core';
import { createPostgresStore, type PostgresStore } from '@scanplane/postgres';
import { createRabbitQueue, type RabbitQueue } from '@scanplane/rabbitmq';
import type { FastifyInstance } from 'fastify';
import { createProjectTokens, type ProjectTokens } from './project-tokens.js';
import { createTaskerServer, DEFAULT_KINDS } from './server.js';
import type { TaskerServerOptions } from './server-options.js';
import { createWorkerPool, type WorkerPool, type WorkerPoolOptions } from './worker-pool.js';

/**
 * Options of {@link startTaskerService}: where PostgreSQL and RabbitMQ are, the names this deployment uses on them,
 * the workers, and the HTTP server's settings.
 *
 * @example
 * ```ts
 * import type { TaskerServiceOptions } from './service.js';
 * const options: TaskerServiceOptions = {
 *   databaseUrl: 'postgres://postgres@127.0.0.1:5432/postgres',
 *   amqpUrl: 'amqp://guest:guest@127.0.0.1:5672',
 *   workers: 2,
 * };
 * ```
 */
export interface TaskerServiceOptions
  extends Pick<TaskerServerOptions, 'tls' | 'bodyLimit' | 'dashboard' | 'logger' | 'requireWorkers'> {
  /** The PostgreSQL server (`postgres://…`). */
  databaseUrl: string;
  /** The RabbitMQ broker (`amqp://…`). */
  amqpUrl: string;
  /** The scanplane store's schema (tasks, coverage, workers). Default `scanplane`. */
  storeSchema?: string;
  /** The service's own schema (projects, token hashes). Default `tasker`. */
  serviceSchema?: string;
  /** The RabbitMQ prefix of every exchange and queue. Default `tasker`. */
  queuePrefix?: string;
  /** The operator's token (at least 16 characters). */
  adminToken?: string;
  /** Kinds the workers run. Default `['tcp-connect', 'nmap']`. */
  kinds?: readonly string[];
  /** Worker processes forked. Default 2. */
  workers?: number;
  /** Tasks each worker runs at once. Default 16. */
  workerConcurrency?: number;
  /** Fork a worker again when it dies. Default true. */
  restartWorkers?: boolean;
  /** Where worker output goes (default this process's stdout and stderr). */
  workerOutput?: WorkerPoolOptions['output'];
  /** TCP connect timeout per probe, in milliseconds (workers). Default the scanner's, 1000. */
  tcpTimeoutMs?: number;
  /** Time limits of every task (the lease after which a silent worker's task is retried, …). */
  taskTimeouts?: Partial<TaskTimeouts>;
  /** How often the reaper checks leases and time limits. Default 5000 ms. */
  reaperIntervalMs?: number;
  /** Workers unseen this long are left out of `/workers` and `/health`. Default 90000 ms. */
  staleWorkerMs?: number;
  /** Connections of the service's PostgreSQL pool. Default 10. */
  maxConnections?: number;
  /** Errors of the orchestrator's background loops (they carry on). Default: a line on stderr. */
  onBackgroundError?: (error: Error) => void;
}

/**
 * A running Tasker service: the scanplane parts, the worker processes and the HTTP server (not listening until
 * `listen`).
 *
 * @example
 * ```ts
 * import type { TaskerService } from './service.js';
 * async function serve(service: TaskerService) {
 *   console.log(await service.listen({ port: 8001 }));
 * }
 * ```
 */
export interface TaskerService {
  /** The Fastify instance (`inject` works before `listen`). */
  readonly app: FastifyInstance;
  /** The orchestrator, started (reaper running). */
  readonly orchestrator: Orchestrator;
  /** The PostgreSQL store: tasks, ledger, worker registry. */
  readonly store: PostgresStore;
  /** The RabbitMQ queue the orchestrator publishes to. */
  readonly queue: RabbitQueue;
  /** Projects and tokens. */
  readonly tokens: ProjectTokens;
  /** The worker processes. */
  readonly workers: WorkerPool;
  /** Starts listening; returns the base URL (`http://127.0.0.1:8001` or `https://…`). */
  listen(options?: { port?: number; host?: string }): Promise<string>;
  /** Stops in order: the HTTP server, the workers (gracefully), the orchestrator, the queue, the store. */
  close(): Promise<void>;
}

/**
 * Starts everything one command needs: migrates the store's and the service's schemas, connects to RabbitMQ,
 * starts the orchestrator (with its reaper), forks the worker processes and waits until they are ready, and creates
 * the HTTP server. On failure, whatever was started is stopped again.
 *
 * @throws `ScanplaneError` `UNAVAILABLE` when PostgreSQL or RabbitMQ cannot be reached or a worker does not start.
 * @example
 * ```ts
 * import { startTaskerService } from './service.js';
 * const service = await startTaskerService({ databaseUrl: 'postgres://postgres@127.0.0.1:5432/postgres', amqpUrl: 'amqp://guest:guest@127.0.0.1:5672' });
 * const url = await service.listen({ port: 8001 });
 * ```
 */
export async function startTaskerService(options: TaskerServiceOptions): Promise<TaskerService> {
  const kinds = options.kinds ?? DEFAULT_KINDS;
  const storeSchema = options.storeSchema ?? 'scanplane';
  const queuePrefix = options.queuePrefix ?? 'tasker';
  const closers: Array<() => Promise<void>> = [];
  const closeAll = async (): Promise<void> => {
    for (const close of closers.splice(0).reverse()) await close().catch(() => undefined);
  };
  try {
    const store = await createPostgresStore({
      connectionString: options.databaseUrl,
      schema: storeSchema,
      maxConnections: options.maxConnections ?? 10,
    });
    closers.push(() => store.close());
    const tokens = createProjectTokens({
      pool: store.pool,
      schema: options.serviceSchema ?? 'tasker',
      ...(options.adminToken === undefined ? {} : { adminToken: options.adminToken }),
    });
    await tokens.migrate();
    const queue = createRabbitQueue({ url: options.amqpUrl, prefix: queuePrefix, kinds });
    closers.push(() => queue.close());
    await queue.connect();
    const orchestrator = createOrchestrator({
      store,
      ledger: store,
      registry: store,
      queue,
      intervalMs: options.reaperIntervalMs ?? 5000,
      ...(options.staleWorkerMs === undefined ? {} : { staleWorkerMs: options.staleWorkerMs }),
    });
    orchestrator.events.on(
      'error',
      options.onBackgroundError ??
        ((error) =>
          process.stderr.write(`tasker-service: background error (carrying on): ${error.message}\n`)),
    );
    orchestrator.start();
    closers.push(() => orchestrator.close());
    const workers = createWorkerPool({
      count: options.workers ?? 2,
      events: orchestrator.events,
      ...(options.restartWorkers === undefined ? {} : { restart: options.restartWorkers }),
      ...(options.workerOutput === undefined ? {} : { output: options.workerOutput }),
      env: {
        SCANPLANE_DATABASE_URL: options.databaseUrl,
        SCANPLANE_SCHEMA: storeSchema,
        SCANPLANE_AMQP_URL: options.amqpUrl,
        SCANPLANE_QUEUE_PREFIX: queuePrefix,
        SCANPLANE_KINDS: kinds.join(','),
        SCANPLANE_CONCURRENCY: String(options.workerConcurrency ?? 16),
        SCANPLANE_STOP_GRACE_MS: '10000',
        ...(options.tcpTimeoutMs === undefined
          ? {}
          : { TASKER_TCP_TIMEOUT_MS: String(options.tcpTimeoutMs) }),
      },
    });
    closers.push(() => workers.stop());
    await workers.start();
    const app = createTaskerServer({
      orchestrator,
      store,
      queue,
      tokens,
      kinds,
      ...(options.taskTimeouts === undefined ? {} : { limits: { timeouts: options.taskTimeouts } }),
      ...(options.tls === undefined ? {} : { tls: options.tls }),
      ...(options.bodyLimit === undefined ? {} : { bodyLimit: options.bodyLimit }),
      ...(options.dashboard === undefined ? {} : { dashboard: options.dashboard }),
      ...(options.logger === undefined ? {} : { logger: options.logger }),
      ...(options.requireWorkers === undefined ? {} : { requireWorkers: options.requireWorkers }),
    });
    closers.push(() => app.close());
    return {
      app,
      orchestrator,
      store,
      queue,
      tokens,
      workers,
      async listen(listenOptions = {}) {
        await app.listen({ port: listenOptions.port ?? 8001, host: listenOptions.host ?? '127.0.0.1' });
        const address = app.server.address();
        const port = typeof address === 'object' && address !== null ? address.port : listenOptions.port;
        const host = listenOptions.host ?? '127.0.0.1';
        const shown = host.includes(':') ? `[${host}]` : host;
        return `${options.tls === undefined ? 'http' : 'https'}://${shown}:${port}`;
      },
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
