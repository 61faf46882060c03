/**
 * What the in-memory Repository stores (MemoryState) and the base its stores share (MemoryStore).
 * Every store method does all its reads and writes without an `await` in between, so each one is
 * atomic the way a DynamoDB transaction is; records are copied in and out, so a caller never holds
 * stored state. Peerings, peers and addresses change together in one synchronous step: the stores
 * share one state, and the plumbing below.
 */
import { randomBytes } from 'node:crypto';
import type {
  Admissions,
  CreateReceipt,
  IdempotencyRecord,
  PushLease,
  RemovedGateway,
  SecretCleanup,
} from '../../app/ports';
import { type GatewayAllocationState, tunnelAddressSpace } from '../../core/allocation';
import { ConflictError, GatewayGoneError } from '../../core/errors';
import { routeLockClaims } from '../../core/route-blocks';
import type {
  AppliedGeneration,
  GatewayRecord,
  GatewayStatusReport,
  Peering,
  PeerRecord,
  SentPush,
} from '../../core/types';
import { PAGE_TOKEN_KEY_BYTES, type SealedTokens } from '../../shared/sealed-tokens';

export interface MemoryRepositoryOptions {
  /** Now: timestamps and idempotency expiry. */
  clock?: () => Date;
  /** Source of allocation candidates; Math.random by default. */
  random?: () => number;
  /** Told of every gateway deleteGateway removes, as DynamoDB's stream tells the cascade. */
  onGatewayDeleted?: (gateway: GatewayRecord) => void;
}

export interface StoredGateway {
  record: GatewayRecord;
  allocatedCount: number;
  capacity: number;
  /** When the sweep may take its owed walk again (deferPeerWalk); the mark's own time when absent. */
  walkDueAt?: string;
}

export interface StoredRouteBlock {
  version: number;
  descendants: number;
  /** peeringId → the prefixes that peering routes through the gateway within the block. */
  routes: Map<string, string[]>;
}

export interface StoredIdempotency {
  record: IdempotencyRecord;
  expiresAtMs: number;
}

/** Random candidates tried before a scan for the first free address (as the DynamoDB allocator). */
const RANDOM_PROBES = 8;

export const copy = <T>(value: T): T => structuredClone(value);

/** Everything stored; repositories built on one share it (tests give each its own clock). */
export class MemoryState {
  readonly gateways = new Map<string, StoredGateway>();
  /** A deleted id → when (the DynamoDB tombstone's `deletedAt` and `deletingEventTime`). */
  readonly tombstones = new Map<string, { deletedAt: string; deletingEventTime?: string }>();
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
  /** FAILED peerings whose release has not ended (the DynamoDB item's bySweep keys): sweep work. */
  readonly unreleasedFailures = new Set<string>();
  /** Creates answered 202, by peering id (the DynamoDB store's CREATE# items). */
  readonly createReceipts = new Map<string, CreateReceipt>();
  /** A deleted peering's id → when its tombstone expires (epoch ms): createPeering refuses it until then. */
  readonly peeringTombstones = new Map<string, number>();
  /** Unordered pair → peering id. */
  readonly pairLocks = new Map<string, string>();
  readonly applied = new Map<string, AppliedGeneration>();
  readonly reports = new Map<string, GatewayStatusReport>();
  readonly pushes = new Map<string, SentPush>();
  /** gatewayId → its push lease (adapters/dynamodb/push-lease-store.ts has the same rules). */
  readonly pushLeases = new Map<string, PushLease>();
  /** gatewayId → its update lease (adapters/dynamodb/gateway-store.ts has the same rules). */
  readonly updateLeases = new Map<string, { holder: string; untilMs: number }>();
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

/** What every store of one repository shares: its state, clock, random source and page tokens. */
export interface MemoryContext {
  state: MemoryState;
  clock: () => Date;
  random: () => number;
  onGatewayDeleted: (gateway: GatewayRecord) => void;
  tokens: SealedTokens;
}

/**
 * The base of the stores: the state's maps by name, and what gateways, peers and peerings change
 * together (an entry and its address, the gateway's count, route locks, key holders).
 */
export abstract class MemoryStore {
  protected readonly state: MemoryState;
  protected readonly clock: () => Date;
  protected readonly random: () => number;
  protected readonly onGatewayDeleted: (gateway: GatewayRecord) => void;
  protected readonly tokens: SealedTokens;
  protected readonly gateways: MemoryState['gateways'];
  protected readonly tombstones: MemoryState['tombstones'];
  protected readonly peers: MemoryState['peers'];
  protected readonly addresses: MemoryState['addresses'];
  protected readonly peerings: MemoryState['peerings'];
  protected readonly pairLocks: MemoryState['pairLocks'];
  protected readonly applied: MemoryState['applied'];
  protected readonly reports: MemoryState['reports'];
  protected readonly pushes: MemoryState['pushes'];
  protected readonly idempotency: MemoryState['idempotency'];
  protected readonly routeBlocks: MemoryState['routeBlocks'];

  constructor(context: MemoryContext) {
    ({
      state: this.state,
      clock: this.clock,
      random: this.random,
      onGatewayDeleted: this.onGatewayDeleted,
      tokens: this.tokens,
    } = context);
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
    } = context.state);
  }

  protected requireGateway(id: string): StoredGateway {
    const stored = this.gateways.get(id);
    if (!stored) throw new GatewayGoneError(id);
    return stored;
  }

  /** Removes a peering's prefixes from the gateway's blocks; the counters stay (they only grow). */
  protected releaseRoutes(gatewayId: string, peeringId: string, prefixes: readonly string[]): void {
    const blocks = this.routeBlocks.get(gatewayId);
    if (!blocks) return;
    for (const { block } of routeLockClaims(prefixes)) blocks.get(block)?.routes.delete(peeringId);
  }

  /** As the DynamoDB commit's public-key item (adapters/dynamodb/public-keys.ts): one holder per key. */
  protected refuseKeyHeld(gatewayId: string, publicKey: string): void {
    for (const peer of this.peersOf(gatewayId).values()) {
      if (peer.publicKey === publicKey) throw new ConflictError('PUBLIC_KEY_IN_USE');
    }
  }

  protected peersOf(gatewayId: string): Map<string, PeerRecord> {
    return partition(this.peers, gatewayId);
  }

  /** Writes a new peer entry and its address, and counts the address on its gateway. */
  protected attach(stored: StoredGateway, peer: PeerRecord): void {
    this.peersOf(peer.gatewayId).set(peer.name, copy(peer));
    partition(this.addresses, peer.gatewayId).set(peer.tunnelIp, peer.name);
    stored.allocatedCount += 1;
  }

  /** Frees `holder`'s address (if it still holds it) and counts it off its gateway. */
  protected freeAddressOf(gatewayId: string, tunnelIp: string, holder: string): void {
    const held = this.addresses.get(gatewayId);
    if (held?.get(tunnelIp) !== holder) return;
    held.delete(tunnelIp);
    const stored = this.gateways.get(gatewayId);
    if (stored) stored.allocatedCount -= 1;
  }

  /** A random free address, as the DynamoDB allocator picks one; the caller checked there is room. */
  protected freeAddress(gateway: GatewayRecord): string {
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

export const allocationState = (stored: StoredGateway): GatewayAllocationState => ({
  id: stored.record.id,
  status: stored.record.status,
  desiredGeneration: stored.record.desiredGeneration,
  capacity: stored.capacity,
  allocatedCount: stored.allocatedCount,
});

/** Both sides name the same lock. */
export const pairKey = (a: string, b: string): string => (a < b ? `${a}#${b}` : `${b}#${a}`);

export function partition<V>(map: Map<string, Map<string, V>>, gatewayId: string): Map<string, V> {
  let inner = map.get(gatewayId);
  if (!inner) {
    inner = new Map();
    map.set(gatewayId, inner);
  }
  return inner;
}
