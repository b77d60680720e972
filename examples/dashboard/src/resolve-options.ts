import { ScanplaneError } from '@scanplane/core';
import type { DashboardOptions, ResolvedDashboardOptions } from './dashboard-options.js';

/** Raises the error every bad option gets: `INVALID_ARGUMENT`, naming the option. */
function invalid(option: string, message: string): never {
  throw new ScanplaneError('INVALID_ARGUMENT', `option ${option} ${message}`, {
    component: 'dashboard',
    details: { option },
  });
}

function isFunction(value: unknown): value is (...args: never[]) => unknown {
  return typeof value === 'function';
}

/** An optional whole number in `[min, max]`, or its default. */
function integer(
  options: DashboardOptions,
  name: keyof DashboardOptions,
  fallback: number,
  min: number,
  max: number,
) {
  const value = options[name];
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    invalid(name, `must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Stands for the project when a path function is turned into a template (letters only: encoding keeps it). */
const PROJECT_MARKER = 'ScanplaneDashboardProjectMarker';

/** An optional service path, as a template with a `{project}` placeholder. */
function projectPath(options: DashboardOptions, name: 'submitPath' | 'stopPath'): string | undefined {
  const given = options[name];
  if (given === undefined) return undefined;
  let value: unknown = given;
  if (typeof given === 'function') {
    const path = given(PROJECT_MARKER);
    if (typeof path !== 'string' || !path.includes(PROJECT_MARKER)) {
      invalid(name, 'must be a function returning a path that contains the project it is given');
    }
    value = path.replaceAll(PROJECT_MARKER, '{project}');
  }
  if (typeof value !== 'string' || !value.startsWith('/') || !value.includes('{project}')) {
    invalid(name, `must be a path starting with / and containing {project}, got ${JSON.stringify(value)}`);
  }
  if (/[\s"'<>\\]/.test(value))
    invalid(name, `must not contain spaces, quotes, <, > or \\: ${JSON.stringify(value)}`);
  return value;
}

/**
 * Checks the options of {@link dashboardPlugin} and applies the defaults.
 *
 * @throws `ScanplaneError` `INVALID_ARGUMENT` naming the first bad option (`details.option`).
 * @example
 * ```ts
 * import { createMemoryStore } from '@scanplane/core';
 * import { resolveDashboardOptions } from '@scanplane/example-dashboard';
 * const resolved = resolveDashboardOptions({
 *   store: createMemoryStore(),
 *   projects: async () => ['lab'],
 *   authorize: async () => ({ all: true }),
 * });
 * resolved.pollIntervalMs; // 500
 * ```
 */
export function resolveDashboardOptions(options: DashboardOptions): ResolvedDashboardOptions {
  if (typeof options !== 'object' || options === null) invalid('(options)', 'must be an object');
  const { store } = options;
  if (typeof store !== 'object' || store === null || !isFunction(store.list) || !isFunction(store.count)) {
    invalid('store', 'must be a TaskStore (an object with list and count functions)');
  }
  if (!isFunction(options.projects)) invalid('projects', 'must be a function returning the project names');
  if (!isFunction(options.authorize)) invalid('authorize', 'must be a function from a token to a scope');
  if (options.organizations !== undefined && !isFunction(options.organizations)) {
    invalid('organizations', 'must be a function returning the organizations, when given');
  }
  const title = options.title ?? 'scanplane';
  if (typeof title !== 'string' || title.length === 0 || title.length > 200) {
    invalid('title', 'must be a string of 1 to 200 characters');
  }
  return {
    store,
    projects: options.projects,
    organizations: options.organizations,
    authorize: options.authorize,
    submitPath: projectPath(options, 'submitPath'),
    stopPath: projectPath(options, 'stopPath'),
    title,
    pollIntervalMs: integer(options, 'pollIntervalMs', 500, 50, 60_000),
    heartbeatMs: integer(options, 'heartbeatMs', 15_000, 100, 300_000),
    recentTasks: integer(options, 'recentTasks', 20, 1, 500),
    recentFailures: integer(options, 'recentFailures', 20, 1, 500),
    runningLimit: integer(options, 'runningLimit', 200, 1, 10_000),
    maxOrganizations: integer(options, 'maxOrganizations', 50, 0, 1_000),
  };
}
