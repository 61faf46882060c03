/**
 * What the gateway page loads: the gateway with its peers (following pages, up to 5,000 more), and
 * its status.
 */
import {
  allPages,
  api,
  call,
  type GatewayDetail,
  type GatewayStatus,
  PAGE_SIZE,
  type Peer,
} from '../api/client';
import { ApiError } from '../api/errors';

/**
 * A gateway with the peers read: `allPages` stops at 5,000 past the first page, and
 * `peersTruncated` says the gateway has more than those (docs/DECISIONS.md, "Console").
 */
export interface LoadedGateway extends GatewayDetail {
  peersTruncated: boolean;
}

export async function loadGateway(id: string): Promise<LoadedGateway> {
  const detail = await call(api().GET('/v1/gateways/{id}', { params: { path: { id } } }));
  if (!detail.peersNextToken) return { ...detail, peersTruncated: false };
  const first = detail.peersNextToken;
  const rest = await allPages<Peer>((nextToken) =>
    call(
      api().GET('/v1/gateways/{id}/peers', {
        params: { path: { id }, query: { limit: PAGE_SIZE, nextToken: nextToken ?? first } },
      }),
    ),
  );
  return { ...detail, peers: [...detail.peers, ...rest.items], peersTruncated: rest.truncated };
}

export function loadStatus(id: string): Promise<GatewayStatus> {
  return call(api().GET('/v1/gateways/{id}/status', { params: { path: { id } } }));
}

/** When the console first saw each gateway behind a desired generation (docs/DECISIONS.md, "Console"). */
const firstSeenBehind = new Map<string, number>();

export function behindSince(status: GatewayStatus, now: number): number {
  const given = (status as { behindSince?: unknown }).behindSince;
  if (typeof given === 'string' && !Number.isNaN(Date.parse(given))) return Date.parse(given);
  const key = `${status.gatewayId}@${status.desiredGeneration}`;
  const seen = firstSeenBehind.get(key) ?? now;
  firstSeenBehind.set(key, seen);
  return seen;
}

export async function downloadConfig(gatewayId: string, peerName: string): Promise<string> {
  const text = await call(
    api().GET('/v1/gateways/{id}/peers/{name}/config', {
      params: { path: { id: gatewayId, name: peerName } },
      parseAs: 'text',
    }),
  );
  return text as unknown as string;
}

/** Saves `text` as a file the browser downloads. */
export function saveFile(fileName: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/plain' }));
  const anchor = document.createElement('a');
  anchor.href = url;
  anchor.download = fileName;
  document.body.append(anchor);
  anchor.click();
  anchor.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** Resolves once `done()` holds, asking every `intervalMs`, or throws after `timeoutMs`. */
export async function pollUntil(
  done: () => Promise<boolean>,
  intervalMs = 1000,
  timeoutMs = 120_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline)
      throw new Error('Still running after two minutes; refresh to see where it stands');
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * Resolves once `get` answers 404: what a delete removes is gone. One small GET a second, never
 * the lists again (an admin's lists run to thousands of items, and the caller throttle is 20/s).
 */
export function pollUntilGone(get: () => Promise<unknown>): Promise<void> {
  return pollUntil(async () => {
    try {
      await get();
      return false;
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return true;
      throw error;
    }
  });
}

/** Until the peering is deleted on both sides (404). */
export function untilPeeringGone(id: string): Promise<void> {
  return pollUntilGone(() => call(api().GET('/v1/vpc-peerings/{id}', { params: { path: { id } } })));
}
