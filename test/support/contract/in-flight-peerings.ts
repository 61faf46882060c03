/** The Repository contract (test/support/repository-contract.ts): an owner's peerings in flight. */
import { compareText } from '../../../lambdas/core/order';
import { newPeering, uniqueId } from '../records';
import type { ContractContext } from './context';

export function inFlightPeeringsContract({ repo, pairOfGateways }: ContractContext): void {
  describe("an owner's peerings in flight", () => {
    it('are those PROVISIONING or DELETING, in id order, up to the number asked for', async () => {
      // Prepare: three peerings of one owner, one left PROVISIONING, one DELETING, one ACTIVE.
      const owner = uniqueId('owner');
      const [creating, deleting, settled] = await Promise.all(
        [0, 1, 2].map(async () => repo().createPeering(newPeering(...(await pairOfGateways(owner))))),
      );
      if (!creating || !deleting || !settled) throw new Error('three peerings expected');
      for (const peering of [deleting, settled]) {
        await repo().setPeeringStatus(peering.id, 'ACTIVE', null, ['PROVISIONING']);
      }
      await repo().setPeeringStatus(deleting.id, 'DELETING', null, ['ACTIVE']);

      // Act
      const all = await repo().inFlightPeeringIds(owner, 10);
      const first = await repo().inFlightPeeringIds(owner, 1);

      // Assess
      const expected = [creating.id, deleting.id].sort(compareText);
      expect(all).toEqual(expected);
      expect(first).toEqual(expected.slice(0, 1));
    });

    it('leave once they settle or are released', async () => {
      // Prepare
      const owner = uniqueId('owner');
      const created = await repo().createPeering(newPeering(...(await pairOfGateways(owner))));
      const deleted = await repo().createPeering(newPeering(...(await pairOfGateways(owner))));
      await repo().setPeeringStatus(deleted.id, 'DELETING', null, ['PROVISIONING']);
      const before = await repo().inFlightPeeringIds(owner, 10);

      // Act
      await repo().setPeeringStatus(created.id, 'FAILED', 'why', ['PROVISIONING']);
      await repo().releasePeering(deleted.id, { deleteRecord: true });

      // Assess
      expect(before).toEqual([created.id, deleted.id].sort(compareText));
      expect(await repo().inFlightPeeringIds(owner, 10)).toEqual([]);
    });

    it("never include another owner's", async () => {
      // Prepare
      const [mine, theirs] = [uniqueId('owner'), uniqueId('owner')];
      const own = await repo().createPeering(newPeering(...(await pairOfGateways(mine))));
      await repo().createPeering(newPeering(...(await pairOfGateways(theirs))));

      // Act
      const listed = await repo().inFlightPeeringIds(mine, 10);
      const nobody = await repo().inFlightPeeringIds(uniqueId('owner'), 10);

      // Assess
      expect(listed).toEqual([own.id]);
      expect(nobody).toEqual([]);
    });
  });
}
