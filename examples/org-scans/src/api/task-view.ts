import type { ScanTask, TaskError, TaskStatus } from '@scanplane/core';

/**
 * A scan task as operators see it (Crossfeed's `ScanTask` row): its scan and organizations, status and times,
 * where it ran (the container name or ECS task ARN), and its result or error.
 *
 * @example
 * ```ts
 * import type { TaskView } from './task-view.js';
 * const done = (task: TaskView) => task.status === 'finished';
 * ```
 */
export interface TaskView {
  /** The task id (Crossfeed's `scanTaskId`). */
  id: string;
  /** The scan definition it runs for. */
  scanId?: string;
  /** The scan type: the worker's handler. */
  kind: string;
  /** The organizations it covers (empty for a global scan). */
  organizationIds: string[];
  /** Lifecycle status. */
  status: TaskStatus;
  /** The attempt, from 1. */
  attempt: number;
  /** Attempts allowed. */
  maxAttempts: number;
  /** Chunk `chunkNumber` of `chunkCount`, for chunked scans. */
  chunk?: { number: number; count: number };
  /** Epoch milliseconds of each step reached. */
  createdAt: number;
  queuedAt?: number;
  requestedAt?: number;
  startedAt?: number;
  finishedAt?: number;
  /** Where it runs: the launcher and its handle (a container name, an ECS task ARN). */
  launcher?: string;
  container?: string;
  /** What the worker returned (per organization for per-organization scans). */
  result?: unknown;
  /** Why it failed or was cancelled. */
  error?: TaskError;
}

/**
 * The operators' view of a task.
 *
 * @example
 * ```ts
 * import { taskView } from './task-view.js';
 * declare const task: import('@scanplane/core').ScanTask;
 * JSON.stringify(taskView(task));
 * ```
 */
export function taskView(task: ScanTask): TaskView {
  const view: TaskView = {
    id: task.id,
    kind: task.kind,
    organizationIds: task.organizationIds ?? [],
    status: task.status,
    attempt: task.attempt,
    maxAttempts: task.maxAttempts,
    createdAt: task.createdAt,
  };
  if (task.scanId !== undefined) view.scanId = task.scanId;
  const payload = task.payload ?? {};
  if (typeof payload['chunkNumber'] === 'number' && typeof payload['chunkCount'] === 'number')
    view.chunk = { number: payload['chunkNumber'], count: payload['chunkCount'] };
  for (const key of ['queuedAt', 'requestedAt', 'startedAt', 'finishedAt'] as const) {
    const value = task[key];
    if (value !== undefined) view[key] = value;
  }
  if (task.handle !== undefined) {
    view.launcher = task.handle.launcher;
    view.container = task.handle.id;
  }
  if (task.result !== undefined) view.result = task.result;
  if (task.error !== undefined) view.error = task.error;
  return view;
}
