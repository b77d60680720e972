import { randomBytes } from 'node:crypto';
import { ScanplaneError } from '@scanplane/core';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { bearerToken } from './bearer-token.js';
import type { DashboardOptions, DashboardScope } from './dashboard-options.js';
import { createEventHub, type NarrowedSnapshot } from './event-hub.js';
import { pagePolicy, renderPage } from './page/render-page.js';
import { resolveDashboardOptions } from './resolve-options.js';
import { scopeKey, snapshotForScope } from './scope-filter.js';
import type { DashboardSnapshot } from './snapshot.js';
import { createSnapshotPoller } from './snapshot-poller.js';
import { createSnapshotReader } from './snapshot-reader.js';

/** Whether `authorize` returned a scope of the documented shape. */
function isScope(value: unknown): value is DashboardScope {
  if (typeof value !== 'object' || value === null) return false;
  const scope = value as { all?: unknown; projects?: unknown };
  if (scope.all === true) return true;
  return Array.isArray(scope.projects) && scope.projects.every((project) => typeof project === 'string');
}

/**
 * The live dashboard as a Fastify 5 plugin: `GET /` (the page), `GET /dashboard/snapshot` (JSON) and
 * `GET /dashboard/events` (server-sent events), under the prefix it is registered with. Data routes need
 * `Authorization: Bearer <token>`; `authorize` says what the token may see. One poller per registration reads the
 * store at most every `pollIntervalMs`, only while a stream is open or a snapshot is asked for; `app.close()` ends
 * open streams first, so it does not wait for them.
 *
 * @throws `ScanplaneError` `INVALID_ARGUMENT` at registration, naming the bad option.
 * @example
 * ```ts
 * import { createMemoryStore } from '@scanplane/core';
 * import { dashboardPlugin } from '@scanplane/example-dashboard';
 * import Fastify from 'fastify';
 *
 * const store = createMemoryStore();
 * const app = Fastify();
 * await app.register(dashboardPlugin, {
 *   store,
 *   projects: async () => ['lab'],
 *   authorize: async (token) => (token === process.env.DASHBOARD_TOKEN ? { all: true } : undefined),
 * });
 * await app.listen({ port: 8080, host: '127.0.0.1' });
 * ```
 */
export const dashboardPlugin: FastifyPluginAsync<DashboardOptions> = async (app, rawOptions) => {
  const options = resolveDashboardOptions(rawOptions);
  const poller = createSnapshotPoller({
    reader: createSnapshotReader(options),
    intervalMs: options.pollIntervalMs,
    onError: (error) => app.log.warn({ err: error }, 'dashboard: reading the task store failed'),
  });

  // One narrowed JSON per snapshot and scope, however many clients share the scope.
  const narrowedBySnapshot = new WeakMap<DashboardSnapshot, Map<string, NarrowedSnapshot>>();
  const narrow = (snapshot: DashboardSnapshot, scope: DashboardScope): NarrowedSnapshot => {
    let byScope = narrowedBySnapshot.get(snapshot);
    if (byScope === undefined) narrowedBySnapshot.set(snapshot, (byScope = new Map()));
    const key = scopeKey(scope);
    let narrowed = byScope.get(key);
    if (narrowed === undefined) {
      const view = snapshotForScope(snapshot, scope, options.recentFailures);
      narrowed = { json: JSON.stringify(view), fingerprint: JSON.stringify({ ...view, generatedAt: 0 }) };
      byScope.set(key, narrowed);
    }
    return narrowed;
  };

  const hub = createEventHub({
    poller,
    narrow,
    authorize: options.authorize,
    heartbeatMs: options.heartbeatMs,
    onError: (error) => app.log.warn({ err: error }, 'dashboard: event stream error'),
  });

  /** The request's token and scope, or undefined after answering 401. */
  async function authenticate(
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<{ token: string; scope: DashboardScope } | undefined> {
    const token = bearerToken(request.headers.authorization);
    const scope = token === undefined ? undefined : await options.authorize(token);
    if (token === undefined || scope === undefined) {
      await reply
        .code(401)
        .header('www-authenticate', 'Bearer realm="scanplane-dashboard"')
        .header('cache-control', 'no-store')
        .send({
          statusCode: 401,
          error: 'Unauthorized',
          code: 'UNAUTHENTICATED',
          reason: token === undefined ? 'missing_token' : 'invalid_token',
          message:
            token === undefined
              ? 'a bearer token is required: Authorization: Bearer <token>'
              : 'the token is not valid for this dashboard',
        });
      return undefined;
    }
    if (!isScope(scope)) {
      throw new ScanplaneError(
        'INVALID_ARGUMENT',
        'authorize() must resolve to { all: true }, { projects } or undefined',
        {
          component: 'dashboard',
          details: { option: 'authorize' },
        },
      );
    }
    return { token, scope };
  }

  const base = app.prefix;
  const pageConfig = {
    title: options.title,
    snapshotUrl: `${base}/dashboard/snapshot`,
    eventsUrl: `${base}/dashboard/events`,
    ...(options.submitPath === undefined ? {} : { submitPath: options.submitPath }),
    ...(options.stopPath === undefined ? {} : { stopPath: options.stopPath }),
  };

  app.get('/', async (_request, reply) => {
    const nonce = randomBytes(16).toString('base64');
    return reply
      .header('content-security-policy', pagePolicy(nonce))
      .header('cache-control', 'no-store')
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .type('text/html; charset=utf-8')
      .send(renderPage(pageConfig, nonce));
  });

  app.get('/dashboard/snapshot', async (request, reply) => {
    const auth = await authenticate(request, reply);
    if (auth === undefined) return reply;
    const snapshot = await poller.latest();
    return reply
      .header('cache-control', 'no-store')
      .type('application/json; charset=utf-8')
      .send(narrow(snapshot, auth.scope).json);
  });

  app.get('/dashboard/events', async (request, reply) => {
    const auth = await authenticate(request, reply);
    if (auth === undefined) return reply;
    reply.hijack();
    hub.open(reply.raw, auth.token, auth.scope);
  });

  // Before the server stops accepting: end the streams, or server.close() would wait for them forever.
  app.addHook('preClose', async () => {
    hub.closeAll();
    await poller.close();
  });
};
