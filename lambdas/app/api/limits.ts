/**
 * Per-owner limits (docs/DECISIONS.md, "Tenants and traffic"), checked before a change is made:
 * what one owner holds or runs at once must not starve the others of shared quotas (Parameter
 * Store's parameters, Step Functions' executions, a gateway's addresses). A check and the change
 * after it are not atomic, so concurrent requests of one owner may overshoot by their number.
 */
import { ConflictError, TooManyOperationsError } from '../../core/errors';
import type { ApiDeps, OwnerLimits } from './context';

const IN_FLIGHT = new Set(['PROVISIONING', 'DELETING']);

export async function assertGatewayRoom(
  d: Pick<ApiDeps, 'repository'>,
  ownerId: string,
  limits: OwnerLimits,
): Promise<void> {
  const held = (await d.repository.listGateways(ownerId)).length;
  if (held >= limits.gatewaysPerOwner) {
    throw new ConflictError(
      'QUOTA_EXCEEDED',
      `Owner ${ownerId} already has ${held} gateways, the limit of this deployment (${limits.gatewaysPerOwner})`,
    );
  }
}

export async function assertRoadWarriorRoom(
  d: Pick<ApiDeps, 'repository'>,
  gatewayId: string,
  limits: OwnerLimits,
): Promise<void> {
  const held = (await d.repository.listPeers(gatewayId)).filter(
    (peer) => peer.type === 'road-warrior',
  ).length;
  if (held >= limits.roadWarriorsPerGateway) {
    throw new ConflictError(
      'QUOTA_EXCEEDED',
      `This gateway already has ${held} road-warriors, the limit of this deployment (${limits.roadWarriorsPerGateway})`,
    );
  }
}

export async function assertOperationRoom(
  d: Pick<ApiDeps, 'repository'>,
  ownerId: string,
  limits: OwnerLimits,
): Promise<void> {
  const running = (await d.repository.listPeerings(ownerId)).filter((p) => IN_FLIGHT.has(p.status)).length;
  if (running >= limits.operationsInFlightPerOwner) {
    throw new TooManyOperationsError(
      `${running} peering operations of this owner are still running, the limit of this deployment (${limits.operationsInFlightPerOwner}); retry once one has ended`,
    );
  }
}
