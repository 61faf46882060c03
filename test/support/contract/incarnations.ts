/** The Repository contract (test/support/repository-contract.ts): incarnations of a gateway id. */
import { ConflictError, GatewayGoneError } from '../../../lambdas/core/errors';
import type { GatewayRecord } from '../../../lambdas/core/types';
import { gatewayRecord } from '../gateways';
import { roadWarrior, uniqueId } from '../records';
import type { ContractContext } from './context';

export function incarnationsContract({ repo, generationOf }: ContractContext): void {
  describe('incarnations of a gateway id', () => {
    /** A gateway at generation `generation`, deleted: its cascade is pending. */
    async function deletedAt(generation: number, overrides: Partial<GatewayRecord> = {}) {
      const gateway = gatewayRecord(overrides);
      await repo().createGateway(gateway);
      for (let i = 0; i < generation; i++) await repo().bumpGeneration(gateway.id);
      await repo().deleteGateway(gateway.id);
      return gateway;
    }

    it('refuses to register an id while its cascade is pending, and registers it once the cascade ended', async () => {
      // Prepare
      const gateway = await deletedAt(3);

      // Act: a registration before the cascade, one while it runs (begun, also by a redelivery),
      // one after a repeated delete (a redelivered "Deleted" event), then one after it ended.
      const beforeCascade = repo().createGateway(gateway);
      await expect(beforeCascade).rejects.toEqual(new ConflictError('GATEWAY_BEING_DELETED'));
      const begun = [
        await repo().beginGatewayCascade(gateway.id, 3),
        await repo().beginGatewayCascade(gateway.id, 3),
      ];
      const duringCascade = repo().createGateway(gateway);
      await expect(duringCascade).rejects.toEqual(new ConflictError('GATEWAY_BEING_DELETED'));
      await repo().deleteGateway(gateway.id);
      const afterRepeatedDelete = repo().createGateway(gateway);
      await expect(afterRepeatedDelete).rejects.toEqual(new ConflictError('GATEWAY_BEING_DELETED'));
      const byEvent = repo().upsertGateway(gateway);
      await expect(byEvent).rejects.toBeInstanceOf(GatewayGoneError);
      const pendingBeforeEnd = await repo().isGatewayCascadePending(gateway.id);
      await repo().endGatewayCascade(gateway.id, 3);
      const pendingAfterEnd = await repo().isGatewayCascadePending(gateway.id);
      await repo().createGateway(gateway);

      // Assess
      expect([pendingBeforeEnd, pendingAfterEnd]).toEqual([true, false]);
      expect(begun).toEqual([true, true]);
      expect(await generationOf(gateway.id)).toBe(4);
    });

    it('begins a cascade only for the generation deleted, and never again once it ended or the id is back', async () => {
      // Prepare
      const gateway = await deletedAt(2);
      const neverRegistered = uniqueId('gw-never');
      await repo().deleteGateway(neverRegistered);

      // Act
      const otherGeneration = await repo().beginGatewayCascade(gateway.id, 1);
      await repo().endGatewayCascade(gateway.id, 1);
      const stillPending = repo().createGateway(gateway);
      await expect(stillPending).rejects.toEqual(new ConflictError('GATEWAY_BEING_DELETED'));
      const pending = await repo().beginGatewayCascade(gateway.id, 2);
      await repo().endGatewayCascade(gateway.id, 2);
      await repo().endGatewayCascade(gateway.id, 2);
      const afterEnd = await repo().beginGatewayCascade(gateway.id, 2);
      await repo().createGateway(gateway);
      const afterRegistration = await repo().beginGatewayCascade(gateway.id, 2);
      await repo().deleteGateway(gateway.id);
      const predecessorOfNext = await repo().beginGatewayCascade(gateway.id, 2);
      const next = await repo().beginGatewayCascade(gateway.id, 3);
      const unknownId = await repo().beginGatewayCascade(neverRegistered, 0);

      // Assess
      expect({
        otherGeneration,
        pending,
        afterEnd,
        afterRegistration,
        predecessorOfNext,
        next,
        unknownId,
      }).toEqual({
        otherGeneration: false,
        pending: true,
        afterEnd: false,
        afterRegistration: false,
        predecessorOfNext: false,
        next: true,
        unknownId: false,
      });
    });

    it('deletes only the incarnation the caller read, and says so otherwise, writing nothing', async () => {
      // Prepare: A read (to authorize a DELETE, or by a "Deleted" event), then deleted and its id
      // registered again for bob.
      const first = await deletedAt(1, { createdAt: '2026-11-01T00:00:00.000Z' });
      await repo().endGatewayCascade(first.id, 1);
      const second = { ...first, ownerId: 'bob', createdAt: '2026-11-02T00:00:00.000Z' };
      await repo().createGateway(second);

      // Act: the earlier incarnation named, then none (as read before the registration).
      const earlier = repo().deleteGateway(first.id, first.createdAt);
      await expect(earlier).rejects.toEqual(new GatewayGoneError(first.id));
      const none = repo().deleteGateway(first.id, null);
      await expect(none).rejects.toEqual(new GatewayGoneError(first.id));

      // Assess: bob's gateway stands, no cascade is pending, and naming it deletes it.
      expect(await repo().getGateway(second.id)).toEqual({
        ...second,
        desiredGeneration: 2,
        priorIncarnationEndedAt: expect.any(String),
      });
      expect(await repo().isGatewayCascadePending(second.id)).toBe(false);
      const removed = await repo().deleteGateway(second.id, second.createdAt);
      expect(removed?.ownerId).toBe('bob');
      expect(await repo().isGatewayCascadePending(second.id)).toBe(true);
    });

    it('writes the tombstone of an id read without a gateway, and refuses one deleted since it was read', async () => {
      // Prepare
      const neverRegistered = uniqueId('gw-never');
      const gateway = gatewayRecord();
      await repo().createGateway(gateway);
      await repo().deleteGateway(gateway.id, gateway.createdAt);

      // Act
      const absent = await repo().deleteGateway(neverRegistered, null);
      const deletedSince = repo().deleteGateway(gateway.id, gateway.createdAt);

      // Assess: the unknown id is refused to a late update; the deleted one stays pending.
      expect(absent).toBeUndefined();
      await expect(repo().upsertGateway(gatewayRecord({ id: neverRegistered }))).rejects.toBeInstanceOf(
        GatewayGoneError,
      );
      await expect(deletedSince).rejects.toBeInstanceOf(GatewayGoneError);
      expect(await repo().isGatewayCascadePending(gateway.id)).toBe(true);
    });

    it.each([
      // The product's clock 2 s ahead of the control plane's: the event's time is the later one.
      ['an event stamped after the deletion', '2026-12-05T12:00:02Z', '2026-12-05T12:00:02Z'],
      ['an event stamped before the deletion', '2026-12-05T12:00:00Z', '2026-12-05T12:00:00.500Z'],
      ['the API (no event)', undefined, '2026-12-05T12:00:00.500Z'],
    ])(
      'carries onto the next incarnation when the one deleted by %s ended: the later of its two times',
      async (_case, eventTime, ended) => {
        // Prepare: deleted at 12:00:00.500 on the store's clock, its cascade ended.
        const first = gatewayRecord();
        await repo().createGateway(first);
        await repo(() => new Date('2026-12-05T12:00:00.500Z')).deleteGateway(
          first.id,
          first.createdAt,
          eventTime,
        );
        await repo().endGatewayCascade(first.id, 0);

        // Act: registered again, then updated (an event) with the same fields.
        await repo().createGateway({ ...first, createdAt: '2026-12-05T12:05:00.000Z' });
        const registered = await repo().getGateway(first.id);
        const updated = await repo().upsertGateway({ ...first, name: 'renamed' });

        // Assess
        expect(registered?.priorIncarnationEndedAt).toBe(ended);
        expect(updated.priorIncarnationEndedAt).toBe(ended);
        expect((await repo().getGateway(first.id))?.priorIncarnationEndedAt).toBe(ended);
      },
    );

    it('keeps the later deleting event time when the id is deleted again, and gives a fresh id no end', async () => {
      // Prepare: deleted at 12:00:00.500 by an event stamped 12:00:03 (the product's clock ahead),
      // then the id, holding no gateway, deleted at 12:00:01 by an earlier-stamped event.
      const first = gatewayRecord();
      await repo().createGateway(first);
      await repo(() => new Date('2026-12-05T12:00:00.500Z')).deleteGateway(
        first.id,
        first.createdAt,
        '2026-12-05T12:00:03Z',
      );
      await repo(() => new Date('2026-12-05T12:00:01.000Z')).deleteGateway(
        first.id,
        null,
        '2026-12-05T12:00:02Z',
      );
      await repo().endGatewayCascade(first.id, 0);
      const fresh = gatewayRecord({ priorIncarnationEndedAt: '2026-12-05T12:00:00Z' });

      // Act
      await repo().createGateway(first);
      await repo().createGateway(fresh);

      // Assess: the end is the first event's time, and a fresh id's given end is not kept.
      expect((await repo().getGateway(first.id))?.priorIncarnationEndedAt).toBe('2026-12-05T12:00:03Z');
      expect((await repo().getGateway(fresh.id))?.priorIncarnationEndedAt).toBeUndefined();
    });

    it('never lands a road-warrior checked against a deleted incarnation on the id registered again', async () => {
      // Prepare: A (alice's) read to authorize the add, then deleted and its id registered for bob.
      const first = await deletedAt(0, { createdAt: '2026-11-01T00:00:00.000Z' });
      await repo().endGatewayCascade(first.id, 0);
      const second = { ...first, ownerId: 'bob', createdAt: '2026-11-02T00:00:00.000Z' };
      await repo().createGateway(second);

      // Act
      const stale = repo().addRoadWarrior({ ...roadWarrior(first.id, 'laptop'), gateway: first });
      await expect(stale).rejects.toBeInstanceOf(GatewayGoneError);
      const current = await repo().addRoadWarrior({ ...roadWarrior(second.id, 'phone'), gateway: second });

      // Assess: only the add checked against the current incarnation landed, counted once.
      expect((await repo().listPeers(second.id)).map((peer) => peer.name)).toEqual([current.name]);
      expect(await generationOf(second.id)).toBe(2);
    });
  });
}
