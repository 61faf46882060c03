/**
 * Owner lists on a lagging index: the byOwner index (a GSI, eventually consistent) names ids, the
 * items are read fresh. An id deleted and registered again by another owner may still be indexed
 * under the first one for a while; that owner's list must not show the new owner's item.
 *
 * DynamoDB Local updates its indexes at once, so the stale entry is planted: an item of its own
 * whose byOwner keys are those the old incarnation had.
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { useDynamoDb } from '../support/dynamodb';
import { gatewayRecord } from '../support/gateways';
import { everyGateway, everyPeering } from '../support/pages';
import { newPeering, uniqueId } from '../support/records';

const db = useDynamoDb();

/** An index entry listing `sortKey` under `ownerId`, as a not yet updated index would. */
async function staleIndexEntry(ownerId: string, sortKey: string): Promise<void> {
  await db.documentClient().send(
    new PutCommand({
      TableName: db.tableName,
      Item: { pk: `STALE#${uniqueId('entry')}`, sk: 'META', gsi1pk: `OWNER#${ownerId}`, gsi1sk: sortKey },
    }),
  );
}

describe('owner lists on a lagging byOwner index', () => {
  it("leaves out of an owner's gateways one the index still lists but another owner now holds", async () => {
    // Prepare: alice's own gateway, and bob's that the index still lists under alice.
    const [alice, bob] = [uniqueId('alice'), uniqueId('bob')];
    const own = gatewayRecord({ ownerId: alice });
    const taken = gatewayRecord({ ownerId: bob });
    await db.repository().createGateway(own);
    await db.repository().createGateway(taken);
    await staleIndexEntry(alice, `GW#${taken.id}`);

    // Act
    const listed = await everyGateway(db.repository(), { ownerId: alice });
    const all = await everyGateway(db.repository());

    // Assess: bob's stays his (and in the admin list, which reads no owner's index).
    expect(listed.map((gateway) => gateway.id)).toEqual([own.id]);
    expect(all.map((gateway) => gateway.id)).toEqual(expect.arrayContaining([own.id, taken.id]));
  });

  it("leaves out of an owner's peerings one the index still lists but another owner now holds", async () => {
    // Prepare: a peering of bob's that the index still lists under alice.
    const [alice, bob] = [uniqueId('alice'), uniqueId('bob')];
    const a = gatewayRecord({ ownerId: bob, tunnelSubnet: '100.64.0.0/24', tunnelIp: '100.64.0.1' });
    const b = gatewayRecord({ ownerId: bob, tunnelSubnet: '100.64.1.0/24', tunnelIp: '100.64.1.1' });
    await db.repository().createGateway(a);
    await db.repository().createGateway(b);
    const peering = await db.repository().createPeering(newPeering(a, b));
    await staleIndexEntry(alice, `PEERING#${peering.id}`);

    // Act
    const listed = await everyPeering(db.repository(), { ownerId: alice });
    const bobs = await everyPeering(db.repository(), { ownerId: bob });

    // Assess
    expect(listed).toEqual([]);
    expect(bobs.map((item) => item.id)).toEqual([peering.id]);
  });
});
