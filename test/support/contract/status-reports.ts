/** The Repository contract (test/support/repository-contract.ts): applied generations and status reports. */
import { uniqueId } from '../records';
import { AT, type ContractContext, statusReport } from './context';

export function statusReportsContract({ repo }: ContractContext): void {
  describe('applied generations and status reports', () => {
    it('keeps the highest applied generation, with when it was first reported', async () => {
      // Prepare
      const gatewayId = uniqueId('gw');

      // Act
      await repo().recordApplied({ gatewayId, appliedGeneration: 5, appliedAt: AT });
      await repo().recordApplied({ gatewayId, appliedGeneration: 4, appliedAt: AT });
      await repo().recordApplied({ gatewayId, appliedGeneration: 5, appliedAt: '2026-11-25T00:05:00.000Z' });

      // Assess
      expect(await repo().getAppliedGeneration(gatewayId)).toEqual({
        gatewayId,
        appliedGeneration: 5,
        appliedAt: AT,
      });
    });

    it('keeps the instance and the incarnation a push applied it on', async () => {
      // Prepare
      const gatewayId = uniqueId('gw');
      const appliedBy = {
        instanceId: 'i-0123456789abcdef0',
        gatewayCreatedAt: '2026-11-24T00:00:00.000Z',
        deliveredAt: '2026-11-24T00:10:00.000Z',
      };

      // Act
      await repo().recordApplied({ gatewayId, appliedGeneration: 3, appliedAt: AT, ...appliedBy });

      // Assess
      expect(await repo().getAppliedGeneration(gatewayId)).toEqual({
        gatewayId,
        appliedGeneration: 3,
        appliedAt: AT,
        ...appliedBy,
      });
    });

    it('never replaces a live report by an older one: older generation, or same generation and earlier', async () => {
      // Prepare
      const gatewayId = uniqueId('gw');
      await repo().putStatusReport(statusReport(gatewayId, 3, '2026-11-25T00:00:05.000Z', 30));

      // Act
      await repo().putStatusReport(statusReport(gatewayId, 2, '2026-11-25T00:00:09.000Z', 20));
      await repo().putStatusReport(statusReport(gatewayId, 3, '2026-11-25T00:00:04.000Z', 29));
      const afterOlder = await repo().getStatusReport(gatewayId);
      await repo().putStatusReport(statusReport(gatewayId, 3, '2026-11-25T00:00:06.000Z', 31));

      // Assess
      expect(afterOlder?.peers[0]?.latestHandshake).toBe(30);
      expect(await repo().getStatusReport(gatewayId)).toEqual(
        statusReport(gatewayId, 3, '2026-11-25T00:00:06.000Z', 31),
      );
    });

    it('takes a periodic report made later, whatever its generation: an instance that went back to an older one says so', async () => {
      // Prepare: a push's full report at generation 3.
      const gatewayId = uniqueId('gw');
      await repo().putStatusReport(statusReport(gatewayId, 3, '2026-11-25T00:00:05.000Z', 30));
      const wentBack = {
        ...statusReport(gatewayId, 2, '2026-11-25T00:05:05.000Z', 20),
        pendingGeneration: 3,
        instanceNow: Date.parse('2026-11-25T00:05:05.000Z') / 1000,
      };

      // Act
      const taken = await repo().putPeriodicReport(wentBack);
      const again = await repo().putPeriodicReport(wentBack);

      // Assess
      expect([taken, again]).toEqual([true, true]);
      expect(await repo().getStatusReport(gatewayId)).toEqual(wentBack);
    });

    it('never replaces a live report by a periodic report made before it, whatever its generation, and says so', async () => {
      // Prepare
      const gatewayId = uniqueId('gw');
      const stored = statusReport(gatewayId, 2, '2026-11-25T00:05:05.000Z', 20);
      await repo().putPeriodicReport(stored);

      // Act: a report of a higher generation, and one of the same, both made earlier (they waited
      // longer in the queue).
      const higher = await repo().putPeriodicReport(
        statusReport(gatewayId, 3, '2026-11-25T00:05:04.000Z', 30),
      );
      const same = await repo().putPeriodicReport(statusReport(gatewayId, 2, '2026-11-25T00:00:05.000Z', 19));

      // Assess
      expect([higher, same]).toEqual([false, false]);
      expect(await repo().getStatusReport(gatewayId)).toEqual(stored);
    });

    it('keeps the push sent at the highest generation: the same or a lower one never replaces it', async () => {
      // Prepare
      const gatewayId = uniqueId('gw');
      const push = (commandId: string, generation: number) => ({
        gatewayId,
        instanceId: 'i-0push0contract0',
        commandId,
        generation,
        sentAt: AT,
      });

      // Act
      const before = await repo().getPushSent(gatewayId);
      await repo().recordPushSent(push('cmd-7', 7));
      await repo().recordPushSent(push('cmd-6', 6));
      await repo().recordPushSent(push('cmd-7-again', 7));

      // Assess
      expect(before).toBeUndefined();
      expect(await repo().getPushSent(gatewayId)).toEqual(push('cmd-7', 7));
      await repo().recordPushSent(push('cmd-8', 8));
      expect((await repo().getPushSent(gatewayId))?.commandId).toBe('cmd-8');
    });

    it('forgets what the old instance applied and reported for a gateway moved to another instance, and keeps its push sent', async () => {
      // Prepare: the old instance applied and reported generation 9.
      const gatewayId = uniqueId('gw');
      await repo().recordApplied({ gatewayId, appliedGeneration: 9, appliedAt: AT });
      await repo().putStatusReport(statusReport(gatewayId, 9, '2026-11-25T00:00:05.000Z', 30));
      const sent = {
        gatewayId,
        instanceId: 'i-0old0instance0',
        commandId: 'cmd-9',
        generation: 9,
        sentAt: AT,
      };
      await repo().recordPushSent(sent);

      // Act
      await repo().forgetInstanceReports(gatewayId);
      const forgotten = [
        await repo().getAppliedGeneration(gatewayId),
        await repo().getStatusReport(gatewayId),
        await repo().getPushSent(gatewayId),
      ];
      await repo().forgetInstanceReports(gatewayId);
      await repo().recordApplied({ gatewayId, appliedGeneration: 2, appliedAt: AT });

      // Assess
      expect(forgotten).toEqual([undefined, undefined, sent]);
      expect((await repo().getAppliedGeneration(gatewayId))?.appliedGeneration).toBe(2);
    });
  });
}
