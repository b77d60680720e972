import { AddressSet } from './address-set.js';

/**
 * Why an address is refused by the special-purpose policy. The first five are refused by default (they must never
 * be scanned); the rest only with `publicOnly`.
 *
 * @example
 * ```ts
 * import type { SpecialPurposeReason } from '@scanplane/core';
 * const reason: SpecialPurposeReason = 'carrier_grade_nat';
 * ```
 */
export type SpecialPurposeReason =
  | 'unspecified'
  | 'broadcast'
  | 'multicast'
  | 'reserved'
  | 'private'
  | 'loopback'
  | 'link_local'
  | 'carrier_grade_nat'
  | 'documentation'
  | 'not_global';

/**
 * One block of the special-purpose table: a reason, whether it is refused by default or only with `publicOnly`,
 * its address blocks and the reference that defines them.
 *
 * @example
 * ```ts
 * import { SPECIAL_PURPOSE_BLOCKS } from '@scanplane/core';
 * SPECIAL_PURPOSE_BLOCKS.find((block) => block.reason === 'private')?.cidrs; // ['10.0.0.0/8', …]
 * ```
 */
export interface SpecialPurposeBlock {
  /** The refusal reason for addresses in this block. */
  reason: SpecialPurposeReason;
  /** `default`: always refused; `publicOnly`: refused when the policy asks for public addresses only. */
  when: 'default' | 'publicOnly';
  /** The blocks. */
  cidrs: readonly string[];
  /** Blocks inside `cidrs` that this entry does not cover. */
  except?: readonly string[];
  /** The RFCs or registries that define the blocks. */
  reference: string;
}

/**
 * The special-purpose table, in precedence order (an address in several blocks is refused for the first). Built
 * from the IANA IPv4 and IPv6 Special-Purpose Address Registries and the IPv6 Address Space registry, not from a
 * runtime's notion of "private" (Python's changed in 3.13 and counts CGNAT and multicast as public).
 *
 * @example
 * ```ts
 * import { SPECIAL_PURPOSE_BLOCKS } from '@scanplane/core';
 * const defaults = SPECIAL_PURPOSE_BLOCKS.filter((block) => block.when === 'default');
 * ```
 */
export const SPECIAL_PURPOSE_BLOCKS: readonly SpecialPurposeBlock[] = [
  { reason: 'unspecified', when: 'default', cidrs: ['0.0.0.0/8', '::/128'], reference: 'RFC 791, RFC 4291' },
  { reason: 'broadcast', when: 'default', cidrs: ['255.255.255.255/32'], reference: 'RFC 919' },
  {
    reason: 'multicast',
    when: 'default',
    cidrs: ['224.0.0.0/4', 'ff00::/8'],
    reference: 'RFC 5771, RFC 4291',
  },
  {
    reason: 'reserved',
    when: 'default',
    // 240/4 (broadcast is matched first); in IPv6, every block the IETF has not allocated: all of ::/3, 4000::/2
    // and 8000::/1 except loopback, the NAT64 prefixes, unique local, link-local and multicast.
    cidrs: ['240.0.0.0/4', '::/3', '4000::/2', '8000::/1'],
    except: [
      '::1/128',
      '::ffff:0:0/96',
      '64:ff9b::/96',
      '64:ff9b:1::/48',
      'fc00::/7',
      'fe80::/10',
      'ff00::/8',
    ],
    reference: 'RFC 1112 §4, IANA IPv6 Address Space',
  },
  {
    reason: 'loopback',
    when: 'publicOnly',
    cidrs: ['127.0.0.0/8', '::1/128'],
    reference: 'RFC 1122, RFC 4291',
  },
  {
    reason: 'private',
    when: 'publicOnly',
    cidrs: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
    reference: 'RFC 1918, RFC 4193',
  },
  {
    reason: 'link_local',
    when: 'publicOnly',
    cidrs: ['169.254.0.0/16', 'fe80::/10'],
    reference: 'RFC 3927, RFC 4291',
  },
  { reason: 'carrier_grade_nat', when: 'publicOnly', cidrs: ['100.64.0.0/10'], reference: 'RFC 6598' },
  {
    reason: 'documentation',
    when: 'publicOnly',
    cidrs: ['192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24', '2001:db8::/32', '3fff::/20'],
    reference: 'RFC 5737, RFC 3849, RFC 9637',
  },
  {
    reason: 'not_global',
    when: 'publicOnly',
    // IETF protocol assignments, benchmarking, deprecated 6to4 relay anycast, local-use NAT64, discard-only.
    cidrs: ['192.0.0.0/24', '198.18.0.0/15', '192.88.99.0/24', '64:ff9b:1::/48', '2001::/23'],
    reference: 'RFC 6890, RFC 2544, RFC 7526, RFC 8215',
  },
];

/** The table with each block's CIDRs as one set, built once. @internal */
export interface CompiledSpecialPurpose {
  reason: SpecialPurposeReason;
  set: AddressSet;
}

let compiled: { all: CompiledSpecialPurpose[] } | undefined;

/**
 * Compiles one block with each family kept to its own specs: an IPv6 block such as `::/3` spans the IPv4-mapped
 * range, which a set stores as IPv4, so mixing families would let IPv6 rows add or remove IPv4 addresses.
 */
function compileBlock(block: SpecialPurposeBlock): AddressSet {
  const side = (specs: readonly string[], v6: boolean) =>
    AddressSet.parse(specs.filter((spec) => spec.includes(':') === v6));
  const except = block.except ?? [];
  const v4 = side(block.cidrs, false).subtract(side(except, false));
  const v6 = side(block.cidrs, true).subtract(side(except, true));
  return AddressSet.fromLists(v4.v4, v6.v6);
}

/**
 * The blocks that apply under a policy, compiled to sets, in precedence order.
 * @internal
 */
export function specialPurposeSets(publicOnly: boolean): CompiledSpecialPurpose[] {
  if (compiled === undefined) {
    compiled = {
      all: SPECIAL_PURPOSE_BLOCKS.map((block) => ({ reason: block.reason, set: compileBlock(block) })),
    };
  }
  return compiled.all.filter((_, i) => publicOnly || SPECIAL_PURPOSE_BLOCKS[i]?.when === 'default');
}

/**
 * The special-purpose reason that refuses `address` under the policy, or `undefined` when it may be scanned.
 *
 * @example
 * ```ts
 * import { classifyAddress } from '@scanplane/core';
 * classifyAddress('224.0.0.1'); // 'multicast'
 * classifyAddress('10.1.2.3'); // undefined: private addresses are allowed by default
 * classifyAddress('10.1.2.3', { publicOnly: true }); // 'private'
 * ```
 */
export function classifyAddress(
  address: string,
  policy: { publicOnly?: boolean } = {},
): SpecialPurposeReason | undefined {
  for (const block of specialPurposeSets(policy.publicOnly ?? false)) {
    if (block.set.contains(address)) return block.reason;
  }
  return undefined;
}
