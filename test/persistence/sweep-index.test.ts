/**
 * The sparse bySweep index (lambdas/adapters/dynamodb/items.ts) on DynamoDB Local: which items
 * carry its keys through their lives, and what a sweep costs with many settled items beside the
 * ones in flight. What a sweep finds is the Repository contract's (test/support/repository-contract.ts).
 */
import { randomUUID } from 'node:crypto';
import { CreateTableCommand, DeleteTableCommand, DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from '../../lambdas/adapters/dynamodb/items';
import { DynamoRepository } from '../../lambdas/adapters/dynamodb/repository';
import { createTableInput, ensureTable, TABLE_SCHEMA } from '../../lambdas/adapters/dynamodb/schema';
import { backfillSweepKeys } from '../../lambdas/adapters/dynamodb/sweep-backfill';
import type { GatewayRecord } from '../../lambdas/core/types';
import { useDynamoDb } from '../support/dynamodb';
import { gatewayRecord } from '../support/gateways';
import { newPeering, uniqueId } from '../support/records';

const db = useDynamoDb();

/** The item's bySweep keys, or undefined when it is not in the index. */
const sweepKeysOf = async (key: { pk: string; sk: string }, tableName = db.tableName) => {
  const item = (await db.documentClient().send(new GetCommand({ TableName: tableName, Key: key }))).Item;
  return item?.gsi3pk === undefined ? undefined : { shard: item.gsi3pk, since: item.gsi3sk };
};

async function pairOfGateways(): Promise<[GatewayRecord, GatewayRecord]> {
  const owner = uniqueId('owner');
  const a = gatewayRecord({ ownerId: owner, tunnelSubnet: '100.64.0.0/24', tunnelIp: '100.64.0.1' });
  const b = gatewayRecord({ ownerId: owner, tunnelSubnet: '100.64.1.0/24', tunnelIp: '100.64.1.1' });
  for (const gateway of [a, b]) await db.repository().createGateway(gateway);
  return [a, b];
}

describe('the bySweep index', () => {
  /** Tables of an older shape, made by the tests below: the shared DynamoDB Local keeps them otherwise. */
  const olderTables: string[] = [];
  afterAll(async () => {
    for (const TableName of olderTables) await db.client().send(new DeleteTableCommand({ TableName }));
  });

  it('holds a peering while PROVISIONING or DELETING, and FAILED until released, dated by the change, and not once it settled', async () => {
    // Prepare
    const [a, b] = await pairOfGateways();
    const at = (iso: string) => db.repository({ clock: () => new Date(iso) });
    const peering = await db.repository().createPeering(newPeering(a, b));
    const key = keys.peering(peering.id);

    // Act
    const provisioning = await sweepKeysOf(key);
    await at('2026-12-04T10:00:00.000Z').setPeeringStatus(peering.id, 'ACTIVE', null, ['PROVISIONING']);
    const active = await sweepKeysOf(key);
    await at('2026-12-04T11:00:00.000Z').setPeeringStatus(peering.id, 'DELETING', null, ['ACTIVE']);
    const deleting = await sweepKeysOf(key);
    await at('2026-12-04T12:00:00.000Z').setPeeringStatus(peering.id, 'FAILED', 'x', ['DELETING']);
    const failed = await sweepKeysOf(key);
    await db.repository().markPeeringReleased(peering.id);
    const released = await sweepKeysOf(key);

    // Assess
    expect(provisioning).toEqual({ shard: keys.sweepShard('peering', peering.id), since: peering.updatedAt });
    expect(active).toBeUndefined();
    expect(deleting).toEqual({
      shard: keys.sweepShard('peering', peering.id),
      since: '2026-12-04T11:00:00.000Z',
    });
    expect(failed).toEqual({
      shard: keys.sweepShard('peering', peering.id),
      since: '2026-12-04T12:00:00.000Z',
    });
    expect(released).toBeUndefined();
  });

  it('holds a tombstone while its cascade is pending, dated by the deletion', async () => {
    // Prepare
    const gateway = gatewayRecord({ id: uniqueId('gw') });
    await db.repository().createGateway(gateway);
    const key = keys.tombstone(gateway.id);

    // Act
    await db.repository({ clock: () => new Date('2026-12-04T10:00:00.000Z') }).deleteGateway(gateway.id);
    const pending = await sweepKeysOf(key);
    await db
      .repository({ clock: () => new Date('2026-12-04T11:00:00.000Z') })
      .beginGatewayCascade(gateway.id, gateway.desiredGeneration);
    const markedAgain = await sweepKeysOf(key);
    await db.repository().endGatewayCascade(gateway.id, gateway.desiredGeneration);
    const ended = await sweepKeysOf(key);

    // Assess
    const indexed = { shard: keys.sweepShard('cascade', gateway.id), since: '2026-12-04T10:00:00.000Z' };
    expect(pending).toEqual(indexed);
    expect(markedAgain).toEqual(indexed);
    expect(ended).toBeUndefined();
  });

  it('makes a sweep cost what is in flight, not the table', async () => {
    // Prepare: one stalled peering among 500 settled items of about 1 KB (written raw: the Scan
    // the index replaced was billed by every item of the table, whatever it was).
    const [a, b] = await pairOfGateways();
    const stalled = await db.repository().createPeering(newPeering(a, b));
    const settled = Array.from({ length: 500 }, (_, i) => ({
      pk: `SETTLED#${uniqueId('item')}`,
      sk: 'META',
      entity: 'settled',
      filler: 'x'.repeat(1000 + i),
    }));
    await Promise.all(
      Array.from({ length: settled.length / 25 }, (_, batch) =>
        db.documentClient().send(
          new BatchWriteCommand({
            RequestItems: {
              [db.tableName]: settled
                .slice(batch * 25, batch * 25 + 25)
                .map((Item) => ({ PutRequest: { Item } })),
            },
          }),
        ),
      ),
    );
    const bounds = {
      stalledBefore: '2999-01-01T00:00:00.000Z',
      cascadeBefore: '2000-01-01T00:00:00.000Z',
      walkBefore: '2999-01-01T00:00:00.000Z',
    };
    // A table's first sweep walks it once for items from before the index (sweep-backfill.ts).
    await db.repository().findSweepWork(bounds);
    let units = 0;
    const metered = db.repository({ onConsumedCapacity: (consumed) => (units += consumed) });

    // Act
    const work = await metered.findSweepWork(bounds);

    // Assess: 16 queries (8 shards, 2 kinds) of half a read unit each at most (eventually consistent,
    // a few small items), where the Scan before the index read every item: 80.5 units here.
    expect(work.stalledPeerings.map((peering) => peering.id)).toContain(stalled.id);
    expect(units).toBeLessThanOrEqual(8);
  });

  it('is added to a table made before it (a data dir of an older version), once, with byOwnerInFlight', async () => {
    // Prepare: the table as it was created before the index (and the later byOwnerInFlight) existed.
    const tableName = `before-sweep-${randomUUID()}`;
    olderTables.push(tableName);
    const input = createTableInput(tableName);
    const later: string[] = [TABLE_SCHEMA.sweepIndex.name, TABLE_SCHEMA.ownerInFlightIndex.name];
    const indexes = input.GlobalSecondaryIndexes?.filter((index) => !later.includes(String(index.IndexName)));
    const attributes = input.AttributeDefinitions?.filter(
      (attribute) => !/^gsi[34]/.test(String(attribute.AttributeName)),
    );
    await db.client().send(
      new CreateTableCommand({
        ...input,
        GlobalSecondaryIndexes: indexes,
        AttributeDefinitions: attributes,
      }),
    );

    // Act
    await ensureTable(db.client(), tableName);
    await ensureTable(db.client(), tableName);

    // Assess
    const table = (await db.client().send(new DescribeTableCommand({ TableName: tableName }))).Table;
    expect(
      table?.GlobalSecondaryIndexes?.map((index) => [index.IndexName, index.IndexStatus]).sort(),
    ).toEqual([
      ['byEntity', 'ACTIVE'],
      ['byOwner', 'ACTIVE'],
      ['byOwnerInFlight', 'ACTIVE'],
      ['bySweep', 'ACTIVE'],
    ]);
  });

  it('gives what was in flight before the index its keys, a bounded walk per sweep, then stops walking', async () => {
    // Prepare: a table of an older version: a peering stuck PROVISIONING and a deletion whose
    // cascade is pending, both without index keys, among settled items.
    const tableName = `walked-${randomUUID()}`;
    olderTables.push(tableName);
    await ensureTable(db.client(), tableName);
    const old = new DynamoRepository(db.documentClient(), tableName);
    const owner = uniqueId('owner');
    const [a, b, deleted] = ['100.64.0', '100.64.1', '100.64.2'].map((net) =>
      gatewayRecord({ ownerId: owner, tunnelSubnet: `${net}.0/24`, tunnelIp: `${net}.1` }),
    ) as [GatewayRecord, GatewayRecord, GatewayRecord];
    for (const gateway of [a, b, deleted]) await old.createGateway(gateway);
    const stuck = await old.createPeering(newPeering(a, b));
    await old.deleteGateway(deleted.id);
    for (const key of [keys.peering(stuck.id), keys.tombstone(deleted.id)]) {
      await db
        .documentClient()
        .send(
          new UpdateCommand({ TableName: tableName, Key: key, UpdateExpression: 'REMOVE gsi3pk, gsi3sk' }),
        );
    }
    const marker = async () =>
      (await db.documentClient().send(new GetCommand({ TableName: tableName, Key: keys.sweepBackfill() })))
        .Item;

    // Act: walks of one item a page and one page each, as sweeps would run them, until one says
    // the walk is done; then a sweep.
    let walks = 0;
    while ((await marker())?.done !== true && walks < 100) {
      await backfillSweepKeys(old.table, '2026-12-04T12:00:00.000Z', { pages: 1, pageItems: 1 });
      walks++;
    }
    const work = await old.findSweepWork({
      stalledBefore: '2999-01-01T00:00:00.000Z',
      cascadeBefore: '2999-01-01T00:00:00.000Z',
      walkBefore: '2999-01-01T00:00:00.000Z',
    });

    // Assess: the walk went on from where each one stopped, and both items are found, with the keys
    // their state changes would have written.
    expect(walks).toBeGreaterThan(5);
    expect(walks).toBeLessThan(100);
    expect(work.stalledPeerings.map((peering) => peering.id)).toEqual([stuck.id]);
    expect(work.pendingCascades.map((removed) => removed.id)).toEqual([deleted.id]);
    expect(await sweepKeysOf(keys.peering(stuck.id), tableName)).toEqual({
      shard: keys.sweepShard('peering', stuck.id),
      since: stuck.updatedAt,
    });
  });
});
