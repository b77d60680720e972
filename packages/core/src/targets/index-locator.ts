import type { RangeList } from './range-list.js';

/**
 * Maps positions of the ascending order of an IPv4 range list to addresses in near-constant time: a table over the
 * high bits of the position names the first range a bucket can fall in, and a short binary search between that
 * range and the next bucket's finishes the lookup. The table has about eight buckets per range (capped at 2^22), so
 * its size follows the number of ranges, not of addresses.
 * @internal
 */
export class Ipv4IndexLocator {
  /** Range starts (the list's own array). */
  readonly starts: Float64Array;
  /** Cumulative sizes: the first position of each range. */
  readonly offsets: Float64Array;
  /** Bucket → first candidate range. */
  readonly table: Uint32Array;
  /** Positions per bucket, as a power of two. */
  readonly shift: number;
  /** Index of the last range. */
  readonly last: number;

  constructor(list: RangeList<number>) {
    this.starts = list.starts as Float64Array;
    this.offsets = list.offsets() as Float64Array;
    this.last = list.length - 1;
    const total = Number(list.size);
    let want = 1;
    while (want < list.length * 8 && want < 1 << 22) want *= 2;
    let bits = 0;
    while (2 ** bits < total) bits++;
    this.shift = Math.max(0, bits - Math.log2(want));
    const buckets = total === 0 ? 0 : Math.floor((total - 1) / 2 ** this.shift) + 1;
    this.table = new Uint32Array(buckets);
    // Range r owns the buckets whose first position falls inside it: from ⌈offset_r / span⌉ up to the next range's.
    const span = 2 ** this.shift;
    for (let range = 0; range < this.last; range++) {
      const from = Math.ceil((this.offsets[range] as number) / span);
      const to = Math.ceil((this.offsets[range + 1] as number) / span);
      if (to > from) this.table.fill(range, from, to);
    }
    if (this.last >= 0) this.table.fill(this.last, Math.ceil((this.offsets[this.last] as number) / span));
  }

  /** Writes the address of each position in `indexes[0 … count)` to `out`. Positions must be in range. */
  map(indexes: Float64Array, out: Uint32Array, count: number): void {
    const starts = this.starts;
    const offsets = this.offsets;
    const table = this.table;
    const shift = this.shift;
    const buckets = table.length;
    const last = this.last;
    for (let i = 0; i < count; i++) {
      const index = indexes[i] as number;
      const bucket = index >>> shift;
      let lo = table[bucket] as number;
      let hi = bucket + 1 < buckets ? (table[bucket + 1] as number) : last;
      while (lo < hi) {
        const mid = (lo + hi + 1) >>> 1;
        if ((offsets[mid] as number) <= index) lo = mid;
        else hi = mid - 1;
      }
      out[i] = (starts[lo] as number) + (index - (offsets[lo] as number));
    }
  }
}
