import { promises as dns } from 'node:dns';
import { readFile } from 'node:fs/promises';
import pLimit from 'p-limit';
import { ScanplaneError } from '../errors/scanplane-error.js';
import { raceAbort, sleep } from '../util/abort.js';
import { type HostMap, lookupHostMap, parseHostsFile } from './host-map.js';
import type { ResolveOptions, ResolveResult, Resolver } from './resolver.js';

/**
 * Options for {@link createDnsResolver}.
 *
 * @example
 * ```ts
 * import { createDnsResolver, type DnsResolverOptions } from '@scanplane/core';
 * const options: DnsResolverOptions = { servers: ['192.0.2.53'], timeout: 1000, attempts: 2, concurrency: 50 };
 * const resolver = createDnsResolver(options);
 * ```
 */
export interface DnsResolverOptions {
  /** DNS servers (`ip` or `ip:port`); default: the system's (resolv.conf). */
  servers?: string[];
  /** Time limit for one lookup attempt, in milliseconds. Default 2000. */
  timeout?: number;
  /** Attempts per record type, retrying only transient failures (timeouts, SERVFAIL, refused). Default 3. */
  attempts?: number;
  /** Delay before the first retry, doubled for each further one, with ±50% jitter. Default 250 ms. */
  retryDelay?: number;
  /** Upper bound of a retry delay. Default 4000 ms. */
  maxRetryDelay?: number;
  /** How many lookups may be in flight at once. Default 100. */
  concurrency?: number;
  /** A static host map consulted before anything else: text in hosts(5) format, or a parsed map. */
  hosts?: string | HostMap;
  /** The system hosts file, consulted after `hosts` and before DNS; `false` to skip it. Default `/etc/hosts`. */
  hostsFile?: string | false;
}

const RETRYABLE = new Set(['ETIMEOUT', 'ESERVFAIL', 'ECONNREFUSED', 'EREFUSED', 'EOF', 'ECONNRESET']);

/**
 * The default {@link Resolver}: node's DNS resolver (c-ares: real A and AAAA queries, not `getaddrinfo` on the
 * thread pool), with a concurrency limit, a per-attempt timeout, bounded retries with exponential backoff and
 * jitter for transient failures only, and static host maps consulted first (yours, then `/etc/hosts`).
 *
 * @example
 * ```ts
 * import { createDnsResolver } from '@scanplane/core';
 * const resolver = createDnsResolver({ timeout: 1500, attempts: 3, hosts: '192.0.2.7 lab.internal' });
 * const { addresses, error } = await resolver.resolve('example.com', { families: [4, 6] });
 * ```
 */
export function createDnsResolver(options: DnsResolverOptions = {}): Resolver {
  const timeout = positive(options.timeout ?? 2000, 'timeout');
  const attempts = positive(options.attempts ?? 3, 'attempts');
  const retryDelay = options.retryDelay ?? 250;
  const maxRetryDelay = options.maxRetryDelay ?? 4000;
  const limit = pLimit(positive(options.concurrency ?? 100, 'concurrency'));
  const resolver = new dns.Resolver({ timeout, tries: 1 });
  if (options.servers !== undefined) {
    try {
      resolver.setServers(options.servers);
    } catch (error) {
      throw new ScanplaneError('INVALID_ARGUMENT', `invalid DNS server list ${options.servers.join(', ')}`, {
        cause: error,
      });
    }
  }
  const userMap: HostMap | undefined =
    typeof options.hosts === 'string' ? parseHostsFile(options.hosts, 'hosts option') : options.hosts;
  const hostsFile = options.hostsFile ?? '/etc/hosts';
  let systemMap: Promise<HostMap | undefined> | undefined;
  const loadSystemMap = (): Promise<HostMap | undefined> => {
    if (hostsFile === false) return Promise.resolve(undefined);
    systemMap ??= readFile(hostsFile, 'utf8').then(
      // A malformed system file must not break resolution: skip its bad lines.
      (text) => parseLenient(text, hostsFile),
      () => undefined,
    );
    return systemMap;
  };

  const query = async (hostname: string, family: 4 | 6, signal?: AbortSignal): Promise<ResolveResult> => {
    let lastError: { code: string; message: string } = {
      code: 'ENOTFOUND',
      message: `${hostname} not found`,
    };
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (signal?.aborted) return aborted(hostname);
      try {
        const lookup = family === 4 ? resolver.resolve4(hostname) : resolver.resolve6(hostname);
        const addresses = await raceAbort(lookup, signal);
        if (addresses === undefined) return aborted(hostname);
        return { addresses };
      } catch (error) {
        const code = (error as { code?: string }).code ?? 'EUNKNOWN';
        lastError = { code, message: (error as Error).message ?? String(error) };
        if (!RETRYABLE.has(code) || attempt === attempts) break;
        const base = Math.min(maxRetryDelay, retryDelay * 2 ** (attempt - 1));
        if (!(await sleep(base * (0.5 + Math.random()), signal))) return aborted(hostname);
      }
    }
    return { addresses: [], error: lastError };
  };

  return {
    name: 'dns',
    async resolve(hostname: string, resolveOptions: ResolveOptions): Promise<ResolveResult> {
      const families = resolveOptions.families;
      if (userMap !== undefined) {
        const fixed = lookupHostMap(userMap, hostname, families);
        if (fixed !== undefined) return { addresses: fixed };
      }
      const system = await loadSystemMap();
      if (system !== undefined) {
        const fixed = lookupHostMap(system, hostname, families);
        if (fixed !== undefined) return { addresses: fixed };
      }
      return limit(async () => {
        const results = await Promise.all(
          families.map((family) => query(hostname, family, resolveOptions.signal)),
        );
        const addresses = results.flatMap((result) => result.addresses);
        if (addresses.length > 0) return { addresses };
        // Prefer the most informative failure: a real error over "no records of this type".
        const failure =
          results.find((result) => result.error && result.error.code !== 'ENODATA')?.error ??
          results[0]?.error;
        return {
          addresses: [],
          error: failure ?? { code: 'ENODATA', message: `${hostname} has no records` },
        };
      });
    },
  };
}

function parseLenient(text: string, source: string): HostMap {
  const map: HostMap = new Map();
  for (const line of text.split(/\r?\n/)) {
    try {
      parseHostsFile(line, source, map);
    } catch {
      // skip the line
    }
  }
  return map;
}

function positive(value: number, name: string): number {
  if (!Number.isFinite(value) || value < 1) {
    throw new ScanplaneError(
      'INVALID_ARGUMENT',
      `DNS resolver option ${name} must be at least 1, got ${value}`,
    );
  }
  return value;
}

function aborted(hostname: string): ResolveResult {
  return { addresses: [], error: { code: 'ABORTED', message: `lookup of ${hostname} was aborted` } };
}
