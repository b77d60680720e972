import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { routeSchemas } from '../api-schemas.js';
import { authorizeAdmin } from '../auth.js';
import type { ProjectTokens } from '../project-tokens.js';

/**
 * Registers `POST /projects/{project}/tokens` (admin token only): creates the project if it does not exist and a
 * new token for it, answered once (201) — only its SHA-256 is kept.
 *
 * @example
 * ```ts
 * import { registerTokenRoutes } from './routes/token-routes.js';
 * declare const app: import('fastify').FastifyInstance;
 * declare const context: Parameters<typeof registerTokenRoutes>[1];
 * registerTokenRoutes(app, context);
 * ```
 */
export function registerTokenRoutes(
  app: FastifyInstance,
  context: { tokens: ProjectTokens; schemas: ReturnType<typeof routeSchemas> },
): void {
  const { tokens } = context;
  const onRequest = async (request: FastifyRequest): Promise<void> => {
    await authorizeAdmin(tokens, request.headers.authorization);
  };
  app.post(
    '/projects/:project/tokens',
    { schema: context.schemas.createToken, onRequest },
    async (request, reply) => {
      const { project } = request.params as { project: string };
      const issued = await tokens.createToken(project);
      return reply.status(201).send(issued);
    },
  );
}
