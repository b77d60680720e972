type TypedArray = Float64Array | Uint32Array | Uint8Array | Int32Array;
type TypedArrayConstructor<A extends TypedArray> = new (length: number) => A;

/**
 * An append-only typed array that doubles its capacity as it grows: compact per-item storage for streams of
 * unknown length.
 * @internal
 */
export class Growable<A extends TypedArray> {
  #data: A;
  #length = 0;

  constructor(
    private readonly Type: TypedArrayConstructor<A>,
    capacity = 64,
  ) {
    this.#data = new Type(capacity);
  }

  get length(): number {
    return this.#length;
  }

  push(value: number): number {
    if (this.#length === this.#data.length) {
      const next = new this.Type(this.#data.length * 2);
      next.set(this.#data as never);
      this.#data = next;
    }
    this.#data[this.#length] = value;
    return this.#length++;
  }

  get(index: number): number {
    return this.#data[index] as number;
  }

  set(index: number, value: number): void {
    this.#data[index] = value;
  }

  add(index: number, value: number): void {
    this.#data[index] = (this.#data[index] as number) + value;
  }

  /** The filled part, trimmed to its length (a copy). */
  toArray(): A {
    return this.#data.slice(0, this.#length) as A;
  }
}
