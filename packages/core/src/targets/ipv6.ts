import { ScanplaneError } from '../errors/scanplane-error.js';
import { formatIpv4, tryParseIpv4 } from './ipv4.js';

/**
 * The number of IPv6 addresses, 2^128.
 *
 * @example
 * ```ts
 * import { AddressSet, IPV6_SPACE } from '@scanplane/core';
 * AddressSet.parse(['::/1']).size * 2n === IPV6_SPACE; // true
 * ```
 */
export const IPV6_SPACE = 1n << 128n;
/** The largest IPv6 value. */
export const IPV6_MAX = IPV6_SPACE - 1n;
/** The first address of the IPv4-mapped block `::ffff:0:0/96`. */
export const IPV4_MAPPED_START = 0xffffn << 32n;
/** The last address of the IPv4-mapped block. */
export const IPV4_MAPPED_END = IPV4_MAPPED_START + 0xffffffffn;

const HEX = /^[0-9a-fA-F]{1,4}$/;

function parseHexGroups(groups: readonly string[]): number[] | undefined {
  const values: number[] = [];
  for (const group of groups) {
    if (!HEX.test(group)) return undefined;
    values.push(Number.parseInt(group, 16));
  }
  return values;
}

/**
 * Parses any RFC 4291 text form of an IPv6 address (full, `::`-compressed, with an embedded dotted IPv4 tail) into
 * its 128-bit value, or returns `-1n`. Zone identifiers (`%eth0`) are not accepted.
 * @internal
 */
export function tryParseIpv6(text: string): bigint {
  if (text.length < 2 || text.length > 45) return -1n;
  const doubleColon = text.indexOf('::');
  if (doubleColon !== -1 && text.indexOf('::', doubleColon + 1) !== -1) return -1n;
  const head = doubleColon === -1 ? text : text.slice(0, doubleColon);
  const tail = doubleColon === -1 ? '' : text.slice(doubleColon + 2);
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === '' ? [] : tail.split(':');
  // An embedded dotted IPv4 address may only be the very last group of the text.
  const lastList = doubleColon === -1 ? headGroups : tailGroups;
  const last = lastList[lastList.length - 1];
  let embedded = -1;
  if (last?.includes('.')) {
    embedded = tryParseIpv4(last);
    if (embedded < 0) return -1n;
    lastList.pop();
  }
  const headValues = parseHexGroups(headGroups);
  const tailValues = parseHexGroups(tailGroups);
  if (headValues === undefined || tailValues === undefined) return -1n;
  if (embedded >= 0) tailValues.push(embedded >>> 16, embedded & 0xffff);
  const present = headValues.length + tailValues.length;
  if (doubleColon === -1 ? present !== 8 : present > 7) return -1n;
  const words = [...headValues, ...new Array<number>(8 - present).fill(0), ...tailValues];
  let value = 0n;
  for (const word of words) value = (value << 16n) | BigInt(word);
  return value;
}

/**
 * Explains why `text` is not an IPv6 address. Only meaningful when {@link tryParseIpv6} returned -1n.
 * @internal
 */
export function explainIpv6(text: string): string {
  if (text.includes('%'))
    return `'${text}' has a zone identifier; scoped (link-local %zone) addresses are not supported`;
  if (text.split('::').length > 2) return `'${text}' uses '::' more than once`;
  const groups = text.split(':').filter((g) => g !== '');
  const bad = groups.find((g, i) => !(HEX.test(g) || (i === groups.length - 1 && g.includes('.'))));
  if (bad !== undefined) return `'${text}' has an invalid group '${bad}' (1 to 4 hexadecimal digits)`;
  const lastGroup = groups[groups.length - 1];
  if (lastGroup?.includes('.') && tryParseIpv4(lastGroup) < 0) {
    return `'${text}' has an invalid embedded IPv4 address '${lastGroup}'`;
  }
  return `'${text}' is not an IPv6 address (it needs eight groups, or '::' for the missing ones)`;
}

/**
 * Parses any RFC 4291 text form of an IPv6 address into its 128-bit value.
 *
 * @throws {@link ScanplaneError} `TARGET_INVALID` with the reason.
 * @example
 * ```ts
 * import { parseIpv6 } from '@scanplane/core';
 * parseIpv6('2001:db8::1'); // 42540766411282592856903984951653826561n
 * ```
 */
export function parseIpv6(text: string): bigint {
  const value = tryParseIpv6(text);
  if (value < 0n) throw new ScanplaneError('TARGET_INVALID', explainIpv6(text), { details: { entry: text } });
  return value;
}

/**
 * Formats a 128-bit value in the RFC 5952 canonical form: lower case, no leading zeros, the longest run of two or
 * more zero groups compressed to `::` (the first on a tie). IPv4-mapped addresses print as `::ffff:a.b.c.d`.
 *
 * @example
 * ```ts
 * import { formatIpv6 } from '@scanplane/core';
 * formatIpv6(0x20010db8000000000000000000000001n); // '2001:db8::1'
 * ```
 */
export function formatIpv6(value: bigint): string {
  if (value >= IPV4_MAPPED_START && value <= IPV4_MAPPED_END) {
    return `::ffff:${formatIpv4(Number(value & 0xffffffffn))}`;
  }
  const words: number[] = new Array(8);
  let rest = value;
  for (let i = 7; i >= 0; i--) {
    words[i] = Number(rest & 0xffffn);
    rest >>= 16n;
  }
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (from: number, to: number): string =>
    words
      .slice(from, to)
      .map((w) => w.toString(16))
      .join(':');
  if (bestStart === -1) return hex(0, 8);
  return `${hex(0, bestStart)}::${hex(bestStart + bestLength, 8)}`;
}
