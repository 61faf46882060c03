/**
 * The gateway and peers bench section 4 applies (bench/apply-cost.ts): numbered so that no two
 * prefixes of a gateway's ruleset set overlap and no address is ever two peers'.
 */
import { generateKeyPair } from '../lambdas/core/keys';
import { peeringPeerName } from '../lambdas/core/schemas';
import type { GatewayRecord, PeerRecord } from '../lambdas/core/types';
import { nthHost } from '../runtime/hosts/addresses';

const TUNNEL_SUBNET = '100.64.0.0/20';

export function benchGateway(index: number): GatewayRecord {
  const now = new Date().toISOString();
  const id = `apply${index}`;
  return {
    id,
    name: id,
    ownerId: 'bench',
    vpcId: `vpc-${id}`,
    vpcCidr: `10.${index}.0.0/16`,
    location: 'local',
    tunnelSubnet: TUNNEL_SUBNET,
    tunnelIp: nthHost(TUNNEL_SUBNET, 1),
    publicIp: `198.18.0.${index + 1}`,
    listenPort: 51820,
    publicKey: generateKeyPair().publicKey,
    instanceId: `i-${id}`,
    status: 'ACTIVE',
    desiredGeneration: 1,
    privateKeyParam: `/vpc-peering/gateways/${id}/private-key`,
    createdAt: now,
    updatedAt: now,
  };
}

export function roadWarrior(gatewayId: string, i: number): PeerRecord {
  const tunnelIp = nthHost(TUNNEL_SUBNET, i + 2);
  return {
    gatewayId,
    name: `rw-${i}`,
    type: 'road-warrior',
    publicKey: generateKeyPair().publicKey,
    tunnelIp,
    allowedIps: [`${tunnelIp}/32`],
    endpoint: null,
    presharedKeyParam: null,
    privateKeyParam: null,
    createdAt: new Date().toISOString(),
  };
}

/**
 * Peering `i` of a bench gateway: a /20 remote VPC and a /24 remote tunnel subnet, both numbered from
 * `i` past the bench gateways' own 10.<index>.0.0/16 and 100.64.0.0/20, so no two prefixes of the
 * ruleset's sets overlap (an nft set refuses overlapping intervals).
 */
export function vpcPeering(gatewayId: string, i: number): PeerRecord {
  const block = i + 16 * 16; // past 10.0.0.0/12 (the bench gateways' VPCs) and 100.64.0.0/20
  const peeringId = `bench-peering-${i}`;
  return {
    gatewayId,
    name: peeringPeerName(peeringId),
    type: 'vpc-peering',
    publicKey: generateKeyPair().publicKey,
    tunnelIp: nthHost(TUNNEL_SUBNET, i + 2),
    allowedIps: [
      `10.${block >> 4}.${(block & 15) << 4}.0/20`,
      `100.${64 + (block >> 8)}.${block & 255}.0/24`,
    ],
    endpoint: null,
    peeringId,
    remoteGatewayId: `${gatewayId}-remote-${i}`,
    presharedKeyParam: `/vpc-peering/peerings/${peeringId}/psk`,
    privateKeyParam: null,
    createdAt: new Date().toISOString(),
  };
}
