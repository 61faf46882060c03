/**
 * The sweep finishes a gateway's peer walk that an update left owed (its event's retries spent,
 * the event parked in the dead-letter queue): past the bound and not before, once, audited; one
 * that fails again stays owed for the next sweep (lambdas/app/sweeper.ts, in-memory repository).
 */
import { gatewayUpdated } from '../../lambdas/app/gateway-lifecycle';
import { changeMark } from '../../lambdas/app/new-records';
import { type SweepBounds, type SweepBudget, sweepTable } from '../../lambdas/app/sweeper';
import { GatewayGoneError, TransientError, ValidationError } from '../../lambdas/core/errors';
import { toPublicGateway } from '../../lambdas/core/views';
import { eventDependenciesAt } from '../support/events-fixture';
import { gatewayRecord } from '../support/gateways';
import { newPeering, uniqueId } from '../support/records';

const BOUNDS: SweepBounds = { stalledPeeringSeconds: 600, pendingCascadeSeconds: 1800 };
const BOUND_MS = BOUNDS.pendingCascadeSeconds * 1000;
const UPDATED_AT_MS = Date.parse('2026-12-05T10:00:00.000Z');
const UNLIMITED: SweepBudget = { remainingMs: () => Number.POSITIVE_INFINITY, random: () => 0 };
const NEW_IP = '198.51.100.81';

/** A hub peered with a spoke (ACTIVE); the spoke's rewrites throttled at will; sweeps at a time. */
async function hubPeeredWithSpoke() {
  const { deps, setNow } = eventDependenciesAt(UPDATED_AT_MS);
  const { repository } = deps;
  const hub = gatewayRecord({ id: uniqueId('hub') });
  const spoke = gatewayRecord({ id: uniqueId('spoke') });
  for (const gateway of [hub, spoke]) await repository.createGateway(gateway);
  const peering = newPeering(hub, spoke);
  await repository.createPeering(peering);
  await repository.setPeeringStatus(peering.id, 'ACTIVE', null, ['PROVISIONING']);
  const updateRemotePeer = repository.updateRemotePeer.bind(repository);
  const throttle = (on: boolean) => {
    repository.updateRemotePeer = on
      ? () => Promise.reject(new TransientError('throttled'))
      : updateRemotePeer;
  };
  const hubEntry = async () => (await repository.getPeer(spoke.id, peering.sides[1].peer.name))?.endpoint;
  const sweepAt = (afterUpdateMs: number) => {
    setNow(UPDATED_AT_MS + afterUpdateMs);
    return sweepTable(deps, BOUNDS, UNLIMITED);
  };
  return { deps, hub, spoke, hubEntry, throttle, sweepAt };
}

/**
 * The same, as an endpoint update left them when its event's retries all failed after its registry
 * write: the registry holds the new endpoint and the owed mark, the spoke's entry the old endpoint.
 */
async function walkLeftOwed() {
  const peered = await hubPeeredWithSpoke();
  const { deps, hub } = peered;
  await deps.repository.upsertGateway({
    ...hub,
    publicIp: NEW_IP,
    peerWalkOwedSince: changeMark(deps.clock()),
  });
  return peered;
}

it('finishes an owed walk once it is older than the bound, not before, and only once', async () => {
  // Prepare
  const { deps, hub, spoke, hubEntry, sweepAt } = await walkLeftOwed();
  const owedSince = (await deps.repository.getGateway(hub.id))?.peerWalkOwedSince;

  // Act
  const early = await sweepAt(BOUND_MS - 1000);
  const entryAfterEarly = await hubEntry();
  const due = await sweepAt(BOUND_MS + 1000);
  const next = await sweepAt(BOUND_MS + 300_000);

  // Assess: before the bound nothing ran; past it the spoke has the registry's endpoint, the
  // spoke's push and the hub's own started, the walk settled and audited; then nothing is owed.
  expect(owedSince).toBeDefined();
  expect(early.walks).toEqual([]);
  expect(entryAfterEarly).toBe(`${hub.publicIp}:${hub.listenPort}`);
  expect(due.walks).toEqual([{ gatewayId: hub.id, ownerId: hub.ownerId, owedSince, pushes: 2 }]);
  expect(await hubEntry()).toBe(`${NEW_IP}:${hub.listenPort}`);
  expect(deps.workflows.starts.map((start) => start.input)).toEqual(
    expect.arrayContaining([{ gatewayId: spoke.id }, { gatewayId: hub.id }]),
  );
  expect((await deps.repository.getGateway(hub.id))?.peerWalkOwedSince).toBeUndefined();
  expect(deps.audit.events.map((event) => event.detailType)).toEqual(['Gateway Peer Walk Re-driven']);
  expect(next.walks).toEqual([]);
});

it('leaves a walk that fails again owed, for the next sweep', async () => {
  // Prepare
  const { hub, hubEntry, throttle, sweepAt } = await walkLeftOwed();
  throttle(true);

  // Act
  const failed = await sweepAt(BOUND_MS + 1000);
  throttle(false);
  const after = await sweepAt(BOUND_MS + 300_000);

  // Assess
  expect(failed.walks).toEqual([]);
  expect(failed.failedWalks).toEqual([
    { gatewayId: hub.id, errorName: 'TransientError', errorMessage: 'throttled' },
  ]);
  expect(after.walks).toHaveLength(1);
  expect(await hubEntry()).toBe(`${NEW_IP}:${hub.listenPort}`);
});

it('defers a walk that a peer refuses for good by about its age', async () => {
  // Prepare: the spoke refuses the change for good (as a key held there would).
  const { deps, hub, sweepAt } = await walkLeftOwed();
  deps.repository.updateRemotePeer = () => Promise.reject(new ValidationError('is held', 'publicKey'));

  // Act: past the bound (30 min after the update), then every 5 minutes for an hour and a half.
  const sweeps = [];
  for (let after = BOUND_MS + 1000; after <= BOUND_MS + 90 * 60_000; after += 5 * 60_000) {
    sweeps.push(await sweepAt(after));
  }

  // Assess: tried at 30 min, deferred by its age (30 min) and the bound: tried again at the first
  // sweep past 90 min (the 14th), none between.
  const tried = sweeps.flatMap((sweep, at) => (sweep.failedWalks.length > 0 ? [at] : []));
  expect(tried).toEqual([0, 13]);
  expect(sweeps[0]?.failedWalks).toEqual([
    { gatewayId: hub.id, errorName: 'ValidationError', errorMessage: 'publicKey: is held' },
  ]);
});

it('takes the lease of a walk once: an update running walks the peers itself', async () => {
  // Prepare
  const { deps, hub, sweepAt } = await walkLeftOwed();
  await deps.repository.takeUpdateLease(hub.id, 'an-update', Number.MAX_SAFE_INTEGER, 0);
  const takeUpdateLease = deps.repository.takeUpdateLease.bind(deps.repository);
  let takes = 0;
  deps.repository.takeUpdateLease = (...args) => {
    takes += 1;
    return takeUpdateLease(...args);
  };

  // Act
  const swept = await sweepAt(BOUND_MS + 1000);
  const next = await sweepAt(BOUND_MS + 301_000);

  // Assess: one take a sweep, and the walk is not deferred (the next sweep tries again).
  expect(takes).toBe(2);
  expect(swept.failedWalks.map((failure) => failure.errorName)).toEqual(['GatewayUpdateInProgressError']);
  expect(next.failedWalks).toHaveLength(1);
});

it('has nothing owed for a gateway deleted while its walk ran', async () => {
  // Prepare: the registry write finds the gateway deleted.
  const { deps, hub, sweepAt } = await walkLeftOwed();
  deps.repository.upsertGateway = () => Promise.reject(new GatewayGoneError(hub.id));

  // Act
  const swept = await sweepAt(BOUND_MS + 1000);

  // Assess
  expect(swept.failedWalks).toEqual([]);
  expect(swept.walks).toEqual([]);
});

it("finishes an update whose walk failed at a peer on the event's every try", async () => {
  // Prepare: the hub's endpoint update fails at the spoke's rewrite on the event and both retries.
  const { deps, hub, hubEntry, throttle, sweepAt } = await hubPeeredWithSpoke();
  throttle(true);
  const moved = toPublicGateway({ ...hub, publicIp: NEW_IP });
  for (let attempt = 0; attempt < 3; attempt++) {
    await expect(gatewayUpdated(deps, moved, undefined, '2026-12-05T10:00:00Z')).rejects.toThrow('throttled');
  }
  throttle(false);

  // Act: the sweep, past the bound.
  const swept = await sweepAt(BOUND_MS + 1000);

  // Assess: the registry held the change and the mark since the first try; the spoke now has it.
  expect(swept.walks).toHaveLength(1);
  expect(await hubEntry()).toBe(`${NEW_IP}:${hub.listenPort}`);
  expect((await deps.repository.getGateway(hub.id))?.peerWalkOwedSince).toBeUndefined();
});

it("finishes a move whose run stopped after the registry write on the event's every try", async () => {
  // Prepare: the hub moves to another instance; forgetting the old instance's reports is throttled
  // on the event and both retries (after the registry write), so the old lock stays held.
  const { deps, hub, spoke, sweepAt } = await hubPeeredWithSpoke();
  await deps.repository.claimInstance(hub.instanceId, hub.id);
  const forget = deps.repository.forgetInstanceReports.bind(deps.repository);
  deps.repository.forgetInstanceReports = () => Promise.reject(new TransientError('throttled'));
  const moved = toPublicGateway({ ...hub, instanceId: 'i-0new' });
  for (let attempt = 0; attempt < 3; attempt++) {
    await expect(gatewayUpdated(deps, moved, undefined, '2026-12-05T10:00:00Z')).rejects.toThrow('throttled');
  }
  deps.repository.forgetInstanceReports = forget;

  // Act: the sweep, past the bound.
  const swept = await sweepAt(BOUND_MS + 1000);

  // Assess: the old instance is free for another gateway, the new one pushed, the move settled
  // and audited with the instance it left.
  expect(swept.walks).toEqual([
    expect.objectContaining({ gatewayId: hub.id, movedOffInstance: hub.instanceId }),
  ]);
  await expect(deps.repository.claimInstance(hub.instanceId, spoke.id)).resolves.toBeUndefined();
  expect(deps.workflows.starts.map((start) => start.input)).toContainEqual({ gatewayId: hub.id });
  const registry = await deps.repository.getGateway(hub.id);
  expect(registry?.unfinishedMove).toBeUndefined();
  expect(registry?.peerWalkOwedSince).toBeUndefined();
});
