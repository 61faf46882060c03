/**
 * Generations under concurrency on DynamoDB Local: each change reports the generation that first
 * holds it, however many land at once (what a single call returns is the Repository contract:
 * test/contract).
 */
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

it('gives concurrent bumps distinct generations, each the one it stored', async () => {
  // Prepare
  const gateway = gatewayRecord({ id: uniqueId('gw'), desiredGeneration: 0 });
  await db.repository().createGateway(gateway);

  // Act
  const generations = await Promise.all([1, 2, 3, 4].map(() => db.repository().bumpGeneration(gateway.id)));

  // Assess
  expect([...generations].sort()).toEqual([1, 2, 3, 4]);
  expect(await generationOf(gateway.id)).toBe(4);
});

it('gives an endpoint change and a road-warrior landing on one gateway at once distinct generations', async () => {
  // Prepare
  const { a, b, peerName } = await peeredGateways();
  const before = (await generationOf(b.id)) ?? 0;
  const repository = db.repository();

  // Act
  const generations = await Promise.all([
    repository.updateRemotePeer(b.id, peerName, { endpoint: NEW_ENDPOINT, publicKey: a.publicKey }),
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
