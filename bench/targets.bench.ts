/**
 * Benchmark: target preparation in `@scanplane/core` against a naive "every address is a string in a Set" baseline.
 *
 * Run with `pnpm bench:targets` after building the package (`cd packages/core && pnpm build`): it imports the BUILT
 * output, `packages/core/dist/index.js`, like a user of the published package would.
 *
 * WORKLOADS (seeded with WORKLOAD_SEED, so every run generates exactly the same entries)
 * - /8 workload: `10.0.0.0/8`; 200,000 random single addresses; 20,000 random CIDRs; 5,000 exclusions.
 * - /16-scale workload: the same generator with every count divided by 256 and rounded: `10.0.0.0/16`, 781 single
 *   addresses, 78 CIDRs, 20 exclusions.
 * - Single addresses and CIDR network addresses are drawn uniformly from the whole IPv4 space (internet scale). CIDR
 *   prefix lengths are uniform in 16..28 and written with host bits cleared (`a.b.c.d/p`). With a mean block of about
 *   10,000 addresses, the random CIDRs dominate the address count at both scales (~200 M at /8 scale, ~0.9 M at /16
 *   scale), and the base block and the single addresses contribute only a small share.
 * - Exclusions: half single addresses and half CIDRs with prefixes uniform in 24..30. Each is placed inside the base
 *   block (/8 or /16) with probability 1/2 (so exclusions really cut holes in what is scanned) and anywhere in IPv4
 *   otherwise.
 * - Target entries (the base block, the single addresses and the CIDRs) are shuffled together with the same PRNG and
 *   given to `prepare()` as one array of strings. Exclusions go in `exclude`, as strings too. Options:
 *   `{ maxAddresses: 2 ** 24, resolve: false }` (no hostnames in the workload; the /8 sits exactly at the default
 *   cap). The default scope policy applies: private ranges are allowed, but 0/8 (unspecified), 224/4 (multicast),
 *   240/4 (reserved) and 255.255.255.255 (broadcast) are refused. Random draws that land there are refused and
 *   counted, as they would be on real input (about 13% of uniform draws).
 *
 * THE OPERATION (timed as one, the same four steps on both sides)
 * 1. prepare: scanplane `prepare()`; baseline: expand every entry, address by address, into a `Set<string>` of dotted
 *    strings (CIDRs in full, network and broadcast included, as scanplane does by default), skipping addresses in
 *    the refused blocks (numeric check against the same four blocks); expand the exclusions into a second Set; delete
 *    every excluded address from the first.
 * 2. count: `summary.addresses`; baseline: `set.size`.
 * 3. cover: `[...prepared.addresses.cidrs()]`, the minimal CIDR cover; baseline: parse every string back to a
 *    number, sort them numerically (a typed-array sort, the fastest sort JS offers), then walk the sorted values
 *    into runs of consecutive addresses and each run into its largest aligned CIDR blocks.
 * 4. enumerate in a seeded order: `set.chunks({ seed: ORDER_SEED })`; baseline: a copy of the sorted values shuffled
 *    with Fisher–Yates driven by mulberry32(ORDER_SEED). Both fold every value into a checksum (count, exact sum,
 *    xor), so no work can be optimised away.
 *
 * The baseline is deliberately plain, but where a naive implementation could be slower than needed the faster
 * choice was taken (numeric refusal check while expanding, typed-array sort, shuffling numbers rather than strings),
 * so the speed-up is, if anything, understated. Each side starts every measured run after forced full GCs; any JIT
 * re-optimisation that a GC triggers in either side's code is part of those runs' times (printed for reference).
 *
 * CORRECTNESS (the script exits 1, printing no goal line, if any check fails)
 * At /16 scale the two sides must agree on: the count; the CIDR cover, string for string; the checksum of the seeded
 * enumeration (same multiset of addresses). scanplane's seeded order must not be ascending, must be the same on two
 * walks with the same seed, and its checksum must equal that of the ascending walk. At /8 scale: the seeded and
 * ascending walks have equal checksums, and the count equals the sum of the cover's block sizes.
 *
 * METRICS (one JSON goal line each, printed last; a missed goal is reported, not an error)
 * - speedup_vs_naive_16: median baseline time / median scanplane time of the operation at /16 scale. After
 *   WARMUP_RUNS warm-up runs of each side, each side is timed in its own block (TIMED_RUNS for scanplane,
 *   BASELINE_TIMED_RUNS for the baseline), with one settled heap before the block and no forced GC between runs, the
 *   way benchmark harnesses time an operation. Timing inside the memory runs below would put up to twelve forced full
 *   collections before every ~10 ms scanplane run, which makes V8 age and re-tier its code: that measures
 *   recompilation, and penalises the short side only. Those times, and the cold first run of each side, are printed
 *   for reference.
 * - memory_ratio_vs_naive_16: median baseline retained bytes / median scanplane retained bytes at /16 scale. Retained
 *   = (heapUsed + arrayBuffers) after forced full GCs with the result still referenced, minus the same before the
 *   operation; the workload strings exist before the "before" sample. The result kept is what each side holds to
 *   represent the prepared targets: the `PreparedTargets` object (address ranges, lazily built offset tables,
 *   per-entry outcomes, provenance, summary) for scanplane, the accepted `Set<string>` for the baseline (its sorted
 *   array, cover and shuffled copy are dropped, which again favours the baseline).
 * - heap_growth_mb_8: the same retained measure for the whole operation on the /8 workload, `PreparedTargets`
 *   retained, in MiB (2^20 bytes). Goal: under 64.
 * - enumeration_addresses_per_second: accepted addresses of the /8 workload divided by the time to walk them all in
 *   ascending order with `set.chunks()` (no seed) summing every value; median of ENUMERATION_RUNS runs after a
 *   warm-up. Goal: at least 50 million per second.
 */
import {
  type AddressSet,
  type PreparedTargets,
  type PrepareOptions,
  prepare,
  type RefusalReason,
} from '../packages/core/dist/index.js';
import {
  createChecks,
  elapsedMs,
  formatBytes,
  formatCount,
  formatMs,
  type Goal,
  measureRetained,
  median,
  meetsGoal,
  mulberry32,
  now,
  printGoal,
  settleHeap,
} from './support/measure.js';

const BENCH = 'targets';
const WORKLOAD_SEED = 0x5ca9_1a4e;
const ORDER_SEED = 20_240_611;
const WARMUP_RUNS = 3;
const TIMED_RUNS = 15;
const BASELINE_TIMED_RUNS = 5;
const MEASURED_RUNS = 5;
const ENUMERATION_RUNS = 5;
const MIB = 1024 * 1024;

// ---------------------------------------------------------------------------------------------------------------
// Workload
// ---------------------------------------------------------------------------------------------------------------

interface Workload {
  name: string;
  base: string;
  targets: string[];
  exclude: string[];
  counts: { singles: number; cidrs: number; exclusions: number };
}

const FULL = { singles: 200_000, cidrs: 20_000, exclusions: 5_000 };

/** Dotted-decimal text of an unsigned 32-bit value (independent of scanplane's formatter). */
function dotted(value: number): string {
  return `${Math.floor(value / 16777216) % 256}.${Math.floor(value / 65536) % 256}.${Math.floor(value / 256) % 256}.${value % 256}`;
}

/** The network address of the /prefix block holding `value`. */
function network(value: number, prefix: number): number {
  const size = 2 ** (32 - prefix);
  return Math.floor(value / size) * size;
}

/**
 * Generates the workload for a base block `10.0.0.0/baseBits`, with every count of the /8 workload divided by
 * `divisor` and rounded.
 */
function generateWorkload(baseBits: 8 | 16, divisor: number): Workload {
  const rng = mulberry32(WORKLOAD_SEED);
  const counts = {
    singles: Math.round(FULL.singles / divisor),
    cidrs: Math.round(FULL.cidrs / divisor),
    exclusions: Math.round(FULL.exclusions / divisor),
  };
  const baseFirst = 0x0a000000;
  const baseSize = 2 ** (32 - baseBits);
  const base = `${dotted(baseFirst)}/${baseBits}`;
  const targets: string[] = [base];
  for (let i = 0; i < counts.singles; i++) targets.push(dotted(rng.uint32()));
  for (let i = 0; i < counts.cidrs; i++) {
    const prefix = rng.int(16, 28);
    targets.push(`${dotted(network(rng.uint32(), prefix))}/${prefix}`);
  }
  rng.shuffle(targets);
  const exclude: string[] = [];
  for (let i = 0; i < counts.exclusions; i++) {
    const inside = rng.float() < 0.5;
    const address = inside ? baseFirst + Math.floor(rng.float() * baseSize) : rng.uint32();
    if (rng.float() < 0.5) exclude.push(dotted(address));
    else {
      const prefix = rng.int(24, 30);
      exclude.push(`${dotted(network(address, prefix))}/${prefix}`);
    }
  }
  return { name: `/${baseBits}`, base, targets, exclude, counts };
}

// ---------------------------------------------------------------------------------------------------------------
// Checksums
// ---------------------------------------------------------------------------------------------------------------

/** Order-independent fingerprint of a multiset of addresses: count, exact sum, xor. */
interface Checksum {
  count: number;
  sum: bigint;
  xor: number;
}

const newChecksum = (): Checksum => ({ count: 0, sum: 0n, xor: 0 });

/** Folds `values[from..to)` into `checksum`; slices of up to 2^20 values keep the float sum exact (< 2^52). */
function addToChecksum(checksum: Checksum, values: ArrayLike<number>, from = 0, to = values.length): void {
  for (let start = from; start < to; start += 1 << 20) {
    const end = Math.min(to, start + (1 << 20));
    let sum = 0;
    let xor = checksum.xor;
    for (let i = start; i < end; i++) {
      const value = values[i] as number;
      sum += value;
      xor ^= value;
    }
    checksum.sum += BigInt(sum);
    checksum.xor = xor;
    checksum.count += end - start;
  }
}

const sameChecksum = (a: Checksum, b: Checksum): boolean =>
  a.count === b.count && a.sum === b.sum && a.xor >>> 0 === b.xor >>> 0;

const showChecksum = (c: Checksum): string =>
  `count=${c.count} sum=${c.sum} xor=0x${(c.xor >>> 0).toString(16).padStart(8, '0')}`;

// ---------------------------------------------------------------------------------------------------------------
// scanplane side
// ---------------------------------------------------------------------------------------------------------------

const PREPARE_OPTIONS: Omit<PrepareOptions, 'exclude'> = { maxAddresses: 2 ** 24, resolve: false };

interface StepTimes {
  prepare: number;
  count: number;
  cover: number;
  enumerate: number;
}

interface ScanplaneRun {
  prepared: PreparedTargets;
  count: bigint;
  cover: string[] | undefined;
  coverLength: number;
  checksum: Checksum;
  steps: StepTimes;
}

/** Walks `set` in the given order, folding every IPv4 value into a checksum. */
function walk(set: AddressSet, seed: number | undefined): Checksum {
  const checksum = newChecksum();
  for (const chunk of seed === undefined ? set.chunks() : set.chunks({ seed })) {
    if (chunk.family !== 4)
      throw new Error('the workload has no IPv6 address, yet an IPv6 chunk was produced');
    addToChecksum(checksum, chunk.values);
  }
  return checksum;
}

/** prepare + count + full CIDR cover + full seeded enumeration. `keepCover` keeps the cover for comparison. */
async function scanplaneOperation(workload: Workload, keepCover: boolean): Promise<ScanplaneRun> {
  const t0 = now();
  const prepared = await prepare(workload.targets, { ...PREPARE_OPTIONS, exclude: workload.exclude });
  const t1 = now();
  const count = prepared.summary.addresses;
  const t2 = now();
  const cover = [...prepared.addresses.cidrs()];
  const t3 = now();
  const checksum = walk(prepared.addresses, ORDER_SEED);
  const t4 = now();
  const ms = (a: bigint, b: bigint): number => Number(b - a) / 1e6;
  return {
    prepared,
    count,
    cover: keepCover ? cover : undefined,
    coverLength: cover.length,
    checksum,
    steps: { prepare: ms(t0, t1), count: ms(t1, t2), cover: ms(t2, t3), enumerate: ms(t3, t4) },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Naive baseline: every address as a string in a Set (what Falcoria does in Python)
// ---------------------------------------------------------------------------------------------------------------

/** The blocks scanplane's default policy refuses: 0/8, 224/4, 240/4 (255.255.255.255 is inside 240/4). */
const REFUSED_BLOCKS: ReadonlyArray<readonly [number, number]> = [
  [0x00000000, 0x00ffffff],
  [0xe0000000, 0xefffffff],
  [0xf0000000, 0xffffffff],
];

function isRefused(value: number): boolean {
  for (const [first, last] of REFUSED_BLOCKS) if (value >= first && value <= last) return true;
  return false;
}

function parseDotted(text: string): number {
  const [a, b, c, d] = text.split('.').map(Number) as [number, number, number, number];
  return ((a * 256 + b) * 256 + c) * 256 + d;
}

/** Adds every address of `entry` (`a.b.c.d` or `a.b.c.d/p`) to `into`, skipping refused ones when asked. */
function expandInto(entry: string, into: Set<string>, refuse: boolean): void {
  const [address, prefixText] = entry.split('/') as [string, string | undefined];
  const prefix = prefixText === undefined ? 32 : Number(prefixText);
  const first = network(parseDotted(address), prefix);
  const last = first + 2 ** (32 - prefix) - 1;
  for (let value = first; value <= last; value++) {
    if (refuse && isRefused(value)) continue;
    into.add(dotted(value));
  }
}

/** The minimal CIDR cover of ascending, distinct values. */
function naiveCover(sorted: Uint32Array): string[] {
  const cover: string[] = [];
  let i = 0;
  while (i < sorted.length) {
    let j = i;
    while (j + 1 < sorted.length && (sorted[j + 1] as number) === (sorted[j] as number) + 1) j++;
    // Split the run [start, end] into the largest aligned blocks.
    let start = sorted[i] as number;
    const end = sorted[j] as number;
    while (start <= end) {
      let size = 1;
      while (size < 2 ** 32 && start % (size * 2) === 0 && start + size * 2 - 1 <= end) size *= 2;
      cover.push(`${dotted(start)}/${32 - Math.log2(size)}`);
      start += size;
    }
    i = j + 1;
  }
  return cover;
}

/** A copy of `values` in a seeded order: Fisher–Yates driven by mulberry32(seed). */
function shuffleCopy(values: Uint32Array, seed: number): Uint32Array {
  const rng = mulberry32(seed);
  const out = values.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng.float() * (i + 1));
    const value = out[i] as number;
    out[i] = out[j] as number;
    out[j] = value;
  }
  return out;
}

interface BaselineRun {
  accepted: Set<string>;
  count: number;
  cover: string[] | undefined;
  checksum: Checksum;
  steps: StepTimes;
}

function baselineOperation(workload: Workload, keepCover: boolean): BaselineRun {
  const t0 = now();
  const accepted = new Set<string>();
  for (const entry of workload.targets) expandInto(entry, accepted, true);
  const excluded = new Set<string>();
  for (const entry of workload.exclude) expandInto(entry, excluded, false);
  for (const address of excluded) accepted.delete(address);
  const t1 = now();
  const count = accepted.size;
  const t2 = now();
  const sorted = Uint32Array.from(accepted, parseDotted).sort();
  const cover = naiveCover(sorted);
  const t3 = now();
  const shuffled = shuffleCopy(sorted, ORDER_SEED);
  const checksum = newChecksum();
  addToChecksum(checksum, shuffled);
  const t4 = now();
  const ms = (a: bigint, b: bigint): number => Number(b - a) / 1e6;
  return {
    accepted,
    count,
    cover: keepCover ? cover : undefined,
    checksum,
    steps: { prepare: ms(t0, t1), count: ms(t1, t2), cover: ms(t2, t3), enumerate: ms(t3, t4) },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Checks and output helpers
// ---------------------------------------------------------------------------------------------------------------

const { check, stopIfFailed } = createChecks();

/** Counts descents (value smaller than its predecessor) in a seeded walk, and the first chunk for comparison. */
function orderProfile(set: AddressSet, seed: number): { descents: number; head: number[] } {
  let descents = 0;
  let previous = -1;
  let head: number[] = [];
  for (const chunk of set.chunks({ seed })) {
    if (chunk.family !== 4)
      throw new Error('the workload has no IPv6 address, yet an IPv6 chunk was produced');
    if (head.length === 0) head = Array.from(chunk.values.subarray(0, 1000));
    for (const value of chunk.values) {
      if (value < previous) descents++;
      previous = value;
    }
  }
  return { descents, head };
}

const stepLine = (steps: StepTimes): string =>
  `prepare ${formatMs(steps.prepare)}, count ${formatMs(steps.count)}, cover ${formatMs(steps.cover)}, ` +
  `seeded enumeration ${formatMs(steps.enumerate)}`;

const medianSteps = (runs: StepTimes[]): StepTimes => ({
  prepare: median(runs.map((s) => s.prepare)),
  count: median(runs.map((s) => s.count)),
  cover: median(runs.map((s) => s.cover)),
  enumerate: median(runs.map((s) => s.enumerate)),
});

function refusedLine(refused: Partial<Record<RefusalReason, number | bigint>>): string {
  const parts = Object.entries(refused).map(
    ([reason, count]) => `${reason} ${formatCount(count as number | bigint)}`,
  );
  return parts.length === 0 ? 'none' : parts.join(', ');
}

// ---------------------------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------------------------

const started = now();
console.log(
  `targets benchmark — node ${process.version}, workload seed 0x${WORKLOAD_SEED.toString(16)}, order seed ${ORDER_SEED}`,
);

// 1. /16 scale: correctness, then timing and memory against the baseline.
const small = generateWorkload(16, 256);
console.log(
  `\n/16-scale workload: ${small.base}, ${small.counts.singles} single addresses, ${small.counts.cidrs} CIDRs (/16-/28), ` +
    `${small.counts.exclusions} exclusions`,
);

console.log('correctness (first run of each side):');
let coldScanplane = 0;
let coldBaseline = 0;
{
  const mineStart = now();
  const mine = await scanplaneOperation(small, true);
  coldScanplane = elapsedMs(mineStart);
  const theirsStart = now();
  const theirs = baselineOperation(small, true);
  coldBaseline = elapsedMs(theirsStart);
  check(
    mine.count === BigInt(theirs.count),
    'same count',
    `scanplane ${mine.count}, baseline ${theirs.count}`,
  );
  const coverA = mine.cover ?? [];
  const coverB = theirs.cover ?? [];
  const firstDiff = coverA.findIndex((cidr, i) => cidr !== coverB[i]);
  check(
    coverA.length === coverB.length && firstDiff === -1,
    'same CIDR cover',
    `${coverA.length} vs ${coverB.length} blocks` +
      (firstDiff === -1
        ? ''
        : `, first difference at ${firstDiff}: ${coverA[firstDiff]} vs ${coverB[firstDiff]}`),
  );
  check(
    sameChecksum(mine.checksum, theirs.checksum),
    'same addresses in the seeded enumeration',
    `scanplane ${showChecksum(mine.checksum)}; baseline ${showChecksum(theirs.checksum)}`,
  );
  const ascending = walk(mine.prepared.addresses, undefined);
  check(sameChecksum(ascending, mine.checksum), 'seeded and ascending walks hold the same addresses');
  const profile = orderProfile(mine.prepared.addresses, ORDER_SEED);
  const again = orderProfile(mine.prepared.addresses, ORDER_SEED);
  check(profile.descents > 0, 'seeded order is not ascending', `${formatCount(profile.descents)} descents`);
  check(
    profile.head.length > 0 && profile.head.every((value, i) => value === again.head[i]),
    'seeded order is reproducible',
  );
  console.log(
    `  accepted ${formatCount(mine.count)} addresses in ${formatCount(mine.prepared.summary.ranges)} ranges, ` +
      `${formatCount(coverA.length)} CIDRs; entries refused: ${refusedLine(mine.prepared.summary.refused)}`,
  );
}
stopIfFailed();

for (let run = 1; run < WARMUP_RUNS; run++) {
  await scanplaneOperation(small, false);
  baselineOperation(small, false);
}

// Timing: each side in its own block of runs, after the warm-up, with one settled heap before the block and no
// forced collection between runs. (Forcing full collections before each run of a ~10 ms operation makes V8 age and
// re-tier its code, so such a run measures recompilation more than the operation; those runs are used for memory.)
const scanplaneTimes: number[] = [];
const scanplaneSteps: StepTimes[] = [];
await settleHeap();
for (let run = 0; run < TIMED_RUNS; run++) {
  const start = now();
  const mine = await scanplaneOperation(small, false);
  scanplaneTimes.push(elapsedMs(start));
  scanplaneSteps.push(mine.steps);
}
const baselineTimes: number[] = [];
const baselineSteps: StepTimes[] = [];
await settleHeap();
for (let run = 0; run < BASELINE_TIMED_RUNS; run++) {
  const start = now();
  const theirs = baselineOperation(small, false);
  baselineTimes.push(elapsedMs(start));
  baselineSteps.push(theirs.steps);
}

// Memory: retained bytes between settled heaps, alternating sides; every run's enumeration is checked again.
const scanplaneBytes: number[] = [];
const baselineBytes: number[] = [];
const settledTimes = { scanplane: [] as number[], baseline: [] as number[] };
for (let run = 0; run < MEASURED_RUNS; run++) {
  const mine = await measureRetained(() => scanplaneOperation(small, false));
  scanplaneBytes.push(mine.bytes);
  settledTimes.scanplane.push(mine.ms);
  const theirs = await measureRetained(() => baselineOperation(small, false));
  baselineBytes.push(theirs.bytes);
  settledTimes.baseline.push(theirs.ms);
  if (!sameChecksum(mine.result.checksum, theirs.result.checksum)) {
    check(false, `run ${run + 1}: same addresses in the seeded enumeration`);
  }
}
stopIfFailed();

const scanplaneMs = median(scanplaneTimes);
const baselineMs = median(baselineTimes);
const scanplaneRetained = median(scanplaneBytes);
const baselineRetained = median(baselineBytes);
const speedup = baselineMs / scanplaneMs;
const memoryRatio = baselineRetained / scanplaneRetained;
console.log(
  `timing: median of ${TIMED_RUNS} (scanplane) and ${BASELINE_TIMED_RUNS} (baseline) warm runs, each side in its own block:`,
);
console.log(`  scanplane: ${formatMs(scanplaneMs)} (${stepLine(medianSteps(scanplaneSteps))})`);
console.log(`  baseline:  ${formatMs(baselineMs)} (${stepLine(medianSteps(baselineSteps))})`);
console.log(`  runs (ms): scanplane ${scanplaneTimes.map((t) => t.toFixed(1)).join(' ')}`);
console.log(`             baseline  ${baselineTimes.map((t) => t.toFixed(1)).join(' ')}`);
console.log(
  `  for reference, cold first runs: scanplane ${formatMs(coldScanplane)}, baseline ${formatMs(coldBaseline)}; ` +
    `runs after forced full GCs (median): scanplane ${formatMs(median(settledTimes.scanplane))}, ` +
    `baseline ${formatMs(median(settledTimes.baseline))}`,
);
console.log(`memory: median retained bytes of ${MEASURED_RUNS} runs per side between settled heaps:`);
console.log(`  scanplane ${formatBytes(scanplaneRetained)}, baseline ${formatBytes(baselineRetained)}`);
console.log(`  speed-up ${speedup.toFixed(1)}×, memory ratio ${memoryRatio.toFixed(1)}×`);

// 2. /8 workload: the same operation once, with retained heap, then the ascending enumeration rate.
const large = generateWorkload(8, 1);
console.log(
  `\n/8 workload: ${large.base}, ${formatCount(large.counts.singles)} single addresses, ` +
    `${formatCount(large.counts.cidrs)} CIDRs (/16-/28), ${formatCount(large.counts.exclusions)} exclusions`,
);
const big = await measureRetained(() => scanplaneOperation(large, false));
const prepared = big.result.prepared;
const summary = prepared.summary;
console.log(`  ${stepLine(big.result.steps)}; total ${formatMs(big.ms)}`);
console.log(
  `  accepted ${formatCount(summary.addresses)} addresses in ${formatCount(summary.ranges)} ranges, ` +
    `cover of ${formatCount(big.result.coverLength)} CIDRs`,
);
console.log(
  `  entries: ${formatCount(summary.provided)} provided, ${formatCount(summary.accepted)} accepted, ` +
    `${formatCount(summary.duplicates)} duplicates; refused: ${refusedLine(summary.refused)}`,
);
console.log(`  refused addresses: ${refusedLine(summary.refusedAddresses)}`);
console.log(
  `  heap growth with the result retained: ${formatBytes(big.bytes)} ` +
    `(V8 heap ${formatBytes(big.heapBytes)}, array buffers ${formatBytes(big.arrayBufferBytes)})`,
);
console.log('correctness at /8 scale:');
check(
  big.result.checksum.count === Number(summary.addresses),
  'seeded walk visits every accepted address once',
  `${formatCount(big.result.checksum.count)} visited`,
);
{
  let coverTotal = 0;
  for (const cidr of prepared.addresses.cidrs())
    coverTotal += 2 ** (32 - Number(cidr.slice(cidr.indexOf('/') + 1)));
  check(coverTotal === Number(summary.addresses), 'CIDR cover sizes add up to the count');
}

const enumerationTimes: number[] = [];
let ascending = walk(prepared.addresses, undefined); // warm-up
for (let run = 0; run < ENUMERATION_RUNS; run++) {
  await settleHeap();
  const start = now();
  ascending = walk(prepared.addresses, undefined);
  enumerationTimes.push(elapsedMs(start));
}
check(sameChecksum(ascending, big.result.checksum), 'seeded and ascending walks hold the same addresses');
stopIfFailed();
const enumerationMs = median(enumerationTimes);
const rate = ascending.count / (enumerationMs / 1000);
console.log(
  `ascending enumeration of ${formatCount(ascending.count)} addresses: median ${formatMs(enumerationMs)} ` +
    `(runs ${enumerationTimes.map((t) => t.toFixed(0)).join(' ')} ms) = ${formatCount(Math.round(rate))} addresses/s`,
);

// 3. Goals.
const goals: Goal[] = [
  { bench: BENCH, metric: 'speedup_vs_naive_16', value: speedup, goal: 100, better: 'higher' },
  { bench: BENCH, metric: 'memory_ratio_vs_naive_16', value: memoryRatio, goal: 100, better: 'higher' },
  { bench: BENCH, metric: 'heap_growth_mb_8', value: big.bytes / MIB, goal: 64, better: 'lower' },
  {
    bench: BENCH,
    metric: 'enumeration_addresses_per_second',
    value: rate,
    goal: 50_000_000,
    better: 'higher',
  },
];
console.log(`\ngoals (total run time ${formatMs(elapsedMs(started))}):`);
for (const goal of goals) console.log(`  ${meetsGoal(goal) ? 'met   ' : 'MISSED'} ${goal.metric}`);
for (const goal of goals)
  printGoal({ ...goal, value: goal.metric.endsWith('per_second') ? Math.round(goal.value) : goal.value });
