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

/** Due times are kept in blocks of this many (each: a slot and an offset, two 32-bit integers). */
const DUE_BLOCK = 4096;

/** The largest due-time offset kept in 32 bits (about 24 days either side of the first due time). */
const MAX_OFFSET = 0x7fff_ffff;

/**
 * The skipped pairs of one decision, compact (a tick decides hundreds of thousands of pairs, and most ticks never
 * look at the ones that do not run, so they become {@link PairSkip} objects only when read): four bits per pair
 * for its reason (indexed by scan and organization, so the order of reading needs no sort), eight bytes per skip
 * with a due time (its pair and the time as a 32-bit offset; a time an offset cannot hold exactly is kept aside),
 * and the rare detail. Kept small because typed arrays live outside the JavaScript heap, V8 starts a full
 * collection of the whole heap each time that outside memory grows by a fixed amount, and a plan (holding its log)
 * commonly outlives a young-generation collection.
 *
 * Each pair is recorded at most once (a second skip of the same pair replaces the first's reason).
 *
 * @internal
 */
export class SkipLog {
  readonly #scanIds: readonly string[];
  readonly #organizationIds: readonly string[];
  readonly #organizations: number;
  /** Per pair, slot `scan × organizations + organization`: its reason code, 4 bits, 0 for none. */
  readonly #codes: Uint8Array;
  /** Per scan: the reason code of its skip without an organization (a global scan, or a whole scan), 0 for none. */
  readonly #scanCodes: Uint8Array;
  #length = 0;
  /** The skips with a due time, in blocks (no regrowth copies): slot, then the time minus `#dueBase`. */
  readonly #dues: Int32Array[] = [];
  #dueCount = 0;
  /** The first due time recorded: the others are kept as offsets from it. */
  #dueBase = Number.NaN;
  /** Due times an offset cannot hold (fractional, or more than ~24 days from the first), by slot. */
  readonly #farDues = new Map<number, number>();
  readonly #details = new Map<number, string>();

  constructor(scanIds: readonly string[], organizationIds: readonly string[]) {
    this.#scanIds = scanIds;
    this.#organizationIds = organizationIds;
    this.#organizations = organizationIds.length;
    this.#codes = new Uint8Array(Math.ceil((scanIds.length * organizationIds.length) / 2));
    this.#scanCodes = new Uint8Array(scanIds.length);
  }

  /** How many skips were recorded. */
  get length(): number {
    return this.#length;
  }

  /**
   * Records a skip; `organizationIndex` −1 for a skip without an organization; `dueAt` NaN or undefined when there
   * is none.
   */
  add(scanIndex: number, organizationIndex: number, code: number, dueAt?: number, detail?: string): void {
    const slot = this.#record(scanIndex, organizationIndex, code);
    if (dueAt !== undefined && !Number.isNaN(dueAt)) this.#addDue(slot, dueAt);
    if (detail !== undefined) this.#details.set(slot, detail);
  }

  /**
   * {@link add} with the due time and detail read from `verdict` (a pair loop's scratch record): a time passed as
   * an argument to a call that is not inlined is boxed, an allocation per skipped pair.
   */
  addVerdict(
    scanIndex: number,
    organizationIndex: number,
    code: number,
    verdict: { readonly dueAt: number; readonly detail: string | undefined },
  ): void {
    const slot = this.#record(scanIndex, organizationIndex, code);
    if (!Number.isNaN(verdict.dueAt)) this.#addDue(slot, verdict.dueAt);
    if (verdict.detail !== undefined) this.#details.set(slot, verdict.detail);
  }

  /** Records the reason of a skip; returns its slot. */
  #record(scanIndex: number, organizationIndex: number, code: number): number {
    let slot: number;
    if (organizationIndex < 0) {
      slot = this.#scanIds.length * this.#organizations + scanIndex;
      if (this.#scanCodes[scanIndex] === 0) this.#length++;
      this.#scanCodes[scanIndex] = code;
    } else {
      slot = scanIndex * this.#organizations + organizationIndex;
      const byte = slot >> 1;
      const shift = (slot & 1) << 2;
      const codes = this.#codes;
      const previous = codes[byte] as number;
      if (((previous >> shift) & 15) === 0) this.#length++;
      codes[byte] = (previous & ~(15 << shift)) | (code << shift);
    }
    return slot;
  }

  #addDue(slot: number, dueAt: number): void {
    if (Number.isNaN(this.#dueBase) && Number.isInteger(dueAt)) this.#dueBase = dueAt;
    const offset = dueAt - this.#dueBase;
    if (!Number.isInteger(offset) || offset > MAX_OFFSET || offset < -MAX_OFFSET) {
      this.#farDues.set(slot, dueAt);
      return;
    }
    const at = (this.#dueCount++ % DUE_BLOCK) * 2;
    if (at === 0) this.#dues.push(new Int32Array(DUE_BLOCK * 2));
    const block = this.#dues[this.#dues.length - 1] as Int32Array;
    block[at] = slot;
    block[at + 1] = offset;
  }

  /**
   * Every skip as a {@link PairSkip}: scans in index order, and within a scan, its skip without an organization
   * first, then organizations in index order.
   */
  toArray(): PairSkip[] {
    const scans = this.#scanIds.length;
    const organizations = this.#organizations;
    const dueAt = new Float64Array(scans * organizations + scans).fill(Number.NaN);
    for (let k = 0; k < this.#dueCount; k++) {
      const block = this.#dues[Math.floor(k / DUE_BLOCK)] as Int32Array;
      const at = (k % DUE_BLOCK) * 2;
      dueAt[block[at] as number] = this.#dueBase + (block[at + 1] as number);
    }
    for (const [slot, due] of this.#farDues) dueAt[slot] = due;
    const out: PairSkip[] = [];
    const push = (scan: number, organization: number, code: number, slot: number): void => {
      const skip: PairSkip = {
        scanId: this.#scanIds[scan] as string,
        reason: SKIP_REASONS[code - 1] as ScheduleSkipReason,
      };
      if (organization >= 0) skip.organizationId = this.#organizationIds[organization] as string;
      const detail = this.#details.get(slot);
      if (detail !== undefined) skip.detail = detail;
      const due = dueAt[slot] as number;
      if (!Number.isNaN(due)) skip.dueAt = due;
      out.push(skip);
    };
    for (let scan = 0; scan < scans; scan++) {
      const scanCode = this.#scanCodes[scan] as number;
      if (scanCode !== 0) push(scan, -1, scanCode, scans * organizations + scan);
      for (let organization = 0; organization < organizations; organization++) {
        const slot = scan * organizations + organization;
        const code = ((this.#codes[slot >> 1] as number) >> ((slot & 1) << 2)) & 15;
        if (code !== 0) push(scan, organization, code, slot);
      }
    }
    return out;
  }
}
