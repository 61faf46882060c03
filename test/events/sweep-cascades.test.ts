/**
 * The sweep runs again a deleted gateway's cascade that the stream gave up on (its retries spent,
 * the record parked), from what the tombstone kept: past its bound and not before, once; a cascade
 * that fails again stays pending for the next sweep (lambdas/app/sweeper.ts, in-memory repository).
 */
import { type SweepBounds, type SweepBudget, sweepTable } from '../../lambdas/app/sweeper';
import { eventDependenciesAt } from '../support/events-fixture';
import { gatewayWithKey } from '../support/gateways';
import { newPeering } from '../support/records';

const BOUNDS: SweepBounds = { stalledPeeringSeconds: 600, pendingCascadeSeconds: 1800 };
const DELETED_AT_MS = Date.parse('2026-12-04T10:00:00.000Z');
const UNLIMITED: SweepBudget = { remainingMs: () => Number.POSITIVE_INFINITY, random: () => 0 };

/**
 * Gateway A (its key in the store) peered with B (ACTIVE), then deleted with no cascade run: the repository
 * tells no one, as when the stream parked the record.
 */
async function deletedWithoutCascade() {
  const { deps, setNow } = eventDependenciesAt(DELETED_AT_MS);
  const { repository, secrets } = deps;
  const { record: a } = await gatewayWithKey(secrets);
  const { record: b } = await gatewayWithKey(secrets);
  for (const gateway of [a, b]) await repository.createGateway(gateway);
  const peering = await repository.createPeering(newPeering(a, b));
  await repository.setPeeringStatus(peering.id, 'ACTIVE', null, ['PROVISIONING']);
  const generation = (await repository.getGateway(a.id))?.desiredGeneration;
  await repository.deleteGateway(a.id);
  const sweepAt = async (afterDeleteMs: number, budget = UNLIMITED) => {
    setNow(DELETED_AT_MS + afterDeleteMs);
    return sweepTable(deps, BOUNDS, budget);
  };
  return { deps, a, generation, peering, sweepAt };
}

const BOUND_MS = BOUNDS.pendingCascadeSeconds * 1000;

it('runs a pending cascade once it is older than the bound, not before, and only once', async () => {
  // Prepare
  const { deps, a, generation, peering, sweepAt } = await deletedWithoutCascade();

  // Act
  const early = await sweepAt(BOUND_MS - 1000);
  const pendingAfterEarly = await deps.repository.isGatewayCascadePending(a.id);
  const due = await sweepAt(BOUND_MS + 1000);
  const next = await sweepAt(BOUND_MS + 300_000);

  // Assess: before the bound nothing ran.
  expect(early.cascades).toEqual([]);
  expect(pendingAfterEarly).toBe(true);
  // Past it, the whole cascade: the peering's deletion, the key, the teardown; then no longer pending.
  const redrive = {
    gatewayId: a.id,
    instanceId: a.instanceId,
    generation,
    teardown: { commandId: 'teardown-1' },
  };
  expect(due).toEqual({
    redriven: [],
    released: [],
    failedRedrives: [],
    stalled: 0,
    cascades: [redrive],
    failedCascades: [],
    walks: [],
    failedWalks: [],
    deferred: 0,
    peerKeys: { marked: [], written: 0, clashes: [], done: true },
  });
  expect(deps.workflows.starts).toEqual([
    { workflow: 'delete-peering', name: `delete-${peering.id}`, input: { peeringId: peering.id } },
  ]);
  expect(deps.secrets.values.has(a.privateKeyParam as string)).toBe(false);
  expect(deps.commands.teardowns).toEqual([{ gatewayId: a.id, instanceId: a.instanceId, generation }]);
  expect(await deps.repository.isGatewayCascadePending(a.id)).toBe(false);
  expect(deps.audit.events.map(({ detailType, detail }) => ({ detailType, detail }))).toEqual([
    { detailType: 'Gateway Cascade Re-driven', detail: redrive },
  ]);
  // The next sweep finds nothing to do.
  expect(next.cascades).toEqual([]);
  expect(deps.commands.teardowns).toHaveLength(1);
  expect(deps.audit.events).toHaveLength(1);
});

it('leaves a cascade that fails again pending, and the next sweep finishes it', async () => {
  // Prepare: Step Functions still refuses the peering's deletion at the first sweep.
  const { deps, a, peering, sweepAt } = await deletedWithoutCascade();
  deps.workflows.failFor = () => true;

  // Act
  const failed = await sweepAt(BOUND_MS + 1000);
  const pendingAfterFailure = await deps.repository.isGatewayCascadePending(a.id);
  deps.workflows.failFor = () => false;
  const retried = await sweepAt(BOUND_MS + 301_000);

  // Assess
  expect(failed.failedCascades).toEqual([
    { gatewayId: a.id, errorName: 'Error', errorMessage: `cannot start delete-${peering.id}` },
  ]);
  expect(failed.cascades).toEqual([]);
  expect(pendingAfterFailure).toBe(true);
  expect(retried.cascades.map((cascade) => cascade.gatewayId)).toEqual([a.id]);
  expect(await deps.repository.isGatewayCascadePending(a.id)).toBe(false);
});

it('runs the rest of the sweep when a cascade ran but its audit event cannot be published', async () => {
  // Prepare: a stalled peering between C and D beside A's pending cascade; EventBridge throttles
  // the cascade's event. The sweep starts at the cascade (the last item), so the peering comes after.
  const { deps, a, sweepAt } = await deletedWithoutCascade();
  const { record: c } = await gatewayWithKey(deps.secrets);
  const { record: d } = await gatewayWithKey(deps.secrets);
  for (const gateway of [c, d]) await deps.repository.createGateway(gateway);
  const stalled = await deps.repository.createPeering(newPeering(c, d));
  const publish = deps.audit.publish.bind(deps.audit);
  deps.audit.publish = async (type, detail) => {
    if (type === 'Gateway Cascade Re-driven') throw new Error('Rate exceeded');
    return publish(type, detail);
  };
  const lastFirst: SweepBudget = { remainingMs: () => Number.POSITIVE_INFINITY, random: () => 0.99 };

  // Act
  const swept = await sweepAt(BOUND_MS + 1000, lastFirst);

  // Assess: the cascade ran and its failed event is logged; the peering was still re-driven.
  expect(swept.cascades.map((cascade) => cascade.gatewayId)).toEqual([a.id]);
  expect(swept.failedCascades).toEqual([
    { gatewayId: a.id, errorName: 'Error', errorMessage: 'Rate exceeded' },
  ]);
  expect(swept.redriven.map((redrive) => redrive.peeringId)).toEqual([stalled.id]);
  expect(await deps.repository.isGatewayCascadePending(a.id)).toBe(false);
});
