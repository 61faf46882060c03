/**
 * Route lock items (core/route-blocks.ts, docs/DECISIONS.md "Busy hub: route locks"): one item per
 * gateway and claimed block, `GW#<id>` / `ROUTES#16:a.b` or `ROUTES#24:a.b.c`, holding `version`
 * (exclusive claims), `descendants` (shared claims) and, per peering, the prefixes that peering
 * routes through the gateway within the block (attribute `route:<peeringId>`). A new peering
 * claims its blocks in its own transaction; a removal deletes its route attribute and leaves the
 * counters (they only grow, so a compare-and-set can never match a block that changed and came
 * back; and removing a route never makes a concurrent check wrong).
 */
import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import type { RouteBlock, RouteBlockVersion } from '../../app/ports';
import { type RouteLockClaim, routeLockClaims } from '../../core/route-blocks';
import { type Key, keys, SK } from './items';

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];
type Item = Record<string, unknown>;

const ROUTE_ATTRIBUTE_PREFIX = 'route:';
const routeAttribute = (peeringId: string): string => `${ROUTE_ATTRIBUTE_PREFIX}${peeringId}`;

export interface RouteBlockRequest {
  gatewayId: string;
  prefixes: readonly string[];
}

/** Keys of the blocks `prefixes` claim on each gateway, without repeats. */
export function routeBlockKeys(requests: readonly RouteBlockRequest[]): Key[] {
  const seen = new Map<string, Key>();
  for (const { gatewayId, prefixes } of requests) {
    for (const { block } of routeLockClaims(prefixes)) {
      const key = keys.routeBlock(gatewayId, block);
      seen.set(`${key.pk}|${key.sk}`, key);
    }
  }
  return [...seen.values()];
}

const counter = (value: unknown): number => (typeof value === 'number' ? value : 0);

/** A stored block as the port describes it; a block never written has zeros and no routes. */
export function toRouteBlock(key: Key, item: Item | undefined): RouteBlock {
  const routes = Object.entries(item ?? {})
    .filter(([name, value]) => name.startsWith(ROUTE_ATTRIBUTE_PREFIX) && Array.isArray(value))
    .map(([name, value]) => ({
      peeringId: name.slice(ROUTE_ATTRIBUTE_PREFIX.length),
      prefixes: (value as unknown[]).map(String),
    }));
  return {
    gatewayId: key.pk.slice(keys.gatewayPartition('').length),
    block: key.sk.slice(SK.routeBlock.length),
    version: counter(item?.version),
    descendants: counter(item?.descendants),
    routes,
  };
}

/** `attribute = :value`, or absent when the value seen was 0 (never written). */
const unchanged = (attribute: string, seen: number): string =>
  seen === 0 ? `attribute_not_exists(${attribute})` : `${attribute} = :seen_${attribute}`;

function claimItem(
  tableName: string,
  gatewayId: string,
  peeringId: string,
  claim: RouteLockClaim,
  expected: readonly RouteBlockVersion[] | undefined,
): TransactItem {
  const key = keys.routeBlock(gatewayId, claim.block);
  const names = { '#route': routeAttribute(peeringId) };
  const base = { ':prefixes': claim.prefixes, ':entity': 'routeBlock', ':one': 1 };
  const set = 'SET #route = :prefixes, entity = :entity';
  if (!expected) {
    // No checks ran (a direct repository call): count the claim, bind nothing.
    const add = claim.exclusive ? 'ADD version :one' : 'ADD descendants :one';
    return {
      Update: {
        TableName: tableName,
        Key: key,
        UpdateExpression: `${set} ${add}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: base,
      },
    };
  }
  const seen = expected.find((block) => block.gatewayId === gatewayId && block.block === claim.block);
  const version = seen?.version ?? 0;
  const descendants = seen?.descendants ?? 0;
  const conditions = [
    unchanged('version', version),
    ...(claim.exclusive ? [unchanged('descendants', descendants)] : []),
  ];
  // DynamoDB refuses values the expressions do not use: an exclusive claim sets, a shared one adds.
  const values: Record<string, unknown> = {
    ':prefixes': claim.prefixes,
    ':entity': 'routeBlock',
    ...(claim.exclusive ? { ':next': version + 1 } : { ':one': 1 }),
  };
  if (version !== 0) values[':seen_version'] = version;
  if (claim.exclusive && descendants !== 0) values[':seen_descendants'] = descendants;
  return {
    Update: {
      TableName: tableName,
      Key: key,
      UpdateExpression: claim.exclusive ? `${set}, version = :next` : `${set} ADD descendants :one`,
      ConditionExpression: conditions.join(' AND '),
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    },
  };
}

/**
 * Transaction items claiming the blocks of `prefixes` (routed for `peeringId`) on a gateway. With
 * `expected` (the counters the checks read) each claim is conditional on them; without, it only
 * counts.
 */
export function claimRouteBlocks(
  tableName: string,
  gatewayId: string,
  peeringId: string,
  prefixes: readonly string[],
  expected: readonly RouteBlockVersion[] | undefined,
): TransactItem[] {
  return routeLockClaims(prefixes).map((claim) =>
    claimItem(tableName, gatewayId, peeringId, claim, expected),
  );
}

/** Transaction items removing a peering's prefixes from the gateway's blocks (unconditional). */
export function releaseRouteBlocks(
  tableName: string,
  gatewayId: string,
  peeringId: string,
  prefixes: readonly string[],
): TransactItem[] {
  return routeLockClaims(prefixes).map(({ block }) => ({
    Update: {
      TableName: tableName,
      Key: keys.routeBlock(gatewayId, block),
      UpdateExpression: 'REMOVE #route',
      ExpressionAttributeNames: { '#route': routeAttribute(peeringId) },
    },
  }));
}
