/**
 * Small, dependency-free helpers shared by the benchmarks in `bench/`:
 *
 * - **heap**: {@link settleHeap} forces full garbage collections and samples the memory a script holds;
 *   {@link measureRetained} times one operation and measures what its result keeps alive.
 * - **time**: {@link now} / {@link elapsedMs} on `process.hrtime.bigint()`, {@link median}.
 * - **randomness**: {@link mulberry32}, a seeded 32-bit PRNG, so workloads are reproducible run to run.
 * - **output**: {@link printGoal} prints the one-line JSON record a benchmark emits per goal, plus formatting helpers.
 *
 * Memory is always counted as `heapUsed + arrayBuffers` (see {@link HeapSample}): `heapUsed` alone misses the backing
 * stores of typed arrays and Buffers, which V8 allocates outside its heap, and would flatter any code that keeps its
 * data in typed arrays.
 *
 * Scripts using the heap helpers must run with `node --expose-gc`.
 * @module
 */

/** A memory sample taken after forced garbage collection. All values in bytes. */
export interface HeapSample {
  /** V8 heap in use (objects, strings, arrays, compiled code). */
  heapUsed: number;
  /** Backing stores of ArrayBuffers, typed arrays and Buffers (outside the V8 heap). */
  arrayBuffers: number;
  /** `heapUsed + arrayBuffers`: what the script holds. */
  total: number;
}

/** The result of {@link measureRetained}. */
export interface Retained<T> {
  /** What the operation returned (still referenced, so it stays alive). */
  result: T;
  /** Wall-clock time of the operation alone, in milliseconds (the collections around it are not counted). */
  ms: number;
  /** Growth of {@link HeapSample.total} from before the operation to after it, with `result` alive. */
  bytes: number;
  /** The V8-heap part of `bytes`. */
  heapBytes: number;
  /** The ArrayBuffer part of `bytes`. */
  arrayBufferBytes: number;
}

/** The `gc` function exposed by `node --expose-gc`; throws a clear error when the flag is missing. */
export function requireGc(): () => void {
  const gc = globalThis.gc;
  if (typeof gc !== 'function') {
    throw new Error('this benchmark needs a forced GC: run it with `node --expose-gc`');
  }
  return () => {
    gc();
  };
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Forces full (major, synchronous) collections until memory settles, then samples it. Several collections with an
 * event-loop turn between them: V8 frees ArrayBuffer backing stores and finalises weak objects after the collection
 * that found them dead, so a single `gc()` can leave freed memory still counted.
 */
export async function settleHeap(): Promise<HeapSample> {
  const gc = requireGc();
  let last = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 6; round++) {
    gc();
    await nextTurn();
    gc();
    const { heapUsed, arrayBuffers } = process.memoryUsage();
    const total = heapUsed + arrayBuffers;
    // Stop once two consecutive samples agree within 16 KiB.
    if (Math.abs(total - last) < 16 * 1024) return { heapUsed, arrayBuffers, total };
    last = total;
  }
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return { heapUsed, arrayBuffers, total: heapUsed + arrayBuffers };
}

/**
 * Runs `operation` once between two settled heap samples: returns its result, its wall-clock time and the memory its
 * result retains. Anything the operation only reads (its input) must already exist before the call, or it is counted
 * as retained; anything it allocates and drops is garbage and is not counted.
 */
export async function measureRetained<T>(operation: () => Promise<T> | T): Promise<Retained<T>> {
  const before = await settleHeap();
  const start = now();
  const result = await operation();
  const ms = elapsedMs(start);
  const after = await settleHeap();
  return {
    result,
    ms,
    bytes: after.total - before.total,
    heapBytes: after.heapUsed - before.heapUsed,
    arrayBufferBytes: after.arrayBuffers - before.arrayBuffers,
  };
}

/** A monotonic timestamp in nanoseconds (`process.hrtime.bigint()`). */
export function now(): bigint {
  return process.hrtime.bigint();
}

/** Milliseconds elapsed since a {@link now} timestamp, as a float. */
export function elapsedMs(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** Times a synchronous or asynchronous function once; returns its result and the time in milliseconds. */
export async function time<T>(fn: () => Promise<T> | T): Promise<{ result: T; ms: number }> {
  const start = now();
  const result = await fn();
  return { result, ms: elapsedMs(start) };
}

/** The median of a non-empty list (the mean of the two middle values for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of an empty list');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** A seeded pseudo-random generator (see {@link mulberry32}). */
export interface Prng {
  /** A uniform unsigned 32-bit integer in [0, 2^32). */
  uint32(): number;
  /** A uniform float in [0, 1). */
  float(): number;
  /** A uniform integer in [min, max] (inclusive; the range must be at most 2^32 wide). */
  int(min: number, max: number): number;
  /**
   * Shuffles `items` in place (Fisher–Yates) and returns it. Generic over array types: V8 specialises code per
   * element kind, so a timed hot path that shuffles one kind of array should use its own loop instead.
   */
  shuffle<A extends { length: number; [index: number]: unknown }>(items: A): A;
}

/**
 * mulberry32: a tiny, fast, seeded 32-bit PRNG (period 2^32). Good enough to generate reproducible workloads and
 * shuffles; not for cryptography.
 *
 * @example
 * ```ts
 * const rng = mulberry32(42);
 * rng.int(16, 28); // the same sequence on every run
 * ```
 */
export function mulberry32(seed: number): Prng {
  let state = seed >>> 0;
  const uint32 = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  const float = (): number => uint32() / 4294967296;
  const int = (min: number, max: number): number => min + Math.floor(float() * (max - min + 1));
  const shuffle = <A extends { length: number; [index: number]: unknown }>(items: A): A => {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(float() * (i + 1));
      const item = items[i];
      items[i] = items[j];
      items[j] = item;
    }
    return items;
  };
  return { uint32, float, int, shuffle };
}

/** One benchmark goal, as printed by {@link printGoal}. */
export interface Goal {
  /** The benchmark's name, e.g. `targets`. */
  bench: string;
  /** What was measured, e.g. `speedup_vs_naive_16`. */
  metric: string;
  /** The measured value (never hard-coded). */
  value: number;
  /** The target value. */
  goal: number;
  /** Whether a value above the goal (`higher`) or below it (`lower`) meets it. */
  better: 'higher' | 'lower';
}

/** Whether a measured value meets its goal. */
export function meetsGoal(goal: Goal): boolean {
  return goal.better === 'higher' ? goal.value >= goal.goal : goal.value <= goal.goal;
}

/**
 * Prints one goal as a single JSON line on stdout, keys in a fixed order:
 * `{"bench":"targets","metric":"…","value":N,"goal":N,"better":"higher"}`. The value is rounded to `digits`
 * significant decimals (default 2) so lines stay readable.
 */
export function printGoal(goal: Goal, digits = 2): void {
  const scale = 10 ** digits;
  const value = Number.isFinite(goal.value) ? Math.round(goal.value * scale) / scale : goal.value;
  process.stdout.write(
    `${JSON.stringify({ bench: goal.bench, metric: goal.metric, value, goal: goal.goal, better: goal.better })}\n`,
  );
}

/** Bytes as a short human-readable string (`12.3 MiB`). Negative values keep their sign. */
export function formatBytes(bytes: number): string {
  const sign = bytes < 0 ? '-' : '';
  let value = Math.abs(bytes);
  for (const unit of ['B', 'KiB', 'MiB', 'GiB']) {
    if (value < 1024 || unit === 'GiB') return `${sign}${unit === 'B' ? value : value.toFixed(1)} ${unit}`;
    value /= 1024;
  }
  return `${sign}${value} B`;
}

/** A large count with thousands separators (`12,345,678`). */
export function formatCount(value: number | bigint): string {
  return value.toLocaleString('en-US');
}

/** Milliseconds with a sensible precision (`0.042 ms`, `12.3 ms`, `1,234 ms`). */
export function formatMs(ms: number): string {
  if (ms < 1) return `${ms.toFixed(3)} ms`;
  if (ms < 100) return `${ms.toFixed(1)} ms`;
  return `${Math.round(ms).toLocaleString('en-US')} ms`;
}

/** Correctness checks of a benchmark: {@link createChecks}. */
export interface Checks {
  /** Prints one check (`ok` or `FAIL`) and remembers a failure. */
  check(ok: boolean, what: string, detail?: string): void;
  /** Exits 1, printing every failure, if any check failed: no goal line is printed after a failed check. */
  stopIfFailed(): void;
}

/** The correctness checks of one benchmark script, printed with `indent`. */
export function createChecks(indent = '  '): Checks {
  const failures: string[] = [];
  return {
    check(ok, what, detail = '') {
      console.log(`${indent}${ok ? 'ok  ' : 'FAIL'} ${what}${detail === '' ? '' : ` (${detail})`}`);
      if (!ok) failures.push(`${what}${detail === '' ? '' : `: ${detail}`}`);
    },
    stopIfFailed() {
      if (failures.length === 0) return;
      console.error(`\ncorrectness check failed, no goal is reported:\n- ${failures.join('\n- ')}`);
      process.exit(1);
    },
  };
}
