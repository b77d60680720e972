/**
 * `@scanplane/core`: the pure logic of scanplane — target parsing, address sets, preparation (scope, resolution,
 * dedup) and task planning — behind small ports, each with an in-memory implementation.
 *
 * @example
 * ```ts
 * import { planTasks, prepare } from '@scanplane/core';
 * const prepared = await prepare(['192.0.2.0/30', 'localhost']);
 * for (const task of planTasks(prepared, { ports: '22,80,443' })) console.log(task.ip, task.ports);
 * ```
 * @module
 */
export { ERROR_CODES, type ErrorCode, type ErrorCodeInfo, isErrorCode } from './errors/error-codes.js';
export {
  isScanplaneError,
  ScanplaneError,
  type ScanplaneErrorJSON,
  type ScanplaneErrorOptions,
  toScanplaneError,
} from './errors/scanplane-error.js';
export { type PlannedTask, type PlanTasksOptions, planTasks } from './plan/plan-tasks.js';
export { PortSet, type Protocol } from './plan/port-set.js';
export { type TaskKeyParts, taskKey } from './plan/task-key.js';
export { createDnsResolver, type DnsResolverOptions } from './resolver/dns-resolver.js';
export { type HostMap, type HostMapEntry, parseHostsFile } from './resolver/host-map.js';
export type { ResolveError, ResolveOptions, ResolveResult, Resolver } from './resolver/resolver.js';
export { createStaticResolver } from './resolver/static-resolver.js';
export {
  type AddressChunk,
  type AddressRange,
  AddressSet,
  AddressSetBuilder,
  formatAddress,
  type NumericAddress,
  type OrderOptions,
  parseAddress,
  type Shard,
} from './targets/address-set.js';
export { normalizeHostname } from './targets/hostname.js';
export { formatIpv4, IPV4_SPACE, parseIpv4 } from './targets/ipv4.js';
export { formatIpv6, IPV6_SPACE, parseIpv6 } from './targets/ipv6.js';
export { createPermutation, type Permutation, type Seed } from './targets/permutation.js';
export { type PrepareOptions, type PrepareProgress, prepare, type TargetEntries } from './targets/prepare.js';
export {
  bigintToJSON,
  type EntryOutcome,
  type EntryStatus,
  PreparedTargets,
  type PrepareSummary,
  summaryToJSON,
} from './targets/prepared-targets.js';
export type { RefusalReason } from './targets/scope-policy.js';
export {
  classifyAddress,
  SPECIAL_PURPOSE_BLOCKS,
  type SpecialPurposeBlock,
  type SpecialPurposeReason,
} from './targets/special-purpose.js';
export {
  DEFAULT_MAX_ADDRESSES,
  DEFAULT_MAX_RANGES,
  MAX_ENTRY_LENGTH,
  type ParsedTargetEntry,
  parseTargetEntry,
  type TargetEntryKind,
  type TargetEntryOptions,
  type TargetEntryParseResult,
} from './targets/target-entry.js';
export {
  formatSource,
  MAX_LINE_LENGTH,
  readTargetFile,
  splitTargetList,
  type TargetInput,
  type TargetSource,
  targetsFromList,
  targetsFromText,
} from './targets/target-input.js';
