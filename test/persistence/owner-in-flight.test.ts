/**
 * The sparse byOwnerInFlight index (lambdas/adapters/dynamodb/items.ts) on DynamoDB Local: which
 * peerings carry its keys, what one create's admission (app/api/limits.ts) reads beside thousands of
 * the owner's settled peerings, and what a lagging index entry does. What the read answers is the
 * Repository contract's (test/support/contract/in-flight-peerings.ts).
 */
import { randomUUID } from 'node:crypto';
import { CreateTableCommand, DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { keys, peeringItem } from '../../lambdas/adapters/dynamodb/items';
import { DynamoRepository } from '../../lambdas/adapters/dynamodb/repository';
import { createTableInput, TABLE_SCHEMA } from '../../lambdas/adapters/dynamodb/schema';
import { backfillSweepKeys } from '../../lambdas/adapters/dynamodb/sweep-backfill';
import { admitOperation } from '../../lambdas/app/api/limits';
import type { Repository } from '../../lambdas/app/ports';
import type { GatewayRecord, Peering } from '../../lambdas/core/types';
import { useDynamoDb } from '../support/dynamodb';
import { gatewayRecord } from '../support/gateways';
import { ownerLimits } from '../support/limits';
import { newPeering, uniqueId } from '../support/records';

const db = useDynamoDb();

/** Settled peerings of one owner beside the one in flight: enough to show the read flat in them. */
const SETTLED = 2_000;
const BATCH_WRITE_ITEMS = 25;
const WRITES_AT_ONCE = 16;

/** The item's byOwnerInFlight keys, or undefined when it is not in the index. */
const ownerKeysOf = async (id: string) => {
  const { Item } = await db
    .documentClient()
    .send(new GetCommand({ TableName: db.tableName, Key: keys.peering(id) }));
  return Item?.gsi4pk === undefined ? undefined : { owner: Item.gsi4pk, sortKey: Item.gsi4sk };
};

async function pairOfGateways(owner = uniqueId('owner')): Promise<[GatewayRecord, GatewayRecord]> {
  const a = gatewayRecord({ ownerId: owner, tunnelSubnet: '100.64.0.0/24', tunnelIp: '100.64.0.1' });
  const b = gatewayRecord({ ownerId: owner, tunnelSubnet: '100.64.1.0/24', tunnelIp: '100.64.1.1' });
  for (const gateway of [a, b]) await db.repository().createGateway(gateway);
  return [a, b];
}

/** `count` ACTIVE copies of `peering` under new ids, written as the adapter maps a peering. */
async function seedSettled(peering: Peering, count: number): Promise<void> {
  const items = Array.from({ length: count }, () =>
    peeringItem({ ...peering, id: uniqueId('pcx'), status: 'ACTIVE' }),
  );
  const batches = Array.from({ length: Math.ceil(count / BATCH_WRITE_ITEMS) }, (_, i) =>
    items.slice(i * BATCH_WRITE_ITEMS, (i + 1) * BATCH_WRITE_ITEMS),
  );
  for (let i = 0; i < batches.length; i += WRITES_AT_ONCE) {
    await Promise.all(
      batches.slice(i, i + WRITES_AT_ONCE).map((batch) =>
        db.documentClient().send(
          new BatchWriteCommand({
            RequestItems: { [db.tableName]: batch.map((Item) => ({ PutRequest: { Item } })) },
          }),
        ),
      ),
    );
  }
}

/** A repository on the test table that counts its requests and capacity units. */
function meteredRepository(): { repository: Repository; requests: () => number; units: () => number } {
  const client = db.documentClient();
  let requests = 0;
  let units = 0;
  const counting = Object.assign(Object.create(client) as DynamoDBDocumentClient, {
    send: (command: Parameters<DynamoDBDocumentClient['send']>[0]) => {
      requests += 1;
      return client.send(command);
    },
  });
  const repository = new DynamoRepository(counting, db.tableName, {
    onConsumedCapacity: (consumed) => (units += consumed),
  });
  return { repository, requests: () => requests, units: () => units };
}

const noExecutions = {
  start: async (_workflow: string, name: string) => ({ executionId: name, mayHaveEnded: true }),
  describe: async () => ({ status: 'RUNNING' as const }),
  find: async () => undefined,
};

const limitsOf = (operationsInFlightPerOwner: number) =>
  ownerLimits({ gatewaysPerOwner: 100, roadWarriorsPerGateway: 250, operationsInFlightPerOwner });

describe('the byOwnerInFlight index', () => {
  it('holds a peering while PROVISIONING or DELETING, under its owner, and not once it settled or went', async () => {
    // Prepare
    const [a, b] = await pairOfGateways();
    const peering = await db.repository().createPeering(newPeering(a, b));

    // Act
    const provisioning = await ownerKeysOf(peering.id);
    await db.repository().setPeeringStatus(peering.id, 'ACTIVE', null, ['PROVISIONING']);
    const active = await ownerKeysOf(peering.id);
    await db.repository().setPeeringStatus(peering.id, 'DELETING', null, ['ACTIVE']);
    const deleting = await ownerKeysOf(peering.id);
    await db.repository().releasePeering(peering.id, { deleteRecord: true });
    const released = await ownerKeysOf(peering.id);

    // Assess
    const indexed = { owner: keys.owner(a.ownerId), sortKey: keys.ownedPeeringSk(peering.id) };
    expect(provisioning).toEqual(indexed);
    expect(active).toBeUndefined();
    expect(deleting).toEqual(indexed);
    expect(released).toBeUndefined();
  });

  it(`makes one admission read the owner's peerings in flight, not its ${SETTLED} settled ones`, async () => {
    // Prepare: one create in flight among SETTLED settled peerings of the same owner, and one
    // admitted before (its admission item exists).
    const [a, b] = await pairOfGateways();
    const inFlight = await db.repository().createPeering(newPeering(a, b));
    await seedSettled(inFlight, SETTLED);
    const { repository, requests, units } = meteredRepository();
    const deps = { repository, clock: () => new Date(), workflows: noExecutions };
    await admitOperation(deps, a.ownerId, uniqueId('pcx'), limitsOf(3));
    const [requestsBefore, unitsBefore] = [requests(), units()];

    // Act
    await admitOperation(deps, a.ownerId, uniqueId('pcx'), limitsOf(3));
    const [admissionRequests, admissionUnits] = [requests() - requestsBefore, units() - unitsBefore];
    const third = await admitOperation(deps, a.ownerId, uniqueId('pcx'), limitsOf(3)).catch(
      (error: Error) => error,
    );

    // Assess: one Query of the index, one BatchGetItem of the one peering found, one UpdateItem of
    // the admission item (its fast path); before the index the admission paged every peering of
    // the owner, twice (about 80 requests and 4,000 read units here). The one in flight and the
    // two admitted fill the limit.
    expect(admissionRequests).toBeLessThanOrEqual(3);
    expect(admissionUnits).toBeLessThanOrEqual(2);
    expect(third).toMatchObject({ name: 'TooManyOperationsError' });
  }, 30_000);

  it('leaves out peerings the index still lists that settled meanwhile, and reads on past them', async () => {
    // Prepare: three settled peerings still listed in flight (an index not yet updated, planted),
    // sorting before the one really in flight.
    const [a, b] = await pairOfGateways();
    const owner = a.ownerId;
    const lagging = ['pcx-0-lagging-a', 'pcx-0-lagging-b', 'pcx-0-lagging-c'];
    for (const id of lagging) await plantLaggingEntry(id, owner);
    const inFlight = await db.repository().createPeering(newPeering(a, b, `pcx-1-${randomUUID()}`));

    // Act
    const ids = await db.repository().inFlightPeeringIds(owner, 2);

    // Assess
    expect(lagging.every((id) => id < inFlight.id)).toBe(true);
    expect(ids).toEqual([inFlight.id]);
  });

  it('reads as none while the index is not there yet (a deploy still building it)', async () => {
    // Prepare: a table without the index, with a peering in flight.
    const tableName = `without-index-${randomUUID()}`;
    const input = createTableInput(tableName);
    await db.client().send(
      new CreateTableCommand({
        ...input,
        GlobalSecondaryIndexes: input.GlobalSecondaryIndexes?.filter(
          (index) => index.IndexName !== TABLE_SCHEMA.ownerInFlightIndex.name,
        ),
        AttributeDefinitions: input.AttributeDefinitions?.filter(
          (attribute) => !String(attribute.AttributeName).startsWith('gsi4'),
        ),
      }),
    );
    const older = new DynamoRepository(db.documentClient(), tableName);
    try {
      const owner = uniqueId('owner');
      const a = gatewayRecord({ ownerId: owner, tunnelSubnet: '100.64.0.0/24', tunnelIp: '100.64.0.1' });
      const b = gatewayRecord({ ownerId: owner, tunnelSubnet: '100.64.1.0/24', tunnelIp: '100.64.1.1' });
      for (const gateway of [a, b]) await older.createGateway(gateway);
      await older.createPeering(newPeering(a, b));

      // Act
      const ids = await older.inFlightPeeringIds(owner, 10);

      // Assess: its create still counts through its admission entry (app/api/limits.ts).
      expect(ids).toEqual([]);
    } finally {
      await db.client().send(new DeleteTableCommand({ TableName: tableName }));
    }
  });

  it('is given by the sweep backfill to a peering in flight from before the indexes', async () => {
    // Prepare: a peering in flight without index keys (written by an older version).
    const [a, b] = await pairOfGateways();
    const peering = await db.repository().createPeering(newPeering(a, b));
    await db.documentClient().send(
      new UpdateCommand({
        TableName: db.tableName,
        Key: keys.peering(peering.id),
        UpdateExpression: 'REMOVE gsi3pk, gsi3sk, gsi4pk, gsi4sk',
      }),
    );
    const before = await db.repository().inFlightPeeringIds(a.ownerId, 10);

    // Act
    await backfillSweepKeys(db.repository().table, new Date().toISOString());

    // Assess
    expect(before).toEqual([]);
    expect(await ownerKeysOf(peering.id)).toEqual({
      owner: keys.owner(a.ownerId),
      sortKey: keys.ownedPeeringSk(peering.id),
    });
    expect(await db.repository().inFlightPeeringIds(a.ownerId, 10)).toEqual([peering.id]);
  });
});

/** A settled peering of `owner` still carrying byOwnerInFlight keys, as a lagging index lists it. */
async function plantLaggingEntry(id: string, owner: string): Promise<void> {
  const item = peeringItem({
    id,
    ownerId: owner,
    gatewayIds: ['gw-x', 'gw-y'],
    status: 'ACTIVE',
    statusReason: null,
    createdAt: '2026-12-05T00:00:00.000Z',
    updatedAt: '2026-12-05T00:00:00.000Z',
    sides: [],
  } as unknown as Peering);
  await db.documentClient().send(
    new PutCommand({
      TableName: db.tableName,
      Item: { ...item, gsi4pk: keys.owner(owner), gsi4sk: keys.ownedPeeringSk(id) },
    }),
  );
}
