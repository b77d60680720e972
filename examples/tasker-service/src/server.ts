import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance } from 'fastify';
import { errorSchema, routeSchemas } from './api-schemas.js';
import { dashboardAccess } from './auth.js';
import { errorAnswer, httpError } from './http-errors.js';
import { checkKindOptions } from './kind-checks.js';
import { createTaskerMetrics } from './metrics.js';
import { registerHealthRoute } from './routes/health-route.js';
import { registerMetricsRoute } from './routes/metrics-route.js';
import { registerTaskRoutes } from './routes/task-routes.js';
import { registerTokenRoutes } from './routes/token-routes.js';
import { registerWorkerRoutes } from './routes/worker-routes.js';
import type { RunLimits } from './run-request.js';
import type { TaskerServerOptions } from './server-options.js';

export type { TaskerServerOptions } from './server-options.js';

/** Default kinds: the core's TCP connect scanner and Tasker's two-phase nmap scan. */
export const DEFAULT_KINDS: readonly string[] = ['tcp-connect', 'nmap'];
/** Default largest request body: 8 MiB (about 500,000 addresses written out one by one). */
export const DEFAULT_BODY_LIMIT = 8 * 1024 * 1024;

/**
 * Creates Falcoria Tasker's HTTP API over scanplane, as a Fastify instance that is not listening yet (call
 * `listen`, or `inject` in tests):
 * - `POST /tasks/{project}/run` and Tasker's `/run-nmap`: submit targets (`orchestrator.submit`), answering the
 *   preparation summary and how many tasks were created or were already queued;
 * - `GET /tasks/{project}/status`, `POST /tasks/{project}/stop` and Tasker's `GET /tasks/{project}/stop-nmap`;
 * - `GET /workers`, `GET /workers/ips`, `GET /health` (checks PostgreSQL, RabbitMQ and the workers for real),
 *   `GET /metrics` (Prometheus), `POST /projects/{project}/tokens` (the admin issues a project token);
 * - the OpenAPI document at `/docs/json` and Swagger UI at `/docs` (assets served locally);
 * - the live dashboard at `/` and `/dashboard/*` (unless `dashboard: false`).
 *
 * Every error is JSON `{ statusCode, code, reason?, message, retryable, details }` with a scanplane error code;
 * the HTTP status comes from one table (`http-errors.ts`). Unknown body fields are refused, not dropped.
 *
 * @example
 * ```ts
 * import { createTaskerServer } from './server.js';
 * declare const options: import('./server-options.js').TaskerServerOptions;
 * const app = createTaskerServer(options);
 * await app.listen({ port: 8001, host: '127.0.0.1' });
 * ```
 */
export function createTaskerServer(options: TaskerServerOptions): FastifyInstance {
  const kinds = options.kinds ?? DEFAULT_KINDS;
  const limits: RunLimits = {
    kinds,
    maxAddressesPerEntry: options.limits?.maxAddressesPerEntry ?? 65_536,
    maxAddressesPerRequest: options.limits?.maxAddressesPerRequest ?? 1_048_576,
    ...(options.limits?.timeouts === undefined ? {} : { timeouts: options.limits.timeouts }),
    checkKindOptions: options.limits?.checkKindOptions ?? checkKindOptions,
  };
  const app = Fastify({
    ...(options.tls === undefined ? {} : { https: { cert: options.tls.cert, key: options.tls.key } }),
    bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
    logger: options.logger ?? false,
    // Refuse unknown fields instead of dropping them, and never coerce types: what is sent is what is checked.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: true } },
  }) as unknown as FastifyInstance;
  // JSON only: a text/plain body is answered 415 rather than parsed into a string.
  app.removeContentTypeParser('text/plain');
  const { orchestrator, tokens } = options;
  const metrics =
    options.metrics ??
    createTaskerMetrics({
      orchestrator,
      store: options.store,
      queue: options.queue,
      projects: () => tokens.projects(),
      kinds,
    });
  if (options.metrics === undefined) app.addHook('onClose', async () => metrics.close());

  app.setErrorHandler(async (error, request, reply) => {
    const body = errorAnswer(error);
    if (body.statusCode >= 500) request.log.error({ err: error }, 'request failed');
    return reply.status(body.statusCode).send(body);
  });
  app.setNotFoundHandler(async (request, reply) => {
    const body = errorAnswer(
      httpError('NOT_FOUND', 'unknown_route', `no route ${request.method} ${request.url.split('?')[0]}`),
    );
    return reply.status(body.statusCode).send(body);
  });
  app.addSchema(errorSchema);

  const schemas = routeSchemas(kinds);
  app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'scanplane Tasker service',
        description:
          "Falcoria Tasker's HTTP API on scanplane: submit targets per project, follow and stop the scans, list workers. " +
          'Authenticate with `Authorization: Bearer <token>` (a project token, or the admin token).',
        version: '1.0.0',
      },
      tags: [
        { name: 'tasks', description: 'Submit, follow and stop the scans of a project' },
        { name: 'workers', description: 'The scan workers' },
        { name: 'projects', description: 'Projects and their tokens' },
        { name: 'operations', description: 'Health and metrics' },
      ],
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', description: 'a project or admin token' },
        },
      },
    },
  });
  app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list', deepLinking: true } });
  app.register(async (api) => {
    registerTaskRoutes(api, { orchestrator, tokens, limits, schemas });
    registerWorkerRoutes(api, { orchestrator, tokens, schemas });
    registerHealthRoute(api, { orchestrator, requireWorkers: options.requireWorkers ?? true, schemas });
    registerMetricsRoute(api, { metrics, tokens, schemas });
    registerTokenRoutes(api, { tokens, schemas });
  });
  if (options.dashboard ?? true) {
    app.register(async (scope) => {
      // Loaded only when served, so a deployment without it needs nothing of it.
      const { dashboardPlugin } = await import('@scanplane/example-dashboard');
      await scope.register(dashboardPlugin, {
        store: options.store,
        projects: () => tokens.projects(),
        authorize: (token: string) => dashboardAccess(tokens, token),
        submitPath: (project: string) => `/tasks/${encodeURIComponent(project)}/run`,
        stopPath: (project: string) => `/tasks/${encodeURIComponent(project)}/stop`,
      });
    });
  }
  return app;
}
