import type { Ipv4IndexLocator } from './index-locator.js';
import type { MixedRadixFeistel } from './permutation.js';
import { WALK_KERNEL_BASE64 } from './walk-kernel-binary.js';

/** The part of the WebAssembly API used here (TypeScript's ES libraries do not declare it). */
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}

interface WasmMemory {
  buffer: ArrayBuffer;
  grow(pages: number): number;
}

let compiled: object | null | undefined;

/** The compiled kernel, once per process; `null` where WebAssembly SIMD is not available. */
function kernelModule(): object | null {
  if (compiled === undefined) {
    const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
    try {
      const bytes = Buffer.from(WALK_KERNEL_BASE64, 'base64');
      compiled = wasm?.validate(bytes) ? new wasm.Module(bytes) : null;
    } catch {
      compiled = null;
    }
  }
  return compiled;
}

interface KernelExports {
  memory: WasmMemory;
  walk: WalkFunction;
  walk4: WalkFunction;
}

type WalkFunction = (
  from: number,
  count: number,
  max: number,
  a: number,
  b: number,
  k0: number,
  k1: number,
  k2: number,
  k3: number,
  starts: number,
  offsets: number,
  table: number,
  buckets: number,
  shift: number,
  last: number,
  out: number,
) => void;

const PAGE = 65536;

/**
 * Walks the seeded order of an IPv4 range list in WebAssembly (see scripts/walk-kernel.mjs): the same mixed-radix
 * Feistel network as {@link MixedRadixFeistel} and the same lookup as {@link Ipv4IndexLocator}, four positions per
 * iteration with SIMD. It produces exactly what the JavaScript path produces, several times faster, with no JIT
 * warm-up. One instance per set holds a copy of the set's ranges and bucket table.
 * @internal
 */
export class WalkKernel {
  readonly #exports: KernelExports;
  readonly #locator: Ipv4IndexLocator;
  readonly #offsets: number;
  readonly #table: number;
  readonly #out: number;
  #capacity = 0;

  private constructor(exports: KernelExports, locator: Ipv4IndexLocator) {
    this.#exports = exports;
    this.#locator = locator;
    const ranges = locator.starts.length;
    this.#offsets = ranges * 4;
    this.#table = ranges * 8;
    // The table gets one spare entry: the kernel reads entry bucket + 1 unconditionally (a branch-free select).
    this.#out = this.#table + (locator.table.length + 1) * 4;
    this.#reserve(0);
    const words = new Uint32Array(exports.memory.buffer);
    words.set(locator.starts, 0);
    words.set(locator.offsets, ranges);
    words.set(locator.table, ranges * 2);
  }

  /** A kernel for the locator's ranges, or `undefined` where WebAssembly SIMD is not available. */
  static create(locator: Ipv4IndexLocator): WalkKernel | undefined {
    const module = kernelModule();
    if (module === null) return undefined;
    const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly as WasmApi;
    const instance = new wasm.Instance(module, {});
    return new WalkKernel(instance.exports as unknown as KernelExports, locator);
  }

  /** The addresses at positions `from … from + count - 1` of the order `permutation` defines. */
  walk(permutation: MixedRadixFeistel, from: number, count: number): Uint32Array {
    this.#reserve(count);
    const { n, a, b, keys } = permutation.parameters;
    const locator = this.#locator;
    const args = [
      n - 1,
      a,
      b,
      keys[0],
      keys[1],
      keys[2],
      keys[3],
      0,
      this.#offsets,
      this.#table,
      locator.table.length,
      locator.shift,
      locator.last,
    ] as const;
    // walk4 steps four positions at once and needs b ≥ 4; the remainder goes through the scalar walk.
    const vector = b >= 4 ? count - (count % 4) : 0;
    if (vector > 0) this.#exports.walk4(from, vector, ...args, this.#out);
    if (vector < count) this.#exports.walk(from + vector, count - vector, ...args, this.#out + vector * 4);
    return new Uint32Array(this.#exports.memory.buffer, this.#out, count).slice();
  }

  #reserve(count: number): void {
    if (count <= this.#capacity && this.#capacity > 0) return;
    const memory = this.#exports.memory;
    const needed = this.#out + Math.max(count, 1) * 4;
    if (needed > memory.buffer.byteLength) memory.grow(Math.ceil((needed - memory.buffer.byteLength) / PAGE));
    this.#capacity = Math.floor((memory.buffer.byteLength - this.#out) / 4);
  }
}
