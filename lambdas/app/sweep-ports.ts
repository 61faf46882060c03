/**
 * The sweep's storage port, part of the Repository (storage-ports.ts re-exports it): what one sweep
 * finds to re-drive (app/sweeper.ts), and the bounded walk of older peer entries' key items.
 */
import type { GatewayRecord, Peering } from '../core/types';

/**
 * What the cascade of a deleted gateway needs of it (app/gateway-cascade.ts): the stream record's
 * OldImage carries it, and the gateway's tombstone keeps it while the cascade is pending, so the
 * sweep can run a cascade the stream gave up on. Names only, never a key. `unfinishedMove`: the
 * instance a move was leaving when the gateway was deleted, whose lock and retirement the cascade
 * finishes (docs/DECISIONS.md, "A gateway deleted in the middle of a move").
 */
export type RemovedGateway = Pick<
  GatewayRecord,
  'id' | 'instanceId' | 'desiredGeneration' | 'privateKeyParam' | 'unfinishedMove'
>;

/** What one sweep finds to re-drive, in one read of the table (app/sweeper.ts). */
export interface SweepWorkBounds {
  stalledBefore: string;
  cascadeBefore: string;
  walkBefore: string;
}

export interface SweepWork {
  /** Peerings PROVISIONING or DELETING whose last change is older than `stalledBefore`. */
  stalledPeerings: Peering[];
  /** Deleted gateways whose cascade is still pending, deleted before `cascadeBefore`. */
  pendingCascades: RemovedGateway[];
  /** Gateways whose peer walk is owed since before `walkBefore` (peerWalkOwedSince). */
  owedWalks: GatewayRecord[];
}

/** A peer entry whose key another entry of its gateway already held (ids only, never the key). */
export interface PeerKeyClash {
  gatewayId: string;
  peerName: string;
  holder: string;
}

/** One bounded part of the walk that gives older peer entries their public-key items. */
export interface PeerKeyBackfill {
  /** Gateways whose walk finished in this part: their checks read key items from now on. */
  marked: string[];
  /** Key items written. */
  written: number;
  /** Entries left without an item: their key was another entry's already (a clash from before the items). */
  clashes: PeerKeyClash[];
  /** Every gateway walked: nothing is left to do. */
  done: boolean;
}

export interface SweepStore {
  /** The bounds ISO 8601. On DynamoDB Queries of the bySweep index (docs/DECISIONS.md, "The sweep reads an index of what is in flight"). */
  findSweepWork(bounds: SweepWorkBounds): Promise<SweepWork>;
  /**
   * Gives peer entries older than the public-key items theirs, a bounded part per call, from where
   * the last call stopped; marks each gateway whose entries all hold items. Idempotent. Stops, its
   * place kept, while `remainingMs` (the invocation's time left) still leaves room to save it.
   */
  backfillPeerKeys(remainingMs?: () => number): Promise<PeerKeyBackfill>;
}
