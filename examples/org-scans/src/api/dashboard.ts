import type { ScheduleStore, TaskStore } from '@scanplane/core';
import { dashboardPlugin } from '@scanplane/example-dashboard';
import type { FastifyInstance } from 'fastify';
import { tokenChecker } from './operator-auth.js';

/**
 * Registers the live dashboard (`@scanplane/example-dashboard`) on the API's server: the page at `/`, its snapshot
 * and event stream under `/dashboard/`, showing the scheduler's project and every organization, for the operators'
 * token (the same bearer token as the API).
 *
 * @example
 * ```ts
 * import { fastify } from 'fastify';
 * import { registerDashboard } from './dashboard.js';
 * declare const store: import('@scanplane/postgres').PostgresStore;
 * await registerDashboard(fastify(), { store, project: 'org-scans', operatorToken: 'a-long-operator-token' });
 * ```
 */
export async function registerDashboard(
  app: FastifyInstance,
  options: { store: TaskStore & ScheduleStore; project: string; operatorToken: string },
): Promise<void> {
  const { store, project } = options;
  const isOperator = tokenChecker(options.operatorToken);
  await app.register(dashboardPlugin, {
    store,
    title: 'scanplane org-scans',
    projects: async () => [project],
    organizations: async () =>
      (await store.listOrganizations()).map((organization) => ({
        id: organization.id,
        name: organization.name,
      })),
    authorize: async (token) => (isOperator(token) ? { all: true } : undefined),
  });
}
