import { ScanplaneError } from '../errors/scanplane-error.js';

/**
 * A seed for a pseudo-random order: a non-negative safe integer, a bigint, or a string (hashed).
 *
 * @example
 * ```ts
 * import type { Seed } from '@scanplane/core';
 * const seed: Seed = 42;
 * ```
 */
export type Seed = number | bigint | string;

/**
 * A bijection over `[0, size)`: every position maps to exactly one index and back, reproducibly from the seed,
 * without any table in memory. Built from a keyed Feistel network with cycle walking to stay inside the domain, in
 * the spirit of masscan's blackrock: over a mixed radix close to `size` for up to 2^32 values, over the next power of
 * two beyond.
 *
 * @example
 * ```ts
 * import { createPermutation } from '@scanplane/core';
 * const permutation = createPermutation(10n, 7);
 * const order = Array.from({ length: 10 }, (_, i) => permutation.at(BigInt(i)));
 * // order holds 0..9 exactly once, in an order fixed by the seed 7
 * ```
 */
export interface Permutation {
  /** The size of the domain. */
  readonly size: bigint;
  /** The index at `position`. */
  at(position: bigint): bigint;
  /** Number fast path, usable when `size` ≤ 2^52. */
  atNumber(position: number): number;
  /**
   * Writes the indexes at positions `from` … `from + out.length - 1` into `out`: the batch form of
   * {@link Permutation.atNumber}, usable when `size` ≤ 2^52.
   */
  fill(from: number, out: Float64Array): void;
}

const MASK64 = (1n << 64n) - 1n;
const ROUNDS = 4;

/** splitmix64, the standard seed expander. */
function splitmix64(state: bigint): [bigint, bigint] {
  const next = (state + 0x9e3779b97f4a7c15n) & MASK64;
  let z = next;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return [next, z ^ (z >> 31n)];
}

/**
 * Normalises a seed to a 64-bit value.
 * @internal
 */
export function seedToBigInt(seed: Seed): bigint {
  if (typeof seed === 'bigint') {
    if (seed < 0n) throw invalidSeed(seed);
    return seed & MASK64;
  }
  if (typeof seed === 'number') {
    if (!Number.isSafeInteger(seed) || seed < 0) throw invalidSeed(seed);
    return BigInt(seed);
  }
  // FNV-1a 64 over the UTF-16 code units.
  let hash = 0xcbf29ce484222325n;
  for (let i = 0; i < seed.length; i++) {
    hash ^= BigInt(seed.charCodeAt(i));
    hash = (hash * 0x100000001b3n) & MASK64;
  }
  return hash;
}

function invalidSeed(seed: unknown): ScanplaneError {
  return new ScanplaneError(
    'INVALID_ARGUMENT',
    `seed ${String(seed)} must be a non-negative integer or a string`,
    {
      details: { seed: String(seed) },
    },
  );
}

/**
 * Creates the seeded permutation of `[0, size)`.
 *
 * @example
 * ```ts
 * import { createPermutation } from '@scanplane/core';
 * createPermutation(1000n, 'nightly').at(0n); // some index in [0, 1000)
 * ```
 */
export function createPermutation(size: bigint | number, seed: Seed): Permutation {
  const n = BigInt(size);
  if (n < 0n) throw new ScanplaneError('INVALID_ARGUMENT', `permutation size ${n} is negative`);
  let state = seedToBigInt(seed);
  const keys: bigint[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const [next, out] = splitmix64(state);
    state = next;
    keys.push(out);
  }
  let bits = 2;
  while (1n << BigInt(bits) < n) bits++;
  if (n <= 1n << 32n) return new MixedRadixFeistel(n, keys);
  if (bits <= 52) return new WideFeistel(n, bits, keys);
  return new BigFeistel(n, bits, keys);
}

/**
 * Domains up to 2^32: a Feistel network over mixed radix `A × B` with `A = ⌈√n⌉` and `B = ⌈n / A⌉`, so `A·B − n < A`
 * and cycle walking is almost never needed (over the next power of two it would be needed for up to half of all
 * values, and its unpredictable branch costs more than the rounds). Rounds add a keyed hash modulo the half's radix,
 * alternating halves; each is invertible, so the network is a bijection over `A·B`. Sequential positions step the
 * digits (L, R) without division.
 * @internal
 */
export class MixedRadixFeistel implements Permutation {
  readonly size: bigint;
  readonly #n: number;
  readonly #a: number;
  readonly #b: number;
  readonly #k0: number;
  readonly #k1: number;
  readonly #k2: number;
  readonly #k3: number;

  constructor(size: bigint, keys: bigint[]) {
    this.size = size;
    this.#n = Number(size);
    this.#a = Math.max(1, Math.ceil(Math.sqrt(this.#n)));
    this.#b = Math.max(1, Math.ceil(this.#n / this.#a));
    [this.#k0, this.#k1, this.#k2, this.#k3] = keys.map((key) => Number(key & 0xffffffffn) | 0) as [
      number,
      number,
      number,
      number,
    ];
  }

  /** The network's parameters, for the WebAssembly kernel that implements the same walk. */
  get parameters(): { n: number; a: number; b: number; keys: [number, number, number, number] } {
    return { n: this.#n, a: this.#a, b: this.#b, keys: [this.#k0, this.#k1, this.#k2, this.#k3] };
  }

  /** Cycle-walks a value outside [0, n) back inside (rare: fewer than A of the A·B values are outside). */
  #walk(value: number): number {
    const a = this.#a;
    const b = this.#b;
    let v = value;
    while (v >= this.#n) {
      const high = Math.floor(v / b);
      v = encryptDigits(high, v - high * b, a, b, this.#k0, this.#k1, this.#k2, this.#k3);
    }
    return v;
  }

  atNumber(position: number): number {
    if (!(position >= 0 && position < this.#n)) throw outOfRange(position, this.size);
    const b = this.#b;
    const high = Math.floor(position / b);
    return this.#walk(
      encryptDigits(high, position - high * b, this.#a, b, this.#k0, this.#k1, this.#k2, this.#k3),
    );
  }

  fill(from: number, out: Float64Array): void {
    if (!(from >= 0 && from + out.length <= this.#n)) throw outOfRange(from + out.length - 1, this.size);
    const outside = fillDigits(from, out, this.#n, this.#a, this.#b, this.#k0, this.#k1, this.#k2, this.#k3);
    // The few values outside [0, n) are walked back after the loop, keeping the rare path out of the hot one.
    if (outside > 0) this.#walkAll(out);
  }

  #walkAll(out: Float64Array): void {
    for (let i = 0; i < out.length; i++)
      if ((out[i] as number) >= this.#n) out[i] = this.#walk(out[i] as number);
  }

  at(position: bigint): bigint {
    return BigInt(this.atNumber(Number(position)));
  }
}

/**
 * The batch loop of {@link MixedRadixFeistel.fill}, a plain function of its arguments: optimised code for a method
 * would embed the receiver and be thrown away whenever that object dies. Returns how many values fell outside
 * [0, n) (left in place for the caller to walk).
 */
function fillDigits(
  from: number,
  out: Float64Array,
  n: number,
  a: number,
  b: number,
  k0: number,
  k1: number,
  k2: number,
  k3: number,
): number {
  let high = Math.floor(from / b);
  let low = from - high * b;
  let outside = 0;
  for (let i = 0; i < out.length; i++) {
    const value = encryptDigits(high, low, a, b, k0, k1, k2, k3);
    out[i] = value;
    outside += value >= n ? 1 : 0;
    if (++low === b) {
      low = 0;
      high++;
    }
  }
  return outside;
}

/**
 * Four alternating rounds over digits (high, low) in radix A × B: each adds a keyed hash modulo the digit's radix
 * (branch-free), then the digits are recombined into a value in [0, A·B).
 */
function encryptDigits(
  high: number,
  low: number,
  a: number,
  b: number,
  k0: number,
  k1: number,
  k2: number,
  k3: number,
): number {
  let t = high + (Math.imul(mix(low ^ k0) >>> 16, a) >>> 16) - a;
  high = t + (a & (t >> 31));
  t = low + (Math.imul(mix(high ^ k1) >>> 16, b) >>> 16) - b;
  low = t + (b & (t >> 31));
  t = high + (Math.imul(mix(low ^ k2) >>> 16, a) >>> 16) - a;
  high = t + (a & (t >> 31));
  t = low + (Math.imul(mix(high ^ k3) >>> 16, b) >>> 16) - b;
  low = t + (b & (t >> 31));
  return high * b + low;
}

/** A 32-bit mixer (two multiply–xorshift steps); its high bits feed the rounds. */
function mix(value: number): number {
  let h = Math.imul(value, 0x9e3779b1);
  h ^= h >>> 15;
  return Math.imul(h, 0x85ebca77);
}

/**
 * Domains of 2^33 … 2^52: an alternating Feistel network over the next power of two, on doubles (halves of up to 26
 * bits); even rounds mix the high half with a function of the low half, odd rounds the reverse.
 */
class WideFeistel implements Permutation {
  readonly size: bigint;
  readonly #n: number;
  readonly #lowSpan: number;
  readonly #highShift: number;
  readonly #lowShift: number;
  readonly #keys: number[];

  constructor(size: bigint, bits: number, keys: bigint[]) {
    this.size = size;
    this.#n = Number(size);
    const lowBits = bits >>> 1;
    this.#lowSpan = 2 ** lowBits;
    this.#highShift = 32 - (bits - lowBits);
    this.#lowShift = 32 - lowBits;
    this.#keys = keys.map((key) => Number(key & 0xffffffffn) | 0);
  }

  #encrypt(value: number): number {
    const keys = this.#keys;
    let high = Math.floor(value / this.#lowSpan);
    let low = value - high * this.#lowSpan;
    for (let r = 0; r < ROUNDS; r += 2) {
      high = (high ^ (mix(low ^ (keys[r] as number)) >>> this.#highShift)) >>> 0;
      low = (low ^ (mix(high ^ (keys[r + 1] as number)) >>> this.#lowShift)) >>> 0;
    }
    return high * this.#lowSpan + low;
  }

  atNumber(position: number): number {
    if (!(position >= 0 && position < this.#n)) throw outOfRange(position, this.size);
    let value = position;
    do value = this.#encrypt(value);
    while (value >= this.#n);
    return value;
  }

  fill(from: number, out: Float64Array): void {
    for (let i = 0; i < out.length; i++) out[i] = this.atNumber(from + i);
  }

  at(position: bigint): bigint {
    return BigInt(this.atNumber(Number(position)));
  }
}

/** Domains above 2^52 (IPv6 in practice): bigint arithmetic, 64-bit mixing per half. */
class BigFeistel implements Permutation {
  readonly size: bigint;
  readonly #lowBits: bigint;
  readonly #lowMask: bigint;
  readonly #highMask: bigint;
  readonly #keys: bigint[];

  constructor(size: bigint, bits: number, keys: bigint[]) {
    this.size = size;
    const lowBits = bits >>> 1;
    this.#lowBits = BigInt(lowBits);
    this.#lowMask = (1n << this.#lowBits) - 1n;
    this.#highMask = (1n << BigInt(bits - lowBits)) - 1n;
    this.#keys = keys;
  }

  #round(half: bigint, key: bigint, mask: bigint): bigint {
    let out = 0n;
    // Mix 64 bits at a time until the output is wide enough for the half it is applied to.
    for (let offset = 0n, word = half; 1n << offset <= mask; offset += 64n, word >>= 64n) {
      let z = (word ^ key ^ offset) & MASK64;
      z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
      z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
      out |= (z ^ (z >> 31n)) << offset;
    }
    return out & mask;
  }

  #encrypt(value: bigint): bigint {
    let high = value >> this.#lowBits;
    let low = value & this.#lowMask;
    for (let r = 0; r < ROUNDS; r += 2) {
      high ^= this.#round(low, this.#keys[r] as bigint, this.#highMask);
      low ^= this.#round(high, this.#keys[r + 1] as bigint, this.#lowMask);
    }
    return (high << this.#lowBits) | low;
  }

  at(position: bigint): bigint {
    if (position < 0n || position >= this.size) throw outOfRange(position, this.size);
    let value = position;
    do value = this.#encrypt(value);
    while (value >= this.size);
    return value;
  }

  atNumber(position: number): number {
    return Number(this.at(BigInt(position)));
  }

  fill(from: number, out: Float64Array): void {
    for (let i = 0; i < out.length; i++) out[i] = this.atNumber(from + i);
  }
}

function outOfRange(position: number | bigint, size: bigint): ScanplaneError {
  return new ScanplaneError('INVALID_ARGUMENT', `position ${position} is outside [0, ${size})`);
}
