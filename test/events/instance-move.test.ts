/**
 * "VPN Gateway Updated" moving a gateway to another instance (lambdas/app/gateway-lifecycle.ts,
 * docs/SECURITY.md "A gateway moved to another instance"): the old instance loses what was
 * published for it (documents, secret copies) and is torn down, and the new one is pushed the
 * gateway's configuration at a generation of its own, whatever the crashes and redeliveries.
 */
import type { Context } from 'aws-lambda';
import type { MemoryRepository } from '../../lambdas/adapters/memory/repository';
import { gatewayUpdated } from '../../lambdas/app/gateway-lifecycle';
import { pushExecutionName } from '../../lambdas/app/push-runs';
import type { GatewayRecord } from '../../lambdas/core/types';
import { toPublicGateway } from '../../lambdas/core/views';
import { handler } from '../../lambdas/handlers/gateway-events';
import { GATEWAY_UPDATED } from '../../lambdas/shared/event-patterns';
import { busEvent } from '../support/events';
import { useEventDependencies } from '../support/events-fixture';
import type { MemoryPublications, RecordingCommands, RecordingWorkflows } from '../support/fakes';
import { gatewayRecord } from '../support/gateways';
import { newPeering } from '../support/records';

const NOW = new Date('2026-12-05T12:00:00.000Z');
const NEW_INSTANCE = 'i-0new';
const KEY = '/vpc-peering/gateways/x/private-key';
const PSK = '/vpc-peering/peerings/p-1/psk';

const deps = useEventDependencies(() => ({ clock: () => NOW }));
let repository: MemoryRepository;
let workflows: RecordingWorkflows;
let commands: RecordingCommands;
let publications: MemoryPublications;
beforeEach(() => {
  ({ repository, workflows, commands, publications } = deps());
});

/**
 * A gateway at generation 7 on its instance (which it holds), pushed there: documents 6 and 7
 * published, its key and a preshared key delivered, the push recorded.
 */
async function servedGateway(): Promise<GatewayRecord> {
  const gateway = gatewayRecord({ desiredGeneration: 7, privateKeyParam: KEY });
  await repository.createGateway(gateway);
  await repository.claimInstance(gateway.instanceId, gateway.id);
  const target = { gatewayId: gateway.id, instanceId: gateway.instanceId };
  for (const generation of [6, 7]) await publications.put(target, generation, `{"generation":${generation}}`);
  await publications.deliver(target, [KEY, PSK]);
  await repository.recordPushSent({
    ...target,
    commandId: 'cmd-7',
    generation: 7,
    sentAt: NOW.toISOString(),
  });
  return gateway;
}

const movedTo = (gateway: GatewayRecord, instanceId: string) => ({ ...toPublicGateway(gateway), instanceId });

it('withdraws the old instance copies and documents, tears it down and pushes the new instance at a generation of its own', async () => {
  // Prepare
  const gateway = await servedGateway();

  // Act
  const update = await gatewayUpdated(deps(), movedTo(gateway, NEW_INSTANCE));

  // Assess: the new instance starts at 8, above everything the old one was or can still be pushed.
  expect(update.gateway).toMatchObject({ instanceId: NEW_INSTANCE, desiredGeneration: 8 });
  expect(publications.copies.get(gateway.id)).toBeUndefined();
  // 6 and 7 gone; 8 is the new instance's push's (published by the fake's start).
  expect([...(publications.documents.get(gateway.id)?.keys() ?? [])]).toEqual([8]);
  expect(commands.teardowns).toEqual([
    { gatewayId: gateway.id, instanceId: gateway.instanceId, generation: 8 },
  ]);
  expect(update.pushes).toEqual([
    { gatewayId: gateway.id, generation: 8, executionId: `execution:${pushExecutionName(gateway.id, 8)}` },
  ]);
  expect(workflows.starts.map((start) => start.name)).toEqual([pushExecutionName(gateway.id, 8)]);
});

it('leaves the registry on the old instance when the teardown cannot be sent, and the redelivery finishes the move', async () => {
  // Prepare: SSM refuses the first teardown.
  const gateway = await servedGateway();
  commands.failingTeardowns = 1;
  await expect(gatewayUpdated(deps(), movedTo(gateway, NEW_INSTANCE))).rejects.toThrow('Throttling');
  expect((await repository.getGateway(gateway.id))?.instanceId).toBe(gateway.instanceId);

  // Act: the event is delivered again.
  const update = await gatewayUpdated(deps(), movedTo(gateway, NEW_INSTANCE));

  // Assess: the redelivery took a generation of its own; everything the old instance got goes up to it.
  const generation = update.gateway.desiredGeneration;
  expect(update.gateway.instanceId).toBe(NEW_INSTANCE);
  expect(commands.teardowns).toEqual([{ gatewayId: gateway.id, instanceId: gateway.instanceId, generation }]);
  expect(publications.copies.get(gateway.id)).toBeUndefined();
  expect(workflows.starts.map((start) => start.name)).toEqual([pushExecutionName(gateway.id, generation)]);
});

it('starts the new instance push on redelivery when the run stopped after the registry moved', async () => {
  // Prepare: the push start fails once, after the upsert.
  const gateway = await servedGateway();
  const other = gatewayRecord();
  await repository.createGateway(other);
  workflows.failFor = () => true;
  await expect(gatewayUpdated(deps(), movedTo(gateway, NEW_INSTANCE))).rejects.toThrow('cannot start');
  workflows.failFor = () => false;

  // Act
  await gatewayUpdated(deps(), movedTo(gateway, NEW_INSTANCE));

  // Assess: the move's mark says the old instance was retired through 8, and nothing raised the
  // generation since, so none of its pushes is above that: the new instance is pushed at 8, the
  // old one is free and the mark settled.
  expect(workflows.starts.map((start) => start.name)).toEqual([pushExecutionName(gateway.id, 8)]);
  expect((await repository.getGateway(gateway.id))?.desiredGeneration).toBe(8);
  expect(commands.teardowns.map((teardown) => teardown.generation)).toEqual([8]);
  expect((await repository.getGateway(gateway.id))?.unfinishedMove).toBeUndefined();
  await expect(repository.claimInstance(gateway.instanceId, other.id)).resolves.toBeUndefined();
});

it('tears down and pushes nothing more for an update that keeps the instance', async () => {
  // Prepare
  const gateway = await servedGateway();
  await gatewayUpdated(deps(), movedTo(gateway, NEW_INSTANCE));
  const sent = await repository.getPushSent(gateway.id);
  await repository.recordPushSent({
    gatewayId: gateway.id,
    instanceId: NEW_INSTANCE,
    commandId: 'cmd-8',
    generation: 8,
    sentAt: NOW.toISOString(),
  });

  // Act: the same event again, then a status change.
  await gatewayUpdated(deps(), movedTo(gateway, NEW_INSTANCE));
  await gatewayUpdated(deps(), { ...movedTo(gateway, NEW_INSTANCE), status: 'ERROR' });

  // Assess: until the new instance's push records itself, the push item names the old one.
  expect(sent?.instanceId).toBe(gateway.instanceId);
  expect(commands.teardowns).toHaveLength(1);
  expect(workflows.starts).toHaveLength(1);
  expect((await repository.getGateway(gateway.id))?.desiredGeneration).toBe(8);
});

/**
 * While the old instance is being retired (between the bump and the upsert), the registry still
 * names it: a peering change that commits then raises the generation, and its push publishes for
 * the old instance above the generation the teardown covers.
 */
function peeringCommittedDuringTeardown(gateway: GatewayRecord, other: GatewayRecord): void {
  const teardown = commands.teardown.bind(commands);
  let raced = false;
  commands.teardown = async (command) => {
    const commandId = await teardown(command);
    if (!raced) {
      raced = true;
      await repository.createPeering(newPeering(gateway, other));
      const pushed = (await repository.getGateway(gateway.id))?.desiredGeneration ?? 0;
      const target = { gatewayId: gateway.id, instanceId: gateway.instanceId };
      await publications.put(target, pushed, `{"generation":${pushed}}`);
      await publications.deliver(target, [KEY, PSK]);
      await repository.recordPushSent({
        ...target,
        commandId: 'cmd-race',
        generation: pushed,
        sentAt: NOW.toISOString(),
      });
    }
    return commandId;
  };
}

it('retires the old instance again through a generation a peering change raised while it was being retired', async () => {
  // Prepare: a peering commits (generation 9) and is pushed to the old instance during its teardown at 8.
  const gateway = await servedGateway();
  const other = gatewayRecord();
  await repository.createGateway(other);
  peeringCommittedDuringTeardown(gateway, other);

  // Act
  const update = await gatewayUpdated(deps(), movedTo(gateway, NEW_INSTANCE));

  // Assess: the old instance is torn down through 9 and loses what the race published for it; the
  // new instance is pushed above it, under names no push to the old instance took: at 10 before the
  // walk, and at 11, which holds the raced peering's new key, after it; the peer gateway gets its
  // push of the new key.
  expect(commands.teardowns.map((teardown) => teardown.generation)).toEqual([8, 9]);
  expect(publications.copies.get(gateway.id)).toBeUndefined();
  // Through 9 gone; 10 and 11 are the new instance's pushes' (published by the fake's starts).
  expect([...(publications.documents.get(gateway.id)?.keys() ?? [])]).toEqual([10, 11]);
  expect(update.gateway.instanceId).toBe(NEW_INSTANCE);
  const own = update.pushes.filter((push) => push.gatewayId === gateway.id);
  expect(own.map((push) => push.generation)).toEqual([10, 11]);
  expect(workflows.starts.map((start) => start.name)).toEqual([
    pushExecutionName(gateway.id, 10),
    pushExecutionName(other.id, 2),
    pushExecutionName(gateway.id, 11),
  ]);
});

it('finishes on redelivery a move that stopped after the upsert and had the old instance pushed above its teardown', async () => {
  // Prepare: the race above, then the run stops after the registry moved (forgetting throttled).
  const gateway = await servedGateway();
  const other = gatewayRecord();
  await repository.createGateway(other);
  peeringCommittedDuringTeardown(gateway, other);
  const forget = repository.forgetInstanceReports.bind(repository);
  repository.forgetInstanceReports = async () => {
    throw new Error('ProvisionedThroughputExceeded');
  };
  await gatewayUpdated(deps(), movedTo(gateway, NEW_INSTANCE)).catch(() => undefined);
  repository.forgetInstanceReports = forget;

  // Act
  await gatewayUpdated(deps(), movedTo(gateway, NEW_INSTANCE));

  // Assess: the old instance is torn down through everything it got, and the new one pushed above.
  const torn = commands.teardowns.filter((teardown) => teardown.instanceId === gateway.instanceId);
  expect(Math.max(...torn.map((teardown) => teardown.generation))).toBeGreaterThanOrEqual(9);
  expect(publications.copies.get(gateway.id)).toBeUndefined();
  const generation = (await repository.getGateway(gateway.id))?.desiredGeneration ?? 0;
  expect(workflows.starts.map((start) => start.name)).toContain(pushExecutionName(gateway.id, generation));
  await expect(repository.claimInstance(gateway.instanceId, other.id)).resolves.toBeUndefined();
});

it('finishes on redelivery a move that stopped in its re-retirement, though another push recorded itself for the new instance meanwhile', async () => {
  // Prepare: the race above (the old instance applied 9), the re-retirement's SendCommand throttled;
  // then, before the event's retry, a road-warrior push records itself for the new instance.
  const gateway = await servedGateway();
  await repository.recordApplied({
    gatewayId: gateway.id,
    appliedGeneration: 7,
    appliedAt: NOW.toISOString(),
    instanceId: gateway.instanceId,
  });
  const other = gatewayRecord();
  await repository.createGateway(other);
  peeringCommittedDuringTeardown(gateway, other);
  const teardown = commands.teardown.bind(commands);
  let sent = 0;
  commands.teardown = async (command) => {
    sent += 1;
    if (sent === 2) throw new Error('ThrottlingException');
    return teardown(command);
  };
  await expect(gatewayUpdated(deps(), movedTo(gateway, NEW_INSTANCE))).rejects.toThrow('Throttling');
  const generation = (await repository.bumpGeneration(gateway.id)) ?? 0;
  await repository.recordPushSent({
    gatewayId: gateway.id,
    instanceId: NEW_INSTANCE,
    commandId: 'cmd-rw',
    generation,
    sentAt: NOW.toISOString(),
  });

  // Act: the event's retry.
  await gatewayUpdated(deps(), movedTo(gateway, NEW_INSTANCE));

  // Assess: the old instance is torn down above the 9 it applied, its lock is free, what it
  // reported is forgotten, and the move is settled.
  const torn = commands.teardowns.filter((command) => command.instanceId === gateway.instanceId);
  expect(Math.max(...torn.map((command) => command.generation))).toBeGreaterThanOrEqual(9);
  await expect(repository.claimInstance(gateway.instanceId, other.id)).resolves.toBeUndefined();
  expect(await repository.getAppliedGeneration(gateway.id)).toBeUndefined();
  expect((await repository.getGateway(gateway.id))?.unfinishedMove).toBeUndefined();
});

it('retires and frees the instance of an unfinished move when the gateway moves again', async () => {
  // Prepare: a move to i-0new stopped after the registry write (forgetting throttled).
  const gateway = await servedGateway();
  const forget = repository.forgetInstanceReports.bind(repository);
  repository.forgetInstanceReports = async () => {
    throw new Error('ProvisionedThroughputExceeded');
  };
  await expect(gatewayUpdated(deps(), movedTo(gateway, NEW_INSTANCE))).rejects.toThrow('Provisioned');
  repository.forgetInstanceReports = forget;
  const other = gatewayRecord();
  await repository.createGateway(other);

  // Act: the product moves it again, to a third instance.
  const update = await gatewayUpdated(deps(), movedTo(gateway, 'i-0third'));

  // Assess: both instances it left are torn down at the second move's generation and free.
  const generation = update.pushes.at(-1)?.generation;
  const retired = commands.teardowns.filter((command) => command.generation === generation);
  expect(retired.map((command) => command.instanceId).sort()).toEqual(
    [gateway.instanceId, NEW_INSTANCE].sort(),
  );
  await expect(repository.claimInstance(gateway.instanceId, other.id)).resolves.toBeUndefined();
  expect((await repository.getGateway(gateway.id))?.unfinishedMove).toBeUndefined();
});

describe('a move whose run stops before its push starts', () => {
  /**
   * A first run of the move that fails in `step` after the upsert; any push it started then runs
   * (seconds, before EventBridge's retry) and records itself for the new instance.
   */
  async function failedOnce(step: 'forgetInstanceReports' | 'releaseInstance'): Promise<GatewayRecord> {
    const gateway = await servedGateway();
    await repository.recordApplied({
      gatewayId: gateway.id,
      appliedGeneration: 7,
      appliedAt: NOW.toISOString(),
    });
    const original = repository[step].bind(repository) as (...args: never[]) => Promise<void>;
    repository[step] = async () => {
      throw new Error('ProvisionedThroughputExceeded');
    };
    await expect(gatewayUpdated(deps(), movedTo(gateway, NEW_INSTANCE))).rejects.toThrow(
      'ProvisionedThroughputExceeded',
    );
    repository[step] = original as never;
    const generation = (await repository.getGateway(gateway.id))?.desiredGeneration ?? 0;
    for (const start of workflows.starts) {
      const commandId = `cmd-${start.name}`;
      await repository.recordPushSent({
        gatewayId: gateway.id,
        instanceId: NEW_INSTANCE,
        commandId,
        generation,
        sentAt: NOW.toISOString(),
      });
    }
    return gateway;
  }

  it.each(['forgetInstanceReports', 'releaseInstance'] as const)(
    'forgets the old reports and releases the old lock on redelivery when %s failed',
    async (step) => {
      // Prepare
      const gateway = await failedOnce(step);
      const other = gatewayRecord();
      await repository.createGateway(other);

      // Act
      await gatewayUpdated(deps(), movedTo(gateway, NEW_INSTANCE));

      // Assess: another gateway may take the old instance; what it applied is forgotten; the new one is pushed.
      await expect(repository.claimInstance(gateway.instanceId, other.id)).resolves.toBeUndefined();
      expect(await repository.getAppliedGeneration(gateway.id)).toBeUndefined();
      expect(workflows.starts).toHaveLength(1);
    },
  );
});

describe('through the gateway-events handler', () => {
  it('tears the old instance down and starts the push to the new one', async () => {
    // Prepare
    const gateway = await servedGateway();
    const event = busEvent(GATEWAY_UPDATED, movedTo(gateway, NEW_INSTANCE), { time: NOW });

    // Act
    await handler(event, {} as Context);

    // Assess
    expect(commands.teardowns.map((teardown) => teardown.instanceId)).toEqual([gateway.instanceId]);
    expect(workflows.starts.map((start) => start.input)).toEqual([{ gatewayId: gateway.id }]);
    expect(publications.copies.get(gateway.id)).toBeUndefined();
  });
});
