/** Records for persistence tests: valid by default, overridable field by field. */
import { randomUUID } from 'node:crypto';
import type { NewPeering, NewRoadWarrior } from '../../lambdas/app/ports';
import type { GatewayRecord } from '../../lambdas/core/types';

const CREATED_AT = '2025-01-01T00:00:00.000Z';
const PUBLIC_KEY = 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=';

export const uniqueId = (prefix: string): string => `${prefix}-${randomUUID().slice(0, 8)}`;

export function gatewayRecord(overrides: Partial<GatewayRecord> = {}): GatewayRecord {
  const id = overrides.id ?? uniqueId('gw');
  return {
    id,
    name: id,
    ownerId: 'user-1',
    vpcId: `vpc-${id}`,
    vpcCidr: '10.10.0.0/16',
    location: 'eu-west-1',
    tunnelSubnet: '100.64.0.0/24',
    tunnelIp: '100.64.0.1',
    publicIp: '203.0.113.10',
    listenPort: 51820,
    publicKey: PUBLIC_KEY,
    instanceId: `i-${id}`,
    status: 'ACTIVE',
    desiredGeneration: 0,
    privateKeyParam: null,
    createdAt: CREATED_AT,
    updatedAt: CREATED_AT,
    ...overrides,
  };
}

export function roadWarrior(gatewayId: string, name: string): NewRoadWarrior {
  return { gatewayId, name, publicKey: PUBLIC_KEY, privateKeyParam: null, createdAt: CREATED_AT };
}

/** A peering request between two gateways; `id` defaults to a fresh one. */
export function newPeering(local: GatewayRecord, remote: GatewayRecord, id = uniqueId('pcx')): NewPeering {
  const side = (self: GatewayRecord, other: GatewayRecord) => ({
    gatewayId: self.id,
    peer: {
      name: `vpc-peering-${id}`,
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
