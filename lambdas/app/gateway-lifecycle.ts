/**
 * What happens when the provisioning system changes or deletes a gateway (docs/CONTRACT.md#events);
 * the stream-driven cascade after a gateway is gone is gateway-cascade.ts. Every function is safe
 * to run twice: events are delivered at least once.
 */
import { type AddressPolicy, DEFAULT_ADDRESS_POLICY } from '../core/address-rules';
import { GatewayGoneError, ValidationError } from '../core/errors';
import { isOlder, predatesIncarnation } from '../core/event-times';
import { parseRegisterGatewayBody, type RegisterGatewayInput } from '../core/schemas';
import type { GatewayRecord, PeerRecord } from '../core/types';
import { GATEWAY_FIELDS, pickFields } from '../core/views';
import { logger } from '../shared/logger';
import { type UpdateLeaseDeps, underUpdateLease } from './gateway-update-lease';
import { changeMark } from './new-records';
import { type PeerFanoutDeps, settleEachPaced } from './peer-fanout';
import type { Dependencies, InstanceSecrets, InstanceTarget } from './ports';
import { keyHoldersOn } from './public-key-holders';
import { type PushRun, startGatewayPush } from './push-runs';

/**
 * Deletes the gateway item only; the stream REMOVE it causes starts the cascade. An event of an
 * earlier incarnation (`eventTime` at or before the end of the one the gateway replaced: its
 * deletion delivered again after the id was registered again) deletes nothing
 * (docs/CONTRACT.md#events). The delete is bound to the incarnation read: one registered between
 * the read and the delete is read and judged anew. The tombstone keeps `eventTime`, for the next
 * incarnation to know when this one ended.
 */
export async function gatewayDeleted(
  d: Pick<Dependencies, 'repository'>,
  gatewayId: string,
  eventTime?: string,
): Promise<GatewayRecord | undefined> {
  for (let attempt = 1; ; attempt += 1) {
    const current = await d.repository.getGateway(gatewayId);
    if (current && eventTime !== undefined && predatesIncarnation(eventTime, current)) {
      logger.warn('deletion of an earlier incarnation ignored', {
        gatewayId,
        eventTime,
        createdAt: current.createdAt,
        priorIncarnationEndedAt: current.priorIncarnationEndedAt,
      });
      return undefined;
    }
    try {
      const removed = await d.repository.deleteGateway(gatewayId, current?.createdAt ?? null, eventTime);
      if (removed) await d.repository.releaseInstance(removed.instanceId, removed.id);
      return removed;
    } catch (error) {
      // The id changed between the read and the delete: read it again, a few times, then the
      // event's retry does.
      if (!(error instanceof GatewayGoneError) || attempt >= INCARNATION_READS) throw error;
    }
  }
}

/** Reads of the id a deletion event makes before it leaves the id's changes to its retry. */
const INCARNATION_READS = 3;

/**
 * Fields peerings were checked and configured against (owner, VPC, CIDRs, tunnel address).
 * Changing one under live peerings would silently break them, so an update may not touch them.
 */
const ADDRESSING_FIELDS = ['ownerId', 'vpcId', 'vpcCidr', 'tunnelSubnet', 'tunnelIp'] as const;

export type UpdateDeps = Pick<
  Dependencies,
  'repository' | 'clock' | 'workflows' | 'configStore' | 'commands'
> &
  Pick<UpdateLeaseDeps, 'wait'> &
  Pick<PeerFanoutDeps, 'peerFanoutStartsPerSecond'> & {
    /** Withdrawal only (a moved gateway's copies): the push to its new instance delivers new ones. */
    instanceSecrets: Pick<InstanceSecrets, 'withdraw'>;
  };

export interface GatewayUpdate {
  gateway: GatewayRecord;
  /**
   * The push-gateway executions started (or joined): one per peer gateway whose entry for this
   * gateway got its new endpoint or public key, and this gateway's own when its listenPort or its
   * instance changed. Not awaited: each execution retries its push and stores the instance's report itself.
   */
  pushes: PushRun[];
  /** Set when the event was older than the one applied: nothing changed. */
  ignored?: true;
}

/**
 * "VPN Gateway Updated": validates the Gateway it carries and upserts the registry, keeping the
 * control plane's bookkeeping (generation, the private key it holds, createdAt). When a known
 * gateway's endpoint (publicIp:listenPort) or public key (one whose key pair the product holds)
 * changed, every peer gateway's entry for it gets it too, from a listing taken after the registry
 * write (which marks the walk owed until it ends); a new key already held by one of its peers, or
 * by another entry on a peer gateway, refuses the update first. When its
 * instance changed, the old instance loses what was published for it and is torn down, and the
 * new one gets the gateway's configuration (docs/SECURITY.md, "A gateway moved to another instance").
 * One update of a gateway runs at a time (gateway-update-lease.ts); another waits, then is retried.
 */
export async function gatewayUpdated(
  d: UpdateDeps,
  gateway: unknown,
  policy: AddressPolicy = DEFAULT_ADDRESS_POLICY,
  eventTime?: string,
): Promise<GatewayUpdate> {
  const input = parseRegisterGatewayBody(gateway, policy);
  const { id } = input;
  if (id === undefined) throw new ValidationError('is required', 'id');
  return underUpdateLease(d, id, async () => {
    const existing = await d.repository.getGateway(id);
    // One of an earlier incarnation, delivered after the id was registered again, would move the
    // new one back to the old instance (docs/CONTRACT.md#events).
    if (existing && eventTime !== undefined && predatesIncarnation(eventTime, existing)) {
      logger.warn('update of an earlier incarnation ignored', {
        gatewayId: id,
        eventTime,
        priorIncarnationEndedAt: existing.priorIncarnationEndedAt,
      });
      return { gateway: existing, pushes: [], ignored: true };
    }
    // One refused while another ran is retried minutes later (gateway-update-lease.ts): a newer
    // update may have run meanwhile, whose values it must not bring back.
    const applied = existing?.updateEventTime;
    if (existing && eventTime !== undefined && applied !== undefined && isOlder(eventTime, applied)) {
      logger.warn('update older than the one applied: ignored', { gatewayId: id, eventTime, applied });
      return { gateway: existing, pushes: [], ignored: true };
    }
    return applyUpdate(d, id, input, existing, eventTime);
  });
}

/**
 * The time kept of an event: its own, but never later than now. A producer may stamp `Time`
 * itself, and one stamped in the future (a skewed clock) would otherwise have every later update
 * ignored until then (review s14d).
 */
function receivedTime(eventTime: string, now: string): string {
  if (Date.parse(eventTime) <= Date.parse(now)) return eventTime;
  logger.warn('update stamped in the future: kept as received now', { eventTime, now });
  return now;
}

/**
 * The sweep's re-drive of a gateway's peer walk owed past its bound (its event's retries spent,
 * the event in the dead-letter queue): the registry's own values applied again, as an update that
 * finds the mark does (every peer walked, the gateway's own push started, the walk settled).
 * Undefined when the walk was settled meanwhile or the gateway is gone.
 */
export async function finishOwedWalk(d: UpdateDeps, gatewayId: string): Promise<GatewayUpdate | undefined> {
  // One take, no wait: a lease held means an update runs, which walks the peers itself, and the
  // sweep's time is better spent on its other items.
  const once = 1;
  return underUpdateLease(
    d,
    gatewayId,
    async () => {
      const gateway = await d.repository.getGateway(gatewayId);
      if (gateway?.peerWalkOwedSince === undefined) return undefined;
      return applyUpdate(d, gatewayId, pickFields(gateway, GATEWAY_FIELDS), gateway, gateway.updateEventTime);
    },
    once,
  );
}

/** gatewayUpdated's work, under the gateway's update lease: no other update of it runs meanwhile. */
async function applyUpdate(
  d: UpdateDeps,
  id: string,
  input: RegisterGatewayInput,
  existing: GatewayRecord | undefined,
  eventTime: string | undefined,
): Promise<GatewayUpdate> {
  const now = d.clock().toISOString();
  const merged = {
    ...mergeUpdate(id, input, existing, now),
    ...(eventTime ? { updateEventTime: receivedTime(eventTime, now) } : {}),
  };
  // What the peer gateways hold of it (their entries for it) changed, or an earlier update's walk
  // over them did not finish (peerWalkOwedSince): every peer is walked once the registry holds it.
  const rekeyed = existing !== undefined && existing.publicKey !== merged.publicKey;
  const peersHoldChange =
    existing !== undefined &&
    (changesWhatPeersHold(existing, merged) || existing.peerWalkOwedSince !== undefined);
  // Written in the same write as the change and removed once every peer has it (below): a run that
  // fails or stops anywhere between leaves it, for the event's retry or, those spent, the sweep
  // (finishOwedWalk), which then walk every peer with what the registry holds. One owed already is
  // kept (owed since then; runs take turns under the lease), so the sweep's deferral of it holds.
  const owed = existing?.peerWalkOwedSince ?? changeMark(d.clock());
  const record = peersHoldChange ? { ...merged, peerWalkOwedSince: owed } : merged;
  // A new key held on either side refuses the whole update, before anything changes.
  if (rekeyed) await refuseKeyClash(d, record, await peeringPeersOf(d, record.id));
  // Then: an instance another gateway holds refuses the whole update (docs/DECISIONS.md, "Hardening").
  await d.repository.claimInstance(record.instanceId, record.id);
  const previousInstance =
    existing !== undefined && existing.instanceId !== record.instanceId ? existing.instanceId : undefined;
  // Its own interface listens on listenPort, and a new instance holds nothing yet: a new desired
  // state without a peer-set change, so it gets a generation of its own (a finished push of the
  // current one would otherwise be joined and nothing pushed). Bumped before the registry, so a
  // redelivery after the upsert bumps nothing (but a move's unfinished end: finishMove).
  const portMoved = existing !== undefined && existing.listenPort !== record.listenPort;
  const ownGeneration =
    portMoved || previousInstance !== undefined ? await d.repository.bumpGeneration(record.id) : undefined;
  if (previousInstance !== undefined && ownGeneration !== undefined) {
    // Before the upsert, so a redelivery after a crash still sees the move and repeats it.
    await retireInstance(d, { gatewayId: record.id, instanceId: previousInstance }, ownGeneration);
  }
  const stored = await d.repository.upsertGateway(record);
  // The peers are listed once the registry holds the change, so none is missed: a peering committed
  // before the listing is in it, and one that copied the old key or endpoint and commits after it
  // fails Allocate's check (the registry no longer holds them) and copies the new ones.
  const pushes = peersHoldChange ? await repushToPeers(d, record, await peeringPeersOf(d, record.id)) : [];
  // A move whose run stopped after the upsert (the event redelivered) is finished from the push
  // item, which still names the old instance until the new one's push records itself.
  const left = previousInstance ?? (await instanceLeftUnpushed(d, stored));
  if (left !== undefined) {
    const retired = previousInstance !== undefined ? ownGeneration : undefined;
    pushes.push(await finishMove(d, stored, left, retired));
  } else if (ownGeneration !== undefined || existing?.peerWalkOwedSince !== undefined) {
    // A run that stopped after the upsert bumped nothing on its redelivery (the registry holds
    // the new port): its own push starts here at the current generation (joined if it ran).
    pushes.push(await startGatewayPush(d, record.id, ownGeneration ?? stored.desiredGeneration));
  }
  // Settled last: should anything above fail or the run stop, the registry holds the change and
  // peerWalkOwedSince, and the redelivered event walks every peer again and starts the gateway's
  // own push (each rewrite idempotent, each start joined by its name).
  if (peersHoldChange) await d.repository.settlePeerWalk(record.id, owed);
  return { gateway: stored, pushes };
}

/**
 * What was published for a gateway's previous instance goes, and that instance is told to tear the
 * gateway down, all at `generation`: its marker then refuses every push of the gateway up to it.
 * Idempotent.
 */
async function retireInstance(
  d: Pick<UpdateDeps, 'configStore' | 'instanceSecrets' | 'commands'>,
  previous: InstanceTarget,
  generation: number,
): Promise<void> {
  await d.instanceSecrets.withdraw(previous);
  await d.configStore.deleteThrough(previous.gatewayId, generation);
  await d.commands.teardown({ ...previous, generation });
}

/**
 * The rest of a move once the registry names the new instance (docs/DECISIONS.md, "A gateway moved
 * to another instance", and its review of 2026-12-05), in an order a redelivery can resume:
 * - A push reads the registry, so none that reads the gateway after the upsert reaches the old
 *   instance, and none that read it before renders above the generation the upsert returned
 *   (`stored`, read with it). When that is above `retiredThrough` (a peering change committed
 *   while the old instance was being retired), or nothing says what the old instance got (a
 *   redelivery), the old instance is retired again at it, and the new instance gets a generation
 *   above it: the push of that one may have gone to the old instance, taking its execution name,
 *   and its push item, of the same generation, would not be replaced.
 * - Its reports are forgotten and its lock released before the push starts: the push item, still
 *   naming the old instance until the new one's push records itself, is what a redelivery finds
 *   the unfinished move by (instanceLeftUnpushed).
 */
async function finishMove(
  d: UpdateDeps,
  stored: GatewayRecord,
  previousInstance: string,
  retiredThrough: number | undefined,
): Promise<PushRun> {
  let generation = stored.desiredGeneration;
  if (retiredThrough === undefined || generation > retiredThrough) {
    await retireInstance(d, { gatewayId: stored.id, instanceId: previousInstance }, generation);
    generation = (await d.repository.bumpGeneration(stored.id)) ?? generation;
  }
  await d.repository.forgetInstanceReports(stored.id);
  await d.repository.releaseInstance(previousInstance, stored.id);
  return startGatewayPush(d, stored.id, generation);
}

/**
 * The instance the gateway's last recorded push went to, when it is not the gateway's instance: a
 * move whose run stopped after the upsert (the event redelivered), so the old instance may not be
 * retired through the current generation, nor its reports forgotten, its lock released, the new
 * instance pushed. A gateway never pushed has no push item: such a run leaves the old lock held.
 */
async function instanceLeftUnpushed(
  d: Pick<UpdateDeps, 'repository'>,
  gateway: GatewayRecord,
): Promise<string | undefined> {
  const sent = await d.repository.getPushSent(gateway.id);
  return sent !== undefined && sent.instanceId !== gateway.instanceId ? sent.instanceId : undefined;
}

/**
 * Peer gateways rewritten at once by an update: one rewrite is a transaction and a StartExecution,
 * as many in flight as the cascade's starts (PEERING_DELETION_STARTS_IN_FLIGHT, for the same reasons).
 */
export const PEER_REWRITES_IN_FLIGHT = 5;

const endpointOf = (gateway: Pick<GatewayRecord, 'publicIp' | 'listenPort'>): string =>
  `${gateway.publicIp}:${gateway.listenPort}`;

/** Whether an update changes what peer gateways hold of the gateway: its endpoint or public key. */
const changesWhatPeersHold = (existing: GatewayRecord, record: GatewayRecord): boolean =>
  existing.publicKey !== record.publicKey || endpointOf(existing) !== endpointOf(record);

const isPeeringPeer = (peer: PeerRecord): peer is PeeringPeer =>
  peer.type === 'vpc-peering' && Boolean(peer.remoteGatewayId);

type PeeringPeer = PeerRecord & { remoteGatewayId: string };

/** The gateway's entries for its peer gateways (both sides of a peering name theirs alike). */
async function peeringPeersOf(d: Pick<UpdateDeps, 'repository'>, gatewayId: string): Promise<PeeringPeer[]> {
  return (await d.repository.listPeeringPeers(gatewayId)).filter(isPeeringPeer);
}

/**
 * Gives each peer gateway's entry for `gateway` its endpoint and public key, and starts that
 * peer's push at the generation holding the change, a bounded number of peers at a time (a hub
 * has thousands, and the event's Lambda a timeout) at the fan-out's start rate (peer-fanout.ts:
 * 1,000 peers in ~40 s by default, inside the event function's 60 s). One peer's failure stops none
 * of the others; the first one is then thrown, for the event's retry to redo the walk (each rewrite
 * is idempotent, and the execution names dedupe the starts).
 */
async function repushToPeers(
  d: UpdateDeps,
  gateway: GatewayRecord,
  peerings: readonly PeeringPeer[],
): Promise<PushRun[]> {
  const remote = { endpoint: endpointOf(gateway), publicKey: gateway.publicKey };
  const runs: PushRun[] = [];
  const failures = await settleEachPaced(d, peerings, PEER_REWRITES_IN_FLIGHT, async (peer) => {
    // Both sides of a peering name their peer entry alike (peeringPeerName).
    const generation = await d.repository.updateRemotePeer(peer.remoteGatewayId, peer.name, remote);
    // Undefined: the remote side is gone, its peering is being deleted.
    if (generation !== undefined) runs.push(await startGatewayPush(d, peer.remoteGatewayId, generation));
  });
  const [first] = failures;
  if (first === undefined) return runs;
  logger.warn('peer gateways not given the change: the event is retried', {
    gatewayId: gateway.id,
    failed: failures.length,
    of: peerings.length,
    remoteGatewayIds: failures.slice(0, 20).map((failure) => failure.item.remoteGatewayId),
  });
  throw first.error;
}

/**
 * WireGuard tells a gateway's peers apart by public key (docs/DECISIONS.md, "A gateway's new public
 * key"): a key that one of this gateway's peers holds, or that another entry holds on a peer
 * gateway, would make two peers one there. The whole update is refused, before anything changes,
 * with the holder named. Read from the key items of the gateway and its peer gateways, one batched
 * read, and the peers of only those whose items may be incomplete (keyHoldersOn). A peer gateway's
 * entry for this gateway already holding the key is a redelivery's finished work, not a clash.
 * updateRemotePeer's commit still refuses a holder that came after this read.
 */
async function refuseKeyClash(
  d: UpdateDeps,
  gateway: GatewayRecord,
  peerings: readonly PeeringPeer[],
): Promise<void> {
  // Both sides of a peering name their peer entry alike (peeringPeerName).
  const entryFor = new Map(peerings.map((peer) => [peer.remoteGatewayId, peer.name]));
  const holders = await keyHoldersOn(d, gateway.publicKey, [gateway.id, ...entryFor.keys()], (gatewayId) =>
    entryFor.get(gatewayId),
  );
  const own = holders.get(gateway.id);
  if (own !== undefined) throw new ValidationError(`is held by this gateway's peer "${own}"`, 'publicKey');
  const clash = peerings.find((peer) => holders.has(peer.remoteGatewayId));
  if (clash) {
    throw new ValidationError(
      `is held by the peer "${holders.get(clash.remoteGatewayId)}" of peer gateway ${clash.remoteGatewayId}`,
      'publicKey',
    );
  }
}

function mergeUpdate(
  id: string,
  input: RegisterGatewayInput,
  existing: GatewayRecord | undefined,
  now: string,
): GatewayRecord {
  const changed = existing && ADDRESSING_FIELDS.find((field) => existing[field] !== input[field]);
  if (changed) throw new ValidationError('cannot change on a registered gateway', changed);
  const publicKey = input.publicKey ?? existing?.publicKey;
  if (publicKey === undefined) {
    throw new ValidationError('is required for a gateway not registered yet', 'publicKey');
  }
  if (existing?.privateKeyParam && publicKey !== existing.publicKey) {
    // The control plane generated this gateway's key pair: no other public key can be right.
    throw new ValidationError('differs from the key pair generated for this gateway', 'publicKey');
  }
  const merged: GatewayRecord = {
    ...input,
    id,
    name: input.name ?? existing?.name ?? id,
    publicKey,
    desiredGeneration: existing?.desiredGeneration ?? 0,
    privateKeyParam: existing?.privateKeyParam ?? null,
    createdAt: existing?.createdAt ?? now,
    updatedAt: now,
  };
  // What its road-warriors' configs carry changed: those downloaded before are outdated. A
  // redelivery finds the change made (existing holds it) and keeps the time of the first. Given
  // only when this update changes it: upsertGateway keeps what it is not given, so a mark written
  // since `existing` was read (a peering activated, markClientConfigChanged) is not put back.
  return existing && changesWhatPeersHold(existing, merged)
    ? { ...merged, clientConfigChangedAt: now }
    : merged;
}
