import type { TaskStore } from '@scanplane/core';

/**
 * What a token may see: everything, or only some projects. `undefined` from {@link DashboardOptions.authorize}
 * means the token is not valid.
 *
 * @example
 * ```ts
 * import type { DashboardScope } from '@scanplane/example-dashboard';
 * const admin: DashboardScope = { all: true };
 * const lab: DashboardScope = { projects: ['lab'] };
 * ```
 */
export type DashboardScope = { all: true } | { projects: string[] };

/**
 * An organization as the dashboard lists it (Crossfeed deployments).
 *
 * @example
 * ```ts
 * import type { DashboardOrganization } from '@scanplane/example-dashboard';
 * const org: DashboardOrganization = { id: 'org-1', name: 'City of Springfield' };
 * ```
 */
export interface DashboardOrganization {
  /** The id tasks carry in `organizationIds`. */
  id: string;
  /** The name shown. */
  name: string;
}

/**
 * Options of {@link dashboardPlugin}. Only `store`, `projects` and `authorize` are required.
 *
 * @example
 * ```ts
 * import { createMemoryStore } from '@scanplane/core';
 * import type { DashboardOptions } from '@scanplane/example-dashboard';
 * const options: DashboardOptions = {
 *   store: createMemoryStore(),
 *   projects: async () => ['lab'],
 *   authorize: async (token) => (token === 'admin-token' ? { all: true } : undefined),
 * };
 * ```
 */
export interface DashboardOptions {
  /** The data source: only `list` and `count` are used. */
  store: Pick<TaskStore, 'list' | 'count'>;
  /** The projects to show (read on every poll, so new projects appear by themselves). */
  projects(): Promise<string[]>;
  /** The organizations to show, for deployments that have them (read on every poll). */
  organizations?(): Promise<DashboardOrganization[]>;
  /** What a bearer token may see, or `undefined` when it is not valid. */
  authorize(token: string): Promise<DashboardScope | undefined>;
  /**
   * The service's submit endpoint: a path with `{project}` where the (URL-encoded) project goes
   * (`/tasks/{project}/run`), or a function from a project to its path. When given, the page shows a form that POSTs
   * `{ targets, ports? }` there with the token.
   */
  submitPath?: string | ((project: string) => string);
  /**
   * The service's stop endpoint, like `submitPath` (`/tasks/{project}/stop`). When given, each project has a stop
   * button that POSTs `{}` there with the token.
   */
  stopPath?: string | ((project: string) => string);
  /** The page title. Default `scanplane`. */
  title?: string;
  /** Least time between two reads of the store, in milliseconds. Default 500. */
  pollIntervalMs?: number;
  /** Time between heartbeats on an event stream, in milliseconds. Default 15000. */
  heartbeatMs?: number;
  /** Recent tasks shown per project and per organization. Default 20. */
  recentTasks?: number;
  /** Recent failures kept per project. Default 20. */
  recentFailures?: number;
  /** Most running tasks shown. Default 200. */
  runningLimit?: number;
  /** Most organizations followed (each costs two queries when something changed). Default 50. */
  maxOrganizations?: number;
}

/** {@link DashboardOptions} with every default applied, as the plugin uses them. */
export interface ResolvedDashboardOptions {
  /** See {@link DashboardOptions.store}. */
  store: Pick<TaskStore, 'list' | 'count'>;
  /** See {@link DashboardOptions.projects}. */
  projects(): Promise<string[]>;
  /** See {@link DashboardOptions.organizations}. */
  organizations: (() => Promise<DashboardOrganization[]>) | undefined;
  /** See {@link DashboardOptions.authorize}. */
  authorize(token: string): Promise<DashboardScope | undefined>;
  /** See {@link DashboardOptions.submitPath}, as a path with `{project}`. */
  submitPath: string | undefined;
  /** See {@link DashboardOptions.stopPath}, as a path with `{project}`. */
  stopPath: string | undefined;
  /** See {@link DashboardOptions.title}. */
  title: string;
  /** See {@link DashboardOptions.pollIntervalMs}. */
  pollIntervalMs: number;
  /** See {@link DashboardOptions.heartbeatMs}. */
  heartbeatMs: number;
  /** See {@link DashboardOptions.recentTasks}. */
  recentTasks: number;
  /** See {@link DashboardOptions.recentFailures}. */
  recentFailures: number;
  /** See {@link DashboardOptions.runningLimit}. */
  runningLimit: number;
  /** See {@link DashboardOptions.maxOrganizations}. */
  maxOrganizations: number;
}
