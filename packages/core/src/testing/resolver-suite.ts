import { isIPv4, isIPv6 } from 'node:net';
import { expect } from 'vitest';
import type { ResolveResult, Resolver } from '../resolver/resolver.js';
import {
  type ConformanceOptions,
  type ConformanceSubject,
  defineConformanceSuite,
} from './conformance-harness.js';

/**
 * What the resolver suite's `create` returns: a resolver, and optionally how to clean up.
 *
 * @example
 * ```ts
 * import { createStaticResolver } from '@scanplane/core';
 * import type { ResolverSubject } from '@scanplane/core/testing';
 * const subject: ResolverSubject = { resolver: createStaticResolver({ 'web.test': ['192.0.2.10'] }) };
 * ```
 */
export interface ResolverSubject extends ConformanceSubject {
  /** The resolver under test. */
  resolver: Resolver;
}

/**
 * Options for {@link runResolverConformance}: besides `create`, a name the resolver promises to resolve with all
 * of its addresses, and one it promises not to.
 *
 * @example
 * ```ts
 * import { createStaticResolver } from '@scanplane/core';
 * import type { ResolverConformanceOptions } from '@scanplane/core/testing';
 * const options: ResolverConformanceOptions = {
 *   name: 'static',
 *   create: async () => ({ resolver: createStaticResolver({ 'web.test': ['192.0.2.10', '2001:db8::10'] }) }),
 *   known: { name: 'web.test', addresses: ['192.0.2.10', '2001:db8::10'] },
 *   unknown: 'missing.test',
 * };
 * ```
 */
export interface ResolverConformanceOptions extends ConformanceOptions<ResolverSubject> {
  /** A name that resolves, with every address it has (IPv4 and IPv6, formatted as the resolver answers). */
  known: {
    /** The hostname, normalised. */
    name: string;
    /** All of its addresses; at least one. */
    addresses: readonly string[];
  };
  /** A hostname that does not resolve. */
  unknown: string;
}

const sorted = (values: readonly string[]): string[] => [...values].sort();

/**
 * Registers the conformance tests of the {@link Resolver} port: a known name's addresses (IPv4 first, then IPv6),
 * the requested families respected (an empty family answers with an error, not addresses), an unknown name
 * answering no addresses and an error instead of throwing, and an aborted lookup answering `ABORTED`. `create` is
 * called once per test. Addresses within a family are compared as sets (DNS servers rotate them).
 *
 * @example
 * ```ts
 * import { createStaticResolver } from '@scanplane/core';
 * import { runResolverConformance } from '@scanplane/core/testing';
 *
 * runResolverConformance({
 *   name: 'static',
 *   create: async () => ({ resolver: createStaticResolver({ 'web.test': ['192.0.2.10'] }) }),
 *   known: { name: 'web.test', addresses: ['192.0.2.10'] },
 *   unknown: 'missing.test',
 * });
 * ```
 */
export function runResolverConformance(options: ResolverConformanceOptions): void {
  const v4 = options.known.addresses.filter((address) => isIPv4(address));
  const v6 = options.known.addresses.filter((address) => isIPv6(address));

  const expectFailure = (result: ResolveResult, what: string): void => {
    expect(result.addresses, what).toEqual([]);
    expect(result.error, `${what}: an error explains the empty answer`).toBeDefined();
    expect(typeof result.error?.code).toBe('string');
    expect(result.error?.code).not.toBe('');
    expect(typeof result.error?.message).toBe('string');
  };

  defineConformanceSuite('Resolver', options, { timeoutMs: 60_000 }, (test) => {
    test('a known name resolves to its addresses, IPv4 first, then IPv6', async ({ resolver }) => {
      expect(options.known.addresses.length, 'options.known.addresses is empty').toBeGreaterThan(0);
      expect(v4.length + v6.length, 'options.known.addresses holds something that is not an address').toBe(
        options.known.addresses.length,
      );
      const result = await resolver.resolve(options.known.name, { families: [4, 6] });
      expect(result.error).toBeUndefined();
      expect(sorted(result.addresses)).toEqual(sorted(options.known.addresses));
      const firstV6 = result.addresses.findIndex((address) => isIPv6(address));
      if (firstV6 !== -1) {
        expect(
          result.addresses.slice(firstV6).every((address) => isIPv6(address)),
          'IPv4 after IPv6',
        ).toBe(true);
      }
    });

    test('only the requested families are answered', async ({ resolver }) => {
      for (const [family, expected] of [
        [4, v4],
        [6, v6],
      ] as const) {
        const result = await resolver.resolve(options.known.name, { families: [family] });
        if (expected.length === 0)
          expectFailure(result, `IPv${family} of ${options.known.name}, which has none`);
        else
          expect(sorted(result.addresses), `IPv${family} of ${options.known.name}`).toEqual(sorted(expected));
      }
    });

    test('an unknown name answers no addresses and an error, without throwing', async ({ resolver }) => {
      const result = await resolver.resolve(options.unknown, { families: [4, 6] });
      expectFailure(result, options.unknown);
    });

    test('an aborted lookup answers ABORTED', async ({ resolver }) => {
      const result = await resolver.resolve(options.known.name, {
        families: [4, 6],
        signal: AbortSignal.abort(),
      });
      expect(result.addresses).toEqual([]);
      expect(result.error?.code).toBe('ABORTED');
      expect(typeof result.error?.message).toBe('string');
    });
  });
}
