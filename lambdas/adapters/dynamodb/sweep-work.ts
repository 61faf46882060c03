/**
 * The sweep's input (app/sweeper.ts): peerings still PROVISIONING or DELETING whose last change is
 * older than one time, tombstones whose cascade is still pending since before another, and gateways
 * whose peer walk is owed since before a third. Read
 * from the sparse bySweep index (items.ts), which holds only what is in flight: one Query per shard
 * and kind, so a sweep costs what is in flight, not the table (docs/DECISIONS.md, "The sweep reads
 * an index of what is in flight").
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { RemovedGateway, SweepStore, SweepWork } from '../../app/ports';
import type { UnfinishedMove } from '../../core/types';
import {
  IN_FLIGHT,
  keys,
  SWEEP_SHARDS,
  type SweepKind,
  sweepShardKey,
  toGatewayRecord,
  toPeering,
} from './items';
import { TOTAL } from './metered';
import { TABLE_SCHEMA } from './schema';
import { backfillSweepKeys } from './sweep-backfill';
import type { Item, Table } from './table';

const TOMBSTONE_PREFIX = keys.tombstone('').pk;
const { sweepIndex } = TABLE_SCHEMA;

/**
 * What of a shard's items past the bound is work: in flight (IN_FLIGHT), and more. The index sort
 * key is when the state began; a peering's updatedAt moves on within it (a side applied), and
 * counts. A FAILED peering is in the index only until its release ends (markPeeringReleased), and
 * is work until then. A tombstone written before it kept what the cascade needs (no instanceId)
 * cannot be cascaded again.
 */
const WORK: Record<SweepKind, { condition: string; values: Record<string, unknown> }> = {
  peering: {
    condition:
      '#entity = :peering AND sk = :meta AND #status IN (:provisioning, :deleting, :failed) AND updatedAt < :before',
    values: { ...IN_FLIGHT.peering.values, ':failed': 'FAILED' },
  },
  cascade: {
    condition: `${IN_FLIGHT.cascade.condition} AND attribute_exists(instanceId)`,
    values: IN_FLIGHT.cascade.values,
  },
  walk: IN_FLIGHT.walk,
};

/** Items read per Query request: a page answers well inside the SDK's request timeout. */
const PAGE_ITEMS = 250;

export async function findSweepWork(
  table: Table,
  bounds: Parameters<SweepStore['findSweepWork']>[0],
  clock: () => Date,
): Promise<SweepWork> {
  // Items in flight from before the index get their keys first (a bounded part per sweep).
  await backfillSweepKeys(table, clock().toISOString());
  const [peerings, tombstones, gateways] = await Promise.all([
    readKind(table, 'peering', bounds.stalledBefore),
    readKind(table, 'cascade', bounds.cascadeBefore),
    readKind(table, 'walk', bounds.walkBefore),
  ]);
  return {
    stalledPeerings: peerings.map(toPeering),
    pendingCascades: tombstones.map(toRemovedGateway),
    owedWalks: gateways.map(toGatewayRecord),
  };
}

/** Every shard of one kind whose state began before `before`, filtered as WORK says. */
async function readKind(table: Table, kind: SweepKind, before: string): Promise<Item[]> {
  const shards = Array.from({ length: SWEEP_SHARDS }, (_, shard) => sweepShardKey(kind, shard));
  const pages = await Promise.all(shards.map((shard) => readShard(table, kind, shard, before)));
  return pages.flat();
}

async function readShard(table: Table, kind: SweepKind, shard: string, before: string): Promise<Item[]> {
  const items: Item[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    // Through table.run, as every call of the adapter: a throttled page is a TransientError.
    const page = await table.run(() =>
      table.client.send(
        new QueryCommand({
          ...TOTAL,
          TableName: table.name,
          IndexName: sweepIndex.name,
          KeyConditionExpression: `${sweepIndex.partitionKey} = :shard AND ${sweepIndex.sortKey} < :before`,
          FilterExpression: WORK[kind].condition,
          ExpressionAttributeNames: IN_FLIGHT[kind].names,
          ExpressionAttributeValues: { ':shard': shard, ':before': before, ...WORK[kind].values },
          ExclusiveStartKey: start,
          Limit: PAGE_ITEMS,
        }),
      ),
    );
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

/** What the tombstone kept of the deleted gateway (DynamoGatewayStore.deleteGateway). */
function toRemovedGateway(item: Item): RemovedGateway {
  return {
    id: String(item.pk).slice(TOMBSTONE_PREFIX.length),
    instanceId: String(item.instanceId),
    desiredGeneration: Number(item.lastGeneration),
    privateKeyParam: typeof item.privateKeyParam === 'string' ? item.privateKeyParam : null,
    ...(item.unfinishedMove === undefined ? {} : { unfinishedMove: item.unfinishedMove as UnfinishedMove }),
  };
}
