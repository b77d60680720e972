import { ScanplaneError } from '../errors/scanplane-error.js';
import { formatAddress, parseAddress } from '../targets/address-set.js';
import { normalizeHostname } from '../targets/hostname.js';

/**
 * A static host map: normalised hostname → addresses by family, in file order.
 *
 * @example
 * ```ts
 * import { parseHostsFile } from '@scanplane/core';
 * const map = parseHostsFile('127.0.0.1 localhost\n::1 localhost');
 * map.get('localhost'); // { v4: ['127.0.0.1'], v6: ['::1'] }
 * ```
 */
export type HostMap = Map<string, HostMapEntry>;

/**
 * The addresses of one name in a {@link HostMap}.
 *
 * @example
 * ```ts
 * import type { HostMapEntry } from '@scanplane/core';
 * const entry: HostMapEntry = { v4: ['127.0.0.1'], v6: ['::1'] };
 * ```
 */
export interface HostMapEntry {
  /** IPv4 addresses, in file order. */
  v4: string[];
  /** IPv6 addresses, in file order. */
  v6: string[];
}

/**
 * Parses text in hosts(5) format: one address per line followed by its canonical name and aliases; `#` starts a
 * comment. Lines whose address or names are invalid are refused with the line number.
 *
 * @throws {@link ScanplaneError} `INVALID_ARGUMENT` naming the source and line.
 * @example
 * ```ts
 * import { parseHostsFile } from '@scanplane/core';
 * parseHostsFile('192.0.2.7  scanme.internal scanme  # lab box', 'lab-hosts');
 * ```
 */
export function parseHostsFile(text: string, source = 'hosts map', into: HostMap = new Map()): HostMap {
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).replace(/#.*/, '').trim();
    if (line === '') continue;
    const [addressText, ...names] = line.split(/\s+/);
    const address = parseAddress(addressText as string);
    if (address === undefined) {
      throw new ScanplaneError(
        'INVALID_ARGUMENT',
        `${source}:${i + 1}: '${addressText}' is not an IP address`,
        {
          details: { source, line: i + 1 },
        },
      );
    }
    if (names.length === 0) {
      throw new ScanplaneError('INVALID_ARGUMENT', `${source}:${i + 1}: no hostname after ${addressText}`, {
        details: { source, line: i + 1 },
      });
    }
    const formatted = formatAddress(address);
    for (const name of names) {
      const hostname = normalizeHostname(name);
      if (hostname === undefined) {
        throw new ScanplaneError(
          'INVALID_ARGUMENT',
          `${source}:${i + 1}: '${name}' is not a valid hostname`,
          {
            details: { source, line: i + 1 },
          },
        );
      }
      let entry = into.get(hostname);
      if (entry === undefined) {
        entry = { v4: [], v6: [] };
        into.set(hostname, entry);
      }
      const list = address.family === 4 ? entry.v4 : entry.v6;
      if (!list.includes(formatted)) list.push(formatted);
    }
  }
  return into;
}

/**
 * Looks a name up in a host map for the requested families; `undefined` when the map has no address for them.
 * @internal
 */
export function lookupHostMap(
  map: HostMap,
  hostname: string,
  families: readonly (4 | 6)[],
): string[] | undefined {
  const entry = map.get(hostname);
  if (entry === undefined) return undefined;
  const addresses = [...(families.includes(4) ? entry.v4 : []), ...(families.includes(6) ? entry.v6 : [])];
  return addresses.length > 0 ? addresses : undefined;
}
