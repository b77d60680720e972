import { type ScanTask, TASK_STATUSES, type TaskStatus } from '@scanplane/core';

/** Longest target text or error message sent to the page; longer ones are cut and end with `…`. */
const MAX_TEXT = 500;

/**
 * One task as the page shows it: what it scans, where it is, who runs it, how it failed.
 *
 * @example
 * ```ts
 * import type { TaskView } from '@scanplane/example-dashboard';
 * const label = (task: TaskView) => `${task.target ?? task.kind} ${task.status}`;
 * ```
 */
export interface TaskView {
  /** The task id. */
  id: string;
  /** Its project. */
  project: string;
  /** What runs it (`tcp-connect`, `nmap`, a scheduled scan type). */
  kind: string;
  /** Its status. */
  status: TaskStatus;
  /** What it scans (an address, or its CIDRs), for target tasks. */
  target?: string;
  /** Its ports, for target tasks. */
  ports?: string;
  /** The hostnames behind the target. */
  hostnames?: string[];
  /** Attempts started so far. */
  attempt: number;
  /** Attempts allowed. */
  maxAttempts: number;
  /** When it was created, epoch milliseconds. */
  createdAt: number;
  /** When its current attempt started, epoch milliseconds. */
  startedAt?: number;
  /** When it ended, epoch milliseconds. */
  finishedAt?: number;
  /** The worker running it (pull mode), or the launcher's handle id (push mode). */
  worker?: string;
  /** Why it failed or was cancelled. */
  error?: { code: string; message: string };
  /** The scan definition (scheduled work). */
  scanId?: string;
  /** The organizations it covers (scheduled work). */
  organizationIds?: string[];
}

/**
 * A project with its tasks by status and its most recent tasks (newest first).
 *
 * @example
 * ```ts
 * import type { ProjectView } from '@scanplane/example-dashboard';
 * const busy = (project: ProjectView) => project.counts.queued + project.counts.started > 0;
 * ```
 */
export interface ProjectView {
  /** The project name. */
  name: string;
  /** Tasks by status, every status present. */
  counts: Record<TaskStatus, number>;
  /** Its most recent tasks, newest first. */
  recent: TaskView[];
}

/**
 * An organization with its most recent tasks (newest first) and, for tokens that see everything, its tasks by status.
 *
 * @example
 * ```ts
 * import type { OrganizationView } from '@scanplane/example-dashboard';
 * const label = (org: OrganizationView) => `${org.name}: ${org.recent.length} recent tasks`;
 * ```
 */
export interface OrganizationView {
  /** The organization id. */
  id: string;
  /** Its name. */
  name: string;
  /** Tasks covering it by status (left out for project tokens: other projects' work would show). */
  counts?: Record<TaskStatus, number>;
  /** Its most recent tasks, newest first. */
  recent: TaskView[];
}

/**
 * What the dashboard shows at one moment: the payload of `GET /dashboard/snapshot` and of every `snapshot` event.
 *
 * @example
 * ```ts
 * import type { DashboardSnapshot } from '@scanplane/example-dashboard';
 * const finished = (snapshot: DashboardSnapshot) => snapshot.totals.finished;
 * ```
 */
export interface DashboardSnapshot {
  /** When it was read, epoch milliseconds on the server (the page corrects elapsed times by it). */
  generatedAt: number;
  /** Tasks by status over the projects shown. */
  totals: Record<TaskStatus, number>;
  /** The projects, in the order the deployment lists them. */
  projects: ProjectView[];
  /** The organizations, when the deployment has them. */
  organizations?: OrganizationView[];
  /** Organizations left out (over `maxOrganizations`). */
  hiddenOrganizations?: number;
  /** Requested and started tasks, oldest first. */
  running: TaskView[];
  /** Recent failures, newest first. */
  failures: TaskView[];
  /** Why the last read of the store failed (the rest is the last good read), when it did. */
  problem?: string;
}

/** Zero tasks in every status. */
export function zeroCounts(): Record<TaskStatus, number> {
  return Object.fromEntries(TASK_STATUSES.map((status) => [status, 0])) as Record<TaskStatus, number>;
}

/** Cuts text to {@link MAX_TEXT} characters. */
function clip(text: string): string {
  return text.length <= MAX_TEXT ? text : `${text.slice(0, MAX_TEXT - 1)}…`;
}

/** The view of a task the page needs (no payload, result or history). */
export function toTaskView(task: ScanTask): TaskView {
  const view: TaskView = {
    id: task.id,
    project: task.project,
    kind: task.kind,
    status: task.status,
    attempt: task.attempt,
    maxAttempts: task.maxAttempts,
    createdAt: task.createdAt,
  };
  if (task.target !== undefined) {
    view.target = clip(task.target.ip ?? task.target.addresses.join(' '));
    view.ports = clip(task.target.ports);
    if (task.target.hostnames.length > 0) view.hostnames = task.target.hostnames.slice(0, 10).map(clip);
  }
  if (task.startedAt !== undefined) view.startedAt = task.startedAt;
  if (task.finishedAt !== undefined) view.finishedAt = task.finishedAt;
  const worker = task.workerId ?? task.handle?.id;
  if (worker !== undefined) view.worker = clip(worker);
  if (task.error !== undefined)
    view.error = { code: clip(task.error.code), message: clip(task.error.message) };
  if (task.scanId !== undefined) view.scanId = task.scanId;
  if (task.organizationIds !== undefined) view.organizationIds = task.organizationIds.slice(0, 50);
  return view;
}
