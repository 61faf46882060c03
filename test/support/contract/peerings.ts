/** The Repository contract (test/support/repository-contract.ts): peerings. */
import { ChecksOutdatedError, ConflictError, NotFoundError } from '../../../lambdas/core/errors';
import { walkPages } from '../../../lambdas/core/pagination';
import type { GatewayRecord } from '../../../lambdas/core/types';
import { fixtureKeyPair, gatewayRecord } from '../gateways';
import { everyPeering } from '../pages';
import { newPeering, roadWarrior, uniqueId } from '../records';
import { AT, type ContractContext } from './context';

/** A create's receipt for a new id between `a` and `b`, as the API writes it on a 202. */
const receiptOf = (a: GatewayRecord, b: GatewayRecord) => ({
  peeringId: uniqueId('pcx-receipt'),
  ownerId: a.ownerId,
  gatewayIds: [a.id, b.id] as [string, string],
  acceptedAt: AT,
});

export function peeringsContract({ repo, pairOfGateways, generationOf }: ContractContext): void {
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

    it.each([
      ['public key', (gateway: GatewayRecord) => ({ publicKey: fixtureKeyPair().publicKey, id: gateway.id })],
      ['listen port', (gateway: GatewayRecord) => ({ listenPort: gateway.listenPort + 1, id: gateway.id })],
    ])(
      'refuses with ChecksOutdatedError and writes nothing when the remote gateway has a new %s since the checks',
      async (_, change) => {
        // Prepare: the checks copied b's key and endpoint into a's entry; then b was updated.
        const [a, b] = await pairOfGateways();
        const input = newPeering(a, b);
        await repo().upsertGateway({ ...b, ...change(b) });

        // Act
        const attempt = repo().createPeering(input);

        // Assess
        await expect(attempt).rejects.toBeInstanceOf(ChecksOutdatedError);
        expect(await repo().getPeering(input.id)).toBeUndefined();
        expect(await repo().listPeers(a.id)).toEqual([]);
        expect(await repo().listPeers(b.id)).toEqual([]);
        expect(await generationOf(a.id)).toBe(0);
      },
    );

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

    it('keeps a deleted id from being written again, and shows it in no read, list, page or sweep', async () => {
      // Prepare: a peering DELETING since long ago, as delete-peering leaves it, then released.
      const owner = uniqueId('owner');
      const [a, b] = await pairOfGateways(owner);
      const input = newPeering(a, b, `${owner}-pcx-b`);
      const deleted = await repo().createPeering(input);
      const [c, d] = await pairOfGateways(owner);
      const kept = await repo().createPeering(newPeering(c, d, `${owner}-pcx-a`));
      const longAgo = () => new Date('2025-01-01T00:00:00.000Z');
      await repo(longAgo).setPeeringStatus(deleted.id, 'DELETING', null, ['PROVISIONING']);
      await repo().detachPeering(deleted.id);
      await repo().releasePeering(deleted.id, { deleteRecord: true });

      // Act: the same request again (a retried Allocate), and every way a peering is read.
      const again = repo().createPeering({ ...input, createdAt: '2030-01-01T00:00:00.000Z' });
      const releasedAgain = repo().releasePeering(deleted.id, { deleteRecord: true });
      const listed = [
        ...(await everyPeering(repo(), { ownerId: owner })),
        ...(await everyPeering(repo())).filter((peering) => peering.ownerId === owner),
      ];
      const paged = await walkPages((nextToken) =>
        repo().pagePeerings({ ownerId: owner }, { limit: 1, nextToken, binding: 'peerings' }),
      );
      const swept = await repo().findSweepWork({ stalledBefore: AT, cascadeBefore: AT, walkBefore: AT });

      // Assess
      await expect(again).rejects.toEqual(new NotFoundError(`Peering ${deleted.id}`));
      await expect(releasedAgain).resolves.toBeUndefined();
      expect(await repo().getPeering(deleted.id)).toBeUndefined();
      expect(await repo().setPeeringStatus(deleted.id, 'ACTIVE', null, ['DELETING'])).toBeUndefined();
      expect(await repo().markSideApplied(deleted.id, a.id)).toBeUndefined();
      expect(await repo().getPeer(a.id, input.sides[0].peer.name)).toBeUndefined();
      expect(listed.map((peering) => peering.id)).toEqual([kept.id, kept.id]);
      expect(paged.map((peering) => peering.id)).toEqual([kept.id]);
      expect(swept.stalledPeerings.map((peering) => peering.id)).not.toContain(deleted.id);
      // The pair is free for a peering under a new id.
      await expect(repo().createPeering(newPeering(a, b))).resolves.toMatchObject({ status: 'PROVISIONING' });
    });

    it("keeps a create's receipt apart from its peering, and tells a deleted peering from an unknown id", async () => {
      // Prepare: a receipt of an id never written; a peering written, then deleted
      const [a, b] = await pairOfGateways();
      const receipt = receiptOf(a, b);
      const deleted = await repo().createPeering(newPeering(a, b));
      await repo().releasePeering(deleted.id, { deleteRecord: true });

      // Act
      await repo().putCreateReceipt(receipt);
      await repo().putCreateReceipt(receipt);

      // Assess
      expect(await repo().getCreateReceipt(receipt.peeringId)).toEqual(receipt);
      expect(await repo().getPeering(receipt.peeringId)).toBeUndefined();
      expect(await repo().getCreateReceipt(deleted.id)).toBeUndefined();
      expect(await repo().peeringDeleted(deleted.id)).toBe(true);
      expect(await repo().peeringDeleted(receipt.peeringId)).toBe(false);
      expect(await repo().peeringDeleted(uniqueId('pcx-never'))).toBe(false);
    });

    it("keeps a create receipt's closed-run outcome once recorded", async () => {
      // Prepare: a receipt, as the create answered 202
      const [a, b] = await pairOfGateways();
      const receipt = receiptOf(a, b);
      await repo().putCreateReceipt(receipt);
      const outcome = { kind: 'failed' as const, reason: 'The VPC CIDRs of the two gateways overlap' };

      // Act
      await repo().putCreateReceipt({ ...receipt, outcome });

      // Assess
      expect(await repo().getCreateReceipt(receipt.peeringId)).toEqual({ ...receipt, outcome });
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
}
