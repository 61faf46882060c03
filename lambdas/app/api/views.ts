/** The public Peering shape of docs/CONTRACT.md#resources (gateway and peer views live in core/views). */
import type { Peering, PeeringStatus } from '../../core/types';

export interface PeeringView {
  id: string;
  /** The tenant both gateways belong to (a peering never spans owners): an admin's lists mix them. */
  ownerId: string;
  gatewayIds: string[];
  status: PeeringStatus;
  statusReason: string | null;
  createdAt: string | null;
  updatedAt: string | null;
  sides: { gatewayId: string; peerName: string; tunnelIp: string; applied: boolean }[];
}

export function toPublicPeering(peering: Peering): PeeringView {
  return {
    id: peering.id,
    ownerId: peering.ownerId,
    gatewayIds: [...peering.gatewayIds],
    status: peering.status,
    statusReason: peering.statusReason,
    createdAt: peering.createdAt,
    updatedAt: peering.updatedAt,
    sides: peering.sides.map(({ gatewayId, peerName, tunnelIp, applied }) => ({
      gatewayId,
      peerName,
      tunnelIp,
      applied,
    })),
  };
}

/** What a 202 shows when the workflow has not written the peering record yet. */
/**
 * A create run that ended without writing its peering (refused, or ended for throttling), as its
 * Location shows it: FAILED with the reason, holding nothing (app/api/peerings.ts, unwrittenPeering).
 */
export function unwrittenFailure(
  id: string,
  ownerId: string,
  gatewayIds: [string, string],
  statusReason: string,
): PeeringView {
  return { ...provisioningPlaceholder(id, ownerId, gatewayIds), status: 'FAILED', statusReason };
}

export function provisioningPlaceholder(
  id: string,
  ownerId: string,
  gatewayIds: [string, string],
): PeeringView {
  return {
    id,
    ownerId,
    gatewayIds,
    status: 'PROVISIONING',
    statusReason: null,
    createdAt: null,
    updatedAt: null,
    sides: [],
  };
}
