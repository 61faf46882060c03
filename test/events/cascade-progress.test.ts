/**
 * A deleted gateway's cascade that a run cannot finish (the Lambda's timeout, a failed request)
 * stays pending, and the next run (the stream's retry, the sweep) finishes it from where the last
 * one got: a gateway with more road-warrior keys than one invocation could delete one by one, or
 * more peerings than it could start deletions for one by one, still converges, and nothing after
 * the pending mark is cleared is left to a run that may never come
 * (lambdas/app/gateway-cascade.ts, in-memory repository).
 */
import { cascadeGatewayRemoval, PEERING_DELETION_STARTS_IN_FLIGHT } from '../../lambdas/app/gateway-cascade';
import type { RemovedGateway } from '../../lambdas/app/ports';
import { TransientError } from '../../lambdas/core/errors';
import { eventDependencies } from '../support/events-fixture';
import { MemoryPublications, MemorySecrets, PacedWorkflows } from '../support/fakes';
import { gatewayWithKey } from '../support/gateways';
import { newPeering } from '../support/records';

/** What the Lambda's timeout throws. */
const timedOut = () => Object.assign(new Error('Task timed out'), { name: 'Sandbox.Timedout' });

/**
 * A secret store that runs out of time after `budget` S3 requests in one invocation: a delete is
 * one; a folder is a listing and a DeleteObjects per 1,000 secrets (S3SecretStore.deleteUnder).
 */
class DeadlineSecrets extends MemorySecrets {
  budget = Number.POSITIVE_INFINITY;

  private spend(requests: number): void {
    if (requests > this.budget) throw timedOut();
    this.budget -= requests;
  }

  override async delete(name: string): Promise<void> {
    this.spend(1);
    await super.delete(name);
  }

  override async deleteUnder(folder: string): Promise<void> {
    const names = [...this.values.keys()].filter((name) => name.startsWith(folder));
    this.spend(2 * Math.max(1, Math.ceil(names.length / 1000)));
    await super.deleteUnder(folder);
  }
}

/** Documents that cannot be deleted while `failingDeletes` lasts (a run out of time). */
class SlowPublications extends MemoryPublications {
  failingDeletes = 0;

  override async deleteThrough(gatewayId: string, generation: number): Promise<void> {
    if (this.failingDeletes > 0) {
      this.failingDeletes -= 1;
      throw timedOut();
    }
    await super.deleteThrough(gatewayId, generation);
  }
}

/**
 * Gateway A (its key in the store) with `roadWarriors` clients whose keys are in the store, a key no
 * peer entry names (its add failed), a peering with B whose preshared key is in the store (and with
 * `morePeerings` other gateways), and documents published for it; then deleted.
 */
async function deletedGateway(roadWarriors: number, morePeerings = 0) {
  const deps = {
    ...eventDependencies({
      secrets: new DeadlineSecrets(),
      publications: new SlowPublications(),
      workflows: new PacedWorkflows(),
    }),
    // The start rate's waits pass at once: these tests count lanes and runs (the rate's own are
    // test/events/fanout-pacing.test.ts).
    wait: async () => undefined,
  };
  const { repository, secrets, publications } = deps;
  const { record: a } = await gatewayWithKey(secrets, {
    tunnelSubnet: '100.64.0.0/22',
    tunnelIp: '100.64.0.1',
  });
  const { record: b } = await gatewayWithKey(secrets);
  for (const gateway of [a, b]) await repository.createGateway(gateway);
  for (let i = 0; i < roadWarriors; i++) {
    const privateKeyParam = secrets.names.roadWarriorPrivateKey(a.id, `rw-${i}`, `k${i}`);
    await secrets.putIfAbsent(privateKeyParam, 'secret');
    await repository.addRoadWarrior({
      gatewayId: a.id,
      name: `rw-${i}`,
      publicKey: `pub-${i}`,
      privateKeyParam,
      createdAt: new Date().toISOString(),
    });
  }
  const orphan = secrets.names.roadWarriorPrivateKey(a.id, 'failed-add', 'k0');
  await secrets.putIfAbsent(orphan, 'secret');
  const peering = await repository.createPeering(newPeering(a, b));
  const psk = secrets.names.presharedKey(peering.id);
  await secrets.putIfAbsent(psk, 'secret');
  const peerings = [peering];
  for (let i = 0; i < morePeerings; i++) {
    const { record: other } = await gatewayWithKey(secrets);
    await repository.createGateway(other);
    peerings.push(await repository.createPeering(newPeering(a, other)));
  }
  const removed = (await repository.deleteGateway(a.id)) as RemovedGateway;
  const target = { gatewayId: a.id, instanceId: a.instanceId };
  for (const generation of [1, removed.desiredGeneration]) await publications.put(target, generation, '{}');
  return { deps, a, b, removed, orphan, psk, peering, peerings };
}

/** Runs the cascade up to `attempts` times, each with `budget` secret requests; how many it took. */
async function runUntilDone(
  deps: Awaited<ReturnType<typeof deletedGateway>>['deps'],
  removed: RemovedGateway,
  budget: number,
  attempts: number,
): Promise<number> {
  for (let attempt = 1; attempt <= attempts; attempt++) {
    deps.secrets.budget = budget;
    try {
      await cascadeGatewayRemoval(deps, removed);
      return attempt;
    } catch {}
  }
  return Number.POSITIVE_INFINITY;
}

it('finishes the cascade of a gateway with more road-warrior keys than one run could delete one by one', async () => {
  // Prepare: 300 keys stand for the ~10,000 of a large hub; one run gets through 200 requests.
  const { deps, a, b, removed, orphan, psk, peering } = await deletedGateway(300);

  // Act: the stream's first attempt and 5 retries.
  const attempts = await runUntilDone(deps, removed, 200, 6);

  // Assess: done at once, every key under A's folder gone, the one no entry named included.
  expect(attempts).toBe(1);
  expect(await deps.repository.isGatewayCascadePending(a.id)).toBe(false);
  const left = [...deps.secrets.values.keys()];
  expect(left.filter((name) => name.startsWith(deps.secrets.names.gatewayFolder(a.id)))).toEqual([]);
  expect(left).not.toContain(orphan);
  // B's key stays; the peering's preshared key is its delete-peering workflow's (Release) to delete.
  expect(left.sort()).toEqual([b.privateKeyParam, psk].sort());
  expect(deps.workflows.starts.map((start) => start.name)).toEqual([`delete-${peering.id}`]);
});

it('keeps the cascade pending until its documents are deleted and the teardown is sent, and the next run finishes it', async () => {
  // Prepare
  const { deps, a, removed } = await deletedGateway(2);
  deps.configStore.failingDeletes = 1;

  // Act: a run out of time while it deletes the documents, then one whose teardown is refused.
  const outOfTime = await cascadeGatewayRemoval(deps, removed).catch((error: Error) => error.name);
  const pendingAfterTimeout = await deps.repository.isGatewayCascadePending(a.id);
  deps.commands.failingTeardowns = 1;
  const refused = await cascadeGatewayRemoval(deps, removed).catch((error: Error) => error.name);
  const pendingAfterRefusal = await deps.repository.isGatewayCascadePending(a.id);
  const documentsAfterRefusal = [...(deps.configStore.documents.get(a.id)?.keys() ?? [])];
  const finished = await cascadeGatewayRemoval(deps, removed);

  // Assess: the mark stays until everything is done; the last run sends the teardown and ends it.
  expect(outOfTime).toBe('Sandbox.Timedout');
  expect(pendingAfterTimeout).toBe(true);
  expect(refused).toBe('TransientError');
  expect(pendingAfterRefusal).toBe(true);
  expect(documentsAfterRefusal).toEqual([]);
  expect(finished).toEqual({ commandId: 'teardown-1' });
  expect(deps.commands.teardowns).toEqual([
    { gatewayId: a.id, instanceId: a.instanceId, generation: removed.desiredGeneration },
  ]);
  expect(await deps.repository.isGatewayCascadePending(a.id)).toBe(false);
});

/** The delete-peering execution names of `peerings`, sorted. */
const deletionNames = (peerings: readonly { id: string }[]) =>
  peerings.map((peering) => `delete-${peering.id}`).sort();

it('starts the deletion of every peering of a gateway with many, a bounded number at a time', async () => {
  // Prepare: 60 peerings stand for the thousands of a hub (its /22 tunnel subnet holds ~1,000).
  const { deps, a, removed, peerings } = await deletedGateway(0, 59);

  // Act
  await cascadeGatewayRemoval(deps, removed);

  // Assess: each started once, never more than the bound in flight, and the bound used.
  const started = deps.workflows.starts.map((start) => start.name).sort();
  expect(started).toEqual(deletionNames(peerings));
  expect(deps.workflows.maxInFlight).toBe(PEERING_DELETION_STARTS_IN_FLIGHT);
  expect(await deps.repository.isGatewayCascadePending(a.id)).toBe(false);
});

it('starts the other peerings deletions when one is throttled, keeps the cascade pending, and the next run starts only what is left', async () => {
  // Prepare
  const { deps, a, removed, peerings } = await deletedGateway(1, 29);
  const throttled = `delete-${peerings[3]?.id}`;
  deps.workflows.throttled.add(throttled);

  // Act: a run whose one start is throttled; the workflows it started detach their peerings (their
  // first step, as delete-peering's Detach does); then the stream's retry.
  const failed = await cascadeGatewayRemoval(deps, removed).catch((error: Error) => error);
  const startedByFailedRun = deps.workflows.starts.map((start) => start.name).sort();
  const pendingAfterFailure = await deps.repository.isGatewayCascadePending(a.id);
  const peersAfterFailure = (await deps.repository.listPeers(a.id)).length;
  for (const peering of peerings) {
    if (`delete-${peering.id}` !== throttled) await deps.repository.detachPeering(peering.id);
  }
  deps.workflows.throttled.clear();
  deps.workflows.starts.length = 0;
  await cascadeGatewayRemoval(deps, removed);

  // Assess: every other peering started in the failed run, which failed as throttled (the error
  // the stream and the sweep retry) and purged nothing; the retry started the one left and ended.
  expect(failed).toBeInstanceOf(TransientError);
  expect(startedByFailedRun).toEqual(deletionNames(peerings).filter((name) => name !== throttled));
  expect(pendingAfterFailure).toBe(true);
  expect(peersAfterFailure).toBe(31);
  expect(deps.workflows.starts.map((start) => start.name)).toEqual([throttled]);
  expect(await deps.repository.isGatewayCascadePending(a.id)).toBe(false);
});
