/**
 * Tunnel addresses on the table (docs/ARCHITECTURE.md "Allocation"): everything that chooses,
 * claims, counts and frees an address item `IP#…` of a gateway partition.
 *
 * - A candidate is a random usable host; after a few misses it comes from a gap in one page of
 *   allocations read from a random offset (`pickAddress`).
 * - Road-warriors reserve first (`reserve`: a plain conditional Put with a `reservedAt` lease), and
 *   the peer store commits; a failed commit cancels its reservation (`cancelReservation`).
 * - A reservation older than RESERVATION_GRACE_MS whose holder has no peer entry holding it is an
 *   orphan of a crash, reclaimed by whichever probe or page scan meets it.
 * - The gateway's `allocatedCount` moves in the same transaction as the address: `allocateOnGateway`
 *   and `releaseOnGateway` build that transaction item.
 * Which gateway item cancelled a transaction is read from CancellationReasons (`refreshedGateway`):
 * ReturnValuesOnConditionCheckFailure gives the item as it was, so no re-read is needed.
 */
import type { AttributeValue, CancellationReason } from '@aws-sdk/client-dynamodb';
import { type DescribedGateway, describedChanged } from '../../app/new-records';
import {
  firstFreeIndex,
  type GatewayAllocationState,
  type TunnelAddressSpace,
  tunnelAddressSpace,
} from '../../core/allocation';
import { ConflictError, GatewayGoneError } from '../../core/errors';
import type { GatewayRecord, GatewayStatus } from '../../core/types';
import { failedCondition, numberAttribute, stringAttribute } from './errors';
import {
  addressOfAllocationSortKey,
  allocationItem,
  allocationSortKey,
  keys,
  reservationItem,
} from './items';
import { AGAIN, type Item, type Table, type TransactItem } from './table';

/**
 * Age after which an address reservation is a lease its owner can no longer commit: far longer
 * than any API Lambda runs (API Gateway gives up after 29 s), so an older one is an orphan if no
 * peer entry holds its address.
 */
export const RESERVATION_GRACE_MS = 15 * 60 * 1000;
/** Random candidates tried before each further attempt takes a gap from a page of allocations. */
export const RANDOM_MISSES_BEFORE_SCAN = 4;
const GAP_SCAN_PAGE = 256;

/**
 * A gateway as the allocator sees it: its subnet, state and counters, and `createdAt`, which tells
 * its incarnation apart from another one of the same id (deleted and registered again since it
 * was read): an allocation commits only on the incarnation it was checked against.
 */
export type AllocatingGateway = GatewayAllocationState &
  Pick<GatewayRecord, 'tunnelSubnet' | 'tunnelIp' | 'createdAt'>;

/** An address this call has claimed but not yet committed. */
export interface Reservation {
  tunnelIp: string;
  reservedAt: string;
}

/** Who holds an address item; `reservedAt` only on reservations of road-warriors. */
interface AddressHold {
  tunnelIp: string;
  holder: string;
  reservedAt?: string;
}

export class AddressAllocator {
  constructor(
    private readonly table: Table,
    /** The lease's clock. */
    private readonly clock: () => Date,
  ) {}

  /** A candidate address: random while collisions are rare, else a gap read from the table. */
  async pickAddress(gateway: AllocatingGateway, misses: number): Promise<string> {
    const space = spaceOf(gateway);
    if (misses >= RANDOM_MISSES_BEFORE_SCAN) {
      const gap = await this.findGap(gateway.id, space);
      if (gap !== undefined) return gap;
    }
    return space.candidate(this.table.random);
  }

  /**
   * Claims `tunnelIp` for `holder` with a plain conditional Put (1 WCU). A collision with a stale
   * orphan reclaims it and tries once more; undefined when the address stays someone else's.
   */
  async reserve(gatewayId: string, holder: string, tunnelIp: string): Promise<Reservation | undefined> {
    const reservation: Reservation = { tunnelIp, reservedAt: this.clock().toISOString() };
    const existing = await this.putReservation(gatewayId, holder, reservation);
    if (!existing) return reservation;
    if (!(await this.reclaimIfOrphan(gatewayId, existing))) return undefined;
    return (await this.putReservation(gatewayId, holder, reservation)) ? undefined : reservation;
  }

  /**
   * Frees the reservation of a commit that failed. The peer check keeps it when the commit did go
   * through after all (an ambiguous failure, e.g. a timeout): then the address is the peer's. Best
   * effort: a reservation left behind is reclaimed once its lease is stale.
   */
  async cancelReservation(gatewayId: string, holder: string, reservation: Reservation): Promise<void> {
    try {
      await this.table.transact([
        this.table.deleteItem(
          keys.allocation(gatewayId, reservation.tunnelIp),
          'holder = :holder AND reservedAt = :reservedAt',
          { ':holder': holder, ':reservedAt': reservation.reservedAt },
        ),
        this.table.conditionCheck(
          keys.peer(gatewayId, holder),
          'attribute_not_exists(pk) OR tunnelIp <> :tunnelIp',
          {
            ':tunnelIp': reservation.tunnelIp,
          },
        ),
      ]);
    } catch {
      // The caller's error matters more; the lease reclaims what is left.
    }
  }

  /** Frees `holder`'s address and counts it off its gateway (if the gateway still exists). Idempotent. */
  async releaseAddress(gatewayId: string, tunnelIp: string, holder: string): Promise<void> {
    await this.table.retrying('releaseAddress', async () => {
      const allocation = await this.table.get(keys.allocation(gatewayId, tunnelIp));
      if (allocation?.holder !== holder) return undefined;
      const gatewayExists = (await this.table.get(keys.gateway(gatewayId))) !== undefined;
      const reasons = await this.table.transact([
        this.table.deleteItem(keys.allocation(gatewayId, tunnelIp), 'holder = :holder', {
          ':holder': holder,
        }),
        ...(gatewayExists ? [this.releaseOnGateway(gatewayId, 'unchanged')] : []),
      ]);
      return reasons ? AGAIN : undefined;
    });
  }

  /** The address item of a peering side, Put in the peering's transaction. */
  claimItem(gatewayId: string, tunnelIp: string, holder: string): TransactItem {
    return this.table.putItem(allocationItem(gatewayId, tunnelIp, holder), 'attribute_not_exists(pk)');
  }

  /**
   * The gateway side of an allocation: count + 1 under the capacity, generation + 1, as a plain ADD
   * (`increment-if-active` also requires ACTIVE, for peering sides), on the incarnation read
   * (`createdAt`: refreshedGateway turns another one into GatewayGoneError). No compare-and-set of
   * the generation: concurrent allocations on one gateway never refuse each other, only DynamoDB's
   * per-item serialisation orders them (docs/DECISIONS.md "Busy hub: the hub item").
   */
  allocateOnGateway(
    gateway: AllocatingGateway,
    generation: 'increment' | 'increment-if-active',
    described?: DescribedGateway,
  ): TransactItem {
    const active = generation === 'increment-if-active';
    return this.table.updateItem({
      Key: keys.gateway(gateway.id),
      UpdateExpression: 'ADD desiredGeneration :one, allocatedCount :one',
      // `capacity` and `status` are reserved words, hence the names. `described`: the key and
      // endpoint another entry copied of this gateway, in this one item (a transaction may not
      // name the gateway twice); describedChangedIn reads a refusal of it.
      ConditionExpression: `attribute_exists(pk) AND createdAt = :createdAt AND allocatedCount < #capacity${
        active ? ' AND #status = :active' : ''
      }${described ? ' AND publicKey = :publicKey AND publicIp = :publicIp AND listenPort = :listenPort' : ''}`,
      ExpressionAttributeNames: { '#capacity': 'capacity', ...(active ? { '#status': 'status' } : {}) },
      ExpressionAttributeValues: {
        ':one': 1,
        ':createdAt': gateway.createdAt,
        ...(active ? { ':active': 'ACTIVE' } : {}),
        ...(described
          ? {
              ':publicKey': described.publicKey,
              ':publicIp': described.publicIp,
              ':listenPort': described.listenPort,
            }
          : {}),
      },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
  }

  /** The gateway side of a release: count - 1, and generation + 1 when a peer left with it. */
  releaseOnGateway(gatewayId: string, generation: 'increment' | 'unchanged'): TransactItem {
    return this.table.updateItem({
      Key: keys.gateway(gatewayId),
      UpdateExpression:
        generation === 'increment'
          ? 'ADD desiredGeneration :one, allocatedCount :minus'
          : 'ADD allocatedCount :minus',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: { ':minus': -1, ...(generation === 'increment' ? { ':one': 1 } : {}) },
    });
  }

  /**
   * One page of allocations from a random offset (and one from the start if that page ran off the
   * end). A page without a gap frees its stale orphan reservations; a window that covered the whole
   * space and found nothing free is TUNNEL_SUBNET_EXHAUSTED (fresh reservations count as taken).
   */
  private async findGap(gatewayId: string, space: TunnelAddressSpace): Promise<string | undefined> {
    const offset = Math.floor(this.table.random() * space.capacity);
    for (const from of offset === 0 ? [0] : [offset, 0]) {
      const page = await this.table.queryRange(
        keys.gatewayPartition(gatewayId),
        {
          from: allocationSortKey(space.addressAt(from)),
          to: allocationSortKey(space.addressAt(space.capacity - 1)),
        },
        { limit: GAP_SCAN_PAGE, projection: 'sk, holder, reservedAt' },
      );
      const holds = page.items.map(toAddressHold);
      const taken = holds.map((hold) => space.indexOf(hold.tunnelIp)).filter((index) => index >= 0);
      const free = firstFreeIndex(from, taken, page.reachedEnd, space.capacity);
      if (free !== undefined) return space.addressAt(free);
      const reclaimed = await this.reclaimOrphans(gatewayId, holds);
      if (reclaimed !== undefined) return reclaimed;
      if (!page.reachedEnd) return undefined;
    }
    throw new ConflictError('TUNNEL_SUBNET_EXHAUSTED');
  }

  /** Undefined when written; the hold it collided with otherwise. */
  private async putReservation(
    gatewayId: string,
    holder: string,
    reservation: Reservation,
  ): Promise<AddressHold | undefined> {
    const existing = await this.table.putIfAbsent(
      reservationItem(gatewayId, reservation.tunnelIp, holder, reservation.reservedAt),
    );
    if (!existing) return undefined;
    return {
      tunnelIp: reservation.tunnelIp,
      holder: stringAttribute(existing, 'holder') ?? '',
      reservedAt: stringAttribute(existing, 'reservedAt'),
    };
  }

  /** Reclaims the stale orphans among `holds` (in parallel); the first freed address, if any. */
  private async reclaimOrphans(gatewayId: string, holds: AddressHold[]): Promise<string | undefined> {
    const stale = holds.filter((hold) => this.isStale(hold));
    const reclaimed = await Promise.all(stale.map((hold) => this.reclaimIfOrphan(gatewayId, hold)));
    return stale.find((_, i) => reclaimed[i])?.tunnelIp;
  }

  /**
   * A reservation older than the grace period can no longer be committed by its owner. If its
   * holder's road-warrior entry holds the address, the commit happened: the lease is dropped
   * (never looked at again). Otherwise it is an orphan and is deleted. Both writes are conditional
   * on the hold being unchanged, so concurrent reclaimers cannot free anyone else's address.
   */
  private async reclaimIfOrphan(gatewayId: string, hold: AddressHold): Promise<boolean> {
    if (!this.isStale(hold)) return false;
    const key = keys.allocation(gatewayId, hold.tunnelIp);
    const unchanged = 'holder = :holder AND reservedAt = :reservedAt';
    const values = { ':holder': hold.holder, ':reservedAt': hold.reservedAt };
    const peer = await this.table.get(keys.peer(gatewayId, hold.holder));
    if (peer?.type === 'road-warrior' && peer.tunnelIp === hold.tunnelIp) {
      await this.table.updateIfMatches({
        Key: key,
        UpdateExpression: 'REMOVE reservedAt',
        ConditionExpression: unchanged,
        ExpressionAttributeValues: values,
      });
      return false;
    }
    await this.table.deleteIfMatches(key, unchanged, values);
    return true;
  }

  private isStale(hold: AddressHold): boolean {
    return (
      hold.reservedAt !== undefined &&
      this.clock().getTime() - Date.parse(hold.reservedAt) > RESERVATION_GRACE_MS
    );
  }
}

/**
 * The gateway as a cancelled transaction saw it (ALL_OLD in the reason), or unchanged when its
 * condition held. No item, or another incarnation of the id (a different `createdAt`): the gateway
 * read was deleted meanwhile.
 */
export function refreshedGateway<G extends AllocatingGateway>(
  gateway: G,
  reason: CancellationReason | undefined,
): G {
  if (!failedCondition(reason)) return gateway;
  const item: Record<string, AttributeValue> | undefined = reason?.Item;
  if (!item || stringAttribute(item, 'createdAt') !== gateway.createdAt) {
    throw new GatewayGoneError(gateway.id);
  }
  return {
    ...gateway,
    status: (stringAttribute(item, 'status') ?? gateway.status) as GatewayStatus,
    desiredGeneration: numberAttribute(item, 'desiredGeneration') ?? gateway.desiredGeneration,
    allocatedCount: numberAttribute(item, 'allocatedCount') ?? gateway.allocatedCount,
    capacity: numberAttribute(item, 'capacity') ?? gateway.capacity,
  };
}

/**
 * Whether a cancelled transaction's gateway item (ALL_OLD in the reason) no longer has the key or
 * endpoint `described` that an entry copied of it: the checks read an older gateway.
 */
export function describedChangedIn(
  reason: CancellationReason | undefined,
  described: DescribedGateway,
): boolean {
  const item = reason?.Item;
  if (!failedCondition(reason) || !item) return false;
  return describedChanged(described, {
    publicKey: stringAttribute(item, 'publicKey'),
    publicIp: stringAttribute(item, 'publicIp'),
    listenPort: numberAttribute(item, 'listenPort'),
  });
}

const spaceOf = (gateway: AllocatingGateway): TunnelAddressSpace =>
  tunnelAddressSpace(gateway.tunnelSubnet, gateway.tunnelIp);

const toAddressHold = (item: Item): AddressHold => ({
  tunnelIp: addressOfAllocationSortKey(String(item.sk)),
  holder: String(item.holder),
  reservedAt: typeof item.reservedAt === 'string' ? item.reservedAt : undefined,
});
