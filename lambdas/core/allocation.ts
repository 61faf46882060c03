/**
 * Allocation maths of a gateway's tunnel subnet (docs/ARCHITECTURE.md "Allocation"), pure.
 *
 * The allocatable addresses are the usable hosts of the subnet minus the gateway's own tunnelIp,
 * numbered densely 0..capacity-1 in address order, so a uniformly random index is a uniformly
 * random free-or-taken candidate and a sorted page of allocations maps to a sorted run of indices.
 *
 * Usable hosts (RFC 3021 style, as `usableHostRange`):
 * - /0../30: network and broadcast excluded (/30: two hosts, the gateway takes one, capacity 1);
 * - /31: both addresses are hosts (the gateway takes the first, capacity 1);
 * - /32: the single address is the gateway's own, capacity 0: such a gateway can hold no peer.
 * A gateway tunnelIp outside the usable range excludes nothing.
 */
import { intToIpv4, ipv4ToInt, usableHostRange } from './cidr';
import { ConflictError } from './errors';
import type { GatewayStatus } from './types';

export interface TunnelAddressSpace {
  /** How many addresses can be allocated (usable hosts minus the gateway's own). */
  capacity: number;
  contains(ip: string): boolean;
  /** A uniformly random allocatable address; TUNNEL_SUBNET_EXHAUSTED when capacity is 0. */
  candidate(random: () => number): string;
  /** Position of an allocatable address, -1 for anything else (gateway ip, network, outside). */
  indexOf(ip: string): number;
  /** Inverse of indexOf, for 0 <= index < capacity. */
  addressAt(index: number): string;
}

export function tunnelAddressSpace(tunnelSubnet: string, gatewayTunnelIp: string): TunnelAddressSpace {
  const { first, last } = usableHostRange(tunnelSubnet);
  const gateway = ipv4ToInt(gatewayTunnelIp);
  const excludesGateway = first <= gateway && gateway <= last;
  const capacity = last - first + 1 - (excludesGateway ? 1 : 0);

  const indexOf = (ip: string): number => {
    const value = ipv4ToInt(ip);
    if (value < first || value > last || (excludesGateway && value === gateway)) return -1;
    const offset = value - first;
    return excludesGateway && value > gateway ? offset - 1 : offset;
  };

  const addressAt = (index: number): string => {
    if (!Number.isInteger(index) || index < 0 || index >= capacity) {
      throw new RangeError(`index ${index} is outside 0..${capacity - 1} of ${tunnelSubnet}`);
    }
    const value = first + index;
    return intToIpv4(excludesGateway && value >= gateway ? value + 1 : value);
  };

  return {
    capacity,
    contains: (ip) => indexOf(ip) >= 0,
    candidate: (random) => {
      if (capacity === 0) throw new ConflictError('TUNNEL_SUBNET_EXHAUSTED');
      // min() guards a random() that returns exactly 1 (some test doubles do).
      return addressAt(Math.min(Math.floor(random() * capacity), capacity - 1));
    },
    indexOf,
    addressAt,
  };
}

/** The gateway's own address when none is given: the first usable host of its tunnel subnet. */
export function defaultGatewayTunnelIp(tunnelSubnet: string): string {
  return intToIpv4(usableHostRange(tunnelSubnet).first);
}

/**
 * The first free index at or after `from`, given the taken indices read in one ascending window
 * starting at `from`. When the window did not reach the end of the space (`reachedEnd` false),
 * nothing is known past its last taken index, so only gaps inside the window count.
 */
export function firstFreeIndex(
  from: number,
  taken: readonly number[],
  reachedEnd: boolean,
  capacity: number,
): number | undefined {
  let next = from;
  for (const index of taken) {
    if (index > next) return next;
    if (index === next) next += 1;
  }
  return reachedEnd && next < capacity ? next : undefined;
}

/**
 * A gateway as an allocation sees it: its record's state and generation, the capacity of its
 * tunnel subnet, and how many addresses it holds (undefined until read: the store's commit checks it).
 */
export interface GatewayAllocationState {
  id: string;
  status: GatewayStatus;
  desiredGeneration: number;
  capacity: number;
  allocatedCount?: number;
}

export function assertRoom(gateway: Pick<GatewayAllocationState, 'capacity' | 'allocatedCount'>): void {
  if ((gateway.allocatedCount ?? 0) >= gateway.capacity) throw new ConflictError('TUNNEL_SUBNET_EXHAUSTED');
}

/** Each side of a new peering must be ACTIVE and have an address left. */
export function assertActiveWithRoom(gateway: GatewayAllocationState): void {
  if (gateway.status !== 'ACTIVE') throw new ConflictError('GATEWAY_NOT_ACTIVE');
  assertRoom(gateway);
}

/** How many addresses a gateway's tunnel subnet can give out. */
export function capacityOf(gateway: { tunnelSubnet: string; tunnelIp: string }): number {
  return tunnelAddressSpace(gateway.tunnelSubnet, gateway.tunnelIp).capacity;
}
