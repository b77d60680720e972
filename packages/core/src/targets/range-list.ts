import type { FamilyOps } from './address-family.js';

type Store<T> = ArrayLike<T> & { [index: number]: T; length: number };

/**
 * An immutable, sorted list of disjoint, non-adjacent inclusive ranges of one address family. Every operation costs
 * time and memory in the number of ranges, never in the number of addresses.
 * @internal
 */
export class RangeList<T extends number | bigint> {
  /** Cumulative sizes: `offsets[i]` is the number of addresses before range `i`. Built on first use. */
  #offsets: bigint[] | Float64Array | undefined;
  #size: bigint | undefined;

  private constructor(
    readonly ops: FamilyOps<T>,
    readonly starts: Store<T>,
    readonly ends: Store<T>,
  ) {}

  get length(): number {
    return this.starts.length;
  }

  /** An empty list. */
  static empty<T extends number | bigint>(ops: FamilyOps<T>): RangeList<T> {
    return new RangeList(ops, ops.allocate(0) as Store<T>, ops.allocate(0) as Store<T>);
  }

  /** Wraps arrays that are already sorted, disjoint and non-adjacent. */
  static trusted<T extends number | bigint>(
    ops: FamilyOps<T>,
    starts: Store<T>,
    ends: Store<T>,
  ): RangeList<T> {
    return new RangeList(ops, starts, ends);
  }

  /**
   * Builds a normalised list from unsorted, possibly overlapping ranges given as parallel arrays (consumed: they are
   * sorted in place). Starts and ends are sorted independently: the union depends only on the two multisets.
   */
  static normalize<T extends number | bigint>(
    ops: FamilyOps<T>,
    starts: T[] | Float64Array,
    ends: T[] | Float64Array,
  ): RangeList<T> {
    const count = starts.length;
    const s = starts as Store<T> & (T[] | Float64Array);
    const e = ends as Store<T> & (T[] | Float64Array);
    ops.sort(s);
    ops.sort(e);
    const outStarts = ops.allocate(count) as Store<T>;
    const outEnds = ops.allocate(count) as Store<T>;
    let n = 0;
    let i = 0;
    let j = 0;
    let depth = 0;
    let current = ops.zero;
    while (i < count) {
      const start = s[i] as T;
      const end = e[j] as T;
      if (start <= end || start === ops.succ(end)) {
        if (depth++ === 0) current = start;
        i++;
      } else {
        if (--depth === 0) {
          outStarts[n] = current;
          outEnds[n++] = end;
        }
        j++;
      }
    }
    if (count > 0) {
      outStarts[n] = current;
      outEnds[n++] = e[count - 1] as T;
    }
    return new RangeList(ops, shrink(outStarts, n), shrink(outEnds, n));
  }

  /** The total number of addresses. */
  get size(): bigint {
    if (this.#size === undefined) {
      let total = 0n;
      if (this.ops.family === 4) {
        let sum = 0;
        for (let i = 0; i < this.length; i++)
          sum += (this.ends[i] as number) - (this.starts[i] as number) + 1;
        total = BigInt(sum);
      } else {
        for (let i = 0; i < this.length; i++) total += this.ops.count(this.starts[i] as T, this.ends[i] as T);
      }
      this.#size = total;
    }
    return this.#size;
  }

  /** Index of the range containing `value`, or -1. */
  indexOf(value: T): number {
    let lo = 0;
    let hi = this.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.ends[mid] as T) < value) lo = mid + 1;
      else if ((this.starts[mid] as T) > value) hi = mid - 1;
      else return mid;
    }
    return -1;
  }

  /** Index of the first range whose end is at or after `value` (may be `length`). */
  lowerBound(value: T): number {
    let lo = 0;
    let hi = this.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.ends[mid] as T) < value) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  contains(value: T): boolean {
    return this.indexOf(value) !== -1;
  }

  /** The parts of [first, last] inside this list, in order. */
  clip(first: T, last: T, visit: (start: T, end: T) => void): void {
    for (let i = this.lowerBound(first); i < this.length; i++) {
      const start = this.starts[i] as T;
      if (start > last) break;
      const end = this.ends[i] as T;
      visit(start > first ? start : first, end < last ? end : last);
    }
  }

  /**
   * Splits [first, last] into the parts inside this list and the parts outside it, visiting both in order.
   */
  split(first: T, last: T, inside: (start: T, end: T) => void, outside: (start: T, end: T) => void): void {
    let cursor = first;
    let open = true;
    for (let i = this.lowerBound(first); i < this.length; i++) {
      const start = this.starts[i] as T;
      if (start > last) break;
      const end = this.ends[i] as T;
      const from = start > first ? start : first;
      const to = end < last ? end : last;
      if (from > cursor) outside(cursor, this.ops.pred(from));
      inside(from, to);
      if (to >= last) {
        open = false;
        break;
      }
      cursor = this.ops.succ(to);
    }
    if (open) outside(cursor, last);
  }

  /** The number of addresses of [first, last] inside this list. */
  countIn(first: T, last: T): bigint {
    let total = 0n;
    this.clip(first, last, (s, e) => {
      total += this.ops.count(s, e);
    });
    return total;
  }

  union(other: RangeList<T>): RangeList<T> {
    if (other.length === 0) return this;
    if (this.length === 0) return other;
    const total = this.length + other.length;
    const starts = this.ops.allocate(total) as T[];
    const ends = this.ops.allocate(total) as T[];
    for (let i = 0; i < this.length; i++) {
      starts[i] = this.starts[i] as T;
      ends[i] = this.ends[i] as T;
    }
    for (let i = 0; i < other.length; i++) {
      starts[this.length + i] = other.starts[i] as T;
      ends[this.length + i] = other.ends[i] as T;
    }
    return RangeList.normalize(this.ops, starts, ends);
  }

  intersect(other: RangeList<T>): RangeList<T> {
    const ops = this.ops;
    const outStarts = ops.allocate(this.length + other.length) as Store<T>;
    const outEnds = ops.allocate(this.length + other.length) as Store<T>;
    let n = 0;
    let i = 0;
    let j = 0;
    while (i < this.length && j < other.length) {
      const aStart = this.starts[i] as T;
      const aEnd = this.ends[i] as T;
      const bStart = other.starts[j] as T;
      const bEnd = other.ends[j] as T;
      const start = aStart > bStart ? aStart : bStart;
      const end = aEnd < bEnd ? aEnd : bEnd;
      if (start <= end) {
        outStarts[n] = start;
        outEnds[n++] = end;
      }
      if (aEnd < bEnd) i++;
      else j++;
    }
    return new RangeList(ops, shrink(outStarts, n), shrink(outEnds, n));
  }

  subtract(other: RangeList<T>): RangeList<T> {
    if (other.length === 0 || this.length === 0) return this;
    const ops = this.ops;
    const outStarts = ops.allocate(this.length + other.length) as Store<T>;
    const outEnds = ops.allocate(this.length + other.length) as Store<T>;
    let n = 0;
    let j = 0;
    for (let i = 0; i < this.length; i++) {
      let start = this.starts[i] as T;
      const end = this.ends[i] as T;
      while (j < other.length && (other.ends[j] as T) < start) j++;
      let k = j;
      let open = true;
      while (k < other.length && (other.starts[k] as T) <= end) {
        const cutStart = other.starts[k] as T;
        const cutEnd = other.ends[k] as T;
        if (cutStart > start) {
          outStarts[n] = start;
          outEnds[n++] = ops.pred(cutStart);
        }
        if (cutEnd >= end) {
          open = false;
          break;
        }
        start = ops.succ(cutEnd);
        k++;
      }
      if (open) {
        outStarts[n] = start;
        outEnds[n++] = end;
      }
    }
    return new RangeList(ops, shrink(outStarts, n), shrink(outEnds, n));
  }

  equals(other: RangeList<T>): boolean {
    if (this.length !== other.length) return false;
    for (let i = 0; i < this.length; i++) {
      if (this.starts[i] !== other.starts[i] || this.ends[i] !== other.ends[i]) return false;
    }
    return true;
  }

  /** Cumulative sizes, for index ↔ address mapping. */
  offsets(): bigint[] | Float64Array {
    if (this.#offsets === undefined) {
      if (this.ops.family === 4) {
        const offsets = new Float64Array(this.length);
        let sum = 0;
        for (let i = 0; i < this.length; i++) {
          offsets[i] = sum;
          sum += (this.ends[i] as number) - (this.starts[i] as number) + 1;
        }
        this.#offsets = offsets;
      } else {
        const offsets: bigint[] = new Array(this.length);
        let sum = 0n;
        for (let i = 0; i < this.length; i++) {
          offsets[i] = sum;
          sum += this.ops.count(this.starts[i] as T, this.ends[i] as T);
        }
        this.#offsets = offsets;
      }
    }
    return this.#offsets;
  }

  /** The range holding position `index` (0-based) of the ascending order. The caller checks bounds. */
  rangeAtIndex(index: bigint): number {
    const offsets = this.offsets() as ArrayLike<number | bigint>;
    const key = this.ops.family === 4 ? Number(index) : index;
    let lo = 0;
    let hi = this.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if ((offsets[mid] as number | bigint) <= key) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** The address at position `index` (0-based) of the ascending order. The caller checks bounds. */
  at(index: bigint): T {
    const range = this.rangeAtIndex(index);
    const offset = (this.offsets() as ArrayLike<number | bigint>)[range] as number | bigint;
    return this.ops.offset(this.starts[range] as T, index - BigInt(offset));
  }

  /** The minimal CIDR cover of range `i`, as [network, prefix length] pairs. */
  *cidrsOf(i: number): Generator<[T, number]> {
    const ops = this.ops;
    let start = ops.toBigInt(this.starts[i] as T);
    const end = ops.toBigInt(this.ends[i] as T);
    const bits = BigInt(ops.bits);
    while (start <= end) {
      // Largest block aligned at `start` that fits within [start, end].
      let size = start === 0n ? 1n << bits : start & -start;
      const room = end - start + 1n;
      while (size > room) size >>= 1n;
      let prefix = ops.bits;
      for (let s = size; s > 1n; s >>= 1n) prefix--;
      yield [ops.fromBigInt(start), prefix];
      start += size;
    }
  }
}

function shrink<T>(store: Store<T>, length: number): Store<T> {
  if (store.length === length) return store;
  if (store instanceof Float64Array) return store.slice(0, length) as unknown as Store<T>;
  (store as unknown as T[]).length = length;
  return store;
}
