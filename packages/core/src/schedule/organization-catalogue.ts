import type { Organization } from './scan-definition.js';

/** An organization as a scheduled task's payload carries it. */
export interface OrganizationEntry {
  readonly id: string;
  readonly name: string;
  readonly scope?: Organization['scope'];
}

/**
 * What a tick needs to know of the organizations, derived once: in id order, indexed by id and by tag, and flat
 * arrays for the pair loop, which runs scans × organizations times and must not touch an object per pair.
 *
 * @internal
 */
export interface OrganizationCatalogue {
  /** The organizations in id order. */
  readonly organizations: readonly Organization[];
  /** Their ids, in the same order. */
  readonly ids: readonly string[];
  /** Index (in id order) by id. */
  readonly indexById: ReadonlyMap<string, number>;
  /** Indexes of the organizations with each tag, ascending. */
  readonly indexesByTag: ReadonlyMap<string, readonly number[]>;
  /** Per organization: bit 0 disabled, bit 1 passive. */
  readonly flags: Uint8Array;
  /** Ids of the enabled passive organizations, in id order. */
  readonly passiveIds: readonly string[];
  /** The frozen payload entry of the organization at an index (made once, shared by every task that carries it). */
  entry(index: number): OrganizationEntry;
  /**
   * Whether the organizations are a frozen list of deeply frozen organizations, so that the catalogue is kept and
   * shared by every tick that is given the same list: its entries can be read at any later time.
   */
  readonly shared: boolean;
  /** The last visit order a tick derived from these organizations and a history's handles (see `planSchedule`). */
  visits: VisitOrder | undefined;
}

/**
 * The order in which a tick visits the organizations (catalogue indexes, by history handle), and each one's handle
 * (−1: none), for the history handle space `key` when it held `size` handles.
 *
 * @internal
 */
export interface VisitOrder {
  readonly key: object | undefined;
  readonly size: number;
  readonly handles: Int32Array;
  readonly order: Int32Array;
}

export const DISABLED_FLAG = 1;
export const PASSIVE_FLAG = 2;

/**
 * Catalogues of frozen organization lists. A store that hands out the same frozen list while its organizations do
 * not change (the memory store does) gets its catalogue built once, not once per tick: at tens of thousands of
 * organizations that is most of what a tick would otherwise allocate. Anything else is catalogued per call.
 */
const catalogues = new WeakMap<readonly Organization[], OrganizationCatalogue>();

/** The catalogue of `organizations` (any order). @internal */
export function organizationCatalogue(organizations: readonly Organization[]): OrganizationCatalogue {
  // A frozen list cannot change; its organizations are checked to be frozen too before the catalogue is kept.
  if (!Object.isFrozen(organizations)) return buildCatalogue(organizations, false);
  let catalogue = catalogues.get(organizations);
  if (catalogue === undefined) {
    const shared = organizations.every(isDeepFrozen);
    catalogue = buildCatalogue(organizations, shared);
    if (shared) catalogues.set(organizations, catalogue);
  }
  return catalogue;
}

const isDeepFrozen = (organization: Organization): boolean =>
  Object.isFrozen(organization) &&
  Object.isFrozen(organization.tags) &&
  (organization.scope === undefined ||
    (Object.isFrozen(organization.scope) &&
      (organization.scope.rootDomains === undefined || Object.isFrozen(organization.scope.rootDomains)) &&
      (organization.scope.ipBlocks === undefined || Object.isFrozen(organization.scope.ipBlocks))));

function buildCatalogue(input: readonly Organization[], shared: boolean): OrganizationCatalogue {
  let sorted = true;
  for (let i = 1; i < input.length && sorted; i++)
    sorted = (input[i - 1] as Organization).id < (input[i] as Organization).id;
  const organizations = sorted ? input : [...input].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const count = organizations.length;
  const ids: string[] = [];
  const indexById = new Map<string, number>();
  const indexesByTag = new Map<string, number[]>();
  const flags = new Uint8Array(count);
  const passiveIds: string[] = [];
  for (let index = 0; index < count; index++) {
    const organization = organizations[index] as Organization;
    ids.push(organization.id);
    indexById.set(organization.id, index);
    for (const tag of organization.tags) {
      const list = indexesByTag.get(tag);
      if (list === undefined) indexesByTag.set(tag, [index]);
      else if (list[list.length - 1] !== index) list.push(index);
    }
    const disabled = organization.enabled === false;
    flags[index] = (disabled ? DISABLED_FLAG : 0) | (organization.passive ? PASSIVE_FLAG : 0);
    if (organization.passive && !disabled) passiveIds.push(organization.id);
  }
  const entries: Array<OrganizationEntry | undefined> = [];
  return {
    organizations,
    ids,
    indexById,
    indexesByTag,
    flags,
    passiveIds,
    shared,
    visits: undefined,
    entry(index) {
      let entry = entries[index];
      if (entry === undefined) {
        const organization = organizations[index] as Organization;
        entry = Object.freeze(
          organization.scope === undefined
            ? { id: organization.id, name: organization.name }
            : { id: organization.id, name: organization.name, scope: organization.scope },
        );
        entries[index] = entry;
      }
      return entry;
    },
  };
}
