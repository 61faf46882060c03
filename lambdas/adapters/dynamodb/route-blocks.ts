/**
 * Route block items (core/route-blocks.ts, docs/DECISIONS.md "Busy hub: route blocks"): one item
 * per gateway and /16 block, `GW#<id>` / `ROUTES#<a.b>`, holding a `version` and, per peering, the
 * prefixes that peering routes through the gateway within that block (attribute `route:<peeringId>`).
 * A new peering compare-and-sets the version of every block it adds prefixes to, in its own
 * transaction; a removal deletes its attribute and leaves the version (removing a route never
 * makes a concurrent check wrong).
 */
import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import type { RouteBlock, RouteBlockVersion } from '../../app/ports';
import { groupByRouteBlock } from '../../core/route-blocks';
import { type Key, keys, SK } from './items';

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];
type Item = Record<string, unknown>;

const ROUTE_ATTRIBUTE_PREFIX = 'route:';
const routeAttribute = (peeringId: string): string => `${ROUTE_ATTRIBUTE_PREFIX}${peeringId}`;

export interface RouteBlockRequest {
  gatewayId: string;
  prefixes: readonly string[];
}

/** Keys of the blocks of `prefixes` on each gateway, without repeats. */
export function routeBlockKeys(requests: readonly RouteBlockRequest[]): Key[] {
  const seen = new Map<string, Key>();
  for (const { gatewayId, prefixes } of requests) {
    for (const block of groupByRouteBlock(prefixes).keys()) {
      const key = keys.routeBlock(gatewayId, block);
      seen.set(`${key.pk}|${key.sk}`, key);
    }
  }
  return [...seen.values()];
}

/** A stored block item as the port describes it; a block never written is version 0, no routes. */
export function toRouteBlock(key: Key, item: Item | undefined): RouteBlock {
  const routes = Object.entries(item ?? {})
    .filter(([name, value]) => name.startsWith(ROUTE_ATTRIBUTE_PREFIX) && Array.isArray(value))
    .map(([name, value]) => ({
      peeringId: name.slice(ROUTE_ATTRIBUTE_PREFIX.length),
      prefixes: (value as unknown[]).map(String),
    }));
  return {
    gatewayId: key.pk.slice('GW#'.length),
    block: key.sk.slice(SK.routeBlock.length),
    version: typeof item?.version === 'number' ? item.version : 0,
    routes,
  };
}

/**
 * Transaction items adding `prefixes` (routed for `peeringId`) to the gateway's blocks. With
 * `expected` each is a compare-and-set of the version the checks read (0: never written); without
 * it (no checks ran, e.g. a direct repository call) the version is simply incremented.
 */
export function claimRouteBlocks(
  tableName: string,
  gatewayId: string,
  peeringId: string,
  prefixes: readonly string[],
  expected: readonly RouteBlockVersion[] | undefined,
): TransactItem[] {
  return [...groupByRouteBlock(prefixes)].map(([block, inBlock]) => {
    const names = { '#route': routeAttribute(peeringId) };
    if (!expected) {
      return {
        Update: {
          TableName: tableName,
          Key: keys.routeBlock(gatewayId, block),
          UpdateExpression: 'SET #route = :prefixes, entity = :entity ADD version :one',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: { ':prefixes': inBlock, ':entity': 'routeBlock', ':one': 1 },
        },
      };
    }
    const version =
      expected.find((seen) => seen.gatewayId === gatewayId && seen.block === block)?.version ?? 0;
    return {
      Update: {
        TableName: tableName,
        Key: keys.routeBlock(gatewayId, block),
        UpdateExpression: 'SET #route = :prefixes, entity = :entity, version = :next',
        ConditionExpression: version === 0 ? 'attribute_not_exists(version)' : 'version = :current',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: {
          ':prefixes': inBlock,
          ':entity': 'routeBlock',
          ':next': version + 1,
          ...(version === 0 ? {} : { ':current': version }),
        },
      },
    };
  });
}

/** Transaction items removing a peering's prefixes from the gateway's blocks (unconditional). */
export function releaseRouteBlocks(
  tableName: string,
  gatewayId: string,
  peeringId: string,
  prefixes: readonly string[],
): TransactItem[] {
  return [...groupByRouteBlock(prefixes).keys()].map((block) => ({
    Update: {
      TableName: tableName,
      Key: keys.routeBlock(gatewayId, block),
      UpdateExpression: 'REMOVE #route',
      ExpressionAttributeNames: { '#route': routeAttribute(peeringId) },
    },
  }));
}
