import { ScanplaneError } from '@scanplane/core';
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from './api-context.js';
import { checkBodyId, notFound } from './record-ids.js';
import { type ScanInput, selects, toScanDefinition } from './scan-input.js';
import { errorReplies, idParams, scanBody, scanListQuery, scanReply } from './schemas.js';

/**
 * Scans CRUD and manual runs (Crossfeed's `/scans` and `POST /scans/{id}/run`): list (the scans selecting an
 * organization, or selecting by a tag), create, read, replace, delete, and ask for a run at the next tick.
 * A deleted scan's queued tasks are cancelled by the next tick; its finished tasks stay.
 *
 * @example
 * ```ts
 * import { fastify } from 'fastify';
 * import { scanRoutes } from './scan-routes.js';
 * declare const context: import('./api-context.js').ApiContext;
 * await fastify().register(scanRoutes(context));
 * ```
 */
export function scanRoutes(context: ApiContext) {
  const { store, clock } = context;
  return async (app: FastifyInstance): Promise<void> => {
    app.get<{ Querystring: { organizationId?: string; tag?: string } }>(
      '/scans',
      {
        schema: {
          querystring: scanListQuery,
          response: { 200: { type: 'array', items: scanReply }, ...errorReplies },
        },
      },
      async (request) => {
        let scans = await store.listScans();
        const { organizationId, tag } = request.query;
        if (organizationId !== undefined) {
          const organization = await store.getOrganization(organizationId);
          if (organization === undefined) {
            throw new ScanplaneError('NOT_FOUND', `no organization ${organizationId}`, {
              details: { where: 'querystring/organizationId' },
            });
          }
          scans = scans.filter((scan) => selects(scan, organization));
        }
        if (tag !== undefined) scans = scans.filter((scan) => scan.granular?.tags?.includes(tag) === true);
        return scans;
      },
    );

    app.post<{ Body: ScanInput }>(
      '/scans',
      { schema: { body: scanBody, response: { 201: scanReply, ...errorReplies } } },
      async (request, reply) => {
        const scan = await toScanDefinition(request.body, store);
        if ((await store.getScan(scan.id)) !== undefined) {
          throw new ScanplaneError('CONFLICT', `scan ${scan.id} exists: PUT it to change it`, {
            details: { where: 'body/id', id: scan.id },
          });
        }
        return reply.code(201).send(await store.putScan(scan, { at: clock.now() }));
      },
    );

    app.get<{ Params: { id: string } }>(
      '/scans/:id',
      { schema: { params: idParams, response: { 200: scanReply, ...errorReplies } } },
      async (request) => {
        const scan = await store.getScan(request.params.id);
        if (scan === undefined) throw notFound('scan', request.params.id);
        return scan;
      },
    );

    app.put<{ Params: { id: string }; Body: ScanInput }>(
      '/scans/:id',
      { schema: { params: idParams, body: scanBody, response: { 200: scanReply, ...errorReplies } } },
      async (request) => {
        const { id } = request.params;
        checkBodyId(request.body.id, id);
        if ((await store.getScan(id)) === undefined) throw notFound('scan', id);
        return store.putScan(await toScanDefinition(request.body, store, id), { at: clock.now() });
      },
    );

    app.delete<{ Params: { id: string } }>(
      '/scans/:id',
      { schema: { params: idParams, response: errorReplies } },
      async (request, reply) => {
        if (!(await store.deleteScan(request.params.id))) throw notFound('scan', request.params.id);
        return reply.code(204).send();
      },
    );

    app.post<{ Params: { id: string } }>(
      '/scans/:id/run',
      { schema: { params: idParams, response: { 202: scanReply, ...errorReplies } } },
      async (request, reply) => {
        // NOT_FOUND from the store when there is no such scan.
        const scan = await store.requestManualRun(request.params.id, clock.now());
        return reply.code(202).send(scan);
      },
    );
  };
}
