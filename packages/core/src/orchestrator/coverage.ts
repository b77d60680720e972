import { PortSet } from '../plan/port-set.js';
import type { CoverageRecord } from '../ports/ledger.js';
import { AddressSet, AddressSetBuilder } from '../targets/address-set.js';

interface Segments<T extends number | bigint> {
  starts: T[];
  ends: T[];
  ports: PortSet[];
}

/**
 * Work already covered, in address × port space: records (address sets × port sets) folded into disjoint address
 * segments, each with the union of the ports covered there. It answers what part of new work is not covered, so
 * dedup is exact for per-IP and block tasks alike: `443,80` after `80,443` is covered, an overlapping range is cut
 * down to what is new, and TCP 53 does not cover UDP 53.
 * @internal
 */
export class CoverageIndex {
  readonly #v4: Segments<number>;
  readonly #v6: Segments<bigint>;
  readonly #subtracted = new Map<string, PortSet>();
  readonly isEmpty: boolean;

  private constructor(v4: Segments<number>, v6: Segments<bigint>) {
    this.#v4 = v4;
    this.#v6 = v6;
    this.isEmpty = v4.starts.length === 0 && v6.starts.length === 0;
  }

  /** Folds coverage records into an index. */
  static build(records: readonly CoverageRecord[]): CoverageIndex {
    const v4: Array<[number, number, PortSet]> = [];
    const v6: Array<[bigint, bigint, PortSet]> = [];
    const portCache = new Map<string, PortSet>();
    for (const record of records) {
      let ports = portCache.get(record.ports);
      if (ports === undefined) {
        ports = PortSet.parse(record.ports);
        portCache.set(record.ports, ports);
      }
      const set = AddressSet.parse(record.addresses);
      for (let i = 0; i < set.v4.length; i++)
        v4.push([set.v4.starts[i] as number, set.v4.ends[i] as number, ports]);
      for (let i = 0; i < set.v6.length; i++)
        v6.push([set.v6.starts[i] as bigint, set.v6.ends[i] as bigint, ports]);
    }
    return new CoverageIndex(
      fold(
        v4,
        (x) => x + 1,
        (x) => x - 1,
      ),
      fold(
        v6,
        (x) => x + 1n,
        (x) => x - 1n,
      ),
    );
  }

  /** An index that covers nothing. */
  static empty(): CoverageIndex {
    return new CoverageIndex({ starts: [], ends: [], ports: [] }, { starts: [], ends: [], ports: [] });
  }

  /**
   * The uncovered part of `addresses × ports`, as groups of addresses that share the same remaining ports (empty when
   * everything is covered; the whole rectangle when nothing is).
   */
  uncovered(addresses: AddressSet, ports: PortSet): Array<{ addresses: AddressSet; ports: PortSet }> {
    if (this.isEmpty) return [{ addresses, ports }];
    const groups = new Map<string, { builder: AddressSetBuilder; ports: PortSet }>();
    const add = (covered: PortSet | undefined, visit: (builder: AddressSetBuilder) => void): void => {
      const remaining = covered === undefined ? ports : this.#remaining(ports, covered);
      if (remaining.isEmpty) return;
      const key = remaining.toString();
      let group = groups.get(key);
      if (group === undefined) {
        group = { builder: new AddressSetBuilder(), ports: remaining };
        groups.set(key, group);
      }
      visit(group.builder);
    };
    for (let i = 0; i < addresses.v4.length; i++) {
      walk(
        this.#v4,
        addresses.v4.starts[i] as number,
        addresses.v4.ends[i] as number,
        (x) => x + 1,
        (x) => x - 1,
        (s, e, covered) => add(covered, (builder) => builder.addV4(s, e)),
      );
    }
    for (let i = 0; i < addresses.v6.length; i++) {
      walk(
        this.#v6,
        addresses.v6.starts[i] as bigint,
        addresses.v6.ends[i] as bigint,
        (x) => x + 1n,
        (x) => x - 1n,
        (s, e, covered) => add(covered, (builder) => builder.addV6(s, e)),
      );
    }
    return [...groups.values()].map((group) => ({ addresses: group.builder.build(), ports: group.ports }));
  }

  #remaining(ports: PortSet, covered: PortSet): PortSet {
    const key = `${ports}|${covered}`;
    let remaining = this.#subtracted.get(key);
    if (remaining === undefined) {
      remaining = ports.subtract(covered);
      this.#subtracted.set(key, remaining);
    }
    return remaining;
  }
}

/** Folds overlapping (start, end, ports) intervals into disjoint segments with the union of their ports. */
function fold<T extends number | bigint>(
  intervals: Array<[T, T, PortSet]>,
  succ: (x: T) => T,
  pred: (x: T) => T,
): Segments<T> {
  const out: Segments<T> = { starts: [], ends: [], ports: [] };
  if (intervals.length === 0) return out;
  // Breakpoints: every start and every end + 1; between consecutive breakpoints coverage is constant.
  const points = new Set<T>();
  for (const [start, end] of intervals) {
    points.add(start);
    points.add(succ(end));
  }
  const sorted = [...points].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  intervals.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  let next = 0;
  const open: Array<[T, T, PortSet]> = [];
  for (let i = 0; i + 1 < sorted.length; i++) {
    const start = sorted[i] as T;
    const endExclusive = sorted[i + 1] as T;
    while (next < intervals.length && (intervals[next] as [T, T, PortSet])[0] <= start)
      open.push(intervals[next++] as [T, T, PortSet]);
    for (let j = open.length - 1; j >= 0; j--) if ((open[j] as [T, T, PortSet])[1] < start) open.splice(j, 1);
    if (open.length === 0) continue;
    let ports = (open[0] as [T, T, PortSet])[2];
    for (let j = 1; j < open.length; j++) ports = ports.union((open[j] as [T, T, PortSet])[2]);
    const last = pred(endExclusive);
    const previous = out.ports.length - 1;
    if (previous >= 0 && succ(out.ends[previous] as T) === start && out.ports[previous]?.equals(ports)) {
      out.ends[previous] = last;
    } else {
      out.starts.push(start);
      out.ends.push(last);
      out.ports.push(ports);
    }
  }
  return out;
}

/** Visits the pieces of [first, last] with the ports covered on each (undefined where nothing covers it). */
function walk<T extends number | bigint>(
  segments: Segments<T>,
  first: T,
  last: T,
  succ: (x: T) => T,
  pred: (x: T) => T,
  visit: (start: T, end: T, covered: PortSet | undefined) => void,
): void {
  const { starts, ends, ports } = segments;
  let lo = 0;
  let hi = starts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((ends[mid] as T) < first) lo = mid + 1;
    else hi = mid;
  }
  let cursor = first;
  for (let i = lo; i < starts.length && (starts[i] as T) <= last; i++) {
    const start = (starts[i] as T) > cursor ? (starts[i] as T) : cursor;
    if (start > cursor) visit(cursor, pred(start), undefined);
    const end = (ends[i] as T) < last ? (ends[i] as T) : last;
    visit(start, end, ports[i]);
    if (end >= last) return;
    cursor = succ(end);
  }
  visit(cursor, last, undefined);
}
