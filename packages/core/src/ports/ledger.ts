import type { HealthReport } from './health.js';

/**
 * A rectangle of work in address × port space: addresses (CIDRs) × a canonical port set, with when it was recorded.
 *
 * @example
 * ```ts
 * import type { CoverageRecord } from '@scanplane/core';
 * const record: CoverageRecord = { addresses: ['192.0.2.0/30'], ports: '80,443', at: Date.now(), taskId: 't1' };
 * ```
 */
export interface CoverageRecord {
  /** CIDRs. */
  addresses: string[];
  /** Canonical port set ({@link PortSet}). */
  ports: string;
  /** When the work was queued (active) or scanned (scanned). */
  at: number;
  /** The task behind it. */
  taskId?: string;
}

/**
 * The ledger port: what work of a project is active, and what was scanned when, in address × port space — the
 * questions dedup asks. Active coverage comes from active tasks; scanned coverage from finished tasks and imports.
 * Implementations answer overlap queries without scanning every record (an index or a query, not a loop over the
 * project). Implementations: {@link createMemoryStore} (which is also the task store), `@scanplane/postgres`.
 *
 * @example
 * ```ts
 * import { createMemoryStore } from '@scanplane/core';
 * const ledger = createMemoryStore();
 * await ledger.recordScanned('acme', { addresses: ['192.0.2.7/32'], ports: '80', at: Date.now() });
 * const recent = await ledger.scanned('acme', ['192.0.2.0/24'], Date.now() - 86_400_000);
 * ```
 */
export interface Ledger {
  /** A short name for logs and health reports. */
  readonly name: string;
  /** Coverage of the project's active tasks that overlaps the given CIDRs. */
  active(project: string, addresses: readonly string[]): Promise<CoverageRecord[]>;
  /** Coverage scanned in the project since `since` that overlaps the given CIDRs. */
  scanned(project: string, addresses: readonly string[], since: number): Promise<CoverageRecord[]>;
  /** Records scanned coverage (called when a task finishes). */
  recordScanned(project: string, record: CoverageRecord): Promise<void>;
  /** Records hostnames seen for an address (merged, first-seen order kept). */
  recordHostnames(project: string, address: string, hostnames: readonly string[], at: number): Promise<void>;
  /** Hostnames recorded for an address. */
  hostnames(project: string, address: string): Promise<string[]>;
  /** Checks the ledger for real. */
  health(): Promise<HealthReport>;
}
