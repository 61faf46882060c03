/**
 * Route locks: how a new peering's routed-prefix check binds to what it adds, not to a gateway's
 * whole generation (docs/DECISIONS.md "Busy hub: route locks").
 *
 * Two prefixes overlap only if one contains the other. Locks live on two levels of fixed blocks
 * per gateway: /16 ("coarse") and /24 ("fine").
 * - A prefix of /24 or longer claims its /24 block exclusively (compare-and-set of its version)
 *   and its /16 block shared (the /16's version must not have moved; its `descendants` count goes
 *   up).
 * - A prefix from /12 to /23 claims every /16 block it overlaps exclusively (version and
 *   descendants must not have moved).
 * Two overlapping prefixes therefore always meet on one block with at least one exclusive claim:
 * two long ones on their /24, two shorter ones on a /16, a long one inside a shorter one on the
 * /16 (the shorter one's exclusive claim sees the long one's `descendants` increment, and the long
 * one's shared claim sees the shorter one's version bump). Peerings adding disjoint prefixes, such
 * as /24 tunnel subnets carved from one /16, never invalidate each other's checks.
 */
import { cidrPrefixLength, cidrRange } from './cidr';
import { ValidationError } from './errors';

const COARSE = 16;
const FINE = 24;
/** A /12 spans 16 coarse blocks; wider prefixes would outgrow one transaction (100 items). */
export const WIDEST_ROUTED_PREFIX = 12;

export interface RouteLockClaim {
  /** `16:a.b` or `24:a.b.c`. */
  block: string;
  /** The claiming prefixes that overlap this block. */
  prefixes: string[];
  /** Compare-and-set of the block's version (and descendants); otherwise a shared claim. */
  exclusive: boolean;
}

const octets = (address: number, count: number): string =>
  [24, 16, 8]
    .slice(0, count)
    .map((shift) => (address >>> shift) & 255)
    .join('.');

function blocksOf(prefix: string, level: number): string[] {
  const size = 2 ** (32 - level);
  const { first, last } = cidrRange(prefix);
  const blocks: string[] = [];
  for (let start = Math.floor(first / size) * size; start <= last; start += size) {
    blocks.push(`${level}:${octets(start, level / 8)}`);
  }
  return blocks;
}

/** The blocks a prefix claims, and how (see the module comment). */
export function routeLockClaimsOf(prefix: string): { block: string; exclusive: boolean }[] {
  const length = cidrPrefixLength(prefix);
  if (length < WIDEST_ROUTED_PREFIX) {
    throw new ValidationError(
      `${prefix} is wider than a /${WIDEST_ROUTED_PREFIX}, the widest prefix a peering can route`,
      'cidr',
    );
  }
  if (length >= FINE) {
    return [
      ...blocksOf(prefix, FINE).map((block) => ({ block, exclusive: true })),
      ...blocksOf(prefix, COARSE).map((block) => ({ block, exclusive: false })),
    ];
  }
  return blocksOf(prefix, COARSE).map((block) => ({ block, exclusive: true }));
}

/** The claims of a set of prefixes, one per block (a block claimed both ways is claimed exclusively). */
export function routeLockClaims(prefixes: readonly string[]): RouteLockClaim[] {
  const claims = new Map<string, RouteLockClaim>();
  for (const prefix of prefixes) {
    for (const { block, exclusive } of routeLockClaimsOf(prefix)) {
      const claim = claims.get(block) ?? { block, prefixes: [], exclusive: false };
      claims.set(block, {
        block,
        prefixes: [...claim.prefixes, prefix],
        exclusive: claim.exclusive || exclusive,
      });
    }
  }
  return [...claims.values()];
}
