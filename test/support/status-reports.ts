/** Peer statuses as an instance reports them, in the numbers of a large gateway. */
import { randomBytes } from 'node:crypto';
import type { CommandBus } from '../../lambdas/app/ports';
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

/** The longest prefix and endpoint a report may carry (core/status.ts): 43 and 47 ASCII characters. */
export const LONGEST_CIDR = 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128';
export const LONGEST_ENDPOINT = '[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535';

/**
 * `count` peers as a compromised instance would print them to fill the stored report: each field
 * at the longest its bound admits, first in 3-byte characters (`中`: DynamoDB counts UTF-8 bytes),
 * then in ASCII (4 prefixes of LONGEST_CIDR, which a parser dropping the others keeps), and the
 * largest counts. Peer i's key is 32 bytes holding i.
 */
export function worstCasePeers(count: number): Record<string, unknown>[] {
  const wide = (length: number) => '中'.repeat(length);
  const key = (i: number) => {
    const bytes = Buffer.alloc(32);
    bytes.writeUInt32BE(i);
    return bytes.toString('base64');
  };
  return Array.from({ length: count }, (_, i) => ({
    publicKey: key(i),
    allowedIps: [...Array(4).fill(wide(LONGEST_CIDR.length)), ...Array(4).fill(LONGEST_CIDR)],
    endpoint: LONGEST_ENDPOINT,
    latestHandshake: Number.MAX_SAFE_INTEGER,
    rxBytes: Number.MAX_SAFE_INTEGER,
    txBytes: Number.MAX_SAFE_INTEGER,
  }));
}

/** A command bus whose report round `round` finished with `output`: what storeStatusReport reads. */
export function finishedReportRound(round: string, output: string): CommandBus {
  return {
    send: async () => 'unused',
    teardown: async () => 'unused',
    requestReports: async () => round,
    get: async () => ({ status: 'Success', output }),
  };
}
