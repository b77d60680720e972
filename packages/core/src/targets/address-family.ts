import { formatIpv4 } from './ipv4.js';
import { formatIpv6, IPV6_MAX } from './ipv6.js';

/**
 * Arithmetic and formatting for one address family: IPv4 values are numbers, IPv6 values are bigints.
 * The range algorithms in {@link RangeList} are written once against this interface.
 * @internal
 */
export interface FamilyOps<T extends number | bigint> {
  readonly family: 4 | 6;
  readonly bits: number;
  readonly max: T;
  readonly zero: T;
  succ(value: T): T;
  pred(value: T): T;
  /** Number of addresses in [first, last], as a bigint. */
  count(first: T, last: T): bigint;
  /** `first + offset`. */
  offset(first: T, offset: bigint): T;
  toBigInt(value: T): bigint;
  fromBigInt(value: bigint): T;
  format(value: T): string;
  allocate(length: number): T[] | Float64Array;
  sort(values: T[] | Float64Array): void;
}

/** @internal */
export const V4: FamilyOps<number> = {
  family: 4,
  bits: 32,
  max: 4294967295,
  zero: 0,
  succ: (v) => v + 1,
  pred: (v) => v - 1,
  count: (first, last) => BigInt(last - first + 1),
  offset: (first, offset) => first + Number(offset),
  toBigInt: (v) => BigInt(v),
  fromBigInt: (v) => Number(v),
  format: formatIpv4,
  allocate: (length) => new Float64Array(length),
  sort: (values) => {
    (values as Float64Array).sort();
  },
};

const compareBigInt = (a: bigint, b: bigint): number => (a < b ? -1 : a > b ? 1 : 0);

/** @internal */
export const V6: FamilyOps<bigint> = {
  family: 6,
  bits: 128,
  max: IPV6_MAX,
  zero: 0n,
  succ: (v) => v + 1n,
  pred: (v) => v - 1n,
  count: (first, last) => last - first + 1n,
  offset: (first, offset) => first + offset,
  toBigInt: (v) => v,
  fromBigInt: (v) => v,
  format: formatIpv6,
  allocate: (length) => new Array<bigint>(length),
  sort: (values) => {
    (values as bigint[]).sort(compareBigInt);
  },
};
