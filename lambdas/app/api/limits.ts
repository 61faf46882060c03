/**
 * Per-owner limits (docs/DECISIONS.md, "Tenants and traffic"), checked before a change is made:
 * what one owner holds or runs at once must not starve the others of shared quotas (Parameter
 * Store's parameters, Step Functions' executions, a gateway's addresses). A check and the change
 * after it are not atomic, so concurrent requests of one owner may overshoot by their number.
 */
import { ConflictError, TooManyOperationsError } from '../../core/errors';
import { PAGE_LIMIT_MAX, type Page, type PageRequest } from '../../core/pagination';
import type { PeeringStatus } from '../../core/types';
import type { ApiDeps, OwnerLimits } from './context';

const IN_FLIGHT: readonly PeeringStatus[] = ['PROVISIONING', 'DELETING'];

/** The binding of the limits' own page walks (never handed to a client). */
const BINDING = 'owner-limits';

/**
 * Counts the items of a paged list, page by page, up to `ceiling`: a bounded read (never the whole
 * list once the ceiling is reached), enough to tell whether a limit is met.
 */
async function countUpTo<T>(ceiling: number, read: (page: PageRequest) => Promise<Page<T>>): Promise<number> {
  let count = 0;
  let nextToken: string | undefined;
  do {
    const page = await read({ limit: PAGE_LIMIT_MAX, binding: BINDING, ...(nextToken ? { nextToken } : {}) });
    count += page.items.length;
    nextToken = page.nextToken;
  } while (nextToken && count < ceiling);
  return count;
}

export async function assertGatewayRoom(
  d: Pick<ApiDeps, 'repository'>,
  ownerId: string,
  limits: OwnerLimits,
): Promise<void> {
  const held = await countUpTo(limits.gatewaysPerOwner, (page) =>
    d.repository.pageGateways({ ownerId }, page),
  );
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
  let running = 0;
  for (const status of IN_FLIGHT) {
    if (running >= limits.operationsInFlightPerOwner) break;
    running += await countUpTo(limits.operationsInFlightPerOwner - running, (page) =>
      d.repository.pagePeerings({ ownerId, status }, page),
    );
  }
  if (running >= limits.operationsInFlightPerOwner) {
    throw new TooManyOperationsError(
      `${running} peering operations of this owner are still running, the limit of this deployment (${limits.operationsInFlightPerOwner}); retry once one has ended`,
    );
  }
}
