import { randomUUID } from 'node:crypto';
import { type ScanDefinition, ScanplaneError, type ScheduleStore } from '@scanplane/core';
import { withScanType } from '../scan-types.js';

/**
 * A scan definition as operators send it (see `scanBody` in `schemas.ts`): Crossfeed's `Scan` (`name` is `type`,
 * `frequency` is `frequencySeconds`, `isGranular` + `organizations` + `tags` is `granular`, `isSingleScan` is
 * `singleShot`), plus cron, jitter, dependencies and the rest of the core's definition.
 *
 * @example
 * ```ts
 * import type { ScanInput } from './scan-input.js';
 * const nightly: ScanInput = { type: 'portscan', cron: '0 2 * * *', granular: { tags: ['energy'] } };
 * ```
 */
export type ScanInput = Omit<
  ScanDefinition,
  'id' | 'passive' | 'global' | 'resources' | 'lastRun' | 'createdAt'
> & {
  /** Its id; made from the type when absent. */
  id?: string;
};

/**
 * Turns an operator's scan into a definition to store: its type's `passive`, `global` and `resources`, its
 * arguments checked for the type, its granular organizations and dependencies checked to exist, and what the
 * scheduler keeps on a stored definition (`lastRun`, a pending manual run) carried over.
 *
 * @throws {@link ScanplaneError} `INVALID_ARGUMENT` naming the field (`details.where`), `PORTS_INVALID`.
 * @example
 * ```ts
 * import { toScanDefinition } from './scan-input.js';
 * declare const store: import('@scanplane/core').ScheduleStore;
 * const scan = await toScanDefinition({ type: 'portscan', frequencySeconds: 3600 }, store);
 * ```
 */
export async function toScanDefinition(
  input: ScanInput,
  store: ScheduleStore,
  id: string = input.id ?? `${input.type}-${randomUUID().slice(0, 8)}`,
): Promise<ScanDefinition> {
  const scan = withScanType({ ...input, id });
  const organizations = new Set((await store.listOrganizations()).map((organization) => organization.id));
  for (const [index, organizationId] of (scan.granular?.organizations ?? []).entries()) {
    if (!organizations.has(organizationId)) {
      const where = `body/granular/organizations/${index}`;
      throw new ScanplaneError('INVALID_ARGUMENT', `${where}: no organization ${organizationId}`, {
        details: { where },
      });
    }
  }
  for (const [index, scanId] of (scan.dependsOn ?? []).entries()) {
    if (scanId !== id && (await store.getScan(scanId)) === undefined) {
      const where = `body/dependsOn/${index}`;
      throw new ScanplaneError('INVALID_ARGUMENT', `${where}: no scan ${scanId}`, { details: { where } });
    }
  }
  const stored = await store.getScan(id);
  if (stored?.lastRun !== undefined) scan.lastRun = stored.lastRun;
  if (stored?.manualRunRequestedAt !== undefined && scan.manualRunRequestedAt === undefined)
    scan.manualRunRequestedAt = stored.manualRunRequestedAt;
  return scan;
}

/**
 * Whether a scan selects an organization: every organization for a non-granular scan, else the listed ones and
 * those carrying one of its tags.
 *
 * @example
 * ```ts
 * import { selects } from './scan-input.js';
 * selects({ id: 's', type: 'portscan', frequencySeconds: 60, granular: { tags: ['energy'] } }, { id: 'a', tags: ['energy'] }); // true
 * ```
 */
export function selects(
  scan: ScanDefinition,
  organization: { id: string; tags: readonly string[] },
): boolean {
  if (scan.granular === undefined) return true;
  return (
    (scan.granular.organizations ?? []).includes(organization.id) ||
    (scan.granular.tags ?? []).some((tag) => organization.tags.includes(tag))
  );
}
