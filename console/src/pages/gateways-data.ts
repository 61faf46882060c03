/** What the VPN Gateways list reads; preload.ts starts its first page before the app has loaded. */
import { api, call, type Gateway, LIST_PAGE_SIZE, type Page } from '../api/client';

/** One page of gateways; an admin's `ownerId` narrows the list on the server. */
export function gatewaysPage(ownerId?: string, nextToken?: string): Promise<Page<Gateway>> {
  return call(
    api().GET('/v1/gateways', {
      params: {
        query: {
          limit: LIST_PAGE_SIZE,
          ...(nextToken ? { nextToken } : {}),
          ...(ownerId ? { ownerId } : {}),
        },
      },
    }),
  );
}
