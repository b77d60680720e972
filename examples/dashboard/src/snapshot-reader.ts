import { ScanplaneError, type ScanTask, TASK_STATUSES, type TaskStatus } from '@scanplane/core';
import type { DashboardOrganization, ResolvedDashboardOptions } from './dashboard-options.js';
import { createFailureLog } from './failure-log.js';
import { mapLimit } from './map-limit.js';
import {
  type DashboardSnapshot,
  type OrganizationView,
  type ProjectView,
  type TaskView,
  toTaskView,
  zeroCounts,
} from './snapshot.js';
import { createTaskWindow, type TaskWindow } from './task-window.js';

/** Store queries in flight at once during one read. */
const CONCURRENCY = 8;
/**
 * Every window is read again at least this often, even when its counts did not move (two opposite transitions
 * between polls leave the counts as they were).
 */
const FULL_REFRESH_MS = 10_000;
/** The statuses of running work: asked to start, and started. */
const RUNNING: readonly TaskStatus[] = ['requested', 'started'];

/** One followed scope: its window of recent tasks and its last counts. */
interface Lane {
  window: TaskWindow;
  counts: Record<TaskStatus, number>;
  /** The counts as text, to see whether they moved. */
  key: string;
}

/**
 * Reads what the dashboard shows from the store, cheaply enough to run twice a second: per project one `count`, and
 * one read of its recent tasks only when its counts moved (or every 10 s); one `list` of running tasks, and one
 * `list` by id of the tasks that stopped running since the last read (that is how failures are seen); the
 * organizations (`organizations()`, then a `count` and a window per organization) only when something moved or every
 * 10 s. Holds state between reads, so one reader serves one poller.
 */
export interface SnapshotReader {
  /** Reads the store and returns the whole snapshot (every project; the plugin narrows it per token). */
  read(): Promise<DashboardSnapshot>;
}

/** Checks what a deployment callback returned: a list of distinct non-empty strings. */
function projectNames(value: unknown): string[] {
  if (!Array.isArray(value) || value.some((name) => typeof name !== 'string' || name.length === 0)) {
    throw new ScanplaneError('INVALID_ARGUMENT', 'projects() must resolve to an array of non-empty strings', {
      component: 'dashboard',
      details: { option: 'projects' },
    });
  }
  return [...new Set(value as string[])];
}

/** Checks what `organizations()` returned. */
function organizationList(value: unknown): DashboardOrganization[] {
  const valid =
    Array.isArray(value) &&
    value.every(
      (org) =>
        typeof org === 'object' && org !== null && typeof org.id === 'string' && typeof org.name === 'string',
    );
  if (!valid) {
    throw new ScanplaneError(
      'INVALID_ARGUMENT',
      'organizations() must resolve to an array of { id, name } strings',
      {
        component: 'dashboard',
        details: { option: 'organizations' },
      },
    );
  }
  return value as DashboardOrganization[];
}

/** The newest tasks of a window as views, newest first. */
function recentOf(window: TaskWindow): TaskView[] {
  return window.tasks().map(toTaskView).reverse();
}

/** Creates a {@link SnapshotReader} over the deployment's store and callbacks. */
export function createSnapshotReader(options: ResolvedDashboardOptions): SnapshotReader {
  const { store } = options;
  const projectLanes = new Map<string, Lane>();
  const organizationLanes = new Map<string, Lane>();
  const failures = createFailureLog(options.recentFailures);
  const offer = (task: ScanTask) => failures.offer(task);
  let running: ScanTask[] = [];
  let organizations: DashboardOrganization[] | undefined;
  let lastFullRefresh = Number.NEGATIVE_INFINITY;

  /** Counts every lane, reads again the windows whose counts moved (all when `force`); says whether any moved. */
  async function refreshLanes(
    lanes: Map<string, Lane>,
    keys: readonly string[],
    scopeOf: (key: string) => { project: string } | { organizationId: string },
    force: boolean,
  ): Promise<boolean> {
    for (const key of lanes.keys()) if (!keys.includes(key)) lanes.delete(key);
    const counts = await mapLimit(keys, CONCURRENCY, (key) => store.count(scopeOf(key)));
    const moved: Lane[] = [];
    keys.forEach((key, index) => {
      const current = counts[index]!;
      const text = JSON.stringify(current);
      let lane = lanes.get(key);
      if (lane === undefined) {
        lane = {
          window: createTaskWindow(store, scopeOf(key), options.recentTasks),
          counts: current,
          key: '',
        };
        lanes.set(key, lane);
      }
      if (force || lane.key !== text) moved.push(lane);
      lane.counts = current;
      lane.key = text;
    });
    await mapLimit(moved, CONCURRENCY, (lane) => lane.window.refresh(offer));
    return moved.length > 0;
  }

  /** Reads the running tasks, and the tasks that stopped running since the last read (to catch their failures). */
  async function refreshRunning(): Promise<void> {
    const now = await store.list({ status: RUNNING, limit: options.runningLimit });
    const still = new Set(now.map((task) => task.id));
    const gone = running.filter((task) => !still.has(task.id)).map((task) => task.id);
    if (gone.length > 0) for (const task of await store.list({ ids: gone })) offer(task);
    running = now;
  }

  return {
    async read() {
      const at = Date.now();
      const names = projectNames(await options.projects());
      const force = at - lastFullRefresh >= FULL_REFRESH_MS;
      const moved = await refreshLanes(projectLanes, names, (project) => ({ project }), force);
      await refreshRunning();
      if (options.organizations !== undefined && (moved || force || organizations === undefined)) {
        // The catalogue may be large: read it only when something moved (or every 10 s), not on every poll.
        organizations = organizationList(await options.organizations());
        const ids = organizations.slice(0, options.maxOrganizations).map((org) => org.id);
        await refreshLanes(organizationLanes, ids, (organizationId) => ({ organizationId }), true);
      }
      if (force) lastFullRefresh = at;

      const projects: ProjectView[] = names.map((name) => {
        const lane = projectLanes.get(name)!;
        return { name, counts: { ...lane.counts }, recent: recentOf(lane.window) };
      });
      const totals = zeroCounts();
      for (const project of projects)
        for (const status of TASK_STATUSES) totals[status] += project.counts[status];
      const snapshot: DashboardSnapshot = {
        generatedAt: Date.now(),
        totals,
        projects,
        running: running.map(toTaskView),
        failures: names.flatMap((name) => failures.of(name)),
      };
      if (organizations !== undefined) {
        const shownOrganizations = organizations.slice(0, options.maxOrganizations);
        snapshot.organizations = shownOrganizations.map((org): OrganizationView => {
          const lane = organizationLanes.get(org.id)!;
          return { id: org.id, name: org.name, counts: { ...lane.counts }, recent: recentOf(lane.window) };
        });
        snapshot.hiddenOrganizations = organizations.length - shownOrganizations.length;
      }
      return snapshot;
    },
  };
}
