/** What the VPN Gateways list reads; preload.ts starts its first page before the app has loaded. */
import { api, call, type Gateway, type GatewayStatusValue, listPageQuery, type Page } from '../api/client';
import type { ListFilters } from '../routes';

/** One page of gateways, narrowed on the server by `status` and (admins) `ownerId`. */
export function gatewaysPage(
  filters: ListFilters<GatewayStatusValue>,
  nextToken?: string,
): Promise<Page<Gateway>> {
  return call(
    api().GET('/v1/gateways', {
      params: { query: listPageQuery(filters, nextToken) },
    }),
  );
}
