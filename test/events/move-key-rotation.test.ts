/**
 * A move rotates the moved gateway's preshared keys (lambdas/app/preshared-key-rotation.ts;
 * docs/DECISIONS.md, "A move rotates the moved gateway's preshared keys"; docs/SECURITY.md): every
 * peering of the moved gateway gets a new key under a new name on both its entries, the old key is
 * deleted, each peer gateway is pushed, a redelivered or resumed move rotates nothing more, and no
 * name is given twice (docs/DECISIONS.md, "A rotated preshared key's name is never given twice").
 */
import { MemoryAudit } from '../../lambdas/adapters/local/memory-audit';
import { MemoryRepository, type MemoryState } from '../../lambdas/adapters/memory/repository';
import { gatewayUpdated } from '../../lambdas/app/gateway-lifecycle';
import { releasePeering } from '../../lambdas/app/peering-teardown';
import { pushExecutionName } from '../../lambdas/app/push-runs';
import { isPeeringKeyName } from '../../lambdas/core/secret-scope';
import type { GatewayRecord } from '../../lambdas/core/types';
import { toPublicGateway } from '../../lambdas/core/views';
import { MemoryPublications, MemorySecrets, RecordingCommands, RecordingWorkflows } from '../support/fakes';
import { gatewayRecord } from '../support/gateways';
import { newPeering } from '../support/records';

const NOW = new Date('2026-12-05T12:00:00.000Z');
const NEW_INSTANCE = 'i-0new';
const OLD_VALUE = 'old-preshared-key-the-old-instance-read';

let repository: MemoryRepository;
let publications: MemoryPublications;
let workflows: RecordingWorkflows;
let secrets: MemorySecrets;
const deps = () => {
  return {
    repository,
    clock: () => NOW,
    workflows,
    commands: new RecordingCommands(),
    configStore: publications,
    instanceSecrets: publications,
    secrets,
  };
};

beforeEach(() => {
  repository = new MemoryRepository();
  publications = new MemoryPublications();
  workflows = new RecordingWorkflows(publications);
  secrets = new MemorySecrets();
});

interface Peered {
  gateway: GatewayRecord;
  peers: GatewayRecord[];
  peeringIds: string[];
  oldName: (peeringId: string) => string;
}

/** A gateway on its instance with a peering to each of two peer gateways, their keys stored. */
async function peeredGateway(): Promise<Peered> {
  const gateway = gatewayRecord({ desiredGeneration: 7 });
  const peers = [gatewayRecord(), gatewayRecord()];
  for (const record of [gateway, ...peers]) await repository.createGateway(record);
  await repository.claimInstance(gateway.instanceId, gateway.id);
  const peeringIds: string[] = [];
  for (const peer of peers) {
    const peering = newPeering(gateway, peer);
    await repository.createPeering(peering);
    await secrets.putIfAbsent(peering.presharedKeyParam, OLD_VALUE);
    peeringIds.push(peering.id);
  }
  return { gateway, peers, peeringIds, oldName: (id) => secrets.names.presharedKey(id) };
}

const movedTo = (gateway: GatewayRecord, instanceId: string) => ({ ...toPublicGateway(gateway), instanceId });

/**
 * The gateway's move to NEW_INSTANCE, run once with the repository's `step` throttled: the run
 * stops there and throws, its mark kept for the event's retry.
 */
async function moveStoppedAt(
  gateway: GatewayRecord,
  step: 'settleMove' | 'switchPresharedKey',
): Promise<void> {
  const throttled = jest
    .spyOn(repository, step)
    .mockRejectedValue(new Error('ProvisionedThroughputExceeded'));
  try {
    await expect(gatewayUpdated(deps(), movedTo(gateway, NEW_INSTANCE))).rejects.toThrow('Provisioned');
  } finally {
    throttled.mockRestore();
  }
}

/** The key name each side's entry of the peering holds. */
async function namesHeld(gatewayIds: [string, string], peeringId: string): Promise<(string | null)[]> {
  const entries = await Promise.all(
    gatewayIds.map((id) => repository.getPeer(id, `vpc-peering-${peeringId}`)),
  );
  return entries.map((entry) => entry?.presharedKeyParam ?? null);
}

it('gives every peering of the moved gateway a new key on both entries, deletes the old one and pushes each peer gateway', async () => {
  // Prepare
  const { gateway, peers, peeringIds, oldName } = await peeredGateway();

  // Act
  const update = await gatewayUpdated(deps(), movedTo(gateway, NEW_INSTANCE));

  // Assess: one new name per peering, its own peering's, on both entries, stored with a new value.
  for (const [index, peeringId] of peeringIds.entries()) {
    const peer = peers[index] as GatewayRecord;
    const [own, theirs] = await namesHeld([gateway.id, peer.id], peeringId);
    expect(own).toBe(theirs);
    expect(own).not.toBe(oldName(peeringId));
    expect(isPeeringKeyName(own ?? '', `vpc-peering-${peeringId}`)).toBe(true);
    expect(secrets.values.get(own ?? '')).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(secrets.values.has(oldName(peeringId))).toBe(false);
    // The peer gateway's push starts at the generation holding its new key (its first: 1, then 2).
    expect(workflows.starts.map((start) => start.name)).toContain(pushExecutionName(peer.id, 2));
  }
  // The moved gateway's own pushes: one at the move's generation, started before the walk (the keys
  // the peer gateways still hold), and one after both switches, each of which moved its generation,
  // at the generation holding them: it renders the new names.
  const moved = update.gateway.desiredGeneration;
  const own = update.pushes.filter((push) => push.gatewayId === gateway.id);
  expect(own.map((push) => push.generation)).toEqual([moved, moved + 2]);
  expect(update.pushes[0]).toMatchObject({ gatewayId: gateway.id, generation: moved });
  expect((await repository.getGateway(gateway.id))?.desiredGeneration).toBe(moved + 2);
  expect(
    repository.listSecretCleanups(new Date(NOW.getTime() + 3_600_000).toISOString(), 10),
  ).resolves.toEqual([]);
});

it("starts the new instance's push before the walk switches a key, and its last push after the walk", async () => {
  // Prepare: the pushes of the moved gateway started by the time each switch is asked for.
  const { gateway } = await peeredGateway();
  const hubPushes = () =>
    workflows.starts.filter((start) => (start.input as { gatewayId: string }).gatewayId === gateway.id);
  const seenAtSwitch: number[] = [];
  const switchKey = repository.switchPresharedKey.bind(repository);
  repository.switchPresharedKey = async (...args) => {
    seenAtSwitch.push(hubPushes().length);
    return switchKey(...args);
  };

  // Act
  const update = await gatewayUpdated(deps(), movedTo(gateway, NEW_INSTANCE));

  // Assess: the new instance is pushed at the move's generation before either switch (it serves
  // the keys the peer gateways still hold), then at the generation holding both.
  const moved = update.gateway.desiredGeneration;
  expect(seenAtSwitch).toEqual([1, 1]);
  expect(hubPushes().map((start) => start.name)).toEqual([
    pushExecutionName(gateway.id, moved),
    pushExecutionName(gateway.id, moved + 2),
  ]);
});

it('rotates nothing more when the move is delivered again', async () => {
  // Prepare
  const { gateway, peers, peeringIds } = await peeredGateway();
  await gatewayUpdated(deps(), movedTo(gateway, NEW_INSTANCE));
  const peeringId = peeringIds[0] as string;
  const [name] = await namesHeld([gateway.id, (peers[0] as GatewayRecord).id], peeringId);
  const value = secrets.values.get(name ?? '');
  const generations = await Promise.all([gateway, ...peers].map((g) => repository.getGateway(g.id)));

  // Act
  await gatewayUpdated(deps(), movedTo(gateway, NEW_INSTANCE));

  // Assess: the same (rotated) name and value, no generation moved.
  expect(name).not.toBe(secrets.names.presharedKey(peeringId));
  expect(await namesHeld([gateway.id, (peers[0] as GatewayRecord).id], peeringId)).toEqual([name, name]);
  expect(secrets.values.get(name ?? '')).toBe(value);
  const after = await Promise.all([gateway, ...peers].map((g) => repository.getGateway(g.id)));
  expect(after.map((g) => g?.desiredGeneration)).toEqual(generations.map((g) => g?.desiredGeneration));
});

it('rotates each peering once when the run stopped after its walk and the redelivery resumes the move', async () => {
  // Prepare: the first run switches every key, then stops before settling the move.
  const { gateway, peers, peeringIds } = await peeredGateway();
  await moveStoppedAt(gateway, 'settleMove');
  const before = await Promise.all(
    peeringIds.map((id, index) => namesHeld([gateway.id, (peers[index] as GatewayRecord).id], id)),
  );
  const values = before.map(([name]) => secrets.values.get(name ?? ''));
  const peerGenerations = await Promise.all(peers.map((peer) => repository.getGateway(peer.id)));

  // Act: the event's retry finds the move's mark and resumes it.
  await gatewayUpdated(deps(), movedTo(gateway, NEW_INSTANCE));

  // Assess: the same (rotated) names and values on every entry; no peer gateway's generation moved.
  expect(before.map(([name], index) => name === secrets.names.presharedKey(peeringIds[index] ?? ''))).toEqual(
    [false, false],
  );
  const after = await Promise.all(
    peeringIds.map((id, index) => namesHeld([gateway.id, (peers[index] as GatewayRecord).id], id)),
  );
  expect(after).toEqual(before);
  expect(before.map(([name]) => secrets.values.get(name ?? ''))).toEqual(values);
  const peerAfter = await Promise.all(peers.map((peer) => repository.getGateway(peer.id)));
  expect(peerAfter.map((g) => g?.desiredGeneration)).toEqual(
    peerGenerations.map((g) => g?.desiredGeneration),
  );
  expect((await repository.getGateway(gateway.id))?.unfinishedMove).toBeUndefined();
});

it('skips a peering deleted while the move walked its peers, and leaves no key of it behind', async () => {
  // Prepare: the peering is released after the walk listed the moved gateway's entries.
  const { gateway, peeringIds, oldName } = await peeredGateway();
  const gone = peeringIds[0] as string;
  const list = repository.listPeeringPeers.bind(repository);
  repository.listPeeringPeers = async (gatewayId) => {
    const listed = await list(gatewayId);
    await repository.detachPeering(gone);
    await repository.releasePeering(gone, { deleteRecord: true });
    await secrets.deleteUnder(secrets.names.peeringFolder(gone));
    return listed;
  };

  // Act
  const update = await gatewayUpdated(deps(), movedTo(gateway, NEW_INSTANCE));

  // Assess: no entry written back, no key of that peering left, the other peering rotated.
  expect(await repository.getPeer(gateway.id, `vpc-peering-${gone}`)).toBeUndefined();
  expect([...secrets.values.keys()].filter((name) => name.includes(`/peerings/${gone}/`))).toEqual([]);
  const kept = peeringIds[1] as string;
  expect((await repository.getPeer(gateway.id, `vpc-peering-${kept}`))?.presharedKeyParam).not.toBe(
    oldName(kept),
  );
  expect(update.gateway.instanceId).toBe(NEW_INSTANCE);
});

it("deletes every key a peering had when it is deleted after a move, a stopped run's leftover included", async () => {
  // Prepare: moved twice, and a key a stopped run wrote and never switched (a leftover).
  const { gateway, peeringIds } = await peeredGateway();
  await gatewayUpdated(deps(), movedTo(gateway, NEW_INSTANCE));
  await gatewayUpdated(deps(), movedTo(gateway, 'i-0third'));
  const peeringId = peeringIds[0] as string;
  await secrets.putIfAbsent(secrets.names.presharedKey(peeringId, 'ffffffffffffffff'), 'leftover');
  await repository.detachPeering(peeringId);

  // Act
  await releasePeering({ repository, secrets, audit: new MemoryAudit() }, { peeringId, deleteRecord: true });

  // Assess
  expect(
    [...secrets.values.keys()].filter((name) => name.startsWith(secrets.names.peeringFolder(peeringId))),
  ).toEqual([]);
  expect(
    [...secrets.values.keys()].filter((name) => name.includes(`/peerings/${peeringIds[1]}/`)),
  ).toHaveLength(1);
});

/** The gateway's peer gateway `peer` moves too (its instance claimed first): its walk rotates their peering. */
async function movePeer(peer: GatewayRecord, instanceId: string): Promise<void> {
  const current = (await repository.getGateway(peer.id)) as GatewayRecord;
  if (current.instanceId === peer.instanceId) await repository.claimInstance(peer.instanceId, peer.id);
  await gatewayUpdated(deps(), movedTo(current, instanceId));
}

it("never gives a peering's key name twice when the peer gateway moved between a stopped run and its resume (review s20e)", async () => {
  // Prepare: the gateway's move stops after its walk (throttled settle); then peer gateway B moves
  // and rotates their peering to its own name before the gateway's event is retried.
  const { gateway, peers, peeringIds, oldName } = await peeredGateway();
  const b = peers[0] as GatewayRecord;
  const peeringId = peeringIds[0] as string;
  await moveStoppedAt(gateway, 'settleMove');
  const [byGateway] = await namesHeld([gateway.id, b.id], peeringId);
  await movePeer(b, 'i-0b2');
  const [byB] = await namesHeld([gateway.id, b.id], peeringId);
  const valueByB = secrets.values.get(byB ?? '');

  // Act: the event's retry resumes the gateway's move from its mark.
  await gatewayUpdated(deps(), movedTo(gateway, NEW_INSTANCE));

  // Assess: the peering is not switched back to the name the gateway gave it first (an instance
  // may hold and cache that name's first value); both entries agree on a name never given before.
  const [after, theirs] = await namesHeld([gateway.id, b.id], peeringId);
  expect(theirs).toBe(after);
  expect(new Set([oldName(peeringId), byGateway, byB, after]).size).toBe(4);
  expect(secrets.values.has(byGateway ?? '')).toBe(false);
  expect(secrets.values.get(after ?? '')).toMatch(/^[A-Za-z0-9+/]{43}=$/);
  expect(secrets.values.get(after ?? '')).not.toBe(valueByB);
  expect((await repository.getGateway(gateway.id))?.unfinishedMove).toBeUndefined();
});

it('leaves a peering the peer gateway rotated after the walk read it, and deletes the key written for it', async () => {
  // Prepare: peer gateway B's move rotates their peering right after the gateway's walk listed its
  // entries (after the gateway's registry write, so B's key never went to the old instance).
  const { gateway, peers, peeringIds } = await peeredGateway();
  const b = peers[0] as GatewayRecord;
  const peeringId = peeringIds[0] as string;
  const list = repository.listPeeringPeers.bind(repository);
  let byB: string | null | undefined;
  repository.listPeeringPeers = async (gatewayId) => {
    const listed = await list(gatewayId);
    if (gatewayId === gateway.id) {
      repository.listPeeringPeers = list;
      await movePeer(b, 'i-0b2');
      [byB] = await namesHeld([gateway.id, b.id], peeringId);
    }
    return listed;
  };
  const bGeneration = async () => (await repository.getGateway(b.id))?.desiredGeneration;

  // Act
  await gatewayUpdated(deps(), movedTo(gateway, NEW_INSTANCE));

  // Assess: B's name stays on both entries, the only key of the peering; B is pushed where it is.
  expect(await namesHeld([gateway.id, b.id], peeringId)).toEqual([byB, byB]);
  const keysOfPeering = [...secrets.values.keys()].filter((name) => name.includes(`/peerings/${peeringId}/`));
  expect(keysOfPeering).toEqual([byB]);
  expect(workflows.starts.map((start) => start.name)).toContain(
    pushExecutionName(b.id, (await bGeneration()) ?? 0),
  );
});

it('gives the same new name once when the run stopped between writing a key and its switch', async () => {
  // Prepare: the first run's switches fail (throttled) after their keys were written.
  const { gateway, peers, peeringIds, oldName } = await peeredGateway();
  const peeringId = peeringIds[0] as string;
  const b = peers[0] as GatewayRecord;
  await moveStoppedAt(gateway, 'switchPresharedKey');
  const unswitched = [...secrets.values.keys()].filter(
    (name) => name.includes(`/peerings/${peeringId}/`) && name !== oldName(peeringId),
  );
  const bGeneration = (await repository.getGateway(b.id))?.desiredGeneration ?? 0;

  // Act: the event's retry resumes the move.
  await gatewayUpdated(deps(), movedTo(gateway, NEW_INSTANCE));
  await gatewayUpdated(deps(), movedTo(gateway, NEW_INSTANCE));

  // Assess: the key never given is the one switched in, once (the peer's generation moved once),
  // and the only key of the peering left.
  expect(unswitched).toHaveLength(1);
  expect(await namesHeld([gateway.id, b.id], peeringId)).toEqual([unswitched[0], unswitched[0]]);
  expect((await repository.getGateway(b.id))?.desiredGeneration).toBe(bGeneration + 1);
  expect([...secrets.values.keys()].filter((name) => name.includes(`/peerings/${peeringId}/`))).toEqual(
    unswitched,
  );
});

/**
 * The maps and sets of `state` put back as `snapshot` (a structuredClone of it) held them: a
 * restore of the table alone. The clone's collections come from another realm than jest's, so they
 * are read as iterables, not tested with instanceof.
 */
function restoreTable(state: MemoryState, snapshot: MemoryState): void {
  for (const [name, saved] of Object.entries(snapshot)) {
    const live: unknown = Reflect.get(state, name);
    if (live instanceof Map) {
      live.clear();
      for (const [key, value] of saved as Iterable<[unknown, unknown]>) live.set(key, value);
    } else if (live instanceof Set) {
      live.clear();
      for (const value of saved as Iterable<unknown>) live.add(value);
    }
  }
}

it('gives names never given before when a move is replayed over a table restored to before it (review s20f)', async () => {
  // Prepare: the table as it was before the move, the move done (its keys rotated, the old ones
  // deleted), then the table restored; the secret store is not (README "Restoring the table").
  const { gateway, peers, peeringIds, oldName } = await peeredGateway();
  const b = peers[0] as GatewayRecord;
  const peeringId = peeringIds[0] as string;
  const beforeMove = structuredClone(repository.state);
  await gatewayUpdated(deps(), movedTo(gateway, NEW_INSTANCE));
  const [givenFirst] = await namesHeld([gateway.id, b.id], peeringId);
  restoreTable(repository.state, beforeMove);

  // Act: the move's Updated replayed, as the runbook says
  await gatewayUpdated(deps(), movedTo(gateway, NEW_INSTANCE));

  // Assess: both entries agree on a name neither the first move nor the peering's creation gave
  // (the generations went back with the table, and the same generation retired the old instance).
  const [after, theirs] = await namesHeld([gateway.id, b.id], peeringId);
  expect(theirs).toBe(after);
  expect(new Set([oldName(peeringId), givenFirst, after]).size).toBe(3);
  expect(secrets.values.get(after ?? '')).toMatch(/^[A-Za-z0-9+/]{43}=$/);
});
