/**
 * The Repository port's contract (lambdas/app/ports.ts), as one suite every implementation runs:
 * test/contract/dynamodb-repository.test.ts and memory-repository.test.ts. What only DynamoDB can
 * show (concurrency, capacity units, items, the stream, orphan reservations) stays in
 * test/persistence.
 */
import type { Repository } from '../../lambdas/app/ports';
import { ChecksOutdatedError, ConflictError, GatewayGoneError } from '../../lambdas/core/errors';
import { walkPages } from '../../lambdas/core/pagination';
import type { GatewayRecord, GatewayStatusReport } from '../../lambdas/core/types';
import { gatewayRecord } from './gateways';
import { everyGateway, everyPeering } from './pages';
import { newPeering, roadWarrior, uniqueId } from './records';

export interface RepositoryUnderTest {
  /** A repository on the suite's store; state is shared between calls, the clock is the caller's. */
  repository(options?: { clock?: () => Date }): Repository;
}

const AT = '2026-11-25T00:00:00.000Z';

export function repositoryContract(subject: RepositoryUnderTest): void {
  const repo = (clock?: () => Date) => subject.repository(clock ? { clock } : {});

  /** Two peerable ACTIVE gateways of one (fresh) owner, stored. */
  async function pairOfGateways(owner = uniqueId('owner')): Promise<[GatewayRecord, GatewayRecord]> {
    const a = gatewayRecord({ ownerId: owner, tunnelSubnet: '100.64.0.0/24', tunnelIp: '100.64.0.1' });
    const b = gatewayRecord({ ownerId: owner, tunnelSubnet: '100.64.1.0/24', tunnelIp: '100.64.1.1' });
    await repo().createGateway(a);
    await repo().createGateway(b);
    return [a, b];
  }

  const generationOf = async (id: string) => (await repo().getGateway(id))?.desiredGeneration;

  describe('gateways', () => {
    it('stores a gateway, refuses its id twice, and hands the record back as stored', async () => {
      // Prepare
      const gateway = gatewayRecord({ privateKeyParam: '/vpc-peering/gateways/x/private-key' });

      // Act
      await repo().createGateway(gateway);
      const again = repo().createGateway({ ...gateway, name: 'other' });

      // Assess
      await expect(again).rejects.toEqual(new ConflictError('GATEWAY_EXISTS'));
      expect(await repo().getGateway(gateway.id)).toEqual(gateway);
    });

    it('upserts registry fields and keeps the generation; registers a gateway it never saw', async () => {
      // Prepare
      const gateway = gatewayRecord();
      await repo().createGateway(gateway);
      await repo().addRoadWarrior(roadWarrior(gateway.id, 'rw'));
      const unknown = gatewayRecord();

      // Act
      const updated = await repo().upsertGateway({
        ...gateway,
        publicIp: '198.51.100.7',
        desiredGeneration: 0,
      });
      const inserted = await repo().upsertGateway(unknown);

      // Assess
      expect(updated).toEqual({ ...gateway, publicIp: '198.51.100.7', desiredGeneration: 1 });
      expect(inserted).toEqual(unknown);
      expect(await repo().getGateway(unknown.id)).toEqual(unknown);
    });

    it('lists gateways per owner by id, and every gateway for admins', async () => {
      // Prepare
      const owner = uniqueId('owner');
      const [b, a] = [
        gatewayRecord({ ownerId: owner, id: `${owner}-b` }),
        gatewayRecord({ ownerId: owner, id: `${owner}-a` }),
      ];
      await repo().createGateway(b);
      await repo().createGateway(a);

      // Act
      const listed = await everyGateway(repo(), { ownerId: owner });
      const all = await everyGateway(repo());

      // Assess
      expect(listed.map((gateway) => gateway.id)).toEqual([a.id, b.id]);
      expect(all.map((gateway) => gateway.id)).toEqual(expect.arrayContaining([a.id, b.id]));
    });

    it('pages gateways in id order, each exactly once, filtered by status, the last page without a token', async () => {
      // Prepare: five gateways of one owner, one of them PENDING.
      const owner = uniqueId('owner');
      const ids = ['e', 'c', 'a', 'd', 'b'].map((suffix) => `${owner}-${suffix}`);
      for (const id of ids) {
        await repo().createGateway(
          gatewayRecord({ ownerId: owner, id, status: id.endsWith('-c') ? 'PENDING' : 'ACTIVE' }),
        );
      }
      const binding = 'contract-gateways';
      const pages: number[] = [];

      // Act
      const walked = await walkPages(async (nextToken) => {
        const page = await repo().pageGateways({ ownerId: owner }, { limit: 2, nextToken, binding });
        pages.push(page.items.length);
        return page;
      });
      const active = await walkPages((nextToken) =>
        repo().pageGateways({ ownerId: owner, status: 'ACTIVE' }, { limit: 2, nextToken, binding: 'active' }),
      );

      // Assess
      expect(walked.map((gateway) => gateway.id)).toEqual([...ids].sort());
      expect(pages).toEqual([2, 2, 1]);
      expect(active.map((gateway) => gateway.id)).toEqual([...ids].sort().filter((id) => !id.endsWith('-c')));
    });

    it('returns an item present for the whole walk once, whatever is added or removed meanwhile', async () => {
      // Prepare
      const owner = uniqueId('owner');
      for (const suffix of ['b', 'd', 'f']) {
        await repo().createGateway(gatewayRecord({ ownerId: owner, id: `${owner}-${suffix}` }));
      }
      const binding = 'contract-changes';
      const first = await repo().pageGateways({ ownerId: owner }, { limit: 1, binding });

      // Act: one added before the position, one after it, one removed after it.
      await repo().createGateway(gatewayRecord({ ownerId: owner, id: `${owner}-a` }));
      await repo().createGateway(gatewayRecord({ ownerId: owner, id: `${owner}-e` }));
      await repo().deleteGateway(`${owner}-d`);
      const rest = await walkPages((nextToken) =>
        repo().pageGateways(
          { ownerId: owner },
          { limit: 1, nextToken: nextToken ?? first.nextToken, binding },
        ),
      );

      // Assess
      expect(first.items.map((gateway) => gateway.id)).toEqual([`${owner}-b`]);
      expect(rest.map((gateway) => gateway.id)).toEqual([`${owner}-e`, `${owner}-f`]);
    });

    it('refuses a page token issued for another caller or query, and one that is not a token', async () => {
      // Prepare
      const owner = uniqueId('owner');
      for (const suffix of ['a', 'b']) {
        await repo().createGateway(gatewayRecord({ ownerId: owner, id: `${owner}-${suffix}` }));
      }
      const first = await repo().pageGateways({ ownerId: owner }, { limit: 1, binding: 'alice' });

      // Act (settled together: no rejection is left unhandled while another call awaits I/O)
      const [stolen, forged, own] = await Promise.allSettled([
        repo().pageGateways({ ownerId: owner }, { limit: 1, nextToken: first.nextToken, binding: 'mallory' }),
        repo().pageGateways({ ownerId: owner }, { limit: 1, nextToken: 'AAAA', binding: 'alice' }),
        repo().pageGateways({ ownerId: owner }, { limit: 1, nextToken: first.nextToken, binding: 'alice' }),
      ]);

      // Assess
      expect(first.nextToken).toEqual(expect.any(String));
      expect(stolen).toMatchObject({
        status: 'rejected',
        reason: { name: 'ValidationError', field: 'nextToken' },
      });
      expect(forged).toMatchObject({
        status: 'rejected',
        reason: { name: 'ValidationError', field: 'nextToken' },
      });
      if (own.status !== 'fulfilled') throw own.reason;
      expect(own.value.items.map((gateway) => gateway.id)).toEqual([`${owner}-b`]);
      expect(own.value.nextToken).toBeUndefined();
    });

    it('deletes a gateway once, and refuses to bring it back by upsert until it is registered again', async () => {
      // Prepare
      const gateway = gatewayRecord();
      await repo().createGateway(gateway);

      // Act
      const deleted = await repo().deleteGateway(gateway.id);
      const deletedAgain = await repo().deleteGateway(gateway.id);
      const lateUpsert = repo().upsertGateway({ ...gateway, name: 'late' });

      // Assess
      expect(deleted).toEqual(gateway);
      expect(deletedAgain).toBeUndefined();
      await expect(lateUpsert).rejects.toBeInstanceOf(GatewayGoneError);
      expect(await repo().getGateway(gateway.id)).toBeUndefined();
      // Registered again once the deletion's cascade ended ("incarnations" below).
      await repo().endGatewayCascade(gateway.id, gateway.desiredGeneration);
      await repo().createGateway(gateway);
      expect(await repo().upsertGateway({ ...gateway, name: 'renamed' })).toMatchObject({ name: 'renamed' });
    });

    it('bumps the generation and returns it; undefined when the gateway is gone', async () => {
      // Prepare
      const gateway = gatewayRecord();
      await repo().createGateway(gateway);

      // Act
      const bumped = await repo().bumpGeneration(gateway.id);
      const gone = await repo().bumpGeneration(uniqueId('gw-gone'));

      // Assess
      expect(bumped).toBe(1);
      expect(await repo().getGateway(gateway.id)).toEqual({ ...gateway, desiredGeneration: 1 });
      expect(gone).toBeUndefined();
    });

    it('purges what a deleted gateway leaves behind', async () => {
      // Prepare
      const gateway = gatewayRecord();
      await repo().createGateway(gateway);
      await repo().addRoadWarrior(roadWarrior(gateway.id, 'rw-1'));
      await repo().recordApplied({ gatewayId: gateway.id, appliedGeneration: 1, appliedAt: AT });
      await repo().putStatusReport(report(gateway.id, 1, AT));
      await repo().deleteGateway(gateway.id);

      // Act
      await repo().purgeGatewayResidue(gateway.id);
      await repo().purgeGatewayResidue(gateway.id);

      // Assess
      expect(await repo().listPeers(gateway.id)).toEqual([]);
      expect(await repo().getAppliedGeneration(gateway.id)).toBeUndefined();
      expect(await repo().getStatusReport(gateway.id)).toBeUndefined();
    });
  });

  describe('road-warriors', () => {
    it('gives each road-warrior its own usable address and bumps the generation each time', async () => {
      // Prepare
      const gateway = gatewayRecord({ tunnelSubnet: '100.64.9.0/29', tunnelIp: '100.64.9.1' });
      await repo().createGateway(gateway);

      // Act
      const peers = [];
      for (const name of ['a', 'b', 'c', 'd', 'e'])
        peers.push(await repo().addRoadWarrior(roadWarrior(gateway.id, name)));

      // Assess
      const addresses = peers.map((peer) => peer.tunnelIp);
      expect(new Set(addresses).size).toBe(5);
      expect(addresses.every((ip) => /^100\.64\.9\.[2-6]$/.test(ip))).toBe(true);
      expect(peers[0]).toMatchObject({
        type: 'road-warrior',
        allowedIps: [`${addresses[0]}/32`],
        endpoint: null,
      });
      expect(await generationOf(gateway.id)).toBe(5);
      expect((await repo().listPeers(gateway.id)).map((peer) => peer.name)).toEqual([
        'a',
        'b',
        'c',
        'd',
        'e',
      ]);
    });

    it('fails with TUNNEL_SUBNET_EXHAUSTED when the subnet is full, and reuses a released address', async () => {
      // Prepare: a /30 holds one address beside the gateway's own.
      const gateway = gatewayRecord({ tunnelSubnet: '100.64.8.0/30', tunnelIp: '100.64.8.1' });
      await repo().createGateway(gateway);
      const first = await repo().addRoadWarrior(roadWarrior(gateway.id, 'first'));

      // Act
      const full = repo().addRoadWarrior(roadWarrior(gateway.id, 'second'));
      await expect(full).rejects.toEqual(new ConflictError('TUNNEL_SUBNET_EXHAUSTED'));
      const removed = await repo().removeRoadWarrior(gateway.id, 'first');
      const reused = await repo().addRoadWarrior({ ...roadWarrior(gateway.id, 'second'), gateway });

      // Assess
      expect(removed).toEqual(first);
      expect(reused.tunnelIp).toBe('100.64.8.2');
    });

    it('refuses a second road-warrior of the same name and changes nothing', async () => {
      // Prepare
      const gateway = gatewayRecord();
      await repo().createGateway(gateway);
      const first = await repo().addRoadWarrior(roadWarrior(gateway.id, 'laptop'));

      // Act
      const again = repo().addRoadWarrior(roadWarrior(gateway.id, 'laptop'));

      // Assess
      await expect(again).rejects.toEqual(new ConflictError('PEER_EXISTS'));
      expect(await repo().listPeers(gateway.id)).toEqual([first]);
      expect(await generationOf(gateway.id)).toBe(1);
    });

    it('refuses a road-warrior on a gateway that is gone', async () => {
      // Act
      const attempt = repo().addRoadWarrior(roadWarrior(uniqueId('gw-gone'), 'laptop'));

      // Assess
      await expect(attempt).rejects.toBeInstanceOf(GatewayGoneError);
    });

    it('removes a road-warrior once, and leaves a vpc-peering entry to its peering', async () => {
      // Prepare
      const [a, b] = await pairOfGateways();
      const peering = await repo().createPeering(newPeering(a, b));
      await repo().addRoadWarrior(roadWarrior(a.id, 'tablet'));

      // Act
      const first = await repo().removeRoadWarrior(a.id, 'tablet');
      const second = await repo().removeRoadWarrior(a.id, 'tablet');
      const peeringPeer = await repo().removeRoadWarrior(a.id, `vpc-peering-${peering.id}`);

      // Assess
      expect(first?.name).toBe('tablet');
      expect(second).toBeUndefined();
      expect(peeringPeer).toBeUndefined();
      expect((await repo().listPeers(a.id)).map((peer) => peer.name)).toEqual([`vpc-peering-${peering.id}`]);
      expect(await generationOf(a.id)).toBe(3);
    });

    it('moves an endpoint once: a repeat returns the same generation, a missing peer or gateway undefined', async () => {
      // Prepare
      const [a, b] = await pairOfGateways();
      const peering = await repo().createPeering(newPeering(a, b));
      const name = `vpc-peering-${peering.id}`;

      // Act
      const moved = await repo().updatePeerEndpoint(a.id, name, '198.51.100.9:51820');
      const repeated = await repo().updatePeerEndpoint(a.id, name, '198.51.100.9:51820');
      const noPeer = await repo().updatePeerEndpoint(a.id, 'nobody', '198.51.100.9:51820');
      const noGateway = await repo().updatePeerEndpoint(uniqueId('gw-gone'), name, '198.51.100.9:51820');

      // Assess
      expect([moved, repeated, noPeer, noGateway]).toEqual([2, 2, undefined, undefined]);
      expect((await repo().getPeer(a.id, name))?.endpoint).toBe('198.51.100.9:51820');
    });
  });

  describe('peerings', () => {
    it('writes the peering with both sides, their peer entries and generations; again returns it as is', async () => {
      // Prepare
      const [a, b] = await pairOfGateways();
      const input = newPeering(a, b);

      // Act
      const peering = await repo().createPeering(input);
      const again = await repo().createPeering({ ...input, createdAt: '2030-01-01T00:00:00.000Z' });

      // Assess
      expect(peering).toMatchObject({
        id: input.id,
        ownerId: a.ownerId,
        gatewayIds: [a.id, b.id],
        status: 'PROVISIONING',
        statusReason: null,
        sides: [
          { gatewayId: a.id, peerName: `vpc-peering-${input.id}`, applied: false, generation: 1 },
          { gatewayId: b.id, peerName: `vpc-peering-${input.id}`, applied: false, generation: 1 },
        ],
      });
      expect(again).toEqual(peering);
      expect(await repo().getPeering(input.id)).toEqual(peering);
      const peerOnA = await repo().getPeer(a.id, `vpc-peering-${input.id}`);
      expect(peerOnA).toMatchObject({
        type: 'vpc-peering',
        publicKey: b.publicKey,
        tunnelIp: peering.sides[0].tunnelIp,
        allowedIps: [b.vpcCidr, b.tunnelSubnet],
        peeringId: input.id,
        remoteGatewayId: b.id,
        presharedKeyParam: input.presharedKeyParam,
      });
      expect([await generationOf(a.id), await generationOf(b.id)]).toEqual([1, 1]);
    });

    it('refuses a second peering of the pair from either side, and one to a gateway not ACTIVE', async () => {
      // Prepare
      const [a, b] = await pairOfGateways();
      await repo().createPeering(newPeering(a, b));
      const pending = gatewayRecord({ ownerId: a.ownerId, status: 'PENDING' });
      await repo().createGateway(pending);

      // Act
      const reverse = repo().createPeering(newPeering(b, a));
      const notActive = repo().createPeering(newPeering(a, pending));

      // Assess
      await expect(reverse).rejects.toEqual(new ConflictError('PEERING_ALREADY_EXISTS'));
      await expect(notActive).rejects.toEqual(new ConflictError('GATEWAY_NOT_ACTIVE'));
      expect(await repo().listPeers(pending.id)).toEqual([]);
      expect(await generationOf(b.id)).toBe(1);
    });

    it('refuses with ChecksOutdatedError and writes nothing when a route block moved since the checks', async () => {
      // Prepare: the checks saw a's block of b's VPC before another claim on it.
      const [a, b] = await pairOfGateways();
      const seen = await repo().readRouteBlocks([{ gatewayId: a.id, prefixes: [b.vpcCidr] }]);
      const routeBlockVersions = seen.map((block) => ({ ...block, version: block.version + 1 }));
      const input = { ...newPeering(a, b), routeBlockVersions };

      // Act
      const attempt = repo().createPeering(input);

      // Assess
      await expect(attempt).rejects.toBeInstanceOf(ChecksOutdatedError);
      expect(await repo().getPeering(input.id)).toBeUndefined();
      expect(await repo().listPeers(a.id)).toEqual([]);
    });

    it('refuses a peering of a gateway with itself', async () => {
      // Prepare
      const [a] = await pairOfGateways();

      // Act
      const attempt = repo().createPeering(newPeering(a, a));

      // Assess
      await expect(attempt).rejects.toMatchObject({ name: 'ValidationError' });
    });

    it('detaches both sides once and releases addresses, lock and record idempotently', async () => {
      // Prepare: a /30 on a, so a leaked address would show as TUNNEL_SUBNET_EXHAUSTED.
      const owner = uniqueId('owner');
      const a = gatewayRecord({ ownerId: owner, tunnelSubnet: '100.64.7.0/30', tunnelIp: '100.64.7.1' });
      const [, b] = await pairOfGateways(owner);
      await repo().createGateway(a);
      const peering = await repo().createPeering(newPeering(a, b));

      // Act
      const detached = await repo().detachPeering(peering.id);
      const detachedAgain = await repo().detachPeering(peering.id);
      await repo().releasePeering(peering.id, { deleteRecord: true });
      await repo().releasePeering(peering.id, { deleteRecord: true });

      // Assess
      expect(detached).toEqual({ [a.id]: 2, [b.id]: 2 });
      expect(detachedAgain).toEqual(detached);
      expect(await repo().listPeers(a.id)).toEqual([]);
      expect(await repo().getPeering(peering.id)).toBeUndefined();
      await expect(repo().createPeering(newPeering(b, a))).resolves.toMatchObject({ status: 'PROVISIONING' });
    });

    it('skips a gateway that no longer exists when detaching, and keeps the record unless asked', async () => {
      // Prepare
      const [a, b] = await pairOfGateways();
      const peering = await repo().createPeering(newPeering(a, b));
      await repo().deleteGateway(b.id);

      // Act
      const detached = await repo().detachPeering(peering.id);
      await repo().releasePeering(peering.id, { deleteRecord: false });

      // Assess
      expect(detached).toEqual({ [a.id]: 2 });
      expect(await repo().listPeers(a.id)).toEqual([]);
      expect(await repo().getPeering(peering.id)).toMatchObject({ id: peering.id });
    });

    it('changes status only from an expected one, stamps updatedAt, and marks sides applied', async () => {
      // Prepare
      const [a, b] = await pairOfGateways();
      const peering = await repo().createPeering(newPeering(a, b));
      const later = () => new Date('2030-01-01T00:00:00.000Z');

      // Act
      const refused = await repo().setPeeringStatus(peering.id, 'ACTIVE', null, ['DELETING']);
      const none = await repo().setPeeringStatus(peering.id, 'ACTIVE', null, []);
      const appliedA = await repo(later).markSideApplied(peering.id, a.id);
      const unknownSide = await repo().markSideApplied(peering.id, 'gw-unknown');
      const failed = await repo(later).setPeeringStatus(peering.id, 'FAILED', 'why', ['PROVISIONING']);

      // Assess
      expect([refused, none, unknownSide]).toEqual([undefined, undefined, undefined]);
      expect(appliedA?.sides.map((side) => side.applied)).toEqual([true, false]);
      expect(failed).toMatchObject({
        status: 'FAILED',
        statusReason: 'why',
        updatedAt: later().toISOString(),
      });
    });

    it('lists the peerings of one owner, and every peering for admins', async () => {
      // Prepare
      const [a, b] = await pairOfGateways();
      const peering = await repo().createPeering(newPeering(a, b));

      // Act
      const mine = await everyPeering(repo(), { ownerId: a.ownerId });
      const all = await everyPeering(repo());
      const failed = await everyPeering(repo(), { ownerId: a.ownerId, status: 'FAILED' });

      // Assess
      expect(mine).toEqual([peering]);
      expect(all.map((entry) => entry.id)).toContain(peering.id);
      expect(failed).toEqual([]);
    });

    it('pages peerings of one owner in id order', async () => {
      // Prepare
      const owner = uniqueId('owner');
      const gateways = [0, 1, 2].map((n) =>
        gatewayRecord({ ownerId: owner, tunnelSubnet: `100.65.${n}.0/24`, tunnelIp: `100.65.${n}.1` }),
      );
      for (const gateway of gateways) await repo().createGateway(gateway);
      const [g0, g1, g2] = gateways as [GatewayRecord, GatewayRecord, GatewayRecord];
      const ids = [`${owner}-pcx-c`, `${owner}-pcx-a`, `${owner}-pcx-b`];
      await repo().createPeering(newPeering(g0, g1, ids[0]));
      await repo().createPeering(newPeering(g0, g2, ids[1]));
      await repo().createPeering(newPeering(g1, g2, ids[2]));

      // Act
      const walked = await walkPages((nextToken) =>
        repo().pagePeerings({ ownerId: owner }, { limit: 2, nextToken, binding: 'peerings' }),
      );

      // Assess
      expect(walked.map((peering) => peering.id)).toEqual([...ids].sort());
    });

    it('pages peers in name order; lists peering peers and pair locks apart from road-warriors', async () => {
      // Prepare
      const [a, b] = await pairOfGateways();
      for (const name of ['rw-c', 'rw-a']) await repo().addRoadWarrior(roadWarrior(a.id, name));
      const peering = await repo().createPeering(newPeering(a, b));
      const stranger = uniqueId('gw');

      // Act
      const walked = await walkPages((nextToken) =>
        repo().pagePeers(a.id, { limit: 2, nextToken, binding: 'peers' }),
      );
      const peeringPeers = await repo().listPeeringPeers(a.id);
      const peered = await repo().peeredWith(a.id, [b.id, stranger]);

      // Assess
      expect(walked.map((peer) => peer.name)).toEqual(['rw-a', 'rw-c', `vpc-peering-${peering.id}`]);
      expect(peeringPeers.map((peer) => peer.name)).toEqual([`vpc-peering-${peering.id}`]);
      expect([...peered]).toEqual([b.id]);
    });

    it("counts route block claims, keeps each peering's routes, and releases them on detach", async () => {
      // Prepare
      const [a, b] = await pairOfGateways();
      const input = newPeering(a, b);
      const request = [{ gatewayId: a.id, prefixes: [b.vpcCidr, b.tunnelSubnet] }];
      const before = await repo().readRouteBlocks(request);

      // Act
      await repo().createPeering({ ...input, routeBlockVersions: before });
      const after = await repo().readRouteBlocks(request);
      await repo().detachPeering(input.id);
      const detached = await repo().readRouteBlocks(request);

      // Assess: b's /16 VPC is an exclusive claim of its /16 block; its /24 tunnel subnet an
      // exclusive claim of its /24 block and a shared one of its /16 block.
      const byBlock = (blocks: typeof after) =>
        Object.fromEntries(blocks.map((block) => [block.block, block]));
      expect(before.every((block) => block.version === 0 && block.descendants === 0)).toBe(true);
      expect(Object.keys(byBlock(after)).sort()).toEqual(before.map((block) => block.block).sort());
      for (const block of after) {
        expect(block.version + block.descendants).toBeGreaterThan(0);
        expect(block.routes.map((route) => route.peeringId)).toEqual([input.id]);
      }
      for (const block of detached) {
        expect(block.routes).toEqual([]);
        expect(byBlock(after)[block.block]).toMatchObject({
          version: block.version,
          descendants: block.descendants,
        });
      }
    });
  });

  describe('applied generations and status reports', () => {
    it('keeps the highest applied generation, with when it was first reported', async () => {
      // Prepare
      const gatewayId = uniqueId('gw');

      // Act
      await repo().recordApplied({ gatewayId, appliedGeneration: 5, appliedAt: AT });
      await repo().recordApplied({ gatewayId, appliedGeneration: 4, appliedAt: AT });
      await repo().recordApplied({ gatewayId, appliedGeneration: 5, appliedAt: '2026-11-25T00:05:00.000Z' });

      // Assess
      expect(await repo().getAppliedGeneration(gatewayId)).toEqual({
        gatewayId,
        appliedGeneration: 5,
        appliedAt: AT,
      });
    });

    it('never replaces a live report by an older one: older generation, or same generation and earlier', async () => {
      // Prepare
      const gatewayId = uniqueId('gw');
      await repo().putStatusReport(report(gatewayId, 3, '2026-11-25T00:00:05.000Z', 30));

      // Act
      await repo().putStatusReport(report(gatewayId, 2, '2026-11-25T00:00:09.000Z', 20));
      await repo().putStatusReport(report(gatewayId, 3, '2026-11-25T00:00:04.000Z', 29));
      const afterOlder = await repo().getStatusReport(gatewayId);
      await repo().putStatusReport(report(gatewayId, 3, '2026-11-25T00:00:06.000Z', 31));

      // Assess
      expect(afterOlder?.peers[0]?.latestHandshake).toBe(30);
      expect(await repo().getStatusReport(gatewayId)).toEqual(
        report(gatewayId, 3, '2026-11-25T00:00:06.000Z', 31),
      );
    });

    it('forgets both for a gateway moved to another instance, whose lower generations then count', async () => {
      // Prepare: the old instance applied and reported generation 9.
      const gatewayId = uniqueId('gw');
      await repo().recordApplied({ gatewayId, appliedGeneration: 9, appliedAt: AT });
      await repo().putStatusReport(report(gatewayId, 9, '2026-11-25T00:00:05.000Z', 30));

      // Act
      await repo().forgetInstanceReports(gatewayId);
      const forgotten = [
        await repo().getAppliedGeneration(gatewayId),
        await repo().getStatusReport(gatewayId),
      ];
      await repo().forgetInstanceReports(gatewayId);
      await repo().recordApplied({ gatewayId, appliedGeneration: 2, appliedAt: AT });

      // Assess
      expect(forgotten).toEqual([undefined, undefined]);
      expect((await repo().getAppliedGeneration(gatewayId))?.appliedGeneration).toBe(2);
    });
  });

  describe('idempotency keys', () => {
    it('claims a key once, then returns the first record with its completed response', async () => {
      // Prepare
      const key = `api#${uniqueId('key')}`;
      const record = { key, requestHash: 'h1', createdAt: AT };
      const response = { statusCode: 201, headers: { 'content-type': 'application/json' }, body: '{}' };

      // Act
      const claimed = await repo().claimIdempotencyKey(record);
      const pending = await repo().claimIdempotencyKey({ ...record, requestHash: 'h2' });
      await repo().completeIdempotencyKey(key, response);
      const replay = await repo().claimIdempotencyKey(record);

      // Assess
      expect(claimed).toBeUndefined();
      expect(pending).toEqual(record);
      expect(replay).toEqual({ ...record, response });
    });

    it('lets a key be claimed again once 24 hours have passed', async () => {
      // Prepare
      const key = `api#${uniqueId('key')}`;
      const now = new Date(AT);
      const dayAndASecondLater = new Date(now.getTime() + (24 * 60 * 60 + 2) * 1000);
      await repo(() => now).claimIdempotencyKey({ key, requestHash: 'h1', createdAt: AT });

      // Act
      const withinTheDay = await repo(() => new Date(now.getTime() + 60_000)).claimIdempotencyKey({
        key,
        requestHash: 'h2',
        createdAt: AT,
      });
      const after = await repo(() => dayAndASecondLater).claimIdempotencyKey({
        key,
        requestHash: 'h3',
        createdAt: dayAndASecondLater.toISOString(),
      });

      // Assess
      expect(withinTheDay?.requestHash).toBe('h1');
      expect(after).toBeUndefined();
    });

    it('lets one of two take-overs of a claim as read win, and forgets the old answer', async () => {
      // Prepare: a claim answered "retry later", read by two retries at once.
      const key = `api#${uniqueId('key')}`;
      const record = { key, requestHash: 'h1', createdAt: AT };
      await repo().claimIdempotencyKey(record);
      await repo().completeIdempotencyKey(key, { statusCode: 503, headers: {}, body: '{}' });
      const read = await repo().claimIdempotencyKey(record);
      // Both at the same instant: the take-over count, not the clock, tells them apart.
      const later = new Date(Date.parse(AT) + 5_000).toISOString();

      // Act
      const first = await repo().retakeIdempotencyKey(read as NonNullable<typeof read>, later);
      const second = await repo().retakeIdempotencyKey(read as NonNullable<typeof read>, later);
      const after = await repo().claimIdempotencyKey(record);

      // Assess
      expect([first, second]).toEqual([true, false]);
      expect(after).toEqual({ key, requestHash: 'h1', createdAt: later, takeovers: 1 });
    });
  });

  describe('gateway tombstones', () => {
    it('delete twice, register again: the generation continues above the last one', async () => {
      // Prepare: an incarnation at generation 5, deleted, then deleted again (a redelivered
      // "Deleted" event, or a retry after releaseInstance failed).
      const gateway = gatewayRecord();
      await repo().createGateway(gateway);
      for (let i = 0; i < 5; i++) await repo().bumpGeneration(gateway.id);
      await repo().deleteGateway(gateway.id);
      await repo().deleteGateway(gateway.id);
      await repo().endGatewayCascade(gateway.id, 5);

      // Act
      await repo().createGateway(gateway);

      // Assess: 6, not 0: an instance that applied generation 5 would refuse the new one's pushes
      // as stale, and push execution names (push-<id>-<generation>) would repeat.
      expect(await generationOf(gateway.id)).toBe(6);
    });

    it('keeps what a pending cascade needs, for the sweep, past its bound and until it ended', async () => {
      // Prepare: two gateways deleted at AT, one whose key the control plane holds, at generation 2.
      const withKey = gatewayRecord({ privateKeyParam: '/vpc-peering/gateways/k/private-key' });
      const ownKey = gatewayRecord();
      for (const gateway of [withKey, ownKey]) await repo().createGateway(gateway);
      for (let i = 0; i < 2; i++) await repo().bumpGeneration(withKey.id);
      for (const gateway of [withKey, ownKey]) await repo(() => new Date(AT)).deleteGateway(gateway.id);
      const ours = new Set([withKey.id, ownKey.id]);
      const pendingBefore = async (cascadeBefore: string) =>
        (await repo().findSweepWork({ stalledBefore: AT, cascadeBefore })).pendingCascades
          .filter((pending) => ours.has(pending.id))
          .sort((a, b) => a.id.localeCompare(b.id));

      // Act
      const atTheDelete = await pendingBefore(AT);
      const past = await pendingBefore('2026-11-25T00:00:01.000Z');
      await repo().endGatewayCascade(withKey.id, 2);
      const afterOneEnded = await pendingBefore('2026-11-25T00:00:01.000Z');

      // Assess
      const kept = (gateway: GatewayRecord, desiredGeneration: number) => ({
        id: gateway.id,
        instanceId: gateway.instanceId,
        desiredGeneration,
        privateKeyParam: gateway.privateKeyParam,
      });
      expect(atTheDelete).toEqual([]);
      expect(past).toEqual([kept(withKey, 2), kept(ownKey, 0)].sort((a, b) => a.id.localeCompare(b.id)));
      expect(afterOneEnded).toEqual([kept(ownKey, 0)]);
    });
  });

  describe('sweep work', () => {
    it('finds the peerings PROVISIONING or DELETING since before the bound, and no settled one', async () => {
      // Prepare: three peerings written at CREATED_AT (2025-01-01); one settles, one is being deleted.
      const peerings = [];
      for (let i = 0; i < 3; i++) {
        const [a, b] = await pairOfGateways();
        peerings.push(await repo().createPeering(newPeering(a, b)));
      }
      const [provisioning, active, deleting] = peerings.map((peering) => peering.id) as [
        string,
        string,
        string,
      ];
      await repo().setPeeringStatus(active, 'ACTIVE', null, ['PROVISIONING']);
      await repo(() => new Date('2025-01-01T00:00:00.000Z')).setPeeringStatus(deleting, 'DELETING', null, [
        'PROVISIONING',
      ]);
      const ours = new Set([provisioning, active, deleting]);
      const stalledBefore = async (before: string) =>
        (await repo().findSweepWork({ stalledBefore: before, cascadeBefore: AT })).stalledPeerings
          .filter((peering) => ours.has(peering.id))
          .map((peering) => [peering.id, peering.status])
          .sort();

      // Act
      const atTheWrite = await stalledBefore('2025-01-01T00:00:00.000Z');
      const past = await stalledBefore('2025-01-01T00:00:01.000Z');

      // Assess
      expect(atTheWrite).toEqual([]);
      expect(past).toEqual(
        [
          [provisioning, 'PROVISIONING'],
          [deleting, 'DELETING'],
        ].sort(),
      );
    });
  });

  describe('incarnations of a gateway id', () => {
    /** A gateway at generation `generation`, deleted: its cascade is pending. */
    async function deletedAt(generation: number, overrides: Partial<GatewayRecord> = {}) {
      const gateway = gatewayRecord(overrides);
      await repo().createGateway(gateway);
      for (let i = 0; i < generation; i++) await repo().bumpGeneration(gateway.id);
      await repo().deleteGateway(gateway.id);
      return gateway;
    }

    it('refuses to register an id while its cascade is pending, and registers it once the cascade ended', async () => {
      // Prepare
      const gateway = await deletedAt(3);

      // Act: a registration before the cascade, one while it runs (begun, also by a redelivery),
      // one after a repeated delete (a redelivered "Deleted" event), then one after it ended.
      const beforeCascade = repo().createGateway(gateway);
      await expect(beforeCascade).rejects.toEqual(new ConflictError('GATEWAY_BEING_DELETED'));
      const begun = [
        await repo().beginGatewayCascade(gateway.id, 3),
        await repo().beginGatewayCascade(gateway.id, 3),
      ];
      const duringCascade = repo().createGateway(gateway);
      await expect(duringCascade).rejects.toEqual(new ConflictError('GATEWAY_BEING_DELETED'));
      await repo().deleteGateway(gateway.id);
      const afterRepeatedDelete = repo().createGateway(gateway);
      await expect(afterRepeatedDelete).rejects.toEqual(new ConflictError('GATEWAY_BEING_DELETED'));
      const byEvent = repo().upsertGateway(gateway);
      await expect(byEvent).rejects.toBeInstanceOf(GatewayGoneError);
      const pendingBeforeEnd = await repo().isGatewayCascadePending(gateway.id);
      await repo().endGatewayCascade(gateway.id, 3);
      const pendingAfterEnd = await repo().isGatewayCascadePending(gateway.id);
      await repo().createGateway(gateway);

      // Assess
      expect([pendingBeforeEnd, pendingAfterEnd]).toEqual([true, false]);
      expect(begun).toEqual([true, true]);
      expect(await generationOf(gateway.id)).toBe(4);
    });

    it('begins a cascade only for the generation deleted, and never again once it ended or the id is back', async () => {
      // Prepare
      const gateway = await deletedAt(2);
      const neverRegistered = uniqueId('gw-never');
      await repo().deleteGateway(neverRegistered);

      // Act
      const otherGeneration = await repo().beginGatewayCascade(gateway.id, 1);
      await repo().endGatewayCascade(gateway.id, 1);
      const stillPending = repo().createGateway(gateway);
      await expect(stillPending).rejects.toEqual(new ConflictError('GATEWAY_BEING_DELETED'));
      const pending = await repo().beginGatewayCascade(gateway.id, 2);
      await repo().endGatewayCascade(gateway.id, 2);
      await repo().endGatewayCascade(gateway.id, 2);
      const afterEnd = await repo().beginGatewayCascade(gateway.id, 2);
      await repo().createGateway(gateway);
      const afterRegistration = await repo().beginGatewayCascade(gateway.id, 2);
      await repo().deleteGateway(gateway.id);
      const predecessorOfNext = await repo().beginGatewayCascade(gateway.id, 2);
      const next = await repo().beginGatewayCascade(gateway.id, 3);
      const unknownId = await repo().beginGatewayCascade(neverRegistered, 0);

      // Assess
      expect({
        otherGeneration,
        pending,
        afterEnd,
        afterRegistration,
        predecessorOfNext,
        next,
        unknownId,
      }).toEqual({
        otherGeneration: false,
        pending: true,
        afterEnd: false,
        afterRegistration: false,
        predecessorOfNext: false,
        next: true,
        unknownId: false,
      });
    });

    it('never lands a road-warrior checked against a deleted incarnation on the id registered again', async () => {
      // Prepare: A (alice's) read to authorize the add, then deleted and its id registered for bob.
      const first = await deletedAt(0, { createdAt: '2026-11-01T00:00:00.000Z' });
      await repo().endGatewayCascade(first.id, 0);
      const second = { ...first, ownerId: 'bob', createdAt: '2026-11-02T00:00:00.000Z' };
      await repo().createGateway(second);

      // Act
      const stale = repo().addRoadWarrior({ ...roadWarrior(first.id, 'laptop'), gateway: first });
      await expect(stale).rejects.toBeInstanceOf(GatewayGoneError);
      const current = await repo().addRoadWarrior({ ...roadWarrior(second.id, 'phone'), gateway: second });

      // Assess: only the add checked against the current incarnation landed, counted once.
      expect((await repo().listPeers(second.id)).map((peer) => peer.name)).toEqual([current.name]);
      expect(await generationOf(second.id)).toBe(2);
    });
  });
}

function report(
  gatewayId: string,
  appliedGeneration: number,
  reportedAt: string,
  handshake = 0,
): GatewayStatusReport {
  return {
    gatewayId,
    appliedGeneration,
    mode: 'wireguard',
    peers: [
      {
        publicKey: 'k',
        allowedIps: ['10.0.0.0/16'],
        endpoint: null,
        latestHandshake: handshake,
        rxBytes: 1,
        txBytes: 2,
      },
    ],
    reportedAt,
  };
}
