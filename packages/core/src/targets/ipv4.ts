import { ScanplaneError } from '../errors/scanplane-error.js';

/**
 * The number of IPv4 addresses, 2^32.
 *
 * @example
 * ```ts
 * import { AddressSet, IPV4_SPACE } from '@scanplane/core';
 * AddressSet.parse(['0.0.0.0/0']).size === BigInt(IPV4_SPACE); // true
 * ```
 */
export const IPV4_SPACE = 4294967296;

/**
 * Parses a strict four-part decimal IPv4 address into its 32-bit value, or returns `-1`.
 * No leading zeros (`010`), no hexadecimal (`0x0a`), no short forms (`10.1`), nothing else around it.
 * @internal
 */
export function tryParseIpv4(text: string): number {
  const length = text.length;
  if (length < 7 || length > 15) return -1;
  let value = 0;
  let octet = 0;
  let digits = 0;
  let parts = 0;
  for (let i = 0; i <= length; i++) {
    const c = i < length ? text.charCodeAt(i) : 46; /* a virtual final '.' */
    if (c >= 48 && c <= 57) {
      if (digits > 0 && octet === 0) return -1; // leading zero
      octet = octet * 10 + (c - 48);
      digits++;
      if (digits > 3 || octet > 255) return -1;
    } else if (c === 46) {
      if (digits === 0) return -1;
      value = value * 256 + octet;
      parts++;
      octet = 0;
      digits = 0;
    } else {
      return -1;
    }
  }
  return parts === 4 ? value : -1;
}

/**
 * Explains why `text` is not a strict four-part decimal IPv4 address. Only meaningful when
 * {@link tryParseIpv4} returned -1.
 * @internal
 */
export function explainIpv4(text: string): string {
  const parts = text.split('.');
  if (parts.length !== 4) {
    return `'${text}' has ${parts.length} part${parts.length === 1 ? '' : 's'}; an IPv4 address is four decimal octets (a.b.c.d)`;
  }
  for (const part of parts) {
    if (part === '') return `'${text}' has an empty octet`;
    if (/^0x/i.test(part)) {
      return `'${text}' has a hexadecimal octet '${part}'; only decimal octets are accepted (inet_aton would read it as hex)`;
    }
    if (!/^\d+$/.test(part)) return `'${text}' has a non-decimal octet '${part}'`;
    if (part.length > 1 && part.startsWith('0')) {
      return `'${text}' has a leading zero in octet '${part}'; this is ambiguous (inet_aton reads it as octal), write ${Number.parseInt(part, 10)}`;
    }
    if (Number(part) > 255) return `'${text}' has octet ${part} above 255`;
  }
  return `'${text}' is not an IPv4 address`;
}

/**
 * Parses a strict four-part decimal IPv4 address (`192.0.2.1`) into its 32-bit unsigned value.
 * Ambiguous forms that `inet_aton` accepts (`010.0.0.1` as octal, `0x0a.0.0.1`, `10.1`, `167772161`) are refused.
 *
 * @throws {@link ScanplaneError} `TARGET_INVALID` with the reason.
 * @example
 * ```ts
 * import { parseIpv4 } from '@scanplane/core';
 * parseIpv4('192.0.2.1'); // 3221225985
 * ```
 */
export function parseIpv4(text: string): number {
  const value = tryParseIpv4(text);
  if (value < 0) throw new ScanplaneError('TARGET_INVALID', explainIpv4(text), { details: { entry: text } });
  return value;
}

/**
 * Formats a 32-bit unsigned value as dotted decimal.
 *
 * @example
 * ```ts
 * import { formatIpv4 } from '@scanplane/core';
 * formatIpv4(3221225985); // '192.0.2.1'
 * ```
 */
export function formatIpv4(value: number): string {
  return `${(value >>> 24) & 255}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}
