import { ScanplaneError } from '../errors/scanplane-error.js';
import { Growable } from '../util/growable.js';
import { V4, V6 } from './address-family.js';
import { Ipv4IndexLocator } from './index-locator.js';
import { formatIpv4, tryParseIpv4 } from './ipv4.js';
import { formatIpv6, IPV4_MAPPED_END, IPV4_MAPPED_START, tryParseIpv6 } from './ipv6.js';
import { createPermutation, MixedRadixFeistel, type Seed } from './permutation.js';
import { RangeList } from './range-list.js';
import { type ParsedTargetEntry, parseTargetEntry } from './target-entry.js';
import { WalkKernel } from './walk-kernel.js';

/**
 * One shard of an order: shard `index` of `count`, 1-based (`{ index: 1, count: 4 }` is the first quarter).
 * Shards of the same set and seed are disjoint and together cover it exactly.
 *
 * @example
 * ```ts
 * import type { Shard } from '@scanplane/core';
 * const shard: Shard = { index: 2, count: 8 };
 * ```
 */
export interface Shard {
  /** 1-based shard number, from 1 to `count`. */
  index: number;
  /** Total number of shards, at least 1. */
  count: number;
}

/**
 * How to walk a set: ascending (the default) or a seeded pseudo-random order, optionally one shard of it.
 *
 * @example
 * ```ts
 * import type { OrderOptions } from '@scanplane/core';
 * const order: OrderOptions = { seed: 1234, shard: { index: 1, count: 2 } };
 * ```
 */
export interface OrderOptions {
  /** Walk in the seeded pseudo-random order. Every shard must use the same seed. */
  seed?: Seed;
  /** Walk only this shard of the order. */
  shard?: Shard;
}

/**
 * A run of addresses of one family produced by {@link AddressSet.chunks}: IPv4 as unsigned 32-bit values, IPv6 as
 * bigints.
 *
 * @example
 * ```ts
 * import { AddressSet, formatIpv4 } from '@scanplane/core';
 * for (const chunk of AddressSet.parse(['192.0.2.0/30']).chunks()) {
 *   if (chunk.family === 4) console.log(Array.from(chunk.values, formatIpv4));
 * }
 * ```
 */
export type AddressChunk =
  | {
      /** IPv4. */
      family: 4;
      /** Unsigned 32-bit addresses. */
      values: Uint32Array;
    }
  | {
      /** IPv6. */
      family: 6;
      /** 128-bit addresses. */
      values: bigint[];
    };

/**
 * One inclusive range of a set, with its size.
 *
 * @example
 * ```ts
 * import { AddressSet } from '@scanplane/core';
 * const [range] = AddressSet.parse(['192.0.2.0/24']).ranges();
 * range?.first; // '192.0.2.0'
 * ```
 */
export interface AddressRange {
  /** The address family. */
  family: 4 | 6;
  /** The first address. */
  first: string;
  /** The last address (inclusive). */
  last: string;
  /** Number of addresses. */
  size: bigint;
}

/**
 * A numeric address: an IPv4 value (number) or an IPv6 value (bigint); IPv4-mapped IPv6 values are IPv4.
 *
 * @example
 * ```ts
 * import { parseAddress } from '@scanplane/core';
 * parseAddress('::ffff:192.0.2.1'); // { family: 4, value: 3221225985 }
 * ```
 */
export type NumericAddress =
  | {
      /** IPv4. */
      family: 4;
      /** The unsigned 32-bit value. */
      value: number;
    }
  | {
      /** IPv6. */
      family: 6;
      /** The 128-bit value. */
      value: bigint;
    };

/**
 * Parses one IP address (strict IPv4 or any RFC 4291 IPv6 form) into a {@link NumericAddress}; IPv4-mapped IPv6
 * addresses become IPv4. Returns `undefined` when it is not an address.
 *
 * @example
 * ```ts
 * import { parseAddress } from '@scanplane/core';
 * parseAddress('2001:db8::1')?.family; // 6
 * parseAddress('example.com'); // undefined
 * ```
 */
export function parseAddress(text: string): NumericAddress | undefined {
  const v4 = tryParseIpv4(text);
  if (v4 >= 0) return { family: 4, value: v4 };
  const v6 = tryParseIpv6(text);
  if (v6 < 0n) return undefined;
  if (v6 >= IPV4_MAPPED_START && v6 <= IPV4_MAPPED_END)
    return { family: 4, value: Number(v6 - IPV4_MAPPED_START) };
  return { family: 6, value: v6 };
}

/**
 * Formats a {@link NumericAddress}: dotted decimal, or RFC 5952 for IPv6.
 *
 * @example
 * ```ts
 * import { formatAddress } from '@scanplane/core';
 * formatAddress({ family: 6, value: 1n }); // '::1'
 * ```
 */
export function formatAddress(address: NumericAddress): string {
  return address.family === 4 ? formatIpv4(address.value) : formatIpv6(address.value);
}

/**
 * Collects ranges of both families and builds an {@link AddressSet} from them in one sort. IPv6 ranges that touch
 * the IPv4-mapped block `::ffff:0:0/96` are split: that part is stored as IPv4.
 *
 * @example
 * ```ts
 * import { AddressSetBuilder } from '@scanplane/core';
 * const builder = new AddressSetBuilder();
 * builder.addV4(0xc0000200, 0xc00002ff); // 192.0.2.0/24
 * builder.addV6(1n, 1n); // ::1
 * builder.build().size; // 257n
 * ```
 */
export class AddressSetBuilder {
  readonly #v4Starts = new Growable(Float64Array);
  readonly #v4Ends = new Growable(Float64Array);
  readonly #v6Starts: bigint[] = [];
  readonly #v6Ends: bigint[] = [];

  /** Adds the IPv4 range [first, last] (unsigned 32-bit values). */
  addV4(first: number, last: number): this {
    this.#v4Starts.push(first);
    this.#v4Ends.push(last);
    return this;
  }

  /** Adds the IPv6 range [first, last]; any IPv4-mapped part is stored as IPv4. */
  addV6(first: bigint, last: bigint): this {
    if (last < IPV4_MAPPED_START || first > IPV4_MAPPED_END) {
      this.#v6Starts.push(first);
      this.#v6Ends.push(last);
      return this;
    }
    if (first < IPV4_MAPPED_START) this.addV6(first, IPV4_MAPPED_START - 1n);
    if (last > IPV4_MAPPED_END) this.addV6(IPV4_MAPPED_END + 1n, last);
    const from = first > IPV4_MAPPED_START ? first : IPV4_MAPPED_START;
    const to = last < IPV4_MAPPED_END ? last : IPV4_MAPPED_END;
    return this.addV4(Number(from - IPV4_MAPPED_START), Number(to - IPV4_MAPPED_START));
  }

  /** Adds one address. */
  add(address: NumericAddress): this {
    return address.family === 4
      ? this.addV4(address.value, address.value)
      : this.addV6(address.value, address.value);
  }

  /** Builds the set; the builder may not be reused. */
  build(): AddressSet {
    return AddressSet.fromLists(
      RangeList.normalize(V4, this.#v4Starts.toArray(), this.#v4Ends.toArray()),
      RangeList.normalize(V6, this.#v6Starts, this.#v6Ends),
    );
  }
}

const DEFAULT_CHUNK = 65536;

/**
 * An immutable set of IPv4 and IPv6 addresses stored as sorted, merged ranges. Union, subtraction, intersection,
 * membership, size, the minimal CIDR cover and iteration all cost time and memory in the number of ranges, never in
 * the number of addresses: `0.0.0.0/0` minus a thousand exclusions is a thousand ranges.
 *
 * Iteration is lazy, in ascending order (IPv4 first) or in a seeded pseudo-random order that visits every address
 * exactly once, and can be split into disjoint shards.
 *
 * @example
 * ```ts
 * import { AddressSet } from '@scanplane/core';
 * const internet = AddressSet.parse(['0.0.0.0/0']).subtract(AddressSet.parse(['10.0.0.0/8', '192.168.0.0/16']));
 * internet.size; // 4278124544n
 * [...AddressSet.parse(['192.0.2.0/30']).addresses({ seed: 1 })]; // the four addresses, shuffled
 * ```
 */
export class AddressSet {
  /** @internal */
  readonly v4: RangeList<number>;
  /** @internal */
  readonly v6: RangeList<bigint>;
  #locator: Ipv4IndexLocator | undefined;
  #kernel: WalkKernel | null | undefined;

  private constructor(v4: RangeList<number>, v6: RangeList<bigint>) {
    this.v4 = v4;
    this.v6 = v6;
  }

  /** @internal */
  static fromLists(v4: RangeList<number>, v6: RangeList<bigint>): AddressSet {
    return new AddressSet(v4, v6);
  }

  /**
   * The empty set.
   *
   * @example
   * ```ts
   * import { AddressSet } from '@scanplane/core';
   * AddressSet.empty().isEmpty; // true
   * ```
   */
  static empty(): AddressSet {
    return EMPTY;
  }

  /**
   * Builds a set from literal address specifications: addresses, CIDRs (prefix or netmask), ranges and nmap
   * octet ranges, in the syntax of {@link parseTargetEntry}. Hostnames are refused (they need a resolver: use
   * {@link prepare}).
   *
   * @throws {@link ScanplaneError} `TARGET_INVALID` naming the entry.
   * @example
   * ```ts
   * import { AddressSet } from '@scanplane/core';
   * AddressSet.parse(['10.0.0.0/30', '10.0.0.8-10', '2001:db8::/126']).size; // 11n
   * ```
   */
  static parse(specs: Iterable<string>): AddressSet {
    return parseAddressSpecs(specs);
  }

  /** Number of addresses, both families. */
  get size(): bigint {
    return this.v4.size + this.v6.size;
  }

  /** Number of IPv4 addresses. */
  get sizeV4(): number {
    return Number(this.v4.size);
  }

  /** Number of IPv6 addresses. */
  get sizeV6(): bigint {
    return this.v6.size;
  }

  /** Number of stored ranges; memory grows with this, not with {@link AddressSet.size}. */
  get rangeCount(): number {
    return this.v4.length + this.v6.length;
  }

  /** Whether the set has no address. */
  get isEmpty(): boolean {
    return this.v4.length === 0 && this.v6.length === 0;
  }

  /** The addresses in either set. */
  union(other: AddressSet): AddressSet {
    return new AddressSet(this.v4.union(other.v4), this.v6.union(other.v6));
  }

  /** The addresses of this set that are not in `other`. */
  subtract(other: AddressSet): AddressSet {
    return new AddressSet(this.v4.subtract(other.v4), this.v6.subtract(other.v6));
  }

  /** The addresses in both sets. */
  intersect(other: AddressSet): AddressSet {
    return new AddressSet(this.v4.intersect(other.v4), this.v6.intersect(other.v6));
  }

  /** Whether both sets hold exactly the same addresses. */
  equals(other: AddressSet): boolean {
    return this.v4.equals(other.v4) && this.v6.equals(other.v6);
  }

  /**
   * Whether the set holds `address` (text or numeric; IPv4-mapped IPv6 counts as IPv4). Text that is not an address
   * is never contained.
   */
  contains(address: string | NumericAddress): boolean {
    const parsed = typeof address === 'string' ? parseAddress(address) : address;
    if (parsed === undefined) return false;
    return parsed.family === 4 ? this.v4.contains(parsed.value) : this.v6.contains(parsed.value);
  }

  /** The stored ranges, ascending, IPv4 first. */
  *ranges(): Generator<AddressRange> {
    for (let i = 0; i < this.v4.length; i++) {
      const first = this.v4.starts[i] as number;
      const last = this.v4.ends[i] as number;
      yield { family: 4, first: formatIpv4(first), last: formatIpv4(last), size: BigInt(last - first + 1) };
    }
    for (let i = 0; i < this.v6.length; i++) {
      const first = this.v6.starts[i] as bigint;
      const last = this.v6.ends[i] as bigint;
      yield { family: 6, first: formatIpv6(first), last: formatIpv6(last), size: last - first + 1n };
    }
  }

  /** The minimal list of CIDR blocks covering exactly this set, ascending. */
  *cidrs(): Generator<string> {
    for (let i = 0; i < this.v4.length; i++) {
      for (const [network, prefix] of this.v4.cidrsOf(i)) yield `${formatIpv4(network)}/${prefix}`;
    }
    for (let i = 0; i < this.v6.length; i++) {
      for (const [network, prefix] of this.v6.cidrsOf(i)) yield `${formatIpv6(network)}/${prefix}`;
    }
  }

  /**
   * The address at `index` (0-based) of the ascending order.
   *
   * @throws {@link ScanplaneError} `INVALID_ARGUMENT` when `index` is outside `[0, size)`.
   */
  at(index: bigint | number): string {
    const i = BigInt(index);
    if (i < 0n || i >= this.size) {
      throw new ScanplaneError('INVALID_ARGUMENT', `index ${i} is outside the set's [0, ${this.size})`);
    }
    const n4 = this.v4.size;
    return i < n4 ? formatIpv4(this.v4.at(i)) : formatIpv6(this.v6.at(i - n4));
  }

  /**
   * The positions `[from, to)` of the order that a shard covers.
   * @internal
   */
  shardBounds(shard: Shard | undefined): [bigint, bigint] {
    const total = this.size;
    if (shard === undefined) return [0n, total];
    const { index, count } = shard;
    if (
      !Number.isSafeInteger(count) ||
      count < 1 ||
      !Number.isSafeInteger(index) ||
      index < 1 ||
      index > count
    ) {
      throw new ScanplaneError(
        'INVALID_ARGUMENT',
        `shard ${index}/${count} is not valid: use K/N with 1 ≤ K ≤ N (for example 1/4)`,
        { details: { shard: `${index}/${count}` } },
      );
    }
    const n = BigInt(count);
    return [(total * BigInt(index - 1)) / n, (total * BigInt(index)) / n];
  }

  /**
   * Walks the set lazily in chunks of at most `size` addresses of one family: ascending by default, or in the
   * seeded order, optionally one shard of it. This is the fast path for bulk enumeration; nothing but the current
   * chunk is held in memory.
   */
  *chunks(options: OrderOptions & { size?: number } = {}): Generator<AddressChunk> {
    const chunkSize = options.size ?? DEFAULT_CHUNK;
    if (!Number.isSafeInteger(chunkSize) || chunkSize < 1) {
      throw new ScanplaneError('INVALID_ARGUMENT', `chunk size ${chunkSize} must be a positive integer`);
    }
    const [from, to] = this.shardBounds(options.shard);
    if (options.seed === undefined) yield* this.#ascendingChunks(from, to, chunkSize);
    else yield* this.#seededChunks(from, to, chunkSize, options.seed);
  }

  /**
   * Walks the set in blocks of at most `size` addresses, each an `AddressSet`: consecutive runs of the ascending
   * order (so a /16 with `size` 256 gives 256 /24s), or consecutive slices of the seeded order when a seed is given.
   * Optionally one shard of the order. Only one block is in memory at a time.
   *
   * @example
   * ```ts
   * import { AddressSet } from '@scanplane/core';
   * [...AddressSet.parse(['10.0.0.0/23']).blocks({ size: 256 })].map((block) => block.toJSON());
   * // [['10.0.0.0/24'], ['10.0.1.0/24']]
   * ```
   */
  *blocks(options: OrderOptions & { size: number }): Generator<AddressSet> {
    const size = options.size;
    if (!Number.isSafeInteger(size) || size < 1) {
      throw new ScanplaneError('INVALID_ARGUMENT', `block size ${size} must be a positive integer`);
    }
    const [from, to] = this.shardBounds(options.shard);
    if (options.seed !== undefined) {
      // Slices of the seeded order: gather one slice, then store it as ranges.
      let builder = new AddressSetBuilder();
      let filled = 0;
      for (const chunk of this.chunks({ seed: options.seed, shard: options.shard, size })) {
        for (let i = 0; i < chunk.values.length; i++) {
          if (chunk.family === 4) builder.addV4(chunk.values[i] as number, chunk.values[i] as number);
          else builder.addV6(chunk.values[i] as bigint, chunk.values[i] as bigint);
          if (++filled === size) {
            yield builder.build();
            builder = new AddressSetBuilder();
            filled = 0;
          }
        }
      }
      if (filled > 0) yield builder.build();
      return;
    }
    const bigSize = BigInt(size);
    for (let start = from; start < to; start += bigSize) {
      const end = start + bigSize < to ? start + bigSize : to;
      yield this.#slice(start, end);
    }
  }

  /** The addresses at ascending positions [from, to), as a set. */
  #slice(from: bigint, to: bigint): AddressSet {
    const n4 = this.v4.size;
    const v4Starts: number[] = [];
    const v4Ends: number[] = [];
    if (from < n4) {
      const end = to < n4 ? to : n4;
      let range = this.v4.rangeAtIndex(from);
      const offsets = this.v4.offsets() as Float64Array;
      let position = Number(from);
      const stop = Number(end);
      while (position < stop) {
        const first = (this.v4.starts[range] as number) + (position - (offsets[range] as number));
        const last = Math.min(this.v4.ends[range] as number, first + (stop - position) - 1);
        v4Starts.push(first);
        v4Ends.push(last);
        position += last - first + 1;
        range++;
      }
    }
    const v6Starts: bigint[] = [];
    const v6Ends: bigint[] = [];
    if (to > n4) {
      let position = (from > n4 ? from : n4) - n4;
      const stop = to - n4;
      let range = this.v6.rangeAtIndex(position);
      const offsets = this.v6.offsets() as bigint[];
      while (position < stop) {
        const first = (this.v6.starts[range] as bigint) + (position - (offsets[range] as bigint));
        const limit = first + (stop - position) - 1n;
        const last = (this.v6.ends[range] as bigint) < limit ? (this.v6.ends[range] as bigint) : limit;
        v6Starts.push(first);
        v6Ends.push(last);
        position += last - first + 1n;
        range++;
      }
    }
    return new AddressSet(
      RangeList.trusted(V4, Float64Array.from(v4Starts), Float64Array.from(v4Ends)),
      RangeList.trusted(V6, v6Starts, v6Ends),
    );
  }

  /** Walks the set lazily as address strings, in the order {@link AddressSet.chunks} describes. */
  *addresses(options: OrderOptions = {}): Generator<string> {
    for (const chunk of this.chunks({ ...options, size: 4096 })) {
      if (chunk.family === 4) for (const value of chunk.values) yield formatIpv4(value);
      else for (const value of chunk.values) yield formatIpv6(value);
    }
  }

  /** Iterates the addresses as strings in ascending order. */
  [Symbol.iterator](): Iterator<string> {
    return this.addresses();
  }

  /** The minimal CIDR cover, so `JSON.stringify(set)` stays small for any set size. */
  toJSON(): string[] {
    return [...this.cidrs()];
  }

  /** A short description: size and range count. */
  toString(): string {
    return `AddressSet(${this.size} addresses in ${this.rangeCount} ranges)`;
  }

  *#ascendingChunks(from: bigint, to: bigint, chunkSize: number): Generator<AddressChunk> {
    const n4 = this.v4.size;
    if (from < n4) {
      const v4 = this.v4;
      const end = Number(to < n4 ? to : n4);
      let position = Number(from);
      let range = 0;
      const offsets = v4.offsets() as Float64Array;
      // First range at or before `position`.
      let lo = 0;
      let hi = v4.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >>> 1;
        if ((offsets[mid] as number) <= position) lo = mid;
        else hi = mid - 1;
      }
      range = lo;
      let address = (v4.starts[range] as number) + (position - (offsets[range] as number));
      let buffer = new Uint32Array(Math.min(chunkSize, end - position));
      let filled = 0;
      while (position < end) {
        const rangeEnd = v4.ends[range] as number;
        // Copy as much of this range as fits in the buffer.
        const take = Math.min(rangeEnd - address + 1, end - position, buffer.length - filled);
        for (let k = 0; k < take; k++) buffer[filled + k] = address + k;
        filled += take;
        position += take;
        address += take;
        if (address > rangeEnd && position < end) {
          range++;
          address = v4.starts[range] as number;
        }
        if (filled === buffer.length) {
          yield { family: 4, values: buffer };
          buffer = new Uint32Array(Math.min(chunkSize, end - position));
          filled = 0;
        }
      }
      if (filled > 0) yield { family: 4, values: buffer.subarray(0, filled) };
    }
    if (to > n4) {
      const v6 = this.v6;
      let position = (from > n4 ? from : n4) - n4;
      const end = to - n4;
      let values: bigint[] = [];
      while (position < end) {
        const range = v6.rangeAtIndex(position);
        const first = v6.starts[range] as bigint;
        const last = v6.ends[range] as bigint;
        const offset = (v6.offsets() as bigint[])[range] as bigint;
        let address = first + (position - offset);
        while (address <= last && position < end) {
          values.push(address++);
          position++;
          if (values.length === chunkSize) {
            yield { family: 6, values };
            values = [];
          }
        }
      }
      if (values.length > 0) yield { family: 6, values };
    }
  }

  *#seededChunks(from: bigint, to: bigint, chunkSize: number, seed: Seed): Generator<AddressChunk> {
    const total = this.size;
    const permutation = createPermutation(total, seed);
    const n4 = this.v4.size;
    if (total <= 2n ** 52n) {
      if (this.v6.length === 0 && permutation instanceof MixedRadixFeistel) {
        // IPv4 only: the WebAssembly kernel walks and locates in one pass, where available. It keeps its own copy of
        // the bucket table, so the JavaScript locator is not kept alongside it.
        if (this.#kernel === undefined)
          this.#kernel = WalkKernel.create(new Ipv4IndexLocator(this.v4)) ?? null;
        const kernel = this.#kernel;
        if (kernel !== null) {
          for (let position = Number(from), end = Number(to); position < end; ) {
            const count = Math.min(chunkSize, end - position);
            yield { family: 4, values: kernel.walk(permutation, position, count) };
            position += count;
          }
          return;
        }
      }
      // Batches: the permutation fills a buffer of indexes, the locator turns IPv4 indexes into addresses.
      this.#locator ??= new Ipv4IndexLocator(this.v4);
      const locator = this.#locator;
      const n4n = Number(n4);
      const indexes = new Float64Array(Math.min(chunkSize, Number(to - from)));
      for (let position = Number(from), end = Number(to); position < end; ) {
        const count = Math.min(indexes.length, end - position);
        const batch = count === indexes.length ? indexes : indexes.subarray(0, count);
        permutation.fill(position, batch);
        position += count;
        if (this.v6.length === 0) {
          const values = new Uint32Array(count);
          locator.map(batch, values, count);
          yield { family: 4, values };
          continue;
        }
        // Both families: emit runs of one family, in order.
        let run = 0;
        while (run < count) {
          const isV4 = (batch[run] as number) < n4n;
          let stop = run + 1;
          while (stop < count && (batch[stop] as number) < n4n === isV4) stop++;
          if (isV4) {
            const values = new Uint32Array(stop - run);
            locator.map(batch.subarray(run, stop), values, stop - run);
            yield { family: 4, values };
          } else {
            const values: bigint[] = [];
            for (let i = run; i < stop; i++) values.push(this.v6.at(BigInt((batch[i] as number) - n4n)));
            yield { family: 6, values };
          }
          run = stop;
        }
      }
      return;
    }
    // Sets beyond 2^52 addresses (IPv6 only in practice): the bigint path.
    let v4: number[] = [];
    let v6: bigint[] = [];
    for (let position = from; position < to; position++) {
      const index = permutation.at(position);
      if (index < n4) {
        if (v6.length > 0) {
          yield { family: 6, values: v6 };
          v6 = [];
        }
        v4.push(this.v4.at(index));
        if (v4.length === chunkSize) {
          yield { family: 4, values: Uint32Array.from(v4) };
          v4 = [];
        }
      } else {
        if (v4.length > 0) {
          yield { family: 4, values: Uint32Array.from(v4) };
          v4 = [];
        }
        v6.push(this.v6.at(index - n4));
        if (v6.length === chunkSize) {
          yield { family: 6, values: v6 };
          v6 = [];
        }
      }
    }
    if (v4.length > 0) yield { family: 4, values: Uint32Array.from(v4) };
    if (v6.length > 0) yield { family: 6, values: v6 };
  }
}

const EMPTY = AddressSet.fromLists(RangeList.empty(V4), RangeList.empty(V6));

const UNLIMITED = 1n << 129n;

function parseAddressSpecs(specs: Iterable<string>): AddressSet {
  const builder = new AddressSetBuilder();
  for (const spec of specs) {
    // Sets are stored as ranges, so no per-entry address cap applies here (only the octet-pattern range cap).
    const result = parseTargetEntry(spec, { maxAddresses: UNLIMITED });
    if (!result.ok) {
      throw new ScanplaneError(
        result.reason === 'too_large' ? 'TARGET_TOO_LARGE' : 'TARGET_INVALID',
        result.message,
        {
          details: { entry: spec },
        },
      );
    }
    const entry = result.entry;
    if (entry.kind === 'hostname') {
      throw new ScanplaneError(
        'TARGET_INVALID',
        `'${spec}' is a hostname; resolve it first (see prepare())`,
        {
          details: { entry: spec },
        },
      );
    }
    addEntryRanges(builder, entry);
  }
  return builder.build();
}

/**
 * Adds the address ranges of a parsed (non-hostname) entry to a builder.
 * @internal
 */
export function addEntryRanges(builder: AddressSetBuilder, entry: ParsedTargetEntry): void {
  const v4 = entry.v4;
  if (v4 !== undefined)
    for (let i = 0; i < v4.length; i += 2) builder.addV4(v4[i] as number, v4[i + 1] as number);
  const v6 = entry.v6;
  if (v6 !== undefined)
    for (let i = 0; i < v6.length; i += 2) builder.addV6(v6[i] as bigint, v6[i + 1] as bigint);
}
