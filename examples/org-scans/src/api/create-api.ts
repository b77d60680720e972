import { type FastifyInstance, fastify } from 'fastify';
import type { ApiContext } from './api-context.js';
import { registerDashboard } from './dashboard.js';
import { handleError, sendError } from './error-reply.js';
import { operatorAuth } from './operator-auth.js';
import { organizationRoutes } from './organization-routes.js';
import { scanRoutes } from './scan-routes.js';
import { scanTaskRoutes } from './scan-task-routes.js';
import { schedulerRoutes } from './scheduler-routes.js';

/**
 * Options of {@link createApi}.
 *
 * @example
 * ```ts
 * import type { ApiOptions } from './create-api.js';
 * declare const context: import('./api-context.js').ApiContext;
 * const options: ApiOptions = { ...context, operatorToken: 'a-long-operator-token', project: 'org-scans' };
 * ```
 */
export interface ApiOptions extends ApiContext {
  /** The operators' bearer token. */
  operatorToken: string;
  /** The scheduler's project, which the dashboard shows. */
  project: string;
  /** Fastify's request log. Default off. */
  logger?: boolean;
}

/**
 * The operators' HTTP API (Crossfeed's, on Fastify): organizations and scans CRUD, manual runs, the scheduler's
 * invoke and explain, scan task search, logs and kill — every route behind `Authorization: Bearer <operator
 * token>`, every request checked against its JSON schema (unknown fields refused), every error a typed answer
 * `{ error: { code, message, details } }` with a `ScanplaneError` code. The live dashboard
 * (`@scanplane/example-dashboard`) is registered beside it with its own authorisation.
 *
 * @example
 * ```ts
 * import { createApi } from './create-api.js';
 * declare const context: import('./api-context.js').ApiContext;
 * const app = await createApi({ ...context, operatorToken: 'a-long-operator-token', project: 'org-scans' });
 * await app.listen({ host: '127.0.0.1', port: 8787 });
 * ```
 */
export async function createApi(options: ApiOptions): Promise<FastifyInstance> {
  const app = fastify({
    logger: options.logger ?? false,
    // Strict requests: an unknown field is an error, not silently dropped.
    ajv: { customOptions: { removeAdditional: false } },
  });
  app.setErrorHandler(handleError);
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, 404, 'NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`, {
      where: 'url',
    }),
  );
  const context: ApiContext = options;
  await app.register(async (api) => {
    api.addHook('onRequest', operatorAuth(options.operatorToken));
    await api.register(organizationRoutes(context));
    await api.register(scanRoutes(context));
    await api.register(schedulerRoutes(context));
    await api.register(scanTaskRoutes(context));
  });
  await registerDashboard(app, {
    store: options.store,
    project: options.project,
    operatorToken: options.operatorToken,
  });
  return app;
}
