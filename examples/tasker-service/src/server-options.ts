import type { Orchestrator, TaskQueue, TaskStore } from '@scanplane/core';
import type { TaskerMetrics } from './metrics.js';
import type { ProjectTokens } from './project-tokens.js';
import type { RunLimits } from './run-request.js';

/**
 * Options of {@link createTaskerServer}: the scanplane parts it serves (already created and started), the token
 * registry, and the HTTP settings.
 *
 * @example
 * ```ts
 * import type { TaskerServerOptions } from './server-options.js';
 * declare const parts: Pick<TaskerServerOptions, 'orchestrator' | 'store' | 'queue' | 'tokens'>;
 * const options: TaskerServerOptions = { ...parts, bodyLimit: 4 * 1024 * 1024, dashboard: false };
 * ```
 */
export interface TaskerServerOptions {
  /** Submits, reports, stops, lists workers, checks health (`createOrchestrator` with the store and the queue). */
  orchestrator: Orchestrator;
  /** The task store the orchestrator uses (the PostgreSQL store): the metrics and the dashboard read it. */
  store: TaskStore;
  /** The queue the orchestrator publishes to (the RabbitMQ queue): its depth is a metric. */
  queue: TaskQueue;
  /** Projects and their bearer tokens (migrated). */
  tokens: ProjectTokens;
  /** Task kinds the workers run, and so the modes a request may name. Default `['tcp-connect', 'nmap']`. */
  kinds?: readonly string[];
  /** Serve HTTPS with this certificate and key (PEM). Default plain HTTP. */
  tls?: {
    /** The certificate chain, PEM. */
    cert: string | Buffer;
    /** The private key, PEM. */
    key: string | Buffer;
  };
  /** Largest request body, in bytes; larger ones are answered 413. Default 8 MiB. */
  bodyLimit?: number;
  /** Caps and task time limits of run requests. Default 65,536 addresses per entry, 1,048,576 per request. */
  limits?: Partial<Omit<RunLimits, 'kinds'>>;
  /** Serve the live dashboard (`@scanplane/example-dashboard`) at `/` and `/dashboard/*`. Default true. */
  dashboard?: boolean;
  /** `/health` fails while no worker is registered. Default true. */
  requireWorkers?: boolean;
  /** Metrics to expose; default new ones over the orchestrator, store and queue (closed with the server). */
  metrics?: TaskerMetrics;
  /** Fastify's logger: `true`, or its options. Default off. */
  logger?: boolean | Record<string, unknown>;
}
