/** Peering persistence on DynamoDB Local (docs/CONTRACT.md#invariants 2, 3 and 6). */
import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoRepository } from '../../lambdas/adapters/dynamodb/repository';
import { ConflictError } from '../../lambdas/core/errors';
import type { GatewayRecord } from '../../lambdas/core/types';
import { useDynamoDb } from '../support/dynamodb';
import { gatewayRecord } from '../support/gateways';
import { everyPeering } from '../support/pages';
import { newPeering, uniqueId } from '../support/records';

const db = useDynamoDb();

/** Two peerable ACTIVE gateways of one owner, already stored. */
async function pairOfGateways(): Promise<[GatewayRecord, GatewayRecord]> {
  const a = gatewayRecord({ id: uniqueId('gwa'), tunnelSubnet: '100.64.0.0/24', tunnelIp: '100.64.0.1' });
  const b = gatewayRecord({
    id: uniqueId('gwb'),
    vpcCidr: '10.20.0.0/16',
    tunnelSubnet: '100.64.1.0/24',
    tunnelIp: '100.64.1.1',
    publicIp: '203.0.113.20',
  });
  await db.repository().createGateway(a);
  await db.repository().createGateway(b);
  return [a, b];
}

async function item(pk: string, sk: string): Promise<Record<string, unknown> | undefined> {
  const { Item } = await db
    .documentClient()
    .send(new GetCommand({ TableName: db.tableName, Key: { pk, sk } }));
  return Item;
}

/** Every item of a gateway's partition except its META item, by sort key. */
async function gatewayResidue(gatewayId: string): Promise<string[]> {
  const { Items } = await db.documentClient().send(
    new QueryCommand({
      TableName: db.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': `GW#${gatewayId}` },
    }),
  );
  // A route block keeps its version once its routes are gone (docs/DECISIONS.md "Busy hub: route
  // locks"): residue only if it still routes something.
  const routesSomething = (entry: Record<string, unknown>) =>
    Object.keys(entry).some((name) => name.startsWith('route:'));
  return (Items ?? [])
    .filter((entry) => !String(entry.sk).startsWith('ROUTES#') || routesSomething(entry))
    .map((entry) => String(entry.sk))
    .filter((sk) => sk !== 'META');
}

const countersOf = async (gatewayId: string) => {
  const gateway = await item(`GW#${gatewayId}`, 'META');
  return { allocatedCount: gateway?.allocatedCount, desiredGeneration: gateway?.desiredGeneration };
};

describe('createPeering', () => {
  it('writes the peering, both peer entries, both allocations, the pair lock and both generations', async () => {
    // Prepare
    const [a, b] = await pairOfGateways();
    const input = newPeering(a, b);

    // Act
    const peering = await db.repository().createPeering(input);

    // Assess
    expect(peering).toMatchObject({ id: input.id, status: 'PROVISIONING', gatewayIds: [a.id, b.id] });
    expect(
      peering.sides.map((side) => [side.gatewayId, side.peerName, side.applied, side.generation]),
    ).toEqual([
      [a.id, `vpc-peering-${input.id}`, false, 1],
      [b.id, `vpc-peering-${input.id}`, false, 1],
    ]);
    expect(peering.sides[0].tunnelIp).toMatch(/^100\.64\.0\./);
    expect(peering.sides[1].tunnelIp).toMatch(/^100\.64\.1\./);
    const peerOnA = await db.repository().getPeer(a.id, `vpc-peering-${input.id}`);
    expect(peerOnA).toMatchObject({
      type: 'vpc-peering',
      tunnelIp: peering.sides[0].tunnelIp,
      allowedIps: [b.vpcCidr, b.tunnelSubnet],
      endpoint: '203.0.113.20:51820',
      peeringId: input.id,
      remoteGatewayId: b.id,
      presharedKeyParam: input.presharedKeyParam,
    });
    const [low, high] = [a.id, b.id].sort();
    expect(await item(`PAIR#${low}#${high}`, 'LOCK')).toMatchObject({ peeringId: input.id });
    expect(await countersOf(a.id)).toEqual({ allocatedCount: 1, desiredGeneration: 1 });
    expect(await countersOf(b.id)).toEqual({ allocatedCount: 1, desiredGeneration: 1 });
    expect(await db.repository().getPeering(input.id)).toEqual(peering);
  });

  it('lets exactly one of 20 racing requests from both sides win', async () => {
    // Prepare
    const [a, b] = await pairOfGateways();
    const requests = Array.from({ length: 20 }, (_, i) =>
      i % 2 === 0 ? newPeering(a, b) : newPeering(b, a),
    );

    // Act
    const results = await Promise.allSettled(
      requests.map((request) => db.repository().createPeering(request)),
    );

    // Assess
    const won = results.filter((result) => result.status === 'fulfilled');
    const lost = results.flatMap((result) => (result.status === 'rejected' ? [result.reason] : []));
    expect(won).toHaveLength(1);
    expect(lost).toEqual(Array.from({ length: 19 }, () => new ConflictError('PEERING_ALREADY_EXISTS')));
    expect(await countersOf(a.id)).toEqual({ allocatedCount: 1, desiredGeneration: 1 });
    expect(await countersOf(b.id)).toEqual({ allocatedCount: 1, desiredGeneration: 1 });
  });

  it('leaves nothing behind when the pair lock cancels the transaction', async () => {
    // Prepare: a lock held by another peering of the same pair
    const [a, b] = await pairOfGateways();
    const [low, high] = [a.id, b.id].sort();
    await db.documentClient().send(
      new PutCommand({
        TableName: db.tableName,
        Item: { pk: `PAIR#${low}#${high}`, sk: 'LOCK', peeringId: 'other' },
      }),
    );
    const input = newPeering(a, b);

    // Act
    const attempt = db.repository().createPeering(input);

    // Assess
    await expect(attempt).rejects.toEqual(new ConflictError('PEERING_ALREADY_EXISTS'));
    expect(await item(`PEERING#${input.id}`, 'META')).toBeUndefined();
    expect(await gatewayResidue(a.id)).toEqual([]);
    expect(await gatewayResidue(b.id)).toEqual([]);
    expect(await countersOf(a.id)).toEqual({ allocatedCount: 0, desiredGeneration: 0 });
    expect(await countersOf(b.id)).toEqual({ allocatedCount: 0, desiredGeneration: 0 });
  });

  it('writes nothing when the remote gateway stops being ACTIVE between the read and the transaction', async () => {
    // Prepare: the remote gateway leaves ACTIVE right before the transaction is sent
    const [a, b] = await pairOfGateways();
    const documents = db.documentClient();
    const racing = Object.create(documents) as typeof documents;
    let raced = false;
    racing.send = (async (command: { constructor: { name: string } }) => {
      if (command.constructor.name === 'TransactWriteCommand' && !raced) {
        raced = true;
        await documents.send(
          new UpdateCommand({
            TableName: db.tableName,
            Key: { pk: `GW#${b.id}`, sk: 'META' },
            UpdateExpression: 'SET #status = :pending',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':pending': 'PENDING' },
          }),
        );
      }
      return documents.send(command as never);
    }) as typeof documents.send;
    const input = newPeering(a, b);

    // Act
    const attempt = new DynamoRepository(racing, db.tableName).createPeering(input);

    // Assess
    await expect(attempt).rejects.toEqual(new ConflictError('GATEWAY_NOT_ACTIVE'));
    expect(raced).toBe(true);
    expect(await item(`PEERING#${input.id}`, 'META')).toBeUndefined();
    expect(await gatewayResidue(a.id)).toEqual([]);
    expect(await gatewayResidue(b.id)).toEqual([]);
    expect(await countersOf(a.id)).toEqual({ allocatedCount: 0, desiredGeneration: 0 });
  });
});

describe('peering teardown', () => {
  it('detaches both sides once and releases addresses, lock and record idempotently', async () => {
    // Prepare
    const [a, b] = await pairOfGateways();
    const peering = await db.repository().createPeering(newPeering(a, b));

    // Act
    const detached = await db.repository().detachPeering(peering.id);
    const detachedAgain = await db.repository().detachPeering(peering.id);
    await db.repository().releasePeering(peering.id, { deleteRecord: true });
    await db.repository().releasePeering(peering.id, { deleteRecord: true });

    // Assess
    expect(detached).toEqual({ [a.id]: 2, [b.id]: 2 });
    expect(detachedAgain).toEqual(detached);
    expect(await gatewayResidue(a.id)).toEqual([]);
    expect(await gatewayResidue(b.id)).toEqual([]);
    expect(await countersOf(a.id)).toEqual({ allocatedCount: 0, desiredGeneration: 2 });
    expect(await db.repository().getPeering(peering.id)).toBeUndefined();
    await expect(db.repository().createPeering(newPeering(b, a))).resolves.toMatchObject({
      status: 'PROVISIONING',
    });
  });

  it('skips a gateway that no longer exists', async () => {
    // Prepare
    const [a, b] = await pairOfGateways();
    const peering = await db.repository().createPeering(newPeering(a, b));
    await db.repository().deleteGateway(b.id);

    // Act
    const detached = await db.repository().detachPeering(peering.id);
    await db.repository().releasePeering(peering.id, { deleteRecord: false });

    // Assess
    expect(detached).toEqual({ [a.id]: 2 });
    expect(await gatewayResidue(a.id)).toEqual([]);
    expect(await gatewayResidue(b.id)).toEqual([]);
    expect(await db.repository().getPeering(peering.id)).toMatchObject({ id: peering.id });
  });
});

describe('peering status', () => {
  it('lists peerings of one owner through the byOwner index', async () => {
    // Prepare
    const owner = uniqueId('owner');
    const a = gatewayRecord({ ownerId: owner });
    const b = gatewayRecord({ ownerId: owner });
    await db.repository().createGateway(a);
    await db.repository().createGateway(b);
    const peering = await db.repository().createPeering(newPeering(a, b));

    // Act
    const mine = await everyPeering(db.repository(), { ownerId: owner });
    const all = await everyPeering(db.repository());

    // Assess
    expect(mine).toEqual([peering]);
    expect(all.map((entry) => entry.id)).toContain(peering.id);
  });
});
