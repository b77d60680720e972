import { checkHostname } from './hostname.js';
import { explainIpv4, formatIpv4, tryParseIpv4 } from './ipv4.js';
import { explainIpv6, formatIpv6, IPV4_MAPPED_END, IPV4_MAPPED_START, tryParseIpv6 } from './ipv6.js';

/**
 * What kind of target an entry is.
 *
 * @example
 * ```ts
 * import type { TargetEntryKind } from '@scanplane/core';
 * const kind: TargetEntryKind = 'cidr';
 * ```
 */
export type TargetEntryKind = 'ipv4' | 'ipv6' | 'cidr' | 'range' | 'octets' | 'hostname';

/**
 * A parsed target entry. Address kinds carry their ranges as flat `[first, last, first, last, …]` lists
 * (IPv4-mapped IPv6 already turned into IPv4); hostnames carry the normalised name. A port or URL scheme given with
 * the entry is kept for provenance; it does not change the ports that are scanned.
 *
 * @example
 * ```ts
 * import { parseTargetEntry } from '@scanplane/core';
 * const result = parseTargetEntry('https://Example.com:8443/login');
 * if (result.ok) result.entry; // { kind: 'hostname', hostname: 'example.com', port: 8443, scheme: 'https', … }
 * ```
 */
export interface ParsedTargetEntry {
  /** What the entry is. */
  kind: TargetEntryKind;
  /** Number of addresses (0 for a hostname until it is resolved). */
  size: bigint;
  /** IPv4 ranges, flat pairs of unsigned 32-bit values. */
  v4?: number[];
  /** IPv6 ranges, flat pairs. */
  v6?: bigint[];
  /** The normalised hostname, for `hostname` entries. */
  hostname?: string;
  /** A port given with the entry (`host:port`, `[v6]:port`, a URL). */
  port?: number;
  /** The scheme of a URL entry. */
  scheme?: string;
  /** Something worth telling the user, such as host bits set in a CIDR. */
  warning?: string;
}

/**
 * Why an entry was refused before any lookup: `invalid` (not parseable) or `too_large` (over a size cap).
 *
 * @example
 * ```ts
 * import { parseTargetEntry } from '@scanplane/core';
 * const result = parseTargetEntry('010.0.0.1');
 * if (!result.ok) console.log(result.reason, result.message);
 * ```
 */
export type TargetEntryParseResult =
  | {
      /** Parsed. */
      ok: true;
      /** The entry. */
      entry: ParsedTargetEntry;
    }
  | {
      /** Refused. */
      ok: false;
      /** `invalid` or `too_large`. */
      reason: 'invalid' | 'too_large';
      /** What is wrong, naming the entry. */
      message: string;
      /** The entry's size, for `too_large`. */
      size?: bigint;
    };

/**
 * Limits and options for {@link parseTargetEntry}.
 *
 * @example
 * ```ts
 * import { parseTargetEntry, type TargetEntryOptions } from '@scanplane/core';
 * const options: TargetEntryOptions = { maxAddresses: 65536, hostsOnly: true };
 * parseTargetEntry('10.0.0.0/8', options).ok; // false: too_large
 * ```
 */
export interface TargetEntryOptions {
  /** Largest number of addresses one entry may expand to; larger entries are refused `too_large`. Default 2^24. */
  maxAddresses?: number | bigint;
  /** Largest number of separate ranges one nmap octet pattern may produce. Default 2^20. */
  maxRanges?: number;
  /** Leave out network and broadcast addresses of IPv4 CIDRs (keeping /31 and /32 whole), and the subnet-router
   * anycast address of IPv6 CIDRs (keeping /127 and /128 whole). Default false: a CIDR is every address in it. */
  hostsOnly?: boolean;
}

/**
 * Default per-entry address cap: 2^24, one /8.
 *
 * @example
 * ```ts
 * import { DEFAULT_MAX_ADDRESSES, prepare } from '@scanplane/core';
 * await prepare(['10.0.0.0/8'], { maxAddresses: DEFAULT_MAX_ADDRESSES * 2 });
 * ```
 */
export const DEFAULT_MAX_ADDRESSES = 16_777_216;
/**
 * Default cap on the ranges one nmap octet pattern may produce.
 *
 * @example
 * ```ts
 * import { DEFAULT_MAX_RANGES, parseTargetEntry } from '@scanplane/core';
 * parseTargetEntry('1-255.1-255.1-255.1', { maxRanges: DEFAULT_MAX_RANGES }).ok; // false: too many ranges
 * ```
 */
export const DEFAULT_MAX_RANGES = 1_048_576;
/**
 * Longest accepted entry text, in characters.
 *
 * @example
 * ```ts
 * import { MAX_ENTRY_LENGTH, parseTargetEntry } from '@scanplane/core';
 * parseTargetEntry('a'.repeat(MAX_ENTRY_LENGTH + 1)).ok; // false
 * ```
 */
export const MAX_ENTRY_LENGTH = 2048;

const PORT = /^[0-9]{1,5}$/;

/**
 * Parses one target entry:
 * - IPv4 in strict four-part decimal (`192.0.2.1`); `010.0.0.1`, `0x0a.0.0.1`, `10.1` and `1.2.3.4.5` are refused;
 * - IPv6 in any RFC 4291 form (`2001:db8::1`, `::ffff:192.0.2.1`, which counts as the IPv4 address);
 * - CIDR of either family, or IPv4 netmask form (`10.0.0.0/255.255.255.0`); host bits set are cleared, with a warning;
 * - ranges `10.0.0.5-10.0.1.20`, `10.0.0.5-20`, `2001:db8::1-2001:db8::ff`;
 * - nmap octet ranges and lists (`192.168.0-255.1-254`, `10.1.3-5,7.1`, `10.0.0.-`);
 * - hostnames (RFC 1123, lower-cased, trailing dot dropped, IDN to punycode), URLs (`https://host:8443/path`) and
 *   `host:port` / `[v6]:port`, where the port is kept for provenance.
 *
 * Never throws: a refusal is returned with a message naming the entry. Sizes are checked before anything is
 * expanded.
 *
 * @example
 * ```ts
 * import { parseTargetEntry } from '@scanplane/core';
 * parseTargetEntry('10.0.0.5/24'); // ok, kind 'cidr', size 256n, warning about host bits
 * parseTargetEntry('10.1'); // { ok: false, reason: 'invalid', message: "'10.1' has 2 parts; …" }
 * ```
 */
export function parseTargetEntry(text: string, options: TargetEntryOptions = {}): TargetEntryParseResult {
  const limits = {
    maxAddresses: BigInt(options.maxAddresses ?? DEFAULT_MAX_ADDRESSES),
    maxRanges: options.maxRanges ?? DEFAULT_MAX_RANGES,
    hostsOnly: options.hostsOnly ?? false,
  };
  const entry = text.trim();
  if (entry === '') return invalid('empty entry');
  if (entry.length > MAX_ENTRY_LENGTH) {
    return invalid(`entry '${entry.slice(0, 40)}…' is longer than ${MAX_ENTRY_LENGTH} characters`);
  }
  if (/\s/.test(entry)) return invalid(`'${entry}' contains whitespace; give one target per entry`);
  if (entry.includes('://')) return parseUrl(entry);
  if (entry.startsWith('[')) return parseBracketed(entry, entry);
  if (entry.includes('/')) return checkSize(parseCidr(entry, limits.hostsOnly), limits, entry);
  const v4 = tryParseIpv4(entry);
  if (v4 >= 0) return { ok: true, entry: { kind: 'ipv4', size: 1n, v4: [v4, v4] } };
  if (entry.includes(':')) return checkSize(parseColonForm(entry), limits, entry);
  if (/^[0-9.,-]+$/.test(entry)) {
    if (entry.includes('-') || entry.includes(',')) return parseDashedOrOctets(entry, limits);
    return invalid(explainIpv4(entry));
  }
  if (/^0x/i.test(entry) || /\.0x[0-9a-f]*(\.|$)/i.test(entry)) return invalid(explainIpv4(entry));
  return parseHost(entry, entry);
}

function invalid(message: string): TargetEntryParseResult {
  return { ok: false, reason: 'invalid', message };
}

function checkSize(
  result: TargetEntryParseResult,
  limits: { maxAddresses: bigint },
  entry: string,
): TargetEntryParseResult {
  if (result.ok && result.entry.size > limits.maxAddresses) {
    return {
      ok: false,
      reason: 'too_large',
      size: result.entry.size,
      message: `'${entry}' has ${result.entry.size} addresses, more than the limit of ${limits.maxAddresses}`,
    };
  }
  return result;
}

function addressEntry(kind: 'ipv4' | 'ipv6' | 'range', first: bigint, last: bigint, family: 4 | 6) {
  const entry: ParsedTargetEntry = { kind, size: last - first + 1n };
  if (family === 4) entry.v4 = [Number(first), Number(last)];
  else setV6Range(entry, first, last);
  return entry;
}

/**
 * Stores an IPv6 range, with any part inside the IPv4-mapped block `::ffff:0:0/96` as IPv4, so the scope policy
 * classifies every address in the family it is kept in.
 */
function setV6Range(entry: ParsedTargetEntry, first: bigint, last: bigint): void {
  const v6: bigint[] = [];
  if (first < IPV4_MAPPED_START) v6.push(first, last < IPV4_MAPPED_START ? last : IPV4_MAPPED_START - 1n);
  if (last >= IPV4_MAPPED_START && first <= IPV4_MAPPED_END) {
    const from = first > IPV4_MAPPED_START ? first : IPV4_MAPPED_START;
    const to = last < IPV4_MAPPED_END ? last : IPV4_MAPPED_END;
    entry.v4 = [Number(from - IPV4_MAPPED_START), Number(to - IPV4_MAPPED_START)];
  }
  if (last > IPV4_MAPPED_END) v6.push(first > IPV4_MAPPED_END ? first : IPV4_MAPPED_END + 1n, last);
  if (v6.length > 0) entry.v6 = v6;
}

function parseHost(host: string, original: string, port?: number, scheme?: string): TargetEntryParseResult {
  const checked = checkHostname(host);
  if (!checked.ok) return invalid(original === host ? checked.message : `'${original}': ${checked.message}`);
  const entry: ParsedTargetEntry = { kind: 'hostname', size: 0n, hostname: checked.hostname };
  if (port !== undefined) entry.port = port;
  if (scheme !== undefined) entry.scheme = scheme;
  return { ok: true, entry };
}

/** A host part from a URL or `host:port`: an IPv4 address, a bracketed IPv6 address or a hostname. */
function parseHostPart(
  host: string,
  original: string,
  port?: number,
  scheme?: string,
): TargetEntryParseResult {
  if (host.startsWith('[')) {
    if (!host.endsWith(']')) return invalid(`'${original}' has an unterminated '[' in its host`);
    const value = tryParseIpv6(host.slice(1, -1));
    if (value < 0n) return invalid(`'${original}': ${explainIpv6(host.slice(1, -1))}`);
    return withPort({ ok: true, entry: addressEntry('ipv6', value, value, 6) }, port, scheme);
  }
  const v4 = tryParseIpv4(host);
  if (v4 >= 0) return withPort({ ok: true, entry: { kind: 'ipv4', size: 1n, v4: [v4, v4] } }, port, scheme);
  if (/^[0-9.]+$/.test(host) || /^0x/i.test(host)) return invalid(`'${original}': ${explainIpv4(host)}`);
  return parseHost(host, original, port, scheme);
}

function withPort(result: TargetEntryParseResult, port?: number, scheme?: string): TargetEntryParseResult {
  if (result.ok) {
    if (port !== undefined) result.entry.port = port;
    if (scheme !== undefined) result.entry.scheme = scheme;
  }
  return result;
}

function parsePort(text: string, original: string): number | string {
  if (!PORT.test(text)) return `'${original}' has an invalid port '${text}'`;
  const port = Number(text);
  if (port < 1 || port > 65535) return `'${original}' has port ${port} outside 1-65535`;
  return port;
}

function parseUrl(entry: string): TargetEntryParseResult {
  const match = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/([^/?#]*)/.exec(entry);
  if (!match) return invalid(`'${entry}' is not a valid URL`);
  const scheme = (match[1] as string).toLowerCase();
  let authority = match[2] as string;
  const at = authority.lastIndexOf('@');
  if (at !== -1) authority = authority.slice(at + 1);
  if (authority === '') return invalid(`URL '${entry}' has no host`);
  let host = authority;
  let port: number | undefined;
  const portMatch = /:([^:\]]*)$/.exec(authority);
  if (portMatch && (authority.startsWith('[') ? authority.indexOf(']') < portMatch.index : true)) {
    if (!authority.startsWith('[') && authority.indexOf(':') !== portMatch.index) {
      return invalid(`URL '${entry}' has an IPv6 host without brackets`);
    }
    const parsed = parsePort(portMatch[1] as string, entry);
    if (typeof parsed === 'string') return invalid(parsed);
    port = parsed;
    host = authority.slice(0, portMatch.index);
  }
  if (host === '') return invalid(`URL '${entry}' has no host`);
  return parseHostPart(host, entry, port, scheme);
}

function parseBracketed(entry: string, original: string): TargetEntryParseResult {
  const close = entry.indexOf(']');
  if (close === -1) return invalid(`'${entry}' has an unterminated '['`);
  const rest = entry.slice(close + 1);
  if (rest === '') return parseHostPart(entry, original);
  if (!rest.startsWith(':')) return invalid(`'${entry}' has unexpected text after ']'`);
  const port = parsePort(rest.slice(1), original);
  if (typeof port === 'string') return invalid(port);
  return parseHostPart(entry.slice(0, close + 1), original, port);
}

function parseColonForm(entry: string): TargetEntryParseResult {
  const v6 = tryParseIpv6(entry);
  if (v6 >= 0n) return { ok: true, entry: addressEntry('ipv6', v6, v6, 6) };
  const dash = entry.indexOf('-');
  if (dash !== -1) {
    const first = tryParseIpv6(entry.slice(0, dash));
    const last = tryParseIpv6(entry.slice(dash + 1));
    if (first >= 0n && last >= 0n) {
      if (first > last) {
        return invalid(`range '${entry}' ends before it starts`);
      }
      return { ok: true, entry: addressEntry('range', first, last, 6) };
    }
  }
  const colons = entry.split(':').length - 1;
  if (colons === 1) {
    const [host, portText] = entry.split(':') as [string, string];
    const port = parsePort(portText, entry);
    if (typeof port === 'string') return invalid(port);
    if (host === '') return invalid(`'${entry}' has no host before the port`);
    return parseHostPart(host, entry, port);
  }
  if (dash !== -1) return invalid(`'${entry}' is not a valid IPv6 range (both ends must be IPv6 addresses)`);
  return invalid(explainIpv6(entry));
}

function parseCidr(entry: string, hostsOnly: boolean): TargetEntryParseResult {
  const slash = entry.indexOf('/');
  if (entry.indexOf('/', slash + 1) !== -1) return invalid(`'${entry}' has more than one '/'`);
  const addressText = entry.slice(0, slash);
  const maskText = entry.slice(slash + 1);
  const v4 = tryParseIpv4(addressText);
  let family: 4 | 6;
  let value: bigint;
  if (v4 >= 0) {
    family = 4;
    value = BigInt(v4);
  } else {
    const v6 = tryParseIpv6(addressText);
    if (v6 < 0n) {
      const reason = addressText.includes(':') ? explainIpv6(addressText) : explainIpv4(addressText);
      return invalid(`CIDR '${entry}': ${reason}`);
    }
    family = 6;
    value = v6;
  }
  const bits = family === 4 ? 32 : 128;
  let prefix: number;
  if (/^(0|[1-9][0-9]{0,2})$/.test(maskText)) {
    prefix = Number(maskText);
    if (prefix > bits) return invalid(`CIDR '${entry}' has prefix length ${prefix}, above ${bits}`);
  } else if (family === 4 && tryParseIpv4(maskText) >= 0) {
    const mask = tryParseIpv4(maskText);
    const inverted = ~mask >>> 0;
    if ((inverted & (inverted + 1)) !== 0) {
      return invalid(`CIDR '${entry}' has a non-contiguous netmask ${maskText}`);
    }
    prefix = 32 - Math.log2(inverted + 1);
  } else {
    return invalid(
      `CIDR '${entry}' has an invalid prefix '${maskText}' (a length from 0 to ${bits}${family === 4 ? ', or a netmask such as 255.255.255.0' : ''})`,
    );
  }
  const hostBits = BigInt(bits - prefix);
  const network = (value >> hostBits) << hostBits;
  const entryOut: ParsedTargetEntry = { kind: 'cidr', size: 0n };
  if (network !== value) {
    const shown = family === 4 ? formatIpv4(Number(network)) : formatIpv6(network);
    entryOut.warning = `'${entry}' has host bits set; scanning its network ${shown}/${prefix}`;
  }
  let first = network;
  let last = network + (1n << hostBits) - 1n;
  // A CIDR inside the IPv4-mapped block is an IPv4 CIDR: it follows the IPv4 rules from here on.
  if (family === 6 && prefix >= 96 && first >= IPV4_MAPPED_START && last <= IPV4_MAPPED_END) {
    family = 4;
    prefix -= 96;
    first -= IPV4_MAPPED_START;
    last -= IPV4_MAPPED_START;
  }
  if (hostsOnly) {
    if (family === 4 && prefix <= 30) {
      first += 1n;
      last -= 1n;
    } else if (family === 6 && prefix <= 126) {
      first += 1n;
    }
  }
  entryOut.size = last - first + 1n;
  if (family === 4) entryOut.v4 = [Number(first), Number(last)];
  else setV6Range(entryOut, first, last);
  return { ok: true, entry: entryOut };
}

/** `a.b.c.d-a.b.c.d`, or an nmap octet pattern (`10.0.0.5-20`, `192.168.0-255.1-254`, `10.1.3-5,7.1`). */
function parseDashedOrOctets(
  entry: string,
  limits: { maxAddresses: bigint; maxRanges: number },
): TargetEntryParseResult {
  const dash = entry.indexOf('-');
  if (dash !== -1 && !entry.includes(',')) {
    const first = tryParseIpv4(entry.slice(0, dash));
    const last = tryParseIpv4(entry.slice(dash + 1));
    if (first >= 0 && last >= 0) {
      if (first > last) return invalid(`range '${entry}' ends before it starts`);
      return checkSize(
        { ok: true, entry: addressEntry('range', BigInt(first), BigInt(last), 4) },
        limits,
        entry,
      );
    }
    if (first >= 0 && entry.slice(dash + 1).includes('.')) {
      return invalid(`range '${entry}': ${explainIpv4(entry.slice(dash + 1))}`);
    }
  }
  return parseOctets(entry, limits);
}

function parseOctets(
  entry: string,
  limits: { maxAddresses: bigint; maxRanges: number },
): TargetEntryParseResult {
  const parts = entry.split('.');
  if (parts.length !== 4) {
    return invalid(`'${entry}' has ${parts.length} parts; an IPv4 pattern has four octets (a.b.c.d)`);
  }
  // Each octet as sorted, merged runs of values.
  const octets: Array<Array<[number, number]>> = [];
  for (const part of parts) {
    const runs = parseOctetList(part);
    if (typeof runs === 'string') return invalid(`'${entry}': ${runs}`);
    octets.push(runs);
  }
  const counts = octets.map((runs) => runs.reduce((sum, [a, b]) => sum + (b - a + 1), 0));
  const size = counts.reduce((a, b) => a * b, 1);
  if (BigInt(size) > limits.maxAddresses) {
    return {
      ok: false,
      reason: 'too_large',
      size: BigInt(size),
      message: `'${entry}' has ${size} addresses, more than the limit of ${limits.maxAddresses}`,
    };
  }
  // Octets after `k` that are complete (0-255) fold into each run of octet `k`: one range per run.
  let k = 3;
  while (k > 0 && (counts[k] as number) === 256) k--;
  let rangeCount = (octets[k] as Array<[number, number]>).length;
  for (let i = 0; i < k; i++) rangeCount *= counts[i] as number;
  if (rangeCount > limits.maxRanges) {
    return {
      ok: false,
      reason: 'too_large',
      size: BigInt(size),
      message: `'${entry}' expands to ${rangeCount} separate ranges, more than the limit of ${limits.maxRanges}`,
    };
  }
  const span = 256 ** (3 - k);
  const v4: number[] = [];
  const walk = (depth: number, prefix: number): void => {
    const runs = octets[depth] as Array<[number, number]>;
    if (depth === k) {
      for (const [a, b] of runs) v4.push((prefix * 256 + a) * span, (prefix * 256 + b) * span + span - 1);
      return;
    }
    for (const [a, b] of runs) for (let value = a; value <= b; value++) walk(depth + 1, prefix * 256 + value);
  };
  walk(0, 0);
  return { ok: true, entry: { kind: 'octets', size: BigInt(size), v4 } };
}

function parseOctetList(part: string): Array<[number, number]> | string {
  if (part === '') return 'an octet is empty';
  const runs: Array<[number, number]> = [];
  for (const item of part.split(',')) {
    const match = /^(\d*)(-?)(\d*)$/.exec(item);
    if (!match || item === '') return `octet item '${item}' is not a number, a range or '-'`;
    const [, lowText = '', dash, highText = ''] = match;
    for (const number of [lowText, highText]) {
      if (number.length > 1 && number.startsWith('0')) return `octet '${number}' has a leading zero`;
      if (number !== '' && Number(number) > 255) return `octet ${number} is above 255`;
    }
    const low = lowText === '' ? 0 : Number(lowText);
    const high = dash === '' ? low : highText === '' ? 255 : Number(highText);
    if (low > high) return `octet range '${item}' ends before it starts`;
    runs.push([low, high]);
  }
  runs.sort((a, b) => a[0] - b[0]);
  const merged: Array<[number, number]> = [];
  for (const run of runs) {
    const previous = merged[merged.length - 1];
    if (previous && run[0] <= previous[1] + 1) previous[1] = Math.max(previous[1], run[1]);
    else merged.push([run[0], run[1]]);
  }
  return merged;
}
