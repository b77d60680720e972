import { randomUUID } from 'node:crypto';
import { type Organization, parseTargetEntry, ScanplaneError } from '@scanplane/core';

/**
 * An organization as operators send it (see `organizationBody` in `schemas.ts`).
 *
 * @example
 * ```ts
 * import type { OrganizationInput } from './organization-input.js';
 * const acme: OrganizationInput = { name: 'Acme', passive: false, scope: { ipBlocks: ['192.0.2.0/24'] } };
 * ```
 */
export interface OrganizationInput {
  /** Its id; made when absent. */
  id?: string;
  /** Display name. */
  name: string;
  /** A passive organization never receives active scans. */
  passive: boolean;
  /** Tags, for granular scans. */
  tags?: string[];
  /** Its authorised scope. */
  scope?: { ipBlocks?: string[]; rootDomains?: string[] };
  /** Default true. */
  enabled?: boolean;
}

/**
 * Checks an organization's scope with the core's target parser — every IP block an address, CIDR or range, every
 * root domain a hostname — and returns the organization to store.
 *
 * @throws {@link ScanplaneError} `TARGET_INVALID` naming the entry (`details.where`: `scope.ipBlocks[2]`),
 *   `TARGET_TOO_LARGE` for a block over the target engine's size cap.
 * @example
 * ```ts
 * import { toOrganization } from './organization-input.js';
 * toOrganization({ name: 'Lab', passive: false, scope: { ipBlocks: ['127.0.0.1'], rootDomains: ['localhost'] } });
 * ```
 */
export function toOrganization(
  input: OrganizationInput,
  id: string = input.id ?? randomUUID(),
): Organization {
  const organization: Organization = {
    id,
    name: input.name,
    passive: input.passive,
    tags: input.tags ?? [],
  };
  if (input.enabled !== undefined) organization.enabled = input.enabled;
  if (input.scope !== undefined) {
    const scope: NonNullable<Organization['scope']> = {};
    for (const field of ['ipBlocks', 'rootDomains'] as const) {
      const entries = input.scope[field];
      if (entries === undefined) continue;
      scope[field] = entries.map((text, index) => {
        const where = `scope.${field}[${index}]`;
        const parsed = parseTargetEntry(text);
        if (!parsed.ok) {
          throw new ScanplaneError(
            parsed.reason === 'too_large' ? 'TARGET_TOO_LARGE' : 'TARGET_INVALID',
            `${where}: ${parsed.message}`,
            { details: { where, entry: text } },
          );
        }
        const isDomain = parsed.entry.kind === 'hostname';
        if (field === 'ipBlocks' && isDomain) {
          throw new ScanplaneError(
            'TARGET_INVALID',
            `${where}: '${text}' is a hostname; put it in scope.rootDomains`,
            { details: { where, entry: text } },
          );
        }
        if (field === 'rootDomains' && (!isDomain || parsed.entry.port !== undefined)) {
          throw new ScanplaneError(
            'TARGET_INVALID',
            `${where}: '${text}' is not a domain name${isDomain ? ' (no port)' : '; put addresses in scope.ipBlocks'}`,
            { details: { where, entry: text } },
          );
        }
        return isDomain ? (parsed.entry.hostname ?? text) : text.trim();
      });
    }
    organization.scope = scope;
  }
  return organization;
}
