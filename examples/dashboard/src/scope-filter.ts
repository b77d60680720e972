import { TASK_STATUSES } from '@scanplane/core';
import type { DashboardScope } from './dashboard-options.js';
import { type DashboardSnapshot, type TaskView, zeroCounts } from './snapshot.js';

/** Whether a scope sees everything. */
function seesAll(scope: DashboardScope): scope is { all: true } {
  return 'all' in scope && scope.all === true;
}

/** A key naming a scope, so every client with the same scope shares one narrowed snapshot. */
export function scopeKey(scope: DashboardScope): string {
  return seesAll(scope) ? '*' : JSON.stringify([...new Set(scope.projects)].sort());
}

/** When a failure happened, for ordering. */
function failedAt(view: TaskView): number {
  return view.finishedAt ?? view.createdAt;
}

/** The newest `limit` failures, newest first. */
function newestFailures(failures: readonly TaskView[], limit: number): TaskView[] {
  return [...failures].sort((a, b) => failedAt(b) - failedAt(a) || (a.id < b.id ? -1 : 1)).slice(0, limit);
}

/**
 * What a token with `scope` may see of the whole snapshot. A token that sees everything gets all of it. A project
 * token gets its projects only (a project it names that the deployment does not list shows empty, so it can still
 * submit to it), totals over them, their running tasks and failures, and the organizations its tasks cover, without
 * their counts (those include other projects' work).
 *
 * @param failureLimit how many failures to keep (newest first).
 */
export function snapshotForScope(
  snapshot: DashboardSnapshot,
  scope: DashboardScope,
  failureLimit: number,
): DashboardSnapshot {
  if (seesAll(scope)) return { ...snapshot, failures: newestFailures(snapshot.failures, failureLimit) };
  const allowed = new Set(scope.projects);
  const visible = (task: TaskView) => allowed.has(task.project);
  const listed = new Map(snapshot.projects.map((project) => [project.name, project]));
  const projects = [...allowed].map((name) => listed.get(name) ?? { name, counts: zeroCounts(), recent: [] });
  const totals = zeroCounts();
  for (const project of projects)
    for (const status of TASK_STATUSES) totals[status] += project.counts[status];
  const narrowed: DashboardSnapshot = {
    generatedAt: snapshot.generatedAt,
    totals,
    projects,
    running: snapshot.running.filter(visible),
    failures: newestFailures(snapshot.failures.filter(visible), failureLimit),
  };
  if (snapshot.organizations !== undefined) {
    narrowed.organizations = snapshot.organizations
      .map((org) => ({ id: org.id, name: org.name, recent: org.recent.filter(visible) }))
      .filter((org) => org.recent.length > 0);
  }
  if (snapshot.problem !== undefined) narrowed.problem = snapshot.problem;
  return narrowed;
}
