import { ScanplaneError } from '../errors/scanplane-error.js';

/**
 * A transport protocol of a port: nmap's `T:`, `U:` and `S:` prefixes.
 *
 * @example
 * ```ts
 * import type { Protocol } from '@scanplane/core';
 * const protocol: Protocol = 'udp';
 * ```
 */
export type Protocol = 'tcp' | 'udp' | 'sctp';

const PROTOCOLS: readonly Protocol[] = ['tcp', 'udp', 'sctp'];
const PREFIX: Record<Protocol, string> = { tcp: 'T', udp: 'U', sctp: 'S' };
const BY_PREFIX: Record<string, Protocol> = { T: 'tcp', U: 'udp', S: 'sctp' };

type Ranges = readonly number[]; // flat [first, last, first, last, …], sorted, merged

/**
 * A set of (protocol, port) pairs, parsed from nmap's `-p` syntax and kept in a canonical form: sorted and merged,
 * so `443,80` equals `80,443`, and TCP 53 differs from UDP 53.
 *
 * Syntax: comma-separated ports (`22`), ranges (`1000-2000`), open ranges (`-1024` is 1-1024, `60000-` is
 * 60000-65535, `-` alone is 1-65535), and protocol prefixes that apply to what follows (`T:80,443,U:53`). Ports are
 * 1 to 65535.
 *
 * @example
 * ```ts
 * import { PortSet } from '@scanplane/core';
 * PortSet.parse('443,80,1000-2000').toString(); // '80,443,1000-2000'
 * PortSet.parse('T:80,U:53').toString(); // 'T:80,U:53'
 * PortSet.parse('T:53').equals(PortSet.parse('U:53')); // false
 * PortSet.parse('1-65535').split(4).map(String); // four shards of 16384 ports
 * ```
 */
export class PortSet {
  readonly #ranges: Record<Protocol, Ranges>;
  #text: string | undefined;

  private constructor(ranges: Record<Protocol, Ranges>) {
    this.#ranges = ranges;
  }

  /**
   * Parses a port specification.
   *
   * @throws {@link ScanplaneError} `PORTS_INVALID` naming the bad item.
   */
  static parse(spec: string): PortSet {
    const text = spec.trim();
    if (text === '') throw invalid(spec, 'the port specification is empty');
    const collected: Record<Protocol, number[]> = { tcp: [], udp: [], sctp: [] };
    let protocol: Protocol = 'tcp';
    for (const raw of text.split(',')) {
      let item = raw.trim();
      const prefix = /^([A-Za-z]):/.exec(item);
      if (prefix) {
        const next = BY_PREFIX[(prefix[1] as string).toUpperCase()];
        if (next === undefined)
          throw invalid(spec, `'${raw}' has an unknown protocol prefix (use T:, U: or S:)`);
        protocol = next;
        item = item.slice(2).trim();
      }
      if (item === '') throw invalid(spec, `an empty item in '${spec}'`);
      const match = /^(\d*)(-?)(\d*)$/.exec(item);
      if (!match) {
        throw invalid(
          spec,
          /[a-z*[\]?]/i.test(item)
            ? `'${item}' is not a port number (service names and wildcards are not supported)`
            : `'${item}' is not a port or a range`,
        );
      }
      const [, lowText = '', dash, highText = ''] = match;
      const low = lowText === '' ? 1 : port(spec, lowText);
      const high = dash === '' ? low : highText === '' ? 65535 : port(spec, highText);
      if (low > high) throw invalid(spec, `range '${item}' ends before it starts`);
      collected[protocol].push(low, high);
    }
    return new PortSet({
      tcp: normalize(collected.tcp),
      udp: normalize(collected.udp),
      sctp: normalize(collected.sctp),
    });
  }

  /**
   * Builds a set from ranges per protocol.
   *
   * @example
   * ```ts
   * import { PortSet } from '@scanplane/core';
   * PortSet.fromRanges({ tcp: [[80, 80], [443, 443]], udp: [[53, 53]] }).toString(); // 'T:80,443,U:53'
   * ```
   */
  static fromRanges(ranges: Partial<Record<Protocol, ReadonlyArray<readonly [number, number]>>>): PortSet {
    const flat = (list: ReadonlyArray<readonly [number, number]> = []): number[] => {
      const out: number[] = [];
      for (const [first, last] of list) {
        if (
          !(Number.isInteger(first) && Number.isInteger(last) && first >= 1 && last <= 65535 && first <= last)
        ) {
          throw invalid(`${first}-${last}`, `range ${first}-${last} is not within 1-65535`);
        }
        out.push(first, last);
      }
      return normalize(out);
    };
    return new PortSet({ tcp: flat(ranges.tcp), udp: flat(ranges.udp), sctp: flat(ranges.sctp) });
  }

  /** The number of (protocol, port) pairs. */
  get size(): number {
    let total = 0;
    for (const protocol of PROTOCOLS) total += count(this.#ranges[protocol]);
    return total;
  }

  /** Whether the set is empty. */
  get isEmpty(): boolean {
    return this.size === 0;
  }

  /** The protocols present, in T, U, S order. */
  get protocols(): Protocol[] {
    return PROTOCOLS.filter((protocol) => this.#ranges[protocol].length > 0);
  }

  /** The ranges of one protocol as [first, last] pairs. */
  ranges(protocol: Protocol): Array<[number, number]> {
    const flat = this.#ranges[protocol];
    const out: Array<[number, number]> = [];
    for (let i = 0; i < flat.length; i += 2) out.push([flat[i] as number, flat[i + 1] as number]);
    return out;
  }

  /** Whether the set holds `port` for `protocol`. */
  has(protocol: Protocol, port: number): boolean {
    const flat = this.#ranges[protocol];
    for (let i = 0; i < flat.length; i += 2)
      if ((flat[i] as number) <= port && port <= (flat[i + 1] as number)) return true;
    return false;
  }

  /** The canonical text: plain when only TCP (`22,80,443`), else prefixed per protocol (`T:80,U:53`). */
  toString(): string {
    if (this.#text === undefined) {
      const onlyTcp = this.#ranges.udp.length === 0 && this.#ranges.sctp.length === 0;
      const parts: string[] = [];
      for (const protocol of PROTOCOLS) {
        const flat = this.#ranges[protocol];
        if (flat.length === 0) continue;
        const items: string[] = [];
        for (let i = 0; i < flat.length; i += 2) {
          const first = flat[i] as number;
          const last = flat[i + 1] as number;
          items.push(first === last ? `${first}` : `${first}-${last}`);
        }
        parts.push(onlyTcp ? items.join(',') : `${PREFIX[protocol]}:${items.join(',')}`);
      }
      this.#text = parts.join(',');
    }
    return this.#text;
  }

  /** The canonical text, for `JSON.stringify`. */
  toJSON(): string {
    return this.toString();
  }

  /** Whether both hold the same pairs. */
  equals(other: PortSet): boolean {
    return this.toString() === other.toString();
  }

  /** Pairs in either set. */
  union(other: PortSet): PortSet {
    return this.#combine(other, (a, b) => normalize([...a, ...b]));
  }

  /** Pairs in both sets. */
  intersect(other: PortSet): PortSet {
    return this.#combine(other, intersectRanges);
  }

  /** Pairs of this set not in `other`. */
  subtract(other: PortSet): PortSet {
    return this.#combine(other, subtractRanges);
  }

  /**
   * Splits into `count` shards of contiguous pairs (TCP first, then UDP, then SCTP) whose sizes differ by at most
   * one. Together they are exactly this set.
   *
   * @throws {@link ScanplaneError} `INVALID_ARGUMENT` when `count` is not between 1 and the set's size.
   */
  split(count: number): PortSet[] {
    const size = this.size;
    if (!Number.isSafeInteger(count) || count < 1 || count > Math.max(size, 1)) {
      throw new ScanplaneError('INVALID_ARGUMENT', `cannot split ${size} ports into ${count} shards`);
    }
    const sizes = Array.from(
      { length: count },
      (_, i) => Math.floor(((i + 1) * size) / count) - Math.floor((i * size) / count),
    );
    return this.#cut(sizes);
  }

  /** Splits into chunks of at most `maxPorts` pairs, as few as possible and balanced. */
  chunks(maxPorts: number): PortSet[] {
    if (!Number.isSafeInteger(maxPorts) || maxPorts < 1) {
      throw new ScanplaneError(
        'INVALID_ARGUMENT',
        `port chunk size must be a positive integer, got ${maxPorts}`,
      );
    }
    if (this.size <= maxPorts) return [this];
    return this.split(Math.ceil(this.size / maxPorts));
  }

  #combine(other: PortSet, op: (a: Ranges, b: Ranges) => number[]): PortSet {
    return new PortSet({
      tcp: op(this.#ranges.tcp, other.#ranges.tcp),
      udp: op(this.#ranges.udp, other.#ranges.udp),
      sctp: op(this.#ranges.sctp, other.#ranges.sctp),
    });
  }

  #cut(sizes: number[]): PortSet[] {
    const pairs: Array<[Protocol, number, number]> = [];
    for (const protocol of PROTOCOLS)
      for (const [a, b] of this.ranges(protocol)) pairs.push([protocol, a, b]);
    const shards: PortSet[] = [];
    let cursor = 0;
    let offset = 0; // ports already taken from pairs[cursor]
    for (const want of sizes) {
      const collected: Record<Protocol, number[]> = { tcp: [], udp: [], sctp: [] };
      let left = want;
      while (left > 0) {
        const [protocol, a, b] = pairs[cursor] as [Protocol, number, number];
        const first = a + offset;
        const take = Math.min(left, b - first + 1);
        collected[protocol].push(first, first + take - 1);
        left -= take;
        if (first + take - 1 === b) {
          cursor++;
          offset = 0;
        } else {
          offset += take;
        }
      }
      shards.push(new PortSet(collected));
    }
    return shards;
  }
}

function port(spec: string, text: string): number {
  if (text.length > 1 && text.startsWith('0')) throw invalid(spec, `port '${text}' has a leading zero`);
  const value = Number(text);
  if (value < 1 || value > 65535) throw invalid(spec, `port ${text} is outside 1-65535`);
  return value;
}

function invalid(spec: string, message: string): ScanplaneError {
  return new ScanplaneError('PORTS_INVALID', `invalid ports '${spec}': ${message}`, {
    details: { ports: spec },
  });
}

function count(flat: Ranges): number {
  let total = 0;
  for (let i = 0; i < flat.length; i += 2) total += (flat[i + 1] as number) - (flat[i] as number) + 1;
  return total;
}

function normalize(flat: number[]): number[] {
  const pairs: Array<[number, number]> = [];
  for (let i = 0; i < flat.length; i += 2) pairs.push([flat[i] as number, flat[i + 1] as number]);
  pairs.sort((x, y) => x[0] - y[0]);
  const out: number[] = [];
  for (const [a, b] of pairs) {
    const last = out.length - 1;
    if (last > 0 && a <= (out[last] as number) + 1) out[last] = Math.max(out[last] as number, b);
    else out.push(a, b);
  }
  return out;
}

function intersectRanges(a: Ranges, b: Ranges): number[] {
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const first = Math.max(a[i] as number, b[j] as number);
    const last = Math.min(a[i + 1] as number, b[j + 1] as number);
    if (first <= last) out.push(first, last);
    if ((a[i + 1] as number) < (b[j + 1] as number)) i += 2;
    else j += 2;
  }
  return out;
}

function subtractRanges(a: Ranges, b: Ranges): number[] {
  const out: number[] = [];
  let j = 0;
  for (let i = 0; i < a.length; i += 2) {
    let first = a[i] as number;
    const last = a[i + 1] as number;
    while (j < b.length && (b[j + 1] as number) < first) j += 2;
    let k = j;
    while (first <= last && k < b.length && (b[k] as number) <= last) {
      if ((b[k] as number) > first) out.push(first, (b[k] as number) - 1);
      first = Math.max(first, (b[k + 1] as number) + 1);
      k += 2;
    }
    if (first <= last) out.push(first, last);
  }
  return out;
}
