/** The status report as stored: bounded, because a gateway may hold tens of thousands of peers. */
import type { GatewayStatusReport, PeerRuntimeStatus } from './types';

/**
 * The most peers a stored report lists. The report is one DynamoDB item (400 KB at most, about
 * 3,000 peers) written on every push; 1,000 peers keep it near 150 KB.
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
