import { type Clock, systemClock } from '../clock/clock.js';
import { ScanplaneError } from '../errors/scanplane-error.js';
import type { HealthReport } from '../ports/health.js';
import type { CoverageRecord, Ledger } from '../ports/ledger.js';
import type { ScheduleSnapshot, ScheduleStore } from '../ports/schedule-store.js';
import type { ClaimRequest, CreateTasksResult, TaskQuery, TaskStore } from '../ports/task-store.js';
import type { WorkerInfo, WorkerRegistry } from '../ports/worker-registry.js';
import type { QueuedScanTask } from '../schedule/plan-schedule.js';
import {
  type Organization,
  type ScanDefinition,
  validateOrganization,
  validateScanDefinition,
} from '../schedule/scan-definition.js';
import { ScheduleHistoryIndex } from '../schedule/schedule-history.js';
import { AddressSet } from '../targets/address-set.js';
import {
  DEFAULT_TIMEOUTS,
  isTerminal,
  type NewTask,
  type ScanTask,
  TASK_STATUSES,
  type TaskStatus,
} from '../tasks/task.js';
import { applyTransition, copyTask, type TransitionRequest } from '../tasks/transitions.js';
import { jsonLengthOver } from '../util/json-size.js';
import { randomUuid } from '../util/random-uuid.js';

/**
 * The in-memory store: task store, ledger, worker registry and schedule store in one object, like the Postgres
 * adapter. It is the embedded default — nothing to install — and what unit tests of scan policy run against. State lives in this
 * process only.
 *
 * @example
 * ```ts
 * import { createMemoryStore } from '@scanplane/core';
 * const store = createMemoryStore();
 * const { created } = await store.create([{ project: 'acme', kind: 'tcp-connect', idempotencyKey: 'k1' }], { at: Date.now() });
 * ```
 */
export type MemoryStore = TaskStore & Ledger & WorkerRegistry & ScheduleStore;

/**
 * Options for {@link createMemoryStore}.
 *
 * @example
 * ```ts
 * import { createMemoryStore, type MemoryStoreOptions } from '@scanplane/core';
 * const options: MemoryStoreOptions = { maxPayloadBytes: 65_536 };
 * const store = createMemoryStore(options);
 * ```
 */
export interface MemoryStoreOptions {
  /** Largest JSON size of a task's payload or result. Default 1 MiB. */
  maxPayloadBytes?: number;
  /** Stamps what the store dates itself (a scan definition's `createdAt`). Default the system clock. */
  clock?: Clock;
}

/** A copy of an organization, field by field (a tick reads tens of thousands: `structuredClone` is slow). */
function copyOrganization(organization: Organization): Organization {
  const copy: Organization = {
    id: organization.id,
    name: organization.name,
    passive: organization.passive,
    tags: [...organization.tags],
  };
  const scope = organization.scope;
  if (scope !== undefined) {
    copy.scope = {};
    if (scope.rootDomains !== undefined) copy.scope.rootDomains = [...scope.rootDomains];
    if (scope.ipBlocks !== undefined) copy.scope.ipBlocks = [...scope.ipBlocks];
  }
  if (organization.enabled !== undefined) copy.enabled = organization.enabled;
  return copy;
}

/**
 * The scheduler's view of queued scheduled tasks, frozen, by task record: records are immutable (a change commits a
 * new one), so a task that waits in the queue across ticks is described once, not once per tick.
 */
const queuedEntries = new WeakMap<ScanTask, QueuedScanTask>();

/** The frozen {@link QueuedScanTask} of a queued scheduled task's record (made once per record). */
function queuedEntryOf(task: ScanTask): QueuedScanTask {
  let entry = queuedEntries.get(task);
  if (entry === undefined) {
    const dueSince = (task.payload as { dueSince?: unknown } | undefined)?.dueSince;
    entry = {
      taskId: task.id,
      scanId: task.scanId as string,
      organizationIds: Object.freeze([...(task.organizationIds ?? [])]),
      priority: task.priority,
      queuedAt: task.queuedAt ?? task.createdAt,
    };
    if (typeof dueSince === 'number') entry.dueSince = dueSince;
    if (task.notBefore !== undefined) entry.notBefore = task.notBefore;
    Object.freeze(entry);
    queuedEntries.set(task, entry);
  }
  return entry;
}

/** A copy of an organization frozen all the way down (shared between callers: nobody can change it). */
function frozenOrganization(organization: Organization): Organization {
  const copy = copyOrganization(organization);
  Object.freeze(copy.tags);
  if (copy.scope !== undefined) {
    if (copy.scope.rootDomains !== undefined) Object.freeze(copy.scope.rootDomains);
    if (copy.scope.ipBlocks !== undefined) Object.freeze(copy.scope.ipBlocks);
    Object.freeze(copy.scope);
  }
  return Object.freeze(copy);
}

function zeroCounts(): Record<TaskStatus, number> {
  return Object.fromEntries(TASK_STATUSES.map((status) => [status, 0])) as Record<TaskStatus, number>;
}

/**
 * Creates an empty {@link MemoryStore}.
 *
 * @example
 * ```ts
 * import { createMemoryStore } from '@scanplane/core';
 * const store = createMemoryStore();
 * await store.health(); // { ok: true, component: 'store', … }
 * ```
 */
export function createMemoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  const maxPayloadBytes = options.maxPayloadBytes ?? 1024 * 1024;
  const clock = options.clock ?? systemClock;
  const tasks = new Map<string, ScanTask>();
  const activeKeys = new Map<string, Map<string, string>>(); // project → idempotency key → active task id
  const byProject = new Map<string, Set<string>>();
  const active = new Set<string>(); // ids of active tasks (for the reaper and coverage)
  // Ids of queued tasks, for claims: built on the first claim and kept from then on (a deployment that takes its
  // work from a queue never claims from the store, and need not pay for this index on every change).
  let queued: Set<string> | undefined;
  // The scheduler's view: scan definitions, organizations, pair histories kept up to date on every task change, and
  // the queued scheduled tasks.
  const scans = new Map<string, ScanDefinition>();
  const organizations = new Map<string, Organization>();
  /**
   * The organizations in id order, frozen, handed to every caller until one changes: a scheduler reads them every
   * tick, and the same frozen list lets it keep what it derives from them (see `planSchedule`).
   */
  let organizationList: readonly Organization[] | undefined;
  const scheduleHistory = new ScheduleHistoryIndex();
  /** The queued scheduled tasks' records, by id (read without a lookup in `tasks`, which holds every task). */
  const scheduledQueued = new Map<string, ScanTask>();
  const targetSets = new Map<string, AddressSet>(); // active task id → its target as a set
  const scanned = new Map<string, CoverageRecord[]>();
  const scannedSets = new WeakMap<CoverageRecord, AddressSet>();
  const hostnames = new Map<string, Map<string, string[]>>();
  const workers = new Map<string, WorkerInfo>();
  // Tasks per status, per project and in all: count() by project alone is O(1) (waitForIdle polls it).
  const statusCounts = new Map<string, Record<TaskStatus, number>>();
  const allCounts = zeroCounts();
  const countsOf = (project: string): Record<TaskStatus, number> => {
    let counts = statusCounts.get(project);
    if (counts === undefined) {
      counts = zeroCounts();
      statusCounts.set(project, counts);
    }
    return counts;
  };

  const keysOf = (project: string): Map<string, string> => {
    let keys = activeKeys.get(project);
    if (keys === undefined) {
      keys = new Map();
      activeKeys.set(project, keys);
    }
    return keys;
  };

  const index = (before: ScanTask | undefined, after: ScanTask): void => {
    if (before?.status !== after.status) {
      const counts = countsOf(after.project);
      if (before !== undefined) {
        counts[before.status]--;
        allCounts[before.status]--;
      }
      counts[after.status]++;
      allCounts[after.status]++;
    }
    if (before === undefined || isTerminal(before.status) !== isTerminal(after.status)) {
      if (isTerminal(after.status)) {
        active.delete(after.id);
        targetSets.delete(after.id);
        const keys = activeKeys.get(after.project);
        if (keys?.get(after.idempotencyKey) === after.id) keys.delete(after.idempotencyKey);
      } else {
        active.add(after.id);
      }
    }
    if (queued !== undefined) {
      if (after.status === 'queued') queued.add(after.id);
      else if (before?.status === 'queued') queued.delete(after.id);
    }
    if (after.scanId !== undefined) {
      scheduleHistory.update(before, after);
      if (after.status === 'queued') scheduledQueued.set(after.id, after);
      else if (before?.status === 'queued') scheduledQueued.delete(after.id);
    }
  };

  const checkSize = (what: string, value: unknown, taskId?: string): void => {
    if (value === undefined) return;
    let size: number | undefined;
    try {
      size = jsonLengthOver(value, maxPayloadBytes);
    } catch (error) {
      throw new ScanplaneError(
        'INVALID_ARGUMENT',
        `${what} of ${taskId ?? 'a new task'} is not JSON: ${(error as Error).message}`,
        { details: { taskId: taskId ?? null }, cause: error },
      );
    }
    if (size !== undefined) {
      throw new ScanplaneError(
        'INVALID_ARGUMENT',
        `${what} of ${taskId ?? 'a new task'} is ${size} characters of JSON, above the limit of ${maxPayloadBytes}`,
        { details: { taskId: taskId ?? null, size, limit: maxPayloadBytes } },
      );
    }
  };

  const mustGet = (id: string): ScanTask => {
    const task = tasks.get(id);
    if (task === undefined)
      throw new ScanplaneError('NOT_FOUND', `no task ${id}`, { details: { taskId: id } });
    return task;
  };

  const commit = (before: ScanTask, after: ScanTask): ScanTask => {
    Object.freeze(after);
    tasks.set(after.id, after);
    index(before, after);
    return after;
  };

  const matches = (task: ScanTask, query: TaskQuery): boolean =>
    (query.status === undefined || query.status.includes(task.status)) &&
    (query.scanId === undefined || task.scanId === query.scanId) &&
    (query.organizationId === undefined || (task.organizationIds ?? []).includes(query.organizationId)) &&
    (query.kind === undefined || task.kind === query.kind) &&
    (query.project === undefined || task.project === query.project);

  const candidates = (query: TaskQuery): Iterable<string> => {
    if (query.ids !== undefined) return query.ids;
    if (query.project !== undefined) return byProject.get(query.project) ?? [];
    return tasks.keys(); // a Map iterates in insertion order
  };

  const overlapping = (
    records: Iterable<[CoverageRecord, AddressSet]>,
    query: AddressSet,
  ): CoverageRecord[] => {
    const out: CoverageRecord[] = [];
    for (const [record, set] of records) if (!set.intersect(query).isEmpty) out.push(record);
    return out;
  };

  const started = Date.now();
  const health = async (component: string): Promise<HealthReport> => ({
    ok: true,
    component,
    detail: `memory: ${tasks.size} tasks, ${active.size} active, up ${Math.round((Date.now() - started) / 1000)} s`,
    latencyMs: 0,
  });

  return {
    name: 'memory',

    async create(newTasks: readonly NewTask[], { at }: { at: number }): Promise<CreateTasksResult> {
      for (const task of newTasks) checkSize('payload', task.payload, task.id);
      const created: ScanTask[] = [];
      const existing: ScanTask[] = [];
      for (const input of newTasks) {
        const keys = keysOf(input.project);
        const holder = keys.get(input.idempotencyKey);
        if (holder !== undefined) {
          existing.push(mustGet(holder));
          continue;
        }
        const id = input.id ?? randomUuid();
        if (tasks.has(id))
          throw new ScanplaneError('CONFLICT', `task ${id} already exists`, { details: { taskId: id } });
        const status = input.status ?? 'created';
        // Every field is present from the start (undefined when unset), in one order: all records share one
        // hidden class, so a transition's copy is a flat clone and setting a field never reshapes the object.
        const task: ScanTask = {
          id,
          project: input.project,
          scanId: input.scanId,
          organizationIds: input.organizationIds === undefined ? undefined : [...input.organizationIds],
          kind: input.kind,
          target: input.target,
          payload: input.payload,
          status,
          attempt: 0,
          maxAttempts: input.maxAttempts ?? 3,
          priority: input.priority ?? 1,
          idempotencyKey: input.idempotencyKey,
          version: 1,
          timeouts:
            input.timeouts === undefined ? DEFAULT_TIMEOUTS : { ...DEFAULT_TIMEOUTS, ...input.timeouts },
          createdAt: at,
          queuedAt: status === 'queued' ? at : undefined,
          requestedAt: undefined,
          startedAt: undefined,
          finishedAt: undefined,
          lastHeartbeatAt: undefined,
          leaseExpiresAt: undefined,
          notBefore: undefined,
          workerId: undefined,
          handle: undefined,
          result: undefined,
          error: undefined,
          history: [{ to: status, at, reason: 'created' }],
        };
        Object.freeze(task);
        tasks.set(id, task);
        let projectSet = byProject.get(task.project);
        if (projectSet === undefined) {
          projectSet = new Set();
          byProject.set(task.project, projectSet);
        }
        projectSet.add(id);
        keys.set(input.idempotencyKey, id);
        index(undefined, task);
        created.push(task);
      }
      return { created, existing };
    },

    async get(id) {
      return tasks.get(id);
    },

    async transition(id: string, request: TransitionRequest): Promise<ScanTask> {
      const before = mustGet(id);
      checkSize('result', request.patch?.result, id);
      return commit(before, applyTransition(before, request));
    },

    async claim(request: ClaimRequest): Promise<ScanTask[]> {
      if (queued === undefined) {
        queued = new Set();
        for (const id of active) if (tasks.get(id)?.status === 'queued') queued.add(id);
      }
      const ready: ScanTask[] = [];
      for (const id of queued) {
        const task = tasks.get(id) as ScanTask;
        if ((task.notBefore ?? 0) > request.at) continue;
        if (request.kinds !== undefined && !request.kinds.includes(task.kind)) continue;
        if (request.project !== undefined && task.project !== request.project) continue;
        ready.push(task);
      }
      ready.sort(
        (a, b) => b.priority - a.priority || (a.queuedAt ?? 0) - (b.queuedAt ?? 0) || (a.id < b.id ? -1 : 1),
      );
      return ready.slice(0, request.limit).map((task) =>
        commit(
          task,
          applyTransition(task, {
            to: 'started',
            from: ['queued'],
            at: request.at,
            reason: 'claimed',
            patch: {
              workerId: request.workerId,
              leaseExpiresAt: request.at + request.leaseMs,
              lastHeartbeatAt: request.at,
            },
          }),
        ),
      );
    },

    async heartbeat(id, { workerId, at, leaseMs }) {
      const task = mustGet(id);
      if (task.status !== 'started' || task.workerId !== workerId) {
        throw new ScanplaneError(
          'CONFLICT',
          `task ${id} is ${task.status}${task.workerId ? ` (worker ${task.workerId})` : ''}, not started by ${workerId}`,
          { details: { taskId: id, status: task.status } },
        );
      }
      const next = copyTask(task);
      next.lastHeartbeatAt = at;
      next.leaseExpiresAt = at + leaseMs;
      next.version = task.version + 1;
      return commit(task, next);
    },

    async list(query) {
      // Ordered by creation time, then id (the port's contract), whatever order tasks were created in.
      const matching: ScanTask[] = [];
      for (const id of candidates(query)) {
        const task = tasks.get(id);
        if (task !== undefined && matches(task, query)) matching.push(task);
      }
      matching.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      let page = matching;
      if (query.after !== undefined) {
        // The cursor is a position in the ordering: it works even if that task no longer matches the filter.
        const pivot = tasks.get(query.after);
        page =
          pivot === undefined
            ? []
            : matching.filter(
                (t) => t.createdAt > pivot.createdAt || (t.createdAt === pivot.createdAt && t.id > pivot.id),
              );
      }
      return query.limit === undefined ? page : page.slice(0, query.limit);
    },

    async count(query) {
      const onlyProject =
        query.status === undefined &&
        query.scanId === undefined &&
        query.organizationId === undefined &&
        query.kind === undefined &&
        query.ids === undefined;
      if (onlyProject) {
        if (query.project === undefined) return { ...allCounts };
        return { ...(statusCounts.get(query.project) ?? zeroCounts()) };
      }
      const counts = zeroCounts();
      for (const id of candidates(query)) {
        const task = tasks.get(id);
        if (task !== undefined && matches(task, query)) counts[task.status]++;
      }
      return counts;
    },

    async expired(at, limit = Number.POSITIVE_INFINITY) {
      const out: ScanTask[] = [];
      for (const id of active) {
        const task = tasks.get(id) as ScanTask;
        const t = task.timeouts;
        const late =
          (task.status === 'created' && task.createdAt + t.startMs <= at) ||
          (task.status === 'requested' && (task.requestedAt ?? task.createdAt) + t.startMs <= at) ||
          (task.status === 'started' &&
            ((task.leaseExpiresAt !== undefined && task.leaseExpiresAt <= at) ||
              (task.startedAt ?? at) + t.runMs <= at));
        if (late) {
          out.push(task);
          if (out.length >= limit) break;
        }
      }
      return out;
    },

    async active(project, addresses) {
      const query = AddressSet.parse(addresses);
      const records: Array<[CoverageRecord, AddressSet]> = [];
      for (const id of byProject.get(project) ?? []) {
        if (!active.has(id)) continue;
        const task = tasks.get(id) as ScanTask;
        if (task.target === undefined) continue;
        let set = targetSets.get(id);
        if (set === undefined) {
          set = AddressSet.parse(task.target.addresses);
          targetSets.set(id, set);
        }
        records.push([
          {
            addresses: task.target.addresses,
            ports: task.target.ports,
            at: task.queuedAt ?? task.createdAt,
            taskId: id,
          },
          set,
        ]);
      }
      return overlapping(records, query);
    },

    async scanned(project, addresses, since) {
      const query = AddressSet.parse(addresses);
      const records: Array<[CoverageRecord, AddressSet]> = [];
      for (const record of scanned.get(project) ?? []) {
        if (record.at < since) continue;
        let set = scannedSets.get(record);
        if (set === undefined) {
          set = AddressSet.parse(record.addresses);
          scannedSets.set(record, set);
        }
        records.push([record, set]);
      }
      return overlapping(records, query);
    },

    async recordScanned(project, record) {
      let list = scanned.get(project);
      if (list === undefined) {
        list = [];
        scanned.set(project, list);
      }
      list.push({ ...record });
    },

    async recordHostnames(project, address, names) {
      let map = hostnames.get(project);
      if (map === undefined) {
        map = new Map();
        hostnames.set(project, map);
      }
      const list = map.get(address) ?? [];
      for (const name of names) if (!list.includes(name)) list.push(name);
      map.set(address, list);
    },

    async hostnames(project, address) {
      return [...(hostnames.get(project)?.get(address) ?? [])];
    },

    async registerWorker(worker) {
      workers.set(worker.id, {
        ...worker,
        currentTasks: [...worker.currentTasks],
        addresses: [...worker.addresses],
      });
    },

    async workerHeartbeat(id, { at, currentTasks }) {
      const worker = workers.get(id);
      if (worker !== undefined)
        workers.set(id, { ...worker, lastSeenAt: at, currentTasks: [...currentTasks] });
    },

    async removeWorker(id) {
      workers.delete(id);
    },

    async listWorkers({ at, staleAfterMs }) {
      const out: WorkerInfo[] = [];
      for (const [id, worker] of workers) {
        if (worker.lastSeenAt + staleAfterMs < at) workers.delete(id);
        else
          out.push({ ...worker, currentTasks: [...worker.currentTasks], addresses: [...worker.addresses] });
      }
      return out;
    },

    async listScans() {
      return [...scans.values()].sort((a, b) => (a.id < b.id ? -1 : 1)).map((scan) => structuredClone(scan));
    },

    async getScan(id) {
      const scan = scans.get(id);
      return scan === undefined ? undefined : structuredClone(scan);
    },

    async putScan(scan, putOptions = {}) {
      validateScanDefinition(scan);
      const createdAt = scans.get(scan.id)?.createdAt ?? scan.createdAt ?? putOptions.at ?? clock.now();
      const stored = structuredClone({ ...scan, createdAt });
      scans.set(scan.id, stored);
      return structuredClone(stored);
    },

    async deleteScan(id) {
      return scans.delete(id);
    },

    async listOrganizations() {
      organizationList ??= Object.freeze(
        [...organizations.values()].sort((a, b) => (a.id < b.id ? -1 : 1)).map(frozenOrganization),
      );
      return organizationList;
    },

    async getOrganization(id) {
      const organization = organizations.get(id);
      return organization === undefined ? undefined : copyOrganization(organization);
    },

    async putOrganization(organization) {
      validateOrganization(organization);
      organizations.set(organization.id, copyOrganization(organization));
      organizationList = undefined;
      return copyOrganization(organization);
    },

    async deleteOrganization(id) {
      organizationList = undefined;
      return organizations.delete(id);
    },

    async requestManualRun(scanId, at) {
      const scan = scans.get(scanId);
      if (scan === undefined)
        throw new ScanplaneError('NOT_FOUND', `no scan ${scanId}`, { details: { scanId } });
      scan.manualRunRequestedAt = at;
      return structuredClone(scan);
    },

    async updateScans(updates) {
      for (const update of updates) {
        const scan = scans.get(update.scanId);
        if (scan === undefined) continue;
        if (update.lastRun !== undefined) scan.lastRun = update.lastRun;
        if (update.clearManualRun !== undefined && scan.manualRunRequestedAt === update.clearManualRun)
          delete scan.manualRunRequestedAt;
      }
    },

    async scheduleSnapshot(): Promise<ScheduleSnapshot> {
      const waiting: QueuedScanTask[] = new Array(scheduledQueued.size);
      let count = 0;
      for (const task of scheduledQueued.values()) waiting[count++] = queuedEntryOf(task);
      return {
        history: scheduleHistory.snapshot(),
        queued: waiting,
        running: allCounts.requested + allCounts.started,
      };
    },

    health: () => health('store'),
  };
}
