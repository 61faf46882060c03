/** Peer statuses as an instance reports them, in the numbers of a large gateway. */
import { randomBytes } from 'node:crypto';
import type { PeerRuntimeStatus } from '../../lambdas/core/types';

/**
 * `count` peers with real-sized fields (about 130 bytes each once stored); peer i last shook hands
 * at `1_790_000_000 + i`, so the most recently active is the last one.
 */
export function peerStatuses(count: number): PeerRuntimeStatus[] {
  return Array.from({ length: count }, (_, i) => ({
    publicKey: randomBytes(32).toString('base64'),
    allowedIps: [`100.64.${Math.floor(i / 250)}.${i % 250}/32`],
    endpoint: `198.51.100.${i % 250}:51820`,
    latestHandshake: 1_790_000_000 + i,
    rxBytes: 123_456_789,
    txBytes: 987_654_321,
  }));
}
