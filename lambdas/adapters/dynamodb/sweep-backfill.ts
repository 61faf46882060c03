/**
 * Items put in flight before the bySweep index existed (a table of an older version) carry no
 * index keys, and a stalled one has no next state change to add them: only the sweep would give it
 * one. So until one walk of the table has given every such item its keys, each sweep first walks
 * a bounded part of it (a filtered Scan, from where the last one stopped), and a marker item then
 * says the walk is done; a container that saw the marker does not read it again. On a new table
 * the walk is one page of a small table. (docs/DECISIONS.md, "The sweep reads an index".)
 */
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { IN_FLIGHT, keys, SET_OWNER_IN_FLIGHT_KEYS, SWEEP_INDEX_KEYS, type SweepKind } from './items';
import { TOTAL } from './metered';
import type { Item, Table } from './table';

/** Pages of the walk per sweep: about 25,000 items, a few seconds of the sweeper's minute. */
const PAGES_PER_SWEEP = 100;
const PAGE_ITEMS = 250;

/** Tables whose walk this container saw done. */
const walked = new Set<string>();

const [SWEEP_PK, SWEEP_SK] = SWEEP_INDEX_KEYS;
const WITHOUT_KEYS = `attribute_not_exists(${SWEEP_PK})`;

/** Either kind in flight, without index keys. */
const SCAN = {
  FilterExpression: `${WITHOUT_KEYS} AND ((${IN_FLIGHT.peering.condition}) OR (${IN_FLIGHT.cascade.condition}))`,
  ExpressionAttributeNames: { ...IN_FLIGHT.peering.names, ...IN_FLIGHT.cascade.names },
  ExpressionAttributeValues: { ...IN_FLIGHT.peering.values, ...IN_FLIGHT.cascade.values },
};

export async function backfillSweepKeys(
  table: Table,
  now: string,
  budget: { pages: number; pageItems: number } = { pages: PAGES_PER_SWEEP, pageItems: PAGE_ITEMS },
): Promise<void> {
  if (walked.has(table.name)) return;
  const marker = await table.get(keys.sweepBackfill());
  if (marker?.done === true) {
    walked.add(table.name);
    return;
  }
  let start = marker?.cursor as Record<string, unknown> | undefined;
  for (let page = 0; page < budget.pages; page++) {
    const output = await table.run(() =>
      table.client.send(
        new ScanCommand({
          ...TOTAL,
          TableName: table.name,
          ...SCAN,
          ExclusiveStartKey: start,
          Limit: budget.pageItems,
        }),
      ),
    );
    for (const item of output.Items ?? []) await giveKeys(table, item, now);
    start = output.LastEvaluatedKey;
    if (!start) break;
  }
  // Unconditional: of two sweeps walking at once, the later write wins, an earlier cursor only
  // repeats part of the walk, and the walk is idempotent (giveKeys adds only keys an item in flight
  // lacks).
  await table.put({
    ...keys.sweepBackfill(),
    entity: 'config',
    done: start === undefined,
    cursor: start ?? null,
  });
  if (start === undefined) walked.add(table.name);
}

/**
 * The keys its state change would have written (a peering's byOwnerInFlight keys too), unless it
 * settled or got them meanwhile.
 */
async function giveKeys(table: Table, item: Item, now: string): Promise<void> {
  const kind: SweepKind = item.entity === 'peering' ? 'peering' : 'cascade';
  const id = String(item.pk).slice(String(item.pk).indexOf('#') + 1);
  const inFlight = IN_FLIGHT[kind];
  const ownerKeys = kind === 'peering' ? `, ${SET_OWNER_IN_FLIGHT_KEYS}` : '';
  await table.updateIfMatches({
    Key: { pk: String(item.pk), sk: String(item.sk) },
    UpdateExpression: `SET ${SWEEP_PK} = :shard, ${SWEEP_SK} = if_not_exists(${inFlight.since}, :now)${ownerKeys}`,
    ConditionExpression: `${WITHOUT_KEYS} AND ${inFlight.condition}`,
    ExpressionAttributeNames: inFlight.names,
    ExpressionAttributeValues: { ...inFlight.values, ':shard': keys.sweepShard(kind, id), ':now': now },
  });
}
