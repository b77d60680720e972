import {
  createDnsResolver,
  type OrganizationRun,
  type PreparedTargets,
  prepare,
  type Resolver,
  ScanplaneError,
  type TargetInput,
} from '@scanplane/core';

/**
 * Options of {@link scopeTargets}.
 *
 * @example
 * ```ts
 * import type { ScopeTargetOptions } from './scope-targets.js';
 * const options: ScopeTargetOptions = { allow: ['127.0.0.1'], signal: AbortSignal.timeout(10_000) };
 * ```
 */
export interface ScopeTargetOptions {
  /** The deployment's allow-list (`ORG_SCANS_ALLOW`): addresses outside it are refused `out_of_scope`. */
  allow?: readonly string[];
  /** Resolves the root domains. Default the core's DNS resolver (hosts file first). */
  resolver?: Resolver;
  /** Stops a long resolution. */
  signal?: AbortSignal;
}

/**
 * An organization's authorised scope, made exact by the core's target engine (`prepare`): its IP blocks and the
 * addresses its root domains resolve to, deduplicated, each address keeping the domains that led to it, and inside
 * the deployment's allow-list when one is set. Entries that are invalid, unresolvable or out of scope are counted
 * in `summary.refused`, never scanned.
 *
 * @throws {@link ScanplaneError} `INVALID_COMMAND` when the organization carries no scope at all.
 * @example
 * ```ts
 * import { scopeTargets } from './scope-targets.js';
 * declare const run: import('@scanplane/core').OrganizationRun;
 * const prepared = await scopeTargets(run, { allow: ['127.0.0.1'] });
 * prepared.addresses.size; // 1n
 * ```
 */
export async function scopeTargets(
  run: Pick<OrganizationRun, 'organizationId' | 'scope'>,
  options: ScopeTargetOptions = {},
): Promise<PreparedTargets> {
  const ipBlocks = run.scope?.ipBlocks ?? [];
  const rootDomains = run.scope?.rootDomains ?? [];
  if (ipBlocks.length === 0 && rootDomains.length === 0) {
    throw new ScanplaneError(
      'INVALID_COMMAND',
      `organization ${run.organizationId} has no scope: give it ipBlocks or rootDomains`,
      { details: { organizationId: run.organizationId } },
    );
  }
  const entries: TargetInput[] = [
    ...ipBlocks.map((text) => ({ text, source: { kind: 'list' as const, name: 'ipBlocks' } })),
    ...rootDomains.map((text) => ({ text, source: { kind: 'list' as const, name: 'rootDomains' } })),
  ];
  return prepare(entries, {
    resolver: options.resolver ?? createDnsResolver({ attempts: 2, timeout: 2000 }),
    ...(options.allow === undefined || options.allow.length === 0 ? {} : { allow: options.allow }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
}
