/** The Repository contract (test/support/repository-contract.ts): gateway tombstones. */
import type { GatewayRecord } from '../../../lambdas/core/types';
import { gatewayRecord } from '../gateways';
import { AT, type ContractContext } from './context';

export function tombstonesContract({ repo, generationOf }: ContractContext): void {
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
        (await repo().findSweepWork({ stalledBefore: AT, cascadeBefore, walkBefore: AT })).pendingCascades
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

    it('keeps the instance a move was leaving when the gateway was deleted, for the cascade to free', async () => {
      // Prepare: a gateway moved to another instance, its move unfinished (the mark still on it).
      const gateway = gatewayRecord();
      await repo().createGateway(gateway);
      const move = { instanceId: gateway.instanceId, retiredThrough: 1 };
      await repo().upsertGateway({
        ...gateway,
        instanceId: `${gateway.instanceId}-new`,
        unfinishedMove: move,
      });
      await repo(() => new Date(AT)).deleteGateway(gateway.id);

      // Act
      const work = await repo().findSweepWork({
        stalledBefore: AT,
        cascadeBefore: '2026-11-25T00:00:01.000Z',
        walkBefore: AT,
      });

      // Assess
      expect(work.pendingCascades.find((pending) => pending.id === gateway.id)).toEqual({
        id: gateway.id,
        instanceId: `${gateway.instanceId}-new`,
        desiredGeneration: 0,
        privateKeyParam: gateway.privateKeyParam,
        unfinishedMove: move,
      });
    });
  });
}
