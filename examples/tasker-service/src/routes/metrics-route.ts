import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { routeSchemas } from '../api-schemas.js';
import { authorizeAdmin } from '../auth.js';
import type { TaskerMetrics } from '../metrics.js';
import type { ProjectTokens } from '../project-tokens.js';

/**
 * Registers `GET /metrics`: the Prometheus text exposition of {@link TaskerMetrics}. It needs the admin token, since
 * it counts the tasks of every project.
 *
 * @example
 * ```ts
 * import { registerMetricsRoute } from './routes/metrics-route.js';
 * declare const app: import('fastify').FastifyInstance;
 * declare const context: Parameters<typeof registerMetricsRoute>[1];
 * registerMetricsRoute(app, context);
 * ```
 */
export function registerMetricsRoute(
  app: FastifyInstance,
  context: { metrics: TaskerMetrics; tokens: ProjectTokens; schemas: ReturnType<typeof routeSchemas> },
): void {
  const { metrics, tokens } = context;
  const onRequest = async (request: FastifyRequest): Promise<void> => {
    await authorizeAdmin(tokens, request.headers.authorization);
  };
  app.get('/metrics', { schema: context.schemas.metrics, onRequest }, async (_request, reply) => {
    const body = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(body);
  });
}
