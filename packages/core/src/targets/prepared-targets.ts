import { Growable } from '../util/growable.js';
import type { AddressSet, NumericAddress } from './address-set.js';
import { parseAddress } from './address-set.js';
import type { RefusalReason } from './scope-policy.js';
import type { TargetEntryKind } from './target-entry.js';
import { formatSource, type TargetSource } from './target-input.js';

/**
 * What became of one input entry:
 * - `accepted`: it contributed addresses no earlier entry had;
 * - `merged`: a hostname whose addresses were all named by earlier entries (its name is attached to them);
 * - `duplicate`: it added nothing (the same addresses, or the same hostname, came earlier);
 * - `refused`: none of its addresses will be scanned; `reason` says why.
 *
 * @example
 * ```ts
 * import type { EntryStatus } from '@scanplane/core';
 * const status: EntryStatus = 'merged';
 * ```
 */
export type EntryStatus = 'accepted' | 'merged' | 'duplicate' | 'refused';

/**
 * The outcome of one input entry.
 *
 * @example
 * ```ts
 * import { prepare } from '@scanplane/core';
 * const prepared = await prepare(['10.0.0.0/30', '10.0.0.1']);
 * prepared.entry(1); // { index: 1, input: '10.0.0.1', status: 'duplicate', accepted: 1, added: 0, … }
 * ```
 */
export interface EntryOutcome {
  /** Position in the input, from 0. */
  index: number;
  /** The entry as given. */
  input: string;
  /** Where it came from. */
  source?: TargetSource;
  /** What it parsed as; absent when invalid. */
  kind?: TargetEntryKind;
  /** What became of it. */
  status: EntryStatus;
  /** Why it was refused (status `refused`). */
  reason?: RefusalReason;
  /** A human-readable explanation for refusals, naming the entry and where it came from. */
  message?: string;
  /** The normalised hostname, for hostname entries. */
  hostname?: string;
  /** A port given with the entry (host:port or URL), kept for provenance. */
  port?: number;
  /** The scheme of a URL entry. */
  scheme?: string;
  /** For hostnames: every address the resolver answered, in answer order. */
  resolved?: string[];
  /** Addresses the entry stands for (after resolution, before scope rules). */
  addresses: number;
  /** Addresses of the entry that passed the scope rules. */
  accepted: number;
  /** Addresses first contributed by this entry (not named by an earlier entry). */
  added: number;
  /** Addresses of the entry refused by scope rules, by reason. */
  refused?: Partial<Record<RefusalReason, number>>;
  /** Warnings about the entry, such as host bits set. */
  warnings?: string[];
}

/**
 * Counts for a whole preparation.
 *
 * @example
 * ```ts
 * import { prepare } from '@scanplane/core';
 * const { summary } = await prepare(['10.0.0.0/24', '224.0.0.1', 'bad..name']);
 * summary.addresses; // 256n
 * summary.refused; // { multicast: 1, invalid: 1 }
 * ```
 */
export interface PrepareSummary {
  /** Entries given. */
  provided: number;
  /** Entries that contributed new addresses. */
  accepted: number;
  /** Hostname entries whose addresses were all named by earlier entries. */
  merged: number;
  /** Entries that added nothing new. */
  duplicates: number;
  /** Entries refused entirely, by reason. */
  refused: Partial<Record<RefusalReason, number>>;
  /** Distinct addresses accepted. */
  addresses: bigint;
  /** Distinct IPv4 addresses accepted. */
  ipv4: number;
  /** Distinct IPv6 addresses accepted. */
  ipv6: bigint;
  /** Ranges the accepted set is stored as. */
  ranges: number;
  /** Distinct addresses refused by scope rules, by reason. */
  refusedAddresses: Partial<Record<RefusalReason, bigint>>;
  /** Hostname entries: distinct names given, names with at least one accepted address, names with no answer. */
  hostnames: {
    /** Distinct hostnames given. */
    provided: number;
    /** Names with at least one accepted address. */
    resolved: number;
    /** Names with no answer. */
    unresolvable: number;
  };
  /** Warnings (the first 100), such as CIDRs with host bits set. */
  warnings: string[];
  /** Number of warnings in all. */
  warningCount: number;
}

const STATUSES: EntryStatus[] = ['accepted', 'merged', 'duplicate', 'refused'];
const KINDS: Array<TargetEntryKind | undefined> = [
  undefined,
  'ipv4',
  'ipv6',
  'cidr',
  'range',
  'octets',
  'hostname',
];

/**
 * Per-entry outcomes stored as columns (typed arrays plus sparse maps), so a million entries cost a few bytes each
 * and nothing per address. Outcome objects are built on demand.
 * @internal
 */
export class EntryTable {
  readonly texts: string[] = [];
  readonly #sourceIds = new Growable(Uint32Array);
  readonly #lines = new Growable(Uint32Array);
  readonly #sources: Array<Omit<TargetSource, 'line'>> = [];
  readonly #sourceIndex = new Map<string, number>();
  readonly #kinds = new Growable(Uint8Array);
  readonly #status = new Growable(Uint8Array);
  readonly #reasons: Array<RefusalReason | undefined> = [];
  readonly addresses = new Growable(Float64Array);
  readonly accepted = new Growable(Float64Array);
  readonly added = new Growable(Float64Array);
  readonly messages = new Map<number, string>();
  readonly warnings = new Map<number, string[]>();
  readonly refusedBy = new Map<number, Partial<Record<RefusalReason, number>>>();
  readonly hostnames = new Map<number, string>();
  readonly resolved = new Map<number, string[]>();
  readonly ports = new Map<number, { port?: number; scheme?: string }>();
  readonly duplicateOf = new Map<number, number>();

  get length(): number {
    return this.texts.length;
  }

  /** Adds an entry and returns its index. */
  add(text: string, source: TargetSource | undefined): number {
    const index = this.texts.length;
    this.texts.push(text);
    let sourceId = 0;
    if (source !== undefined) {
      const key = `${source.kind}\u0000${source.name ?? ''}`;
      let id = this.#sourceIndex.get(key);
      if (id === undefined) {
        id = this.#sources.length + 1;
        this.#sources.push(
          source.name === undefined ? { kind: source.kind } : { kind: source.kind, name: source.name },
        );
        this.#sourceIndex.set(key, id);
      }
      sourceId = id;
    }
    this.#sourceIds.push(sourceId);
    this.#lines.push(source?.line ?? 0);
    this.#kinds.push(0);
    this.#status.push(0);
    this.#reasons.push(undefined);
    this.addresses.push(0);
    this.accepted.push(0);
    this.added.push(0);
    return index;
  }

  /** `file:line: ` for entries with a source, else nothing. */
  #where(index: number): string {
    const source = this.source(index);
    return source === undefined ? '' : `${formatSource(source)}: `;
  }

  source(index: number): TargetSource | undefined {
    const id = this.#sourceIds.get(index);
    if (id === 0) return undefined;
    const base = this.#sources[id - 1] as TargetSource;
    const line = this.#lines.get(index);
    return line === 0 ? { ...base } : { ...base, line };
  }

  setKind(index: number, kind: TargetEntryKind): void {
    this.#kinds.set(index, KINDS.indexOf(kind));
  }

  kind(index: number): TargetEntryKind | undefined {
    return KINDS[this.#kinds.get(index)];
  }

  refuse(index: number, reason: RefusalReason, message?: string): void {
    this.#status.set(index, 3);
    this.#reasons[index] = reason;
    if (message !== undefined) this.messages.set(index, this.#where(index) + message);
  }

  refuseAddresses(index: number, reason: RefusalReason, count: number): void {
    let counts = this.refusedBy.get(index);
    if (counts === undefined) {
      counts = {};
      this.refusedBy.set(index, counts);
    }
    counts[reason] = (counts[reason] ?? 0) + count;
  }

  warn(index: number, warning: string): void {
    const list = this.warnings.get(index);
    const text = this.#where(index) + warning;
    if (list === undefined) this.warnings.set(index, [text]);
    else list.push(text);
  }

  /** Decides each entry's status once ownership is known. */
  settle(): void {
    for (let i = 0; i < this.length; i++) {
      if (this.duplicateOf.has(i)) {
        this.#status.set(i, 2);
        continue;
      }
      if (this.#status.get(i) === 3 && this.accepted.get(i) === 0) continue;
      if (this.accepted.get(i) === 0) {
        // Every address refused by scope rules: report the reason that refused the most.
        const counts = this.refusedBy.get(i) ?? {};
        let best: RefusalReason | undefined;
        for (const [reason, count] of Object.entries(counts) as Array<[RefusalReason, number]>) {
          if (best === undefined || count > (counts[best] ?? 0)) best = reason;
        }
        this.#status.set(i, 3);
        this.#reasons[i] = best ?? 'invalid';
        continue;
      }
      if (this.added.get(i) > 0) this.#status.set(i, 0);
      else this.#status.set(i, this.kind(i) === 'hostname' && this.#reasons[i] === undefined ? 1 : 2);
    }
  }

  status(index: number): EntryStatus {
    return STATUSES[this.#status.get(index)] as EntryStatus;
  }

  reason(index: number): RefusalReason | undefined {
    return this.status(index) === 'refused' ? this.#reasons[index] : undefined;
  }

  /** Records that entry `index` repeats entry `original` (the same hostname again): it adds nothing. */
  markDuplicate(index: number, original: number): void {
    this.duplicateOf.set(index, original);
  }

  outcome(index: number): EntryOutcome {
    const outcome: EntryOutcome = {
      index,
      input: this.texts[index] as string,
      status: this.status(index),
      addresses: this.addresses.get(index),
      accepted: this.accepted.get(index),
      added: this.added.get(index),
    };
    const source = this.source(index);
    if (source !== undefined) outcome.source = source;
    const kind = this.kind(index);
    if (kind !== undefined) outcome.kind = kind;
    const reason = this.reason(index);
    if (reason !== undefined) outcome.reason = reason;
    const message = this.messages.get(index);
    const original = this.duplicateOf.get(index);
    if (original !== undefined) {
      outcome.message = `${this.#where(index)}'${outcome.input}' repeats entry ${original}`;
    } else if (message !== undefined) outcome.message = message;
    else if (reason !== undefined) {
      outcome.message = `${this.#where(index)}'${outcome.input}' refused: ${reason.replaceAll('_', ' ')}`;
    }
    const hostname = this.hostnames.get(index);
    if (hostname !== undefined) outcome.hostname = hostname;
    const port = this.ports.get(index);
    if (port?.port !== undefined) outcome.port = port.port;
    if (port?.scheme !== undefined) outcome.scheme = port.scheme;
    const resolved = this.resolved.get(index);
    if (resolved !== undefined) outcome.resolved = [...resolved];
    const refused = this.refusedBy.get(index);
    if (refused !== undefined) outcome.refused = { ...refused };
    const warnings = this.warnings.get(index);
    if (warnings !== undefined) outcome.warnings = [...warnings];
    return outcome;
  }
}

/**
 * Sorted addresses that carry hostnames, for per-address and per-block lookups.
 * @internal
 */
export class HostnameIndex {
  readonly #v4 = new Map<number, string[]>();
  readonly #v6 = new Map<bigint, string[]>();
  #sortedV4: Float64Array | undefined;
  #sortedV6: bigint[] | undefined;

  add(address: NumericAddress, hostname: string): void {
    const map = (address.family === 4 ? this.#v4 : this.#v6) as Map<number | bigint, string[]>;
    const list = map.get(address.value);
    if (list === undefined) map.set(address.value, [hostname]);
    else if (!list.includes(hostname)) list.push(hostname);
    this.#sortedV4 = undefined;
    this.#sortedV6 = undefined;
  }

  get size(): number {
    return this.#v4.size + this.#v6.size;
  }

  getV4(value: number): readonly string[] | undefined {
    return this.#v4.get(value);
  }

  getV6(value: bigint): readonly string[] | undefined {
    return this.#v6.get(value);
  }

  /** Hostnames of the IPv4 addresses in [first, last], in address order, each name once. */
  inV4Range(first: number, last: number, into: string[]): void {
    if (this.#v4.size === 0) return;
    this.#sortedV4 ??= Float64Array.from(this.#v4.keys()).sort();
    const sorted = this.#sortedV4;
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((sorted[mid] as number) < first) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < sorted.length && (sorted[i] as number) <= last; i++) {
      for (const name of this.#v4.get(sorted[i] as number) ?? []) if (!into.includes(name)) into.push(name);
    }
  }

  /** Hostnames of the IPv6 addresses in [first, last], in address order, each name once. */
  inV6Range(first: bigint, last: bigint, into: string[]): void {
    if (this.#v6.size === 0) return;
    this.#sortedV6 ??= [...this.#v6.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const value of this.#sortedV6) {
      if (value < first) continue;
      if (value > last) break;
      for (const name of this.#v6.get(value) ?? []) if (!into.includes(name)) into.push(name);
    }
  }
}

/**
 * Accepted (range, entry) pairs, kept for "which entries produced this address?".
 * @internal
 */
export interface Provenance {
  v4: { starts: Float64Array; ends: Float64Array; entries: Uint32Array };
  v6: { starts: bigint[]; ends: bigint[]; entries: number[] };
}

/**
 * The result of {@link prepare}: the accepted address set, the hostnames attached to its addresses, what became of
 * every input entry, and the summary.
 *
 * @example
 * ```ts
 * import { createStaticResolver, prepare } from '@scanplane/core';
 * const prepared = await prepare(['192.0.2.10', 'web.example', '192.0.2.0/30'], {
 *   resolver: createStaticResolver({ 'web.example': ['192.0.2.10'] }),
 * });
 * prepared.addresses.size; // 5n
 * prepared.hostnamesOf('192.0.2.10'); // ['web.example']
 * prepared.sourcesOf('192.0.2.10'); // [0, 1]
 * ```
 */
export class PreparedTargets {
  /** The accepted addresses: in scope, deduplicated. */
  readonly addresses: AddressSet;
  /** Counts for the whole preparation. */
  readonly summary: PrepareSummary;
  readonly #table: EntryTable;
  readonly #hostnames: HostnameIndex;
  readonly #provenance: Provenance;

  /** @internal */
  constructor(
    addresses: AddressSet,
    summary: PrepareSummary,
    table: EntryTable,
    hostnames: HostnameIndex,
    provenance: Provenance,
  ) {
    this.addresses = addresses;
    this.summary = summary;
    this.#table = table;
    this.#hostnames = hostnames;
    this.#provenance = provenance;
  }

  /** @internal */
  get hostnameIndex(): HostnameIndex {
    return this.#hostnames;
  }

  /** Number of input entries. */
  get entryCount(): number {
    return this.#table.length;
  }

  /** The hostnames that resolved to `address`, in input order (empty for addresses given literally). */
  hostnamesOf(address: string | NumericAddress): readonly string[] {
    const parsed = typeof address === 'string' ? parseAddress(address) : address;
    if (parsed === undefined) return [];
    return (
      (parsed.family === 4 ? this.#hostnames.getV4(parsed.value) : this.#hostnames.getV6(parsed.value)) ?? []
    );
  }

  /** The indexes of every input entry that produced `address` (accepted), ascending. */
  sourcesOf(address: string | NumericAddress): number[] {
    const parsed = typeof address === 'string' ? parseAddress(address) : address;
    if (parsed === undefined) return [];
    const found: number[] = [];
    const side = parsed.family === 4 ? this.#provenance.v4 : this.#provenance.v6;
    for (let i = 0; i < side.starts.length; i++) {
      if (
        (side.starts[i] as number | bigint) <= parsed.value &&
        parsed.value <= (side.ends[i] as number | bigint)
      ) {
        const entry = side.entries[i] as number;
        if (!found.includes(entry)) found.push(entry);
      }
    }
    return found.sort((a, b) => a - b);
  }

  /** The outcome of input entry `index`. */
  entry(index: number): EntryOutcome {
    return this.#table.outcome(index);
  }

  /** Every entry's outcome, in input order, built lazily. */
  *entries(): Generator<EntryOutcome> {
    for (let i = 0; i < this.#table.length; i++) yield this.#table.outcome(i);
  }

  /** The outcomes of refused entries only. */
  *refusedEntries(): Generator<EntryOutcome> {
    for (let i = 0; i < this.#table.length; i++)
      if (this.#table.status(i) === 'refused') yield this.#table.outcome(i);
  }
}

/**
 * A JSON-ready copy of a summary: address counts become numbers when they are safe integers, decimal strings
 * otherwise.
 *
 * @example
 * ```ts
 * import { prepare, summaryToJSON } from '@scanplane/core';
 * const prepared = await prepare(['10.0.0.0/24']);
 * JSON.stringify(summaryToJSON(prepared.summary));
 * ```
 */
export function summaryToJSON(summary: PrepareSummary): Record<string, unknown> {
  return JSON.parse(
    JSON.stringify(summary, (_key, value) => (typeof value === 'bigint' ? bigintToJSON(value) : value)),
  );
}

/**
 * A bigint as a JSON number when it is a safe integer, else as a decimal string.
 *
 * @example
 * ```ts
 * import { bigintToJSON } from '@scanplane/core';
 * bigintToJSON(5n); // 5
 * bigintToJSON(2n ** 64n); // '18446744073709551616'
 * ```
 */
export function bigintToJSON(value: bigint): number | string {
  return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= -BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(value)
    : value.toString();
}
