/**
 * Public-key items on DynamoDB Local (lambdas/adapters/dynamodb/public-keys.ts): many writers of
 * one key at once, the items each write and removal leaves, and entries older than the items. The
 * rules themselves are the Repository contract's (test/support/contract/public-keys.ts).
 */
import { DeleteCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { publicKeyKey } from '../../lambdas/adapters/dynamodb/public-keys';
import { validatePeering } from '../../lambdas/app/peering-workflow';
import { ConflictError } from '../../lambdas/core/errors';
import { peeringPeerName } from '../../lambdas/core/schemas';
import { useDynamoDb } from '../support/dynamodb';
import { gatewayRecord } from '../support/gateways';
import { newPeering, publicKeyOf, roadWarrior } from '../support/records';

const db = useDynamoDb();
const KEY_IN_USE = new ConflictError('PUBLIC_KEY_IN_USE');

/** The gateway's key items: the key and its holder, in key order. */
async function keyItems(gatewayId: string): Promise<{ key: string; holder: string }[]> {
  const { Items = [] } = await db.documentClient().send(
    new QueryCommand({
      TableName: db.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :key)',
      ExpressionAttributeValues: { ':pk': `GW#${gatewayId}`, ':key': 'KEY#' },
      ConsistentRead: true,
    }),
  );
  return Items.map((item) => ({ key: String(item.sk).slice('KEY#'.length), holder: String(item.holder) }));
}

const holding = (gatewayId: string, name: string, publicKey: string) =>
  db.repository().addRoadWarrior({ ...roadWarrior(gatewayId, name), publicKey });

describe('public-key items', () => {
  it('let one of twenty road-warriors with one key in at once, and go with it', async () => {
    // Prepare
    const gateway = gatewayRecord();
    await db.repository().createGateway(gateway);
    const key = publicKeyOf(gateway.id, 'shared');

    // Act
    const adds = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => holding(gateway.id, `laptop-${i}`, key)),
    );
    const itemsWhileHeld = await keyItems(gateway.id);
    const [winner] = await db.repository().listPeers(gateway.id);
    await db.repository().removeRoadWarrior(gateway.id, winner?.name ?? '');

    // Assess: one entry, one item naming it; nothing once it is removed.
    const refusals = adds.flatMap((add) => (add.status === 'rejected' ? [add.reason] : []));
    expect(refusals).toEqual(Array.from({ length: 19 }, () => KEY_IN_USE));
    expect(itemsWhileHeld).toEqual([{ key, holder: winner?.name }]);
    expect(await keyItems(gateway.id)).toEqual([]);
  });

  it("are written for both sides of a peering, go with its detach, and a deleted gateway's go with its residue", async () => {
    // Prepare
    const [a, b] = [gatewayRecord(), gatewayRecord()];
    for (const gateway of [a, b]) await db.repository().createGateway(gateway);
    const input = newPeering(a, b);
    const holder = peeringPeerName(input.id);

    // Act
    await db.repository().createPeering(input);
    const whilePeered = [await keyItems(a.id), await keyItems(b.id)];
    await db.repository().detachPeering(input.id);
    const afterDetach = [await keyItems(a.id), await keyItems(b.id)];
    await holding(a.id, 'laptop', publicKeyOf(a.id, 'laptop'));
    await db.repository().deleteGateway(a.id);
    await db.repository().purgeGatewayResidue(a.id);

    // Assess
    expect(whilePeered).toEqual([[{ key: b.publicKey, holder }], [{ key: a.publicKey, holder }]]);
    expect(afterDetach).toEqual([[], []]);
    expect(await keyItems(a.id)).toEqual([]);
  });

  it('leave to Validate an entry older than them, and never free a key another entry holds', async () => {
    // Prepare: "old" holds b's key on a with no item, as entries written before the items do;
    // "new" holds another key that "old" also has (a duplicate from before the read check).
    const [a, b] = [gatewayRecord(), gatewayRecord()];
    for (const gateway of [a, b]) await db.repository().createGateway(gateway);
    const shared = publicKeyOf(a.id, 'shared');
    await holding(a.id, 'old', b.publicKey);
    await db
      .documentClient()
      .send(new DeleteCommand({ TableName: db.tableName, Key: publicKeyKey(a.id, b.publicKey) }));
    await holding(a.id, 'legacy', shared);
    await db
      .documentClient()
      .send(new DeleteCommand({ TableName: db.tableName, Key: publicKeyKey(a.id, shared) }));
    await holding(a.id, 'new', shared);
    const peering = { peeringId: 'pcx-legacy', gatewayId: a.id, remoteGatewayId: b.id };

    // Act
    const validation = validatePeering({ repository: db.repository() }, peering);
    await expect(validation).rejects.toEqual(KEY_IN_USE);
    const removedLegacy = await db.repository().removeRoadWarrior(a.id, 'legacy');
    const thirdHolder = holding(a.id, 'third', shared);

    // Assess: removing "legacy" left the item of "new".
    expect(removedLegacy?.name).toBe('legacy');
    await expect(thirdHolder).rejects.toEqual(KEY_IN_USE);
    expect(await keyItems(a.id)).toEqual([{ key: shared, holder: 'new' }]);
  });

  it("move with a peer gateway's new key: the entry's old item released, the new one claimed, once", async () => {
    // Prepare
    const [a, b] = [gatewayRecord(), gatewayRecord()];
    for (const gateway of [a, b]) await db.repository().createGateway(gateway);
    const input = newPeering(a, b);
    await db.repository().createPeering(input);
    const holder = peeringPeerName(input.id);
    const remote = { endpoint: `${b.publicIp}:${b.listenPort}`, publicKey: publicKeyOf(b.id, 'rekeyed') };

    // Act
    const generations = [
      await db.repository().updateRemotePeer(a.id, holder, remote),
      await db.repository().updateRemotePeer(a.id, holder, remote),
    ];

    // Assess: one bump; only the new key's item, naming the entry.
    expect(generations).toEqual([2, 2]);
    expect(await keyItems(a.id)).toEqual([{ key: remote.publicKey, holder }]);
  });

  it('let one of a new key for an entry and road-warriors with that key in at once', async () => {
    // Prepare
    const [a, b] = [gatewayRecord(), gatewayRecord()];
    for (const gateway of [a, b]) await db.repository().createGateway(gateway);
    const input = newPeering(a, b);
    await db.repository().createPeering(input);
    const holder = peeringPeerName(input.id);
    const key = publicKeyOf(b.id, 'rekeyed');

    // Act
    const outcomes = await Promise.allSettled([
      db
        .repository()
        .updateRemotePeer(a.id, holder, { endpoint: `${b.publicIp}:${b.listenPort}`, publicKey: key }),
      ...Array.from({ length: 5 }, (_, i) => holding(a.id, `laptop-${i}`, key)),
    ]);

    // Assess: one holder of the key, whichever it is, and its item names it.
    const refusals = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason] : []));
    expect(refusals).toEqual(Array.from({ length: 5 }, () => KEY_IN_USE));
    const holders = (await db.repository().listPeers(a.id)).filter((peer) => peer.publicKey === key);
    expect(holders).toHaveLength(1);
    expect((await keyItems(a.id)).filter((item) => item.key === key)).toEqual([
      { key, holder: holders[0]?.name },
    ]);
  });

  it("leave the old key's item to its holder when an entry older than the items gets a new key", async () => {
    // Prepare: the entry's item deleted, as entries written before the items hold none; "twin"
    // then took the entry's key with an item (a duplicate from before the read checks).
    const [a, b] = [gatewayRecord(), gatewayRecord()];
    for (const gateway of [a, b]) await db.repository().createGateway(gateway);
    const input = newPeering(a, b);
    await db.repository().createPeering(input);
    const holder = peeringPeerName(input.id);
    await db
      .documentClient()
      .send(new DeleteCommand({ TableName: db.tableName, Key: publicKeyKey(a.id, b.publicKey) }));
    await holding(a.id, 'twin', b.publicKey);
    const key = publicKeyOf(b.id, 'rekeyed');

    // Act
    const generation = await db
      .repository()
      .updateRemotePeer(a.id, holder, { endpoint: `${b.publicIp}:${b.listenPort}`, publicKey: key });

    // Assess: the new key claimed; the old key's item stays twin's.
    expect(generation).toBe(3);
    const byKey = (x: { key: string }, y: { key: string }) => (x.key < y.key ? -1 : 1);
    expect(await keyItems(a.id)).toEqual(
      [
        { key, holder },
        { key: b.publicKey, holder: 'twin' },
      ].sort(byKey),
    );
  });
});
