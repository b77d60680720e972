import {
  type Clock,
  createOrchestrator,
  createScheduler,
  isScanplaneError,
  type Orchestrator,
  ScanplaneError,
  type Scheduler,
  systemClock,
  type TaskLauncher,
} from '@scanplane/core';
import {
  createPostgresLock,
  createPostgresStore,
  type PostgresLock,
  type PostgresStore,
} from '@scanplane/postgres';
import type { FastifyInstance } from 'fastify';
import { createApi } from './api/create-api.js';
import { redactUrl } from './config/deployment-config.js';
import { SCAN_TYPE_NAMES } from './scan-types.js';

/** The project of every scheduled task (the dashboard shows it). */
export const PROJECT = 'org-scans';

/**
 * Options of {@link createDeployment}.
 *
 * @example
 * ```ts
 * import type { DeploymentOptions } from './deployment.js';
 * declare const launcher: import('@scanplane/core').TaskLauncher;
 * const options: DeploymentOptions = {
 *   databaseUrl: 'postgres://postgres@127.0.0.1:5432/postgres', schema: 'org_scans',
 *   launcher: () => launcher, operatorToken: 'a-long-operator-token',
 * };
 * ```
 */
export interface DeploymentOptions {
  /** PostgreSQL. */
  databaseUrl: string;
  /** The deployment's own schema (migrated at start). */
  schema: string;
  /** Makes the launcher, given the store (the Docker launcher reconciles against it). */
  launcher: (store: PostgresStore) => TaskLauncher;
  /** The operators' bearer token. */
  operatorToken: string;
  /** Seconds between scheduler ticks once started. Default 60. */
  tickSeconds?: number;
  /** Most tasks running at once (scheduler `limit` and orchestrator `maxConcurrent`). Default 8. */
  maxConcurrency?: number;
  /** Organizations per task. Default 2. */
  organizationsPerTask?: number;
  /** Default the system clock. */
  clock?: Clock;
  /** Fastify's request log. Default off. */
  logger?: boolean;
}

/**
 * A running org-scans deployment: Crossfeed's, on scanplane.
 *
 * @example
 * ```ts
 * import type { Deployment } from './deployment.js';
 * declare const deployment: Deployment;
 * const report = await deployment.scheduler.tick();
 * ```
 */
export interface Deployment {
  /** Organizations, scans, tasks, history: PostgreSQL. */
  readonly store: PostgresStore;
  /** The scheduler's advisory lock (one tick at a time across processes). */
  readonly lock: PostgresLock;
  /** Where workers run. */
  readonly launcher: TaskLauncher;
  /** Applies launcher events, reaps time limits, launches queued tasks as capacity frees, cancels for real. */
  readonly orchestrator: Orchestrator;
  /** Crossfeed's scheduler, under the lock. */
  readonly scheduler: Scheduler;
  /** The operators' API and the dashboard (not listening until {@link Deployment.listen}). */
  readonly api: FastifyInstance;
  /**
   * Starts the orchestrator's loops (if not yet started: start it before any launch, so it sees every container's
   * events) and the scheduler's ticks (a tick now, then every `tickSeconds`).
   */
  start(): void;
  /** Listens; returns the base URL. */
  listen(host: string, port: number): Promise<string>;
  /**
   * Stops the API, the scheduler, the orchestrator and the launcher (running containers are left to their own end,
   * as after a restart; the next start reconciles them). The store stays open until {@link Deployment.close}.
   */
  stop(): Promise<void>;
  /** Stops everything ({@link Deployment.stop}) and closes the store. */
  close(): Promise<void>;
}

/**
 * Builds the deployment: the PostgreSQL store on its own schema (migrated), the advisory lock on the same pool,
 * the launcher, an orchestrator in push mode with `maxConcurrent` equal to the scheduler's `limit` (both count the
 * store's requested and started tasks), the scheduler (knowing this deployment's scan types, sharing the
 * orchestrator's task events) and the API with the dashboard.
 *
 * @throws {@link ScanplaneError} `UNAVAILABLE` when PostgreSQL does not answer (saying how to start it).
 * @example
 * ```ts
 * import { createDeployment } from './deployment.js';
 * declare const launcher: import('@scanplane/core').TaskLauncher;
 * const deployment = await createDeployment({
 *   databaseUrl: 'postgres://postgres@127.0.0.1:5432/postgres', schema: 'org_scans',
 *   launcher: () => launcher, operatorToken: 'a-long-operator-token',
 * });
 * deployment.start();
 * ```
 */
export async function createDeployment(options: DeploymentOptions): Promise<Deployment> {
  const clock = options.clock ?? systemClock;
  const limit = options.maxConcurrency ?? 8;
  let store: PostgresStore;
  try {
    store = await createPostgresStore({
      connectionString: options.databaseUrl,
      schema: options.schema,
      maxConnections: 12,
    });
  } catch (error) {
    if (isScanplaneError(error) && error.code === 'UNAVAILABLE') {
      throw new ScanplaneError(
        'UNAVAILABLE',
        `PostgreSQL at ${redactUrl(options.databaseUrl)} does not answer (${error.message}). Start it ` +
          '(apt-get install -y postgresql && pg_ctlcluster 15 main start), or set DATABASE_URL to a running server.',
        { cause: error, details: { where: 'DATABASE_URL' } },
      );
    }
    throw error;
  }
  const lock = createPostgresLock({ pool: store.pool, schema: options.schema });
  let launcher: TaskLauncher;
  try {
    launcher = options.launcher(store);
  } catch (error) {
    await store.close();
    throw error;
  }
  const orchestrator = createOrchestrator({
    store,
    ledger: store,
    registry: store,
    launcher,
    clock,
    maxConcurrent: limit,
    intervalMs: 1000,
  });
  const scheduler = createScheduler({
    store,
    launcher,
    lock,
    clock,
    limit,
    project: PROJECT,
    intervalMs: (options.tickSeconds ?? 60) * 1000,
    organizationsPerTask: options.organizationsPerTask ?? 2,
    knownTypes: SCAN_TYPE_NAMES,
    taskEvents: orchestrator.events,
  });
  const api = await createApi({
    store,
    orchestrator,
    scheduler,
    launcher,
    clock,
    operatorToken: options.operatorToken,
    project: PROJECT,
    logger: options.logger ?? false,
  });
  let stopped: Promise<void> | undefined;
  let closed: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      await api.close();
      await scheduler.close();
      await orchestrator.close();
      await launcher.close();
    })());
  return {
    store,
    lock,
    launcher,
    orchestrator,
    scheduler,
    api,
    start() {
      orchestrator.start();
      scheduler.start();
    },
    async listen(host, port) {
      await api.listen({ host, port });
      const address = api.server.address();
      const bound = typeof address === 'object' && address !== null ? address.port : port;
      return `http://${host.includes(':') ? `[${host}]` : host}:${bound}`;
    },
    stop,
    close() {
      closed ??= stop().then(() => store.close());
      return closed;
    },
  };
}
