/**
 * What happens when the provisioning system changes or deletes a gateway (docs/CONTRACT.md#events);
 * the stream-driven cascade after a gateway is gone is gateway-cascade.ts, the peer gateways' part
 * of an update gateway-peer-walk.ts, a move's instance-move.ts. Every function is safe to run
 * twice: events are delivered at least once.
 */
import { type AddressPolicy, DEFAULT_ADDRESS_POLICY } from '../core/address-rules';
import { GatewayGoneError, ValidationError } from '../core/errors';
import { isOlder, predatesIncarnation, replacedWithin, revertsWithinSecond } from '../core/event-times';
import { parseRegisterGatewayBody, type RegisterGatewayInput } from '../core/schemas';
import type { GatewayRecord } from '../core/types';
import { GATEWAY_FIELDS, pickFields } from '../core/views';
import { logger } from '../shared/logger';
import {
  changesWhatPeersHold,
  peeringPeersOf,
  refuseEndpointInsideRoutes,
  refuseKeyClash,
  repushToPeers,
} from './gateway-peer-walk';
import { type UpdateLeaseDeps, underUpdateLease } from './gateway-update-lease';
import {
  finishMove,
  type MoveDeps,
  movedInstanceRendered,
  retireBeforeMove,
  startMovedInstance,
} from './instance-move';
import { changeMark } from './new-records';
import type { PeerFanoutDeps } from './peer-fanout';
import { type Dependencies, GATEWAY_TOMBSTONE_TTL_SECONDS } from './ports';
import { moveRotation, newMoveRotation } from './preshared-key-rotation';
import { type PushRun, startGatewayPush } from './push-runs';

/**
 * Deletes the gateway item only; the stream REMOVE it causes starts the cascade, which also
 * releases the gateway's instance (gateway-cascade.ts). An event of an earlier incarnation
 * (`eventTime` at or before the end of the one the gateway replaced: its deletion delivered again
 * after the id was registered again) deletes nothing (docs/CONTRACT.md#events). The delete is bound to the incarnation read: one registered between
 * the read and the delete is read and judged anew. The tombstone keeps `eventTime`, for the next
 * incarnation to know when this one ended, but never more than DELETION_STAMP_LEAD_SECONDS ahead
 * of now: a "Deleted" stamped further ahead would have the next incarnation ignore its own events
 * until then (review s19d). One older than the tombstone's life is refused (refuseOutlived).
 */
export async function gatewayDeleted(
  d: Pick<Dependencies, 'repository' | 'clock'>,
  gatewayId: string,
  eventTime?: string,
): Promise<GatewayRecord | undefined> {
  const now = d.clock().toISOString();
  if (eventTime !== undefined) refuseOutlived(gatewayId, eventTime, now);
  const kept =
    eventTime === undefined ? undefined : receivedTime(eventTime, now, DELETION_STAMP_LEAD_SECONDS);
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
      return await d.repository.deleteGateway(gatewayId, current?.createdAt ?? null, kept);
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
 * How far ahead of the control plane's clock a "Deleted" may be stamped and still be kept as
 * stamped: the product's clock a little ahead (uniformly) keeps its redelivered Deleted recognised
 * by its own time (docs/DECISIONS.md, "Events of an earlier incarnation"); a stamp further ahead is
 * kept as now plus this, so the next incarnation loses at most this much (review s19d).
 */
export const DELETION_STAMP_LEAD_SECONDS = 60;

/**
 * An event older than a deleted gateway's tombstone lives (an archive replay) can no longer be
 * judged: an Updated would bring back a gateway deleted since, a Deleted would delete the id's next
 * incarnation (registered once the tombstone expired, it knows no predecessor). Refused with nothing
 * changed: thrown as a ValidationError, which the handler logs ("rejected gateway event") and the
 * dead-letter queue parks, whose alarm says so (docs/CONTRACT.md#events).
 */
function refuseOutlived(gatewayId: string, eventTime: string, now: string): void {
  const age = Date.parse(now) - Date.parse(eventTime);
  if (!(age >= GATEWAY_TOMBSTONE_TTL_SECONDS * 1000)) return;
  logger.warn('gateway event older than a deleted gateway is remembered: refused', {
    gatewayId,
    eventTime,
    now,
    maxAgeSeconds: GATEWAY_TOMBSTONE_TTL_SECONDS,
  });
  throw new ValidationError(
    `is older than a deleted gateway is remembered (${GATEWAY_TOMBSTONE_TTL_SECONDS / 86_400} days)`,
    'time',
  );
}

/**
 * Fields peerings were checked and configured against (owner, VPC, CIDRs, tunnel address).
 * Changing one under live peerings would silently break them, so an update may not touch them.
 */
const ADDRESSING_FIELDS = ['ownerId', 'vpcId', 'vpcCidr', 'tunnelSubnet', 'tunnelIp'] as const;

export type UpdateDeps = MoveDeps &
  Pick<Dependencies, 'clock' | 'secrets'> &
  Pick<UpdateLeaseDeps, 'wait'> &
  Pick<PeerFanoutDeps, 'peerFanoutStartsPerSecond'>;

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
 * One older than the last applied is ignored; one of its second that would bring back an instance or
 * key replaced in that second is refused (thrown).
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
  if (eventTime !== undefined) refuseOutlived(id, eventTime, d.clock().toISOString());
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
    // Nor may one of the applied one's second, whose order is unknown, bring back an instance or key
    // an update of that second replaced: refused, for the dead-letter queue and its alarm.
    const reverted = existing && eventTime !== undefined && revertsWithinSecond(eventTime, existing, input);
    if (reverted) {
      logger.warn('update of the second applied would bring back a value it replaced: refused', {
        gatewayId: id,
        eventTime,
        applied,
        field: reverted,
      });
      throw new ValidationError('goes back to a value an update of the same second replaced', reverted);
    }
    return applyUpdate(d, id, input, existing, eventTime);
  });
}

/**
 * The time kept of an event: its own, but never later than now (plus `leadSeconds`). A producer may
 * stamp `Time` itself, and one stamped in the future (a skewed clock) would otherwise have every
 * later update ignored until then (review s14d), or, for a deletion, every event of the id's next
 * incarnation (review s19d).
 */
function receivedTime(eventTime: string, now: string, leadSeconds = 0): string {
  const latest = new Date(Date.parse(now) + leadSeconds * 1000).toISOString();
  if (Date.parse(eventTime) <= Date.parse(latest)) return eventTime;
  logger.warn('event stamped in the future: kept as received', { eventTime, now, kept: latest });
  return latest;
}

/**
 * The sweep's re-drive of a gateway's peer walk owed past its bound (its event's retries spent,
 * the event in the dead-letter queue): the registry's own values applied again, as an update that
 * finds the mark does (every peer walked, an unfinished move finished, the gateway's own push
 * started, the walk settled).
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
  const kept = eventTime === undefined ? undefined : receivedTime(eventTime, now);
  const merged = mergeUpdate(id, input, existing, now);
  // What its peer gateways hold of it (their entries for it) changed, or an earlier update's walk
  // over them did not finish (peerWalkOwedSince): every peer is walked once the registry holds it.
  const rekeyed = existing !== undefined && existing.publicKey !== merged.publicKey;
  const peersHoldChange =
    existing !== undefined &&
    (changesWhatPeersHold(existing, merged) || existing.peerWalkOwedSince !== undefined);
  const previousInstance =
    existing !== undefined && existing.instanceId !== merged.instanceId ? existing.instanceId : undefined;
  // Written in the same write as the change and removed once every peer has it (below): a run that
  // fails or stops anywhere between leaves it, for the event's retry or, those spent, the sweep
  // (finishOwedWalk), which then walk every peer with what the registry holds. One owed already is
  // kept (owed since then; runs take turns under the lease), so the sweep's deferral of it holds.
  // A move owes its end too, and the sweep finds owed work by this mark (docs/DECISIONS.md, "A
  // move's end is owed on the gateway item").
  const owed = existing?.peerWalkOwedSince ?? changeMark(d.clock());
  const marked = peersHoldChange || previousInstance !== undefined;
  const record: GatewayRecord = {
    ...merged,
    ...(kept === undefined
      ? {}
      : { updateEventTime: kept, replacedInUpdateSecond: replacedWithin(kept, existing, merged) }),
    ...(marked ? { peerWalkOwedSince: owed } : {}),
  };
  // A new key held on either side, or a new publicIp inside a prefix it or a peer gateway routes
  // through the tunnel, refuses the whole update, before anything changes.
  const movedIp = existing !== undefined && existing.publicIp !== record.publicIp;
  const peerings = rekeyed || movedIp ? await peeringPeersOf(d, record.id) : [];
  if (rekeyed) await refuseKeyClash(d, record, peerings);
  if (movedIp) await refuseEndpointInsideRoutes(d, record, peerings);
  // Then: an instance another gateway holds refuses the whole update (docs/DECISIONS.md, "Hardening").
  await d.repository.claimInstance(record.instanceId, record.id);
  // Its own interface listens on listenPort, and a new instance holds nothing yet: a new desired
  // state without a peer-set change, so it gets a generation of its own (a finished push of the
  // current one would otherwise be joined and nothing pushed). Bumped before the registry, so a
  // redelivery after the upsert bumps nothing (a move's end resumes from its mark: finishMove).
  const portMoved = existing !== undefined && existing.listenPort !== record.listenPort;
  const ownGeneration =
    portMoved || previousInstance !== undefined ? await d.repository.bumpGeneration(record.id) : undefined;
  const move =
    previousInstance !== undefined && ownGeneration !== undefined
      ? { instanceId: previousInstance, retiredThrough: ownGeneration, rotation: newMoveRotation() }
      : undefined;
  // Before the upsert, so a redelivery after a crash still sees the move and repeats it.
  if (move) await retireBeforeMove(d, record.id, move, existing?.unfinishedMove, record.instanceId);
  const stored = await d.repository.upsertGateway(move ? { ...record, unfinishedMove: move } : record);
  // This update's move, or one whose run stopped after its registry write (the mark kept): the new
  // instance is pushed now, with the keys the peer gateways still hold, and every peering gets a
  // new preshared key in the walk, which only pushes rendered after the registry write can name,
  // and those go to the new instance (docs/DECISIONS.md, "A move rotates the moved gateway's
  // preshared keys", "A moved gateway serves during its key-rotation walk").
  const unfinished = stored.unfinishedMove;
  const rotation = unfinished === undefined ? undefined : moveRotation(record.id, unfinished);
  const started = unfinished === undefined ? undefined : await startMovedInstance(d, stored, unfinished);
  const pushes = started === undefined ? [] : [started];
  // The peers are listed once the registry holds the change, so none is missed: a peering committed
  // before the listing is in it, and one that copied the old key or endpoint and commits after it
  // fails Allocate's check (the registry no longer holds them) and copies the new ones.
  if (peersHoldChange || rotation !== undefined) {
    const peerings = await peeringPeersOf(d, record.id);
    // Its switches would starve the new instance's render: the walk starts once it is published.
    if (started !== undefined && peerings.length > 0) await movedInstanceRendered(d, started);
    pushes.push(...(await repushToPeers(d, stored, peerings, rotation)));
  }
  if (unfinished !== undefined && started !== undefined) {
    const finished = await finishMove(d, record.id, unfinished, started);
    if (finished !== undefined) pushes.push(finished);
  } else if (ownGeneration !== undefined || existing?.peerWalkOwedSince !== undefined) {
    // A run that stopped after the upsert bumped nothing on its redelivery (the registry holds
    // the new port): its own push starts here at the current generation (joined if it ran).
    pushes.push(await startGatewayPush(d, record.id, ownGeneration ?? stored.desiredGeneration));
  }
  // Settled last: should anything above fail or the run stop, the registry holds the change and
  // peerWalkOwedSince, and the redelivered event walks every peer again, finishes the move and
  // starts the gateway's own push (each rewrite idempotent, each start joined by its name).
  if (marked) await d.repository.settlePeerWalk(record.id, owed);
  return { gateway: stored, pushes };
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
