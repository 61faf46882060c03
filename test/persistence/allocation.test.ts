/**
 * Tunnel address allocation on DynamoDB Local (docs/CONTRACT.md#invariants 1): through the repository, and
 * the allocator (lambdas/adapters/dynamodb/allocator.ts) on its own.
 */
import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { RANDOM_MISSES_BEFORE_SCAN, RESERVATION_GRACE_MS } from '../../lambdas/adapters/dynamodb/allocator';
import { reservationItem } from '../../lambdas/adapters/dynamodb/items';
import type { NewRoadWarrior } from '../../lambdas/app/ports';
import { tunnelAddressSpace } from '../../lambdas/core/allocation';
import { ConflictError, GatewayGoneError } from '../../lambdas/core/errors';
import type { GatewayRecord } from '../../lambdas/core/types';
import { useDynamoDb } from '../support/dynamodb';
import { gatewayRecord } from '../support/gateways';
import { everyGateway } from '../support/pages';
import { newPeering, roadWarrior } from '../support/records';

const db = useDynamoDb();

const T0 = new Date('2025-06-01T12:00:00.000Z');
const at = (ms: number) => () => new Date(T0.getTime() + ms);
const MINUTE = 60_000;

/** As the API calls it: with the gateway record it read to authorize the caller. */
const viaApi = (gateway: GatewayRecord, name: string): NewRoadWarrior => ({
  ...roadWarrior(gateway.id, name),
  gateway,
});

/** The gateway's address items: holder and lease of each, in address order. */
async function addressItems(
  gatewayId: string,
): Promise<{ tunnelIp: string; holder: string; reservedAt?: string }[]> {
  const { Items = [] } = await db.documentClient().send(
    new QueryCommand({
      TableName: db.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :ip)',
      ExpressionAttributeValues: { ':pk': `GW#${gatewayId}`, ':ip': 'IP#' },
    }),
  );
  return Items.map(({ tunnelIp, holder, reservedAt }) => ({ tunnelIp, holder, reservedAt }));
}

/** A reservation whose owner crashed before committing. */
async function putOrphan(gatewayId: string, tunnelIp: string, reservedAt: Date): Promise<void> {
  await db.documentClient().send(
    new PutCommand({
      TableName: db.tableName,
      Item: reservationItem(gatewayId, tunnelIp, 'crashed', reservedAt.toISOString()),
    }),
  );
}

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
      Array.from({ length: 200 }, (_, i) => repository.addRoadWarrior(viaApi(gateway, `laptop-${i}`))),
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
    expect(await addressItems(gateway.id)).toHaveLength(1);
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

describe('road-warrior reservations', () => {
  it('leaves no reservation behind when the commit fails: gateway gone, or counter full', async () => {
    // Prepare: one gateway deleted after the caller read it, one whose counter says full
    const repository = db.repository();
    const gone = gatewayRecord();
    await repository.createGateway(gone);
    await repository.deleteGateway(gone.id);
    const full = gatewayRecord({ tunnelSubnet: '100.67.0.0/29', tunnelIp: '100.67.0.1' });
    await repository.createGateway(full);
    await db.documentClient().send(
      new UpdateCommand({
        TableName: db.tableName,
        Key: { pk: `GW#${full.id}`, sk: 'META' },
        UpdateExpression: 'SET allocatedCount = #capacity',
        ExpressionAttributeNames: { '#capacity': 'capacity' },
      }),
    );

    // Act
    const intoGone = repository.addRoadWarrior(viaApi(gone, 'rw'));
    const intoFull = repository.addRoadWarrior(viaApi(full, 'rw'));

    // Assess
    await expect(intoGone).rejects.toBeInstanceOf(GatewayGoneError);
    await expect(intoFull).rejects.toEqual(new ConflictError('TUNNEL_SUBNET_EXHAUSTED'));
    expect(await addressItems(gone.id)).toEqual([]);
    expect(await addressItems(full.id)).toEqual([]);
  });

  it('reclaims an orphan reservation older than the grace period when a probe hits it', async () => {
    // Prepare: a /30 has one allocatable address, held by an orphan
    const gateway = gatewayRecord({ tunnelSubnet: '100.68.0.0/30', tunnelIp: '100.68.0.1' });
    await db.repository().createGateway(gateway);
    await putOrphan(gateway.id, '100.68.0.2', T0);
    const later = db.repository({ clock: at(RESERVATION_GRACE_MS + MINUTE) });

    // Act
    const peer = await later.addRoadWarrior(viaApi(gateway, 'phone'));

    // Assess
    expect(peer.tunnelIp).toBe('100.68.0.2');
    expect(await addressItems(gateway.id)).toEqual([
      {
        tunnelIp: '100.68.0.2',
        holder: 'phone',
        reservedAt: at(RESERVATION_GRACE_MS + MINUTE)().toISOString(),
      },
    ]);
    expect(await counters(gateway.id)).toEqual({ allocatedCount: 1, desiredGeneration: 1 });
  });

  it('does not reclaim an orphan younger than the grace period: the subnet is exhausted', async () => {
    // Prepare
    const gateway = gatewayRecord({ tunnelSubnet: '100.69.0.0/30', tunnelIp: '100.69.0.1' });
    await db.repository().createGateway(gateway);
    await putOrphan(gateway.id, '100.69.0.2', T0);
    const soon = db.repository({ clock: at(RESERVATION_GRACE_MS - MINUTE) });

    // Act
    const add = soon.addRoadWarrior(viaApi(gateway, 'phone'));

    // Assess
    await expect(add).rejects.toEqual(new ConflictError('TUNNEL_SUBNET_EXHAUSTED'));
    expect(await addressItems(gateway.id)).toEqual([
      { tunnelIp: '100.69.0.2', holder: 'crashed', reservedAt: T0.toISOString() },
    ]);
    expect(await counters(gateway.id)).toEqual({ allocatedCount: 0, desiredGeneration: 0 });
  });

  it('never reclaims a committed allocation, however old its lease', async () => {
    // Prepare
    const gateway = gatewayRecord({ tunnelSubnet: '100.70.0.0/30', tunnelIp: '100.70.0.1' });
    await db.repository({ clock: at(0) }).createGateway(gateway);
    await db.repository({ clock: at(0) }).addRoadWarrior(viaApi(gateway, 'phone'));
    const later = db.repository({ clock: at(RESERVATION_GRACE_MS + MINUTE) });

    // Act
    const add = later.addRoadWarrior(viaApi(gateway, 'tablet'));

    // Assess: and the lease is dropped, so the address is never looked at again
    await expect(add).rejects.toEqual(new ConflictError('TUNNEL_SUBNET_EXHAUSTED'));
    expect(await addressItems(gateway.id)).toEqual([
      { tunnelIp: '100.70.0.2', holder: 'phone', reservedAt: undefined },
    ]);
  });

  it('finds a stale orphan through the page scan when every random probe hits a committed address', async () => {
    // Prepare: a /29 (5 addresses) with 4 peers and an orphan on the last address
    const gateway = gatewayRecord({ tunnelSubnet: '100.71.0.0/29', tunnelIp: '100.71.0.1' });
    const stuck = { random: () => 0 };
    await db.repository().createGateway(gateway);
    for (let i = 0; i < 4; i++)
      await db.repository({ ...stuck, clock: at(0) }).addRoadWarrior(viaApi(gateway, `rw-${i}`));
    await putOrphan(gateway.id, '100.71.0.6', T0);
    const later = db.repository({ ...stuck, clock: at(RESERVATION_GRACE_MS + MINUTE) });

    // Act
    const peer = await later.addRoadWarrior(viaApi(gateway, 'late'));

    // Assess
    expect(peer.tunnelIp).toBe('100.71.0.6');
    expect((await addressItems(gateway.id)).map((item) => item.holder)).toEqual([
      'rw-0',
      'rw-1',
      'rw-2',
      'rw-3',
      'late',
    ]);
    expect(await counters(gateway.id)).toEqual({ allocatedCount: 5, desiredGeneration: 5 });
  });

  it('keeps the counters exact through concurrent adds, duplicate names and removals', async () => {
    // Prepare
    const repository = db.repository();
    const gateway = gatewayRecord({ tunnelSubnet: '100.72.0.0/24', tunnelIp: '100.72.0.1' });
    await repository.createGateway(gateway);
    const names = Array.from({ length: 50 }, (_, i) => `rw-${i}`);

    // Act: every name twice at once, then a fifth of them removed
    const adds = await Promise.allSettled(
      [...names, ...names].map((name) => repository.addRoadWarrior(viaApi(gateway, name))),
    );
    await Promise.all(names.slice(0, 10).map((name) => repository.removeRoadWarrior(gateway.id, name)));

    // Assess
    const rejections = adds.flatMap((add) => (add.status === 'rejected' ? [add.reason] : []));
    expect(rejections).toEqual(names.map(() => new ConflictError('PEER_EXISTS')));
    expect(await counters(gateway.id)).toEqual({ allocatedCount: 40, desiredGeneration: 60 });
    const peers = await repository.listPeers(gateway.id);
    const held = (await addressItems(gateway.id)).map(({ tunnelIp, holder }) => ({ tunnelIp, holder }));
    expect(held.sort((a, b) => a.holder.localeCompare(b.holder))).toEqual(
      peers
        .map(({ tunnelIp, name }) => ({ tunnelIp, holder: name }))
        .sort((a, b) => a.holder.localeCompare(b.holder)),
    );
    expect(held).toHaveLength(40);
  });
});

describe('the byOwner index', () => {
  it('is not written by the counter and generation updates of an allocation (keys-only projection)', async () => {
    // Prepare
    const gateway = gatewayRecord({ id: 'gw-index', ownerId: 'owner-index' });
    await db.repository().createGateway(gateway);

    // Act: the gateway side of every allocation, measured per index.
    const { ConsumedCapacity } = await db.documentClient().send(
      new UpdateCommand({
        TableName: db.tableName,
        Key: { pk: `GW#${gateway.id}`, sk: 'META' },
        UpdateExpression: 'ADD desiredGeneration :one, allocatedCount :one',
        ExpressionAttributeValues: { ':one': 1 },
        ReturnConsumedCapacity: 'INDEXES',
      }),
    );

    // Assess: the table only; and the owner's listing still returns the whole, current record.
    expect(ConsumedCapacity?.GlobalSecondaryIndexes ?? {}).toEqual({});
    const [listed] = await everyGateway(db.repository(), { ownerId: gateway.ownerId });
    expect(listed).toEqual({ ...gateway, desiredGeneration: gateway.desiredGeneration + 1 });
  });
});

describe('AddressAllocator on its own', () => {
  it('reserves a free address, refuses a fresh reservation, and reclaims a stale orphan', async () => {
    // Prepare
    const gateway = gatewayRecord({ tunnelSubnet: '100.68.9.0/29', tunnelIp: '100.68.9.1' });
    await db.repository().createGateway(gateway);
    await putOrphan(gateway.id, '100.68.9.3', T0);
    const now = db.repository({ clock: at(MINUTE) }).allocator;
    const later = db.repository({ clock: at(RESERVATION_GRACE_MS + 2 * MINUTE) }).allocator;

    // Act
    const free = await now.reserve(gateway.id, 'a', '100.68.9.2');
    const taken = await now.reserve(gateway.id, 'b', '100.68.9.2');
    const orphanTooYoung = await now.reserve(gateway.id, 'c', '100.68.9.3');
    const orphanStale = await later.reserve(gateway.id, 'c', '100.68.9.3');

    // Assess
    expect(free).toEqual({ tunnelIp: '100.68.9.2', reservedAt: at(MINUTE)().toISOString() });
    expect(taken).toBeUndefined();
    expect(orphanTooYoung).toBeUndefined();
    expect(orphanStale?.tunnelIp).toBe('100.68.9.3');
    expect((await addressItems(gateway.id)).map((item) => item.holder)).toEqual(['a', 'c']);
  });

  it('cancels its own reservation, but keeps one that a peer entry of its holder holds', async () => {
    // Prepare: 'kept' committed (its peer entry holds the address), 'dropped' did not.
    const gateway = gatewayRecord({ tunnelSubnet: '100.68.10.0/29', tunnelIp: '100.68.10.1' });
    await db.repository().createGateway(gateway);
    const { allocator } = db.repository({ clock: at(0) });
    const dropped = await allocator.reserve(gateway.id, 'dropped', '100.68.10.2');
    const kept = await db
      .repository({ clock: at(0), random: () => 0.5 })
      .addRoadWarrior(viaApi(gateway, 'kept'));
    const keptReservation = { tunnelIp: kept.tunnelIp, reservedAt: at(0)().toISOString() };

    // Act
    if (dropped) await allocator.cancelReservation(gateway.id, 'dropped', dropped);
    await allocator.cancelReservation(gateway.id, 'kept', keptReservation);

    // Assess
    expect(dropped).toBeDefined();
    expect((await addressItems(gateway.id)).map((item) => item.holder)).toEqual(['kept']);
  });

  it('finds the one gap by a page scan once random candidates keep missing', async () => {
    // Prepare: a /29 (five allocatable) with all but .6 reserved; random always points at .2.
    const gateway = gatewayRecord({ tunnelSubnet: '100.68.11.0/29', tunnelIp: '100.68.11.1' });
    await db.repository().createGateway(gateway);
    for (const ip of ['100.68.11.2', '100.68.11.3', '100.68.11.4', '100.68.11.5']) {
      await putOrphan(gateway.id, ip, new Date());
    }
    const { allocator } = db.repository({ random: () => 0 });
    const view = {
      ...gateway,
      capacity: tunnelAddressSpace(gateway.tunnelSubnet, gateway.tunnelIp).capacity,
    };

    // Act
    const random = await allocator.pickAddress(view, 0);
    const scanned = await allocator.pickAddress(view, RANDOM_MISSES_BEFORE_SCAN);

    // Assess
    expect(random).toBe('100.68.11.2');
    expect(scanned).toBe('100.68.11.6');
  });
});
