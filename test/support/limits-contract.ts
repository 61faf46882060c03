/**
 * The AdmissionStore and SecretCleanupStore parts of the Repository port's contract, run by
 * test/contract on DynamoDB Local and on the in-memory repository beside repository-contract.ts:
 * compare-and-set admissions, and the per-owner limits holding under concurrent requests.
 */
import { admitGateway, admitOperation, admitPeering } from '../../lambdas/app/api/limits';
import type { SecretCleanup } from '../../lambdas/app/ports';
import { ConflictError, TooManyOperationsError } from '../../lambdas/core/errors';
import { gatewayRecord } from './gateways';
import { ownerLimits } from './limits';
import { newPeering, roadWarrior, uniqueId } from './records';
import type { RepositoryUnderTest } from './repository-contract';

const LIMITS = ownerLimits({
  gatewaysPerOwner: 5,
  roadWarriorsPerGateway: 5,
  operationsInFlightPerOwner: 3,
  peeringsPerGateway: 3,
});
const CONCURRENT = 12;
const BURST = 100;

/** No execution was ever started: every admitted create still counts while its request may start it. */
const noExecutions = {
  start: async (_workflow: string, name: string) => ({ executionId: name, mayHaveEnded: true }),
  describe: async () => ({ status: 'RUNNING' as const }),
  find: async () => undefined,
};

/** How many of the calls were admitted, refused with `refusal`, or failed otherwise. */
async function outcomes(calls: Promise<void>[], refusal: new (...args: never[]) => Error) {
  const settled = await Promise.allSettled(calls);
  const refused = settled.filter((s) => s.status === 'rejected' && s.reason instanceof refusal);
  const other = settled.filter((s) => s.status === 'rejected' && !(s.reason instanceof refusal));
  return {
    admitted: settled.filter((s) => s.status === 'fulfilled').length,
    refused: refused.length,
    other: other.map((s) => (s as PromiseRejectedResult).reason),
  };
}

export function limitsContract(subject: RepositoryUnderTest): void {
  const deps = () => ({ repository: subject.repository(), clock: () => new Date(), workflows: noExecutions });

  describe('admissions', () => {
    it('replaces an admission item only at the version it read', async () => {
      // Prepare
      const repository = subject.repository();
      const owner = uniqueId('owner');
      // Act
      const empty = await repository.getAdmissions(owner, 'gateways');
      const first = await repository.putAdmissions(owner, 'gateways', { a: 1 }, 0);
      const stale = await repository.putAdmissions(owner, 'gateways', { b: 2 }, 0);
      const second = await repository.putAdmissions(owner, 'gateways', { a: 1, c: 3 }, 1);
      // Assess
      expect(empty).toEqual({ version: 0, entries: {} });
      expect([first, stale, second]).toEqual([true, false, true]);
      expect(await repository.getAdmissions(owner, 'gateways')).toEqual({
        version: 2,
        entries: { a: 1, c: 3 },
      });
      expect(await repository.getAdmissions(owner, 'operations')).toEqual({ version: 0, entries: {} });
    });

    it('adds an admission without a read only to an item with room', async () => {
      // Prepare
      const repository = subject.repository();
      const owner = uniqueId('owner');
      // Act
      const absent = await repository.addAdmission(owner, 'operations', 'a', 1, 5);
      await repository.putAdmissions(owner, 'operations', { a: 1 }, 0);
      const added = await repository.addAdmission(owner, 'operations', 'b', 2, 2);
      const full = await repository.addAdmission(owner, 'operations', 'c', 3, 2);
      // Assess
      expect([absent, added, full]).toEqual([false, true, false]);
      expect(await repository.getAdmissions(owner, 'operations')).toEqual({
        version: 2,
        entries: { a: 1, b: 2 },
      });
    });

    it(`admits exactly the limit of ${CONCURRENT} concurrent gateway registrations of one owner`, async () => {
      // Prepare
      const owner = uniqueId('owner');
      // Act
      const result = await outcomes(
        Array.from({ length: CONCURRENT }, (_, i) => admitGateway(deps(), owner, `gw-${i}`, LIMITS)),
        ConflictError,
      );
      // Assess
      expect(result).toEqual({
        admitted: LIMITS.gatewaysPerOwner,
        refused: CONCURRENT - LIMITS.gatewaysPerOwner,
        other: [],
      });
    });

    it(`admits exactly the limit of ${CONCURRENT} concurrent peering creates of one owner`, async () => {
      // Prepare
      const owner = uniqueId('owner');
      // Act
      const result = await outcomes(
        Array.from({ length: CONCURRENT }, (_, i) => admitOperation(deps(), owner, `pcx-${i}`, LIMITS)),
        TooManyOperationsError,
      );
      // Assess
      expect(result).toEqual({
        admitted: LIMITS.operationsInFlightPerOwner,
        refused: CONCURRENT - LIMITS.operationsInFlightPerOwner,
        other: [],
      });
    });
    it(`admits exactly the limit of ${CONCURRENT} concurrent peering creates on one gateway`, async () => {
      // Prepare
      const gatewayId = uniqueId('hub');
      // Act
      const result = await outcomes(
        Array.from({ length: CONCURRENT }, (_, i) => admitPeering(deps(), gatewayId, `pcx-${i}`, LIMITS)),
        ConflictError,
      );
      // Assess
      expect(result).toEqual({
        admitted: LIMITS.peeringsPerGateway,
        refused: CONCURRENT - LIMITS.peeringsPerGateway,
        other: [],
      });
    });

    it("reads a gateway's peerings only up to a bound, never its road-warriors", async () => {
      // Prepare: a hub with three peerings and a road-warrior.
      const repository = subject.repository();
      const hub = gatewayRecord();
      await repository.createGateway(hub);
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const spoke = gatewayRecord();
        await repository.createGateway(spoke);
        ids.push((await repository.createPeering(newPeering(hub, spoke))).id);
      }
      await repository.addRoadWarrior(roadWarrior(hub.id, 'laptop'));
      // Act
      const bounded = await repository.peeringIdsUpTo(hub.id, 2);
      const all = await repository.peeringIdsUpTo(hub.id, 10);
      // Assess
      expect(bounded).toHaveLength(2);
      expect(ids).toEqual(expect.arrayContaining(bounded));
      expect(all.sort()).toEqual([...ids].sort());
    });

    it(`admits all of ${BURST} concurrent creates of one owner under a limit above them`, async () => {
      // Prepare: a script's burst against one owner's admission item (bench section 10's hub).
      const owner = uniqueId('owner');
      const roomy = { ...LIMITS, operationsInFlightPerOwner: BURST + 1 };
      // Act
      const result = await outcomes(
        Array.from({ length: BURST }, (_, i) => admitOperation(deps(), owner, `pcx-${i}`, roomy)),
        TooManyOperationsError,
      );
      // Assess: contention is waited out, never answered 503 (TransientError).
      expect(result).toEqual({ admitted: BURST, refused: 0, other: [] });
      const { entries } = await subject.repository().getAdmissions(owner, 'operations');
      expect(Object.keys(entries)).toHaveLength(BURST);
    });
  });

  describe('secret cleanups', () => {
    it('lists recorded cleanups older than a time, oldest first, until cleared', async () => {
      // Prepare
      const repository = subject.repository();
      const gatewayId = uniqueId('gw');
      const cleanup = (recordedAt: string, peerName: string): SecretCleanup => ({
        secretName: `/vpc-peering/gateways/${gatewayId}/peers/${peerName}/k1/private-key`,
        gatewayId,
        peerName,
        recordedAt,
      });
      const older = cleanup('2020-01-01T00:00:01.000Z', 'b');
      const oldest = cleanup('2020-01-01T00:00:00.000Z', 'a');
      const recent = cleanup('2020-01-01T00:10:00.000Z', 'c');
      for (const each of [older, oldest, recent]) await repository.recordSecretCleanup(each);
      // Act
      const listed = await repository.listSecretCleanups('2020-01-01T00:05:00.000Z', 10);
      const first = await repository.listSecretCleanups('2020-01-01T00:05:00.000Z', 1);
      await repository.clearSecretCleanup(oldest);
      await repository.clearSecretCleanup(oldest);
      const after = await repository.listSecretCleanups('2020-01-01T00:05:00.000Z', 10);
      // Assess
      expect(listed).toEqual([oldest, older]);
      expect(first).toEqual([oldest]);
      expect(after).toEqual([older]);
    });
  });
}
