import type { ErrorCode } from '../errors/error-codes.js';

/**
 * The life of a task: `created → queued → requested → started → finished | failed`, plus `cancelled`. `queued` means
 * waiting for capacity or a worker; `requested` means a launcher was asked to start it; `started` means it runs.
 * `finished`, `failed` and `cancelled` are terminal: nothing leaves them. See {@link TRANSITIONS}.
 *
 * @example
 * ```ts
 * import type { TaskStatus } from '@scanplane/core';
 * const status: TaskStatus = 'queued';
 * ```
 */
export type TaskStatus = 'created' | 'queued' | 'requested' | 'started' | 'finished' | 'failed' | 'cancelled';

/**
 * Every status, in lifecycle order.
 *
 * @example
 * ```ts
 * import { TASK_STATUSES } from '@scanplane/core';
 * TASK_STATUSES.length; // 7
 * ```
 */
export const TASK_STATUSES: readonly TaskStatus[] = [
  'created',
  'queued',
  'requested',
  'started',
  'finished',
  'failed',
  'cancelled',
];

/**
 * The statuses of work in progress (Crossfeed's "already active": created, queued, requested, started).
 *
 * @example
 * ```ts
 * import { ACTIVE_STATUSES } from '@scanplane/core';
 * ACTIVE_STATUSES.includes('queued'); // true
 * ```
 */
export const ACTIVE_STATUSES: readonly TaskStatus[] = ['created', 'queued', 'requested', 'started'];

/**
 * The terminal statuses.
 *
 * @example
 * ```ts
 * import { TERMINAL_STATUSES } from '@scanplane/core';
 * TERMINAL_STATUSES.includes('cancelled'); // true
 * ```
 */
export const TERMINAL_STATUSES: readonly TaskStatus[] = ['finished', 'failed', 'cancelled'];

/**
 * Whether a status is terminal.
 *
 * @example
 * ```ts
 * import { isTerminal } from '@scanplane/core';
 * isTerminal('failed'); // true
 * ```
 */
export function isTerminal(status: TaskStatus): boolean {
  return status === 'finished' || status === 'failed' || status === 'cancelled';
}

/**
 * What a task scans: addresses (minimal CIDR cover), the hostnames behind them, and the canonical port set.
 *
 * @example
 * ```ts
 * import type { TaskTarget } from '@scanplane/core';
 * const target: TaskTarget = { ip: '192.0.2.7', addresses: ['192.0.2.7/32'], hostnames: ['web.lab'], ports: '80,443' };
 * ```
 */
export interface TaskTarget {
  /** The address, for one-address tasks. */
  ip?: string;
  /** The addresses as CIDRs. */
  addresses: string[];
  /** Hostnames that resolved to the addresses, in input order. */
  hostnames: string[];
  /** Canonical port specification ({@link PortSet}). */
  ports: string;
}

/**
 * An error recorded on a task: always a code and a message, never `{}`.
 *
 * @example
 * ```ts
 * import type { TaskError } from '@scanplane/core';
 * const error: TaskError = { code: 'LEASE_EXPIRED', message: 'no heartbeat for 30 s', retryable: true };
 * ```
 */
export interface TaskError {
  /** A scanplane error code, or a platform's own code. */
  code: ErrorCode | (string & {});
  /** What happened. */
  message: string;
  /** Whether another attempt may succeed. */
  retryable?: boolean;
  /** Extra facts: an exit code, an ECS stop code, the last log lines. */
  details?: Record<string, unknown>;
}

/**
 * Where a launched task runs: the launcher's name and its id for it (a container name, an ECS task ARN).
 *
 * @example
 * ```ts
 * import type { TaskHandle } from '@scanplane/core';
 * const handle: TaskHandle = { launcher: 'docker', id: 'scanplane_acme_portscan_1a2b3c4d' };
 * ```
 */
export interface TaskHandle {
  /** The launcher's name. */
  launcher: string;
  /** Its id for the running task. */
  id: string;
  /** The last platform event version applied (events with an older or equal version are stale). */
  version?: number;
}

/**
 * One entry of a task's history.
 *
 * @example
 * ```ts
 * import type { TaskTransition } from '@scanplane/core';
 * const step: TaskTransition = { from: 'queued', to: 'started', at: 1767225600000, reason: 'claimed by worker w1' };
 * ```
 */
export interface TaskTransition {
  /** The status before (absent for the creation entry). */
  from?: TaskStatus;
  /** The status after. */
  to: TaskStatus;
  /** When, in epoch milliseconds. */
  at: number;
  /** Why. */
  reason: string;
}

/**
 * Time limits of a task, in milliseconds. Each live state has one, so nothing stays running forever.
 *
 * @example
 * ```ts
 * import type { TaskTimeouts } from '@scanplane/core';
 * const timeouts: TaskTimeouts = { startMs: 120_000, leaseMs: 30_000, runMs: 3_600_000 };
 * ```
 */
export interface TaskTimeouts {
  /** A `requested` (or stuck `created`) task that is not `started` within this is failed or retried (START_TIMEOUT). */
  startMs: number;
  /** A `started` task whose lease is not renewed by a heartbeat within this is failed or retried (LEASE_EXPIRED). */
  leaseMs: number;
  /** A `started` task still running after this is failed (TASK_TIMEOUT). */
  runMs: number;
}

/**
 * A scan task: one unit of work and the record of its life.
 *
 * @example
 * ```ts
 * import type { ScanTask } from '@scanplane/core';
 * function describe(task: ScanTask): string {
 *   return `${task.id} ${task.status} attempt ${task.attempt}/${task.maxAttempts}`;
 * }
 * ```
 */
export interface ScanTask {
  /** Unique id. */
  id: string;
  /** The dedup scope: a project (Tasker) or an organization scope (Crossfeed). */
  project: string;
  /** The scan definition that produced it (scheduled work). */
  scanId?: string;
  /** The organizations it covers (scheduled work). */
  organizationIds?: string[];
  /** What runs it: a handler name or scan type (`tcp-connect`, `nmap`, `amass`, …). */
  kind: string;
  /** What it scans, for target tasks. */
  target?: TaskTarget;
  /** Command options for the worker (scheduled work, or extra options). JSON. */
  payload?: Record<string, unknown>;
  /** Where it is in its life ({@link TaskStatus}). */
  status: TaskStatus;
  /** Attempts started so far. */
  attempt: number;
  /** Attempts allowed before a retryable failure becomes final. */
  maxAttempts: number;
  /** Higher runs first. */
  priority: number;
  /** Deterministic key of the work; no two active tasks of a project share it. */
  idempotencyKey: string;
  /** Increases by one on every change. */
  version: number;
  /** Time limits. */
  timeouts: TaskTimeouts;
  /** When it was created, in epoch milliseconds. */
  createdAt: number;
  /** When it was first queued, in epoch milliseconds; retries keep it, so the queue stays first in, first out. */
  queuedAt?: number;
  /** When a launcher was last asked to start it, in epoch milliseconds. */
  requestedAt?: number;
  /** When its latest attempt started, in epoch milliseconds. */
  startedAt?: number;
  /** When it reached a terminal status, in epoch milliseconds. */
  finishedAt?: number;
  /** When its worker last renewed the lease, in epoch milliseconds. */
  lastHeartbeatAt?: number;
  /** A started task's lease ends here unless a heartbeat renews it. */
  leaseExpiresAt?: number;
  /** A queued task may not run before this (retry backoff). */
  notBefore?: number;
  /** The worker running it. */
  workerId?: string;
  /** The launcher's handle. */
  handle?: TaskHandle;
  /** The handler's result (JSON). */
  result?: unknown;
  /** Why it failed or was cancelled. */
  error?: TaskError;
  /** Every transition, oldest first. */
  history: TaskTransition[];
}

/**
 * What a caller gives to create a task; the store fills in id, status, version, timestamps and history.
 *
 * @example
 * ```ts
 * import type { NewTask } from '@scanplane/core';
 * const task: NewTask = {
 *   project: 'acme',
 *   kind: 'tcp-connect',
 *   target: { ip: '192.0.2.7', addresses: ['192.0.2.7/32'], hostnames: [], ports: '22,80' },
 *   idempotencyKey: 'acme:192.0.2.7:22,80',
 * };
 * ```
 */
export interface NewTask {
  /** Optional id (a UUID is generated otherwise). */
  id?: string;
  /** The dedup scope: a project or an organization scope. */
  project: string;
  /** The scan definition that produced it (scheduled work). */
  scanId?: string;
  /** The organizations it covers (scheduled work). */
  organizationIds?: string[];
  /** What runs it: a handler name or scan type (`tcp-connect`, `nmap`, …). */
  kind: string;
  /** What it scans, for target tasks. */
  target?: TaskTarget;
  /** Command options for the worker (JSON). */
  payload?: Record<string, unknown>;
  /** Deterministic key of the work. If an active task of the project has it, that task is returned instead. */
  idempotencyKey: string;
  /** Default 1. */
  priority?: number;
  /** Default 3. */
  maxAttempts?: number;
  /** Defaults: {@link DEFAULT_TIMEOUTS}. */
  timeouts?: Partial<TaskTimeouts>;
  /** Status to create it in: `created` (default) or `queued`. */
  status?: 'created' | 'queued';
}

/**
 * Default time limits: 5 minutes to start, a 30-second lease, 24 hours to run.
 *
 * @example
 * ```ts
 * import { DEFAULT_TIMEOUTS } from '@scanplane/core';
 * DEFAULT_TIMEOUTS.leaseMs; // 30000
 * ```
 */
export const DEFAULT_TIMEOUTS: Readonly<TaskTimeouts> = Object.freeze({
  startMs: 5 * 60_000,
  leaseMs: 30_000,
  runMs: 24 * 60 * 60_000,
});
