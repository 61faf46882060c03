/** The Repository contract (test/support/repository-contract.ts): a gateway's update lease. */
import { uniqueId } from '../records';
import type { ContractContext } from './context';

const NOW = Date.parse('2026-12-05T12:00:00.000Z');
const UNTIL = NOW + 75_000;

export function updateLeasesContract({ repo }: ContractContext): void {
  describe('update leases', () => {
    it('gives a free lease to one holder; another is refused while it lasts, its holder takes it again', async () => {
      // Prepare: no gateway registered (a first registration takes it too).
      const gatewayId = uniqueId('gw');

      // Act
      const taken = await repo().takeUpdateLease(gatewayId, 'update-1', UNTIL, NOW);
      const other = await repo().takeUpdateLease(gatewayId, 'update-2', UNTIL, UNTIL);
      const again = await repo().takeUpdateLease(gatewayId, 'update-1', UNTIL + 1_000, NOW + 1_000);
      const otherLater = await repo().takeUpdateLease(gatewayId, 'update-2', UNTIL + 2_000, UNTIL + 500);

      // Assess: the holder's second take moved the expiry, so the other is still refused.
      expect([taken, other, again, otherLater]).toEqual([true, false, true, false]);
    });

    it('frees the lease for its own holder only, and once it expired for anyone', async () => {
      // Prepare
      const freed = uniqueId('gw');
      const expired = uniqueId('gw');
      await repo().takeUpdateLease(freed, 'update-1', UNTIL, NOW);
      await repo().takeUpdateLease(expired, 'update-1', UNTIL, NOW);

      // Act
      await repo().releaseUpdateLease(freed, 'update-2');
      const whileHeld = await repo().takeUpdateLease(freed, 'update-2', UNTIL, NOW);
      await repo().releaseUpdateLease(freed, 'update-1');
      await repo().releaseUpdateLease(freed, 'update-1');
      const afterRelease = await repo().takeUpdateLease(freed, 'update-2', UNTIL, NOW);
      const afterExpiry = await repo().takeUpdateLease(expired, 'update-2', UNTIL + 75_001, UNTIL + 1);

      // Assess
      expect([whileHeld, afterRelease, afterExpiry]).toEqual([false, true, true]);
    });

    it("goes with the residue of a deleted gateway's partition", async () => {
      // Prepare
      const gatewayId = uniqueId('gw');
      await repo().takeUpdateLease(gatewayId, 'update-1', UNTIL, NOW);

      // Act
      await repo().purgeGatewayResidue(gatewayId);

      // Assess
      expect(await repo().takeUpdateLease(gatewayId, 'update-2', UNTIL, NOW)).toBe(true);
    });
  });
}
