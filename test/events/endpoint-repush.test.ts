/**
 * "VPN Gateway Updated" moving a gateway's endpoint or changing its public key (docs/CONTRACT.md#events):
 * every peer gateway's entry for it is rewritten and a push-gateway execution started for that
 * peer at the generation holding the change, once, whatever the redeliveries. A new key held by
 * one of its peers, or by another entry on a peer gateway, refuses the update before anything changes.
 */
import type { Context } from 'aws-lambda';
import { MemoryRepository, MemoryState } from '../../lambdas/adapters/memory/repository';
import { PEER_REWRITES_IN_FLIGHT } from '../../lambdas/app/gateway-peer-walk';
import { pushExecutionName } from '../../lambdas/app/push-runs';
import { TransientError } from '../../lambdas/core/errors';
import type { GatewayRecord } from '../../lambdas/core/types';
import { toPublicGateway } from '../../lambdas/core/views';
import { handler } from '../../lambdas/handlers/gateway-events';
import { provideDependencies, resetDependencies } from '../../lambdas/shared/deps';
import { GATEWAY_UPDATED } from '../../lambdas/shared/event-patterns';
import { busEvent } from '../support/events';
import { MemoryPublications, MemorySecrets, PacedWorkflows, RecordingCommands } from '../support/fakes';
import { gatewayRecord } from '../support/gateways';
import { newPeering, publicKeyOf, roadWarrior, uniqueId } from '../support/records';

const state = new MemoryState();
const context = {} as Context;
const NOW = new Date('2025-06-01T12:00:00.000Z');
const NEW_IP = '198.51.100.77';
const NEW_KEY = publicKeyOf('rekeyed');

const updated = (gateway: GatewayRecord) =>
  busEvent(GATEWAY_UPDATED, toPublicGateway(gateway), { time: NOW });

describe('an Updated event moving a gateway endpoint', () => {
  let repository: MemoryRepository;
  let workflows: PacedWorkflows;

  beforeEach(() => {
    repository = new MemoryRepository({}, state);
    workflows = new PacedWorkflows();
    const publications = new MemoryPublications();
    provideDependencies({
      repository,
      clock: () => NOW,
      workflows,
      configStore: publications,
      instanceSecrets: publications,
      secrets: new MemorySecrets(),
      commands: new RecordingCommands(),
    });
  });

  afterAll(() => resetDependencies());

  /** A hub peered with `count` spokes, plus a road-warrior client; returns them and the peer names. */
  async function hubAndSpokes(count = 2) {
    const hub = gatewayRecord({ id: uniqueId('hub') });
    const spokes = Array.from({ length: count }, (_, at) => at + 1).map((i) =>
      gatewayRecord({
        id: uniqueId(`spoke${i}`),
        vpcCidr: `10.${200 + i}.0.0/16`,
        tunnelSubnet: `100.65.${i}.0/24`,
        tunnelIp: `100.65.${i}.1`,
      }),
    );
    for (const gateway of [hub, ...spokes]) await repository.createGateway(gateway);
    const peerings = spokes.map((spoke) => newPeering(hub, spoke));
    for (const peering of peerings) await repository.createPeering(peering);
    await repository.addRoadWarrior(roadWarrior(hub.id, 'laptop'));
    return { hub, spokes, peerNames: peerings.map((peering) => peering.sides[0].peer.name) };
  }

  /** The push-gateway start of `gateway` at `generation`, as the handler makes it. */
  const pushOf = (gateway: GatewayRecord, generation: number) => ({
    workflow: 'push-gateway',
    name: pushExecutionName(gateway.id, generation),
    input: { gatewayId: gateway.id },
  });

  const startedNames = () => workflows.starts.map((start) => start.name);

  /** NaN for a gateway that is gone: it equals nothing, so no assertion passes by accident. */
  const generationsOf = async (gateways: GatewayRecord[]): Promise<number[]> =>
    Promise.all(
      gateways.map(
        async (gateway) => (await repository.getGateway(gateway.id))?.desiredGeneration ?? Number.NaN,
      ),
    );

  it.each([
    ['publicIp', { publicIp: NEW_IP }],
    ['listenPort', { listenPort: 51999 }],
  ])('rewrites each peer gateway entry and starts its push when %s changes', async (field, change) => {
    // Prepare
    const { hub, spokes, peerNames } = await hubAndSpokes();
    const [hubBefore] = await generationsOf([hub]);
    const before = await generationsOf(spokes);
    const moved = { ...hub, ...change };
    const endpoint = `${moved.publicIp}:${moved.listenPort}`;

    // Act
    await handler(updated(moved), context);

    // Assess
    const after = await generationsOf(spokes);
    expect(after).toEqual(before.map((generation) => generation + 1));
    for (const [i, spoke] of spokes.entries()) {
      expect((await repository.getPeer(spoke.id, peerNames[i] ?? ''))?.endpoint).toBe(endpoint);
    }
    const expectedStarts = spokes.map((spoke, i) => pushOf(spoke, Number(after[i])));
    const [own] = await generationsOf([hub]);
    if (field === 'listenPort') {
      // The moved gateway's own interface listens on the new port: a new generation of its own.
      expect(own).toBe(Number(hubBefore) + 1);
      expectedStarts.push(pushOf(hub, Number(own)));
    } else {
      expect(own).toBe(hubBefore);
    }
    // Peers are visited in peer-name order, which is not the order the spokes were created in.
    expect(workflows.starts).toHaveLength(expectedStarts.length);
    expect(workflows.starts).toEqual(expect.arrayContaining(expectedStarts));
    expect(await repository.getGateway(hub.id)).toMatchObject(change);
  });

  it("gives every peer gateway's entry a new public key and starts its push", async () => {
    // Prepare
    const { hub, spokes, peerNames } = await hubAndSpokes();
    const [hubBefore] = await generationsOf([hub]);
    const before = await generationsOf(spokes);

    // Act
    await handler(updated({ ...hub, publicKey: NEW_KEY }), context);

    // Assess: the spokes render the new key; the hub's own document holds no key of its own.
    const after = await generationsOf(spokes);
    expect(after).toEqual(before.map((generation) => generation + 1));
    for (const [i, spoke] of spokes.entries()) {
      expect(await repository.getPeer(spoke.id, peerNames[i] ?? '')).toMatchObject({
        publicKey: NEW_KEY,
        endpoint: `${hub.publicIp}:${hub.listenPort}`,
      });
    }
    expect(workflows.starts).toHaveLength(spokes.length);
    expect(workflows.starts).toEqual(
      expect.arrayContaining(spokes.map((spoke, i) => pushOf(spoke, Number(after[i])))),
    );
    expect(await generationsOf([hub])).toEqual([hubBefore]);
    expect((await repository.getGateway(hub.id))?.publicKey).toBe(NEW_KEY);
  });

  it.each([
    ["the gateway's road-warrior", 'laptop'],
    ["a peer gateway's road-warrior", 'phone'],
  ])('refuses a new public key %s holds, and changes nothing', async (_case, holder) => {
    // Prepare: the hub's laptop holds its own key; a phone on a spoke is given the new key.
    const { hub, spokes, peerNames } = await hubAndSpokes();
    const [spoke] = spokes as [GatewayRecord, GatewayRecord];
    await repository.addRoadWarrior({ ...roadWarrior(spoke.id, 'phone'), publicKey: NEW_KEY });
    const heldKey = holder === 'laptop' ? roadWarrior(hub.id, 'laptop').publicKey : NEW_KEY;
    const registered = await repository.getGateway(hub.id);
    const before = await generationsOf([hub, ...spokes]);

    // Act
    const outcome = handler(updated({ ...hub, publicKey: heldKey }), context);

    // Assess: refused with the holder named, before any entry or the registry changed.
    await expect(outcome).rejects.toThrow(new RegExp(`^publicKey: is held by .*"${holder}"`));
    expect(workflows.starts).toEqual([]);
    expect(await generationsOf([hub, ...spokes])).toEqual(before);
    for (const [i, other] of spokes.entries()) {
      expect((await repository.getPeer(other.id, peerNames[i] ?? ''))?.publicKey).toBe(hub.publicKey);
    }
    expect(await repository.getGateway(hub.id)).toEqual(registered);
  });

  it('starts nothing when the endpoint is unchanged', async () => {
    // Prepare
    const { hub, spokes } = await hubAndSpokes();
    const before = await generationsOf([hub, ...spokes]);

    // Act
    await handler(updated({ ...hub, name: 'renamed' }), context);

    // Assess
    expect(workflows.starts).toEqual([]);
    expect(await generationsOf([hub, ...spokes])).toEqual(before);
    expect((await repository.getGateway(hub.id))?.name).toBe('renamed');
  });

  it.each([
    ['publicIp', { publicIp: NEW_IP }],
    ['listenPort', { listenPort: 51999 }],
    ['publicKey', { publicKey: NEW_KEY }],
  ])('bumps and starts each push once when a %s change is delivered twice', async (field, change) => {
    // Prepare
    const { hub, spokes } = await hubAndSpokes();
    const gateways = field === 'listenPort' ? [...spokes, hub] : spokes;
    const before = await generationsOf(gateways);
    const event = updated({ ...hub, ...change });

    // Act
    await handler(event, context);
    await handler(event, context);

    // Assess
    const after = await generationsOf(gateways);
    expect(after).toEqual(before.map((generation) => generation + 1));
    // The second delivery finds the registry already moved: it starts nothing more.
    const once = gateways.map((gateway, i) => pushExecutionName(gateway.id, Number(after[i])));
    expect(startedNames().sort()).toEqual(once.sort());
  });

  it('finishes on redelivery after a start failed, without bumping a generation twice', async () => {
    // Prepare
    const { hub, spokes } = await hubAndSpokes();
    const before = await generationsOf(spokes);
    const event = updated({ ...hub, publicIp: NEW_IP });
    const [first] = spokes as [GatewayRecord, GatewayRecord];
    const failing = pushExecutionName(first.id, Number(before[0]) + 1);
    workflows.failFor = (name) => name === failing;
    await expect(handler(event, context)).rejects.toThrow('cannot start');
    workflows.failFor = () => false;

    // Act
    await handler(event, context);

    // Assess
    const after = await generationsOf(spokes);
    expect(after).toEqual(before.map((generation) => generation + 1));
    // A spoke started before the failure may be started again, but only by the same name; the
    // redelivery, finding the walk owed, also starts the hub's own push at its generation (joined
    // or a no-op when it holds it already).
    const names = new Set(startedNames());
    const [hubGeneration] = await generationsOf([hub]);
    expect([...names].sort()).toEqual(
      [
        ...spokes.map((spoke, i) => pushExecutionName(spoke.id, Number(after[i]))),
        pushExecutionName(hub.id, Number(hubGeneration)),
      ].sort(),
    );
    expect((await repository.getGateway(hub.id))?.publicIp).toBe(NEW_IP);
  });

  /**
   * The hub and its spokes, and a late gateway whose peering with the hub commits right before the
   * update's registry write, with the hub's old values copied (the registry still holds them then).
   */
  async function hubWithLatePeering() {
    const { hub } = await hubAndSpokes();
    const late = gatewayRecord({ id: uniqueId('late') });
    await repository.createGateway(late);
    const peering = newPeering(hub, late);
    const upsertGateway = repository.upsertGateway.bind(repository);
    let raced = false;
    repository.upsertGateway = async (gateway) => {
      if (!raced) {
        raced = true;
        await repository.createPeering(peering);
      }
      return upsertGateway(gateway);
    };
    const lateEntry = () => repository.getPeer(late.id, peering.sides[1].peer.name);
    return { hub, late, lateEntry };
  }

  it.each([
    ['publicIp', { publicIp: NEW_IP }],
    ['publicKey', { publicKey: NEW_KEY }],
  ])('gives a %s change to a peering allocated while the update ran', async (_field, change) => {
    // Prepare
    const { hub, late, lateEntry } = await hubWithLatePeering();
    const moved = { ...hub, ...change };

    // Act
    await handler(updated(moved), context);

    // Assess: the late spoke's entry holds the new values, and its push started at that generation.
    expect(await lateEntry()).toMatchObject({
      publicKey: moved.publicKey,
      endpoint: `${moved.publicIp}:${moved.listenPort}`,
    });
    const [generation] = await generationsOf([late]);
    expect(workflows.starts).toContainEqual(pushOf(late, Number(generation)));
  });

  it.each([
    ['its rewrite was throttled', 'updateRemotePeer'],
    ['the run stopped after the registry write', 'listPeeringPeers'],
  ] as const)('gives the change to such a peering on the redelivery when %s', async (_case, failing) => {
    // Prepare: the first call of `failing` after the registry write fails, once.
    const { hub, late, lateEntry } = await hubWithLatePeering();
    const moved = { ...hub, publicIp: NEW_IP };
    const upsertGateway = repository.upsertGateway.bind(repository);
    let upserted = false;
    repository.upsertGateway = async (gateway) => {
      upserted = true;
      return upsertGateway(gateway);
    };
    const original = repository[failing].bind(repository) as (...args: unknown[]) => Promise<unknown>;
    let failed = false;
    (repository as unknown as Record<string, unknown>)[failing] = async (...args: unknown[]) => {
      // A rewrite fails at the late gateway's (the peers are rewritten side by side).
      if (upserted && !failed && (failing === 'listPeeringPeers' || args[0] === late.id)) {
        failed = true;
        throw new TransientError('throttled');
      }
      return original(...args);
    };
    await expect(handler(updated(moved), context)).rejects.toBeInstanceOf(TransientError);
    expect((await lateEntry())?.endpoint).not.toBe(`${NEW_IP}:${moved.listenPort}`);

    // Act: the event is delivered again (EventBridge's or Lambda's retry).
    await handler(updated(moved), context);

    // Assess: the late spoke's entry holds the new endpoint, and its push started at that generation.
    expect(await lateEntry()).toMatchObject({ endpoint: `${NEW_IP}:${moved.listenPort}` });
    const [generation] = await generationsOf([late]);
    expect(workflows.starts).toContainEqual(pushOf(late, Number(generation)));
  });

  it("starts the gateway's own push on the redelivery when a listenPort change stopped after the registry write", async () => {
    // Prepare: the run stops at its listing of the peers, after the registry write and before the
    // gateway's own push.
    const { hub } = await hubAndSpokes();
    const listPeeringPeers = repository.listPeeringPeers.bind(repository);
    let listings = 0;
    repository.listPeeringPeers = async (gatewayId) => {
      listings += 1;
      if (listings === 1) throw new TransientError('throttled');
      return listPeeringPeers(gatewayId);
    };
    const moved = { ...hub, listenPort: 51999 };
    await expect(handler(updated(moved), context)).rejects.toBeInstanceOf(TransientError);
    const [own] = await generationsOf([hub]);
    expect(workflows.starts).not.toContainEqual(pushOf(hub, Number(own)));

    // Act: the event is delivered again.
    await handler(updated(moved), context);

    // Assess: the hub's own interface gets the new port (no second bump), and the walk is settled.
    expect(await generationsOf([hub])).toEqual([own]);
    expect(workflows.starts).toContainEqual(pushOf(hub, Number(own)));
    expect((await repository.getGateway(hub.id))?.peerWalkOwedSince).toBeUndefined();
  });

  it('settles its walk: a later update that changes nothing peers hold walks no peer', async () => {
    // Prepare: an endpoint change given to every peer.
    const { hub } = await hubAndSpokes();
    const moved = { ...hub, publicIp: NEW_IP };
    await handler(updated(moved), context);
    const rewrites = jest.spyOn(repository, 'updateRemotePeer');

    // Act: a rename.
    await handler(updated({ ...moved, name: 'renamed' }), context);

    // Assess
    expect(rewrites).not.toHaveBeenCalled();
    expect((await repository.getGateway(hub.id))?.peerWalkOwedSince).toBeUndefined();
  });

  it('rewrites a bounded number of peer gateways at a time, and one failure stops none of the others', async () => {
    // Prepare: twelve spokes, the push of one of them throttled.
    const { hub, spokes } = await hubAndSpokes(12);
    const before = await generationsOf(spokes);
    const throttled = spokes[3] as GatewayRecord;
    workflows.throttled.add(pushExecutionName(throttled.id, Number(before[3]) + 1));

    // Act
    const outcome = handler(updated({ ...hub, publicIp: NEW_IP }), context);

    // Assess: the throttle thrown (the event is retried), every other spoke started, the bound used.
    await expect(outcome).rejects.toBeInstanceOf(TransientError);
    expect(workflows.maxInFlight).toBe(PEER_REWRITES_IN_FLIGHT);
    const others = spokes.filter((spoke) => spoke !== throttled);
    const startedFor = workflows.starts.map((start) => (start.input as { gatewayId: string }).gatewayId);
    expect(startedFor.sort()).toEqual(others.map((spoke) => spoke.id).sort());
  });

  it('skips a peer gateway that is gone', async () => {
    // Prepare
    const { hub, spokes } = await hubAndSpokes();
    const [gone, kept] = spokes as [GatewayRecord, GatewayRecord];
    await repository.deleteGateway(gone.id);

    // Act
    await handler(updated({ ...hub, publicIp: NEW_IP }), context);

    // Assess
    expect(workflows.starts.map((start) => start.input)).toEqual([{ gatewayId: kept.id }]);
  });
});
