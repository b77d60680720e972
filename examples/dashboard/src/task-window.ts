import type { ScanTask, TaskQuery, TaskStore } from '@scanplane/core';

/** Tasks read per `list` call. */
const PAGE_SIZE = 500;

/**
 * The newest tasks of one scope (a project or an organization), kept current cheaply although the store lists
 * oldest first: the window remembers the task just before it (its anchor) and each refresh lists what comes after
 * the anchor — the window's own tasks, in their current state, plus any new ones — then moves the anchor forward.
 * The first refresh pages through the whole scope once; later ones read about `size` tasks.
 */
export interface TaskWindow {
  /**
   * Reads the store again, showing `visit` every task read (the window, and on the first refresh or after a burst,
   * older tasks on the way) so the caller can pick failures out of them.
   */
  refresh(visit?: (task: ScanTask) => void): Promise<void>;
  /** The newest tasks as of the last refresh, oldest first. */
  tasks(): readonly ScanTask[];
}

/**
 * Creates a {@link TaskWindow} over the tasks matching `scope` (`project` or `organizationId`).
 *
 * @param size how many of the newest tasks to keep.
 */
export function createTaskWindow(
  store: Pick<TaskStore, 'list'>,
  scope: Pick<TaskQuery, 'project' | 'organizationId'>,
  size: number,
): TaskWindow {
  /** The id of the task just before the window (undefined while the scope holds no more than `size` tasks). */
  let anchor: string | undefined;
  let window: ScanTask[] = [];

  /** Visits every task after `after` (all when undefined) and returns the last size + 1 of them. */
  async function readAfter(after: string | undefined, visit?: (task: ScanTask) => void): Promise<ScanTask[]> {
    let tail: ScanTask[] = [];
    let cursor = after;
    for (;;) {
      const page = await store.list({ ...scope, after: cursor, limit: PAGE_SIZE });
      if (visit !== undefined) for (const task of page) visit(task);
      tail = [...tail, ...page].slice(-(size + 1));
      if (page.length < PAGE_SIZE) break;
      cursor = page[page.length - 1]!.id;
    }
    return tail;
  }

  return {
    async refresh(visit) {
      let tail = await readAfter(anchor, visit);
      if (tail.length === 0 && anchor !== undefined) {
        // Nothing after the anchor although the window held tasks: they (or the anchor) were deleted. Start over.
        anchor = undefined;
        tail = await readAfter(undefined, visit);
      }
      if (tail.length > size) {
        anchor = tail[0]!.id;
        window = tail.slice(1);
      } else {
        window = tail;
      }
    },
    tasks: () => window,
  };
}
