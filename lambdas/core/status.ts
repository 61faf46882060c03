/**
 * Gateway status: reading the gateway script's report, and the report as stored (bounded, because
 * a gateway may hold tens of thousands of peers).
 */
import type { GatewayStatusReport, InstanceReport, PeerRuntimeStatus } from './types';

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
    ...(parsed.path === 'delta' || parsed.path === 'full' ? { path: parsed.path } : {}),
  };
}
