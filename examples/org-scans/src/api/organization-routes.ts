import { ScanplaneError } from '@scanplane/core';
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from './api-context.js';
import { type OrganizationInput, toOrganization } from './organization-input.js';
import { checkBodyId, notFound } from './record-ids.js';
import {
  errorReplies,
  idParams,
  organizationBody,
  organizationListQuery,
  organizationReply,
} from './schemas.js';

/**
 * Organizations CRUD (Crossfeed's `/organizations`): list (optionally by tag), create (409 `CONFLICT` if the id is
 * taken), read, replace, delete. Scopes are checked with the core's target parser.
 *
 * @example
 * ```ts
 * import { fastify } from 'fastify';
 * import { organizationRoutes } from './organization-routes.js';
 * declare const context: import('./api-context.js').ApiContext;
 * await fastify().register(organizationRoutes(context));
 * ```
 */
export function organizationRoutes(context: ApiContext) {
  const { store } = context;
  return async (app: FastifyInstance): Promise<void> => {
    app.get<{ Querystring: { tag?: string } }>(
      '/organizations',
      {
        schema: {
          querystring: organizationListQuery,
          response: { 200: { type: 'array', items: organizationReply }, ...errorReplies },
        },
      },
      async (request) => {
        const all = await store.listOrganizations();
        const { tag } = request.query;
        return tag === undefined ? all : all.filter((organization) => organization.tags.includes(tag));
      },
    );

    app.post<{ Body: OrganizationInput }>(
      '/organizations',
      { schema: { body: organizationBody, response: { 201: organizationReply, ...errorReplies } } },
      async (request, reply) => {
        const organization = toOrganization(request.body);
        if ((await store.getOrganization(organization.id)) !== undefined) {
          throw new ScanplaneError(
            'CONFLICT',
            `organization ${organization.id} exists: PUT it to change it`,
            {
              details: { where: 'body/id', id: organization.id },
            },
          );
        }
        return reply.code(201).send(await store.putOrganization(organization));
      },
    );

    app.get<{ Params: { id: string } }>(
      '/organizations/:id',
      { schema: { params: idParams, response: { 200: organizationReply, ...errorReplies } } },
      async (request) => {
        const organization = await store.getOrganization(request.params.id);
        if (organization === undefined) throw notFound('organization', request.params.id);
        return organization;
      },
    );

    app.put<{ Params: { id: string }; Body: OrganizationInput }>(
      '/organizations/:id',
      {
        schema: {
          params: idParams,
          body: organizationBody,
          response: { 200: organizationReply, ...errorReplies },
        },
      },
      async (request) => {
        const { id } = request.params;
        checkBodyId(request.body.id, id);
        if ((await store.getOrganization(id)) === undefined) throw notFound('organization', id);
        return store.putOrganization(toOrganization(request.body, id));
      },
    );

    app.delete<{ Params: { id: string } }>(
      '/organizations/:id',
      { schema: { params: idParams, response: errorReplies } },
      async (request, reply) => {
        if (!(await store.deleteOrganization(request.params.id)))
          throw notFound('organization', request.params.id);
        return reply.code(204).send();
      },
    );
  };
}
