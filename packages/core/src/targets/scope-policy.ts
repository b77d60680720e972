import { V4, V6 } from './address-family.js';
import type { AddressSet } from './address-set.js';
import { RangeList } from './range-list.js';
import { type SpecialPurposeReason, specialPurposeSets } from './special-purpose.js';

/**
 * Why an entry, or some of its addresses, will not be scanned:
 * - `invalid`: the entry could not be parsed; `too_large`: it is over a size cap (never expanded);
 * - `unresolvable`: a hostname with no answer (or resolution disabled);
 * - `excluded`: in the exclusion list; `out_of_scope`: outside the allow-list;
 * - a {@link SpecialPurposeReason}: refused by the special-purpose policy.
 *
 * @example
 * ```ts
 * import type { RefusalReason } from '@scanplane/core';
 * const reason: RefusalReason = 'out_of_scope';
 * ```
 */
export type RefusalReason =
  | 'invalid'
  | 'too_large'
  | 'unresolvable'
  | 'excluded'
  | 'out_of_scope'
  | SpecialPurposeReason;

interface Rule {
  reason: RefusalReason;
  v4: RangeList<number>;
  v6: RangeList<bigint>;
}

/**
 * The address-level scope rules in precedence order: exclusions, then the allow-list, then the special-purpose
 * table. An address refused by several rules is reported under the first.
 * @internal
 */
export class ScopePolicy {
  readonly #rules: Rule[];

  constructor(options: { exclude?: AddressSet; allow?: AddressSet; publicOnly: boolean }) {
    const rules: Rule[] = [];
    if (options.exclude !== undefined && !options.exclude.isEmpty) {
      rules.push({ reason: 'excluded', v4: options.exclude.v4, v6: options.exclude.v6 });
    }
    if (options.allow !== undefined) {
      rules.push({
        reason: 'out_of_scope',
        v4: RangeList.trusted(V4, Float64Array.of(0), Float64Array.of(V4.max)).subtract(options.allow.v4),
        v6: RangeList.trusted(V6, [0n], [V6.max]).subtract(options.allow.v6),
      });
    }
    for (const block of specialPurposeSets(options.publicOnly)) {
      rules.push({ reason: block.reason, v4: block.set.v4, v6: block.set.v6 });
    }
    this.#rules = rules;
  }

  /** The reason that refuses one address, or `undefined`. */
  reasonForV4(value: number): RefusalReason | undefined {
    for (const rule of this.#rules) if (rule.v4.contains(value)) return rule.reason;
    return undefined;
  }

  /** The reason that refuses one address, or `undefined`. */
  reasonForV6(value: bigint): RefusalReason | undefined {
    for (const rule of this.#rules) if (rule.v6.contains(value)) return rule.reason;
    return undefined;
  }

  /** Splits an IPv4 range into accepted parts and refused parts with their reasons. */
  classifyV4(
    first: number,
    last: number,
    accept: (start: number, end: number) => void,
    refuse: (reason: RefusalReason, start: number, end: number) => void,
  ): void {
    if (first === last) {
      const reason = this.reasonForV4(first);
      if (reason === undefined) accept(first, last);
      else refuse(reason, first, last);
      return;
    }
    classify(this.#rules, 'v4', first, last, accept, refuse);
  }

  /** Splits an IPv6 range into accepted parts and refused parts with their reasons. */
  classifyV6(
    first: bigint,
    last: bigint,
    accept: (start: bigint, end: bigint) => void,
    refuse: (reason: RefusalReason, start: bigint, end: bigint) => void,
  ): void {
    classify(this.#rules, 'v6', first, last, accept, refuse);
  }
}

function classify<T extends number | bigint>(
  rules: Rule[],
  family: 'v4' | 'v6',
  first: T,
  last: T,
  accept: (start: T, end: T) => void,
  refuse: (reason: RefusalReason, start: T, end: T) => void,
): void {
  let pieces: Array<[T, T]> = [[first, last]];
  for (const rule of rules) {
    const list = rule[family] as unknown as RangeList<T>;
    const next: Array<[T, T]> = [];
    for (const [start, end] of pieces) {
      list.split(
        start,
        end,
        (s, e) => refuse(rule.reason, s, e),
        (s, e) => {
          next.push([s, e]);
        },
      );
    }
    pieces = next;
    if (pieces.length === 0) return;
  }
  for (const [start, end] of pieces) accept(start, end);
}
