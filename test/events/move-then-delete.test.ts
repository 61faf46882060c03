/**
 * A gateway deleted in the middle of a move (docs/DECISIONS.md, "A gateway deleted in the middle
 * of a move"): its run stopped after the registry named the new instance, before startMovedInstance
 * freed and retired the old one, and the deleted gateway gets no redelivery nor sweep of its move. Its
 * cascade finishes that end, from the stream's old image or from the tombstone (in memory).
 */
import type { MemoryRepository } from '../../lambdas/adapters/memory/repository';
import { cascadeGatewayRemoval } from '../../lambdas/app/gateway-cascade';
import { gatewayDeleted, gatewayUpdated } from '../../lambdas/app/gateway-lifecycle';
import type { InstanceTarget } from '../../lambdas/app/ports';
import { type SweepBounds, sweepTable } from '../../lambdas/app/sweeper';
import type { GatewayRecord } from '../../lambdas/core/types';
import { toPublicGateway } from '../../lambdas/core/views';
import { eventDependenciesAt } from '../support/events-fixture';
import { gatewayRecord } from '../support/gateways';
import { newPeering } from '../support/records';

const DELETED_AT_MS = Date.parse('2026-12-05T12:00:00.000Z');
const BOUNDS: SweepBounds = { stalledPeeringSeconds: 600, pendingCascadeSeconds: 1800 };
const UNLIMITED = { remainingMs: () => Number.POSITIVE_INFINITY, random: () => 0 };
const NEW_INSTANCE = 'i-0new';

/**
 * Gateway A at generation 7 on its instance (which it holds) moves to NEW_INSTANCE. While the old
 * instance is being retired at 8, a peering with B commits (generation 9, pushed to the old
 * instance: the registry still names it), and the re-retirement at 9, right after the registry
 * write, is refused (throttled), so the run stops there, before the walk, with the move unfinished.
 */
async function stoppedMidMove() {
  const { deps, setNow } = eventDependenciesAt(DELETED_AT_MS);
  const { repository } = deps;
  const a = gatewayRecord({ desiredGeneration: 7 });
  const b = gatewayRecord();
  for (const gateway of [a, b]) await repository.createGateway(gateway);
  await repository.claimInstance(a.instanceId, a.id);
  const withdrawn: InstanceTarget[] = [];
  deps.instanceSecrets.withdraw = async (target) => {
    withdrawn.push(target);
  };
  const teardown = deps.commands.teardown.bind(deps.commands);
  let teardowns = 0;
  deps.commands.teardown = async (command) => {
    teardowns += 1;
    if (teardowns === 1) await repository.createPeering(newPeering(a, b));
    if (teardowns === 2) throw new Error('ThrottlingException');
    return teardown(command);
  };
  await expect(gatewayUpdated(deps, { ...toPublicGateway(a), instanceId: NEW_INSTANCE })).rejects.toThrow(
    'ThrottlingException',
  );
  deps.commands.teardown = teardown;
  const sweepAt = (afterDeleteMs: number) => {
    setNow(DELETED_AT_MS + afterDeleteMs);
    return sweepTable(deps, BOUNDS, UNLIMITED);
  };
  return { repository, deps, a, withdrawn, sweepAt };
}

/** The id registered again on a third instance, then another gateway asks for A's old instance. */
async function claimOfOldInstanceAfterReRegistration(repository: MemoryRepository, a: GatewayRecord) {
  await repository.claimInstance('i-0third', a.id);
  await repository.createGateway({ ...a, instanceId: 'i-0third' });
  return repository.claimInstance(a.instanceId, 'gw-other');
}

it('frees, withdraws from and tears down the instance a move was leaving, from what the deletion removed', async () => {
  // Prepare
  const { repository, deps, a, withdrawn } = await stoppedMidMove();
  const removed = await gatewayDeleted(deps, a.id);

  // Act: the cascade the stream runs with the removed item.
  await cascadeGatewayRemoval(deps, removed as GatewayRecord);

  // Assess: the old instance may hold generation 9 (the peering committed during its teardown) and
  // only a teardown at 8: it gets one at the last generation, 9 (the run stopped in the re-retirement
  // at 9, before its walk).
  expect(removed).toMatchObject({ instanceId: NEW_INSTANCE, desiredGeneration: 9 });
  expect(removed?.unfinishedMove).toMatchObject({ instanceId: a.instanceId, retiredThrough: 8 });
  expect(deps.commands.teardowns).toEqual([
    { gatewayId: a.id, instanceId: a.instanceId, generation: 8 },
    { gatewayId: a.id, instanceId: NEW_INSTANCE, generation: 9 },
    { gatewayId: a.id, instanceId: a.instanceId, generation: 9 },
  ]);
  expect(withdrawn).toContainEqual({ gatewayId: a.id, instanceId: a.instanceId });
  await expect(claimOfOldInstanceAfterReRegistration(repository, a)).resolves.toBeUndefined();
});

it('frees and tears down the instance a move was leaving when the sweep runs the cascade from the tombstone', async () => {
  // Prepare: deleted, and no cascade ran (the stream gave up on the record).
  const { repository, deps, a, sweepAt } = await stoppedMidMove();
  await repository.deleteGateway(a.id);

  // Act
  const swept = await sweepAt(BOUNDS.pendingCascadeSeconds * 1000 + 1000);

  // Assess
  expect(swept.cascades.map((cascade) => cascade.gatewayId)).toEqual([a.id]);
  // At the last generation, 9, which the old instance may hold (its re-retirement there was refused).
  expect(deps.commands.teardowns).toContainEqual({
    gatewayId: a.id,
    instanceId: a.instanceId,
    generation: 9,
  });
  await expect(claimOfOldInstanceAfterReRegistration(repository, a)).resolves.toBeUndefined();
});
