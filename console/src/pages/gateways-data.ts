/** What the VPN Gateways list loads; preload.ts starts the first load before the app has loaded. */
import { allPages, api, call, type Gateway } from '../api/client';

export function loadGateways(ownerId?: string): Promise<Gateway[]> {
  return allPages((nextToken) =>
    call(
      api().GET('/v1/gateways', {
        params: {
          query: { limit: 100, ...(nextToken ? { nextToken } : {}), ...(ownerId ? { ownerId } : {}) },
        },
      }),
    ),
  );
}
