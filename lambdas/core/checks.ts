/** Prerequisites of a VPC peering (docs/CONTRACT.md#prerequisites), decided from plain data. */
import { cidrContainsAddress, cidrsOverlap } from './cidr';
import { type ConflictCode, ConflictError } from './errors';
import type { Gateway } from './types';

export interface PeeringCheckInput {
  local: Gateway;
  remote: Gateway;
  /** Every prefix the local gateway already routes through its tunnel (its vpc-peering peers' allowedIps). */
  localRoutedPrefixes: string[];
  /** The same for the remote gateway. */
  remoteRoutedPrefixes: string[];
  pairAlreadyPeered: boolean;
}

function coversAnEndpoint(local: Gateway, remote: Gateway): boolean {
  const prefixes = [...remotePeerAllowedIps(local), ...remotePeerAllowedIps(remote)];
  return [local.publicIp, remote.publicIp].some((ip) =>
    prefixes.some((cidr) => cidrContainsAddress(cidr, ip)),
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
  ['ENDPOINT_INSIDE_PEERED_PREFIX', ({ local, remote }) => coversAnEndpoint(local, remote)],
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
