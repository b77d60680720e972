import { type PlannedScanTask, ScanplaneError, type TickReport } from '@scanplane/core';
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from './api-context.js';
import { errorReplies, explainQuery } from './schemas.js';

/**
 * What `POST /scheduler/invoke` answers: what the tick did, and why pairs did not run.
 *
 * @example
 * ```ts
 * import type { InvokeReply } from './scheduler-routes.js';
 * const launched = (reply: InvokeReply) => reply.launched.length;
 * ```
 */
export interface InvokeReply {
  /** When the tick decided, epoch milliseconds. */
  at: number;
  /** The work the tick decided to start now (`launch`) or to queue for capacity (`queue`), pair by pair. */
  planned: Array<{
    scanId: string;
    organizationIds: string[];
    decision: 'launch' | 'queue';
    manual: boolean;
    chunk?: { number: number; count: number };
  }>;
  /**
   * New tasks the tick launched itself. The orchestrator's dispatcher may reach a new queued task first: the same
   * container either way, but that task is then not listed here (see `planned`).
   */
  launched: string[];
  /** New tasks created queued (capacity full). */
  queued: string[];
  /** Queued tasks launched. */
  relaunched: string[];
  /** Queued tasks cancelled (their scan deleted, disabled or unknown). */
  cancelled: string[];
  /** Launches that failed, with why. */
  failed: TickReport['failed'];
  /** Pairs that did not run, with the reason (`passive-organization`, `not-due`, `already-active`, …). */
  skipped: Array<{ scanId: string; organizationId?: string; reason: string; detail?: string }>;
  /** How long the tick took. */
  durationMs: number;
}

/** The answer of a tick. */
export function invokeReply(report: TickReport): InvokeReply {
  const planned = (decision: 'launch' | 'queue') => (task: PlannedScanTask) => {
    const { chunkNumber, chunkCount } = task.payload;
    return {
      scanId: task.scanId,
      organizationIds: task.organizationIds,
      decision,
      manual: task.manual,
      ...(chunkNumber === undefined || chunkCount === undefined
        ? {}
        : { chunk: { number: chunkNumber, count: chunkCount } }),
    };
  };
  return {
    at: report.plan.at,
    planned: [...report.plan.launch.map(planned('launch')), ...report.plan.queue.map(planned('queue'))],
    launched: report.launched,
    queued: report.queued,
    relaunched: report.relaunched,
    cancelled: report.cancelled,
    failed: report.failed,
    skipped: report.plan.skipped.map((skip) => ({
      scanId: skip.scanId,
      ...(skip.organizationId === undefined ? {} : { organizationId: skip.organizationId }),
      reason: skip.reason,
      ...(skip.detail === undefined ? {} : { detail: skip.detail }),
    })),
    durationMs: report.durationMs,
  };
}

/**
 * The scheduler's routes: `POST /scheduler/invoke` runs a tick now (Crossfeed's manual invoke; the answer says
 * what it did — 409 `CONFLICT` while another process ticks, holding the advisory lock) and `GET
 * /scheduler/explain?scanId=&organizationId=` says why a pair would or would not run now.
 *
 * @example
 * ```ts
 * import { fastify } from 'fastify';
 * import { schedulerRoutes } from './scheduler-routes.js';
 * declare const context: import('./api-context.js').ApiContext;
 * await fastify().register(schedulerRoutes(context));
 * ```
 */
export function schedulerRoutes(context: ApiContext) {
  const { scheduler, store } = context;
  return async (app: FastifyInstance): Promise<void> => {
    app.post('/scheduler/invoke', { schema: { response: errorReplies } }, async () => {
      const report = await scheduler.tick();
      if (report === undefined) {
        throw new ScanplaneError(
          'CONFLICT',
          'another process is running a scheduler tick (it holds the advisory lock): try again shortly',
          { details: { reason: 'scheduler-lock-held' } },
        );
      }
      return invokeReply(report);
    });

    app.get<{ Querystring: { scanId: string; organizationId?: string } }>(
      '/scheduler/explain',
      { schema: { querystring: explainQuery, response: errorReplies } },
      async (request) => {
        const { scanId, organizationId } = request.query;
        if ((await store.getScan(scanId)) === undefined) {
          throw new ScanplaneError('NOT_FOUND', `no scan ${scanId}`, {
            details: { where: 'querystring/scanId' },
          });
        }
        if (organizationId !== undefined && (await store.getOrganization(organizationId)) === undefined) {
          throw new ScanplaneError('NOT_FOUND', `no organization ${organizationId}`, {
            details: { where: 'querystring/organizationId' },
          });
        }
        return scheduler.explain(scanId, organizationId);
      },
    );
  };
}
