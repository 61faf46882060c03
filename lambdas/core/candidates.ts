/** Which of the owner's gateways a gateway could peer with, and why not (docs/CONTRACT.md#routes, peering-candidates). */

import { findPeeringConflict } from './checks';
import { compareText } from './order';
import type { Gateway } from './types';

export interface PeeringCandidate {
  gateway: Gateway;
  eligible: boolean;
  /** The message the create call would answer with; null when it would succeed. */
  reason: string | null;
}

export interface CandidateContext {
  routedPrefixesOf: (gatewayId: string) => string[];
  isPeeredWith: (otherId: string) => boolean;
}

/** Id order: candidates come a page at a time from an index sorted by id (README "API"). */
const byId = (a: Gateway, b: Gateway): number => compareText(a.id, b.id);

export function peeringCandidates(
  gateway: Gateway,
  others: Gateway[],
  context: CandidateContext,
): PeeringCandidate[] {
  return others
    .filter(
      (other) =>
        other.ownerId === gateway.ownerId &&
        other.id !== gateway.id &&
        other.status === 'ACTIVE' &&
        other.vpcId !== gateway.vpcId,
    )
    .sort(byId)
    .map((other) => {
      const conflict = findPeeringConflict({
        local: gateway,
        remote: other,
        localRoutedPrefixes: context.routedPrefixesOf(gateway.id),
        remoteRoutedPrefixes: context.routedPrefixesOf(other.id),
        // A page reads no peer lists (a fixed number of reads: docs/ARCHITECTURE.md "Lists"): other
        // peerings' endpoints are left to the create's own check (docs/DECISIONS.md,
        // "A peering never routes its own transport, on a hub and across updates").
        localPeerEndpointHosts: [],
        remotePeerEndpointHosts: [],
        pairAlreadyPeered: context.isPeeredWith(other.id),
      });
      return { gateway: other, eligible: conflict === undefined, reason: conflict?.message ?? null };
    });
}
