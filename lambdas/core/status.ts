/**
 * Gateway status: reading the gateway script's report, and the report as stored (bounded, because
 * a gateway may hold tens of thousands of peers).
 */
import type {
  AppliedPeerStatus,
  GatewayStatusReport,
  InstanceReport,
  PeerRuntimeStatus,
  PeerType,
} from './types';

/**
 * The most peers a stored report lists. The report is one DynamoDB item (400 KB at most, about
 * 3,000 peers); 1,000 peers keep it near 150 KB.
 */
export const STATUS_REPORT_MAX_PEERS = 1000;

const byRecentHandshake = (a: PeerRuntimeStatus, b: PeerRuntimeStatus): number =>
  b.latestHandshake - a.latestHandshake ||
  (a.publicKey < b.publicKey ? -1 : a.publicKey > b.publicKey ? 1 : 0);

/**
 * `report` with at most `maxPeers` peers: the most recently active first, and `peersOmitted` saying
 * how many were left out. A report within the bound is returned as it is.
 */
export function boundedStatusReport(
  report: GatewayStatusReport,
  maxPeers = STATUS_REPORT_MAX_PEERS,
): GatewayStatusReport {
  if (report.peers.length <= maxPeers) return report;
  const peers = [...report.peers].sort(byRecentHandshake).slice(0, maxPeers);
  return { ...report, peers, peersOmitted: report.peers.length - peers.length };
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const count = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) ? value : 0);

/** Field by field: the report is the instance's output, never trusted to be free of extras. */
function peerStatus(peer: Record<string, unknown>): PeerRuntimeStatus {
  return {
    publicKey: String(peer.publicKey),
    allowedIps: Array.isArray(peer.allowedIps) ? peer.allowedIps.map(String) : [],
    endpoint: typeof peer.endpoint === 'string' ? peer.endpoint : null,
    latestHandshake: count(peer.latestHandshake),
    rxBytes: count(peer.rxBytes),
    txBytes: count(peer.txBytes),
  };
}

/**
 * The report on the last line of the script's output; undefined when there is none or it is not
 * one (no gatewayId, no generation, peers that are not a list of objects).
 */
export function parseInstanceReport(output: string): InstanceReport | undefined {
  const lastLine = output.trim().split('\n').pop() ?? '';
  let parsed: unknown;
  try {
    parsed = JSON.parse(lastLine);
  } catch {
    return undefined;
  }
  if (!isObject(parsed) || typeof parsed.gatewayId !== 'string') return undefined;
  const { appliedGeneration, peers } = parsed;
  if (typeof appliedGeneration !== 'number' || !Number.isInteger(appliedGeneration)) return undefined;
  if (peers !== undefined && !(Array.isArray(peers) && peers.every(isObject))) return undefined;
  return {
    gatewayId: parsed.gatewayId,
    appliedGeneration,
    mode: parsed.mode === 'wireguard' ? 'wireguard' : 'files',
    ...(peers ? { peers: peers.map(peerStatus) } : {}),
    ...(parsed.skipped === 'stale' ? { skipped: 'stale' as const } : {}),
    ...(parsed.path === 'delta' || parsed.path === 'full' || parsed.path === 'teardown'
      ? { path: parsed.path }
      : {}),
    ...(typeof parsed.tornDown === 'boolean' ? { tornDown: parsed.tornDown } : {}),
  };
}

/** WireGuard re-keys every 120 s, so an idle but healthy tunnel has a handshake within this window. */
export const ONLINE_WINDOW_SECONDS = 180;
/** Past its period a report is stale; this slack covers the time a report takes to come back. */
export const STALE_GRACE_SECONDS = 30;

/** A peer as the pushed document describes it (core/render.ts), without its secret names. */
export interface DocumentPeer {
  name: string;
  type: PeerType;
  publicKey: string;
  allowedIps: string[];
  endpoint: string | null;
}

/** The peers of a desired-state document (core/render.ts); undefined when the text is not one. */
export function documentPeers(document: string): DocumentPeer[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(document);
  } catch {
    return undefined;
  }
  if (!isObject(parsed) || !Array.isArray(parsed.peers)) return undefined;
  return parsed.peers.filter(isObject).map((peer) => ({
    name: String(peer.name),
    type: peer.type === 'road-warrior' ? 'road-warrior' : 'vpc-peering',
    publicKey: String(peer.publicKey),
    allowedIps: Array.isArray(peer.allowedIps) ? peer.allowedIps.map(String) : [],
    endpoint: typeof peer.endpoint === 'string' ? peer.endpoint : null,
  }));
}

export interface ReportFreshness {
  /** Seconds since the last live report; null before the first one. */
  reportAgeSeconds: number | null;
  /** No report yet, or one older than its period (plus STALE_GRACE_SECONDS): its figures are not current. */
  stale: boolean;
}

export function reportFreshness(
  reportedAt: string | null,
  now: Date,
  periodSeconds: number,
): ReportFreshness {
  if (reportedAt === null) return { reportAgeSeconds: null, stale: true };
  const reportAgeSeconds = Math.max(0, Math.floor((now.getTime() - Date.parse(reportedAt)) / 1000));
  return { reportAgeSeconds, stale: reportAgeSeconds > periodSeconds + STALE_GRACE_SECONDS };
}

const isoOfEpoch = (seconds: number): string | null =>
  seconds > 0 ? new Date(seconds * 1000).toISOString() : null;

/**
 * The peers `/status` lists: those of the applied generation's document (`applied`), each with the
 * live figures the last report holds for its public key. `online` is a handshake within
 * ONLINE_WINDOW_SECONDS of the report, and never from a stale report. Without the document
 * (`applied` undefined) the report's own peers are listed, nameless.
 */
export function appliedPeerStatuses(
  applied: DocumentPeer[] | undefined,
  report: { peers: PeerRuntimeStatus[]; reportedAt: string } | undefined,
  stale: boolean,
): AppliedPeerStatus[] {
  const live = new Map((report?.peers ?? []).map((peer) => [peer.publicKey, peer]));
  const reportSeconds = report ? Date.parse(report.reportedAt) / 1000 : 0;
  const withFigures = (
    peer: Omit<AppliedPeerStatus, 'latestHandshake' | 'online' | 'rxBytes' | 'txBytes'>,
  ) => {
    const figures = live.get(peer.publicKey);
    const handshake = figures?.latestHandshake ?? 0;
    return {
      ...peer,
      latestHandshake: isoOfEpoch(handshake),
      online: !stale && handshake > 0 && reportSeconds - handshake <= ONLINE_WINDOW_SECONDS,
      rxBytes: figures?.rxBytes ?? 0,
      txBytes: figures?.txBytes ?? 0,
    };
  };
  if (applied) return applied.map(withFigures);
  return (report?.peers ?? []).map(({ publicKey, allowedIps, endpoint }) =>
    withFigures({ name: null, type: null, publicKey, allowedIps, endpoint }),
  );
}
