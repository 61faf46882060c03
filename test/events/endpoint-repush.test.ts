/**
 * "VPN Gateway Updated" moving a gateway's endpoint (DESIGN §3.3): every peer gateway's entry for
 * it is rewritten and that peer's config pushed, once, whatever the redeliveries.
 */
import type { Context, EventBridgeEvent } from 'aws-lambda';
import type { DynamoRepository } from '../../lambdas/adapters/dynamodb/repository';
import type { GatewayRecord } from '../../lambdas/core/types';
import { toPublicGateway } from '../../lambdas/core/views';
import { handler } from '../../lambdas/handlers/gateway-events';
import { provideDependencies, resetDependencies } from '../../lambdas/shared/deps';
import { GATEWAY_EVENT_SOURCE, GATEWAY_UPDATED } from '../../lambdas/shared/event-patterns';
import { useDynamoDb } from '../helpers/dynamodb';
import { gatewayRecord } from '../helpers/gateways';
import { newPeering, roadWarrior, uniqueId } from '../persistence/fixtures';
import { MemoryConfigStore, RecordingCommands } from './fakes';

const db = useDynamoDb();
const context = {} as Context;
const NOW = new Date('2025-06-01T12:00:00.000Z');
const NEW_IP = '198.51.100.77';

const updated = (gateway: GatewayRecord): EventBridgeEvent<string, unknown> => ({
  version: '0',
  id: uniqueId('event'),
  'detail-type': GATEWAY_UPDATED,
  source: GATEWAY_EVENT_SOURCE,
  account: '000000000000',
  time: NOW.toISOString(),
  region: 'us-east-1',
  resources: [],
  detail: toPublicGateway(gateway),
});

describe('an Updated event moving a gateway endpoint', () => {
  let repository: DynamoRepository;
  let configStore: MemoryConfigStore;
  let commands: RecordingCommands;

  beforeEach(() => {
    repository = db.repository();
    configStore = new MemoryConfigStore();
    commands = new RecordingCommands();
    provideDependencies({ repository, clock: () => NOW, configStore, commands });
  });

  afterAll(() => resetDependencies());

  /** A hub peered with two spokes, plus a road-warrior client; returns them and the peer names. */
  async function hubAndSpokes() {
    const hub = gatewayRecord({ id: uniqueId('hub') });
    const spokes = [1, 2].map((i) =>
      gatewayRecord({
        id: uniqueId(`spoke${i}`),
        vpcCidr: `10.25${i}.0.0/16`,
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

  const generationsOf = async (gateways: GatewayRecord[]) =>
    Promise.all(
      gateways.map(async (gateway) => (await repository.getGateway(gateway.id))?.desiredGeneration),
    );

  it.each([
    ['publicIp', { publicIp: NEW_IP }],
    ['listenPort', { listenPort: 51999 }],
  ])('rewrites each peer gateway entry and pushes it when %s changes', async (field, change) => {
    // Prepare
    const { hub, spokes, peerNames } = await hubAndSpokes();
    const before = await generationsOf(spokes);
    const moved = { ...hub, ...change };
    const endpoint = `${moved.publicIp}:${moved.listenPort}`;

    // Act
    await handler(updated(moved), context);

    // Assess
    const after = await generationsOf(spokes);
    expect(after).toEqual(before.map((generation) => (generation ?? 0) + 1));
    for (const [i, spoke] of spokes.entries()) {
      expect((await repository.getPeer(spoke.id, peerNames[i] ?? ''))?.endpoint).toBe(endpoint);
      expect(configStore.documents.get(`${spoke.id}/${after[i]}`)).toContain(endpoint);
    }
    const expectedCommands = spokes.map((spoke, i) => ({
      instanceId: spoke.instanceId,
      gatewayId: spoke.id,
      generation: after[i],
      stateUri: `memory://${spoke.id}/${after[i]}`,
    }));
    if (field === 'listenPort') {
      // The moved gateway's own interface listens on the new port: its state is re-applied too.
      const [own] = await generationsOf([hub]);
      expect(configStore.documents.get(`${hub.id}/${own}`)).toContain('51999');
      expectedCommands.push({
        instanceId: hub.instanceId,
        gatewayId: hub.id,
        generation: own,
        stateUri: `memory://${hub.id}/${own}`,
      });
    }
    // Peers are visited in peer-name order, which is not the order the spokes were created in.
    expect(commands.sent).toHaveLength(expectedCommands.length);
    expect(commands.sent).toEqual(expect.arrayContaining(expectedCommands));
    expect(await repository.getGateway(hub.id)).toMatchObject(change);
  });

  it('sends nothing when the endpoint is unchanged', async () => {
    // Prepare
    const { hub, spokes } = await hubAndSpokes();
    const before = await generationsOf([hub, ...spokes]);

    // Act
    await handler(updated({ ...hub, name: 'renamed' }), context);

    // Assess
    expect(commands.sent).toEqual([]);
    expect(await generationsOf([hub, ...spokes])).toEqual(before);
    expect((await repository.getGateway(hub.id))?.name).toBe('renamed');
  });

  it('bumps and pushes once when the event is delivered twice', async () => {
    // Prepare
    const { hub, spokes } = await hubAndSpokes();
    const before = await generationsOf(spokes);
    const event = updated({ ...hub, publicIp: NEW_IP });

    // Act
    await handler(event, context);
    await handler(event, context);

    // Assess
    expect(await generationsOf(spokes)).toEqual(before.map((generation) => (generation ?? 0) + 1));
    expect(commands.sent).toHaveLength(spokes.length);
  });

  it('finishes on redelivery after a push failed, without bumping a generation twice', async () => {
    // Prepare
    const { hub, spokes } = await hubAndSpokes();
    const before = await generationsOf(spokes);
    const event = updated({ ...hub, publicIp: NEW_IP });
    commands.failFor = (command) => command.gatewayId === spokes[0]?.id;
    await expect(handler(event, context)).rejects.toThrow('cannot send');
    commands.failFor = () => false;

    // Act
    await handler(event, context);

    // Assess
    const after = await generationsOf(spokes);
    expect(after).toEqual(before.map((generation) => (generation ?? 0) + 1));
    // A spoke pushed before the failure may be pushed again, but only at the same generation.
    const pushed = new Set(commands.sent.map((command) => `${command.gatewayId}@${command.generation}`));
    expect([...pushed].sort()).toEqual(spokes.map((spoke, i) => `${spoke.id}@${after[i]}`).sort());
    expect((await repository.getGateway(hub.id))?.publicIp).toBe(NEW_IP);
  });

  it('skips a peer gateway that is gone', async () => {
    // Prepare
    const { hub, spokes } = await hubAndSpokes();
    const [gone, kept] = spokes as [GatewayRecord, GatewayRecord];
    await repository.deleteGateway(gone.id);

    // Act
    await handler(updated({ ...hub, publicIp: NEW_IP }), context);

    // Assess
    expect(commands.sent.map((command) => command.gatewayId)).toEqual([kept.id]);
  });
});
