import { isTerminal, ScanplaneError, type ScanTask, type TaskQuery, type TaskStatus } from '@scanplane/core';
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from './api-context.js';
import { errorReplies, idParams, logsQuery, taskReply, taskSearchQuery } from './schemas.js';
import { type TaskView, taskView } from './task-view.js';

/**
 * A page of `GET /scan-tasks`.
 *
 * @example
 * ```ts
 * import type { TaskPage } from './scan-task-routes.js';
 * const more = (page: TaskPage) => page.next !== undefined;
 * ```
 */
export interface TaskPage {
  /** Tasks in creation order. */
  items: TaskView[];
  /** How many tasks match the filters, over every page. */
  total: number;
  /** Pass as `after` for the next page; absent on the last one. */
  next?: string;
}

interface SearchQuery {
  scanId?: string;
  organizationId?: string;
  status?: TaskStatus[];
  limit: number;
  after?: string;
}

/**
 * The scan task routes (Crossfeed's `/scan-tasks`):
 * - `GET /scan-tasks?scanId=&organizationId=&status=&limit=&after=`: search, in creation order, a cursor page at a
 *   time (`status` may repeat); `total` counts every match;
 * - `GET /scan-tasks/{id}`: one task, with its transition history;
 * - `GET /scan-tasks/{id}/logs?tail=&format=text|json`: the worker's output through the launcher (Docker logs,
 *   CloudWatch); 404 for a task that was never launched;
 * - `POST /scan-tasks/{id}/kill`: cancels the task through the orchestrator, which stops its container (SIGTERM,
 *   grace, SIGKILL, removed) — Crossfeed's kill only marked the row; 409 `INVALID_TRANSITION` once it has ended.
 *
 * @example
 * ```ts
 * import { fastify } from 'fastify';
 * import { scanTaskRoutes } from './scan-task-routes.js';
 * declare const context: import('./api-context.js').ApiContext;
 * await fastify().register(scanTaskRoutes(context));
 * ```
 */
export function scanTaskRoutes(context: ApiContext) {
  const { store, orchestrator, launcher } = context;

  const taskOr404 = async (id: string): Promise<ScanTask> => {
    const task = await store.get(id);
    if (task === undefined) {
      throw new ScanplaneError('NOT_FOUND', `no scan task ${id}`, { details: { where: 'params/id', id } });
    }
    return task;
  };

  return async (app: FastifyInstance): Promise<void> => {
    app.get<{ Querystring: SearchQuery }>(
      '/scan-tasks',
      { schema: { querystring: taskSearchQuery, response: errorReplies } },
      async (request): Promise<TaskPage> => {
        const { scanId, organizationId, status, limit, after } = request.query;
        const query: TaskQuery = {};
        if (scanId !== undefined) query.scanId = scanId;
        if (organizationId !== undefined) query.organizationId = organizationId;
        if (status !== undefined && status.length > 0) query.status = status;
        if (after !== undefined && (await store.get(after)) === undefined) {
          throw new ScanplaneError(
            'INVALID_ARGUMENT',
            `querystring/after: no scan task ${after} to page after`,
            {
              details: { where: 'querystring/after' },
            },
          );
        }
        const [found, counts] = await Promise.all([
          store.list({ ...query, ...(after === undefined ? {} : { after }), limit: limit + 1 }),
          store.count(query),
        ]);
        const items = found.slice(0, limit);
        const page: TaskPage = {
          items: items.map(taskView),
          total: Object.values(counts).reduce((sum, count) => sum + count, 0),
        };
        const last = items.at(-1);
        if (found.length > limit && last !== undefined) page.next = last.id;
        return page;
      },
    );

    app.get<{ Params: { id: string } }>(
      '/scan-tasks/:id',
      { schema: { params: idParams, response: { 200: taskReply, ...errorReplies } } },
      async (request) => {
        const task = await taskOr404(request.params.id);
        return { ...taskView(task), history: task.history };
      },
    );

    app.get<{ Params: { id: string }; Querystring: { tail: number; format: 'text' | 'json' } }>(
      '/scan-tasks/:id/logs',
      { schema: { params: idParams, querystring: logsQuery, response: errorReplies } },
      async (request, reply) => {
        const task = await taskOr404(request.params.id);
        if (task.handle === undefined) {
          throw new ScanplaneError('NOT_FOUND', `scan task ${task.id} was never launched: it has no logs`, {
            details: { where: 'params/id', status: task.status },
          });
        }
        const lines = await launcher.logs(task.handle, { tail: request.query.tail });
        if (request.query.format === 'json') return { taskId: task.id, container: task.handle.id, lines };
        return reply
          .type('text/plain; charset=utf-8')
          .send(
            lines.map((line) => `${new Date(line.at).toISOString()} ${line.stream} ${line.text}\n`).join(''),
          );
      },
    );

    app.post<{ Params: { id: string } }>(
      '/scan-tasks/:id/kill',
      { schema: { params: idParams, response: { 200: taskReply, ...errorReplies } } },
      async (request) => {
        const task = await taskOr404(request.params.id);
        if (isTerminal(task.status)) {
          throw new ScanplaneError(
            'INVALID_TRANSITION',
            `scan task ${task.id} has already ended (${task.status})`,
            {
              details: { where: 'params/id', status: task.status },
            },
          );
        }
        // Cancels the task, then stops its container for real (the launcher's stop: SIGTERM, grace, kill, remove).
        const killed = await orchestrator.cancel(
          task.id,
          `killed by an operator at ${new Date().toISOString()}`,
        );
        return { ...taskView(killed), stopped: task.handle?.id ?? null };
      },
    );
  };
}
