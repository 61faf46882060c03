/**
 * The Repository port in memory: the same contract as the DynamoDB repository (test/contract runs
 * one suite against both), for use-case and API tests that need neither DynamoDB's concurrency,
 * nor its capacity figures, nor its stream.
 *
 * Every method does all its reads and writes without an `await` in between, so each one is atomic
 * the way a DynamoDB transaction is. Records are copied in and out: a caller never holds stored state.
 * Lists page by keyset (id or name order) with tokens sealed as the DynamoDB ones are
 * (shared/sealed-tokens.ts), their key kept in the memory state; route lock blocks
 * (core/route-blocks.ts) are kept per gateway with the same counters and conditions.
 * One file (about 800 lines) on purpose: peerings, peers and addresses change together in
 * one synchronous step, which splitting by aggregate would spread over files that share every map.
 * The small side stores at its end (instance locks, admissions, secret cleanups) could move out;
 * they stay so the one state object is the only thing a test resets.
 */
import { randomBytes } from 'node:crypto';
import {
  assertTwoGateways,
  clientConfigMark,
  describedChanged,
  describedGateway,
  newPeeringRecord,
  peeringPeer,
  roadWarriorPeer,
} from '../../app/new-records';
import {
  type AdmissionKind,
  type Admissions,
  type ClientConfigDownload,
  type GatewayFilter,
  IDEMPOTENCY_TTL_SECONDS,
  type IdempotencyRecord,
  type NewPeering,
  type NewRoadWarrior,
  PEERING_TOMBSTONE_TTL_SECONDS,
  type PeeringFilter,
  type PeerKeyBackfill,
  type PublicKeyHolders,
  type PushLease,
  type RemoteGatewayView,
  type RemovedGateway,
  type Repository,
  type RouteBlock,
  type SecretCleanup,
  type SweepWork,
} from '../../app/ports';
import {
  assertActiveWithRoom,
  assertRoom,
  capacityOf,
  type GatewayAllocationState,
  tunnelAddressSpace,
} from '../../core/allocation';
import { ChecksOutdatedError, ConflictError, GatewayGoneError, NotFoundError } from '../../core/errors';
import { compareText } from '../../core/order';
import type { Page, PageRequest } from '../../core/pagination';
import { pushLeaseFree } from '../../core/push-lease';
import { routeLockClaims } from '../../core/route-blocks';
import { PEERING_PEER_PREFIX } from '../../core/schemas';
import type {
  AppliedGeneration,
  GatewayRecord,
  GatewayStatusReport,
  Peering,
  PeeringStatus,
  PeerRecord,
  SentPush,
} from '../../core/types';
import { keysetPage, PAGE_TOKEN_KEY_BYTES, SealedTokens } from '../../shared/sealed-tokens';

export interface MemoryRepositoryOptions {
  /** Now: timestamps and idempotency expiry. */
  clock?: () => Date;
  /** Source of allocation candidates; Math.random by default. */
  random?: () => number;
  /** Told of every gateway deleteGateway removes, as DynamoDB's stream tells the cascade. */
  onGatewayDeleted?: (gateway: GatewayRecord) => void;
}

interface StoredGateway {
  record: GatewayRecord;
  allocatedCount: number;
  capacity: number;
}

interface StoredRouteBlock {
  version: number;
  descendants: number;
  /** peeringId → the prefixes that peering routes through the gateway within the block. */
  routes: Map<string, string[]>;
}

interface StoredIdempotency {
  record: IdempotencyRecord;
  expiresAtMs: number;
}

/** Random candidates tried before a scan for the first free address (as the DynamoDB allocator). */
const RANDOM_PROBES = 8;

const copy = <T>(value: T): T => structuredClone(value);

/** Everything stored; repositories built on one share it (tests give each its own clock). */
export class MemoryState {
  readonly gateways = new Map<string, StoredGateway>();
  readonly tombstones = new Set<string>();
  /** A deleted gateway's last generation: a re-registration continues above it. */
  readonly lastGenerations = new Map<string, number>();
  /**
   * gatewayId → the deleted incarnation whose cascade has not ended (its `desiredGeneration` is the
   * last generation) and when it was deleted: the id is not registered again meanwhile, and the
   * sweep may run that cascade (the DynamoDB tombstone's `cascadePending` and what it keeps).
   */
  readonly pendingCascades = new Map<string, { gateway: RemovedGateway; deletedAt: string }>();
  /** gatewayId → peer name → entry. */
  readonly peers = new Map<string, Map<string, PeerRecord>>();
  /** gatewayId → address → holder (peer name). */
  readonly addresses = new Map<string, Map<string, string>>();
  readonly peerings = new Map<string, Peering>();
  /** A deleted peering's id → when its tombstone expires (epoch ms): createPeering refuses it until then. */
  readonly peeringTombstones = new Map<string, number>();
  /** Unordered pair → peering id. */
  readonly pairLocks = new Map<string, string>();
  readonly applied = new Map<string, AppliedGeneration>();
  readonly reports = new Map<string, GatewayStatusReport>();
  readonly pushes = new Map<string, SentPush>();
  /** gatewayId → its push lease (adapters/dynamodb/push-lease-store.ts has the same rules). */
  readonly pushLeases = new Map<string, PushLease>();
  readonly idempotency = new Map<string, StoredIdempotency>();
  /** instanceId → the gateway holding it (adapters/dynamodb/instance-locks.ts has the same rules). */
  readonly instanceLocks = new Map<string, string>();
  /** `<kind>#<scope>` → admissions (adapters/dynamodb/owner-admissions.ts has the same rules). */
  readonly admissions = new Map<string, Admissions>();
  /** `<recordedAt>#<secretName>` → a recorded secret deletion, in that order as DynamoDB sorts it. */
  readonly secretCleanups = new Map<string, SecretCleanup>();
  /** gatewayId → block (`16:a.b`, `24:a.b.c`) → route lock block. */
  readonly routeBlocks = new Map<string, Map<string, StoredRouteBlock>>();
  /** Seals page tokens of every repository on this state (the DynamoDB one keeps it in its table). */
  readonly pageTokenKey: Buffer = randomBytes(PAGE_TOKEN_KEY_BYTES);
}

export class MemoryRepository implements Repository {
  private readonly clock: () => Date;
  private readonly random: () => number;
  private readonly onGatewayDeleted: (gateway: GatewayRecord) => void;
  private readonly gateways: MemoryState['gateways'];
  private readonly tombstones: MemoryState['tombstones'];
  private readonly peers: MemoryState['peers'];
  private readonly addresses: MemoryState['addresses'];
  private readonly peerings: MemoryState['peerings'];
  private readonly pairLocks: MemoryState['pairLocks'];
  private readonly applied: MemoryState['applied'];
  private readonly reports: MemoryState['reports'];
  private readonly pushes: MemoryState['pushes'];
  private readonly idempotency: MemoryState['idempotency'];
  private readonly routeBlocks: MemoryState['routeBlocks'];
  private readonly tokens: SealedTokens;

  constructor(
    options: MemoryRepositoryOptions = {},
    readonly state = new MemoryState(),
  ) {
    this.clock = options.clock ?? (() => new Date());
    this.random = options.random ?? Math.random;
    this.onGatewayDeleted = options.onGatewayDeleted ?? (() => {});
    ({
      gateways: this.gateways,
      tombstones: this.tombstones,
      peers: this.peers,
      addresses: this.addresses,
      peerings: this.peerings,
      pairLocks: this.pairLocks,
      applied: this.applied,
      reports: this.reports,
      pushes: this.pushes,
      idempotency: this.idempotency,
      routeBlocks: this.routeBlocks,
    } = state);
    this.tokens = new SealedTokens(this.clock, async () => state.pageTokenKey);
  }

  // ---- gateways -------------------------------------------------------------------------------

  async createGateway(gateway: GatewayRecord): Promise<void> {
    if (this.gateways.has(gateway.id)) throw new ConflictError('GATEWAY_EXISTS');
    if (this.state.pendingCascades.has(gateway.id)) throw new ConflictError('GATEWAY_BEING_DELETED');
    this.tombstones.delete(gateway.id);
    const last = this.state.lastGenerations.get(gateway.id);
    const desiredGeneration = Math.max(gateway.desiredGeneration, last === undefined ? 0 : last + 1);
    this.gateways.set(gateway.id, {
      record: { ...copy(gateway), desiredGeneration },
      allocatedCount: 0,
      capacity: capacityOf(gateway),
    });
  }

  /**
   * Registry fields replaced; desiredGeneration, privateKeyParam, createdAt and the count kept. An
   * unknown id with a tombstone is refused, also while its cascade is pending (the tombstone stays).
   */
  async upsertGateway(gateway: GatewayRecord): Promise<GatewayRecord> {
    const stored = this.gateways.get(gateway.id);
    if (!stored) {
      if (this.tombstones.has(gateway.id)) throw new GatewayGoneError(gateway.id);
      await this.createGateway(gateway);
      return copy(gateway);
    }
    const { desiredGeneration, privateKeyParam, createdAt } = stored.record;
    // Replaced when given, kept otherwise, as the DynamoDB update that sets only the fields given.
    const changed = gateway.clientConfigChangedAt ?? stored.record.clientConfigChangedAt;
    stored.record = {
      ...copy(gateway),
      desiredGeneration,
      privateKeyParam,
      createdAt,
      ...(changed === undefined ? {} : { clientConfigChangedAt: changed }),
    };
    stored.capacity = capacityOf(gateway);
    return copy(stored.record);
  }

  async getGateway(id: string): Promise<GatewayRecord | undefined> {
    const stored = this.gateways.get(id);
    return stored && copy(stored.record);
  }

  /** One page in id order, as the DynamoDB one reads its byOwner or byEntity index. */
  async pageGateways(filter: GatewayFilter, page: PageRequest): Promise<Page<GatewayRecord>> {
    return this.tokens.page(page, async (after) => {
      const owned = [...this.gateways.values()]
        .map((stored) => stored.record)
        .filter((record) => filter.ownerId === undefined || record.ownerId === filter.ownerId)
        .sort((a, b) => compareText(a.id, b.id));
      const result = keysetPage(
        owned,
        (record) => record.id,
        { limit: page.limit, after },
        (record) => filter.status === undefined || record.status === filter.status,
      );
      return { ...result, items: result.items.map(copy) };
    });
  }

  /** Deletes the gateway only, as the DynamoDB one does: the cascade (onGatewayDeleted) cleans the rest. */
  async deleteGateway(id: string): Promise<GatewayRecord | undefined> {
    this.tombstones.add(id);
    const stored = this.gateways.get(id);
    if (!stored) return undefined;
    this.gateways.delete(id);
    this.state.lastGenerations.set(id, stored.record.desiredGeneration);
    const { instanceId, desiredGeneration, privateKeyParam } = stored.record;
    this.state.pendingCascades.set(id, {
      gateway: { id, instanceId, desiredGeneration, privateKeyParam },
      deletedAt: this.clock().toISOString(),
    });
    this.onGatewayDeleted(copy(stored.record));
    return copy(stored.record);
  }

  async beginGatewayCascade(gatewayId: string, generation: number): Promise<boolean> {
    return this.state.pendingCascades.get(gatewayId)?.gateway.desiredGeneration === generation;
  }

  async isGatewayCascadePending(gatewayId: string): Promise<boolean> {
    return this.state.pendingCascades.has(gatewayId);
  }

  async endGatewayCascade(gatewayId: string, generation: number): Promise<void> {
    if (this.state.pendingCascades.get(gatewayId)?.gateway.desiredGeneration === generation)
      this.state.pendingCascades.delete(gatewayId);
  }

  async bumpGeneration(gatewayId: string): Promise<number | undefined> {
    const stored = this.gateways.get(gatewayId);
    if (!stored) return undefined;
    stored.record.desiredGeneration += 1;
    return stored.record.desiredGeneration;
  }

  async markClientConfigChanged(gatewayId: string): Promise<void> {
    const stored = this.gateways.get(gatewayId);
    if (stored) stored.record.clientConfigChangedAt = clientConfigMark(this.clock());
  }

  // ---- peers ----------------------------------------------------------------------------------

  async listPeers(gatewayId: string): Promise<PeerRecord[]> {
    return [...this.peersOf(gatewayId).values()].sort((a, b) => compareText(a.name, b.name)).map(copy);
  }

  async pagePeers(gatewayId: string, page: PageRequest): Promise<Page<PeerRecord>> {
    return this.tokens.page(page, async (after) => {
      const sorted = [...this.peersOf(gatewayId).values()].sort((a, b) => compareText(a.name, b.name));
      const result = keysetPage(sorted, (peer) => peer.name, { limit: page.limit, after });
      return { ...result, items: result.items.map(copy) };
    });
  }

  async listPeeringPeers(gatewayId: string): Promise<PeerRecord[]> {
    return (await this.listPeers(gatewayId)).filter((peer) => peer.name.startsWith(PEERING_PEER_PREFIX));
  }

  async readRouteBlocks(
    requests: { gatewayId: string; prefixes: readonly string[] }[],
  ): Promise<RouteBlock[]> {
    const blocks = new Map<string, RouteBlock>();
    for (const { gatewayId, prefixes } of requests) {
      for (const { block } of routeLockClaims(prefixes)) {
        const stored = this.routeBlocks.get(gatewayId)?.get(block);
        blocks.set(`${gatewayId}|${block}`, {
          gatewayId,
          block,
          version: stored?.version ?? 0,
          descendants: stored?.descendants ?? 0,
          routes: [...(stored?.routes ?? new Map<string, string[]>()).entries()].map(
            ([peeringId, routed]) => ({ peeringId, prefixes: [...routed] }),
          ),
        });
      }
    }
    return [...blocks.values()];
  }

  async peeredWith(gatewayId: string, otherIds: string[]): Promise<Set<string>> {
    return new Set(otherIds.filter((otherId) => this.pairLocks.has(pairKey(gatewayId, otherId))));
  }

  async getPeer(gatewayId: string, name: string): Promise<PeerRecord | undefined> {
    const peer = this.peersOf(gatewayId).get(name);
    return peer && copy(peer);
  }

  async updateRemotePeer(
    gatewayId: string,
    peerName: string,
    remote: RemoteGatewayView,
  ): Promise<number | undefined> {
    const stored = this.gateways.get(gatewayId);
    const peer = this.peersOf(gatewayId).get(peerName);
    if (!stored || !peer) return undefined;
    const rekeyed = peer.publicKey !== remote.publicKey;
    if (peer.endpoint === remote.endpoint && !rekeyed) return stored.record.desiredGeneration;
    if (rekeyed) this.refuseKeyHeld(gatewayId, remote.publicKey);
    peer.endpoint = remote.endpoint;
    peer.publicKey = remote.publicKey;
    stored.record.desiredGeneration += 1;
    return stored.record.desiredGeneration;
  }

  /** Every entry here was written with its key's uniqueness checked: no gateway is unindexed. */
  async publicKeyHolders(publicKey: string, gatewayIds: readonly string[]): Promise<PublicKeyHolders> {
    const holders = new Map(
      gatewayIds.flatMap((gatewayId) => {
        const holder = [...this.peersOf(gatewayId).values()].find((peer) => peer.publicKey === publicKey);
        return holder ? [[gatewayId, holder.name] as const] : [];
      }),
    );
    return { holders, unindexed: new Set() };
  }

  async addRoadWarrior(input: NewRoadWarrior): Promise<PeerRecord> {
    const stored = this.requireGateway(input.gatewayId);
    // The gateway the caller checked, not another incarnation of its id (as the DynamoDB commit's condition).
    if (input.gateway && input.gateway.createdAt !== stored.record.createdAt) {
      throw new GatewayGoneError(input.gatewayId);
    }
    assertRoom(stored);
    if (this.peersOf(input.gatewayId).has(input.name)) throw new ConflictError('PEER_EXISTS');
    this.refuseKeyHeld(input.gatewayId, input.publicKey);
    const peer = roadWarriorPeer(input, this.freeAddress(stored.record));
    this.attach(stored, peer);
    stored.record.desiredGeneration += 1;
    return copy(peer);
  }

  async removeRoadWarrior(gatewayId: string, name: string): Promise<PeerRecord | undefined> {
    const peer = this.peersOf(gatewayId).get(name);
    if (peer?.type !== 'road-warrior') return undefined;
    this.peersOf(gatewayId).delete(name);
    this.freeAddressOf(gatewayId, peer.tunnelIp, name);
    const stored = this.gateways.get(gatewayId);
    if (stored) stored.record.desiredGeneration += 1;
    return copy(peer);
  }

  async recordConfigDownload(
    gatewayId: string,
    name: string,
    download: ClientConfigDownload,
  ): Promise<boolean> {
    const peer = this.peersOf(gatewayId).get(name);
    if (peer?.type !== 'road-warrior' || peer.publicKey !== download.publicKey) return false;
    peer.configDownloadedAt = download.downloadedAt;
    if (download.gatewayChangedAt === undefined) delete peer.downloadedConfigChangedAt;
    else peer.downloadedConfigChangedAt = download.gatewayChangedAt;
    return true;
  }

  async purgeGatewayResidue(gatewayId: string): Promise<void> {
    const partitions = [
      this.peers,
      this.addresses,
      this.applied,
      this.reports,
      this.pushes,
      this.state.pushLeases,
      this.routeBlocks,
    ];
    for (const partition of partitions) partition.delete(gatewayId);
  }

  // ---- peerings -------------------------------------------------------------------------------

  async createPeering(input: NewPeering): Promise<Peering> {
    const existing = this.peerings.get(input.id);
    if (existing) return copy(existing);
    if ((this.state.peeringTombstones.get(input.id) ?? 0) > this.clock().getTime()) {
      throw new NotFoundError(`Peering ${input.id}`);
    }
    assertTwoGateways(input);
    const a = this.requireGateway(input.sides[0].gatewayId);
    const b = this.requireGateway(input.sides[1].gatewayId);
    const states = [allocationState(a), allocationState(b)];
    for (const state of states) assertActiveWithRoom(state);
    const lock = pairKey(a.record.id, b.record.id);
    if (this.pairLocks.has(lock)) throw new ConflictError('PEERING_ALREADY_EXISTS');
    if (input.sides.some((side) => this.peersOf(side.gatewayId).has(side.peer.name))) {
      throw new ConflictError('PEER_EXISTS');
    }
    for (const side of input.sides) this.refuseKeyHeld(side.gatewayId, side.peer.publicKey);
    // Each entry's copy of the other gateway's key and endpoint binds here, as the route blocks do.
    if (
      describedChanged(describedGateway(input.sides[1]), a.record) ||
      describedChanged(describedGateway(input.sides[0]), b.record)
    ) {
      throw new ChecksOutdatedError(`A gateway of peering ${input.id} changed since it was checked`);
    }
    // The routed-prefix check binds here: only to the blocks this peering adds prefixes to.
    const claims = input.sides.map((side) => routeLockClaims(side.peer.allowedIps));
    const expected = input.routeBlockVersions;
    if (expected) {
      input.sides.forEach((side, i) => {
        for (const claim of claims[i] ?? []) {
          const seen = expected.find(
            (block) => block.gatewayId === side.gatewayId && block.block === claim.block,
          );
          const stored = this.routeBlocks.get(side.gatewayId)?.get(claim.block);
          const moved =
            (stored?.version ?? 0) !== (seen?.version ?? 0) ||
            (claim.exclusive && (stored?.descendants ?? 0) !== (seen?.descendants ?? 0));
          if (moved) {
            throw new ChecksOutdatedError(
              `A route block of peering ${input.id} changed since it was checked`,
            );
          }
        }
      });
    }
    const tunnelIps: [string, string] = [this.freeAddress(a.record), this.freeAddress(b.record)];
    const peering = newPeeringRecord(
      input,
      [a.record.desiredGeneration, b.record.desiredGeneration],
      tunnelIps,
    );
    this.attach(a, peeringPeer(input, input.sides[0], tunnelIps[0]));
    this.attach(b, peeringPeer(input, input.sides[1], tunnelIps[1]));
    a.record.desiredGeneration += 1;
    b.record.desiredGeneration += 1;
    input.sides.forEach((side, i) => {
      const blocks = partition(this.routeBlocks, side.gatewayId);
      for (const claim of claims[i] ?? []) {
        const block = blocks.get(claim.block) ?? { version: 0, descendants: 0, routes: new Map() };
        if (claim.exclusive) block.version += 1;
        else block.descendants += 1;
        block.routes.set(input.id, [...claim.prefixes]);
        blocks.set(claim.block, block);
      }
    });
    this.pairLocks.set(lock, input.id);
    this.peerings.set(input.id, copy(peering));
    return peering;
  }

  async getPeering(id: string): Promise<Peering | undefined> {
    const peering = this.peerings.get(id);
    return peering && copy(peering);
  }

  /** One page in id order, as the DynamoDB one reads its byOwner or byEntity index. */
  async pagePeerings(filter: PeeringFilter, page: PageRequest): Promise<Page<Peering>> {
    return this.tokens.page(page, async (after) => {
      const owned = [...this.peerings.values()]
        .filter((peering) => filter.ownerId === undefined || peering.ownerId === filter.ownerId)
        .sort((a, b) => compareText(a.id, b.id));
      const result = keysetPage(
        owned,
        (peering) => peering.id,
        { limit: page.limit, after },
        (peering) => filter.status === undefined || peering.status === filter.status,
      );
      return { ...result, items: result.items.map(copy) };
    });
  }

  async setPeeringStatus(
    id: string,
    status: PeeringStatus,
    reason: string | null,
    from: PeeringStatus[],
  ): Promise<Peering | undefined> {
    const peering = this.peerings.get(id);
    if (!peering || !from.includes(peering.status)) return undefined;
    Object.assign(peering, { status, statusReason: reason, updatedAt: this.clock().toISOString() });
    return copy(peering);
  }

  async markSideApplied(id: string, gatewayId: string): Promise<Peering | undefined> {
    const peering = this.peerings.get(id);
    const side = peering?.sides.find((candidate) => candidate.gatewayId === gatewayId);
    if (!peering || !side) return undefined;
    side.applied = true;
    peering.updatedAt = this.clock().toISOString();
    return copy(peering);
  }

  async recordRedrive(
    id: string,
    claim: { status: PeeringStatus; previous: string | undefined; next: string },
  ): Promise<boolean> {
    const peering = this.peerings.get(id);
    if (peering?.status !== claim.status || peering.lastRedrive !== claim.previous) return false;
    peering.lastRedrive = claim.next;
    return true;
  }

  async detachPeering(id: string): Promise<Record<string, number>> {
    const generations: Record<string, number> = {};
    for (const side of this.peerings.get(id)?.sides ?? []) {
      const peer = this.peersOf(side.gatewayId).get(side.peerName);
      if (peer?.peeringId) this.releaseRoutes(side.gatewayId, peer.peeringId, peer.allowedIps);
      const removed = this.peersOf(side.gatewayId).delete(side.peerName);
      const stored = this.gateways.get(side.gatewayId);
      if (!stored) continue;
      if (removed) stored.record.desiredGeneration += 1;
      generations[side.gatewayId] = stored.record.desiredGeneration;
    }
    return generations;
  }

  async releasePeering(id: string, options: { deleteRecord: boolean }): Promise<void> {
    const peering = this.peerings.get(id);
    if (!peering) return;
    for (const side of peering.sides) this.freeAddressOf(side.gatewayId, side.tunnelIp, side.peerName);
    const lock = pairKey(...peering.gatewayIds);
    if (this.pairLocks.get(lock) === id) this.pairLocks.delete(lock);
    if (!options.deleteRecord) return;
    this.peerings.delete(id);
    this.state.peeringTombstones.set(id, this.clock().getTime() + PEERING_TOMBSTONE_TTL_SECONDS * 1000);
  }

  // ---- status reports and idempotency -----------------------------------------------------------

  async recordApplied(applied: AppliedGeneration): Promise<void> {
    const stored = this.applied.get(applied.gatewayId);
    if (!stored || stored.appliedGeneration < applied.appliedGeneration) {
      this.applied.set(applied.gatewayId, copy(applied));
    }
  }

  async getAppliedGeneration(gatewayId: string): Promise<AppliedGeneration | undefined> {
    const applied = this.applied.get(gatewayId);
    return applied && copy(applied);
  }

  async recordPushSent(push: SentPush): Promise<void> {
    const stored = this.pushes.get(push.gatewayId);
    if (!stored || stored.generation < push.generation) this.pushes.set(push.gatewayId, copy(push));
  }

  async getPushSent(gatewayId: string): Promise<SentPush | undefined> {
    const push = this.pushes.get(gatewayId);
    return push && copy(push);
  }

  async takePushLease(lease: PushLease, now: string): Promise<PushLease | undefined> {
    const stored = this.state.pushLeases.get(lease.gatewayId);
    if (stored && !pushLeaseFree(stored, lease, now)) {
      return stored.leaseHolder === lease.leaseHolder ? copy(stored) : undefined;
    }
    this.state.pushLeases.set(lease.gatewayId, copy(lease));
    return copy(lease);
  }

  async getPushLease(gatewayId: string): Promise<PushLease | undefined> {
    const lease = this.state.pushLeases.get(gatewayId);
    return lease && copy(lease);
  }

  async recordPushLeaseCommand(
    lease: PushLease & Required<Pick<PushLease, 'commandId' | 'generation' | 'deliveredAt'>>,
  ): Promise<void> {
    const stored = this.state.pushLeases.get(lease.gatewayId);
    if (stored?.leaseHolder !== lease.leaseHolder || stored.expiresAt !== lease.expiresAt) return;
    const { commandId, generation, deliveredAt } = lease;
    Object.assign(stored, { commandId, generation, deliveredAt });
  }

  async releasePushLease(gatewayId: string, holder: string): Promise<void> {
    if (this.state.pushLeases.get(gatewayId)?.leaseHolder === holder) this.state.pushLeases.delete(gatewayId);
  }

  async putStatusReport(report: GatewayStatusReport): Promise<void> {
    const stored = this.reports.get(report.gatewayId);
    const newer =
      !stored ||
      stored.appliedGeneration < report.appliedGeneration ||
      (stored.appliedGeneration === report.appliedGeneration && stored.reportedAt <= report.reportedAt);
    if (newer) this.reports.set(report.gatewayId, copy(report));
  }

  async getStatusReport(gatewayId: string): Promise<GatewayStatusReport | undefined> {
    const report = this.reports.get(gatewayId);
    return report && copy(report);
  }

  async forgetInstanceReports(gatewayId: string): Promise<void> {
    this.applied.delete(gatewayId);
    this.reports.delete(gatewayId);
  }

  async claimInstance(instanceId: string, gatewayId: string): Promise<void> {
    const holder = this.state.instanceLocks.get(instanceId);
    if (holder !== undefined && holder !== gatewayId && this.gateways.has(holder)) {
      throw new ConflictError('INSTANCE_IN_USE');
    }
    this.state.instanceLocks.set(instanceId, gatewayId);
  }

  async releaseInstance(instanceId: string, gatewayId: string): Promise<void> {
    if (this.state.instanceLocks.get(instanceId) === gatewayId) this.state.instanceLocks.delete(instanceId);
  }

  async getAdmissions(scope: string, kind: AdmissionKind): Promise<Admissions> {
    return copy(this.state.admissions.get(`${kind}#${scope}`) ?? { version: 0, entries: {} });
  }

  async putAdmissions(
    scope: string,
    kind: AdmissionKind,
    entries: Record<string, number>,
    expected: number,
  ): Promise<boolean> {
    const key = `${kind}#${scope}`;
    if ((this.state.admissions.get(key)?.version ?? 0) !== expected) return false;
    this.state.admissions.set(key, { version: expected + 1, entries: copy(entries) });
    return true;
  }
  async addAdmission(scope: string, kind: AdmissionKind, id: string, atMs: number, room: number) {
    const current = this.state.admissions.get(`${kind}#${scope}`);
    if (!current || Object.keys(current.entries).length >= room) return false;
    this.state.admissions.set(`${kind}#${scope}`, {
      version: current.version + 1,
      entries: { ...current.entries, [id]: atMs },
    });
    return true;
  }

  async recordSecretCleanup(cleanup: SecretCleanup): Promise<void> {
    this.state.secretCleanups.set(`${cleanup.recordedAt}#${cleanup.secretName}`, copy(cleanup));
  }

  async listSecretCleanups(before: string, limit: number): Promise<SecretCleanup[]> {
    return [...this.state.secretCleanups.entries()]
      .filter(([key]) => key < before)
      .sort(([a], [b]) => compareText(a, b))
      .slice(0, limit)
      .map(([, cleanup]) => copy(cleanup));
  }

  async clearSecretCleanup(cleanup: SecretCleanup): Promise<void> {
    this.state.secretCleanups.delete(`${cleanup.recordedAt}#${cleanup.secretName}`);
  }

  async findSweepWork(bounds: { stalledBefore: string; cascadeBefore: string }): Promise<SweepWork> {
    const transitional: readonly PeeringStatus[] = ['PROVISIONING', 'DELETING'];
    return {
      stalledPeerings: [...this.peerings.values()]
        .filter(
          (peering) => transitional.includes(peering.status) && peering.updatedAt < bounds.stalledBefore,
        )
        .map(copy),
      pendingCascades: [...this.state.pendingCascades.values()]
        .filter((pending) => pending.deletedAt < bounds.cascadeBefore)
        .map((pending) => copy(pending.gateway)),
    };
  }

  /** No entry here is older than the key checks: nothing to walk. */
  async backfillPeerKeys(): Promise<PeerKeyBackfill> {
    return { marked: [], written: 0, clashes: [], done: true };
  }

  async claimIdempotencyKey(record: IdempotencyRecord): Promise<IdempotencyRecord | undefined> {
    const now = this.clock().getTime();
    const stored = this.idempotency.get(record.key);
    if (!stored || stored.expiresAtMs < now) {
      this.idempotency.set(record.key, {
        record: copy(record),
        expiresAtMs: now + IDEMPOTENCY_TTL_SECONDS * 1000,
      });
      return undefined;
    }
    return copy(stored.record);
  }

  async retakeIdempotencyKey(read: IdempotencyRecord, createdAt: string): Promise<boolean> {
    const stored = this.idempotency.get(read.key);
    if (!stored || stored.record.takeovers !== read.takeovers) return false;
    const takeovers = (read.takeovers ?? 0) + 1;
    stored.record = { key: read.key, requestHash: stored.record.requestHash, createdAt, takeovers };
    return true;
  }

  async completeIdempotencyKey(
    key: string,
    response: NonNullable<IdempotencyRecord['response']>,
  ): Promise<void> {
    const stored = this.idempotency.get(key);
    if (stored) stored.record.response = copy(response);
  }

  // ---- plumbing -------------------------------------------------------------------------------

  private requireGateway(id: string): StoredGateway {
    const stored = this.gateways.get(id);
    if (!stored) throw new GatewayGoneError(id);
    return stored;
  }

  /** Removes a peering's prefixes from the gateway's blocks; the counters stay (they only grow). */
  private releaseRoutes(gatewayId: string, peeringId: string, prefixes: readonly string[]): void {
    const blocks = this.routeBlocks.get(gatewayId);
    if (!blocks) return;
    for (const { block } of routeLockClaims(prefixes)) blocks.get(block)?.routes.delete(peeringId);
  }

  /** As the DynamoDB commit's public-key item (adapters/dynamodb/public-keys.ts): one holder per key. */
  private refuseKeyHeld(gatewayId: string, publicKey: string): void {
    for (const peer of this.peersOf(gatewayId).values()) {
      if (peer.publicKey === publicKey) throw new ConflictError('PUBLIC_KEY_IN_USE');
    }
  }

  private peersOf(gatewayId: string): Map<string, PeerRecord> {
    return partition(this.peers, gatewayId);
  }

  /** Writes a new peer entry and its address, and counts the address on its gateway. */
  private attach(stored: StoredGateway, peer: PeerRecord): void {
    this.peersOf(peer.gatewayId).set(peer.name, copy(peer));
    partition(this.addresses, peer.gatewayId).set(peer.tunnelIp, peer.name);
    stored.allocatedCount += 1;
  }

  /** Frees `holder`'s address (if it still holds it) and counts it off its gateway. */
  private freeAddressOf(gatewayId: string, tunnelIp: string, holder: string): void {
    const held = this.addresses.get(gatewayId);
    if (held?.get(tunnelIp) !== holder) return;
    held.delete(tunnelIp);
    const stored = this.gateways.get(gatewayId);
    if (stored) stored.allocatedCount -= 1;
  }

  /** A random free address, as the DynamoDB allocator picks one; the caller checked there is room. */
  private freeAddress(gateway: GatewayRecord): string {
    const space = tunnelAddressSpace(gateway.tunnelSubnet, gateway.tunnelIp);
    const held = partition(this.addresses, gateway.id);
    for (let probe = 0; probe < RANDOM_PROBES; probe++) {
      const candidate = space.candidate(this.random);
      if (!held.has(candidate)) return candidate;
    }
    const start = Math.floor(this.random() * space.capacity);
    for (let step = 0; step < space.capacity; step++) {
      const candidate = space.addressAt((start + step) % space.capacity);
      if (!held.has(candidate)) return candidate;
    }
    throw new ConflictError('TUNNEL_SUBNET_EXHAUSTED');
  }
}

const allocationState = (stored: StoredGateway): GatewayAllocationState => ({
  id: stored.record.id,
  status: stored.record.status,
  desiredGeneration: stored.record.desiredGeneration,
  capacity: stored.capacity,
  allocatedCount: stored.allocatedCount,
});

/** Both sides name the same lock. */
const pairKey = (a: string, b: string): string => (a < b ? `${a}#${b}` : `${b}#${a}`);

function partition<V>(map: Map<string, Map<string, V>>, gatewayId: string): Map<string, V> {
  let inner = map.get(gatewayId);
  if (!inner) {
    inner = new Map();
    map.set(gatewayId, inner);
  }
  return inner;
}
