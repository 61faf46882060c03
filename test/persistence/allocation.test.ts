/** Tunnel address allocation on DynamoDB Local (DESIGN §4 invariant 1). */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { tunnelAddressSpace } from '../../lambdas/core/allocation';
import { ConflictError } from '../../lambdas/core/errors';
import { useDynamoDb } from '../helpers/dynamodb';
import { gatewayRecord } from '../helpers/gateways';
import { newPeering, roadWarrior } from './fixtures';

const db = useDynamoDb();

async function counters(gatewayId: string): Promise<{ allocatedCount: number; desiredGeneration: number }> {
  const { Item } = await db
    .documentClient()
    .send(new GetCommand({ TableName: db.tableName, Key: { pk: `GW#${gatewayId}`, sk: 'META' } }));
  return { allocatedCount: Item?.allocatedCount, desiredGeneration: Item?.desiredGeneration };
}

describe('road-warrior allocation', () => {
  it('gives 200 concurrent clients of one /24 200 distinct usable addresses', async () => {
    // Prepare
    const repository = db.repository();
    const gateway = gatewayRecord({ tunnelSubnet: '100.64.0.0/24', tunnelIp: '100.64.0.1' });
    await repository.createGateway(gateway);
    const space = tunnelAddressSpace(gateway.tunnelSubnet, gateway.tunnelIp);

    // Act
    const peers = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        repository.addRoadWarrior(roadWarrior(gateway.id, `laptop-${i}`)),
      ),
    );

    // Assess
    const addresses = peers.map((peer) => peer.tunnelIp);
    expect(new Set(addresses).size).toBe(200);
    expect(addresses.filter((ip) => !space.contains(ip))).toEqual([]);
    expect(await counters(gateway.id)).toEqual({ allocatedCount: 200, desiredGeneration: 200 });
    expect((await repository.listPeers(gateway.id)).map((peer) => peer.tunnelIp).sort()).toEqual(
      [...addresses].sort(),
    );
  });

  it('fails with TUNNEL_SUBNET_EXHAUSTED when a /29 is full, and reuses a released address', async () => {
    // Prepare: a /29 has 6 hosts, the gateway holds one, so 5 are allocatable
    const repository = db.repository();
    const gateway = gatewayRecord({ tunnelSubnet: '100.65.0.0/29', tunnelIp: '100.65.0.1' });
    await repository.createGateway(gateway);
    const peers = [];
    for (let i = 0; i < 5; i++)
      peers.push(await repository.addRoadWarrior(roadWarrior(gateway.id, `rw-${i}`)));

    // Act
    const full = repository.addRoadWarrior(roadWarrior(gateway.id, 'one-too-many'));
    await expect(full).rejects.toEqual(new ConflictError('TUNNEL_SUBNET_EXHAUSTED'));
    const removed = await repository.removeRoadWarrior(gateway.id, 'rw-2');
    const reused = await repository.addRoadWarrior(roadWarrior(gateway.id, 'late-comer'));

    // Assess
    expect(peers.map((peer) => peer.tunnelIp).sort()).toEqual([
      '100.65.0.2',
      '100.65.0.3',
      '100.65.0.4',
      '100.65.0.5',
      '100.65.0.6',
    ]);
    expect(reused.tunnelIp).toBe(removed?.tunnelIp);
    expect(await counters(gateway.id)).toEqual({ allocatedCount: 5, desiredGeneration: 7 });
  });

  it('finds the free addresses through a page scan when random candidates keep colliding', async () => {
    // Prepare: a random source stuck at 0 proposes the same address every time
    const repository = db.repository({ random: () => 0 });
    const gateway = gatewayRecord({ tunnelSubnet: '100.66.0.0/29', tunnelIp: '100.66.0.1' });
    await repository.createGateway(gateway);

    // Act
    const peers = [];
    for (let i = 0; i < 5; i++)
      peers.push(await repository.addRoadWarrior(roadWarrior(gateway.id, `rw-${i}`)));

    // Assess
    expect(new Set(peers.map((peer) => peer.tunnelIp)).size).toBe(5);
  });

  it('refuses a second road-warrior with the same name and allocates nothing for it', async () => {
    // Prepare
    const repository = db.repository();
    const gateway = gatewayRecord();
    await repository.createGateway(gateway);
    await repository.addRoadWarrior(roadWarrior(gateway.id, 'phone'));

    // Act
    const duplicate = repository.addRoadWarrior(roadWarrior(gateway.id, 'phone'));

    // Assess
    await expect(duplicate).rejects.toEqual(new ConflictError('PEER_EXISTS'));
    expect(await counters(gateway.id)).toEqual({ allocatedCount: 1, desiredGeneration: 1 });
  });

  it('removes a road-warrior once: a second removal finds nothing and changes nothing', async () => {
    // Prepare
    const repository = db.repository();
    const gateway = gatewayRecord();
    await repository.createGateway(gateway);
    const peer = await repository.addRoadWarrior(roadWarrior(gateway.id, 'tablet'));

    // Act
    const first = await repository.removeRoadWarrior(gateway.id, 'tablet');
    const second = await repository.removeRoadWarrior(gateway.id, 'tablet');

    // Assess
    expect(first).toEqual(peer);
    expect(second).toBeUndefined();
    expect(await counters(gateway.id)).toEqual({ allocatedCount: 0, desiredGeneration: 2 });
  });

  it('increases the generation on every change of the peer set', async () => {
    // Prepare
    const repository = db.repository();
    const a = gatewayRecord();
    const b = gatewayRecord();
    await repository.createGateway(a);
    await repository.createGateway(b);
    const seen: number[] = [];

    // Act
    await repository.addRoadWarrior(roadWarrior(a.id, 'rw'));
    seen.push((await counters(a.id)).desiredGeneration);
    const peering = await repository.createPeering(newPeering(a, b));
    seen.push(peering.sides[0].generation, (await counters(a.id)).desiredGeneration);
    await repository.removeRoadWarrior(a.id, 'rw');
    seen.push((await counters(a.id)).desiredGeneration);
    const detached = await repository.detachPeering(peering.id);
    seen.push(detached[a.id] ?? -1, (await counters(a.id)).desiredGeneration);

    // Assess
    expect(seen).toEqual([1, 2, 2, 3, 4, 4]);
  });
});
