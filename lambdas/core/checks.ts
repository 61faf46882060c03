/** Prerequisites of a VPC peering (docs/CONTRACT.md#prerequisites), decided from plain data. */
import { cidrContainsAddress, cidrsOverlap } from './cidr';
import { type ConflictCode, ConflictError } from './errors';
import type { Gateway, PeerRecord } from './types';

export interface PeeringCheckInput {
  local: Gateway;
  remote: Gateway;
  /** Every prefix the local gateway already routes through its tunnel (its vpc-peering peers' allowedIps). */
  localRoutedPrefixes: string[];
  /** The same for the remote gateway. */
  remoteRoutedPrefixes: string[];
  /** The endpoint hosts of the local gateway's vpc-peering peers: where its tunnel's UDP already goes. */
  localPeerEndpointHosts: string[];
  /** The same for the remote gateway. */
  remotePeerEndpointHosts: string[];
  pairAlreadyPeered: boolean;
}

/**
 * One gateway's tunnel as "a peering never routes its own transport" sees it (docs/DECISIONS.md,
 * "A peering never routes its own transport, on a hub and across updates"): the hosts its WireGuard UDP goes to or from (its own public IP, its vpc-peering
 * peers' endpoints) and the prefixes it routes into the tunnel (their AllowedIPs). The gateway
 * routes them in its main table with no fwmark, so its own UDP to a host inside one enters the tunnel.
 */
export interface TunnelTransport {
  endpointHosts: readonly string[];
  routedPrefixes: readonly string[];
}

const insideAny = (host: string, prefixes: readonly string[]): boolean =>
  prefixes.some((prefix) => cidrContainsAddress(prefix, host));

/**
 * Whether adding `added` to a gateway's tunnel, which holds `held`, makes it route its own
 * transport: an added prefix covering a host, held or added, or an added host inside a held
 * prefix. Only what the change adds is compared, so a hub's check costs its peer count, not its
 * square. The one definition of the rule: a peering's checks (both sides) and a gateway's publicIp
 * update (it and each peer gateway) apply it.
 */
export function routesOwnTransport(held: TunnelTransport, added: TunnelTransport): boolean {
  const hosts = [...held.endpointHosts, ...added.endpointHosts];
  return (
    hosts.some((host) => insideAny(host, added.routedPrefixes)) ||
    added.endpointHosts.some((host) => insideAny(host, held.routedPrefixes))
  );
}

/**
 * Each side of a new peering gains the other's endpoint and routes the other's VPC CIDR and tunnel
 * subnet, beside what its other peerings already hold: on a hub, another peering's prefix may cover
 * the new peer's endpoint, or the new prefixes an existing peer's (review s20a).
 */
function routesAnEndpoint(input: PeeringCheckInput): boolean {
  const { local, remote } = input;
  return (
    routesOwnTransport(
      {
        endpointHosts: [local.publicIp, ...input.localPeerEndpointHosts],
        routedPrefixes: input.localRoutedPrefixes,
      },
      { endpointHosts: [remote.publicIp], routedPrefixes: remotePeerAllowedIps(remote) },
    ) ||
    routesOwnTransport(
      {
        endpointHosts: [remote.publicIp, ...input.remotePeerEndpointHosts],
        routedPrefixes: input.remoteRoutedPrefixes,
      },
      { endpointHosts: [local.publicIp], routedPrefixes: remotePeerAllowedIps(local) },
    )
  );
}

const overlapsAny = (cidr: string, prefixes: string[]): boolean =>
  prefixes.some((prefix) => cidrsOverlap(cidr, prefix));

/**
 * Evaluated in this order, first failure wins:
 * - OWNER_MISMATCH and GATEWAY_NOT_ACTIVE first: they say the pair cannot be peered at all, whatever
 *   the addresses, so a user never fixes CIDRs only to be told the gateway is down or not theirs.
 * - then the table of docs/CONTRACT.md#prerequisites in its order (same VPC before the overlaps it always implies), with
 *   ENDPOINT_INSIDE_PEERED_PREFIX after the address checks and before PEERING_ALREADY_EXISTS;
 * - ROUTED_CIDR_CONFLICT last: an existing peering of this very pair routes the remote prefixes
 *   already, so it must be reported as PEERING_ALREADY_EXISTS, not as a routing conflict.
 */
const CHECKS: ReadonlyArray<readonly [ConflictCode, (input: PeeringCheckInput) => boolean]> = [
  ['OWNER_MISMATCH', ({ local, remote }) => local.ownerId !== remote.ownerId],
  ['GATEWAY_NOT_ACTIVE', ({ local, remote }) => local.status !== 'ACTIVE' || remote.status !== 'ACTIVE'],
  ['SAME_VPC', ({ local, remote }) => local.vpcId === remote.vpcId],
  ['VPC_CIDRS_OVERLAP', ({ local, remote }) => cidrsOverlap(local.vpcCidr, remote.vpcCidr)],
  ['TUNNEL_SUBNETS_OVERLAP', ({ local, remote }) => cidrsOverlap(local.tunnelSubnet, remote.tunnelSubnet)],
  [
    'TUNNEL_SUBNET_OVERLAPS_REMOTE_VPC',
    ({ local, remote }) =>
      cidrsOverlap(local.tunnelSubnet, remote.vpcCidr) || cidrsOverlap(remote.tunnelSubnet, local.vpcCidr),
  ],
  // Each side routes the other's prefixes into the tunnel: one covering an endpoint would carry
  // the tunnel's own transport (docs/DECISIONS.md, "Address rules").
  ['ENDPOINT_INSIDE_PEERED_PREFIX', routesAnEndpoint],
  ['PEERING_ALREADY_EXISTS', ({ pairAlreadyPeered }) => pairAlreadyPeered],
  [
    // WireGuard hands a prefix to one peer only, silently moving it to the newest (docs/CONTRACT.md#prerequisites).
    'ROUTED_CIDR_CONFLICT',
    ({ local, remote, localRoutedPrefixes, remoteRoutedPrefixes }) =>
      remotePeerAllowedIps(remote).some((cidr) => overlapsAny(cidr, localRoutedPrefixes)) ||
      remotePeerAllowedIps(local).some((cidr) => overlapsAny(cidr, remoteRoutedPrefixes)),
  ],
];

export function findPeeringConflict(input: PeeringCheckInput): ConflictError | undefined {
  const failed = CHECKS.find(([, fails]) => fails(input));
  return failed ? new ConflictError(failed[0]) : undefined;
}

export function assertPeeringAllowed(input: PeeringCheckInput): void {
  const conflict = findPeeringConflict(input);
  if (conflict) throw conflict;
}

/** What the other side's peer entry for `remote` routes: its VPC and its tunnel subnet. */
export function remotePeerAllowedIps(remote: Gateway): string[] {
  return [remote.vpcCidr, remote.tunnelSubnet];
}

/** Prefixes a gateway already routes through its tunnel: the AllowedIPs of its vpc-peering peers. */
export function routedPrefixes(peers: readonly PeerRecord[]): string[] {
  return peers.filter((p) => p.type === 'vpc-peering').flatMap((p) => p.allowedIps);
}

/** The hosts its vpc-peering peers' endpoints (`publicIp:port`) name: where its tunnel's UDP goes. */
export function peerEndpointHosts(peers: readonly PeerRecord[]): string[] {
  return peers.flatMap(({ type, endpoint }) =>
    type === 'vpc-peering' && endpoint ? [endpoint.slice(0, endpoint.lastIndexOf(':'))] : [],
  );
}
