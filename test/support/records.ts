/** Records for persistence tests (gateways come from ./gateways): valid by default. */
import { createHash, randomUUID } from 'node:crypto';
import type { NewPeering, NewRoadWarrior } from '../../lambdas/app/ports';
import { peeringPeerName } from '../../lambdas/core/schemas';
import type { GatewayRecord } from '../../lambdas/core/types';

const CREATED_AT = '2025-01-01T00:00:00.000Z';
export const uniqueId = (prefix: string): string => `${prefix}-${randomUUID().slice(0, 8)}`;

/** A road-warrior whose public key is its own (a gateway's peers hold distinct keys), and stable. */
export function roadWarrior(gatewayId: string, name: string): NewRoadWarrior {
  return {
    gatewayId,
    name,
    publicKey: publicKeyOf(gatewayId, name),
    privateKeyParam: null,
    createdAt: CREATED_AT,
  };
}

/** 32 bytes in base64, as a WireGuard key: no curve point is needed where nothing handshakes. */
export const publicKeyOf = (...parts: string[]): string =>
  createHash('sha256').update(parts.join('/')).digest('base64');

/** A peering request between two gateways; `id` defaults to a fresh one. */
export function newPeering(local: GatewayRecord, remote: GatewayRecord, id = uniqueId('pcx')): NewPeering {
  const side = (self: GatewayRecord, other: GatewayRecord) => ({
    gatewayId: self.id,
    peer: {
      name: peeringPeerName(id),
      publicKey: other.publicKey,
      allowedIps: [other.vpcCidr, other.tunnelSubnet],
      endpoint: `${other.publicIp}:${other.listenPort}`,
      remoteGatewayId: other.id,
    },
  });
  return {
    id,
    ownerId: local.ownerId,
    sides: [side(local, remote), side(remote, local)],
    presharedKeyParam: `/vpc-peering/peerings/${id}/psk`,
    createdAt: CREATED_AT,
  };
}
