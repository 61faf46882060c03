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
  expect(generations[0]?.generation).toBeGreaterThan(before);
});

it("switches a peering's preshared key once when both its gateways move at once, each entry conditional on the name read", async () => {
  // Prepare: both sides of one peering move at the same time, both walks having read the created
  // name (app/preshared-key-rotation.ts).
  const { a, b, peerName } = await peeredGateways();
  const before = [(await generationOf(a.id)) ?? 0, (await generationOf(b.id)) ?? 0];
  const peeringId = peerName.slice('vpc-peering-'.length);
  const created = `/vpc-peering/peerings/${peeringId}/psk`;
  const change = (rotation: string) => ({
    from: created,
    to: `/vpc-peering/peerings/${peeringId}/psk-${rotation}`,
    rotation,
  });
  const repository = db.repository();

  // Act
  const outcomes = await Promise.all([
    repository.switchPresharedKey(a.id, a.createdAt, b.id, peerName, change('aaaaaaaaaaaaaaaa')),
    repository.switchPresharedKey(b.id, b.createdAt, a.id, peerName, change('bbbbbbbbbbbbbbbb')),
  ]);

  // Assess: one switch replaced the created name; the other found it gone and wrote nothing (the
  // first switch came after its walk read the entries, so after its move's registry write). Both
  // entries name the winner's key, and each gateway moved once.
  const winner = outcomes.findIndex((outcome) => outcome?.switched);
  const won = winner === 0 ? change('aaaaaaaaaaaaaaaa') : change('bbbbbbbbbbbbbbbb');
  expect(outcomes.map((outcome) => outcome?.switched).sort()).toEqual([false, true]);
  expect(outcomes.map((outcome) => outcome?.held)).toEqual([won.to, won.to]);
  const held = await Promise.all([a.id, b.id].map((id) => repository.getPeer(id, peerName)));
  expect(held.map((entry) => [entry?.presharedKeyParam, entry?.presharedKeyRotation])).toEqual([
    [won.to, won.rotation],
    [won.to, won.rotation],
  ]);
  expect([await generationOf(a.id), await generationOf(b.id)]).toEqual([
    (before[0] ?? 0) + 1,
    (before[1] ?? 0) + 1,
  ]);
});
