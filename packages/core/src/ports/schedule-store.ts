import type { QueuedScanTask, ScanUpdate } from '../schedule/plan-schedule.js';
import type { Organization, ScanDefinition } from '../schedule/scan-definition.js';
import type { ScheduleHistory } from '../schedule/schedule-history.js';

/**
 * What one scheduler tick reads of the task store, in one call: pair histories, queued scheduled tasks and how many
 * tasks run now.
 *
 * @example
 * ```ts
 * import type { ScheduleSnapshot } from '@scanplane/core';
 * declare const snapshot: ScheduleSnapshot;
 * `${snapshot.queued.length} queued, ${snapshot.running} running`;
 * ```
 */
export interface ScheduleSnapshot {
  /** Pair histories of every scheduled task (tasks with a `scanId`). */
  history: ScheduleHistory;
  /** Queued scheduled tasks. */
  queued: QueuedScanTask[];
  /** Tasks `requested` or `started` (of any kind: they hold the launcher's capacity). */
  running: number;
}

/**
 * The scheduler's port: scan definitions and organizations (the catalogue), and a summary of scheduled task
 * history. The memory store implements it over its own tasks; the Postgres adapter over its tables.
 *
 * @example
 * ```ts
 * import { createMemoryStore } from '@scanplane/core';
 * const store = createMemoryStore();
 * await store.putOrganization({ id: 'acme', name: 'Acme', passive: false, tags: ['energy'] });
 * await store.putScan({ id: 'amass', type: 'amass', frequencySeconds: 86_400 });
 * await store.requestManualRun('amass', Date.now());
 * ```
 */
export interface ScheduleStore {
  /** Every scan definition, in id order. */
  listScans(): Promise<ScanDefinition[]>;
  /** One scan definition. */
  getScan(id: string): Promise<ScanDefinition | undefined>;
  /**
   * Creates or replaces a scan definition (validated); `createdAt` is kept from the stored one, else taken from the
   * definition, else set to `at` (default: now, by the store's clock).
   * @throws `INVALID_ARGUMENT` when the definition is not valid.
   */
  putScan(scan: ScanDefinition, options?: { at?: number }): Promise<ScanDefinition>;
  /** Deletes a scan definition; true if it existed. Its tasks stay (their `scanId` then names no scan). */
  deleteScan(id: string): Promise<boolean>;
  /**
   * Every organization, in id order. The list may be frozen and shared between calls while the organizations do not
   * change (the memory store does this, so that a scheduler derives its organization index once, not every tick):
   * copy it before changing it.
   */
  listOrganizations(): Promise<readonly Organization[]>;
  /** One organization. */
  getOrganization(id: string): Promise<Organization | undefined>;
  /**
   * Creates or replaces an organization (validated).
   * @throws `INVALID_ARGUMENT` when it is not valid.
   */
  putOrganization(organization: Organization): Promise<Organization>;
  /** Deletes an organization; true if it existed. */
  deleteOrganization(id: string): Promise<boolean>;
  /**
   * Asks for a manual run of a scan at its next tick (Crossfeed's `POST /scans/:id/run`); returns the definition.
   * @throws `NOT_FOUND` when there is no such scan.
   */
  requestManualRun(scanId: string, at: number): Promise<ScanDefinition>;
  /**
   * Applies a tick's scan updates: `lastRun`, and clearing a manual run only if it is still the request of
   * `clearManualRun` (a newer request survives). Updates of deleted scans are ignored.
   */
  updateScans(updates: readonly ScanUpdate[]): Promise<void>;
  /** Pair histories, queued scheduled tasks and the running count, read together. */
  scheduleSnapshot(): Promise<ScheduleSnapshot>;
}
