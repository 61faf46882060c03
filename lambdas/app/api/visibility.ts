/** docs/CONTRACT.md#authentication-and-visibility: a user sees only what they own, anything else is 404 (never 403); an admin sees all. */
import { NotFoundError } from '../../core/errors';
import type { Caller, GatewayRecord, Peering } from '../../core/types';
import type { ApiDeps } from './context';

export const canSee = (caller: Caller, ownerId: string): boolean =>
  caller.isAdmin || caller.userId === ownerId;

export async function visibleGateway(
  d: Pick<ApiDeps, 'repository'>,
  caller: Caller,
  gatewayId: string,
): Promise<GatewayRecord> {
  const gateway = await d.repository.getGateway(gatewayId);
  if (!gateway || !canSee(caller, gateway.ownerId)) throw new NotFoundError(`Gateway ${gatewayId}`);
  return gateway;
}

export async function visiblePeering(
  d: Pick<ApiDeps, 'repository'>,
  caller: Caller,
  peeringId: string,
): Promise<Peering> {
  const peering = await d.repository.getPeering(peeringId);
  if (!peering || !canSee(caller, peering.ownerId)) throw new NotFoundError(`Peering ${peeringId}`);
  return peering;
}
