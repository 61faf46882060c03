/** Every gateway or peering of a repository, walked page by page (core/pagination.ts walkPages). */
import type { GatewayFilter, PeeringFilter, Repository } from '../../lambdas/app/ports';
import { PAGE_LIMIT_MAX, walkPages } from '../../lambdas/core/pagination';
import type { GatewayRecord, Peering } from '../../lambdas/core/types';

const binding = 'test-walk';

export const everyGateway = (repository: Repository, filter: GatewayFilter = {}): Promise<GatewayRecord[]> =>
  walkPages((nextToken) => repository.pageGateways(filter, { limit: PAGE_LIMIT_MAX, nextToken, binding }));

export const everyPeering = (repository: Repository, filter: PeeringFilter = {}): Promise<Peering[]> =>
  walkPages((nextToken) => repository.pagePeerings(filter, { limit: PAGE_LIMIT_MAX, nextToken, binding }));
