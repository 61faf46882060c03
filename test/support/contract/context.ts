/** What every part of the Repository contract (test/support/repository-contract.ts) shares. */
import type { Repository } from '../../../lambdas/app/ports';
import type { GatewayRecord, GatewayStatusReport } from '../../../lambdas/core/types';
import { gatewayRecord } from '../gateways';
import { uniqueId } from '../records';
import type { RepositoryUnderTest } from '../repository-contract';

export const AT = '2026-11-25T00:00:00.000Z';

export interface ContractContext {
  /** A repository on the suite's store (state shared between calls), with the caller's clock. */
  repo(clock?: () => Date): Repository;
  /** Two peerable ACTIVE gateways of one (fresh) owner, stored. */
  pairOfGateways(owner?: string): Promise<[GatewayRecord, GatewayRecord]>;
  /** A stored gateway's desired generation. */
  generationOf(id: string): Promise<number | undefined>;
}

export function contractContext(subject: RepositoryUnderTest): ContractContext {
  const repo = (clock?: () => Date) => subject.repository(clock ? { clock } : {});
  return {
    repo,
    async pairOfGateways(owner = uniqueId('owner')) {
      const a = gatewayRecord({ ownerId: owner, tunnelSubnet: '100.64.0.0/24', tunnelIp: '100.64.0.1' });
      const b = gatewayRecord({ ownerId: owner, tunnelSubnet: '100.64.1.0/24', tunnelIp: '100.64.1.1' });
      await repo().createGateway(a);
      await repo().createGateway(b);
      return [a, b];
    },
    generationOf: async (id) => (await repo().getGateway(id))?.desiredGeneration,
  };
}

/** A wireguard-mode status report of one peer. */
export function statusReport(
  gatewayId: string,
  appliedGeneration: number,
  reportedAt: string,
  handshake = 0,
): GatewayStatusReport {
  return {
    gatewayId,
    appliedGeneration,
    mode: 'wireguard',
    peers: [
      {
        publicKey: 'k',
        allowedIps: ['10.0.0.0/16'],
        endpoint: null,
        latestHandshake: handshake,
        rxBytes: 1,
        txBytes: 2,
      },
    ],
    reportedAt,
    receivedAt: reportedAt,
  };
}
