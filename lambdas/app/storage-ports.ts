/**
 * Storage ports: one per aggregate, and `Repository`, all of them. Implemented by
 * lambdas/adapters/dynamodb (one store per aggregate over one table) and lambdas/adapters/memory;
 * test/support/repository-contract.ts is the suite both pass. Re-exported by ./ports.
 */

import type { Page, PageRequest } from '../core/pagination';
import type {
  AppliedGeneration,
  GatewayRecord,
  GatewayStatusReport,
  Peering,
  PeeringStatus,
  PeerRecord,
  SentPush,
  UnfinishedMove,
} from '../core/types';
import type {
  AdmissionStore,
  IdempotencyStore,
  InstanceLockStore,
  SecretCleanupStore,
} from './bookkeeping-ports';
import type { PushLeaseStore } from './push-lease-ports';
import type {
  ClientConfigDownload,
  GatewayFilter,
  NewPeering,
  NewRoadWarrior,
  PeeringFilter,
  PresharedKeyRotation,
  PresharedKeySwitch,
  RemoteGatewayView,
  RemotePeerRewrite,
  RouteBlock,
} from './storage-shapes';

import type { SweepStore } from './sweep-ports';

export * from './storage-shapes';

/**
 * How long a deleted peering's id stays refused (its tombstone): far beyond any retry of a step,
 * re-drive or Idempotency-Key, and as long as Step Functions keeps the names of closed executions.
 */
export const PEERING_TOMBSTONE_TTL_SECONDS = 90 * 24 * 60 * 60;

/**
 * How long a deleted gateway's tombstone is kept once its cascade ended (never while it is
 * pending): longer than EventBridge retries an event (24 h) and than a dead-letter queue keeps one
 * (14 days). A gateway event older than that is refused
 * (app/gateway-lifecycle.ts): the tombstone that would have judged it may be gone.
 */
export const GATEWAY_TOMBSTONE_TTL_SECONDS = 30 * 24 * 60 * 60;

/**
 * Storage, one port per aggregate; `Repository` is all of them. Implementations:
 * lambdas/adapters/dynamodb (one store per aggregate over one table) and lambdas/adapters/memory
 * (tests and the embedded runtime's memory mode); test/contract holds the suite both pass.
 */
export interface GatewayStore {
  /**
   * Conditional create; ConflictError GATEWAY_EXISTS when the id is taken, GATEWAY_BEING_DELETED
   * while the cascade of the id's deleted predecessor is pending (beginGatewayCascade). Replacing
   * the predecessor's tombstone, it stores when that incarnation ended as the record's
   * `priorIncarnationEndedAt` (core/event-times.ts incarnationEnd); a `gateway` given one has it
   * replaced, and an id without a tombstone gets none.
   */
  createGateway(gateway: GatewayRecord): Promise<void>;
  /**
   * Insert or replace the registry fields (event "VPN Gateway Updated"); keeps desiredGeneration,
   * priorIncarnationEndedAt and healedThrough, and the other bookkeeping (clientConfigChangedAt,
   * peerWalkOwedSince, updateEventTime, replacedInUpdateSecond, unfinishedMove) when `gateway` has
   * none. Never replaces a tombstone (GatewayGoneError): only createGateway does.
   */
  upsertGateway(gateway: GatewayRecord): Promise<GatewayRecord>;
  /** Removes the gateway's peerWalkOwedSince if it is still `owedSince` (a later update's stays). */
  settlePeerWalk(gatewayId: string, owedSince: string): Promise<void>;
  /** Removes the gateway's unfinishedMove if it is still `move` (a later move's stays). */
  settleMove(gatewayId: string, move: UnfinishedMove): Promise<void>;
  /**
   * The sweep finds the walk owed since `owedSince` again only once `until` (ISO 8601) is past its
   * bound, if the mark is still that one (a later update's mark is due at once).
   */
  deferPeerWalk(gatewayId: string, owedSince: string, until: string): Promise<void>;
  /**
   * Takes the gateway's update lease (app/gateway-update-lease.ts) for `holder` until `untilMs`
   * (epoch ms): true when there was none, it had expired at `nowMs`, or `holder` held it already;
   * false while another holder has it. Needs no registered gateway (a first registration takes it
   * too); the cascade's purge removes it with the gateway's residue, and it expires by itself.
   */
  takeUpdateLease(gatewayId: string, holder: string, untilMs: number, nowMs: number): Promise<boolean>;
  /** Frees the gateway's update lease if `holder` holds it. Idempotent. */
  releaseUpdateLease(gatewayId: string, holder: string): Promise<void>;
  getGateway(id: string): Promise<GatewayRecord | undefined>;
  /**
   * How many addresses of the gateway's tunnel subnet are given out (each peer entry holds one),
   * read strongly consistent; undefined when the gateway is gone. A read before work that a full
   * subnet would waste (a road-warrior's generated key): the allocating commit still enforces the
   * capacity.
   */
  tunnelAddressesTaken(gatewayId: string): Promise<number | undefined>;
  /** One page in id order (docs/ARCHITECTURE.md "Lists"); never a table scan. */
  pageGateways(filter: GatewayFilter, page: PageRequest): Promise<Page<GatewayRecord>>;
  /**
   * Deletes the gateway item only; the stream-driven cascade cleans the rest. Idempotent. The
   * deletion marks that cascade pending: the id cannot be registered again until it ended.
   * `incarnation` binds it to what the caller read, for the id may have been deleted and
   * registered again since (docs/SECURITY.md, "Re-registration"): the `createdAt` of the gateway
   * it checked, or null when it found none (then only the tombstone is written, as for an id
   * deleted already). When the id holds anything else now, nothing is written and
   * GatewayGoneError says so. Omitted: whatever the id holds (tests and tools).
   * The tombstone keeps when the deletion happened (`deletedAt`) and `deletingEventTime`, the
   * `time` of the "VPN Gateway Deleted" event deleting it (none for the API's deletion; on an id
   * already deleted, the later of the one kept and this one): createGateway reads both.
   */
  deleteGateway(
    id: string,
    incarnation?: string | null,
    deletingEventTime?: string,
  ): Promise<GatewayRecord | undefined>;
  /**
   * Asked by the cascade of the incarnation deleted at `generation` (its last desiredGeneration)
   * before it touches anything of the id: true while that cascade is pending (the id's tombstone
   * names that generation and the cascade did not end), and the id stays unregistrable until
   * endGatewayCascade. False once it ended, or when the id was deleted again or registered again:
   * a redelivered or redriven stream record must then leave the id's records, keys and peerings
   * alone, which may be a new incarnation's.
   */
  beginGatewayCascade(gatewayId: string, generation: number): Promise<boolean>;
  /** Ends the cascade `beginGatewayCascade` allowed: the id may be registered again. Idempotent. */
  endGatewayCascade(gatewayId: string, generation: number): Promise<void>;
  /** True while the cascade of the id's deleted predecessor is pending (a read: nothing is marked). */
  isGatewayCascadePending(gatewayId: string): Promise<boolean>;
  /**
   * Increments the gateway's desiredGeneration, for a change of its desired state that touches no
   * peer entry (its listenPort). Returns the new generation, undefined when the gateway is gone.
   */
  bumpGeneration(gatewayId: string): Promise<number | undefined>;
  /**
   * Sets the gateway's desiredGeneration to `generation`, and its healedThrough to the generation
   * below it, in one conditional write, only while the gateway is still `read` (same incarnation,
   * instance and desired generation) and `generation` is above it: after a restore of the table,
   * an instance holds a generation above the restored one (app/status-reports.ts,
   * docs/DECISIONS.md "A restored table heals"). False when anything changed since the read (the
   * next report reads again).
   */
  raiseGeneration(
    read: Pick<GatewayRecord, 'id' | 'createdAt' | 'instanceId' | 'desiredGeneration'>,
    generation: number,
  ): Promise<boolean>;
  /**
   * The VPCs the gateway's road-warrior configs reach changed (a peering of it became ACTIVE, or
   * left ACTIVE): `clientConfigChangedAt` gets a new mark (changeMark), so every config
   * downloaded before is outdated. One conditional write; a gone gateway is left gone.
   */
  markClientConfigChanged(gatewayId: string): Promise<void>;
}

/** What a gateway's public-key items say of one key (PeerStore.publicKeyHolders). */
export interface PublicKeyHolders {
  /** Gateway id → name of the peer entry holding the key. */
  holders: Map<string, string>;
  /** Gateways some of whose entries may hold a key with no item (docs/DECISIONS.md, "Public-key items for older peer entries"). */
  unindexed: Set<string>;
}

export interface PeerStore {
  /** Every peer entry: the config push renders them all. */
  listPeers(gatewayId: string): Promise<PeerRecord[]>;
  /** One page of peer entries in name order. */
  pagePeers(gatewayId: string, page: PageRequest): Promise<Page<PeerRecord>>;
  /** The vpc-peering peer entries only (one per peering of the gateway, never its road-warriors). */
  listPeeringPeers(gatewayId: string): Promise<PeerRecord[]>;
  /**
   * The peering ids of the gateway's first `max` vpc-peering entries (in name order), read strongly
   * consistent: a bounded count for the per-gateway peering limit, never every entry of a hub.
   */
  peeringIdsUpTo(gatewayId: string, max: number): Promise<string[]>;
  /** The route lock blocks `prefixes` claim on each gateway, one batched read. */
  readRouteBlocks(requests: { gatewayId: string; prefixes: readonly string[] }[]): Promise<RouteBlock[]>;
  /** Which of `otherIds` hold a pair lock with `gatewayId` (a live peering), one batched read. */
  peeredWith(gatewayId: string, otherIds: string[]): Promise<Set<string>>;
  getPeer(gatewayId: string, name: string): Promise<PeerRecord | undefined>;
  /**
   * One transaction: sets the endpoint and public key of the entry `peerName` (one describing a
   * peer gateway) to `remote`'s, moves the entry's public-key item when the key changes (the new
   * key claimed, the old one released when the entry holds it) and bumps the gateway's
   * desiredGeneration. Returns the new generation, rewritten; the current one, not rewritten, when
   * the entry already has both values (so a redelivery bumps nothing); undefined when the peer entry
   * or the gateway is gone.
   * ConflictError PUBLIC_KEY_IN_USE, nothing written, when another entry of the gateway holds the
   * new key.
   */
  updateRemotePeer(
    gatewayId: string,
    peerName: string,
    remote: RemoteGatewayView,
  ): Promise<RemotePeerRewrite | undefined>;
  /**
   * One transaction: both entries of one peering (`peerName` on `gatewayId` and on
   * `remoteGatewayId`: both sides name theirs alike) switch from the preshared key name `from` to
   * `to` and record `rotation` (`presharedKeyRotation`), each conditional on holding `from`, and
   * both gateways' desiredGeneration moves (every peer-set change does: two pushes of one
   * generation render the same bytes). `gatewayId`'s move is an increment bound to its incarnation
   * (`gatewayCreatedAt`); the remote one's a compare-and-set, so the generation returned is the
   * first holding the switch. Nothing written, the remote gateway's current generation returned,
   * when the entries already carry `rotation` (a repeat) or no longer hold `from` (another
   * rotation switched them since the caller read them: a name is never given twice). Undefined,
   * nothing written, when either entry or gateway is gone (the peering deleted meanwhile: never
   * brought back).
   */
  switchPresharedKey(
    gatewayId: string,
    gatewayCreatedAt: string,
    remoteGatewayId: string,
    peerName: string,
    change: PresharedKeyRotation,
  ): Promise<PresharedKeySwitch | undefined>;
  /**
   * Of `gatewayIds`, those where a peer entry holds `publicKey` (by its key item), each with that
   * entry's name; and those whose items may be incomplete (`unindexed`: entries older than the
   * items, not yet backfilled), where only their peers can tell. One batched read.
   */
  publicKeyHolders(publicKey: string, gatewayIds: readonly string[]): Promise<PublicKeyHolders>;
  /** Allocates an address, writes the peer, bumps the generation. ConflictError PEER_EXISTS. */
  addRoadWarrior(peer: NewRoadWarrior): Promise<PeerRecord>;
  /**
   * Removes the road-warrior peer, frees its address, bumps the generation. Returns the removed
   * peer; undefined when there is no road-warrior of that name (a vpc-peering entry is left alone:
   * it goes with its peering).
   */
  removeRoadWarrior(gatewayId: string, name: string): Promise<PeerRecord | undefined>;
  /**
   * Records a download of the road-warrior's config on its entry (configDownloadedAt,
   * downloadedConfigChangedAt), replacing the last one; one conditional write. False, nothing
   * written, when no road-warrior of that name holds `download.publicKey` (removed, or removed and
   * added again, since the config was read).
   */
  recordConfigDownload(gatewayId: string, name: string, download: ClientConfigDownload): Promise<boolean>;
  /** After a gateway is gone: deletes its remaining peer entries, allocations and status. Idempotent. */
  purgeGatewayResidue(gatewayId: string): Promise<void>;
}

export interface PeeringStore {
  /**
   * One transaction: the peering (PROVISIONING), both peer entries, one tunnel address per side
   * (allocated at random, retried on collision), the unordered pair lock, both gateways'
   * desiredGeneration bumps (conditional on the gateways existing and being ACTIVE).
   * Idempotent: a peering with the same id already written is returned as is. NotFoundError when
   * the id's peering was deleted (its tombstone, releasePeering): a deleted id is never made again.
   * ConflictError PEERING_ALREADY_EXISTS / GATEWAY_NOT_ACTIVE / TUNNEL_SUBNET_EXHAUSTED;
   * ChecksOutdatedError when a route block moved since `routeBlockVersions` were read.
   */
  createPeering(peering: NewPeering): Promise<Peering>;
  getPeering(id: string): Promise<Peering | undefined>;
  /** One page in id order; never a table scan. */
  pagePeerings(filter: PeeringFilter, page: PageRequest): Promise<Page<Peering>>;
  /**
   * Up to `max` ids, in id order, of the owner's peerings PROVISIONING or DELETING (the operations
   * limit, app/api/limits.ts): a read bounded by `max`, whatever the owner's other peerings. Their
   * status is read strongly consistent, so a peering that settled is never among them. On DynamoDB
   * one put in flight a moment ago may be missing for the index's lag (under a second): the
   * limit's admission entries count a create admitted meanwhile.
   */
  inFlightPeeringIds(ownerId: string, max: number): Promise<string[]>;
  /** Conditional on the current status being one of `from`; returns undefined when it was not. */
  setPeeringStatus(
    id: string,
    status: PeeringStatus,
    reason: string | null,
    from: PeeringStatus[],
  ): Promise<Peering | undefined>;
  markSideApplied(id: string, gatewayId: string): Promise<Peering | undefined>;
  /**
   * Records `next` as the peering's `lastRedrive`, conditional on its status still being `status`
   * and its `lastRedrive` still being `previous` (undefined: none): false when either changed (another
   * sweep recorded its own, or the peering moved on). `updatedAt` stays as it is.
   */
  recordRedrive(
    id: string,
    claim: { status: PeeringStatus; previous: string | undefined; next: string },
  ): Promise<boolean>;
  /**
   * Removes both peer entries and bumps the generation of each gateway that still exists.
   * Idempotent. Returns the new generation per remaining gateway.
   */
  detachPeering(id: string): Promise<Record<string, number>>;
  /**
   * Frees both addresses and the pair lock; when `deleteRecord`, replaces the record by a tombstone
   * of its id for PEERING_TOMBSTONE_TTL_SECONDS, which no read or list shows and createPeering
   * refuses. Idempotent.
   */
  releasePeering(id: string, options: { deleteRecord: boolean }): Promise<void>;
  /**
   * A FAILED peering's release ended (its places and preshared key freed): it leaves the sweep's
   * work. Until then a FAILED peering is sweep work like one in flight (findSweepWork), so a
   * release that ran out of retries is run again (app/sweeper.ts). No-op for any other status.
   */
  markPeeringReleased(id: string): Promise<void>;
  /**
   * Kept when the API answered a create 202 (its run had not written the peering yet), for
   * PEERING_TOMBSTONE_TTL_SECONDS from `acceptedAt`: whose the id is, so its Location can show the
   * run's outcome to that owner alone without asking the workflow engine for anyone else
   * (app/api/peerings.ts). Replaces the receipt of the id (the Location records its closed run's
   * `outcome` so); idempotent.
   */
  putCreateReceipt(receipt: CreateReceipt): Promise<void>;
  getCreateReceipt(id: string): Promise<CreateReceipt | undefined>;
  /** Whether a peering was written under `id` and deleted since (its tombstone holds the id). */
  peeringDeleted(id: string): Promise<boolean>;
}

/** The record of a create answered 202 (PeeringStore.putCreateReceipt): ids, and its closed run's outcome. */
export interface CreateReceipt {
  peeringId: string;
  ownerId: string;
  gatewayIds: [string, string];
  acceptedAt: string;
  /**
   * What its run left the Location to answer, once it closed without a peering record: recorded by
   * the first GET that found it closed (a closed run never changes), so later GETs describe no run.
   */
  outcome?: CreateRunOutcome;
}

/** A closed create run without a record: nothing to show (404), or the FAILED view's reason. */
export type CreateRunOutcome = { kind: 'gone' } | { kind: 'failed'; reason: string };

export interface StatusStore {
  /** Every push records what its instance applied; an older generation never replaces a newer one. */
  recordApplied(applied: AppliedGeneration): Promise<void>;
  getAppliedGeneration(gatewayId: string): Promise<AppliedGeneration | undefined>;
  /** Records a push's command; a push of a lower or the same generation never replaces it. */
  recordPushSent(push: SentPush): Promise<void>;
  getPushSent(gatewayId: string): Promise<SentPush | undefined>;
  /**
   * A push's live peer list (a full apply's report): replaces the stored report when its generation
   * is higher, or the same and it is not older.
   */
  putStatusReport(report: GatewayStatusReport): Promise<void>;
  /**
   * A periodic report: replaces the stored report when it is not older, whatever their generations
   * (an instance may go back to an older generation: docs/DECISIONS.md, "Status reports in the
   * instance's order and clock"). False when a newer one is stored (then it changes nothing).
   */
  putPeriodicReport(report: GatewayStatusReport): Promise<boolean>;
  getStatusReport(gatewayId: string): Promise<GatewayStatusReport | undefined>;
  /**
   * Forgets both (the gateway moved to another instance: what the old one applied says nothing of the new one, and its
   * highest generation would hide the new one's reports). Idempotent. The push sent stays (the new instance's push
   * replaces it); an unfinished move is marked on the gateway item (unfinishedMove, app/instance-move.ts).
   */
  forgetInstanceReports(gatewayId: string): Promise<void>;
}

export interface Repository
  extends GatewayStore,
    PeerStore,
    PeeringStore,
    StatusStore,
    PushLeaseStore,
    IdempotencyStore,
    InstanceLockStore,
    AdmissionStore,
    SecretCleanupStore,
    SweepStore {}

export type {
  AdmissionKind,
  AdmissionStore,
  Admissions,
  IdempotencyRecord,
  IdempotencyStore,
  InstanceLockStore,
  SecretCleanup,
  SecretCleanupStore,
} from './bookkeeping-ports';
export { IDEMPOTENCY_TTL_SECONDS } from './bookkeeping-ports';
export type { PushLease, PushLeaseStore } from './push-lease-ports';
export type {
  PeerKeyBackfill,
  PeerKeyClash,
  RemovedGateway,
  SweepStore,
  SweepWork,
  SweepWorkBounds,
} from './sweep-ports';
