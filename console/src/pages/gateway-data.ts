/** What the gateway page loads: the gateway with all its peers (following pages), and its status. */
import { allPages, api, call, type GatewayDetail, type GatewayStatus, type Peer } from '../api/client';

export async function loadGateway(id: string): Promise<GatewayDetail> {
  const detail = await call(api().GET('/v1/gateways/{id}', { params: { path: { id } } }));
  if (!detail.peersNextToken) return detail;
  const first = detail.peersNextToken;
  const rest = await allPages<Peer>((nextToken) =>
    call(
      api().GET('/v1/gateways/{id}/peers', {
        params: { path: { id }, query: { limit: 100, nextToken: nextToken ?? first } },
      }),
    ),
  );
  return { ...detail, peers: [...detail.peers, ...rest] };
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
