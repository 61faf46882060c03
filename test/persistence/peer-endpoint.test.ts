/** updatePeerEndpoint on DynamoDB Local: a peer gateway learning a gateway's new endpoint. */
import type { GatewayRecord } from '../../lambdas/core/types';
import { useDynamoDb } from '../helpers/dynamodb';
import { gatewayRecord } from '../helpers/gateways';
import { newPeering, uniqueId } from './fixtures';

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
