import type { Orchestrator, WorkerInfo } from '@scanplane/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { routeSchemas } from '../api-schemas.js';
import { authenticate } from '../auth.js';
import type { ProjectTokens } from '../project-tokens.js';

/** A worker as the API shows it: what runs it and how busy it is, never the ids of other projects' tasks. */
function workerView(worker: WorkerInfo) {
  return {
    id: worker.id,
    hostname: worker.hostname,
    addresses: worker.addresses,
    kinds: worker.kinds,
    capacity: worker.capacity,
    running: worker.currentTasks.length,
    startedAt: new Date(worker.startedAt).toISOString(),
    lastSeenAt: new Date(worker.lastSeenAt).toISOString(),
  };
}

/**
 * Registers `GET /workers` (the workers seen recently) and `GET /workers/ips` (Tasker's shape: by worker, its
 * hostname, first address and last-seen time). Both need a valid token, of any project, or the admin token.
 *
 * @example
 * ```ts
 * import { registerWorkerRoutes } from './routes/worker-routes.js';
 * declare const app: import('fastify').FastifyInstance;
 * declare const context: Parameters<typeof registerWorkerRoutes>[1];
 * registerWorkerRoutes(app, context);
 * ```
 */
export function registerWorkerRoutes(
  app: FastifyInstance,
  context: { orchestrator: Orchestrator; tokens: ProjectTokens; schemas: ReturnType<typeof routeSchemas> },
): void {
  const { orchestrator, tokens, schemas } = context;
  const onRequest = async (request: FastifyRequest): Promise<void> => {
    await authenticate(tokens, request.headers.authorization);
  };
  app.get('/workers', { schema: schemas.workers, onRequest }, async () => {
    const workers = await orchestrator.workers();
    return { count: workers.length, workers: workers.map(workerView) };
  });
  app.get('/workers/ips', { schema: schemas.workerIps, onRequest }, async () => {
    const workers = await orchestrator.workers();
    return {
      workers: Object.fromEntries(
        workers.map((worker) => [
          worker.id,
          {
            hostname: worker.hostname,
            ip: worker.addresses[0] ?? 'unknown',
            ips: worker.addresses,
            last_seen: Math.floor(worker.lastSeenAt / 1000),
          },
        ]),
      ),
    };
  });
}
