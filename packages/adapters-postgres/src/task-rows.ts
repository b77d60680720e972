import type { ScanTask, TaskStatus, TaskTransition } from '@scanplane/core';

/** The task columns as read back (times as float8 so they arrive as numbers, not strings). */
export const TASK_COLUMNS = `t.id, t.project, t.scan_id, t.organization_ids, t.kind, t.target, t.payload, t.status,
  t.attempt, t.max_attempts, t.priority, t.idempotency_key, t.version, t.start_timeout_ms, t.lease_ms,
  t.run_timeout_ms, t.created_at, t.queued_at, t.requested_at, t.started_at, t.finished_at, t.last_heartbeat_at,
  t.lease_expires_at, t.not_before, t.worker_id, t.handle, t.result, t.error`;

/** A task's history, oldest first, as one JSON array (the caller's alias for the task table is `t`). */
export const historyOf = (s: string): string => `COALESCE((
  SELECT json_agg(json_strip_nulls(json_build_object('from', h.from_status, 'to', h.to_status, 'at', h.at,
    'reason', h.reason)) ORDER BY h.id)
  FROM ${s}.task_history h WHERE h.task_id = t.id), '[]'::json) AS history`;

/** A row of {@link TASK_COLUMNS} plus `history`. */
export interface TaskRow {
  id: string;
  project: string;
  scan_id: string | null;
  organization_ids: string[] | null;
  kind: string;
  target: ScanTask['target'] | null;
  payload: ScanTask['payload'] | null;
  status: TaskStatus;
  attempt: number;
  max_attempts: number;
  priority: number;
  idempotency_key: string;
  version: number;
  start_timeout_ms: number;
  lease_ms: number;
  run_timeout_ms: number;
  created_at: number;
  queued_at: number | null;
  requested_at: number | null;
  started_at: number | null;
  finished_at: number | null;
  last_heartbeat_at: number | null;
  lease_expires_at: number | null;
  not_before: number | null;
  worker_id: string | null;
  handle: ScanTask['handle'] | null;
  result: unknown;
  error: ScanTask['error'] | null;
  history: TaskTransition[];
}

const opt = <T>(value: T | null): T | undefined => (value === null ? undefined : value);

/** The ScanTask of a row: every field present (undefined when unset), in the memory store's order. */
export function taskOfRow(row: TaskRow): ScanTask {
  return {
    id: row.id,
    project: row.project,
    scanId: opt(row.scan_id),
    organizationIds: opt(row.organization_ids),
    kind: row.kind,
    target: opt(row.target),
    payload: opt(row.payload),
    status: row.status,
    attempt: row.attempt,
    maxAttempts: row.max_attempts,
    priority: row.priority,
    idempotencyKey: row.idempotency_key,
    version: row.version,
    timeouts: { startMs: row.start_timeout_ms, leaseMs: row.lease_ms, runMs: row.run_timeout_ms },
    createdAt: row.created_at,
    queuedAt: opt(row.queued_at),
    requestedAt: opt(row.requested_at),
    startedAt: opt(row.started_at),
    finishedAt: opt(row.finished_at),
    lastHeartbeatAt: opt(row.last_heartbeat_at),
    leaseExpiresAt: opt(row.lease_expires_at),
    notBefore: opt(row.not_before),
    workerId: opt(row.worker_id),
    handle: opt(row.handle),
    result: row.result === null ? undefined : row.result,
    error: opt(row.error),
    history: row.history,
  };
}
