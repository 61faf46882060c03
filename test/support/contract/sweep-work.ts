/** The Repository contract (test/support/repository-contract.ts): sweep work. */
import { newPeering } from '../records';
import { AT, type ContractContext } from './context';

export function sweepWorkContract({ repo, pairOfGateways }: ContractContext): void {
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
}
