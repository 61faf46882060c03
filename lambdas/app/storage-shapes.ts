/**
 * The shapes the storage ports take and give (./storage-ports): a new peering and its sides, a new
 * road-warrior, route lock blocks, list filters, a config download, a peer gateway's view.
 * Re-exported by ./storage-ports and ./ports.
 */
import type { GatewayRecord, GatewayStatus, PeeringStatus } from '../core/types';

/** Everything needed to write a new peering in one transaction. */
export interface NewPeering {
  id: string;
  ownerId: string;
  /** Side 0 is the gateway the request named, side 1 the remote one. */
  sides: [NewPeeringSide, NewPeeringSide];
  presharedKeyParam: string;
  createdAt: string;
  /**
   * The counters of the route lock blocks this peering claims (for each side's peer allowedIps on
   * that side's gateway), as read before the routed-prefix check. The transaction commits only if
   * none moved, so no concurrent peering added an overlapping prefix since the check; when one
   * did, createPeering throws ChecksOutdatedError and the caller checks again. Changes elsewhere on
   * the gateways (other blocks, road-warriors) do not invalidate the check.
   */
  routeBlockVersions?: RouteBlockVersion[];
}

/** A route lock block of a gateway (core/route-blocks.ts): its counters and what is routed in it. */
export interface RouteBlock {
  gatewayId: string;
  /** `16:a.b` or `24:a.b.c`. */
  block: string;
  /** Exclusive claims so far; 0 when never written. */
  version: number;
  /** Shared claims so far (prefixes inside a /16 block); 0 when none. */
  descendants: number;
  routes: { peeringId: string; prefixes: string[] }[];
}

export type RouteBlockVersion = Pick<RouteBlock, 'gatewayId' | 'block' | 'version' | 'descendants'>;

export interface GatewayFilter {
  /** Undefined: every owner (admins). */
  ownerId?: string;
  status?: GatewayStatus;
}

export interface PeeringFilter {
  ownerId?: string;
  status?: PeeringStatus;
}

export interface NewPeeringSide {
  gatewayId: string;
  /** The peer entry written on this side's gateway (describes the other side). */
  peer: {
    name: string;
    publicKey: string;
    allowedIps: string[];
    endpoint: string;
    remoteGatewayId: string;
  };
}

export interface NewRoadWarrior {
  gatewayId: string;
  name: string;
  publicKey: string;
  privateKeyParam: string | null;
  createdAt: string;
  /**
   * The gateway as the caller already read it (e.g. to authorize): spares the allocator its own
   * read. Only its immutable fields (id, tunnelSubnet, tunnelIp, and createdAt, which binds the add
   * to this incarnation of the id) are relied on.
   */
  gateway?: GatewayRecord;
}

/** A road-warrior's config download as recorded (PeerStore.recordConfigDownload). */
export interface ClientConfigDownload {
  /** The entry's public key as read for the config: a removed and re-added entry is not this one. */
  publicKey: string;
  /**
   * The entry's address as read for the config: an entry removed and added again with the same
   * (client-supplied) key gets another address, and a config naming the old one is not its config.
   */
  tunnelIp: string;
  downloadedAt: string;
  /** The gateway's clientConfigChangedAt as read for the config. */
  gatewayChangedAt: string | undefined;
}

/** What a gateway's entry for a peer gateway holds of it, and an update of that gateway may change. */
export interface RemoteGatewayView {
  /** `publicIp:listenPort`. */
  endpoint: string;
  publicKey: string;
}

/** What a rewrite of a peer gateway's entry did (PeerStore.updateRemotePeer). */
export interface RemotePeerRewrite {
  /** The gateway's generation holding the entry's values: the new one when rewritten now. */
  generation: number;
  /**
   * Whether this call wrote the entry: false when it already held both values (a rerun's finished
   * peer, whose walk then takes no start slot: docs/DECISIONS.md, "A rerun of a hub's peer walk resumes").
   */
  rewritten: boolean;
}

/**
 * A peering's preshared key switch on both its entries (PeerStore.switchPresharedKey): one of its
 * gateways moved (app/preshared-key-rotation.ts).
 */
export interface PresharedKeyRotation {
  /** The name the caller read on the entries, the one replaced. */
  from: string;
  /** The new name. */
  to: string;
  /** The move's rotation id, recorded on both entries with `to`. */
  rotation: string;
}

/**
 * Whether a switch writes: both entries still hold `from`, and this rotation has not switched them
 * already (a resumed move). The one rule both repositories apply before their write.
 */
export function switchesPresharedKey(
  entries: readonly { presharedKeyParam?: unknown; presharedKeyRotation?: unknown }[],
  { from, rotation }: PresharedKeyRotation,
): boolean {
  const repeat = entries.every((entry) => entry.presharedKeyRotation === rotation);
  return !repeat && entries.every((entry) => entry.presharedKeyParam === from);
}

/** What a preshared key switch found or did (PeerStore.switchPresharedKey). */
export interface PresharedKeySwitch {
  /**
   * The peer gateway's (`remoteGatewayId`) generation holding the entries' name: the first one
   * holding `to` when switched now, its current one otherwise.
   */
  remoteGeneration: number;
  /** Whether this call switched the entries (from `from` to `to`). */
  switched: boolean;
  /**
   * The name the entries hold after the call: `to` when switched now or by this rotation before;
   * another when another rotation switched them since the caller read `from`.
   */
  held: string | null;
}
