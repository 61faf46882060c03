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
        (
          await repo().findSweepWork({ stalledBefore: before, cascadeBefore: AT, walkBefore: AT })
        ).stalledPeerings
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

    it('finds a FAILED peering until its release ends', async () => {
      // Prepare: two peerings FAILED at 2025-01-01; one released (its places freed), one not yet
      const longAgo = () => new Date('2025-01-01T00:00:00.000Z');
      const ids: string[] = [];
      for (let i = 0; i < 2; i++) {
        const [a, b] = await pairOfGateways();
        const peering = await repo().createPeering(newPeering(a, b));
        await repo(longAgo).setPeeringStatus(peering.id, 'FAILED', 'A gateway instance did not apply', [
          'PROVISIONING',
        ]);
        ids.push(peering.id);
      }
      const [releasedId, unreleasedId] = ids as [string, string];
      await repo().detachPeering(releasedId);
      await repo().releasePeering(releasedId, { deleteRecord: false });
      const swept = async () =>
        (await repo().findSweepWork({ stalledBefore: AT, cascadeBefore: AT, walkBefore: AT })).stalledPeerings
          .filter((peering) => ids.includes(peering.id))
          .map((peering) => peering.id);
      const beforeMark = await swept();

      // Act
      await repo().markPeeringReleased(releasedId);
      const afterMark = await swept();

      // Assess: the mark ends the work; the FAILED peering stays readable
      expect(beforeMark.sort()).toEqual([releasedId, unreleasedId].sort());
      expect(afterMark).toEqual([unreleasedId]);
      expect(await repo().getPeering(releasedId)).toMatchObject({ status: 'FAILED' });
    });

    it('finds the gateways whose peer walk is owed since before the bound, and none once settled', async () => {
      // Prepare: two gateways' walks owed, one since 09:00, one since 11:00; a third never owed.
      const [early, late] = await pairOfGateways();
      const [never] = await pairOfGateways();
      const marks = {
        [early.id]: '2026-12-05T09:00:00.000Z#0a1b2c3d',
        [late.id]: '2026-12-05T11:00:00.000Z#4e5f6a7b',
      };
      for (const gateway of [early, late]) {
        await repo().upsertGateway({ ...gateway, peerWalkOwedSince: marks[gateway.id] });
      }
      const ours = new Set([early.id, late.id, never.id]);
      const owedBefore = async (walkBefore: string) =>
        (await repo().findSweepWork({ stalledBefore: AT, cascadeBefore: AT, walkBefore })).owedWalks
          .filter((gateway) => ours.has(gateway.id))
          .map((gateway) => [gateway.id, gateway.peerWalkOwedSince])
          .sort();

      // Act
      const atTen = await owedBefore('2026-12-05T10:00:00.000Z');
      await repo().settlePeerWalk(early.id, String(marks[early.id]));
      const atNoonAfterSettle = await owedBefore('2026-12-05T12:00:00.000Z');

      // Assess
      expect(atTen).toEqual([[early.id, marks[early.id]]]);
      expect(atNoonAfterSettle).toEqual([[late.id, marks[late.id]]]);
    });

    it('finds a deferred walk only past its new time; a later mark is due at its own', async () => {
      // Prepare: a walk owed since 09:00, deferred until 20:00; another's deferral names an older mark.
      const [deferred, remarked] = await pairOfGateways();
      const first = '2026-12-05T09:00:00.000Z#0a1b2c3d';
      const later = '2026-12-05T10:00:00.000Z#4e5f6a7b';
      for (const gateway of [deferred, remarked])
        await repo().upsertGateway({ ...gateway, peerWalkOwedSince: first });
      const ours = new Set([deferred.id, remarked.id]);
      const owedBefore = async (walkBefore: string) =>
        (await repo().findSweepWork({ stalledBefore: AT, cascadeBefore: AT, walkBefore })).owedWalks
          .filter((gateway) => ours.has(gateway.id))
          .map((gateway) => gateway.id)
          .sort();

      // Act: the second gets a later mark before its deferral of the first is written.
      await repo().deferPeerWalk(deferred.id, first, '2026-12-05T20:00:00.000Z');
      await repo().deferPeerWalk(remarked.id, first, '2026-12-05T20:00:00.000Z');
      await repo().upsertGateway({ ...remarked, peerWalkOwedSince: later });
      await repo().deferPeerWalk(remarked.id, first, '2026-12-05T22:00:00.000Z');
      const atNoon = await owedBefore('2026-12-05T12:00:00.000Z');
      const atNinePm = await owedBefore('2026-12-05T21:00:00.000Z');

      // Assess: the deferred one is due after 20:00; the later mark at its own time, whatever was deferred.
      expect(atNoon).toEqual([remarked.id]);
      expect(atNinePm).toEqual([deferred.id, remarked.id].sort());
      expect((await repo().getGateway(deferred.id))?.peerWalkOwedSince).toBe(first);
    });

    it('records a re-drive over the one it read and in the status it read, leaving updatedAt', async () => {
      // Prepare
      const [a, b] = await pairOfGateways();
      const peering = await repo().createPeering(newPeering(a, b));
      const later = () => new Date('2030-01-01T00:00:00.000Z');
      const record = (status: 'PROVISIONING' | 'DELETING', previous: string | undefined, next: string) =>
        repo(later).recordRedrive(peering.id, { status, previous, next });

      // Act: two sweeps that both read none, one that read an outdated one, one in another status.
      const first = await record('PROVISIONING', undefined, 'run-1');
      const beside = await record('PROVISIONING', undefined, 'run-1b');
      const second = await record('PROVISIONING', 'run-1', 'run-2');
      const outdated = await record('PROVISIONING', 'run-1', 'run-2b');
      const otherStatus = await record('DELETING', 'run-2', 'run-3');
      const stored = await repo().getPeering(peering.id);

      // Assess
      expect([first, beside, second, outdated, otherStatus]).toEqual([true, false, true, false, false]);
      expect(stored).toMatchObject({ lastRedrive: 'run-2', updatedAt: peering.updatedAt });
      expect(
        await repo().recordRedrive('pcx-none', { status: 'PROVISIONING', previous: undefined, next: 'x' }),
      ).toBe(false);
    });
  });
}
