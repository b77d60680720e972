import type { HealthReport, Orchestrator } from '@scanplane/core';
import type { FastifyInstance } from 'fastify';
import type { routeSchemas } from '../api-schemas.js';

/**
 * Checks everything for real: the orchestrator's components (PostgreSQL as the store, ledger and registry; RabbitMQ
 * as the queue) and, unless `requireWorkers` is false, that at least one worker is registered and seen recently.
 *
 * @example
 * ```ts
 * import { checkHealth } from './routes/health-route.js';
 * declare const orchestrator: import('@scanplane/core').Orchestrator;
 * const { ok, failing } = await checkHealth(orchestrator, true);
 * ```
 */
export async function checkHealth(orchestrator: Orchestrator, requireWorkers: boolean) {
  const health = await orchestrator.health();
  const components: HealthReport[] = [...health.components];
  const started = Date.now();
  try {
    const workers = await orchestrator.workers();
    const kinds = [...new Set(workers.flatMap((worker) => worker.kinds))].sort();
    components.push({
      component: 'workers',
      ok: workers.length > 0 || !requireWorkers,
      detail:
        workers.length === 0
          ? 'no worker is registered'
          : `${workers.length} worker(s) registered${kinds.length > 0 ? ` (kinds ${kinds.join(', ')})` : ''}`,
      latencyMs: Date.now() - started,
    });
  } catch (error) {
    components.push({
      component: 'workers',
      ok: false,
      detail: `the worker registry could not be read: ${(error as Error).message}`,
      latencyMs: Date.now() - started,
    });
  }
  const failing = components.filter((component) => !component.ok).map((component) => component.component);
  const ok = failing.length === 0;
  return { ok, status: ok ? ('ok' as const) : ('unavailable' as const), components, failing };
}

/**
 * Registers `GET /health` (open, no token): 200 when every part is fine, 503 naming the failing parts.
 *
 * @example
 * ```ts
 * import { registerHealthRoute } from './routes/health-route.js';
 * declare const app: import('fastify').FastifyInstance;
 * declare const context: Parameters<typeof registerHealthRoute>[1];
 * registerHealthRoute(app, context);
 * ```
 */
export function registerHealthRoute(
  app: FastifyInstance,
  context: { orchestrator: Orchestrator; requireWorkers: boolean; schemas: ReturnType<typeof routeSchemas> },
): void {
  app.get('/health', { schema: context.schemas.health }, async (_request, reply) => {
    const health = await checkHealth(context.orchestrator, context.requireWorkers);
    return reply.status(health.ok ? 200 : 503).send(health);
  });
}
