/**
 * The health of one component, as checked for real (a query, a round trip), never assumed.
 *
 * @example
 * ```ts
 * import type { HealthReport } from '@scanplane/core';
 * const report: HealthReport = { ok: true, component: 'store', detail: 'memory', latencyMs: 0 };
 * ```
 */
export interface HealthReport {
  /** Whether the component works. */
  ok: boolean;
  /** Which component. */
  component: string;
  /** What was checked, or what is wrong. */
  detail: string;
  /** How long the check took. */
  latencyMs?: number;
}
