/**
 * Items put in flight before the bySweep index existed (a table of an older version) carry no
 * index keys, and a stalled one has no next state change to add them: only the sweep would give it
 * one. So until one walk of the table has given every such item its keys, each sweep first walks
 * a bounded part of it (a filtered Scan, from where the last one stopped), and a marker item then
 * says the walk is done; a container that saw the marker does not read it again. On a new table
 * the walk is one page of a small table. (docs/DECISIONS.md, "The sweep reads an index".)
 */
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { keys, SK, SWEEP_INDEX_KEYS, type SweepKind } from './items';
import { TOTAL } from './metered';
import type { Item, Table } from './table';

/** Pages of the walk per sweep: about 25,000 items, a few seconds of the sweeper's minute. */
const PAGES_PER_SWEEP = 100;
const PAGE_ITEMS = 250;

/** Tables whose walk this container saw done. */
const walked = new Set<string>();

const IN_FLIGHT_WITHOUT_KEYS = [
  `attribute_not_exists(${SWEEP_INDEX_KEYS[0]})`,
  'AND ((#entity = :peering AND sk = :meta AND #status IN (:provisioning, :deleting))',
  'OR (#entity = :tombstone AND cascadePending = :pending))',
].join(' ');

const STATE_VALUES = { ':provisioning': 'PROVISIONING', ':deleting': 'DELETING', ':pending': true };

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
          FilterExpression: IN_FLIGHT_WITHOUT_KEYS,
          ExpressionAttributeNames: { '#entity': 'entity', '#status': 'status' },
          ExpressionAttributeValues: {
            ':peering': 'peering',
            ':tombstone': 'tombstone',
            ':meta': SK.meta,
            ...STATE_VALUES,
          },
          ExclusiveStartKey: start,
          Limit: budget.pageItems,
        }),
      ),
    );
    for (const item of output.Items ?? []) await giveKeys(table, item, now);
    start = output.LastEvaluatedKey;
    if (!start) break;
  }
  // Unconditional: two sweeps walking at once write the same or a later cursor, and the walk is
  // idempotent (giveKeys only adds keys an item in flight lacks).
  await table.put({
    ...keys.sweepBackfill(),
    entity: 'config',
    done: start === undefined,
    cursor: start ?? null,
  });
  if (start === undefined) walked.add(table.name);
}

/** The keys its state change would have written, unless it settled or got them meanwhile. */
async function giveKeys(table: Table, item: Item, now: string): Promise<void> {
  const kind: SweepKind = item.entity === 'peering' ? 'peering' : 'cascade';
  const id = String(item.pk).slice(String(item.pk).indexOf('#') + 1);
  const [sweepPk, sweepSk] = SWEEP_INDEX_KEYS;
  await table.updateIfMatches({
    Key: { pk: String(item.pk), sk: String(item.sk) },
    UpdateExpression:
      kind === 'peering'
        ? `SET ${sweepPk} = :shard, ${sweepSk} = updatedAt`
        : `SET ${sweepPk} = :shard, ${sweepSk} = if_not_exists(deletedAt, :now)`,
    ConditionExpression:
      kind === 'peering'
        ? `attribute_not_exists(${sweepPk}) AND #status IN (:provisioning, :deleting)`
        : `attribute_not_exists(${sweepPk}) AND cascadePending = :pending`,
    ExpressionAttributeNames: kind === 'peering' ? { '#status': 'status' } : undefined,
    ExpressionAttributeValues:
      kind === 'peering'
        ? { ':shard': keys.sweepShard(kind, id), ':provisioning': 'PROVISIONING', ':deleting': 'DELETING' }
        : { ':shard': keys.sweepShard(kind, id), ':pending': true, ':now': now },
  });
}
