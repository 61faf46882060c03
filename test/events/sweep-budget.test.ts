/**
 * A sweep has its invocation's time and no more (lambdas/app/sweeper.ts, SweepBudget): it starts
 * an item only with time left, from a random place in its list of work, and the leftover secrets'
 * cleanup runs beside the table's work, not after it. In-memory repository; each re-drive's start
 * spends a set share of a simulated invocation, which ends (Sandbox.Timedout) once it is spent.
 */
import { CLEANUP_GRACE_MS, recordSecretCleanup } from '../../lambdas/app/secret-cleanup';
import { SWEEP_RESERVE_MS, type SweepBounds, sweepAll, sweepTable } from '../../lambdas/app/sweeper';
import { TransientError } from '../../lambdas/core/errors';
import { logger } from '../../lambdas/shared/logger';
import { eventDependenciesAt } from '../support/events-fixture';
import { gatewayWithKey } from '../support/gateways';
import { newPeering } from '../support/records';

const BOUNDS: SweepBounds = { stalledPeeringSeconds: 600, pendingCascadeSeconds: 1800 };
const INVOCATION_MS = 60_000;
const WRITTEN_AT_MS = Date.parse('2026-12-04T10:00:00.000Z');
const SWEEP_AT_MS = WRITTEN_AT_MS + CLEANUP_GRACE_MS + 3_600_000;

/** Stalled PROVISIONING peerings; `costMs(name)` is what starting that execution spends. */
async function stalledPeerings(count: number, costMs: (name: string) => number) {
  const { deps, setNow } = eventDependenciesAt(WRITTEN_AT_MS);
  const { repository, secrets, workflows } = deps;
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const [{ record: a }, { record: b }] = [await gatewayWithKey(secrets), await gatewayWithKey(secrets)];
    for (const gateway of [a, b]) await repository.createGateway(gateway);
    ids.push((await repository.createPeering(newPeering(a, b))).id);
  }
  setNow(SWEEP_AT_MS);
  let remainingMs = INVOCATION_MS;
  const start = workflows.start.bind(workflows);
  // Lambda ends an invocation that runs out of time, whatever it was doing.
  const timedOut = Object.assign(new Error('Task timed out'), { name: 'Sandbox.Timedout' });
  workflows.start = async (workflow, name, input) => {
    if (remainingMs <= 0) throw timedOut;
    remainingMs -= costMs(name);
    if (remainingMs <= 0) throw timedOut;
    return start(workflow, name, input);
  };
  /** One invocation, starting its list at `random`. */
  const sweep = (random: number) => {
    remainingMs = INVOCATION_MS;
    return sweepTable(deps, BOUNDS, { remainingMs: () => remainingMs, random: () => random });
  };
  return { ids, deps, sweep };
}

it('starts no item once less than the reserve is left, and says how many it left', async () => {
  // Prepare: each start spends 26 s of the invocation's 60.
  const { ids, deps, sweep } = await stalledPeerings(3, () => 26_000);

  // Act
  const swept = await sweep(0);

  // Assess: 60 s, then 34 s, then 8 s left (under SWEEP_RESERVE_MS): two started, one left.
  expect(SWEEP_RESERVE_MS).toBeGreaterThan(8_000);
  expect(swept.redriven.map((redrive) => redrive.peeringId)).toEqual(ids.slice(0, 2));
  expect(swept.deferred).toBe(1);
  expect(deps.workflows.starts).toHaveLength(2);
});

it('does not leave the same items behind every sweep when one item outlasts the invocation', async () => {
  // Prepare: the first peering's start takes the whole invocation, every time (it never starts).
  const { ids, sweep } = await stalledPeerings(3, (name) =>
    name.startsWith(ids[0] ?? '?') ? INVOCATION_MS : 0,
  );
  const [slow = ''] = ids;

  // Act: sweeps starting at different places in the list.
  const redriven = new Set<string>();
  for (const random of [0, 0.5, 0.9]) {
    const swept = await sweep(random).catch(() => undefined);
    for (const redrive of swept?.redriven ?? []) redriven.add(redrive.peeringId);
  }

  // Assess: the sweeps that started at the slow one got no further; the others reached the rest.
  expect([...redriven].sort()).toEqual(ids.filter((id) => id !== slow).sort());
});

it('cleans leftover secrets even when the table cannot be swept, then reports the failure', async () => {
  // Prepare: a removed road-warrior's key recorded for deletion long ago; the table's sweep read
  // is refused.
  const { deps } = await stalledPeerings(0, () => 0);
  const secretName = deps.secrets.names.roadWarriorPrivateKey('gw-1', 'rw-1', 'k1');
  await deps.secrets.putIfAbsent(secretName, 'secret');
  await recordSecretCleanup({ ...deps, clock: () => new Date(WRITTEN_AT_MS) }, 'gw-1', 'rw-1', secretName);
  const refused = new TransientError('DynamoDB ThrottlingException');
  const repository = Object.assign(Object.create(deps.repository) as typeof deps.repository, {
    findSweepWork: async () => {
      throw refused;
    },
  });

  // Act
  const swept = sweepAll({ ...deps, repository }, BOUNDS, {
    remainingMs: () => INVOCATION_MS,
    random: () => 0,
  });

  // Assess
  await expect(swept).rejects.toBe(refused);
  expect(deps.secrets.values.has(secretName)).toBe(false);
});

it('reports its re-drives when the public-key backfill after them fails', async () => {
  // Prepare: one stalled peering, and a backfill walk that is throttled.
  const { ids, deps } = await stalledPeerings(1, () => 0);
  const repository = Object.assign(Object.create(deps.repository) as typeof deps.repository, {
    backfillPeerKeys: async () => {
      throw new TransientError('DynamoDB ThrottlingException');
    },
  });
  const warn = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);

  // Act
  const swept = await sweepTable({ ...deps, repository }, BOUNDS, {
    remainingMs: () => INVOCATION_MS,
    random: () => 0,
  });

  // Assess
  expect(swept.redriven.map((redrive) => redrive.peeringId)).toEqual(ids);
  expect(swept.peerKeys).toBeUndefined();
  expect(warn).toHaveBeenCalledWith(
    'Public-key backfill not advanced: the next sweep resumes it',
    expect.objectContaining({ errorName: 'TransientError' }),
  );
  warn.mockRestore();
});
