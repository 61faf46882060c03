/** The bound on stored status reports (core/status.ts). */
import { boundedStatusReport } from '../../../lambdas/core/status';
import type { GatewayStatusReport } from '../../../lambdas/core/types';

/** A report of `count` peers; peer i last shook hands at time i (0: never). */
function reportOf(count: number): GatewayStatusReport {
  return {
    gatewayId: 'gw-a',
    appliedGeneration: 7,
    mode: 'wireguard',
    peers: Array.from({ length: count }, (_, i) => ({
      publicKey: `key-${String(i).padStart(5, '0')}`,
      allowedIps: [`100.64.0.${i % 250}/32`],
      endpoint: null,
      latestHandshake: i,
      rxBytes: i,
      txBytes: i,
    })),
    reportedAt: '2026-11-25T00:00:00.000Z',
  };
}

describe('boundedStatusReport', () => {
  it('returns a report within the bound as it is', () => {
    // Prepare
    const report = reportOf(3);

    // Act / Assess
    expect(boundedStatusReport(report, 3)).toBe(report);
  });

  it('keeps the most recently active peers and says how many it left out', () => {
    // Prepare
    const report = reportOf(10);

    // Act
    const bounded = boundedStatusReport(report, 4);

    // Assess
    expect(bounded.peers.map((peer) => peer.latestHandshake)).toEqual([9, 8, 7, 6]);
    expect(bounded.peersOmitted).toBe(6);
    expect({ ...bounded, peers: [], peersOmitted: undefined }).toEqual({ ...report, peers: [] });
  });

  it('orders peers that never shook hands by key, so the same report gives the same list', () => {
    // Prepare
    const report = reportOf(5);
    for (const peer of report.peers) peer.latestHandshake = 0;

    // Act
    const bounded = boundedStatusReport({ ...report, peers: [...report.peers].reverse() }, 2);

    // Assess
    expect(bounded.peers.map((peer) => peer.publicKey)).toEqual(['key-00000', 'key-00001']);
  });
});
