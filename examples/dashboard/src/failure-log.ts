import type { ScanTask } from '@scanplane/core';
import { type TaskView, toTaskView } from './snapshot.js';

/**
 * The most recent failed tasks of each project, newest first, fed with every task the dashboard reads (failed
 * ones are kept, others ignored). A failed task never changes again, so seeing it once is enough.
 */
export interface FailureLog {
  /** Keeps `task` if it failed and is among the newest failures of its project. */
  offer(task: ScanTask): void;
  /** The project's newest failures, newest first. */
  of(project: string): readonly TaskView[];
}

/** When a failure happened, for ordering (tasks without `finishedAt` count as created then). */
function failedAt(view: TaskView): number {
  return view.finishedAt ?? view.createdAt;
}

/**
 * Creates a {@link FailureLog} keeping `limit` failures per project.
 */
export function createFailureLog(limit: number): FailureLog {
  const byProject = new Map<string, TaskView[]>();
  return {
    offer(task) {
      if (task.status !== 'failed') return;
      const list = byProject.get(task.project) ?? [];
      if (list.some((view) => view.id === task.id)) return;
      const view = toTaskView(task);
      if (list.length >= limit && failedAt(view) <= failedAt(list[list.length - 1]!)) return;
      list.push(view);
      list.sort((a, b) => failedAt(b) - failedAt(a) || (a.id < b.id ? -1 : 1));
      if (list.length > limit) list.length = limit;
      byProject.set(task.project, list);
    },
    of: (project) => byProject.get(project) ?? [],
  };
}
