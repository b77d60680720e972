import { parseCron } from './cron.js';
import {
  DISABLED_FLAG,
  type OrganizationCatalogue,
  type OrganizationEntry,
  organizationCatalogue,
  PASSIVE_FLAG,
  type VisitOrder,
} from './organization-catalogue.js';
import type { Organization, ScanDefinition } from './scan-definition.js';
import { validateScanDefinition } from './scan-definition.js';
import {
  PAIR,
  PAIR_FIELDS,
  type PairColumns,
  type PairHistory,
  type PairLookup,
  pairLookup,
  type ScanPairs,
  type ScheduleHistory,
} from './schedule-history.js';
import { SKIP_REASONS, SkipLog, skipCode } from './skip-log.js';

/**
 * A queued scheduled task, as the scheduler sees it: waiting for capacity (Crossfeed's `queued` ScanTask).
 *
 * @example
 * ```ts
 * import type { QueuedScanTask } from '@scanplane/core';
 * const waiting: QueuedScanTask = {
 *   taskId: 't1', scanId: 'portscan', organizationIds: ['acme'], priority: 1, queuedAt: Date.now() - 60_000,
 * };
 * ```
 */
export interface QueuedScanTask {
  /** The task. */
  taskId: string;
  /** Its scan definition's id (the definition may since have been deleted). */
  scanId: string;
  /** The organizations it covers (empty for a global scan). */
  organizationIds: readonly string[];
  /** Its priority. */
  priority: number;
  /** When it was first queued, epoch milliseconds. */
  queuedAt: number;
  /** When its work became due (from its payload), epoch milliseconds; `queuedAt` when unknown. */
  dueSince?: number;
  /** It may not run before this (retry backoff), epoch milliseconds. */
  notBefore?: number;
}

/**
 * Everything one scheduling decision reads.
 *
 * @example
 * ```ts
 * import { ScheduleHistoryIndex, type ScheduleState } from '@scanplane/core';
 * const state: ScheduleState = {
 *   scans: [{ id: 'amass', type: 'amass', frequencySeconds: 86_400 }],
 *   organizations: [{ id: 'acme', name: 'Acme', passive: false, tags: [] }],
 *   history: ScheduleHistoryIndex.fromTasks([]),
 *   queued: [],
 *   running: 0,
 *   limit: 100,
 * };
 * ```
 */
export interface ScheduleState {
  /** Every scan definition (disabled ones included: their queued tasks are cancelled). */
  scans: readonly ScanDefinition[];
  /** Every organization. */
  organizations: readonly Organization[];
  /** Pair histories. */
  history: ScheduleHistory;
  /** Queued scheduled tasks, in any order. */
  queued: readonly QueuedScanTask[];
  /** Tasks running now (`requested` or `started`): they hold capacity. */
  running: number;
  /** Most tasks running at once (Crossfeed's `FARGATE_MAX_CONCURRENCY`). Absent: no limit. */
  limit?: number;
}

/**
 * Options of {@link planSchedule}.
 *
 * @example
 * ```ts
 * import type { ScheduleOptions } from '@scanplane/core';
 * const options: ScheduleOptions = { organizationsPerTask: 10, knownTypes: ['amass', 'portscanner'] };
 * ```
 */
export interface ScheduleOptions {
  /** Organizations per task when the scan does not say (Crossfeed's `SCHEDULER_ORGS_PER_SCANTASK`). Default 1. */
  organizationsPerTask?: number;
  /** The scan types workers can run; a scan of another type is skipped and its queued tasks cancelled. */
  knownTypes?: readonly string[];
}

/**
 * Why a (scan, organization) pair does not run in this tick.
 * - `invalid-definition`, `unknown-type`, `scan-disabled`: the whole scan (one decision without an organization);
 * - `organization-disabled`; `not-selected` (a granular scan that does not select it);
 * - `passive-organization`: an active scan on a passive organization;
 * - `already-active`: a task covering the pair is `created`, `queued`, `requested` or `started` (manual runs too);
 * - `not-due`: its frequency window (inclusive, from its last finish) or its next cron time has not passed;
 * - `single-shot-done`: a single-shot scan that succeeded; `single-shot-failed`: one that failed `maxAttempts` times;
 * - `waiting-for-dependency`: a scan it depends on has not finished there since its own last run.
 *
 * @example
 * ```ts
 * import type { ScheduleSkipReason } from '@scanplane/core';
 * const reason: ScheduleSkipReason = 'not-due';
 * ```
 */
export type ScheduleSkipReason =
  | 'invalid-definition'
  | 'unknown-type'
  | 'scan-disabled'
  | 'organization-disabled'
  | 'not-selected'
  | 'passive-organization'
  | 'already-active'
  | 'not-due'
  | 'single-shot-done'
  | 'single-shot-failed'
  | 'waiting-for-dependency';

/**
 * A pair that does not run, and why.
 *
 * @example
 * ```ts
 * import type { PairSkip } from '@scanplane/core';
 * const skip: PairSkip = { scanId: 'portscan', organizationId: 'acme', reason: 'not-due', detail: 'due at 2026-01-02T00:00:00.000Z' };
 * ```
 */
export interface PairSkip {
  /** The scan. */
  scanId: string;
  /** The organization; absent for a global scan, or for a reason that concerns the whole scan. */
  organizationId?: string;
  /** Why. */
  reason: ScheduleSkipReason;
  /** More about it, for people (the missing dependency, the validation error). */
  detail?: string;
  /** For `not-due`: when it becomes due, epoch milliseconds (a frequency window ends just after it). */
  dueAt?: number;
}

/**
 * The command options a scheduled task carries in its payload (they reach the worker as {@link CommandOptions}).
 *
 * @example
 * ```ts
 * import type { ScheduledTaskPayload } from '@scanplane/core';
 * const payload: ScheduledTaskPayload = {
 *   scanName: 'portscanner', organizations: [{ id: 'acme', name: 'Acme' }], arguments: { ports: '1-1024' }, dueSince: 0,
 * };
 * ```
 */
export interface ScheduledTaskPayload {
  /** The scan type (Crossfeed's `scanName`). */
  scanName: string;
  /** The organizations of the batch, with their scope; for a global granular scan, its selection; else empty. */
  organizations: Array<{
    /** Organization id. */
    id: string;
    /** Organization name. */
    name: string;
    /** Its authorised scope (root domains, IP blocks), for the target engine. */
    scope?: Organization['scope'];
  }>;
  /** The chunk, from 0, for a chunked scan. */
  chunkNumber?: number;
  /** The number of chunks, for a chunked scan. */
  chunkCount?: number;
  /** The scan's arguments. */
  arguments?: Record<string, unknown>;
  /** For a global active scan: the passive organizations it must leave alone. */
  excludedOrganizations?: string[];
  /** The scan's resources, for launchers. */
  resources?: {
    /** CPU units. */
    cpu?: number;
    /** Memory in MiB. */
    memory?: number;
  };
  /** When its work became due, epoch milliseconds (orders capacity while it waits). */
  dueSince: number;
  [key: string]: unknown;
}

/**
 * A task the decision creates: plain data. The tasks of one batch's chunks share its `organizationIds` array and
 * their payloads its organization entries (frozen, shared with every task that carries the organization).
 *
 * @example
 * ```ts
 * import type { PlannedScanTask } from '@scanplane/core';
 * declare const planned: PlannedScanTask;
 * `${planned.scanId} for ${planned.organizationIds.length} organizations`;
 * ```
 */
export interface PlannedScanTask {
  /** Deterministic key of the work (scan, chunk, organizations): the task's idempotency key. */
  key: string;
  /** The scan. */
  scanId: string;
  /** The scan type: the task's `kind`. */
  type: string;
  /** The organizations it covers (empty for a global scan). */
  organizationIds: string[];
  /** Its priority (the scan's). */
  priority: number;
  /** When its work became due (the earliest of its organizations), epoch milliseconds. */
  dueSince: number;
  /** Whether a manual run asked for it. */
  manual: boolean;
  /** The command options it carries. */
  payload: ScheduledTaskPayload;
}

/**
 * A queued task to cancel, and why: its scan was deleted, disabled, is of an unknown type or invalid, or every
 * organization it covered is gone (Crossfeed issue #2596: such tasks froze its queue).
 *
 * @example
 * ```ts
 * import type { ScheduleCancel } from '@scanplane/core';
 * const cancel: ScheduleCancel = { taskId: 't1', code: 'scan-deleted', reason: 'scan portscan no longer exists' };
 * ```
 */
export interface ScheduleCancel {
  /** The queued task. */
  taskId: string;
  /** What happened. */
  code: 'scan-deleted' | 'scan-disabled' | 'unknown-type' | 'invalid-definition' | 'organizations-gone';
  /** For people. */
  reason: string;
}

/**
 * A change to a scan definition: `lastRun` when it launched work in this tick; the manual run cleared once its
 * work was queued or launched (only the request of `manualRunRequestedAt`, not a newer one).
 *
 * @example
 * ```ts
 * import type { ScanUpdate } from '@scanplane/core';
 * const update: ScanUpdate = { scanId: 'amass', lastRun: Date.now(), clearManualRun: 1_767_225_600_000 };
 * ```
 */
export interface ScanUpdate {
  /** The scan. */
  scanId: string;
  /** Set `lastRun` to this. */
  lastRun?: number;
  /** Clear the pending manual run if it is still this request. */
  clearManualRun?: number;
}

/**
 * The decision of one tick.
 *
 * @example
 * ```ts
 * import type { SchedulePlan } from '@scanplane/core';
 * declare const plan: SchedulePlan;
 * `${plan.launch.length} to launch, ${plan.queue.length} to queue, ${plan.relaunch.length} from the queue`;
 * ```
 */
export interface SchedulePlan {
  /** The time decided for, epoch milliseconds. */
  at: number;
  /** New tasks to launch now. */
  launch: PlannedScanTask[];
  /** New tasks to create queued: capacity is full. */
  queue: PlannedScanTask[];
  /** Queued tasks to launch now, in launch order. */
  relaunch: QueuedScanTask[];
  /** Queued tasks to cancel. */
  cancel: ScheduleCancel[];
  /** Scan definition changes. */
  scanUpdates: ScanUpdate[];
  /**
   * Every pair that does not run, with its reason, in decision order (scans by id, organizations by id). Built when
   * first read: most ticks never look at it.
   */
  skipped: PairSkip[];
  /** How many pairs do not run (`skipped.length`, without building the list). */
  skippedCount: number;
}

/**
 * The per-pair verdict, a small integer (no allocation: a tick decides hundreds of thousands of pairs): {@link RUN},
 * the pair runs, due since the context's `dueSince` (epoch ms; a manual run if the scan has one pending); < 0, it is
 * skipped, with the reason of code −verdict ({@link SKIP_REASONS}), and the context's `dueAt` and `detail` set for
 * that reason.
 */
type Verdict = number;

/** What the per-pair rules need of the tick, computed once. */
interface Context {
  now: number;
  lookup: PairLookup;
  scansById: Map<string, ScanDefinition>;
  /** The handle of a global scan's pair. */
  globalHandle: number | undefined;
  /** Readers of the scans' pairs, by scan (dependencies read other scans' pairs). */
  readers: Map<string, ScanPairs | undefined>;
  /** Scratch arrays the readers fill (no allocation per pair): the pair's, and a dependency's. */
  pair: Float64Array;
  dependency: Float64Array;
  /** Since when a pair that runs has been due (epoch ms). Always a number, so storing one never allocates. */
  dueSince: number;
  /** What the last skip verdict says beyond its reason: when it becomes due (NaN: nothing to say), or a detail. */
  dueAt: number;
  detail: string | undefined;
}

function contextOf(now: number, history: ScheduleHistory, scansById: Map<string, ScanDefinition>): Context {
  const lookup = pairLookup(history);
  return {
    now,
    lookup,
    scansById,
    globalHandle: lookup.handle(undefined),
    readers: new Map(),
    pair: new Float64Array(PAIR_FIELDS),
    dependency: new Float64Array(PAIR_FIELDS),
    // NaN, not 0: the field holds a double from the start (a small integer first would deoptimize the loops).
    dueSince: Number.NaN,
    dueAt: Number.NaN,
    detail: undefined,
  };
}

function readerOf(context: Context, scanId: string): ScanPairs | undefined {
  if (context.readers.has(scanId)) return context.readers.get(scanId);
  const reader = context.lookup.scan(scanId);
  context.readers.set(scanId, reader);
  return reader;
}

const DEFAULT_MAX_ATTEMPTS = 3;

/**
 * What the per-pair rules read of a scan definition, in one fixed shape. Definitions come in as many shapes as they
 * have optional fields, and a property read that has seen many shapes is a slow (megamorphic) one: the rules read
 * a dozen per pair, hundreds of thousands of times a tick.
 */
class PairRule {
  readonly id: string;
  readonly passive: boolean;
  /** NaN: no manual run pending. */
  readonly manualRunAt: number;
  readonly cron: string | undefined;
  readonly timezone: string | undefined;
  readonly jitterMs: number;
  readonly frequencyMs: number;
  /** NaN: unknown. */
  readonly createdAt: number;
  readonly singleShot: boolean;
  readonly maxAttempts: number;
  /** Each dependency, and whether it is a global scan (dependencies are checked to exist before any pair is). */
  readonly dependencies: ReadonlyArray<{ readonly id: string; readonly global: boolean }>;

  constructor(scan: ScanDefinition, scansById: ReadonlyMap<string, ScanDefinition>) {
    this.id = scan.id;
    this.passive = scan.passive === true;
    this.manualRunAt = scan.manualRunRequestedAt ?? Number.NaN;
    this.cron = scan.cron;
    this.timezone = scan.timezone;
    this.jitterMs = (scan.jitterSeconds ?? 0) * 1000;
    this.frequencyMs = (scan.frequencySeconds ?? 0) * 1000;
    this.createdAt = scan.createdAt ?? Number.NaN;
    this.singleShot = scan.singleShot === true;
    this.maxAttempts = scan.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    this.dependencies = (scan.dependsOn ?? []).map((id) => ({
      id,
      global: scansById.get(id)?.global === true,
    }));
  }
}

/** A fixed offset in [0, jitter) for a pair, from a 32-bit FNV-1a hash of its key. */
function jitterOf(rule: PairRule, organizationId: string | undefined): number {
  const jitterMs = rule.jitterMs;
  if (jitterMs === 0) return 0;
  const key = `${rule.id}\u0000${organizationId ?? ''}`;
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % jitterMs;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * When the pair's schedule makes it due (epoch ms; no manual run involved): its next cron time, or its last finish
 * plus the frequency, or (never finished) the scan's creation — each plus the pair's jitter. Infinity: never.
 * `pair` is what a reader filled, or undefined if the pair has no history.
 */
function dueAtOf(rule: PairRule, organizationId: string | undefined, pair: Float64Array | undefined): number {
  const jitter = jitterOf(rule, organizationId);
  const finished = pair === undefined ? Number.NaN : (pair[PAIR.lastFinishedAt] as number);
  if (rule.cron !== undefined) {
    const runAt = pair === undefined ? Number.NaN : (pair[PAIR.lastRunAt] as number);
    const reference = !Number.isNaN(runAt) ? runAt : !Number.isNaN(finished) ? finished : rule.createdAt;
    if (Number.isNaN(reference)) return 0;
    const next = parseCron(rule.cron, rule.timezone).nextAfter(reference);
    return next === undefined ? Number.POSITIVE_INFINITY : next + jitter;
  }
  if (Number.isNaN(finished)) return Number.isNaN(rule.createdAt) ? 0 : rule.createdAt + jitter;
  return finished + rule.frequencyMs + jitter;
}

/** Whether `dueAt` has come: Crossfeed's frequency window is inclusive (exactly `frequency` after a finish is not). */
const hasCome = (rule: PairRule, pair: Float64Array | undefined, dueAt: number, now: number): boolean =>
  rule.cron === undefined && pair !== undefined && !Number.isNaN(pair[PAIR.lastFinishedAt] as number)
    ? dueAt < now
    : dueAt <= now;

const RUN = 0;
const PASSIVE = -skipCode('passive-organization');
const ACTIVE = -skipCode('already-active');
const NOT_DUE = -skipCode('not-due');
const SINGLE_SHOT_DONE = -skipCode('single-shot-done');
const SINGLE_SHOT_FAILED = -skipCode('single-shot-failed');
const WAITING = -skipCode('waiting-for-dependency');

/**
 * Crossfeed's eligibility check in its order, with the fixes; scan-level checks are done by the caller. Returns
 * {@link RUN} with `context.dueSince` set, or a negated skip code with `context.dueAt` / `context.detail` set.
 */
function decidePair(
  rule: PairRule,
  reader: ScanPairs | undefined,
  organizationId: string | undefined,
  passive: boolean,
  handle: number | undefined,
  context: Context,
): Verdict {
  context.dueAt = Number.NaN;
  context.detail = undefined;
  const pair = handle !== undefined && reader?.(handle, context.pair) === true ? context.pair : undefined;
  // 1. The passive guard (per organization; global scans exclude passive organizations in their options instead).
  if (passive && !rule.passive) return PASSIVE;
  // 2. Already active: never a duplicate of active work, not even for a manual run (Crossfeed issue #753).
  if (pair !== undefined && (pair[PAIR.active] as number) > 0) return ACTIVE;
  // 3. A pending manual run skips the schedule, single-shot state and dependencies.
  if (!Number.isNaN(rule.manualRunAt)) {
    context.dueSince = rule.manualRunAt;
    return RUN;
  }
  // 4. Frequency (inclusive window from the last finish) or cron, with the pair's jitter.
  const dueAt = dueAtOf(rule, organizationId, pair);
  if (!hasCome(rule, pair, dueAt, context.now)) {
    if (Number.isFinite(dueAt)) context.dueAt = dueAt;
    else context.detail = 'its cron schedule never fires again';
    return NOT_DUE;
  }
  // 5. Single shot: done once it succeeded; a failure is retried up to maxAttempts.
  if (rule.singleShot && pair !== undefined && !Number.isNaN(pair[PAIR.lastFinishedAt] as number)) {
    if (!Number.isNaN(pair[PAIR.lastSucceededAt] as number)) return SINGLE_SHOT_DONE;
    const attempts = rule.maxAttempts;
    const failures = pair[PAIR.failuresSinceSuccess] as number;
    if (failures >= attempts) {
      context.detail = `failed ${failures} of ${attempts} attempts`;
      return SINGLE_SHOT_FAILED;
    }
  }
  // 6. Dependencies: each must have succeeded here since this scan's own last run here.
  if (rule.dependencies.length > 0) {
    const since = pair === undefined ? Number.NaN : (pair[PAIR.lastRunAt] as number);
    for (const dependency of rule.dependencies) {
      const dependencyId = dependency.id;
      const theirHandle = dependency.global ? context.globalHandle : handle;
      const theirReader = readerOf(context, dependencyId);
      const theirs =
        theirHandle !== undefined && theirReader?.(theirHandle, context.dependency) === true
          ? context.dependency
          : undefined;
      const succeededAt = theirs === undefined ? Number.NaN : (theirs[PAIR.lastSucceededAt] as number);
      if (Number.isNaN(succeededAt) || (!Number.isNaN(since) && succeededAt <= since)) {
        const theirFinish = theirs === undefined ? Number.NaN : (theirs[PAIR.lastFinishedAt] as number);
        const failed =
          theirs !== undefined && theirs[PAIR.lastOutcome] === 2 && !Number.isNaN(theirFinish)
            ? ` (its last run failed, at ${iso(theirFinish)})`
            : '';
        context.detail = Number.isNaN(since)
          ? `${dependencyId} has not succeeded here yet${failed}`
          : `${dependencyId} has not succeeded here since this scan's last run (${iso(since)})${failed}`;
        return WAITING;
      }
    }
  }
  context.dueSince = Math.max(0, dueAt);
  return RUN;
}

/** A whole-scan problem, or undefined if the scan may run. */
function scanProblem(
  scan: ScanDefinition,
  context: Context,
  knownTypes: ReadonlySet<string> | undefined,
): { reason: 'invalid-definition' | 'unknown-type' | 'scan-disabled'; detail: string } | undefined {
  try {
    validateScanDefinition(scan);
  } catch (error) {
    return { reason: 'invalid-definition', detail: (error as Error).message };
  }
  for (const dependencyId of scan.dependsOn ?? []) {
    const dependency = context.scansById.get(dependencyId);
    if (dependency === undefined) {
      return {
        reason: 'invalid-definition',
        detail: `it depends on scan ${dependencyId}, which does not exist`,
      };
    }
    if (scan.global === true && dependency.global !== true) {
      return {
        reason: 'invalid-definition',
        detail: `a global scan can only depend on global scans, and ${dependencyId} is per organization`,
      };
    }
  }
  if (knownTypes !== undefined && !knownTypes.has(scan.type)) {
    return { reason: 'unknown-type', detail: `no worker runs scans of type ${scan.type}` };
  }
  if (scan.enabled === false) return { reason: 'scan-disabled', detail: 'the scan is disabled' };
  return undefined;
}

/**
 * The organizations a scan may run on: all (undefined), or its granular selection (tag organizations and listed
 * ones, de-duplicated) as a mask over the catalogue's indexes, written into `mask`. Listed organizations that do
 * not exist are not selected.
 */
function selection(
  scan: ScanDefinition,
  catalogue: OrganizationCatalogue,
  mask: Uint8Array,
): Uint8Array | undefined {
  if (scan.granular === undefined) return undefined;
  mask.fill(0);
  for (const tag of scan.granular.tags ?? []) {
    const indexes = catalogue.indexesByTag.get(tag);
    if (indexes !== undefined) for (let i = 0; i < indexes.length; i++) mask[indexes[i] as number] = 1;
  }
  for (const id of scan.granular.organizations ?? []) {
    const index = catalogue.indexById.get(id);
    if (index !== undefined) mask[index] = 1;
  }
  return mask;
}

const byId = (a: { id: string }, b: { id: string }): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

const DISABLED_CODE = skipCode('organization-disabled');
const NOT_SELECTED_CODE = skipCode('not-selected');

const PASSIVE_CODE = skipCode('passive-organization');
const ACTIVE_CODE = skipCode('already-active');
const NOT_DUE_CODE = skipCode('not-due');

const SINGLE_SHOT_DONE_CODE = skipCode('single-shot-done');
const SINGLE_SHOT_FAILED_CODE = skipCode('single-shot-failed');

/**
 * Whether {@link decideByFrequency} decides the pairs of `rule` exactly as {@link decidePair} would: a plain
 * frequency (no cron, no jitter, finite times), without dependencies.
 */
const plainFrequency = (rule: PairRule): boolean =>
  rule.cron === undefined &&
  rule.jitterMs === 0 &&
  rule.dependencies.length === 0 &&
  Number.isFinite(rule.frequencyMs) &&
  !(rule.createdAt === Number.POSITIVE_INFINITY || rule.createdAt === Number.NEGATIVE_INFINITY);

/**
 * {@link decideOrganizations} for a {@link plainFrequency} rule over a history that keeps columns: the same
 * decisions, reading only the columns they need (presence, active count, last finish; for a single-shot scan, the
 * last success and failure count of pairs that are due) instead of copying six per pair. Most scans are plain
 * frequencies, and this loop runs scans × organizations times, reading columns of tens of thousands of pairs each:
 * fewer bytes per pair is less time waiting for memory.
 */
function decideByFrequency(
  scanIndex: number,
  rule: PairRule,
  columns: PairColumns | undefined,
  selected: Uint8Array | undefined,
  organizations: { flags: Uint8Array; handles: Int32Array; visitOrder: Int32Array },
  context: Context,
  skips: SkipLog,
  dueOf: Float64Array,
): boolean {
  const { flags, handles, visitOrder } = organizations;
  const count = visitOrder.length;
  const present = columns === undefined ? EMPTY_PRESENT : columns.present;
  const active = columns === undefined ? EMPTY_ACTIVE : columns.active;
  const lastFinishedAt = columns === undefined ? EMPTY_TIMES : columns.lastFinishedAt;
  const lastSucceededAt = columns === undefined ? EMPTY_TIMES : columns.lastSucceededAt;
  const failureCount = columns === undefined ? EMPTY_ACTIVE : columns.failureCount;
  const capacity = present.length;
  const singleShot = rule.singleShot;
  const maxAttempts = rule.maxAttempts;
  const activeScan = !rule.passive;
  const manual = !Number.isNaN(rule.manualRunAt);
  const manualRunAt = rule.manualRunAt;
  const frequencyMs = rule.frequencyMs;
  // Due since the scan's creation when never finished (0 when that is unknown).
  const neverFinishedDueAt = Number.isNaN(rule.createdAt) ? 0 : rule.createdAt;
  const now = context.now;
  let anyActive = false;
  context.detail = undefined;
  dueOf.fill(Number.NaN, 0, count);
  for (let visit = 0; visit < count; visit++) {
    const index = visitOrder[visit] as number;
    const flag = flags[index] as number;
    if ((flag & DISABLED_FLAG) !== 0) {
      skips.add(scanIndex, index, DISABLED_CODE);
      continue;
    }
    if (selected !== undefined && selected[index] === 0) {
      skips.add(scanIndex, index, NOT_SELECTED_CODE);
      continue;
    }
    // The order of decidePair: passive guard, already active, manual run, frequency.
    if ((flag & PASSIVE_FLAG) !== 0 && activeScan) {
      skips.add(scanIndex, index, PASSIVE_CODE);
      continue;
    }
    const handle = handles[index] as number;
    const has = handle >= 0 && handle < capacity && present[handle] !== 0;
    if (has && (active[handle] as number) > 0) {
      skips.add(scanIndex, index, ACTIVE_CODE);
      anyActive = true;
      continue;
    }
    if (manual) {
      dueOf[index] = manualRunAt;
      continue;
    }
    const finished = has ? (lastFinishedAt[handle] as number) : Number.NaN;
    if (Number.isNaN(finished)) {
      if (neverFinishedDueAt <= now) {
        dueOf[index] = Math.max(0, neverFinishedDueAt);
        continue;
      }
      context.dueAt = neverFinishedDueAt;
    } else {
      // Crossfeed's window is inclusive: exactly one frequency after the last finish is not yet due.
      const dueAt = finished + frequencyMs;
      if (dueAt < now) {
        // Single shot: done once it succeeded; a failure is retried up to maxAttempts.
        if (singleShot) {
          if (!Number.isNaN(lastSucceededAt[handle] as number)) {
            skips.add(scanIndex, index, SINGLE_SHOT_DONE_CODE);
            continue;
          }
          const failures = failureCount[handle] as number;
          if (failures >= maxAttempts) {
            skips.add(
              scanIndex,
              index,
              SINGLE_SHOT_FAILED_CODE,
              undefined,
              `failed ${failures} of ${maxAttempts} attempts`,
            );
            continue;
          }
        }
        dueOf[index] = Math.max(0, dueAt);
        continue;
      }
      context.dueAt = dueAt;
    }
    skips.addVerdict(scanIndex, index, NOT_DUE_CODE, context);
  }
  context.dueAt = Number.NaN;
  return anyActive;
}

const EMPTY_PRESENT = new Uint8Array(0);
const EMPTY_ACTIVE = new Int32Array(0);
const EMPTY_TIMES = new Float64Array(0);

/**
 * Decides every organization of a per-organization scan: records each skip in `skips`, and for each organization
 * that runs, the time since which it has been due in `dueOf` (by organization index; NaN for the others). Visits
 * organizations in history-handle order, reading flat arrays only. Returns whether any pair was skipped as already
 * active. Its own function, so that the loop that runs scans × organizations times is optimized on its own.
 */
function decideOrganizations(
  scanIndex: number,
  rule: PairRule,
  reader: ScanPairs | undefined,
  selected: Uint8Array | undefined,
  organizations: {
    ids: readonly string[];
    flags: Uint8Array;
    handles: Int32Array;
    visitOrder: Int32Array;
  },
  context: Context,
  skips: SkipLog,
  dueOf: Float64Array,
): boolean {
  const { ids, flags, handles, visitOrder } = organizations;
  const count = visitOrder.length;
  let anyActive = false;
  dueOf.fill(Number.NaN, 0, count);
  for (let visit = 0; visit < count; visit++) {
    const index = visitOrder[visit] as number;
    const flag = flags[index] as number;
    if ((flag & DISABLED_FLAG) !== 0) {
      skips.add(scanIndex, index, DISABLED_CODE);
      continue;
    }
    if (selected !== undefined && selected[index] === 0) {
      skips.add(scanIndex, index, NOT_SELECTED_CODE);
      continue;
    }
    const handle = handles[index] as number;
    const verdict = decidePair(
      rule,
      reader,
      ids[index],
      (flag & PASSIVE_FLAG) !== 0,
      handle < 0 ? undefined : handle,
      context,
    );
    if (verdict === RUN) {
      dueOf[index] = context.dueSince;
      continue;
    }
    skips.addVerdict(scanIndex, index, -verdict, context);
    if (verdict === ACTIVE) anyActive = true;
  }
  return anyActive;
}

/**
 * Typed arrays a tick fills and drops, kept for the next tick (a tick at tens of thousands of organizations would
 * otherwise allocate them again each time, outside the JavaScript heap). `planSchedule` is synchronous; a tick that
 * finds them taken (a history read that plans a tick of its own) makes its own.
 */
class Scratch {
  /** Per organization index: whether a granular scan selects it. */
  selected = new Uint8Array(0);
  /** Per organization index: since when the pair that runs has been due, NaN for a pair that does not run. */
  dueOf = new Float64Array(0);
  /** The indexes of a scan's organizations that run, ascending. */
  eligible = new Int32Array(0);
  /** Per capacity candidate (queued tasks, then new work): its priority, and since when it has been due. */
  priority = new Float64Array(0);
  dueSince = new Float64Array(0);
  /** The new work of the tick, in decision order (see {@link NewWork}). */
  readonly planned: PlannedScanTask[] = [];
  /** Candidate numbers, and room to merge them, for {@link sortCandidates}. */
  order = new Int32Array(0);
  merge = new Int32Array(0);

  /** Makes room for `organizations` organizations and `candidates` capacity candidates. */
  fit(organizations: number, candidates: number): void {
    if (this.selected.length < organizations) {
      this.selected = new Uint8Array(organizations);
      this.dueOf = new Float64Array(organizations);
      this.eligible = new Int32Array(organizations);
    }
    if (this.priority.length < candidates) {
      this.priority = new Float64Array(candidates);
      this.dueSince = new Float64Array(candidates);
      this.order = new Int32Array(candidates);
      this.merge = new Int32Array(candidates);
    }
  }
}

let spareScratch: Scratch | undefined;

/**
 * The candidates `0 … total − 1` in capacity order — higher priority first, then earlier due, then lower number —
 * in `scratch.order` (a bottom-up merge sort over typed arrays: no comparator calls through the sort builtin, and
 * nothing allocated on the JavaScript heap).
 */
function sortCandidates(
  total: number,
  priority: Float64Array,
  dueSince: Float64Array,
  scratch: Scratch,
): Int32Array {
  let from = scratch.order;
  let to = scratch.merge;
  for (let i = 0; i < total; i++) from[i] = i;
  for (let width = 1; width < total; width *= 2) {
    for (let left = 0; left < total; left += 2 * width) {
      const middle = Math.min(left + width, total);
      const right = Math.min(left + 2 * width, total);
      let i = left;
      let j = middle;
      let k = left;
      while (i < middle && j < right) {
        const a = from[i] as number;
        const b = from[j] as number;
        // The comparison `b.priority − a.priority || a.dueSince − b.dueSince || a − b`, NaN included; the left
        // run holds the lower numbers, so a tie keeps `a` first (stable).
        const byPriority = (priority[b] as number) - (priority[a] as number);
        const bFirst =
          byPriority > 0 || (!(byPriority < 0) && (dueSince[a] as number) - (dueSince[b] as number) > 0);
        if (bFirst) {
          to[k++] = b;
          j++;
        } else {
          to[k++] = a;
          i++;
        }
      }
      while (i < middle) to[k++] = from[i++] as number;
      while (j < right) to[k++] = from[j++] as number;
    }
    const swap = from;
    from = to;
    to = swap;
  }
  return from;
}

/**
 * The new tasks of a tick in decision order (scans, then organizations, by id), for {@link allotCapacity}: the
 * first `count` of `tasks`, a list kept from tick to tick (emptied after each) so that it is not regrown every tick.
 */
interface NewWork {
  tasks: PlannedScanTask[];
  count: number;
  /** The scans with new work. */
  scans: Set<string>;
}

/** Appends a task to the new work. */
function addWork(work: NewWork, task: PlannedScanTask): void {
  if (work.count < work.tasks.length) work.tasks[work.count] = task;
  else work.tasks.push(task);
  work.count++;
}

/**
 * Gives capacity (`limit − running`, unlimited without a limit) to queued and new work in one order — priority,
 * how long it has been due, then queued tasks (in queue order) before new work (in decision order) — and fills the
 * plan's `relaunch`, `launch` and `queue`. Returns the scans that launched new work, and those whose new work was
 * launched or queued. Candidates are numbers (queued tasks first, then new work) ordered by keys in typed arrays:
 * no object per candidate, and no string compared.
 */
function allotCapacity(
  waiting: readonly QueuedScanTask[],
  planned: NewWork,
  state: ScheduleState,
  plan: SchedulePlan,
  scratch: Scratch,
): { launched: Set<string>; queuedOrLaunched: Set<string> } {
  const queuedCount = waiting.length;
  const total = queuedCount + planned.count;
  const tasks = planned.tasks;
  scratch.fit(0, total);
  const priority = scratch.priority;
  const dueSince = scratch.dueSince;
  for (let i = 0; i < queuedCount; i++) {
    const task = waiting[i] as QueuedScanTask;
    priority[i] = task.priority;
    dueSince[i] = task.dueSince ?? task.queuedAt;
  }
  for (let i = queuedCount; i < total; i++) {
    const task = tasks[i - queuedCount] as PlannedScanTask;
    priority[i] = task.priority;
    dueSince[i] = task.dueSince;
  }
  const order = sortCandidates(total, priority, dueSince, scratch);
  if (state.limit === undefined) {
    // No limit: everything goes, in order, into lists made at their final length.
    const relaunch: QueuedScanTask[] = new Array(queuedCount);
    const launch: PlannedScanTask[] = new Array(total - queuedCount);
    let relaunched = 0;
    let launchedCount = 0;
    for (let k = 0; k < total; k++) {
      const candidate = order[k] as number;
      if (candidate < queuedCount) {
        relaunch[relaunched++] = waiting[candidate] as QueuedScanTask;
        continue;
      }
      launch[launchedCount++] = tasks[candidate - queuedCount] as PlannedScanTask;
    }
    plan.relaunch = relaunch;
    plan.launch = launch;
    // Every scan with new work launches it.
    return { launched: planned.scans, queuedOrLaunched: planned.scans };
  }
  const launched = new Set<string>();
  const queuedOrLaunched = new Set<string>();
  let free = Math.max(0, state.limit - state.running);
  for (let k = 0; k < total; k++) {
    const candidate = order[k] as number;
    if (candidate < queuedCount) {
      if (free > 0) {
        plan.relaunch.push(waiting[candidate] as QueuedScanTask);
        free--;
      }
      continue;
    }
    const task = tasks[candidate - queuedCount] as PlannedScanTask;
    queuedOrLaunched.add(task.scanId);
    if (free > 0) {
      plan.launch.push(task);
      launched.add(task.scanId);
      free--;
    } else {
      plan.queue.push(task);
    }
  }
  return { launched, queuedOrLaunched };
}

/** What the tasks of one chunk of one scan share in one tick, made once per scan and chunk. */
interface TaskTemplate {
  readonly scan: ScanDefinition;
  /** Task keys are `scan:<id>#<chunk>/<chunks>@<organization ids>`: the part before `@`. */
  readonly keyPrefix: string;
  readonly chunk: number;
  readonly chunkCount: number;
  readonly priority: number;
  readonly manual: boolean;
  /** The scan's arguments and resources as the tick read them (the payload carries them). */
  readonly arguments: Record<string, unknown> | undefined;
  readonly resources: ScheduledTaskPayload['resources'];
  /** Where payload entries come from. */
  readonly catalogue: OrganizationCatalogue;
  /** For a global active scan: the passive organizations it must leave alone. */
  excluded: string[] | undefined;
}

/** The templates of a scan's tasks in one tick, one per chunk. */
function templatesOf(
  scan: ScanDefinition,
  manual: boolean,
  catalogue: OrganizationCatalogue,
): TaskTemplate[] {
  const chunkCount = scan.chunks ?? 1;
  const templates: TaskTemplate[] = [];
  for (let chunk = 0; chunk < chunkCount; chunk++) {
    templates.push({
      scan,
      keyPrefix: `scan:${scan.id}#${String(chunk).padStart(3, '0')}/${chunkCount}@`,
      chunk,
      chunkCount,
      priority: scan.priority ?? 1,
      manual,
      arguments: scan.arguments,
      resources: scan.resources,
      catalogue,
      excluded: undefined,
    });
  }
  return templates;
}

/** The payload of a batch of `template`'s scan and chunk. */
function payloadOf(
  template: TaskTemplate,
  organizations: OrganizationEntry[],
  dueSince: number,
): ScheduledTaskPayload {
  const payload: ScheduledTaskPayload = { scanName: template.scan.type, organizations, dueSince };
  if (template.arguments !== undefined) payload.arguments = template.arguments;
  if (template.resources !== undefined) payload.resources = template.resources;
  if (template.chunkCount > 1) {
    payload.chunkNumber = template.chunk;
    payload.chunkCount = template.chunkCount;
  }
  if (template.excluded !== undefined) payload.excludedOrganizations = template.excluded;
  return payload;
}

/**
 * Plans the tasks (one per chunk) of one batch: the organizations at `indexes[start..end)` (catalogue indexes,
 * ascending, so in id order). The chunks of a batch share its organization lists.
 */
function planTasks(
  out: NewWork,
  templates: readonly TaskTemplate[],
  indexes: Int32Array,
  start: number,
  end: number,
  dueSince: number,
): void {
  const catalogue = (templates[0] as TaskTemplate).catalogue;
  const ids = catalogue.ids;
  const size = end - start;
  const organizationIds: string[] = new Array(size);
  const organizations: OrganizationEntry[] = new Array(size);
  for (let i = start; i < end; i++) {
    const index = indexes[i] as number;
    organizationIds[i - start] = ids[index] as string;
    organizations[i - start] = catalogue.entry(index);
  }
  const batchKey = organizationIds.join(',');
  for (let chunk = 0; chunk < templates.length; chunk++) {
    const template = templates[chunk] as TaskTemplate;
    addWork(out, {
      key: template.keyPrefix + batchKey,
      scanId: template.scan.id,
      type: template.scan.type,
      organizationIds,
      priority: template.priority,
      dueSince,
      manual: template.manual,
      payload: payloadOf(template, organizations, dueSince),
    });
  }
}

/**
 * Plans the batches of a per-organization scan: its organizations that run (`dueOf` not NaN), in id order, `batch`
 * at a time, each batch due since the earliest of its organizations.
 */
function planBatches(
  out: NewWork,
  templates: readonly TaskTemplate[],
  dueOf: Float64Array,
  eligible: Int32Array,
  batch: number,
): void {
  const count = (templates[0] as TaskTemplate).catalogue.ids.length;
  let eligibleCount = 0;
  for (let index = 0; index < count; index++)
    if (!Number.isNaN(dueOf[index] as number)) eligible[eligibleCount++] = index;
  for (let start = 0; start < eligibleCount; start += batch) {
    const end = Math.min(start + batch, eligibleCount);
    let dueSince = Number.POSITIVE_INFINITY;
    for (let i = start; i < end; i++) {
      const due = dueOf[eligible[i] as number] as number;
      if (due < dueSince) dueSince = due;
    }
    planTasks(out, templates, eligible, start, end, dueSince);
  }
}

/**
 * The order in which a tick visits the organizations, by history handle (so that each scan's history columns are
 * read sequentially), and each organization's handle (−1: no history). Kept on the catalogue while the history's
 * handles stay the same (a store's snapshots share them: organizations keep their handles, and new ones only get
 * new handles), so that a steady scheduler does not resolve tens of thousands of handles every tick.
 */
function visitsOf(catalogue: OrganizationCatalogue, lookup: PairLookup): VisitOrder {
  const stable = lookup.stable;
  const cached = catalogue.visits;
  if (
    stable !== undefined &&
    cached !== undefined &&
    cached.key === stable.key &&
    cached.size === stable.size
  )
    return cached;
  const ids = catalogue.ids;
  const count = ids.length;
  const size = stable?.size ?? 0;
  const handles = new Int32Array(count);
  for (let index = 0; index < count; index++) handles[index] = lookup.handle(ids[index]) ?? -1;
  // Handles are distinct small integers (one per organization with history): ordered by placing each organization
  // at its handle, not by sorting. Organizations without history come last, in id order.
  let maxHandle = -1;
  for (let index = 0; index < count; index++) maxHandle = Math.max(maxHandle, handles[index] as number);
  const atHandle = new Int32Array(maxHandle + 1).fill(-1);
  for (let index = 0; index < count; index++) {
    const handle = handles[index] as number;
    if (handle >= 0) atHandle[handle] = index;
  }
  const order = new Int32Array(count);
  let visits = 0;
  for (let handle = 0; handle <= maxHandle; handle++) {
    const index = atHandle[handle] as number;
    if (index >= 0) order[visits++] = index;
  }
  for (let index = 0; index < count; index++) if ((handles[index] as number) < 0) order[visits++] = index;
  if (visits !== count) {
    // Two organizations shared a handle (a history whose lookup breaks its contract): visit in id order instead.
    for (let index = 0; index < count; index++) order[index] = index;
  }
  const visitsOrder: VisitOrder = { key: stable?.key, size, handles, order };
  if (stable !== undefined) catalogue.visits = visitsOrder;
  return visitsOrder;
}

/**
 * Decides one scheduling tick, purely: which new tasks to launch or queue, which queued tasks to launch or cancel,
 * which scan definitions to update, and why every other (scan, organization) pair does not run. It follows
 * Crossfeed's scheduler rule for rule (see `docs/scheduling.md` for the decision table), with its flaws fixed.
 *
 * Per pair, in order: the passive guard; already active (`created`, `queued`, `requested`, `started` — a manual run
 * never duplicates active work); a pending manual run (skips what follows); the frequency window (inclusive, from
 * the latest finished or failed task with a finish time) or the cron schedule, with the pair's jitter; single shot;
 * dependencies. Granular scans select the de-duplicated union of their organizations and tagged organizations;
 * global scans decide once, and make one task per chunk; eligible organizations are batched in id order. Capacity
 * (`limit − running`) goes to queued and new work alike by priority, then how long it has been due, then queued
 * tasks (oldest first) before new work (scans, then organizations, by id); new work beyond it is queued. `lastRun` moves only for scans that launched new work; a manual run is cleared once its
 * work is queued or launched, or when nothing of it is left to wait for.
 *
 * @example
 * ```ts
 * import { planSchedule, ScheduleHistoryIndex } from '@scanplane/core';
 * const plan = planSchedule(
 *   {
 *     scans: [{ id: 'amass', type: 'amass', frequencySeconds: 86_400 }],
 *     organizations: [{ id: 'acme', name: 'Acme', passive: false, tags: [] }],
 *     history: ScheduleHistoryIndex.fromTasks([]),
 *     queued: [],
 *     running: 0,
 *   },
 *   Date.now(),
 * );
 * plan.launch[0]?.organizationIds; // ['acme']
 * ```
 */
export function planSchedule(state: ScheduleState, now: number, options: ScheduleOptions = {}): SchedulePlan {
  const scansById = new Map<string, ScanDefinition>();
  for (const scan of state.scans) scansById.set(scan.id, scan);
  const context = contextOf(now, state.history, scansById);
  const knownTypes = options.knownTypes === undefined ? undefined : new Set(options.knownTypes);
  const defaultBatch = options.organizationsPerTask ?? 1;

  const catalogue = organizationCatalogue(state.organizations);
  const { ids, flags } = catalogue;
  const count = ids.length;
  // The pair loop below runs scans × organizations times, so it reads flat arrays, not organization objects: at
  // tens of thousands of organizations, an object (or a string hash) per pair is a cache miss per pair.
  // Organizations are visited in history-handle order, so each scan's history columns are read sequentially, and
  // put back in id order after.
  const { handles, order: visitOrder } = visitsOf(catalogue, context.lookup);
  const scratch = spareScratch ?? new Scratch();
  spareScratch = undefined;
  scratch.fit(count, 0);
  const { selected: selectedMask, dueOf, eligible } = scratch;

  const plan: SchedulePlan = {
    at: now,
    launch: [],
    queue: [],
    relaunch: [],
    cancel: [],
    scanUpdates: [],
    skipped: [],
    skippedCount: 0,
  };
  const planned: NewWork = { tasks: scratch.planned, count: 0, scans: new Set() };
  const problems = new Map<string, { reason: ScheduleSkipReason; detail: string }>();
  /** Per scan with a pending manual run: whether something of it is left to wait for (active work). */
  const manualWaiting = new Map<string, boolean>();

  const scans = [...state.scans].sort(byId);
  // At most one skip per pair, plus one per global or broken scan.
  const skips = new SkipLog(
    scans.map((scan) => scan.id),
    ids,
  );
  for (let scanIndex = 0; scanIndex < scans.length; scanIndex++) {
    const scan = scans[scanIndex] as ScanDefinition;
    const problem = scanProblem(scan, context, knownTypes);
    if (problem !== undefined) {
      problems.set(scan.id, problem);
      skips.add(scanIndex, -1, skipCode(problem.reason), undefined, problem.detail);
      continue;
    }
    const manual = scan.manualRunRequestedAt !== undefined;
    const templates = templatesOf(scan, manual, catalogue);
    const selected = selection(scan, catalogue, selectedMask);
    const rule = new PairRule(scan, scansById);

    if (scan.global === true) {
      const verdict = decidePair(
        rule,
        readerOf(context, scan.id),
        undefined,
        false,
        context.globalHandle,
        context,
      );
      if (verdict !== RUN) {
        skips.add(scanIndex, -1, -verdict, context.dueAt, context.detail);
        if (manual && verdict === ACTIVE) manualWaiting.set(scan.id, true);
        continue;
      }
      // A global scan sees its granular selection (so its worker need not recompute it) and, when active, the
      // passive organizations it must leave alone (Crossfeed never checked global scans against them).
      let chosen = 0;
      const excluded: string[] = [];
      for (let index = 0; index < count; index++) {
        if (selected !== undefined && selected[index] === 0) continue;
        const flag = flags[index] as number;
        if ((flag & DISABLED_FLAG) !== 0) continue;
        if ((flag & PASSIVE_FLAG) !== 0 && scan.passive !== true) excluded.push(ids[index] as string);
        else if (selected !== undefined) eligible[chosen++] = index;
      }
      for (const template of templates) template.excluded = excluded.length > 0 ? excluded : undefined;
      planTasks(planned, templates, eligible, 0, chosen, context.dueSince);
      planned.scans.add(scan.id);
      continue;
    }

    const anyActive =
      context.lookup.columns !== undefined && plainFrequency(rule)
        ? decideByFrequency(
            scanIndex,
            rule,
            context.lookup.columns(scan.id),
            selected,
            { flags, handles, visitOrder },
            context,
            skips,
            dueOf,
          )
        : decideOrganizations(
            scanIndex,
            rule,
            readerOf(context, scan.id),
            selected,
            { ids, flags, handles, visitOrder },
            context,
            skips,
            dueOf,
          );
    if (manual && anyActive) manualWaiting.set(scan.id, true);
    // Organizations are in id order; a batch is due since the earliest of its organizations.
    const before = planned.count;
    planBatches(planned, templates, dueOf, eligible, scan.organizationsPerTask ?? defaultBatch);
    if (planned.count > before) planned.scans.add(scan.id);
  }

  // Queued tasks: cancel those that can never run (Crossfeed issue #2596: they froze its queue), keep the rest.
  const waiting: QueuedScanTask[] = [];
  const queuedInOrder = [...state.queued].sort(
    (a, b) => a.queuedAt - b.queuedAt || (a.taskId < b.taskId ? -1 : a.taskId > b.taskId ? 1 : 0),
  );
  for (let i = 0; i < queuedInOrder.length; i++) {
    const task = queuedInOrder[i] as QueuedScanTask;
    const scan = scansById.get(task.scanId);
    const problem = problems.get(task.scanId);
    if (scan === undefined) {
      plan.cancel.push({
        taskId: task.taskId,
        code: 'scan-deleted',
        reason: `scan ${task.scanId} no longer exists`,
      });
    } else if (problem !== undefined) {
      plan.cancel.push({
        taskId: task.taskId,
        code: problem.reason as ScheduleCancel['code'],
        reason: `scan ${scan.id}: ${problem.detail}`,
      });
    } else if (queuedGone(task, catalogue)) {
      plan.cancel.push({
        taskId: task.taskId,
        code: 'organizations-gone',
        reason: `every organization of the task is deleted or disabled (${task.organizationIds.join(', ')})`,
      });
    } else if ((task.notBefore ?? 0) <= now) {
      waiting.push(task);
    }
  }

  // Capacity: queued and new work in one order — priority, how long it has been due, id.
  // Ties go to the queued tasks first (in queue order), then new work in decision order (scans, then organizations,
  // by id): a number, so that ordering thousands of candidates never compares strings.
  const { launched, queuedOrLaunched } = allotCapacity(waiting, planned, state, plan, scratch);
  // The kept list must not keep this tick's tasks alive.
  planned.tasks.fill(undefined as unknown as PlannedScanTask, 0, planned.count);
  spareScratch = scratch;

  for (const scan of scans) {
    if (problems.has(scan.id)) continue;
    const update: ScanUpdate = { scanId: scan.id };
    if (launched.has(scan.id)) update.lastRun = now;
    const requested = scan.manualRunRequestedAt;
    if (requested !== undefined && (queuedOrLaunched.has(scan.id) || manualWaiting.get(scan.id) !== true)) {
      update.clearManualRun = requested;
    }
    if (update.lastRun !== undefined || update.clearManualRun !== undefined) plan.scanUpdates.push(update);
  }
  plan.skippedCount = skips.length;
  Object.defineProperty(plan, 'skipped', {
    configurable: true,
    enumerable: true,
    get() {
      const list = skips.toArray();
      Object.defineProperty(plan, 'skipped', {
        value: list,
        writable: true,
        enumerable: true,
        configurable: true,
      });
      return list;
    },
    set(value: PairSkip[]) {
      Object.defineProperty(plan, 'skipped', { value, writable: true, enumerable: true, configurable: true });
    },
  });
  return plan;
}

/**
 * {@link allGone} of queued tasks that do not change (frozen, like a store's cached queue entries) against a
 * catalogue that is kept: a task that waits for capacity is checked once, not once per tick.
 */
const goneMemo = new WeakMap<QueuedScanTask, { catalogue: OrganizationCatalogue; gone: boolean }>();

/** Whether every organization of a queued task is deleted or disabled. */
function queuedGone(task: QueuedScanTask, catalogue: OrganizationCatalogue): boolean {
  if (task.organizationIds.length === 0) return false;
  const memo = goneMemo.get(task);
  if (memo !== undefined && memo.catalogue === catalogue) return memo.gone;
  const gone = allGone(task.organizationIds, catalogue);
  if (catalogue.shared && Object.isFrozen(task) && Object.isFrozen(task.organizationIds))
    goneMemo.set(task, { catalogue, gone });
  return gone;
}

/** Whether every organization in `organizationIds` is deleted or disabled. */
function allGone(organizationIds: readonly string[], catalogue: OrganizationCatalogue): boolean {
  for (let i = 0; i < organizationIds.length; i++) {
    const index = catalogue.indexById.get(organizationIds[i] as string);
    if (index !== undefined && ((catalogue.flags[index] as number) & DISABLED_FLAG) === 0) return false;
  }
  return true;
}

/**
 * Why a pair would or would not run now: the same rules as {@link planSchedule}, for one pair. Capacity is not
 * considered (a pair that may run can still wait in the queue).
 *
 * @example
 * ```ts
 * import { explainPair, ScheduleHistoryIndex } from '@scanplane/core';
 * explainPair(
 *   { scans: [{ id: 'amass', type: 'amass', frequencySeconds: 3600 }], organizations: [], history: ScheduleHistoryIndex.fromTasks([]), queued: [], running: 0 },
 *   'amass', 'acme', Date.now(),
 * ); // { run: false, reason: 'organization-unknown', … }
 * ```
 */
export function explainPair(
  state: ScheduleState,
  scanId: string,
  organizationId: string | undefined,
  now: number,
  options: ScheduleOptions = {},
): PairExplanation {
  const scansById = new Map(state.scans.map((scan) => [scan.id, scan]));
  const context = contextOf(now, state.history, scansById);
  const scan = scansById.get(scanId);
  const history = state.history.get(scanId, scan?.global === true ? undefined : organizationId);
  const base = {
    scanId,
    ...(organizationId === undefined ? {} : { organizationId }),
    ...(history === undefined ? {} : { history }),
  };
  if (scan === undefined) return { ...base, run: false, reason: 'scan-unknown', detail: `no scan ${scanId}` };
  const problem = scanProblem(
    scan,
    context,
    options.knownTypes === undefined ? undefined : new Set(options.knownTypes),
  );
  if (problem !== undefined) return { ...base, run: false, reason: problem.reason, detail: problem.detail };
  if (scan.global === true) {
    return explanationOf(
      base,
      scan,
      decidePair(
        new PairRule(scan, scansById),
        readerOf(context, scan.id),
        undefined,
        false,
        context.globalHandle,
        context,
      ),
      context,
    );
  }
  if (organizationId === undefined) {
    return {
      ...base,
      run: false,
      reason: 'organization-unknown',
      detail: `scan ${scanId} runs per organization: name one`,
    };
  }
  const organization = state.organizations.find((o) => o.id === organizationId);
  if (organization === undefined)
    return {
      ...base,
      run: false,
      reason: 'organization-unknown',
      detail: `no organization ${organizationId}`,
    };
  if (organization.enabled === false) return { ...base, run: false, reason: 'organization-disabled' };
  if (scan.granular !== undefined) {
    const tags = new Set(scan.granular.tags ?? []);
    const chosen =
      (scan.granular.organizations ?? []).includes(organizationId) ||
      organization.tags.some((tag) => tags.has(tag));
    if (!chosen)
      return {
        ...base,
        run: false,
        reason: 'not-selected',
        detail: 'a granular scan that does not select it',
      };
  }
  return explanationOf(
    base,
    scan,
    decidePair(
      new PairRule(scan, scansById),
      readerOf(context, scan.id),
      organizationId,
      organization.passive,
      context.lookup.handle(organizationId),
      context,
    ),
    context,
  );
}

function explanationOf(
  base: Omit<PairExplanation, 'run'>,
  scan: ScanDefinition,
  verdict: Verdict,
  context: Context,
): PairExplanation {
  if (verdict === RUN) {
    return {
      ...base,
      run: true,
      manual: scan.manualRunRequestedAt !== undefined,
      dueSince: context.dueSince,
    };
  }
  const answer: PairExplanation = {
    ...base,
    run: false,
    reason: SKIP_REASONS[-verdict - 1] as ScheduleSkipReason,
  };
  if (context.detail !== undefined) answer.detail = context.detail;
  else if (!Number.isNaN(context.dueAt)) answer.detail = `due after ${iso(context.dueAt)}`;
  return answer;
}

/**
 * The answer to "why (not) this pair?".
 *
 * @example
 * ```ts
 * import type { PairExplanation } from '@scanplane/core';
 * declare const answer: PairExplanation;
 * answer.run ? `due since ${answer.dueSince}` : `${answer.reason}: ${answer.detail ?? ''}`;
 * ```
 */
export type PairExplanation = {
  /** The scan. */
  scanId: string;
  /** The organization (absent for a global scan). */
  organizationId?: string;
  /** The pair's history, if it has one. */
  history?: PairHistory;
} & (
  | {
      /** It would run now (capacity permitting). */
      run: true;
      /** Because of a manual run. */
      manual: boolean;
      /** Since when it has been due, epoch milliseconds. */
      dueSince: number;
    }
  | {
      /** It would not run now. */
      run: false;
      /** Why: a {@link ScheduleSkipReason}, or the scan or organization does not exist. */
      reason: ScheduleSkipReason | 'scan-unknown' | 'organization-unknown';
      /** More about it. */
      detail?: string;
    }
);
