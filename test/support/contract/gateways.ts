/** The Repository contract (test/support/repository-contract.ts): gateways. */
import { ConflictError, GatewayGoneError } from '../../../lambdas/core/errors';
import { walkPages } from '../../../lambdas/core/pagination';
import { MAX_INDEX_READS } from '../../../lambdas/shared/sealed-tokens';
import { gatewayRecord } from '../gateways';
import { everyGateway } from '../pages';
import { roadWarrior, uniqueId } from '../records';
import { AT, type ContractContext, statusReport } from './context';

export function gatewaysContract({ repo }: ContractContext): void {
  describe('gateways', () => {
    it('stores a gateway, refuses its id twice, and hands the record back as stored', async () => {
      // Prepare
      const gateway = gatewayRecord({ privateKeyParam: '/vpc-peering/gateways/x/private-key' });

      // Act
      await repo().createGateway(gateway);
      const again = repo().createGateway({ ...gateway, name: 'other' });

      // Assess
      await expect(again).rejects.toEqual(new ConflictError('GATEWAY_EXISTS'));
      expect(await repo().getGateway(gateway.id)).toEqual(gateway);
    });

    it('upserts registry fields and keeps the generation; registers a gateway it never saw', async () => {
      // Prepare
      const gateway = gatewayRecord();
      await repo().createGateway(gateway);
      await repo().addRoadWarrior(roadWarrior(gateway.id, 'rw'));
      const unknown = gatewayRecord();

      // Act
      const updated = await repo().upsertGateway({
        ...gateway,
        publicIp: '198.51.100.7',
        desiredGeneration: 0,
      });
      const inserted = await repo().upsertGateway(unknown);

      // Assess
      expect(updated).toEqual({ ...gateway, publicIp: '198.51.100.7', desiredGeneration: 1 });
      expect(inserted).toEqual(unknown);
      expect(await repo().getGateway(unknown.id)).toEqual(unknown);
    });

    it.each(['clientConfigChangedAt', 'updateEventTime'] as const)(
      "keeps a gateway's %s: replaced when an upsert gives one, kept when it gives none",
      async (field) => {
        // Prepare
        const gateway = gatewayRecord();
        await repo().createGateway(gateway);
        const changed = { ...gateway, publicIp: '198.51.100.8', [field]: '2026-12-05T10:00:00.000Z' };

        // Act
        await repo().upsertGateway(changed);
        const stored = await repo().getGateway(gateway.id);
        const renamed = await repo().upsertGateway({ ...gateway, publicIp: '198.51.100.8', name: 'renamed' });

        // Assess
        expect(stored).toEqual(changed);
        expect(renamed).toEqual({ ...changed, name: 'renamed' });
        expect(await repo().getGateway(gateway.id)).toEqual({ ...changed, name: 'renamed' });
      },
    );

    it("keeps a gateway's replacedInUpdateSecond and unfinishedMove across upserts that give none", async () => {
      // Prepare: a move in the second of its event (it replaced the instance), then a rename.
      const gateway = gatewayRecord();
      await repo().createGateway(gateway);
      const moved = {
        ...gateway,
        instanceId: 'i-0moved',
        replacedInUpdateSecond: { instanceIds: [gateway.instanceId], publicKeys: [] },
        unfinishedMove: { instanceId: gateway.instanceId, retiredThrough: 4 },
      };

      // Act
      const stored = await repo().upsertGateway(moved);
      const renamed = await repo().upsertGateway({ ...gateway, instanceId: 'i-0moved', name: 'renamed' });
      const nextSecond = { instanceIds: [], publicKeys: [] };
      await repo().upsertGateway({ ...moved, name: 'renamed', replacedInUpdateSecond: nextSecond });

      // Assess: an upsert that gives one replaces it.
      expect(stored).toEqual(moved);
      expect(renamed).toEqual({ ...moved, name: 'renamed' });
      expect((await repo().getGateway(gateway.id))?.replacedInUpdateSecond).toEqual(nextSecond);
    });

    it("settles a gateway's unfinishedMove only when it is still the same move", async () => {
      // Prepare
      const gateway = gatewayRecord();
      await repo().createGateway(gateway);
      const move = { instanceId: 'i-0left', retiredThrough: 6 };
      await repo().upsertGateway({ ...gateway, unfinishedMove: move });

      // Act: another instance, another generation, an unknown id, then the move itself.
      await repo().settleMove(gateway.id, { ...move, instanceId: 'i-0other' });
      await repo().settleMove(gateway.id, { ...move, retiredThrough: 5 });
      await repo().settleMove('gw-never-registered', move);
      const afterOthers = await repo().getGateway(gateway.id);
      await repo().settleMove(gateway.id, move);

      // Assess: nothing created for an unknown id.
      expect(afterOthers?.unfinishedMove).toEqual(move);
      expect(await repo().getGateway(gateway.id)).toEqual(gateway);
      expect(await repo().getGateway('gw-never-registered')).toBeUndefined();
    });

    it("keeps a gateway's peerWalkOwedSince across upserts that give none; settles only the same one", async () => {
      // Prepare: an update's walk owed since T1, then a rename (no walk of its own).
      const gateway = gatewayRecord();
      await repo().createGateway(gateway);
      const owed = { ...gateway, publicIp: '198.51.100.9', peerWalkOwedSince: '2026-12-05T10:00:00.000Z' };
      await repo().upsertGateway(owed);
      await repo().upsertGateway({ ...gateway, publicIp: '198.51.100.9', name: 'renamed' });

      // Act: an older walk settles, then the one owed.
      await repo().settlePeerWalk(gateway.id, '2026-12-05T09:00:00.000Z');
      const afterOlder = await repo().getGateway(gateway.id);
      await repo().settlePeerWalk(gateway.id, owed.peerWalkOwedSince);
      await repo().settlePeerWalk('gw-never-registered', owed.peerWalkOwedSince);

      // Assess: nothing created for an unknown id.
      expect(afterOlder).toEqual({ ...owed, name: 'renamed' });
      expect(await repo().getGateway(gateway.id)).toEqual({
        ...gateway,
        publicIp: '198.51.100.9',
        name: 'renamed',
      });
      expect(await repo().getGateway('gw-never-registered')).toBeUndefined();
    });

    it('lists gateways per owner by id, and every gateway for admins', async () => {
      // Prepare
      const owner = uniqueId('owner');
      const [b, a] = [
        gatewayRecord({ ownerId: owner, id: `${owner}-b` }),
        gatewayRecord({ ownerId: owner, id: `${owner}-a` }),
      ];
      await repo().createGateway(b);
      await repo().createGateway(a);

      // Act
      const listed = await everyGateway(repo(), { ownerId: owner });
      const all = await everyGateway(repo());

      // Assess
      expect(listed.map((gateway) => gateway.id)).toEqual([a.id, b.id]);
      expect(all.map((gateway) => gateway.id)).toEqual(expect.arrayContaining([a.id, b.id]));
    });

    it('pages gateways in id order, each exactly once, filtered by status, the last page without a token', async () => {
      // Prepare: five gateways of one owner, one of them PENDING.
      const owner = uniqueId('owner');
      const ids = ['e', 'c', 'a', 'd', 'b'].map((suffix) => `${owner}-${suffix}`);
      for (const id of ids) {
        await repo().createGateway(
          gatewayRecord({ ownerId: owner, id, status: id.endsWith('-c') ? 'PENDING' : 'ACTIVE' }),
        );
      }
      const binding = 'contract-gateways';
      const pages: number[] = [];

      // Act
      const walked = await walkPages(async (nextToken) => {
        const page = await repo().pageGateways({ ownerId: owner }, { limit: 2, nextToken, binding });
        pages.push(page.items.length);
        return page;
      });
      const active = await walkPages((nextToken) =>
        repo().pageGateways({ ownerId: owner, status: 'ACTIVE' }, { limit: 2, nextToken, binding: 'active' }),
      );

      // Assess
      expect(walked.map((gateway) => gateway.id)).toEqual([...ids].sort());
      expect(pages).toEqual([2, 2, 1]);
      expect(active.map((gateway) => gateway.id)).toEqual([...ids].sort().filter((id) => !id.endsWith('-c')));
    });

    it('answers a filtered page short, even empty, with a token once its reads are spent; the walk finds each match once', async () => {
      // Prepare: ACTIVE a, more PENDING ones than two pages' MAX_INDEX_READS reads can pass, ACTIVE z.
      const owner = uniqueId('owner');
      const limit = 2;
      const pending = Array.from(
        { length: 2 * limit * MAX_INDEX_READS },
        (_, n) => `p${String(n).padStart(2, '0')}`,
      );
      for (const suffix of ['a', ...pending, 'z']) {
        const status = suffix.length === 1 ? 'ACTIVE' : 'PENDING';
        await repo().createGateway(gatewayRecord({ ownerId: owner, id: `${owner}-${suffix}`, status }));
      }
      const pages: { ids: string[]; token: boolean }[] = [];

      // Act
      const walked = await walkPages(async (nextToken) => {
        const page = await repo().pageGateways(
          { ownerId: owner, status: 'ACTIVE' },
          { limit, nextToken, binding: 'contract-short-pages' },
        );
        pages.push({ ids: page.items.map((gateway) => gateway.id), token: page.nextToken !== undefined });
        return page;
      });

      // Assess: a short page (a alone) and an empty one go on; no page over the limit.
      expect(walked.map((gateway) => gateway.id)).toEqual([`${owner}-a`, `${owner}-z`]);
      expect(pages[0]).toEqual({ ids: [`${owner}-a`], token: true });
      expect(pages).toContainEqual({ ids: [], token: true });
      expect(pages.every((page) => page.ids.length <= limit)).toBe(true);
    });

    it('returns an item present for the whole walk once, whatever is added or removed meanwhile', async () => {
      // Prepare
      const owner = uniqueId('owner');
      for (const suffix of ['b', 'd', 'f']) {
        await repo().createGateway(gatewayRecord({ ownerId: owner, id: `${owner}-${suffix}` }));
      }
      const binding = 'contract-changes';
      const first = await repo().pageGateways({ ownerId: owner }, { limit: 1, binding });

      // Act: one added before the position, one after it, one removed after it.
      await repo().createGateway(gatewayRecord({ ownerId: owner, id: `${owner}-a` }));
      await repo().createGateway(gatewayRecord({ ownerId: owner, id: `${owner}-e` }));
      await repo().deleteGateway(`${owner}-d`);
      const rest = await walkPages((nextToken) =>
        repo().pageGateways(
          { ownerId: owner },
          { limit: 1, nextToken: nextToken ?? first.nextToken, binding },
        ),
      );

      // Assess
      expect(first.items.map((gateway) => gateway.id)).toEqual([`${owner}-b`]);
      expect(rest.map((gateway) => gateway.id)).toEqual([`${owner}-e`, `${owner}-f`]);
    });

    it('refuses a page token issued for another caller or query, and one that is not a token', async () => {
      // Prepare
      const owner = uniqueId('owner');
      for (const suffix of ['a', 'b']) {
        await repo().createGateway(gatewayRecord({ ownerId: owner, id: `${owner}-${suffix}` }));
      }
      const first = await repo().pageGateways({ ownerId: owner }, { limit: 1, binding: 'alice' });

      // Act (settled together: no rejection is left unhandled while another call awaits I/O)
      const [stolen, forged, own] = await Promise.allSettled([
        repo().pageGateways({ ownerId: owner }, { limit: 1, nextToken: first.nextToken, binding: 'mallory' }),
        repo().pageGateways({ ownerId: owner }, { limit: 1, nextToken: 'AAAA', binding: 'alice' }),
        repo().pageGateways({ ownerId: owner }, { limit: 1, nextToken: first.nextToken, binding: 'alice' }),
      ]);

      // Assess
      expect(first.nextToken).toEqual(expect.any(String));
      expect(stolen).toMatchObject({
        status: 'rejected',
        reason: { name: 'ValidationError', field: 'nextToken' },
      });
      expect(forged).toMatchObject({
        status: 'rejected',
        reason: { name: 'ValidationError', field: 'nextToken' },
      });
      if (own.status !== 'fulfilled') throw own.reason;
      expect(own.value.items.map((gateway) => gateway.id)).toEqual([`${owner}-b`]);
      expect(own.value.nextToken).toBeUndefined();
    });

    it('deletes a gateway once, and refuses to bring it back by upsert until it is registered again', async () => {
      // Prepare
      const gateway = gatewayRecord();
      await repo().createGateway(gateway);

      // Act
      const deleted = await repo().deleteGateway(gateway.id);
      const deletedAgain = await repo().deleteGateway(gateway.id);
      const lateUpsert = repo().upsertGateway({ ...gateway, name: 'late' });

      // Assess
      expect(deleted).toEqual(gateway);
      expect(deletedAgain).toBeUndefined();
      await expect(lateUpsert).rejects.toBeInstanceOf(GatewayGoneError);
      expect(await repo().getGateway(gateway.id)).toBeUndefined();
      // Registered again once the deletion's cascade ended ("incarnations" below).
      await repo().endGatewayCascade(gateway.id, gateway.desiredGeneration);
      await repo().createGateway(gateway);
      expect(await repo().upsertGateway({ ...gateway, name: 'renamed' })).toMatchObject({ name: 'renamed' });
    });

    it('bumps the generation and returns it; undefined when the gateway is gone', async () => {
      // Prepare
      const gateway = gatewayRecord();
      await repo().createGateway(gateway);

      // Act
      const bumped = await repo().bumpGeneration(gateway.id);
      const gone = await repo().bumpGeneration(uniqueId('gw-gone'));

      // Assess
      expect(bumped).toBe(1);
      expect(await repo().getGateway(gateway.id)).toEqual({ ...gateway, desiredGeneration: 1 });
      expect(gone).toBeUndefined();
    });

    it('raises the generation only over the gateway as read, and only upwards', async () => {
      // Prepare: read at generation 1; a change bumps it to 2 after a second read.
      const gateway = gatewayRecord();
      await repo().createGateway(gateway);
      await repo().bumpGeneration(gateway.id);
      const read = { ...gateway, desiredGeneration: 1 };

      // Act
      const raised = await repo().raiseGeneration(read, 4);
      const overStale = await repo().raiseGeneration(read, 9);
      const downwards = await repo().raiseGeneration({ ...gateway, desiredGeneration: 4 }, 3);
      const otherInstance = await repo().raiseGeneration(
        { ...gateway, instanceId: 'i-other', desiredGeneration: 4 },
        6,
      );
      const gone = await repo().raiseGeneration({ ...gatewayRecord(), desiredGeneration: 0 }, 2);

      // Assess: the generations below the raised one are marked healed over (app/push.ts plausiblyApplied).
      expect([raised, overStale, downwards, otherInstance, gone]).toEqual([true, false, false, false, false]);
      expect(await repo().getGateway(gateway.id)).toEqual({
        ...gateway,
        desiredGeneration: 4,
        healedThrough: 3,
      });
    });

    it('keeps the mark of a heal through a registry update, whatever the update carries', async () => {
      // Prepare: a gateway healed through 3 (desired 4).
      const gateway = gatewayRecord();
      await repo().createGateway(gateway);
      await repo().raiseGeneration(gateway, 4);

      // Act: an update that would put the mark back, as one built on an older read would.
      await repo().upsertGateway({ ...gateway, name: 'renamed', healedThrough: 1 });

      // Assess
      expect(await repo().getGateway(gateway.id)).toEqual({
        ...gateway,
        name: 'renamed',
        desiredGeneration: 4,
        healedThrough: 3,
      });
    });

    it("marks a gateway's road-warrior configs changed, anew each time; creates no gone gateway", async () => {
      // Prepare: a gateway with a mark of its own (an earlier key or endpoint change), one deleted.
      const gateway = gatewayRecord({ clientConfigChangedAt: '2026-12-05T10:00:00.000Z' });
      await repo().createGateway(gateway);
      const deleted = gatewayRecord();
      await repo().createGateway(deleted);
      await repo().deleteGateway(deleted.id);
      const at = () => new Date('2026-12-05T11:00:00.000Z');

      // Act: twice in one millisecond, then an upsert that gives no mark (a rename).
      await repo(at).markClientConfigChanged(gateway.id);
      const first = (await repo().getGateway(gateway.id))?.clientConfigChangedAt;
      await repo(at).markClientConfigChanged(gateway.id);
      const second = (await repo().getGateway(gateway.id))?.clientConfigChangedAt;
      const { clientConfigChangedAt: _mark, ...unmarked } = gateway;
      const renamed = await repo().upsertGateway({ ...unmarked, name: 'renamed' });
      await repo().markClientConfigChanged(deleted.id);
      await repo().markClientConfigChanged(uniqueId('gw-never'));

      // Assess
      expect(first).toMatch(/^2026-12-05T11:00:00\.000Z/);
      expect(second).toMatch(/^2026-12-05T11:00:00\.000Z/);
      expect(new Set([gateway.clientConfigChangedAt, first, second]).size).toBe(3);
      expect(renamed).toEqual({ ...gateway, name: 'renamed', clientConfigChangedAt: second });
      expect(await repo().getGateway(gateway.id)).toEqual(renamed);
      expect(await repo().getGateway(deleted.id)).toBeUndefined();
    });

    it('purges what a deleted gateway leaves behind', async () => {
      // Prepare
      const gateway = gatewayRecord();
      await repo().createGateway(gateway);
      await repo().addRoadWarrior(roadWarrior(gateway.id, 'rw-1'));
      await repo().recordApplied({ gatewayId: gateway.id, appliedGeneration: 1, appliedAt: AT });
      await repo().putStatusReport(statusReport(gateway.id, 1, AT));
      const sent = {
        gatewayId: gateway.id,
        instanceId: gateway.instanceId,
        commandId: 'cmd-1',
        generation: 1,
      };
      await repo().recordPushSent({ ...sent, sentAt: AT });
      await repo().deleteGateway(gateway.id);

      // Act
      await repo().purgeGatewayResidue(gateway.id);
      await repo().purgeGatewayResidue(gateway.id);

      // Assess
      expect(await repo().listPeers(gateway.id)).toEqual([]);
      expect(await repo().getAppliedGeneration(gateway.id)).toBeUndefined();
      expect(await repo().getStatusReport(gateway.id)).toBeUndefined();
      expect(await repo().getPushSent(gateway.id)).toBeUndefined();
    });
  });
}
