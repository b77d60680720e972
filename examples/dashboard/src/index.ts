/**
 * `@scanplane/example-dashboard`: the live dashboard of the reference deployments — a Fastify plugin serving one
 * self-contained page, a JSON snapshot and server-sent events over a scanplane task store.
 *
 * @example
 * ```ts
 * import { dashboardPlugin } from '@scanplane/example-dashboard';
 * import Fastify from 'fastify';
 * import { createMemoryStore } from '@scanplane/core';
 *
 * const app = Fastify();
 * await app.register(dashboardPlugin, {
 *   store: createMemoryStore(),
 *   projects: async () => ['lab'],
 *   authorize: async (token) => (token === 'secret' ? { all: true } : undefined),
 * });
 * ```
 * @module
 */

export type {
  DashboardOptions,
  DashboardOrganization,
  DashboardScope,
  ResolvedDashboardOptions,
} from './dashboard-options.js';
export { dashboardPlugin } from './dashboard-plugin.js';
export { resolveDashboardOptions } from './resolve-options.js';
export { snapshotForScope } from './scope-filter.js';
export type { DashboardSnapshot, OrganizationView, ProjectView, TaskView } from './snapshot.js';
