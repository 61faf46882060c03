import type { Context } from 'aws-lambda';
import { MemoryRepository, MemoryState } from '../../lambdas/adapters/memory/repository';
import { ValidationError } from '../../lambdas/core/errors';
import type { Gateway } from '../../lambdas/core/types';
import { toPublicGateway } from '../../lambdas/core/views';
import { handler } from '../../lambdas/handlers/gateway-events';
import { provideDependencies, resetDependencies } from '../../lambdas/shared/deps';
import { GATEWAY_DELETED, GATEWAY_UPDATED } from '../../lambdas/shared/event-patterns';
import { busEvent } from '../support/events';
import { MemoryPublications, MemorySecrets, RecordingCommands, RecordingWorkflows } from '../support/fakes';
import { gatewayRecord } from '../support/gateways';

const state = new MemoryState();
const context = {} as Context;
const NOW = new Date('2025-06-01T12:00:00.000Z');

const event = (detailType: string, detail: unknown) => busEvent(detailType, detail, { time: NOW });

/** The Gateway an "Updated" event carries: the API shape, no bookkeeping. */
const updatedGateway = (): Gateway => toPublicGateway(gatewayRecord());

describe('gateway-events handler', () => {
  let repository: MemoryRepository;

  beforeEach(() => {
    repository = new MemoryRepository({}, state);
    const publications = new MemoryPublications();
    provideDependencies({
      repository,
      clock: () => NOW,
      workflows: new RecordingWorkflows(),
      configStore: publications,
      instanceSecrets: publications,
      secrets: new MemorySecrets(),
      commands: new RecordingCommands(),
    });
  });

  afterAll(() => resetDependencies());

  it('deletes the gateway item, and a second delivery is a no-op', async () => {
    // Prepare
    const gateway = gatewayRecord();
    await repository.createGateway(gateway);

    // Act
    await handler(event(GATEWAY_DELETED, { gatewayId: gateway.id }), context);
    const again = handler(event(GATEWAY_DELETED, { gatewayId: gateway.id }), context);

    // Assess
    await expect(again).resolves.toBeUndefined();
    expect(await repository.getGateway(gateway.id)).toBeUndefined();
  });

  it.each([
    ['no detail object', 'gw-1', 'detail'],
    ['no gatewayId', {}, 'detail.gatewayId'],
    ['a gatewayId that is no identifier', { gatewayId: 'GW#x' }, 'detail.gatewayId'],
  ])('refuses a Deleted event with %s', async (_case, detail, field) => {
    // Act
    const outcome = handler(event(GATEWAY_DELETED, detail), context);

    // Assess
    await expect(outcome).rejects.toThrow(ValidationError);
    await expect(outcome).rejects.toThrow(`${field}: `);
  });

  it('refuses an event of another detail-type', async () => {
    // Act
    const outcome = handler(event('VPN Gateway Created', { gatewayId: 'gw-1' }), context);

    // Assess
    await expect(outcome).rejects.toThrow(ValidationError);
  });

  it('registers a gateway from an Updated event it does not know yet', async () => {
    // Prepare
    const gateway = updatedGateway();

    // Act
    await handler(event(GATEWAY_UPDATED, gateway), context);

    // Assess
    expect(await repository.getGateway(gateway.id)).toEqual({
      ...gateway,
      desiredGeneration: 0,
      privateKeyParam: null,
      createdAt: NOW.toISOString(),
      updatedAt: NOW.toISOString(),
      // The event's time: an older update is ignored.
      updateEventTime: NOW.toISOString(),
      // Nothing replaced in that second yet.
      replacedInUpdateSecond: { instanceIds: [], publicKeys: [] },
    });
  });

  it('drops an Updated event that arrives after the Deleted one, without re-creating the gateway', async () => {
    // Prepare
    const gateway = updatedGateway();
    await handler(event(GATEWAY_UPDATED, gateway), context);
    await handler(event(GATEWAY_DELETED, { gatewayId: gateway.id }), context);

    // Act: resolves (no retry, no dead letter) and stores nothing.
    await handler(event(GATEWAY_UPDATED, { ...gateway, name: 'late' }), context);

    // Assess
    expect(await repository.getGateway(gateway.id)).toBeUndefined();
  });

  it('updates the registry fields and keeps the bookkeeping', async () => {
    // Prepare
    const gateway = gatewayRecord({
      desiredGeneration: 7,
      privateKeyParam: '/vpc-peering/gateways/x/private-key',
    });
    await repository.createGateway(gateway);
    const fields = toPublicGateway(gateway);

    // Act
    await handler(event(GATEWAY_UPDATED, { ...fields, publicIp: '198.51.100.7', status: 'ERROR' }), context);

    // Assess
    expect(await repository.getGateway(gateway.id)).toEqual({
      ...gateway,
      publicIp: '198.51.100.7',
      status: 'ERROR',
      updatedAt: NOW.toISOString(),
      // A new endpoint: the road-warriors' configs downloaded before are outdated.
      clientConfigChangedAt: NOW.toISOString(),
      updateEventTime: NOW.toISOString(),
      replacedInUpdateSecond: { instanceIds: [], publicKeys: [] },
    });
  });

  it.each([
    // Nothing the new instance has not applied may pass for applied (activation reads it).
    [
      'forgets',
      'moves to another instance',
      (fields: Gateway) => ({ instanceId: `${fields.instanceId}-new` }),
      undefined,
    ],
    ['keeps', 'stays on its instance', () => ({ status: 'ERROR' }), 7],
  ])('%s what the instance applied and reported when the gateway %s', async (_verb, _case, change, kept) => {
    // Prepare: the instance applied and reported generation 7.
    const gateway = gatewayRecord({ desiredGeneration: 7 });
    await repository.createGateway(gateway);
    const at = NOW.toISOString();
    await repository.recordApplied({ gatewayId: gateway.id, appliedGeneration: 7, appliedAt: at });
    await repository.putStatusReport({
      gatewayId: gateway.id,
      appliedGeneration: 7,
      mode: 'wireguard',
      peers: [],
      reportedAt: at,
    });
    const fields = toPublicGateway(gateway);

    // Act
    await handler(event(GATEWAY_UPDATED, { ...fields, ...change(fields) }), context);

    // Assess
    expect((await repository.getAppliedGeneration(gateway.id))?.appliedGeneration).toBe(kept);
    expect((await repository.getStatusReport(gateway.id))?.appliedGeneration).toBe(kept);
  });

  it.each([
    ['vpcCidr', { vpcCidr: '10.99.0.0/16' }],
    ['ownerId', { ownerId: 'user-2' }],
    ['publicKey', { publicKey: 'HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=' }],
  ])('refuses an update changing %s of a registered gateway', async (field, change) => {
    // Prepare
    const gateway = gatewayRecord({
      privateKeyParam: '/vpc-peering/gateways/x/private-key',
    });
    await repository.createGateway(gateway);
    const fields = toPublicGateway(gateway);

    // Act
    const outcome = handler(event(GATEWAY_UPDATED, { ...fields, ...change }), context);

    // Assess
    await expect(outcome).rejects.toThrow(`${field}: `);
    expect(await repository.getGateway(gateway.id)).toEqual(gateway);
  });

  it.each([
    ['without an id', { id: undefined }, 'id'],
    ['with an invalid CIDR', { vpcCidr: '10.0.0.0/33' }, 'vpcCidr'],
    ['with an unknown field', { privateKey: 'x' }, 'privateKey'],
  ])('refuses an Updated event %s and stores nothing', async (_case, change, field) => {
    // Prepare
    const gateway = updatedGateway();

    // Act
    const outcome = handler(event(GATEWAY_UPDATED, { ...gateway, ...change }), context);

    // Assess
    await expect(outcome).rejects.toThrow(ValidationError);
    await expect(outcome).rejects.toThrow(`${field}: `);
    expect(await repository.getGateway(gateway.id)).toBeUndefined();
  });
});
