/**
 * Events of a gateway's earlier incarnation delivered after its id was registered again (an async
 * retry, a duplicate delivery, a dead-letter redrive, an archive replay): they change nothing of
 * the gateway the id holds now (docs/CONTRACT.md#events; reviews s16b); and the events of a gateway
 * with no earlier incarnation all apply, whatever the two clocks say (review s16h). Through the
 * real gateway-events handler, on the in-memory repository; the cascade is ended by hand.
 */
import type { Context } from 'aws-lambda';
import { MemoryRepository, MemoryState } from '../../lambdas/adapters/memory/repository';
import { registerGateway } from '../../lambdas/app/api/gateways';
import { DELETION_STAMP_LEAD_SECONDS } from '../../lambdas/app/gateway-lifecycle';
import { ValidationError } from '../../lambdas/core/errors';
import type { GatewayRecord } from '../../lambdas/core/types';
import { toPublicGateway } from '../../lambdas/core/views';
import { handler } from '../../lambdas/handlers/gateway-events';
import { provideDependencies, resetDependencies } from '../../lambdas/shared/deps';
import { GATEWAY_DELETED, GATEWAY_UPDATED } from '../../lambdas/shared/event-patterns';
import { busEvent } from '../support/events';
import { MemoryPublications, MemorySecrets, RecordingCommands, RecordingWorkflows } from '../support/fakes';
import { gatewayRecord } from '../support/gateways';
import { ownerLimits } from '../support/limits';
import { captureLogLines } from '../support/log-lines';

const context = {} as Context;
const T0 = new Date('2026-12-05T12:00:00.000Z');
const ADMIN = { userId: 'ops', isAdmin: true };
const LIMITS = ownerLimits({ gatewaysPerOwner: 100 });

const DAY = 86_400_000;

const at = (ms: number) => new Date(T0.getTime() + ms);

describe('events of an earlier incarnation delivered after the id was registered again', () => {
  let now: Date;
  let state: MemoryState;
  let repository: MemoryRepository;
  let commands: RecordingCommands;
  const secrets = new MemorySecrets();

  beforeEach(() => {
    now = T0;
    state = new MemoryState();
    repository = new MemoryRepository({ clock: () => now }, state);
    commands = new RecordingCommands();
    const publications = new MemoryPublications();
    provideDependencies({
      repository,
      clock: () => now,
      workflows: new RecordingWorkflows(),
      configStore: publications,
      instanceSecrets: publications,
      secrets: new MemorySecrets(),
      commands,
    });
  });

  afterAll(() => resetDependencies());

  /** POST /v1/gateways's use case at `now`: the gateway on `instanceId`, with its own key. */
  async function register(gateway: GatewayRecord, instanceId: string): Promise<void> {
    const deps = { repository, secrets, clock: () => now, wait: () => Promise.resolve() };
    await registerGateway(deps, ADMIN, { ...toPublicGateway(gateway), instanceId }, undefined, LIMITS);
  }

  /** The gateway deleted by a "Deleted" event of `time`, its cascade ended (the stream does that). */
  async function deletedBy(gatewayId: string, time: Date) {
    const deleted = busEvent(GATEWAY_DELETED, { gatewayId }, { time });
    await handler(deleted, context);
    await repository.endGatewayCascade(gatewayId, 0);
    return deleted;
  }

  it.each([
    ['registered through the API', true],
    ['registered by createGateway alone', false],
  ])(
    'leaves the gateway registered again alone when the Deleted event is delivered again: %s',
    async (_case, api) => {
      // Prepare: deleted at T0, registered again 5 minutes later on another instance.
      const gateway = gatewayRecord({ createdAt: T0.toISOString(), instanceId: 'i-old' });
      await repository.createGateway(gateway);
      const deleted = await deletedBy(gateway.id, T0);
      now = at(5 * 60_000);
      const again = { ...gateway, instanceId: 'i-new', createdAt: now.toISOString() };
      if (api) await register(again, 'i-new');
      else {
        await repository.claimInstance('i-new', again.id);
        await repository.createGateway(again);
      }

      // Act
      const lines = await captureLogLines(() => handler(deleted, context));

      // Assess: still there, its instance still its own, and the line names both times.
      expect((await repository.getGateway(gateway.id))?.instanceId).toBe('i-new');
      await expect(repository.claimInstance('i-new', 'gw-other')).rejects.toThrow();
      expect(lines).toContainEqual(
        expect.objectContaining({
          message: 'deletion of an earlier incarnation ignored',
          gatewayId: gateway.id,
          eventTime: T0.toISOString(),
          createdAt: now.toISOString(),
        }),
      );
    },
  );

  it('ignores the redelivered Deleted when the product stamps 2 s ahead: the tombstone kept its time', async () => {
    // Prepare: deleted at T0 on the control plane's clock by an event the product stamped T0+2 s;
    // its cascade ends and the id is registered again at T0+1.5 s, before that stamp.
    const gateway = gatewayRecord({ instanceId: 'i-old' });
    await register(gateway, 'i-old');
    const deleted = await deletedBy(gateway.id, at(2000));
    now = at(1500);
    await register(gateway, 'i-new');

    // Act: the deletion delivered again, then the product's deletion of the new one.
    await handler(deleted, context);
    const afterRedelivery = (await repository.getGateway(gateway.id))?.instanceId;
    await handler(busEvent(GATEWAY_DELETED, { gatewayId: gateway.id }, { time: at(3000) }), context);

    // Assess
    expect(afterRedelivery).toBe('i-new');
    expect(await repository.getGateway(gateway.id)).toBeUndefined();
  });

  it('deletes a fresh id on a Deleted stamped the second before its registration ended (product clock behind)', async () => {
    // Prepare: never registered before; registered at 12:00:05.100 on the control plane's clock.
    now = at(5100);
    const gateway = gatewayRecord({ instanceId: 'i-fresh' });
    await register(gateway, gateway.instanceId);
    now = at(6000);

    // Act
    await handler(busEvent(GATEWAY_DELETED, { gatewayId: gateway.id }, { time: at(4000) }), context);

    // Assess: gone, and its instance free again.
    expect(await repository.getGateway(gateway.id)).toBeUndefined();
    await expect(repository.claimInstance('i-fresh', 'gw-other')).resolves.toBeUndefined();
  });

  it('applies to a fresh id an Updated stamped the second before its registration ended (put while it ran)', async () => {
    // Prepare: never registered before; registered at 12:00:05.100 on the control plane's clock.
    now = at(5100);
    const gateway = gatewayRecord({ instanceId: 'i-fresh' });
    await register(gateway, gateway.instanceId);
    now = at(6000);

    // Act: the instance's public IP, stamped 12:00:04.
    const moved = { ...toPublicGateway(gateway), publicIp: '198.51.100.9' };
    await handler(busEvent(GATEWAY_UPDATED, moved, { time: at(4000) }), context);

    // Assess
    expect((await repository.getGateway(gateway.id))?.publicIp).toBe('198.51.100.9');
  });

  it('deletes a gateway registered in the same second as the event: EventBridge stamps whole seconds', async () => {
    // Prepare: registered at 12:00:00.700, the event stamped 12:00:00.
    now = at(700);
    const gateway = gatewayRecord({ instanceId: 'i-same-second' });
    await register(gateway, gateway.instanceId);

    // Act
    await handler(busEvent(GATEWAY_DELETED, { gatewayId: gateway.id }, { time: T0 }), context);

    // Assess
    expect(await repository.getGateway(gateway.id)).toBeUndefined();
  });

  it('leaves alone a gateway registered between its read and the delete of a repeated Deleted event', async () => {
    // Prepare: deleted at T0; the redelivery reads no gateway, and the id is registered right then.
    const gateway = gatewayRecord({ createdAt: T0.toISOString(), instanceId: 'i-old' });
    await repository.createGateway(gateway);
    const deleted = await deletedBy(gateway.id, T0);
    const getGateway = repository.getGateway.bind(repository);
    let registered = false;
    jest.spyOn(repository, 'getGateway').mockImplementation(async (id) => {
      const read = await getGateway(id);
      if (!registered) {
        registered = true;
        now = at(5 * 60_000);
        await register({ ...gateway, createdAt: now.toISOString() }, 'i-new');
      }
      return read;
    });

    // Act
    await handler(deleted, context);

    // Assess: read again and judged again: the new incarnation is younger than the event.
    expect((await getGateway(gateway.id))?.instanceId).toBe('i-new');
  });

  it('ignores an Updated event stamped before the deletion: no move back to the old instance', async () => {
    // Prepare: an update stamped T0+1 s and delivered late; deleted at T0+2 s; registered again
    // 5 minutes later on i-new, with the same addressing (the product registering it again).
    const gateway = gatewayRecord({ instanceId: 'i-old' });
    await register(gateway, 'i-old');
    const late = busEvent(
      GATEWAY_UPDATED,
      { ...toPublicGateway(gateway), name: 'stale' },
      { time: at(1000) },
    );
    now = at(2000);
    await deletedBy(gateway.id, now);
    now = at(5 * 60_000);
    await register(gateway, 'i-new');

    // Act
    await handler(late, context);

    // Assess: the registry names i-new with its own name, and i-new got no teardown.
    const current = await repository.getGateway(gateway.id);
    expect({ instanceId: current?.instanceId, name: current?.name }).toEqual({
      instanceId: 'i-new',
      name: gateway.name,
    });
    expect(commands.teardowns).toEqual([]);
  });

  it('applies an Updated event of the registration second, and a later one, to the gateway registered again', async () => {
    // Prepare: registered at 12:05:00.500.
    now = at(5 * 60_000 + 500);
    const gateway = gatewayRecord({ instanceId: 'i-new' });
    await register(gateway, 'i-new');

    // Act
    await handler(
      busEvent(
        GATEWAY_UPDATED,
        { ...toPublicGateway(gateway), name: 'same-second' },
        { time: at(5 * 60_000) },
      ),
      context,
    );
    const sameSecond = (await repository.getGateway(gateway.id))?.name;
    now = at(6 * 60_000);
    await handler(
      busEvent(GATEWAY_UPDATED, { ...toPublicGateway(gateway), name: 'later' }, { time: now }),
      context,
    );

    // Assess
    expect([sameSecond, (await repository.getGateway(gateway.id))?.name]).toEqual(['same-second', 'later']);
  });

  it("applies the next incarnation's own events after a Deleted stamped an hour ahead", async () => {
    // Prepare: a Deleted the product stamped T0+1 h (a Time the producer set, a skewed host),
    // handled at T0; the cascade ends and the id is registered again at T0+5 min on i-new.
    const gateway = gatewayRecord({ instanceId: 'i-old' });
    await register(gateway, 'i-old');
    await deletedBy(gateway.id, at(3_600_000));
    now = at(5 * 60_000);
    await register(gateway, 'i-new');
    const priorEnd = (await repository.getGateway(gateway.id))?.priorIncarnationEndedAt;

    // Act: the product, stamping correctly, moves the new gateway, then deletes it.
    now = at(10 * 60_000);
    const move = { ...toPublicGateway(gateway), instanceId: 'i-newer' };
    await handler(busEvent(GATEWAY_UPDATED, move, { time: at(9 * 60_000) }), context);
    const movedTo = (await repository.getGateway(gateway.id))?.instanceId;
    await handler(busEvent(GATEWAY_DELETED, { gatewayId: gateway.id }, { time: now }), context);

    // Assess: the old incarnation's end was kept a bounded lead ahead of its handling, not an hour.
    expect(priorEnd).toBe(at(DELETION_STAMP_LEAD_SECONDS * 1000).toISOString());
    expect(movedTo).toBe('i-newer');
    expect(await repository.getGateway(gateway.id)).toBeUndefined();
  });

  /** The handler's answer to `event`: the error it threw (for the dead-letter queue), or undefined. */
  async function refusalOf(event: ReturnType<typeof busEvent>): Promise<unknown> {
    return handler(event, context).then(
      () => undefined,
      (error: unknown) => error,
    );
  }

  it('refuses an Updated replayed after the tombstone expired: the deleted gateway does not come back', async () => {
    // Prepare: updated at T0+1 s, deleted at T0+2 s; 31 days later DynamoDB's TTL removed the
    // tombstone (30 days), which the memory repository keeps: removed by hand.
    const gateway = gatewayRecord({ instanceId: 'i-old' });
    await register(gateway, 'i-old');
    const replayed = busEvent(GATEWAY_UPDATED, toPublicGateway(gateway), { time: at(1000) });
    await deletedBy(gateway.id, at(2000));
    now = at(31 * DAY);
    state.tombstones.delete(gateway.id);

    // Act: an archive replay of the Updated.
    let refusal: unknown;
    const lines = await captureLogLines(async () => {
      refusal = await refusalOf(replayed);
    });

    // Assess: refused (logged, for the dead-letter queue and its alarm), and nothing registered.
    expect(refusal).toBeInstanceOf(ValidationError);
    expect(await repository.getGateway(gateway.id)).toBeUndefined();
    expect(lines).toContainEqual(
      expect.objectContaining({
        message: 'gateway event older than a deleted gateway is remembered: refused',
        gatewayId: gateway.id,
        eventTime: at(1000).toISOString(),
      }),
    );
  });

  it('refuses a Deleted replayed after the tombstone expired: the id registered again since stays', async () => {
    // Prepare: deleted at T0+2 s; 31 days later, its tombstone expired, the id is registered again.
    const gateway = gatewayRecord({ instanceId: 'i-old' });
    await register(gateway, 'i-old');
    const replayed = await deletedBy(gateway.id, at(2000));
    now = at(31 * DAY);
    state.tombstones.delete(gateway.id);
    await register(gateway, 'i-new');

    // Act: an archive replay of the Deleted.
    const refusal = await refusalOf(replayed);

    // Assess
    expect(refusal).toBeInstanceOf(ValidationError);
    expect((await repository.getGateway(gateway.id))?.instanceId).toBe('i-new');
  });
});
