/** The Repository contract (test/support/repository-contract.ts): road-warriors. */
import { ConflictError, GatewayGoneError } from '../../../lambdas/core/errors';
import { gatewayRecord } from '../gateways';
import { newPeering, publicKeyOf, roadWarrior, uniqueId } from '../records';
import type { ContractContext } from './context';

export function roadWarriorsContract({ repo, pairOfGateways, generationOf }: ContractContext): void {
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

    it('counts the tunnel addresses given out, as adds and removals move them', async () => {
      // Prepare
      const gateway = gatewayRecord();
      await repo().createGateway(gateway);
      const fresh = await repo().tunnelAddressesTaken(gateway.id);

      // Act
      await repo().addRoadWarrior(roadWarrior(gateway.id, 'a'));
      await repo().addRoadWarrior(roadWarrior(gateway.id, 'b'));
      const added = await repo().tunnelAddressesTaken(gateway.id);
      await repo().removeRoadWarrior(gateway.id, 'a');
      const removed = await repo().tunnelAddressesTaken(gateway.id);

      // Assess
      expect([fresh, added, removed]).toEqual([0, 2, 1]);
      expect(await repo().tunnelAddressesTaken(uniqueId('unknown'))).toBeUndefined();
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

    it('moves an endpoint once: a repeat returns the same generation, not rewritten, a missing peer or gateway undefined', async () => {
      // Prepare
      const [a, b] = await pairOfGateways();
      const peering = await repo().createPeering(newPeering(a, b));
      const name = `vpc-peering-${peering.id}`;
      const remote = { endpoint: '198.51.100.9:51820', publicKey: b.publicKey };

      // Act
      const moved = await repo().updateRemotePeer(a.id, name, remote);
      const repeated = await repo().updateRemotePeer(a.id, name, remote);
      const noPeer = await repo().updateRemotePeer(a.id, 'nobody', remote);
      const noGateway = await repo().updateRemotePeer(uniqueId('gw-gone'), name, remote);

      // Assess
      expect([moved, repeated, noPeer, noGateway]).toEqual([
        { generation: 2, rewritten: true },
        { generation: 2, rewritten: false },
        undefined,
        undefined,
      ]);
      expect((await repo().getPeer(a.id, name))?.endpoint).toBe('198.51.100.9:51820');
    });

    it('records a config download on the entry it was read for, the last one replacing the one before', async () => {
      // Prepare
      const gateway = gatewayRecord();
      await repo().createGateway(gateway);
      const laptop = await repo().addRoadWarrior(roadWarrior(gateway.id, 'laptop'));
      const CHANGED = '2026-12-05T10:00:00.000Z';

      // Act
      const first = await repo().recordConfigDownload(gateway.id, 'laptop', {
        publicKey: laptop.publicKey,
        tunnelIp: laptop.tunnelIp,
        downloadedAt: '2026-12-05T09:00:00.000Z',
        gatewayChangedAt: undefined,
      });
      const afterFirst = await repo().getPeer(gateway.id, 'laptop');
      const second = await repo().recordConfigDownload(gateway.id, 'laptop', {
        publicKey: laptop.publicKey,
        tunnelIp: laptop.tunnelIp,
        downloadedAt: '2026-12-05T11:00:00.000Z',
        gatewayChangedAt: CHANGED,
      });

      // Assess: the download is the entry's only change (no generation moves: nothing to push).
      expect([first, second]).toEqual([true, true]);
      expect(afterFirst).toEqual({ ...laptop, configDownloadedAt: '2026-12-05T09:00:00.000Z' });
      expect(await repo().getPeer(gateway.id, 'laptop')).toEqual({
        ...laptop,
        configDownloadedAt: '2026-12-05T11:00:00.000Z',
        downloadedConfigChangedAt: CHANGED,
      });
      expect(await repo().listPeers(gateway.id)).toEqual([await repo().getPeer(gateway.id, 'laptop')]);
      expect(await generationOf(gateway.id)).toBe(1);
    });

    it('records no download for an entry removed, added again with another key or address, or of a peering', async () => {
      // Prepare: a /29 holds the gateway and five clients. 'laptop' is removed, its address taken
      // by 'hold', another freed, and 'laptop' added again with its own key: it gets the other.
      const [a, b] = await pairOfGateways();
      const peering = await repo().createPeering(newPeering(a, b));
      const small = gatewayRecord({ tunnelSubnet: '100.64.7.0/29', tunnelIp: '100.64.7.1' });
      await repo().createGateway(small);
      const removed = await repo().addRoadWarrior(roadWarrior(a.id, 'old'));
      await repo().removeRoadWarrior(a.id, 'old');
      const read = await repo().addRoadWarrior(roadWarrior(a.id, 'laptop'));
      await repo().removeRoadWarrior(a.id, 'laptop');
      const again = await repo().addRoadWarrior({
        ...roadWarrior(a.id, 'laptop'),
        publicKey: publicKeyOf(a.id, 'laptop', 'again'),
      });
      const readSameKey = await repo().addRoadWarrior(roadWarrior(small.id, 'laptop'));
      for (const filler of ['f1', 'f2', 'f3', 'f4'])
        await repo().addRoadWarrior(roadWarrior(small.id, filler));
      await repo().removeRoadWarrior(small.id, 'laptop');
      await repo().addRoadWarrior(roadWarrior(small.id, 'hold'));
      await repo().removeRoadWarrior(small.id, 'f1');
      const sameKeyAgain = await repo().addRoadWarrior(roadWarrior(small.id, 'laptop'));
      const entry = `vpc-peering-${peering.id}`;
      const download = ({ publicKey, tunnelIp }: { publicKey: string; tunnelIp: string }) => ({
        publicKey,
        tunnelIp,
        downloadedAt: '2026-12-05T09:00:00.000Z',
        gatewayChangedAt: undefined,
      });

      // Act
      const gone = await repo().recordConfigDownload(a.id, 'old', download(removed));
      const replaced = await repo().recordConfigDownload(a.id, 'laptop', download(read));
      const readdressed = await repo().recordConfigDownload(small.id, 'laptop', download(readSameKey));
      const ofPeering = await repo().recordConfigDownload(
        a.id,
        entry,
        download({ ...b, tunnelIp: a.tunnelIp }),
      );

      // Assess
      expect(sameKeyAgain.publicKey).toBe(readSameKey.publicKey);
      expect(sameKeyAgain.tunnelIp).not.toBe(readSameKey.tunnelIp);
      expect([gone, replaced, readdressed, ofPeering]).toEqual([false, false, false, false]);
      expect(await repo().getPeer(a.id, 'old')).toBeUndefined();
      expect(await repo().getPeer(a.id, 'laptop')).toEqual(again);
      expect(await repo().getPeer(small.id, 'laptop')).toEqual(sameKeyAgain);
      expect(await repo().getPeer(a.id, entry)).not.toHaveProperty('configDownloadedAt');
    });
  });
}
