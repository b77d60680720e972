/**
 * Options for one {@link Resolver.resolve} call.
 *
 * @example
 * ```ts
 * import type { ResolveOptions } from '@scanplane/core';
 * const options: ResolveOptions = { families: [4, 6], signal: AbortSignal.timeout(5000) };
 * ```
 */
export interface ResolveOptions {
  /** Record families to ask for: 4 for A, 6 for AAAA. */
  families: readonly (4 | 6)[];
  /** Aborts the lookup (the result is then an `ABORTED` error). */
  signal?: AbortSignal;
}

/**
 * The answer for one hostname: its addresses in answer order (A records first, then AAAA), or, when there are none,
 * the error that explains why (a DNS code such as `ENOTFOUND`, `ENODATA` or `ETIMEOUT`).
 *
 * @example
 * ```ts
 * import type { ResolveResult } from '@scanplane/core';
 * const answer: ResolveResult = { addresses: ['192.0.2.10'] };
 * const failure: ResolveResult = { addresses: [], error: { code: 'ENOTFOUND', message: 'queryA ENOTFOUND nope.example' } };
 * ```
 */
export interface ResolveResult {
  /** The addresses, in answer order; empty when the name did not resolve. */
  addresses: string[];
  /** Why there are no addresses. */
  error?: ResolveError;
}

/**
 * Why a name did not resolve.
 *
 * @example
 * ```ts
 * import type { ResolveError } from '@scanplane/core';
 * const error: ResolveError = { code: 'ETIMEOUT', message: 'queryA ETIMEOUT example.com' };
 * ```
 */
export interface ResolveError {
  /** A DNS error code (`ENOTFOUND`, `ENODATA`, `ETIMEOUT`, `ESERVFAIL`, …) or `ABORTED`. */
  code: string;
  /** The resolver's message. */
  message: string;
}

/**
 * The resolver port: turns a hostname into addresses. The default implementation is {@link createDnsResolver}
 * (node's DNS resolver); {@link createStaticResolver} is the in-memory implementation for tests and air-gapped use.
 * Implementations never throw for a name that does not resolve: they return the error in the result.
 *
 * @example
 * ```ts
 * import type { Resolver } from '@scanplane/core';
 * const fixed: Resolver = {
 *   name: 'fixed',
 *   async resolve() {
 *     return { addresses: ['192.0.2.1'] };
 *   },
 * };
 * ```
 */
export interface Resolver {
  /** A short name for logs and health reports. */
  readonly name: string;
  /** Resolves one normalised hostname. */
  resolve(hostname: string, options: ResolveOptions): Promise<ResolveResult>;
}
