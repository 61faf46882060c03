/** What the VPN Gateways list loads; preload.ts starts the first load before the app has loaded. */
import { allPages, api, call, type Gateway, type Listed, PAGE_SIZE } from '../api/client';

/** An admin's `ownerId` narrows the list on the server: past the first 5,000 gateways too. */
export function loadGateways(ownerId?: string): Promise<Listed<Gateway>> {
  return allPages((nextToken) =>
    call(
      api().GET('/v1/gateways', {
        params: {
          query: { limit: PAGE_SIZE, ...(nextToken ? { nextToken } : {}), ...(ownerId ? { ownerId } : {}) },
        },
      }),
    ),
  );
}
