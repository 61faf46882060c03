/**
 * Activate waits for the generation each side's push rendered (docs/DECISIONS.md "Busy hub: the hub
 * item"): the peering's write adds to the hub's generation without fixing it, so a side's stored
 * `generation` is only a lower bound, and an instance that applied it may not hold the peer yet.
 * And a second run of the step (docs/CONTRACT.md#invariants 6) never fails a peering the first
 * one activated.
 */
import { MemoryAudit } from '../../lambdas/adapters/local/memory-audit';
import { MemoryRepository } from '../../lambdas/adapters/memory/repository';
import { activatePeering } from '../../lambdas/app/peering-workflow';
import { CommandFailedError } from '../../lambdas/core/errors';
import { gatewayRecord } from '../support/gateways';
import { newPeering, roadWarrior } from '../support/records';

/** A PROVISIONING peering of two gateways; the hub then took three road-warriors. */
async function peeringOnABusyHub() {
  const repository = new MemoryRepository();
  const hub = gatewayRecord();
  const spoke = gatewayRecord();
  await repository.createGateway(hub);
  await repository.createGateway(spoke);
  const peering = await repository.createPeering(newPeering(hub, spoke));
  for (const name of ['a', 'b', 'c']) await repository.addRoadWarrior(roadWarrior(hub.id, name));
  const applied = (gatewayId: string, appliedGeneration: number) =>
    repository.recordApplied({ gatewayId, appliedGeneration, appliedAt: new Date().toISOString() });
  return { repository, hub, spoke, peering, applied };
}

describe('activatePeering', () => {
  it("refuses while a side is below the generation its push rendered, even at the side's own", async () => {
    // Prepare: the hub's push rendered generation 4; its instance applied only the side's 1.
    const { repository, hub, spoke, peering, applied } = await peeringOnABusyHub();
    await applied(hub.id, peering.sides[0].generation);
    await applied(spoke.id, 1);
    const pushed = [
      { gatewayId: hub.id, generation: 4 },
      { gatewayId: spoke.id, generation: 1 },
    ];
    const d = { repository, audit: new MemoryAudit() };

    // Act
    const early = await activatePeering(d, { peeringId: peering.id, pushed }).catch((error) => error);
    await applied(hub.id, 4);
    const activated = await activatePeering(d, { peeringId: peering.id, pushed });

    // Assess
    expect(early).toBeInstanceOf(CommandFailedError);
    expect(activated).toEqual({ status: 'ACTIVE' });
    expect((await repository.getPeering(peering.id))?.status).toBe('ACTIVE');
  });

  it("requires the gateway's current generation when the execution names no push (an older definition)", async () => {
    // Prepare: the hub is at generation 4 and applied 3.
    const { repository, hub, spoke, peering, applied } = await peeringOnABusyHub();
    await applied(hub.id, 3);
    await applied(spoke.id, 1);
    const d = { repository, audit: new MemoryAudit() };

    // Act
    const early = await activatePeering(d, { peeringId: peering.id }).catch((error) => error);
    await applied(hub.id, 4);
    const activated = await activatePeering(d, { peeringId: peering.id });

    // Assess
    expect(early).toBeInstanceOf(CommandFailedError);
    expect(activated).toEqual({ status: 'ACTIVE' });
  });

  it('answers ACTIVE to a concurrent run of itself, once the other run activated the peering', async () => {
    // Prepare: both sides applied; two runs of the step start together (a retry of a timed-out one).
    const { repository, hub, spoke, peering, applied } = await peeringOnABusyHub();
    await applied(hub.id, 4);
    await applied(spoke.id, 1);
    const audit = new MemoryAudit();
    const d = { repository, audit };

    // Act
    const runs = await Promise.allSettled([
      activatePeering(d, { peeringId: peering.id }),
      activatePeering(d, { peeringId: peering.id }),
    ]);

    // Assess
    expect(runs).toEqual([
      { status: 'fulfilled', value: { status: 'ACTIVE' } },
      { status: 'fulfilled', value: { status: 'ACTIVE' } },
    ]);
    expect((await repository.getPeering(peering.id))?.status).toBe('ACTIVE');
  });
});
