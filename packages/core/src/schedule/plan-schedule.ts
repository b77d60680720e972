import { parseCron } from './cron.js';
import {
  DISABLED_FLAG,
  type OrganizationCatalogue,
  type OrganizationEntry,
  organizationCatalogue,
  PASSIVE_FLAG,
} from './organization-catalogue.js';
import type { Organization, ScanDefinition } from './scan-definition.js';
import { validateScanDefinition } from './scan-definition.js';
import {
  PAIR,
  PAIR_FIELDS,
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
 * A task the decision creates.
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
  dueOf.fill(Number.NaN);
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
    skips.add(scanIndex, index, -verdict, context.dueAt, context.detail);
    if (verdict === ACTIVE) anyActive = true;
  }
  return anyActive;
}

/** A queued task or new work, competing for capacity (one shape for both, so the loop over them stays fast). */
interface Candidate {
  priority: number;
  dueSince: number;
  /** Queued tasks first (in queue order), then new work in decision order. */
  sequence: number;
  queued: QueuedScanTask | undefined;
  planned: PlannedScanTask | undefined;
}

/**
 * Gives capacity (`limit − running`, unlimited without a limit) to queued and new work in one order — priority,
 * how long it has been due, then sequence — and fills the plan's `relaunch`, `launch` and `queue`. Returns the
 * scans that launched new work, and those whose new work was launched or queued.
 */
function allotCapacity(
  waiting: readonly QueuedScanTask[],
  planned: readonly PlannedScanTask[],
  state: ScheduleState,
  plan: SchedulePlan,
): { launched: Set<string>; queuedOrLaunched: Set<string> } {
  const candidates: Candidate[] = [];
  for (const task of waiting) {
    candidates.push({
      priority: task.priority,
      dueSince: task.dueSince ?? task.queuedAt,
      sequence: candidates.length,
      queued: task,
      planned: undefined,
    });
  }
  for (const task of planned) {
    candidates.push({
      priority: task.priority,
      dueSince: task.dueSince,
      sequence: candidates.length,
      queued: undefined,
      planned: task,
    });
  }
  // A number, so that ordering thousands of candidates never compares strings.
  candidates.sort((a, b) => b.priority - a.priority || a.dueSince - b.dueSince || a.sequence - b.sequence);
  // Counted as a small integer, not Infinity (no limit): optimized code that saw integers stays optimized.
  const unlimited = state.limit === undefined;
  let free = unlimited ? 0 : Math.max(0, (state.limit as number) - state.running);
  const launched = new Set<string>();
  const queuedOrLaunched = new Set<string>();
  for (const candidate of candidates) {
    const queued = candidate.queued;
    if (queued !== undefined) {
      if (unlimited || free > 0) {
        plan.relaunch.push(queued);
        free--;
      }
      continue;
    }
    const task = candidate.planned as PlannedScanTask;
    queuedOrLaunched.add(task.scanId);
    if (unlimited || free > 0) {
      plan.launch.push(task);
      launched.add(task.scanId);
      free--;
    } else {
      plan.queue.push(task);
    }
  }
  return { launched, queuedOrLaunched };
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
  const { organizations, ids, flags } = catalogue;
  const count = organizations.length;
  // The pair loop below runs scans × organizations times, so it reads flat arrays, not organization objects: at
  // tens of thousands of organizations, an object (or a string hash) per pair is a cache miss per pair.
  // Organizations are visited in history-handle order, so each scan's history columns are read sequentially, and
  // put back in id order after.
  const handles = new Int32Array(count);
  for (let index = 0; index < count; index++) handles[index] = context.lookup.handle(ids[index]) ?? -1;
  // Handles are distinct small integers (one per organization with history): ordered by placing each organization
  // at its handle, not by sorting. Organizations without history come last, in id order.
  let maxHandle = -1;
  for (let index = 0; index < count; index++) maxHandle = Math.max(maxHandle, handles[index] as number);
  const atHandle = new Int32Array(maxHandle + 1).fill(-1);
  for (let index = 0; index < count; index++) {
    const handle = handles[index] as number;
    if (handle >= 0) atHandle[handle] = index;
  }
  const visitOrder = new Int32Array(count);
  let visits = 0;
  for (let handle = 0; handle <= maxHandle; handle++) {
    const index = atHandle[handle] as number;
    if (index >= 0) visitOrder[visits++] = index;
  }
  for (let index = 0; index < count; index++)
    if ((handles[index] as number) < 0) visitOrder[visits++] = index;
  if (visits !== count) {
    // Two organizations shared a handle (a history whose lookup breaks its contract): visit in id order instead.
    for (let index = 0; index < count; index++) visitOrder[index] = index;
  }
  const selectedMask = new Uint8Array(count);
  const dueOf = new Float64Array(count);
  /** The indexes of a scan's organizations that run, ascending. */
  const eligible = new Int32Array(count);

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
  const planned: PlannedScanTask[] = [];
  const problems = new Map<string, { reason: ScheduleSkipReason; detail: string }>();
  /** Per scan with a pending manual run: whether something of it is left to wait for (active work). */
  const manualWaiting = new Map<string, boolean>();

  const scans = [...state.scans].sort(byId);
  // At most one skip per pair, plus one per global or broken scan: sized once, never regrown.
  const skips = new SkipLog(
    scans.map((scan) => scan.id),
    ids,
    scans.length * (count + 1),
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
    const chunkCount = scan.chunks ?? 1;
    // Task keys `scan:<id>#<chunk>/<chunks>@<organization ids>`: the part before `@` made once per chunk.
    const keyPrefixes = Array.from(
      { length: chunkCount },
      (_, chunk) => `scan:${scan.id}#${String(chunk).padStart(3, '0')}/${chunkCount}@`,
    );
    /**
     * Plans the task (one per chunk) over the organizations at `indexes[start..end)` (ascending, so in id order).
     */
    const emit = (
      indexes: ArrayLike<number>,
      start: number,
      end: number,
      dueSince: number,
      excluded: string[] | undefined,
    ): void => {
      // Built field by field (no spreads): a tick can plan thousands of tasks.
      const organizationIds: string[] = new Array(end - start);
      const organizationsOf: OrganizationEntry[] = new Array(end - start);
      for (let i = start; i < end; i++) {
        const index = indexes[i] as number;
        organizationIds[i - start] = ids[index] as string;
        organizationsOf[i - start] = catalogue.entry(index);
      }
      const batchKey = organizationIds.join(',');
      for (let chunk = 0; chunk < chunkCount; chunk++) {
        const payload: ScheduledTaskPayload = {
          scanName: scan.type,
          organizations: organizationsOf,
          dueSince,
        };
        if (scan.arguments !== undefined) payload.arguments = scan.arguments;
        if (scan.resources !== undefined) payload.resources = scan.resources;
        if (chunkCount > 1) {
          payload.chunkNumber = chunk;
          payload.chunkCount = chunkCount;
        }
        if (excluded !== undefined) payload.excludedOrganizations = excluded;
        planned.push({
          key: (keyPrefixes[chunk] as string) + batchKey,
          scanId: scan.id,
          type: scan.type,
          organizationIds,
          priority: scan.priority ?? 1,
          dueSince,
          manual,
          payload,
        });
      }
    };
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
      const chosen: number[] = [];
      const excluded: string[] = [];
      for (let index = 0; index < count; index++) {
        if (selected !== undefined && selected[index] === 0) continue;
        const flag = flags[index] as number;
        if ((flag & DISABLED_FLAG) !== 0) continue;
        if ((flag & PASSIVE_FLAG) !== 0 && scan.passive !== true) excluded.push(ids[index] as string);
        else if (selected !== undefined) chosen.push(index);
      }
      emit(chosen, 0, chosen.length, context.dueSince, excluded.length > 0 ? excluded : undefined);
      continue;
    }

    const anyActive = decideOrganizations(
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
    const batch = scan.organizationsPerTask ?? defaultBatch;
    let eligibleCount = 0;
    for (let index = 0; index < count; index++)
      if (!Number.isNaN(dueOf[index] as number)) eligible[eligibleCount++] = index;
    for (let start = 0; start < eligibleCount; start += batch) {
      const end = Math.min(start + batch, eligibleCount);
      let dueSince = Number.POSITIVE_INFINITY;
      for (let i = start; i < end; i++) dueSince = Math.min(dueSince, dueOf[eligible[i] as number] as number);
      emit(eligible, start, end, dueSince, undefined);
    }
  }

  // Queued tasks: cancel those that can never run (Crossfeed issue #2596: they froze its queue), keep the rest.
  const waiting: QueuedScanTask[] = [];
  const queuedInOrder = [...state.queued].sort(
    (a, b) => a.queuedAt - b.queuedAt || (a.taskId < b.taskId ? -1 : a.taskId > b.taskId ? 1 : 0),
  );
  for (const task of queuedInOrder) {
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
    } else if (
      task.organizationIds.length > 0 &&
      task.organizationIds.every((id) => {
        const index = catalogue.indexById.get(id);
        return index === undefined || ((flags[index] as number) & DISABLED_FLAG) !== 0;
      })
    ) {
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
  const { launched, queuedOrLaunched } = allotCapacity(waiting, planned, state, plan);

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
