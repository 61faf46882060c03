/**
 * Two "VPN Gateway Updated" events of one gateway processed at once (EventBridge invokes the rule's
 * target concurrently): one runs at a time under the gateway's update lease
 * (lambdas/app/gateway-update-lease.ts), so every peer gateway's entry ends with what the
 * registry holds; an update that finds the lease held past its waits is refused for its retry,
 * changing nothing, and a failed update frees the lease at once.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { MemoryRepository, MemoryState } from '../../lambdas/adapters/memory/repository';
import { gatewayUpdated } from '../../lambdas/app/gateway-lifecycle';
import { UPDATE_LEASE_MS, UPDATE_LEASE_TRIES } from '../../lambdas/app/gateway-update-lease';
import { GatewayUpdateInProgressError, TransientError } from '../../lambdas/core/errors';
import type { GatewayRecord } from '../../lambdas/core/types';
import { toPublicGateway } from '../../lambdas/core/views';
import { eventDependencies } from '../support/events-fixture';
import type { RecordingWorkflows } from '../support/fakes';
import { gatewayRecord } from '../support/gateways';
import { newPeering, uniqueId } from '../support/records';

const state = new MemoryState();
const NOW = new Date('2026-12-05T12:00:00.000Z');
const IP1 = '198.51.100.71';
const IP2 = '198.51.100.72';

/** Resolves once opened, or after `ms` at the latest: a run that never comes does not hang the other. */
function gate(ms = 300) {
  let open!: () => void;
  const opened = Promise.race([new Promise<void>((resolve) => (open = resolve)), sleep(ms)]);
  return { open, opened };
}

describe('updates of one gateway processed at once', () => {
  let repository: MemoryRepository;
  let waits: number[];
  let workflows: RecordingWorkflows;
  let update: (gateway: GatewayRecord, eventTime?: string) => ReturnType<typeof gatewayUpdated>;

  beforeEach(() => {
    repository = new MemoryRepository({}, state);
    waits = [];
    const deps = {
      ...eventDependencies({ repository, clock: () => NOW }),
      // A tenth of each pause, for real: the other update must get to run meanwhile.
      wait: (ms: number) => {
        waits.push(ms);
        return sleep(ms / 10);
      },
    };
    workflows = deps.workflows;
    update = (gateway, eventTime) => gatewayUpdated(deps, toPublicGateway(gateway), undefined, eventTime);
  });

  /** A hub peered with one spoke; the spoke's entry for the hub. */
  async function hubAndSpoke() {
    const hub = gatewayRecord({ id: uniqueId('hub') });
    const spoke = gatewayRecord({ id: uniqueId('spoke') });
    for (const gateway of [hub, spoke]) await repository.createGateway(gateway);
    const peering = newPeering(hub, spoke);
    await repository.createPeering(peering);
    const hubEntry = async () => (await repository.getPeer(spoke.id, peering.sides[1].peer.name))?.endpoint;
    return { hub, hubEntry };
  }

  it('leaves the peer gateway with the endpoint the registry holds', async () => {
    // Prepare: without the lease, the second update's rewrite of the spoke would land first and the
    // first's after it, and the first's registry write first and the second's after it (the
    // gates); the first then settles its walk with the spoke holding its endpoint, not the registry's.
    const { hub, hubEntry } = await hubAndSpoke();
    const secondRewrote = gate();
    const firstUpserted = gate();
    const updateRemotePeer = repository.updateRemotePeer.bind(repository);
    repository.updateRemotePeer = async (gatewayId, name, remote) => {
      if (remote.endpoint.startsWith(IP1)) await secondRewrote.opened;
      const generation = await updateRemotePeer(gatewayId, name, remote);
      if (remote.endpoint.startsWith(IP2)) secondRewrote.open();
      return generation;
    };
    const upsertGateway = repository.upsertGateway.bind(repository);
    repository.upsertGateway = async (gateway) => {
      if (gateway.publicIp === IP2) await firstUpserted.opened;
      const stored = await upsertGateway(gateway);
      if (gateway.publicIp === IP1) firstUpserted.open();
      return stored;
    };

    // Act
    await Promise.all([update({ ...hub, publicIp: IP1 }), update({ ...hub, publicIp: IP2 })]);

    // Assess: the second waited for the first, then moved the spoke's entry with the registry.
    const registry = await repository.getGateway(hub.id);
    expect(registry?.publicIp).toBe(IP2);
    expect(await hubEntry()).toBe(`${IP2}:${hub.listenPort}`);
    expect(registry?.peerWalkOwedSince).toBeUndefined();
    expect(waits.length).toBeGreaterThan(0);
  });

  it('refuses an update whose lease stays held past its waits, changing nothing', async () => {
    // Prepare: another update holds the lease (its run goes on elsewhere).
    const { hub, hubEntry } = await hubAndSpoke();
    await repository.takeUpdateLease(
      hub.id,
      'another-update',
      NOW.getTime() + UPDATE_LEASE_MS,
      NOW.getTime(),
    );
    const before = await repository.getGateway(hub.id);

    // Act
    const refused = update({ ...hub, publicIp: IP1 });

    // Assess: refused for the event's retry, after its waits; the lease is still the other's.
    await expect(refused).rejects.toBeInstanceOf(GatewayUpdateInProgressError);
    expect(waits).toHaveLength(UPDATE_LEASE_TRIES - 1);
    expect(await repository.getGateway(hub.id)).toEqual(before);
    expect(await hubEntry()).toBe(`${hub.publicIp}:${hub.listenPort}`);
    expect(await repository.takeUpdateLease(hub.id, 'third', NOW.getTime(), NOW.getTime())).toBe(false);
  });

  it('frees the lease of an update that failed: the next one runs without waiting', async () => {
    // Prepare: the first update's rewrite of the spoke is throttled.
    const { hub, hubEntry } = await hubAndSpoke();
    const updateRemotePeer = repository.updateRemotePeer.bind(repository);
    repository.updateRemotePeer = async () => {
      repository.updateRemotePeer = updateRemotePeer;
      throw new TransientError('throttled');
    };
    await expect(update({ ...hub, publicIp: IP1 })).rejects.toBeInstanceOf(TransientError);

    // Act
    await update({ ...hub, publicIp: IP2 });

    // Assess
    expect(waits).toEqual([]);
    expect(await hubEntry()).toBe(`${IP2}:${hub.listenPort}`);
    expect((await repository.getGateway(hub.id))?.peerWalkOwedSince).toBeUndefined();
  });

  it('ignores an update older than the one applied: a refused one retried after a newer one ran', async () => {
    // Prepare: the update of 11:59:59 ran while the one of 11:59:58, refused for the lease, waited
    // for its retry (a minute later on AWS).
    const { hub, hubEntry } = await hubAndSpoke();
    await update({ ...hub, publicIp: IP2 }, '2026-12-05T11:59:59Z');
    const starts = workflows.starts.length;

    // Act
    const retried = await update({ ...hub, publicIp: IP1 }, '2026-12-05T11:59:58Z');
    const startsAfterRetried = workflows.starts.length;
    const sameSecond = await update({ ...hub, publicIp: IP1, name: 'renamed' }, '2026-12-05T11:59:59Z');

    // Assess: the older one changed nothing and started nothing; one of the same second runs
    // (EventBridge stamps whole seconds: the two cannot be ordered).
    expect(retried).toMatchObject({ ignored: true, pushes: [] });
    expect(retried.gateway.publicIp).toBe(IP2);
    expect(startsAfterRetried).toBe(starts);
    expect(sameSecond.ignored).toBeUndefined();
    expect((await repository.getGateway(hub.id))?.name).toBe('renamed');
    expect(await hubEntry()).toBe(`${IP1}:${hub.listenPort}`);
  });

  it('keeps an event stamped in the future as received now: later updates still apply', async () => {
    // Prepare: a producer's skewed clock stamped an update an hour ahead (NOW is 12:00:00).
    const { hub, hubEntry } = await hubAndSpoke();
    await update({ ...hub, publicIp: IP1 }, '2026-12-05T13:00:00Z');

    // Act: the next real update, stamped as it is received.
    const next = await update({ ...hub, publicIp: IP2 }, '2026-12-05T12:00:00Z');

    // Assess
    expect(next.ignored).toBeUndefined();
    expect(await hubEntry()).toBe(`${IP2}:${hub.listenPort}`);
    expect((await repository.getGateway(hub.id))?.updateEventTime).toBe('2026-12-05T12:00:00Z');
  });
});
