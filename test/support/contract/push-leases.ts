/** The Repository contract (test/support/repository-contract.ts): a gateway's push lease. */
import type { PushLease } from '../../../lambdas/app/ports';
import { gatewayRecord } from '../gateways';
import { uniqueId } from '../records';
import { AT, type ContractContext } from './context';

const LATER = '2026-11-25T00:02:00.000Z';
const MUCH_LATER = '2026-11-25T00:05:00.000Z';

/** A lease of `gatewayId` for `leaseHolder` (`<execution>/<loop>`), expiring at LATER. */
const lease = (gatewayId: string, leaseHolder: string, overrides: Partial<PushLease> = {}): PushLease => ({
  gatewayId,
  execution: leaseHolder.split('/')[0] ?? leaseHolder,
  leaseHolder,
  gatewayCreatedAt: '2026-11-24T00:00:00.000Z',
  instanceId: 'i-0lease0contract0',
  expiresAt: LATER,
  ...overrides,
});

const sentUnder = (taken: PushLease, commandId: string, generation: number) => ({
  ...taken,
  commandId,
  generation,
  deliveredAt: AT,
});

export function pushLeasesContract({ repo }: ContractContext): void {
  describe('push leases', () => {
    it('gives a free lease to one holder; another waits, the same holder finds it with its command', async () => {
      // Prepare
      const gatewayId = uniqueId('gw');
      const first = lease(gatewayId, 'exec-1/PushConfigAPush');

      // Act
      const taken = await repo().takePushLease(first, AT);
      const other = await repo().takePushLease(lease(gatewayId, 'exec-2/PushConfigAPush'), AT);
      await repo().recordPushLeaseCommand(sentUnder(first, 'cmd-1', 7));
      const again = await repo().takePushLease(first, AT);
      const read = await repo().getPushLease(gatewayId);

      // Assess
      expect(taken).toEqual(first);
      expect(read).toEqual(sentUnder(first, 'cmd-1', 7));
      expect(other).toBeUndefined();
      expect(again).toEqual(sentUnder(first, 'cmd-1', 7));
    });

    it('frees the lease for its own holder only, and once it expired for anyone', async () => {
      // Prepare
      const gatewayId = uniqueId('gw');
      await repo().takePushLease(lease(gatewayId, 'exec-1/Push'), AT);

      // Act
      await repo().releasePushLease(gatewayId, 'exec-2/Push');
      const whileHeld = await repo().takePushLease(lease(gatewayId, 'exec-3/Push'), AT);
      const afterExpiry = await repo().takePushLease(
        lease(gatewayId, 'exec-3/Push', { expiresAt: MUCH_LATER }),
        LATER,
      );
      await repo().releasePushLease(gatewayId, 'exec-3/Push');
      const afterRelease = await repo().takePushLease(lease(gatewayId, 'exec-4/Push'), AT);

      // Assess
      expect(whileHeld).toBeUndefined();
      expect(afterExpiry?.leaseHolder).toBe('exec-3/Push');
      expect(afterRelease?.leaseHolder).toBe('exec-4/Push');
    });

    it("takes a lease held for another instance or incarnation, and records no command under a lease that is not one's own", async () => {
      // Prepare
      const gatewayId = uniqueId('gw');
      const old = lease(gatewayId, 'exec-1/Push');
      await repo().takePushLease(old, AT);

      // Act
      const onMoved = lease(gatewayId, 'exec-2/Push', { instanceId: 'i-0moved0' });
      const moved = await repo().takePushLease(onMoved, AT);
      await repo().recordPushLeaseCommand(sentUnder(old, 'cmd-old', 3));
      const movedAgain = await repo().takePushLease(onMoved, AT);
      const reRegistered = lease(gatewayId, 'exec-3/Push', {
        instanceId: 'i-0moved0',
        gatewayCreatedAt: '2026-11-24T12:00:00.000Z',
      });
      const registeredAgain = await repo().takePushLease(reRegistered, AT);

      // Assess
      expect(moved).toEqual(onMoved);
      expect(movedAgain).toEqual(onMoved);
      expect(registeredAgain).toEqual(reRegistered);
    });

    it("gives a lease to another push loop of its holder's execution, and frees it for the new loop only", async () => {
      // Prepare: the push loop's lease, left behind (its Parallel branch was stopped).
      const gatewayId = uniqueId('gw');
      await repo().takePushLease(lease(gatewayId, 'exec-1/PushConfigAPush'), AT);

      // Act
      const unpush = await repo().takePushLease(lease(gatewayId, 'exec-1/UnpushConfigAPush'), AT);
      await repo().releasePushLease(gatewayId, 'exec-1/PushConfigAPush');
      const other = await repo().takePushLease(lease(gatewayId, 'exec-2/PushConfigAPush'), AT);

      // Assess
      expect(unpush?.leaseHolder).toBe('exec-1/UnpushConfigAPush');
      expect(other).toBeUndefined();
    });

    it("is purged with the gateway's residue", async () => {
      // Prepare
      const gateway = gatewayRecord();
      await repo().createGateway(gateway);
      await repo().takePushLease(lease(gateway.id, 'exec-1/Push'), AT);
      await repo().deleteGateway(gateway.id);

      // Act
      await repo().purgeGatewayResidue(gateway.id);

      // Assess: the lease is gone, so anyone takes it.
      expect((await repo().takePushLease(lease(gateway.id, 'exec-2/Push'), AT))?.leaseHolder).toBe(
        'exec-2/Push',
      );
    });
  });
}
