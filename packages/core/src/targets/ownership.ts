import type { FamilyOps } from './address-family.js';

/**
 * Attributes every address covered by a set of (range, entry) triples to the lowest-numbered entry covering it, and
 * adds each entry's share to `owned[entry]`. A sweep over the triples sorted by start with a min-heap of the covering
 * entries: O(n log n) in the number of triples, whatever the number of addresses.
 * @internal
 */
export function attributeOwnership<T extends number | bigint>(
  ops: FamilyOps<T>,
  starts: ArrayLike<T>,
  ends: ArrayLike<T>,
  entries: ArrayLike<number>,
  owned: { add(entry: number, count: number): void },
): void {
  const n = starts.length;
  if (n === 0) return;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => {
    const sa = starts[a] as T;
    const sb = starts[b] as T;
    return sa < sb ? -1 : sa > sb ? 1 : (entries[a] as number) - (entries[b] as number);
  });
  // Binary min-heap of triple indices, keyed by entry number.
  const heap = new Uint32Array(n);
  let size = 0;
  const key = (t: number): number => entries[t] as number;
  const push = (t: number): void => {
    let i = size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (key(heap[parent] as number) <= key(t)) break;
      heap[i] = heap[parent] as number;
      i = parent;
    }
    heap[i] = t;
  };
  const pop = (): void => {
    const last = heap[--size] as number;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= size) break;
      if (child + 1 < size && key(heap[child + 1] as number) < key(heap[child] as number)) child++;
      if (key(heap[child] as number) >= key(last)) break;
      heap[i] = heap[child] as number;
      i = child;
    }
    heap[i] = last;
  };
  let p = 0;
  let x = starts[order[0] as number] as T;
  while (p < n || size > 0) {
    if (size === 0) x = starts[order[p] as number] as T;
    while (p < n && (starts[order[p] as number] as T) <= x) push(order[p++] as number);
    while (size > 0 && (ends[heap[0] as number] as T) < x) pop();
    if (size === 0) continue;
    const top = heap[0] as number;
    const topEnd = ends[top] as T;
    let y = topEnd;
    if (p < n) {
      const before = ops.pred(starts[order[p] as number] as T);
      if (before < y) y = before;
    }
    owned.add(entries[top] as number, Number(ops.count(x, y)));
    if (y === ops.max) break;
    x = ops.succ(y);
  }
}
