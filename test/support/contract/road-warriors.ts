/** The Repository contract (test/support/repository-contract.ts): road-warriors. */
import { ConflictError, GatewayGoneError } from '../../../lambdas/core/errors';
import { gatewayRecord } from '../gateways';
import { newPeering, roadWarrior, uniqueId } from '../records';
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
      const remote = { endpoint: '198.51.100.9:51820', publicKey: b.publicKey };

      // Act
      const moved = await repo().updateRemotePeer(a.id, name, remote);
      const repeated = await repo().updateRemotePeer(a.id, name, remote);
      const noPeer = await repo().updateRemotePeer(a.id, 'nobody', remote);
      const noGateway = await repo().updateRemotePeer(uniqueId('gw-gone'), name, remote);

      // Assess
      expect([moved, repeated, noPeer, noGateway]).toEqual([2, 2, undefined, undefined]);
      expect((await repo().getPeer(a.id, name))?.endpoint).toBe('198.51.100.9:51820');
    });
  });
}
