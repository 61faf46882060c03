/**
 * The Repository contract (test/support/repository-contract.ts): one holder per public key on a
 * gateway. WireGuard tells a gateway's peers apart by key, so the commit that writes a peer entry
 * refuses a key another entry of that gateway holds, whoever wrote it and however close together
 * (docs/DECISIONS.md, "Public keys").
 */
import type { Repository } from '../../../lambdas/app/ports';
import { ConflictError } from '../../../lambdas/core/errors';
import { peeringPeerName } from '../../../lambdas/core/schemas';
import { gatewayRecord } from '../gateways';
import { newPeering, publicKeyOf, roadWarrior } from '../records';
import type { ContractContext } from './context';

const KEY_IN_USE = new ConflictError('PUBLIC_KEY_IN_USE');

/** A road-warrior `name` on `gatewayId` holding `publicKey`. */
const holding = (repository: Repository, gatewayId: string, name: string, publicKey: string) =>
  repository.addRoadWarrior({ ...roadWarrior(gatewayId, name), publicKey });

/** The outcomes of calls made at once: the values, and the reasons of the refusals. */
async function settled(calls: Promise<unknown>[]) {
  const results = await Promise.allSettled(calls);
  return {
    fulfilled: results.filter((result) => result.status === 'fulfilled').length,
    refusals: results.flatMap((result) => (result.status === 'rejected' ? [result.reason] : [])),
  };
}

export function publicKeysContract({ repo, pairOfGateways, generationOf }: ContractContext): void {
  describe('public keys', () => {
    it('lets one of two road-warriors with one key in, at once or not, and frees the key with its holder', async () => {
      // Prepare
      const gateway = gatewayRecord();
      const other = gatewayRecord();
      for (const stored of [gateway, other]) await repo().createGateway(stored);
      const key = publicKeyOf(gateway.id, 'shared');

      // Act
      const atOnce = await settled([
        holding(repo(), gateway.id, 'laptop', key),
        holding(repo(), gateway.id, 'phone', key),
      ]);
      const later = holding(repo(), gateway.id, 'tablet', key);
      await expect(later).rejects.toEqual(KEY_IN_USE);
      const [winner] = await repo().listPeers(gateway.id);
      await repo().removeRoadWarrior(gateway.id, winner?.name ?? '');
      const afterRemoval = await holding(repo(), gateway.id, 'tablet', key);
      const elsewhere = await holding(repo(), other.id, 'laptop', key);

      // Assess: one add and one removal counted; the key is the gateway's own business.
      expect(atOnce).toEqual({ fulfilled: 1, refusals: [KEY_IN_USE] });
      expect((await repo().listPeers(gateway.id)).map((peer) => peer.name)).toEqual([afterRemoval.name]);
      expect(await generationOf(gateway.id)).toBe(3);
      expect(elsewhere.publicKey).toBe(key);
    });

    it('refuses a peering whose remote key a road-warrior of either gateway holds, and writes nothing', async () => {
      // Prepare: a road-warrior of a holds b's key; one of d holds c's.
      const [a, b] = await pairOfGateways();
      const [c, d] = await pairOfGateways();
      await holding(repo(), a.id, 'impostor', b.publicKey);
      await holding(repo(), d.id, 'impostor', c.publicKey);

      // Act
      const onLocal = repo().createPeering(newPeering(a, b));
      const onRemote = repo().createPeering(newPeering(c, d));

      // Assess
      await expect(onLocal).rejects.toEqual(KEY_IN_USE);
      await expect(onRemote).rejects.toEqual(KEY_IN_USE);
      expect((await repo().listPeers(b.id)).length + (await repo().listPeers(c.id)).length).toBe(0);
      expect(await repo().peeredWith(a.id, [b.id])).toEqual(new Set());
      expect([await generationOf(a.id), await generationOf(b.id)]).toEqual([1, 0]);
    });

    it("refuses a road-warrior holding a peered gateway's key until the peering is detached", async () => {
      // Prepare
      const [a, b] = await pairOfGateways();
      const peering = await repo().createPeering(newPeering(a, b));

      // Act
      const whilePeered = holding(repo(), a.id, 'impostor', b.publicKey);
      await expect(whilePeered).rejects.toEqual(KEY_IN_USE);
      await repo().detachPeering(peering.id);
      const afterDetach = await holding(repo(), a.id, 'impostor', b.publicKey);

      // Assess
      expect((await repo().listPeers(a.id)).map((peer) => peer.name)).toEqual([afterDetach.name]);
    });

    it('lets only one of a road-warrior and a peering made at once hold the remote key', async () => {
      // Prepare
      const [a, b] = await pairOfGateways();
      const input = newPeering(a, b);

      // Act
      const atOnce = await settled([
        holding(repo(), a.id, 'impostor', b.publicKey),
        repo().createPeering(input),
      ]);

      // Assess: the one that landed holds the key alone.
      expect(atOnce).toEqual({ fulfilled: 1, refusals: [KEY_IN_USE] });
      const holders = (await repo().listPeers(a.id)).filter((peer) => peer.publicKey === b.publicKey);
      expect(holders).toHaveLength(1);
    });

    it("moves a peer gateway's new key to its entry once: the old key freed, the new one held", async () => {
      // Prepare: a's entry for b holds b's key.
      const [a, b] = await pairOfGateways();
      const peering = await repo().createPeering(newPeering(a, b));
      const name = peeringPeerName(peering.id);
      const remote = { endpoint: `${b.publicIp}:${b.listenPort}`, publicKey: publicKeyOf(b.id, 'rekeyed') };

      // Act
      const rekeyed = await repo().updateRemotePeer(a.id, name, remote);
      const repeated = await repo().updateRemotePeer(a.id, name, remote);

      // Assess: one bump, by the first call; the new key is held by the entry, the old one free for
      // another peer.
      expect([rekeyed, repeated]).toEqual([
        { generation: 2, rewritten: true },
        { generation: 2, rewritten: false },
      ]);
      expect(await repo().getPeer(a.id, name)).toMatchObject(remote);
      expect(await repo().publicKeyHolders(remote.publicKey, [a.id, b.id])).toEqual({
        holders: new Map([[a.id, name]]),
        unindexed: new Set(),
      });
      await expect(holding(repo(), a.id, 'impostor', remote.publicKey)).rejects.toEqual(KEY_IN_USE);
      const oldKeyTaken = await holding(repo(), a.id, 'laptop', b.publicKey);
      expect(oldKeyTaken.publicKey).toBe(b.publicKey);
    });

    it("refuses a peer gateway's new key another entry holds, and writes nothing", async () => {
      // Prepare: a road-warrior of a holds the key b is given.
      const [a, b] = await pairOfGateways();
      const peering = await repo().createPeering(newPeering(a, b));
      const name = peeringPeerName(peering.id);
      const taken = publicKeyOf(a.id, 'laptop');
      await holding(repo(), a.id, 'laptop', taken);
      const before = await repo().getPeer(a.id, name);

      // Act
      const outcome = repo().updateRemotePeer(a.id, name, {
        endpoint: '198.51.100.9:51820',
        publicKey: taken,
      });

      // Assess
      await expect(outcome).rejects.toEqual(KEY_IN_USE);
      expect(await repo().getPeer(a.id, name)).toEqual(before);
      expect(await generationOf(a.id)).toBe(2);
      expect(await repo().publicKeyHolders(b.publicKey, [a.id])).toEqual({
        holders: new Map([[a.id, name]]),
        unindexed: new Set(),
      });
    });

    it('reads only the key items of a gateway registered, by either call, and registered again', async () => {
      // Prepare: gateways born with their items complete, one registered again.
      const [created, upserted] = [gatewayRecord(), gatewayRecord()];
      await repo().createGateway(created);
      await repo().upsertGateway(upserted);
      await repo().upsertGateway({ ...upserted, name: 'renamed' });
      const key = publicKeyOf(created.id, 'laptop');
      await holding(repo(), created.id, 'laptop', key);

      // Act
      const read = await repo().publicKeyHolders(key, [created.id, upserted.id]);

      // Assess: no gateway asks for its peers to be read.
      expect(read).toEqual({ holders: new Map([[created.id, 'laptop']]), unindexed: new Set() });
    });

    it("frees every key of a deleted gateway with its residue, for the id's next incarnation", async () => {
      // Prepare: a gateway whose road-warrior holds a key, deleted and cleaned up.
      const gateway = gatewayRecord();
      await repo().createGateway(gateway);
      const key = publicKeyOf(gateway.id, 'kept');
      await holding(repo(), gateway.id, 'laptop', key);
      await expect(holding(repo(), gateway.id, 'phone', key)).rejects.toEqual(KEY_IN_USE);
      await repo().deleteGateway(gateway.id);
      await repo().beginGatewayCascade(gateway.id, 1);
      await repo().purgeGatewayResidue(gateway.id);
      await repo().endGatewayCascade(gateway.id, 1);
      await repo().createGateway(gateway);

      // Act
      const again = await holding(repo(), gateway.id, 'phone', key);

      // Assess
      expect((await repo().listPeers(gateway.id)).map((peer) => peer.name)).toEqual([again.name]);
    });
  });
}
