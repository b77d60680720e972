import { type SubmitResult, summaryToJSON } from '@scanplane/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { routeSchemas } from '../api-schemas.js';
import { authorizeProject } from '../auth.js';
import type { ProjectTokens } from '../project-tokens.js';
import { parseRunRequest, type RunLimits, type RunRequest } from '../run-request.js';
import type { TaskerServerOptions } from '../server-options.js';

/** The routes' shared parts. */
export interface TaskRoutesContext {
  /** The orchestrator the routes call. */
  orchestrator: TaskerServerOptions['orchestrator'];
  /** Who may use which project. */
  tokens: ProjectTokens;
  /** Caps, kinds and task time limits of run requests. */
  limits: RunLimits;
  /** The route schemas. */
  schemas: ReturnType<typeof routeSchemas>;
}

type ProjectRequest = FastifyRequest<{ Params: { project: string } }>;

/** Refused entries listed in a run answer. */
const REFUSED_LISTED = 100;

/** The JSON answer of a run: the summary, the task counts and the first refused entries. */
export function runAnswer(result: SubmitResult) {
  const { summary } = result;
  const refusedEntries: Array<{ index: number; input: string; reason: string; message: string }> = [];
  for (const entry of result.prepared.refusedEntries()) {
    if (refusedEntries.length >= REFUSED_LISTED) break;
    refusedEntries.push({
      index: entry.index,
      input: entry.input,
      reason: entry.reason ?? 'refused',
      message: entry.message ?? '',
    });
  }
  return {
    project: result.project,
    summary: summaryToJSON(summary),
    tasks: {
      created: summary.tasks,
      alreadyQueued: summary.refused.already_queued ?? 0,
      alreadyScanned: summary.refused.already_scanned ?? 0,
      partial: summary.partial,
    },
    refusedEntries,
  };
}

/**
 * Registers Tasker's task routes: `POST /tasks/{project}/run` (and `/run-nmap`), `GET /tasks/{project}/status`,
 * `POST /tasks/{project}/stop` (and Tasker's `GET /tasks/{project}/stop-nmap`). Each needs a token of the project
 * or the admin token, checked before the body is read.
 *
 * @example
 * ```ts
 * import { registerTaskRoutes } from './routes/task-routes.js';
 * declare const app: import('fastify').FastifyInstance;
 * declare const context: import('./routes/task-routes.js').TaskRoutesContext;
 * registerTaskRoutes(app, context);
 * ```
 */
export function registerTaskRoutes(app: FastifyInstance, context: TaskRoutesContext): void {
  const { orchestrator, tokens, limits, schemas } = context;
  const onRequest = async (request: FastifyRequest): Promise<void> => {
    await authorizeProject(tokens, request.headers.authorization, (request as ProjectRequest).params.project);
  };

  const run = (mode: string | undefined) => async (request: FastifyRequest) => {
    const { project } = (request as ProjectRequest).params;
    const { entries, options } = parseRunRequest(
      request.body as RunRequest,
      limits,
      mode === undefined ? {} : { mode },
    );
    return runAnswer(await orchestrator.submit(project, entries, options));
  };
  app.post('/tasks/:project/run', { schema: schemas.run, onRequest }, run(undefined));
  app.post(
    '/tasks/:project/run-nmap',
    { schema: schemas.runNmap, onRequest },
    // Always nmap by default: a service whose workers do not run nmap refuses it (400) rather than scanning otherwise.
    run('nmap'),
  );

  app.get('/tasks/:project/status', { schema: schemas.status, onRequest }, async (request) => {
    const status = await orchestrator.status((request as ProjectRequest).params.project);
    return {
      project: status.project,
      counts: status.counts,
      active: status.active,
      running: status.running.map(({ taskId, target, workerId, startedAt }) => ({
        taskId,
        ...(target === undefined ? {} : { target }),
        ...(workerId === undefined ? {} : { workerId }),
        ...(startedAt === undefined ? {} : { startedAt }),
      })),
    };
  });

  const stop = async (request: FastifyRequest) => {
    const { project } = (request as ProjectRequest).params;
    return orchestrator.stop(project, `project ${project} stopped through the API`);
  };
  app.post('/tasks/:project/stop', { schema: schemas.stop, onRequest }, stop);
  app.get(
    '/tasks/:project/stop-nmap',
    { schema: { ...schemas.stop, summary: "Tasker's path for stop" }, onRequest },
    stop,
  );
}
