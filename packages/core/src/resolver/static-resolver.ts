import { type HostMap, lookupHostMap, parseHostsFile } from './host-map.js';
import type { ResolveOptions, ResolveResult, Resolver } from './resolver.js';

/**
 * The in-memory {@link Resolver}: answers only from a fixed map, never from the network. Names it does not know
 * resolve to `ENOTFOUND`. Use it in tests of your scan policy and wherever DNS must not be used.
 *
 * @param hosts a map of hostname → addresses, or text in hosts(5) format.
 * @example
 * ```ts
 * import { createStaticResolver, prepare } from '@scanplane/core';
 * const resolver = createStaticResolver({ 'web.example': ['192.0.2.10', '2001:db8::10'] });
 * const prepared = await prepare(['web.example'], { resolver });
 * ```
 */
export function createStaticResolver(hosts: Record<string, readonly string[]> | string): Resolver {
  const map: HostMap =
    typeof hosts === 'string'
      ? parseHostsFile(hosts, 'static resolver')
      : parseHostsFile(
          Object.entries(hosts)
            .flatMap(([name, addresses]) => addresses.map((address) => `${address} ${name}`))
            .join('\n'),
          'static resolver',
        );
  return {
    name: 'static',
    async resolve(hostname: string, options: ResolveOptions): Promise<ResolveResult> {
      if (options.signal?.aborted) {
        return { addresses: [], error: { code: 'ABORTED', message: `lookup of ${hostname} was aborted` } };
      }
      const addresses = lookupHostMap(map, hostname, options.families);
      if (addresses === undefined) {
        return {
          addresses: [],
          error: { code: 'ENOTFOUND', message: `${hostname} is not in the static host map` },
        };
      }
      return { addresses };
    },
  };
}
