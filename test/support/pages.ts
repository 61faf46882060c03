/** Walks a paged list to its end (tests and benchmarks only: production code never collects a list). */
import type { GatewayFilter, PeeringFilter, Repository } from '../../lambdas/app/ports';
import { PAGE_LIMIT_MAX, type Page } from '../../lambdas/core/pagination';
import type { GatewayRecord, Peering } from '../../lambdas/core/types';

/** Every item of a walk, in page order; `read` gets the previous page's token. */
export async function walkPages<T>(read: (nextToken: string | undefined) => Promise<Page<T>>): Promise<T[]> {
  const items: T[] = [];
  let nextToken: string | undefined;
  do {
    const page = await read(nextToken);
    items.push(...page.items);
    nextToken = page.nextToken;
  } while (nextToken);
  return items;
}

const binding = 'test-walk';

export const everyGateway = (repository: Repository, filter: GatewayFilter = {}): Promise<GatewayRecord[]> =>
  walkPages((nextToken) => repository.pageGateways(filter, { limit: PAGE_LIMIT_MAX, nextToken, binding }));

export const everyPeering = (repository: Repository, filter: PeeringFilter = {}): Promise<Peering[]> =>
  walkPages((nextToken) => repository.pagePeerings(filter, { limit: PAGE_LIMIT_MAX, nextToken, binding }));
