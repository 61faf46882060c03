/**
 * Route blocks: how a new peering's routed-prefix check binds to what it adds, not to a gateway's
 * whole generation (docs/DECISIONS.md "Busy hub: route blocks").
 *
 * The address space is cut into fixed /16 blocks. A prefix belongs to every block it overlaps:
 * one block for a /16 or longer, 2^(16 - length) for a shorter one. Two prefixes overlap only if
 * one contains the other, so two overlapping prefixes always share a block. A peering writes (and
 * compare-and-sets the version of) the blocks of the prefixes it adds to each gateway, so two
 * concurrent peerings adding overlapping prefixes to one gateway meet on a block, while peerings
 * adding disjoint prefixes in different blocks never wait for each other.
 */
import { cidrRange } from './cidr';
import { ValidationError } from './errors';

export const ROUTE_BLOCK_PREFIX_LENGTH = 16;
/** A /12 spans 16 blocks; wider prefixes would outgrow one transaction (100 items). */
export const MAX_BLOCKS_PER_PREFIX = 16;

const BLOCK_SIZE = 2 ** (32 - ROUTE_BLOCK_PREFIX_LENGTH);

/** The blocks a prefix overlaps, as "a.b" (the first two octets of the block's /16). */
export function routeBlocksOf(prefix: string): string[] {
  const { first, last } = cidrRange(prefix);
  const firstBlock = Math.floor(first / BLOCK_SIZE);
  const lastBlock = Math.floor(last / BLOCK_SIZE);
  if (lastBlock - firstBlock + 1 > MAX_BLOCKS_PER_PREFIX) {
    throw new ValidationError(`${prefix} is wider than a /12, the widest prefix a peering can route`, 'cidr');
  }
  const blocks: string[] = [];
  for (let block = firstBlock; block <= lastBlock; block++) blocks.push(`${block >>> 8}.${block & 255}`);
  return blocks;
}

/** Distinct blocks of a set of prefixes, each with the prefixes that overlap it. */
export function groupByRouteBlock(prefixes: readonly string[]): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const prefix of prefixes) {
    for (const block of routeBlocksOf(prefix)) groups.set(block, [...(groups.get(block) ?? []), prefix]);
  }
  return groups;
}
