import { ACTIVE_STATUSES, type ScanTask, type TaskError } from '../tasks/task.js';

/**
 * What the scheduler knows of one (scan, organization) pair's past — or of a global scan's, with no organization:
 * everything Crossfeed's two queries per pair answered, plus what its fixes need.
 *
 * @example
 * ```ts
 * import type { PairHistory } from '@scanplane/core';
 * const never: PairHistory = { active: 0, failuresSinceSuccess: 0 };
 * ```
 */
export interface PairHistory {
  /** Active tasks covering the pair (`created`, `queued`, `requested`, `started`). */
  active: number;
  /** When the latest task covering the pair was created: the pair's last run. Epoch milliseconds. */
  lastRunAt?: number;
  /** The latest finish time of a task that finished, failed or was cancelled, with a finish time. */
  lastFinishedAt?: number;
  /** How that latest finish went for this organization (a batch task may fail for one organization only). */
  lastOutcome?: 'finished' | 'failed';
  /** The latest finish time of a run that succeeded for this organization. */
  lastSucceededAt?: number;
  /** Failed finishes since the last success (the attempts of a single-shot scan). */
  failuresSinceSuccess: number;
}

/**
 * Read access to pair histories; an absent pair has never had a task.
 *
 * @example
 * ```ts
 * import type { ScheduleHistory } from '@scanplane/core';
 * declare const history: ScheduleHistory;
 * history.get('portscan', 'acme')?.lastFinishedAt;
 * history.get('dotgov')?.active; // a global scan: no organization
 * ```
 */
export interface ScheduleHistory {
  /** The pair's history, or undefined if no task ever covered it. */
  get(scanId: string, organizationId?: string): PairHistory | undefined;
}

/**
 * How one organization of a batch task fared, in the task's result (`result.organizations[id]`), as written by
 * {@link runForOrganizations}.
 *
 * @example
 * ```ts
 * import type { OrganizationOutcome } from '@scanplane/core';
 * const failed: OrganizationOutcome = { status: 'failed', error: { code: 'TASK_FAILED', message: 'timeout' } };
 * ```
 */
export interface OrganizationOutcome {
  /** `finished` or `failed`. */
  status: 'finished' | 'failed';
  /** Why it failed. */
  error?: TaskError;
  /** What the scan returned for this organization (JSON). */
  result?: unknown;
}

/** The key of a global scan's pair. */
const GLOBAL = '';

/**
 * One scan's pairs, read by organization handle into `into` (see {@link PAIR_FIELDS}) without allocating; false
 * (and `into` untouched) if the pair has no history. Numbers in a typed array, not a record: a record field that is
 * sometimes `undefined` boxes every number stored into it, an allocation per field per pair.
 *
 * @internal
 */
export type ScanPairs = (handle: number, into: Float64Array) => boolean;

/** Where {@link ScanPairs} puts each field of a pair history; NaN marks an absent time. @internal */
export const PAIR = {
  active: 0,
  failuresSinceSuccess: 1,
  lastRunAt: 2,
  lastFinishedAt: 3,
  lastSucceededAt: 4,
  /** 0 none, 1 finished, 2 failed. */
  lastOutcome: 5,
} as const;

/** The length of the array a {@link ScanPairs} reader fills. @internal */
export const PAIR_FIELDS = 6;

const outcomeCode = (outcome: PairHistory['lastOutcome']): number =>
  outcome === 'finished' ? 1 : outcome === 'failed' ? 2 : 0;

/**
 * How {@link planSchedule} reads hundreds of thousands of pairs per tick: a handle per organization, resolved once,
 * and a reader per scan. The index and its snapshots read their columns directly; any other
 * {@link ScheduleHistory} is read through `get`.
 *
 * @internal
 */
export interface PairLookup {
  /** The handle of an organization (undefined: a global scan's pair), or undefined if it has no history at all. */
  handle(organizationId: string | undefined): number | undefined;
  /** The reader of a scan's pairs, or undefined if the scan has no history at all. */
  scan(scanId: string): ScanPairs | undefined;
  /**
   * Present when the history keeps columns: a scan's columns by handle (undefined if the scan has no history at
   * all), for a pair loop that reads only the columns it needs.
   */
  columns?(scanId: string): PairColumns | undefined;
  /**
   * Present when handles are stable: every organization keeps its handle for as long as `key` is the same, and
   * organizations without one only get one by `size` growing. So handles resolved earlier under the same `key` and
   * `size` are still exact.
   */
  readonly stable?: { readonly key: object; readonly size: number };
}

/**
 * Some of a scan's pair histories, as columns indexed by handle: a pair is present if its handle is below
 * `present.length` and `present[handle]` is not 0; then the other columns hold its {@link PairHistory} fields
 * (NaN: an absent time; `failureCount` is `failuresSinceSuccess`). They must not be changed.
 *
 * @internal
 */
export interface PairColumns {
  readonly present: Uint8Array;
  readonly active: Int32Array;
  readonly lastFinishedAt: Float64Array;
  readonly lastSucceededAt: Float64Array;
  readonly failureCount: Int32Array;
}

/** The {@link PairLookup} of a history. @internal */
export function pairLookup(history: ScheduleHistory): PairLookup {
  const own = (history as { pairLookup?: () => PairLookup }).pairLookup;
  if (typeof own === 'function') return own.call(history);
  const keys: Array<string | undefined> = [];
  const handles = new Map<string | undefined, number>();
  return {
    handle(organizationId) {
      let handle = handles.get(organizationId);
      if (handle === undefined) {
        handle = keys.length;
        keys.push(organizationId);
        handles.set(organizationId, handle);
      }
      return handle;
    },
    scan(scanId) {
      return (handle, into) => {
        const pair = history.get(scanId, keys[handle]);
        if (pair === undefined) return false;
        into[PAIR.active] = pair.active;
        into[PAIR.failuresSinceSuccess] = pair.failuresSinceSuccess;
        into[PAIR.lastRunAt] = pair.lastRunAt ?? Number.NaN;
        into[PAIR.lastFinishedAt] = pair.lastFinishedAt ?? Number.NaN;
        into[PAIR.lastSucceededAt] = pair.lastSucceededAt ?? Number.NaN;
        into[PAIR.lastOutcome] = outcomeCode(pair.lastOutcome);
        return true;
      };
    },
  };
}

/** The lookup over a slot map and a scan → columns map. */
function columnsLookup(
  slots: ReadonlyMap<string, number>,
  scans: ReadonlyMap<string, ScanColumns>,
): PairLookup {
  return {
    handle: (organizationId) => slots.get(organizationId ?? GLOBAL),
    // Slots are only ever added, never moved or removed.
    stable: {
      key: slots,
      get size() {
        return slots.size;
      },
    },
    scan(scanId) {
      const columns = scans.get(scanId);
      return columns === undefined ? undefined : (handle, into) => columns.read(handle, into);
    },
    columns: (scanId) => scans.get(scanId),
  };
}

/**
 * One scan's pair histories, in columns indexed by organization slot (typed arrays: compact, cache-friendly, and
 * copied with one memcpy each when a snapshot holds them). NaN marks an absent time.
 */
class ScanColumns {
  present: Uint8Array;
  active: Int32Array;
  lastRunAt: Float64Array;
  lastFinishedAt: Float64Array;
  lastSucceededAt: Float64Array;
  /** 0 none, 1 finished, 2 failed. */
  outcome: Uint8Array;
  /** Failure times after the last success, per slot (few pairs have any). */
  failures: Map<number, number[]>;
  /** How many failure times `failures` holds per slot (read per pair without a map lookup). */
  failureCount: Int32Array;

  constructor(capacity: number, from?: ScanColumns) {
    this.present = new Uint8Array(capacity);
    this.active = new Int32Array(capacity);
    this.lastRunAt = new Float64Array(capacity).fill(Number.NaN);
    this.lastFinishedAt = new Float64Array(capacity).fill(Number.NaN);
    this.lastSucceededAt = new Float64Array(capacity).fill(Number.NaN);
    this.outcome = new Uint8Array(capacity);
    this.failures = new Map();
    this.failureCount = new Int32Array(capacity);
    if (from !== undefined) {
      this.present.set(from.present);
      this.active.set(from.active);
      this.lastRunAt.set(from.lastRunAt);
      this.lastFinishedAt.set(from.lastFinishedAt);
      this.lastSucceededAt.set(from.lastSucceededAt);
      this.outcome.set(from.outcome);
      this.failureCount.set(from.failureCount);
      for (const [slot, times] of from.failures) this.failures.set(slot, [...times]);
    }
  }

  get capacity(): number {
    return this.present.length;
  }

  read(slot: number, into: Float64Array): boolean {
    if (slot >= this.present.length || this.present[slot] === 0) return false;
    into[PAIR.active] = this.active[slot] as number;
    into[PAIR.failuresSinceSuccess] = this.failureCount[slot] as number;
    into[PAIR.lastRunAt] = this.lastRunAt[slot] as number;
    into[PAIR.lastFinishedAt] = this.lastFinishedAt[slot] as number;
    into[PAIR.lastSucceededAt] = this.lastSucceededAt[slot] as number;
    into[PAIR.lastOutcome] = this.outcome[slot] as number;
    return true;
  }
}

/** A pair history object, only with the fields that are set. */
function historyOf(columns: ScanColumns, slot: number): PairHistory | undefined {
  const into = new Float64Array(PAIR_FIELDS);
  return columns.read(slot, into) ? pairHistoryOf(into) : undefined;
}

/** A frozen pair history object from what a {@link ScanPairs} reader filled, only with the fields that are set. @internal */
export function pairHistoryOf(into: Float64Array): PairHistory {
  const history: PairHistory = {
    active: into[PAIR.active] as number,
    failuresSinceSuccess: into[PAIR.failuresSinceSuccess] as number,
  };
  const time = (field: number): number | undefined => {
    const value = into[field] as number;
    return Number.isNaN(value) ? undefined : value;
  };
  const lastRunAt = time(PAIR.lastRunAt);
  const lastFinishedAt = time(PAIR.lastFinishedAt);
  const lastSucceededAt = time(PAIR.lastSucceededAt);
  const outcome = into[PAIR.lastOutcome];
  if (lastRunAt !== undefined) history.lastRunAt = lastRunAt;
  if (lastFinishedAt !== undefined) history.lastFinishedAt = lastFinishedAt;
  if (outcome === 1) history.lastOutcome = 'finished';
  else if (outcome === 2) history.lastOutcome = 'failed';
  if (lastSucceededAt !== undefined) history.lastSucceededAt = lastSucceededAt;
  return Object.freeze(history);
}

/** A snapshot: the columns as they were (the index copies columns before changing ones a snapshot holds). */
class HistorySnapshot implements ScheduleHistory {
  readonly #slots: ReadonlyMap<string, number>;
  readonly #scans: ReadonlyMap<string, ScanColumns>;

  constructor(slots: ReadonlyMap<string, number>, scans: ReadonlyMap<string, ScanColumns>) {
    this.#slots = slots;
    this.#scans = scans;
  }

  get(scanId: string, organizationId?: string): PairHistory | undefined {
    const slot = this.#slots.get(organizationId ?? GLOBAL);
    const columns = this.#scans.get(scanId);
    return slot === undefined || columns === undefined ? undefined : historyOf(columns, slot);
  }

  /** @internal See {@link PairLookup}. */
  pairLookup(): PairLookup {
    return columnsLookup(this.#slots, this.#scans);
  }
}

/**
 * How a terminal task went for one of its organizations: its per-organization outcome when the result has one,
 * else the task's own (`finished`, or `failed` for failed and cancelled tasks).
 *
 * @example
 * ```ts
 * import { organizationOutcome } from '@scanplane/core';
 * declare const task: import('@scanplane/core').ScanTask;
 * organizationOutcome(task, 'acme'); // 'finished' | 'failed'
 * ```
 */
export function organizationOutcome(
  task: ScanTask,
  organizationId: string | undefined,
): 'finished' | 'failed' {
  if (organizationId !== undefined) {
    const outcomes = (task.result as { organizations?: Record<string, OrganizationOutcome> } | undefined)
      ?.organizations;
    const status = outcomes?.[organizationId]?.status;
    if (status === 'finished' || status === 'failed') return status;
  }
  return task.status === 'finished' ? 'finished' : 'failed';
}

const isActive = (task: ScanTask): boolean => (ACTIVE_STATUSES as readonly string[]).includes(task.status);

const OUTCOME_CODE = { finished: 1, failed: 2 } as const;

/**
 * Pair histories built from scheduled tasks (tasks with a `scanId`), kept up to date one task change at a time: the
 * memory store maintains one; `ScheduleHistoryIndex.fromTasks` builds one from a list.
 *
 * @example
 * ```ts
 * import { ScheduleHistoryIndex } from '@scanplane/core';
 * declare const tasks: import('@scanplane/core').ScanTask[];
 * const history = ScheduleHistoryIndex.fromTasks(tasks);
 * history.get('portscan', 'acme')?.active;
 * ```
 */
export class ScheduleHistoryIndex implements ScheduleHistory {
  /** Organization id (or '' for a global scan's pair) → its slot in every scan's columns; only ever grows. */
  readonly #slots = new Map<string, number>();
  readonly #scans = new Map<string, ScanColumns>();
  /** Columns a snapshot holds: copied before the next change (copy on write). */
  readonly #shared = new WeakSet<ScanColumns>();
  #pairs = 0;

  /** Builds the index of a list of tasks (in any order). */
  static fromTasks(tasks: Iterable<ScanTask>): ScheduleHistoryIndex {
    const index = new ScheduleHistoryIndex();
    for (const task of tasks) index.update(undefined, task);
    return index;
  }

  /** The pair's history (a frozen copy), or undefined if no task ever covered it. */
  get(scanId: string, organizationId?: string): PairHistory | undefined {
    const slot = this.#slots.get(organizationId ?? GLOBAL);
    const columns = this.#scans.get(scanId);
    return slot === undefined || columns === undefined ? undefined : historyOf(columns, slot);
  }

  /** @internal See {@link PairLookup}. */
  pairLookup(): PairLookup {
    return columnsLookup(this.#slots, this.#scans);
  }

  /** Number of pairs with a history. */
  get size(): number {
    return this.#pairs;
  }

  /**
   * A view as of now, for one tick to read while tasks keep changing. It costs one entry per scan: a scan's columns
   * that a snapshot holds are copied (a memcpy per column) the next time one of its pairs changes.
   */
  snapshot(): ScheduleHistory {
    const scans = new Map(this.#scans);
    for (const columns of scans.values()) this.#shared.add(columns);
    // Slots only ever grow, and a slot added later is absent from these columns (or beyond their length).
    return new HistorySnapshot(this.#slots, scans);
  }

  #slotOf(key: string): number {
    let slot = this.#slots.get(key);
    if (slot === undefined) {
      slot = this.#slots.size;
      this.#slots.set(key, slot);
    }
    return slot;
  }

  /** The scan's columns, ready to change at `slot`: its own copy if a snapshot holds them, grown if needed. */
  #writable(scanId: string, slot: number): ScanColumns {
    const columns = this.#scans.get(scanId);
    if (columns !== undefined && slot < columns.capacity && !this.#shared.has(columns)) return columns;
    const current = columns?.capacity ?? 0;
    const capacity = slot < current ? current : Math.max(16, (slot + 1) * 2);
    const copy = new ScanColumns(capacity, columns);
    this.#scans.set(scanId, copy);
    return copy;
  }

  /**
   * Accounts for a task change: `before` is the task's previous record (undefined for a new task). Only entering
   * the store, and going from active to terminal, change a pair; tasks without a `scanId` are ignored.
   */
  update(before: ScanTask | undefined, after: ScanTask): void {
    if (after.scanId === undefined) return;
    const wasActive = before !== undefined && isActive(before);
    const nowActive = isActive(after);
    const created = before === undefined;
    const ended = !nowActive && (created || wasActive);
    if (!created && !ended) return;
    const keys =
      after.organizationIds === undefined || after.organizationIds.length === 0
        ? [GLOBAL]
        : after.organizationIds;
    for (const key of keys) {
      const slot = this.#slotOf(key);
      const columns = this.#writable(after.scanId, slot);
      if (columns.present[slot] === 0) {
        columns.present[slot] = 1;
        this.#pairs++;
      }
      if (created) {
        const runAt = columns.lastRunAt[slot] as number;
        if (Number.isNaN(runAt) || after.createdAt > runAt) columns.lastRunAt[slot] = after.createdAt;
        if (nowActive) (columns.active[slot] as number)++;
      }
      if (ended) {
        if (wasActive) (columns.active[slot] as number)--;
        finish(columns, slot, after, key === GLOBAL ? undefined : key);
      }
    }
  }
}

/** Records a finish of `task` in the pair at `slot`. */
function finish(
  columns: ScanColumns,
  slot: number,
  task: ScanTask,
  organizationId: string | undefined,
): void {
  const at = task.finishedAt;
  if (at === undefined) return; // Crossfeed: a finish without a time neither blocks nor counts
  const outcome = organizationOutcome(task, organizationId);
  const lastFinishedAt = columns.lastFinishedAt[slot] as number;
  // The latest finish; at the same instant a success wins, so arrival order never matters.
  if (
    Number.isNaN(lastFinishedAt) ||
    at > lastFinishedAt ||
    (at === lastFinishedAt && outcome === 'finished')
  ) {
    columns.lastFinishedAt[slot] = at;
    columns.outcome[slot] = OUTCOME_CODE[outcome];
  }
  const lastSucceededAt = columns.lastSucceededAt[slot] as number;
  const failures = columns.failures.get(slot);
  if (outcome === 'finished') {
    if (Number.isNaN(lastSucceededAt) || at > lastSucceededAt) {
      columns.lastSucceededAt[slot] = at;
      const left = failures?.filter((failedAt) => failedAt > at) ?? [];
      if (left.length === 0) columns.failures.delete(slot);
      else columns.failures.set(slot, left);
      columns.failureCount[slot] = left.length;
    }
  } else if (Number.isNaN(lastSucceededAt) || at > lastSucceededAt) {
    if (failures === undefined) columns.failures.set(slot, [at]);
    else failures.push(at);
    columns.failureCount[slot] = (columns.failureCount[slot] as number) + 1;
  }
}
