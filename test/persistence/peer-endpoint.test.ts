/** updatePeerEndpoint on DynamoDB Local: a peer gateway learning a gateway's new endpoint. */
import type { GatewayRecord } from '../../lambdas/core/types';
import { useDynamoDb } from '../support/dynamodb';
import { gatewayRecord } from '../support/gateways';
import { newPeering, uniqueId } from '../support/records';

const db = useDynamoDb();
const NEW_ENDPOINT = '198.51.100.9:51821';

/** Two stored gateways peered with each other; returns them and the peer entries' name. */
async function peeredGateways(): Promise<{ a: GatewayRecord; b: GatewayRecord; peerName: string }> {
  const a = gatewayRecord({ id: uniqueId('gwa') });
  const b = gatewayRecord({
    id: uniqueId('gwb'),
    vpcCidr: '10.251.0.0/16',
    tunnelSubnet: '100.65.0.0/24',
    tunnelIp: '100.65.0.1',
  });
  const repository = db.repository();
  await repository.createGateway(a);
  await repository.createGateway(b);
  const input = newPeering(a, b);
  await repository.createPeering(input);
  return { a, b, peerName: input.sides[0].peer.name };
}

const generationOf = async (gatewayId: string) =>
  (await db.repository().getGateway(gatewayId))?.desiredGeneration;

describe('updatePeerEndpoint', () => {
  it('sets the endpoint of the peer entry and returns the bumped generation', async () => {
    // Prepare
    const { a, b, peerName } = await peeredGateways();
    const before = await generationOf(b.id);

    // Act
    const generation = await db.repository().updatePeerEndpoint(b.id, peerName, NEW_ENDPOINT);

    // Assess
    expect(generation).toBe((before ?? 0) + 1);
    expect(await generationOf(b.id)).toBe(generation);
    expect((await db.repository().getPeer(b.id, peerName))?.endpoint).toBe(NEW_ENDPOINT);
    expect((await db.repository().getPeer(a.id, peerName))?.endpoint).toBe(`${b.publicIp}:${b.listenPort}`);
  });

  it('returns the current generation without bumping it when the endpoint is already set', async () => {
    // Prepare
    const { b, peerName } = await peeredGateways();
    const first = await db.repository().updatePeerEndpoint(b.id, peerName, NEW_ENDPOINT);

    // Act
    const again = await db.repository().updatePeerEndpoint(b.id, peerName, NEW_ENDPOINT);

    // Assess
    expect(again).toBe(first);
    expect(await generationOf(b.id)).toBe(first);
  });

  it('returns undefined and bumps nothing when the peer entry is gone', async () => {
    // Prepare
    const { b } = await peeredGateways();
    const before = await generationOf(b.id);

    // Act
    const generation = await db.repository().updatePeerEndpoint(b.id, 'vpc-peering-pcx-absent', NEW_ENDPOINT);

    // Assess
    expect(generation).toBeUndefined();
    expect(await generationOf(b.id)).toBe(before);
  });

  it('returns undefined and writes nothing when the gateway is gone', async () => {
    // Prepare
    const { b, peerName } = await peeredGateways();
    await db.repository().deleteGateway(b.id);

    // Act
    const generation = await db.repository().updatePeerEndpoint(b.id, peerName, NEW_ENDPOINT);

    // Assess
    expect(generation).toBeUndefined();
    expect(await db.repository().getGateway(b.id)).toBeUndefined();
    expect((await db.repository().getPeer(b.id, peerName))?.endpoint).not.toBe(NEW_ENDPOINT);
  });

  it('gives concurrent changes of one gateway distinct generations', async () => {
    // Prepare
    const { b, peerName } = await peeredGateways();
    const before = (await generationOf(b.id)) ?? 0;
    const repository = db.repository();

    // Act
    const generations = await Promise.all([
      repository.updatePeerEndpoint(b.id, peerName, NEW_ENDPOINT),
      repository.addRoadWarrior({
        gatewayId: b.id,
        name: 'laptop',
        publicKey: b.publicKey,
        privateKeyParam: null,
        createdAt: b.createdAt,
      }),
    ]);

    // Assess
    expect(await generationOf(b.id)).toBe(before + 2);
    expect(generations[0]).toBeGreaterThan(before);
  });
});
