import { Growable } from '../util/growable.js';
import type { PairSkip, ScheduleSkipReason } from './plan-schedule.js';

/** Skip reasons by code (code = index + 1; a verdict is the negated code). */
export const SKIP_REASONS: readonly ScheduleSkipReason[] = [
  'invalid-definition',
  'unknown-type',
  'scan-disabled',
  'organization-disabled',
  'not-selected',
  'passive-organization',
  'already-active',
  'not-due',
  'single-shot-done',
  'single-shot-failed',
  'waiting-for-dependency',
];

/** The code of a skip reason. */
export const skipCode = (reason: ScheduleSkipReason): number => SKIP_REASONS.indexOf(reason) + 1;

/** Due times are kept in blocks of this many. */
const DUE_BLOCK = 8192;

/**
 * The skipped pairs of one decision, compact (a tick decides hundreds of thousands of pairs, and most ticks never
 * look at the ones that do not run, so they become {@link PairSkip} objects only when read): four bytes per skip
 * (organization and reason), the scan once per run of skips, the due time only for the skips that have one, and
 * the rare detail. Kept small because typed arrays live outside the JavaScript heap, and V8 starts a full
 * collection of the whole heap each time that outside memory grows by a fixed amount.
 *
 * @internal
 */
export class SkipLog {
  readonly #scanIds: readonly string[];
  readonly #organizationIds: readonly string[];
  /** Per skip: (organization index + 1) × 16 + reason code; organization index −1 is a global scan or a whole scan. */
  readonly #entries: Growable<Int32Array>;
  /** Runs of consecutive skips of one scan: where each run starts, and its scan. */
  readonly #runStarts: number[] = [];
  readonly #runScans: number[] = [];
  /** The skips with a due time: their indexes (ascending) and due times, in blocks (no regrowth copies). */
  readonly #dueIndexes: Uint32Array[] = [];
  readonly #dueAts: Float64Array[] = [];
  #dueCount = 0;
  readonly #details = new Map<number, string>();

  /** `capacity`: how many skips to make room for at once (the log grows past it if need be). */
  constructor(scanIds: readonly string[], organizationIds: readonly string[], capacity = 1024) {
    this.#scanIds = scanIds;
    this.#organizationIds = organizationIds;
    this.#entries = new Growable(Int32Array, Math.max(1, capacity));
  }

  get length(): number {
    return this.#entries.length;
  }

  /** Records a skip; `dueAt` NaN or undefined when there is none. */
  add(scanIndex: number, organizationIndex: number, code: number, dueAt?: number, detail?: string): void {
    const index = this.#entries.push((organizationIndex + 1) * 16 + code);
    const runs = this.#runScans.length;
    if (runs === 0 || this.#runScans[runs - 1] !== scanIndex) {
      this.#runStarts.push(index);
      this.#runScans.push(scanIndex);
    }
    if (dueAt !== undefined && !Number.isNaN(dueAt)) {
      const slot = this.#dueCount++ % DUE_BLOCK;
      if (slot === 0) {
        this.#dueIndexes.push(new Uint32Array(DUE_BLOCK));
        this.#dueAts.push(new Float64Array(DUE_BLOCK));
      }
      (this.#dueIndexes[this.#dueIndexes.length - 1] as Uint32Array)[slot] = index;
      (this.#dueAts[this.#dueAts.length - 1] as Float64Array)[slot] = dueAt;
    }
    if (detail !== undefined) this.#details.set(index, detail);
  }

  /** Every skip as a {@link PairSkip}: scans in index order, and within a scan, organizations in index order. */
  toArray(): PairSkip[] {
    const length = this.length;
    const scanOf = new Uint32Array(length);
    for (let run = 0; run < this.#runStarts.length; run++) {
      const end = run + 1 < this.#runStarts.length ? (this.#runStarts[run + 1] as number) : length;
      scanOf.fill(this.#runScans[run] as number, this.#runStarts[run] as number, end);
    }
    const dueAt = new Float64Array(length).fill(Number.NaN);
    for (let k = 0; k < this.#dueCount; k++) {
      const block = Math.floor(k / DUE_BLOCK);
      const slot = k % DUE_BLOCK;
      dueAt[(this.#dueIndexes[block] as Uint32Array)[slot] as number] = (this.#dueAts[block] as Float64Array)[
        slot
      ] as number;
    }
    const organizationOf = (i: number): number => Math.floor(this.#entries.get(i) / 16) - 1;
    const order = Array.from({ length }, (_, i) => i).sort(
      (a, b) =>
        (scanOf[a] as number) - (scanOf[b] as number) || organizationOf(a) - organizationOf(b) || a - b,
    );
    const out: PairSkip[] = new Array(length);
    for (let k = 0; k < order.length; k++) {
      const i = order[k] as number;
      const entry = this.#entries.get(i);
      const skip: PairSkip = {
        scanId: this.#scanIds[scanOf[i] as number] as string,
        reason: SKIP_REASONS[(entry % 16) - 1] as ScheduleSkipReason,
      };
      const organization = organizationOf(i);
      if (organization >= 0) skip.organizationId = this.#organizationIds[organization] as string;
      const detail = this.#details.get(i);
      if (detail !== undefined) skip.detail = detail;
      const due = dueAt[i] as number;
      if (!Number.isNaN(due)) skip.dueAt = due;
      out[k] = skip;
    }
    return out;
  }
}
