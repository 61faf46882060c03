/**
 * The records a new road-warrior or peering writes, built from the request and the addresses its
 * allocation chose. Every Repository implementation writes exactly these, so they agree.
 */
import { randomBytes } from 'node:crypto';
import { ValidationError } from '../core/errors';
import type { GatewayRecord, Peering, PeeringSide, PeerRecord } from '../core/types';
import type { NewPeering, NewRoadWarrior } from './ports';

export function roadWarriorPeer(input: NewRoadWarrior, tunnelIp: string): PeerRecord {
  return {
    gatewayId: input.gatewayId,
    name: input.name,
    type: 'road-warrior',
    publicKey: input.publicKey,
    tunnelIp,
    allowedIps: [`${tunnelIp}/32`],
    endpoint: null,
    presharedKeyParam: null,
    privateKeyParam: input.privateKeyParam,
    createdAt: input.createdAt,
  };
}

/** A peering joins two gateways; the checks refuse the same VPC, this refuses the same gateway. */
export function assertTwoGateways(input: NewPeering): void {
  if (input.sides[0].gatewayId === input.sides[1].gatewayId) {
    throw new ValidationError('a peering needs two different gateways', 'remoteGatewayId');
  }
}

/**
 * The PROVISIONING peering. `generations[i]` is side i's desiredGeneration as the write last read
 * it: the write adds one, so `generation` is the first generation that can hold the side's peer
 * (exactly it when nothing else changed the gateway meanwhile; see PeeringSide).
 */
export function newPeeringRecord(
  input: NewPeering,
  generations: readonly [number, number],
  tunnelIps: readonly [string, string],
): Peering {
  const side = (i: 0 | 1): PeeringSide => ({
    gatewayId: input.sides[i].gatewayId,
    peerName: input.sides[i].peer.name,
    tunnelIp: tunnelIps[i],
    applied: false,
    generation: generations[i] + 1,
  });
  return {
    id: input.id,
    ownerId: input.ownerId,
    gatewayIds: [input.sides[0].gatewayId, input.sides[1].gatewayId],
    status: 'PROVISIONING',
    statusReason: null,
    createdAt: input.createdAt,
    updatedAt: input.createdAt,
    sides: [side(0), side(1)],
  };
}

/** The peer entry written on one side's gateway; it describes the other side. */
export function peeringPeer(
  input: NewPeering,
  side: NewPeering['sides'][number],
  tunnelIp: string,
): PeerRecord {
  return {
    gatewayId: side.gatewayId,
    name: side.peer.name,
    type: 'vpc-peering',
    publicKey: side.peer.publicKey,
    tunnelIp,
    allowedIps: side.peer.allowedIps,
    endpoint: side.peer.endpoint,
    peeringId: input.id,
    remoteGatewayId: side.peer.remoteGatewayId,
    presharedKeyParam: input.presharedKeyParam,
    privateKeyParam: null,
    createdAt: input.createdAt,
  };
}

/** What a peer entry copies of the gateway it describes (peerDescribing). */
export type DescribedGateway = Pick<GatewayRecord, 'publicKey' | 'publicIp' | 'listenPort'>;

/**
 * The key and endpoint side `i`'s entry copied from the other side's gateway. The commit requires
 * that gateway to still have them: an update landing after the checks makes it refuse with
 * ChecksOutdatedError (nothing would repair the entry later). The endpoint is `publicIp:port`, so
 * the port follows the last colon (an IPv6 address has colons of its own).
 */
export function describedGateway(side: NewPeering['sides'][number]): DescribedGateway {
  const { endpoint, publicKey } = side.peer;
  const colon = endpoint.lastIndexOf(':');
  return {
    publicKey,
    publicIp: endpoint.slice(0, colon),
    listenPort: Number(endpoint.slice(colon + 1)),
  };
}

/** Whether `gateway` no longer has what an entry copied of it. */
export function describedChanged(described: DescribedGateway, gateway: Partial<DescribedGateway>): boolean {
  return (
    gateway.publicKey !== described.publicKey ||
    gateway.publicIp !== described.publicIp ||
    gateway.listenPort !== described.listenPort
  );
}

/**
 * A mark of a gateway's change that is compared only for equality: the time, and a random tag so
 * that two marks are never equal, not even two Lambdas' in one millisecond.
 * - `clientConfigChangedAt` when one of its peerings became ACTIVE or left it
 *   (GatewayStore.markClientConfigChanged): a download is outdated when the mark it was rendered
 *   from is not the gateway's last (core/views.ts); a mark written again would make one taken
 *   between the two pass as current.
 * - `peerWalkOwedSince` (app/gateway-lifecycle.ts gatewayUpdated): settled only by the run that
 *   wrote it, never by another update's.
 * - the holder of a gateway's update lease (app/gateway-update-lease.ts): freed only by its run.
 */
export const changeMark = (now: Date): string => `${now.toISOString()}#${randomBytes(4).toString('hex')}`;
