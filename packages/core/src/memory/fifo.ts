/**
 * A first-in, first-out list with O(1) push and shift (a head index over an array, compacted now and then), and
 * removal of the first item matching a predicate.
 * @internal
 */
export class Fifo<T> {
  #items: Array<T | undefined> = [];
  #head = 0;

  get length(): number {
    return this.#items.length - this.#head;
  }

  push(item: T): void {
    this.#items.push(item);
  }

  /** Puts an item back at the front. */
  unshift(item: T): void {
    if (this.#head > 0) this.#items[--this.#head] = item;
    else this.#items.unshift(item);
  }

  shift(): T | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head++] = undefined;
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }

  /** Removes and returns the first item that matches. */
  removeFirst(predicate: (item: T) => boolean): T | undefined {
    for (let i = this.#head; i < this.#items.length; i++) {
      const item = this.#items[i] as T;
      if (!predicate(item)) continue;
      if (i === this.#head) return this.shift();
      this.#items.splice(i, 1);
      return item;
    }
    return undefined;
  }

  /** Keeps only the items that match; returns how many were removed. */
  retain(keep: (item: T) => boolean): number {
    const kept = this.#items.slice(this.#head).filter((item) => keep(item as T));
    const removed = this.length - kept.length;
    this.#items = kept;
    this.#head = 0;
    return removed;
  }

  *[Symbol.iterator](): Generator<T> {
    for (let i = this.#head; i < this.#items.length; i++) yield this.#items[i] as T;
  }
}
