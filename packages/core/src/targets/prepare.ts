import { ScanplaneError } from '../errors/scanplane-error.js';
import { createDnsResolver } from '../resolver/dns-resolver.js';
import type { ResolveResult, Resolver } from '../resolver/resolver.js';
import { forEachConcurrent } from '../util/for-each-concurrent.js';
import { Growable } from '../util/growable.js';
import { V4, V6 } from './address-family.js';
import {
  type AddressSet,
  AddressSetBuilder,
  addEntryRanges,
  formatAddress,
  type NumericAddress,
  parseAddress,
} from './address-set.js';
import { attributeOwnership } from './ownership.js';
import { EntryTable, HostnameIndex, PreparedTargets, type PrepareSummary } from './prepared-targets.js';
import { type RefusalReason, ScopePolicy } from './scope-policy.js';
import { DEFAULT_MAX_ADDRESSES, DEFAULT_MAX_RANGES, parseTargetEntry } from './target-entry.js';
import { formatSource, type TargetInput } from './target-input.js';

/**
 * Progress of a long preparation, reported while hostnames resolve.
 *
 * @example
 * ```ts
 * import type { PrepareProgress } from '@scanplane/core';
 * const log = (p: PrepareProgress) => console.error(`${p.phase} ${p.done}/${p.total}`);
 * ```
 */
export interface PrepareProgress {
  /** The phase reporting: hostname resolution. */
  phase: 'resolve';
  /** Names resolved so far. */
  done: number;
  /** Names to resolve. */
  total: number;
}

/**
 * Entries for {@link prepare}: strings or {@link TargetInput}s, from an array, a generator or an async stream
 * (such as {@link readTargetFile}).
 *
 * @example
 * ```ts
 * import type { TargetEntries } from '@scanplane/core';
 * const entries: TargetEntries = ['10.0.0.0/24', { text: 'web.example', source: { kind: 'argument' } }];
 * ```
 */
export type TargetEntries = Iterable<string | TargetInput> | AsyncIterable<string | TargetInput>;

/**
 * The scope policy and resolution settings for {@link prepare}.
 *
 * @example
 * ```ts
 * import { createStaticResolver, type PrepareOptions } from '@scanplane/core';
 * const options: PrepareOptions = {
 *   exclude: ['10.0.0.1', '10.0.5.0/24'],
 *   allow: ['10.0.0.0/16'],
 *   publicOnly: false,
 *   resolver: createStaticResolver({ 'db.lab': ['10.0.0.9'] }),
 *   resolution: 'all',
 * };
 * ```
 */
export interface PrepareOptions {
  /** Addresses never to scan, in the same syntax as targets (hostnames are resolved, A and AAAA). */
  exclude?: TargetEntries;
  /** When given, only addresses inside it are accepted; the rest are refused `out_of_scope`. */
  allow?: TargetEntries;
  /** Also refuse private, loopback, link-local, carrier-grade NAT, documentation and other non-global ranges. */
  publicOnly?: boolean;
  /** Leave out network and broadcast addresses of CIDRs (see {@link TargetEntryOptions.hostsOnly}). */
  hostsOnly?: boolean;
  /** Largest entry, in addresses; larger ones are refused `too_large` without being expanded. Default 2^24. */
  maxAddresses?: number | bigint;
  /** Largest number of ranges one nmap octet pattern may produce. Default 2^20. */
  maxRanges?: number;
  /** Resolve hostnames (default). With `false` every hostname is refused `unresolvable` without a lookup. */
  resolve?: boolean;
  /** The resolver; default {@link createDnsResolver}`()`. */
  resolver?: Resolver;
  /** `all` (default): every eligible answer is a target; `first`: only the first answer that passes the policy. */
  resolution?: 'all' | 'first';
  /** Also ask for AAAA records. IPv6 literals and ranges are always accepted. */
  ipv6?: boolean;
  /** Hostnames resolved at once. Default 100. */
  concurrency?: number;
  /** Cancels the preparation (it then throws `ABORTED`). */
  signal?: AbortSignal;
  /** Called as hostnames resolve. */
  onProgress?: (progress: PrepareProgress) => void;
}

const MAX_WARNINGS = 100;

/**
 * Turns what a person typed into an exact, deduplicated, in-scope set of addresses:
 * 1. parses every entry ({@link parseTargetEntry}); invalid and over-large entries are refused, never expanded;
 * 2. resolves hostnames through the {@link Resolver} port (`all` answers or the `first` eligible one);
 * 3. applies the scope rules to every address: exclusions, the allow-list, the special-purpose table;
 * 4. deduplicates by set union: overlapping CIDRs, literal addresses inside CIDRs and hostnames resolving to the same
 *    address become one target, which keeps every hostname in input order and every entry that produced it.
 *
 * Time and memory grow with the number of entries and ranges, never with the number of addresses. Nothing is
 * dropped silently: every refusal has a reason and is counted in the summary and the entry's outcome.
 *
 * @throws {@link ScanplaneError} `TARGET_INVALID` for an invalid exclusion or allow-list entry (a scope rule must
 * not be ignored), `RESOLUTION_FAILED` when a hostname in those lists does not resolve, `INVALID_ARGUMENT` for bad
 * options, `ABORTED` when the signal fires.
 * @example
 * ```ts
 * import { createStaticResolver, prepare } from '@scanplane/core';
 * const prepared = await prepare(['10.0.0.0/30', '10.0.0.2', 'app.lab', '224.0.0.1', '10.1'], {
 *   resolver: createStaticResolver({ 'app.lab': ['10.0.0.3'] }),
 *   exclude: ['10.0.0.0'],
 * });
 * prepared.addresses.size; // 3n (10.0.0.1-10.0.0.3)
 * prepared.hostnamesOf('10.0.0.3'); // ['app.lab']
 * prepared.summary.refused; // { multicast: 1, invalid: 1 }
 * ```
 */
export async function prepare(
  entries: TargetEntries,
  options: PrepareOptions = {},
): Promise<PreparedTargets> {
  const limits = {
    maxAddresses: positiveInteger(options.maxAddresses ?? DEFAULT_MAX_ADDRESSES, 'maxAddresses'),
    maxRanges: Number(positiveInteger(options.maxRanges ?? DEFAULT_MAX_RANGES, 'maxRanges')),
    hostsOnly: options.hostsOnly ?? false,
  };
  const concurrency = Number(positiveInteger(options.concurrency ?? 100, 'concurrency'));
  const signal = options.signal;
  const resolver = options.resolve === false ? undefined : (options.resolver ?? createDnsResolver());
  const families: (4 | 6)[] = options.ipv6 ? [4, 6] : [4];
  const firstOnly = (options.resolution ?? 'all') === 'first';
  if (options.resolution !== undefined && options.resolution !== 'all' && options.resolution !== 'first') {
    throw new ScanplaneError(
      'INVALID_ARGUMENT',
      `resolution must be 'all' or 'first', got '${options.resolution}'`,
    );
  }
  checkAborted(signal);

  const exclude =
    options.exclude === undefined
      ? undefined
      : await scopeSet(options.exclude, 'exclusion', resolver, limits, signal);
  const allow =
    options.allow === undefined
      ? undefined
      : await scopeSet(options.allow, 'allow-list', resolver, limits, signal);
  const policy = new ScopePolicy({ exclude, allow, publicOnly: options.publicOnly ?? false });

  const table = new EntryTable();
  const v4 = {
    starts: new Growable(Float64Array),
    ends: new Growable(Float64Array),
    entries: new Growable(Uint32Array),
  };
  const v6 = { starts: [] as bigint[], ends: [] as bigint[], entries: [] as number[] };
  const refusedSets = new Map<RefusalReason, AddressSetBuilder>();
  const refusedBuilder = (reason: RefusalReason): AddressSetBuilder => {
    let builder = refusedSets.get(reason);
    if (builder === undefined) {
      builder = new AddressSetBuilder();
      refusedSets.set(reason, builder);
    }
    return builder;
  };
  const classifyV4 = (index: number, first: number, last: number): number => {
    let accepted = 0;
    policy.classifyV4(
      first,
      last,
      (s, e) => {
        v4.starts.push(s);
        v4.ends.push(e);
        v4.entries.push(index);
        accepted += e - s + 1;
      },
      (reason, s, e) => {
        table.refuseAddresses(index, reason, e - s + 1);
        refusedBuilder(reason).addV4(s, e);
      },
    );
    table.accepted.add(index, accepted);
    return accepted;
  };
  const classifyV6 = (index: number, first: bigint, last: bigint): number => {
    let accepted = 0;
    policy.classifyV6(
      first,
      last,
      (s, e) => {
        v6.starts.push(s);
        v6.ends.push(e);
        v6.entries.push(index);
        accepted += Number(e - s + 1n);
      },
      (reason, s, e) => {
        table.refuseAddresses(index, reason, Number(e - s + 1n));
        refusedBuilder(reason).addV6(s, e);
      },
    );
    table.accepted.add(index, accepted);
    return accepted;
  };

  // 1. Parse and classify literal entries as they stream in; queue hostnames.
  const pending: number[] = [];
  const firstByName = new Map<string, number>();
  for await (const item of entries as AsyncIterable<string | TargetInput>) {
    checkAborted(signal);
    const input: TargetInput = typeof item === 'string' ? { text: item } : item;
    const index = table.add(input.text, input.source);
    const result = parseTargetEntry(input.text, limits);
    if (!result.ok) {
      table.refuse(index, result.reason, result.message);
      if (result.size !== undefined) table.addresses.set(index, Number(result.size));
      continue;
    }
    const entry = result.entry;
    table.setKind(index, entry.kind);
    if (entry.warning !== undefined) table.warn(index, entry.warning);
    if (entry.port !== undefined || entry.scheme !== undefined) {
      table.ports.set(index, { port: entry.port, scheme: entry.scheme });
    }
    if (entry.kind === 'hostname') {
      const hostname = entry.hostname as string;
      table.hostnames.set(index, hostname);
      const first = firstByName.get(hostname);
      if (first === undefined) {
        firstByName.set(hostname, index);
        pending.push(index);
      } else {
        table.markDuplicate(index, first);
      }
      continue;
    }
    table.addresses.set(index, Number(entry.size));
    const ranges4 = entry.v4;
    if (ranges4 !== undefined) {
      for (let i = 0; i < ranges4.length; i += 2)
        classifyV4(index, ranges4[i] as number, ranges4[i + 1] as number);
    }
    const ranges6 = entry.v6;
    if (ranges6 !== undefined) {
      for (let i = 0; i < ranges6.length; i += 2)
        classifyV6(index, ranges6[i] as bigint, ranges6[i + 1] as bigint);
    }
  }

  // 2. Resolve hostnames with bounded concurrency, then classify answers in input order.
  const hostnames = new HostnameIndex();
  let resolvedNames = 0;
  let unresolvableNames = 0;
  if (pending.length > 0) {
    const results: ResolveResult[] = new Array(pending.length);
    if (resolver === undefined) {
      results.fill({ addresses: [], error: { code: 'DISABLED', message: 'resolution is disabled' } });
    } else {
      let done = 0;
      await forEachConcurrent(
        pending,
        concurrency,
        async (index, i) => {
          const hostname = table.hostnames.get(index) as string;
          results[i] = await resolveSafely(resolver, hostname, families, signal);
          options.onProgress?.({ phase: 'resolve', done: ++done, total: pending.length });
        },
        signal,
      );
      checkAborted(signal);
    }
    for (let i = 0; i < pending.length; i++) {
      const index = pending[i] as number;
      const hostname = table.hostnames.get(index) as string;
      const result = results[i] as ResolveResult;
      const answers = uniqueAddresses(result.addresses);
      table.resolved.set(index, answers.map(formatAddress));
      if (answers.length === 0) {
        unresolvableNames++;
        const error = result.error ?? { code: 'ENODATA', message: 'no addresses' };
        table.refuse(
          index,
          'unresolvable',
          error.code === 'DISABLED'
            ? `'${hostname}' was not resolved: resolution is disabled`
            : `'${hostname}' did not resolve: ${error.code} (${error.message})`,
        );
        continue;
      }
      table.addresses.set(index, answers.length);
      let acceptedAny = false;
      for (const answer of answers) {
        const accepted =
          answer.family === 4
            ? classifyV4(index, answer.value, answer.value)
            : classifyV6(index, answer.value, answer.value);
        if (accepted > 0) {
          acceptedAny = true;
          hostnames.add(answer, hostname);
          if (firstOnly) break;
        }
      }
      if (acceptedAny) resolvedNames++;
    }
  }

  // 3. Dedup: attribute every accepted address to the first entry that named it.
  const v4Arrays = { starts: v4.starts.toArray(), ends: v4.ends.toArray(), entries: v4.entries.toArray() };
  attributeOwnership(V4, v4Arrays.starts, v4Arrays.ends, v4Arrays.entries, table.added);
  attributeOwnership(V6, v6.starts, v6.ends, v6.entries, table.added);
  table.settle();

  const builder = new AddressSetBuilder();
  for (let i = 0; i < v4Arrays.starts.length; i++)
    builder.addV4(v4Arrays.starts[i] as number, v4Arrays.ends[i] as number);
  for (let i = 0; i < v6.starts.length; i++) builder.addV6(v6.starts[i] as bigint, v6.ends[i] as bigint);
  const addresses = builder.build();

  const summary: PrepareSummary = {
    provided: table.length,
    accepted: 0,
    merged: 0,
    duplicates: 0,
    refused: {},
    addresses: addresses.size,
    ipv4: addresses.sizeV4,
    ipv6: addresses.sizeV6,
    ranges: addresses.rangeCount,
    refusedAddresses: {},
    hostnames: { provided: firstByName.size, resolved: resolvedNames, unresolvable: unresolvableNames },
    warnings: [],
    warningCount: 0,
  };
  for (let i = 0; i < table.length; i++) {
    const status = table.status(i);
    if (status === 'accepted') summary.accepted++;
    else if (status === 'merged') summary.merged++;
    else if (status === 'duplicate') summary.duplicates++;
    else {
      const reason = table.reason(i) as RefusalReason;
      summary.refused[reason] = (summary.refused[reason] ?? 0) + 1;
    }
    for (const warning of table.warnings.get(i) ?? []) {
      summary.warningCount++;
      if (summary.warnings.length < MAX_WARNINGS) summary.warnings.push(warning);
    }
  }
  for (const [reason, refused] of refusedSets) summary.refusedAddresses[reason] = refused.build().size;

  return new PreparedTargets(addresses, summary, table, hostnames, { v4: v4Arrays, v6 });
}

async function resolveSafely(
  resolver: Resolver,
  hostname: string,
  families: (4 | 6)[],
  signal: AbortSignal | undefined,
): Promise<ResolveResult> {
  try {
    return await resolver.resolve(hostname, signal === undefined ? { families } : { families, signal });
  } catch (error) {
    // A resolver must not throw for one name; if it does, that name is unresolvable, not the whole preparation.
    return {
      addresses: [],
      error: { code: 'ERESOLVER', message: (error as Error).message ?? String(error) },
    };
  }
}

function uniqueAddresses(addresses: readonly string[]): NumericAddress[] {
  const out: NumericAddress[] = [];
  const seen = new Set<string>();
  for (const text of addresses) {
    const address = parseAddress(text);
    if (address === undefined) continue;
    const key = `${address.family}:${address.value}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(address);
  }
  return out;
}

/** Builds the exclusion or allow-list set; any invalid or unresolvable entry is an error (fail closed). */
async function scopeSet(
  entries: TargetEntries,
  label: string,
  resolver: Resolver | undefined,
  limits: { maxRanges: number; hostsOnly: boolean },
  signal: AbortSignal | undefined,
): Promise<AddressSet> {
  const builder = new AddressSetBuilder();
  for await (const item of entries as AsyncIterable<string | TargetInput>) {
    const input: TargetInput = typeof item === 'string' ? { text: item } : item;
    const where = formatSource(input.source ?? { kind: 'list', name: label });
    const result = parseTargetEntry(input.text, { maxAddresses: 1n << 129n, maxRanges: limits.maxRanges });
    if (!result.ok) {
      throw new ScanplaneError(
        result.reason === 'too_large' ? 'TARGET_TOO_LARGE' : 'TARGET_INVALID',
        `${label} entry at ${where}: ${result.message}`,
        { details: { entry: input.text, source: input.source ?? null } },
      );
    }
    const entry = result.entry;
    if (entry.kind !== 'hostname') {
      addEntryRanges(builder, entry);
      continue;
    }
    if (resolver === undefined) {
      throw new ScanplaneError(
        'INVALID_ARGUMENT',
        `${label} entry at ${where}: '${input.text}' is a hostname, but resolution is disabled`,
        { details: { entry: input.text } },
      );
    }
    const answer = await resolveSafely(resolver, entry.hostname as string, [4, 6], signal);
    checkAborted(signal);
    const addresses = uniqueAddresses(answer.addresses);
    if (addresses.length === 0) {
      throw new ScanplaneError(
        'RESOLUTION_FAILED',
        `${label} entry at ${where}: '${input.text}' did not resolve (${answer.error?.code ?? 'ENODATA'}); a scope rule cannot be skipped`,
        { details: { entry: input.text, code: answer.error?.code ?? 'ENODATA' } },
      );
    }
    for (const address of addresses) builder.add(address);
  }
  return builder.build();
}

function positiveInteger(value: number | bigint, name: string): bigint {
  const ok = typeof value === 'bigint' ? value >= 1n : Number.isSafeInteger(value) && value >= 1;
  if (!ok)
    throw new ScanplaneError('INVALID_ARGUMENT', `${name} must be a positive integer, got ${String(value)}`);
  return BigInt(value);
}

function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    throw new ScanplaneError('ABORTED', 'target preparation was aborted', { cause: signal.reason });
  }
}
