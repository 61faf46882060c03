/** Domain types shared by every layer. Shapes follow docs/CONTRACT.md#resources. */

export type GatewayStatus = 'PENDING' | 'ACTIVE' | 'ERROR' | 'DELETING';
export type PeerType = 'vpc-peering' | 'road-warrior';
export type PeeringStatus = 'PROVISIONING' | 'ACTIVE' | 'FAILED' | 'DELETING';

/**
 * Being created or deleted: a workflow still owes the peering its next state. The sweep re-drives
 * such a peering when it lasts too long, and the owner's operations limit counts it.
 */
export const isPeeringInFlight = (status: string): boolean =>
  status === 'PROVISIONING' || status === 'DELETING';

/** A gateway as the API shows it. */
export interface Gateway {
  id: string;
  name: string;
  ownerId: string;
  vpcId: string;
  vpcCidr: string;
  location: string;
  tunnelSubnet: string;
  tunnelIp: string;
  publicIp: string;
  listenPort: number;
  publicKey: string;
  instanceId: string;
  status: GatewayStatus;
}

/** A gateway as stored: the API shape plus control-plane bookkeeping. */
export interface GatewayRecord extends Gateway {
  /** Increases on every change of the gateway's peer set; pushes carry it so stale ones are refused. */
  desiredGeneration: number;
  /** Secret-store name of the private key when the control plane generated the pair, else null. */
  privateKeyParam: string | null;
  createdAt: string;
  updatedAt: string;
  /**
   * When what its road-warriors' configs carry (its public key, its endpoint, the VPC CIDRs of its
   * ACTIVE peerings) last changed: a config downloaded before is outdated (core/views.ts). Compared
   * only for equality; a peering's mark adds a random tag (changeMark). Absent: not changed
   * since it was recorded.
   */
  clientConfigChangedAt?: string;
  /**
   * Set by an update that changed what its peer gateways hold of it (key, endpoint), in the same
   * write as the change, and removed once every peer gateway was given it: a redelivered update
   * finding it walks the peers again (app/gateway-lifecycle.ts gatewayUpdated).
   */
  peerWalkOwedSince?: string;
  /**
   * The `time` of the last "VPN Gateway Updated" applied: an update older than it is history and
   * is ignored (app/gateway-lifecycle.ts). Absent: none applied with a time.
   */
  updateEventTime?: string;
  /**
   * The instances and public keys that updates of `updateEventTime`'s second replaced: events of
   * one second cannot be ordered, and one that would set either back to such a value is refused
   * (core/event-times.ts revertsWithinSecond). Absent: none replaced in that second.
   */
  replacedInUpdateSecond?: ReplacedValues;
  /**
   * Written by an update that moved the gateway off an instance, in the same write as the new
   * instance, and removed (settleMove) once that instance is retired, its reports forgotten, its
   * lock released and the new instance's push started: a redelivery or the sweep that finds it
   * finishes the move (app/instance-move.ts).
   */
  unfinishedMove?: UnfinishedMove;
  /**
   * When the id's previous incarnation ended, copied from its tombstone by the registration that
   * replaced it (createGateway; core/event-times.ts incarnationEnd): a "Deleted" or "Updated" event
   * stamped at or before it is that incarnation's and changes nothing. Absent: no predecessor known.
   */
  priorIncarnationEndedAt?: string;
  /**
   * Set with the raise of a restored gateway's desired generation (GatewayStore.raiseGeneration):
   * the generation its instance held when the raise found it ahead of the restored table. The
   * instance's content at or below it may predate the restore, so a stale skip under it is no
   * proof of a push's change (app/push.ts plausiblyApplied). Absent: never healed.
   */
  healedThrough?: number;
}

/** Values updates of one second replaced (GatewayRecord.replacedInUpdateSecond). */
export interface ReplacedValues {
  instanceIds: string[];
  publicKeys: string[];
}

/** A move whose end is owed (GatewayRecord.unfinishedMove). */
export interface UnfinishedMove {
  /** The instance the gateway left. */
  instanceId: string;
  /** The generation it was retired through before the registry moved. */
  retiredThrough: number;
  /**
   * Drawn at random when the move's mark is written, and read back by its resumptions: what makes
   * the names its preshared-key rotation gives unique to this move, even once a restore of the table
   * took the generations back (app/preshared-key-rotation.ts). Absent on marks written before it was.
   */
  rotation?: string;
}

/** An entry of a gateway's peer list, as the API shows it. */
export interface Peer {
  name: string;
  type: PeerType;
  publicKey: string;
  tunnelIp: string;
  allowedIps: string[];
  endpoint: string | null;
  peeringId?: string;
  remoteGatewayId?: string;
  /** road-warrior: when its config was last downloaded; null when no download is recorded. */
  configDownloadedAt?: string | null;
  /** road-warrior: its last downloaded config carries a public key or endpoint the gateway no longer has. */
  configOutdated?: boolean;
}

/** A peer entry as stored. Secrets are referenced by secret-store name, never held. */
export interface PeerRecord extends Peer {
  gatewayId: string;
  /** vpc-peering: the peering's preshared key. */
  presharedKeyParam: string | null;
  /**
   * vpc-peering: the move's rotation that gave the entry `presharedKeyParam` (both entries alike;
   * app/preshared-key-rotation.ts); absent for the key the peering was created with.
   */
  presharedKeyRotation?: string;
  /** road-warrior with a generated key pair: where its private key lives (for its config download). */
  privateKeyParam: string | null;
  createdAt: string;
  /** road-warrior: when its config was last downloaded (ClientConfigDownload). */
  configDownloadedAt?: string;
  /** road-warrior: the gateway's clientConfigChangedAt that config was rendered from; absent when it had none. */
  downloadedConfigChangedAt?: string;
}

export interface PeeringSide {
  gatewayId: string;
  peerName: string;
  /** Address allocated for this peering in this side's tunnel subnet. */
  tunnelIp: string;
  applied: boolean;
  /**
   * At most the gateway's first desiredGeneration that contains this peering's peer entry (equal
   * unless concurrent changes landed on the gateway while the peering was written: the write adds
   * to the generation, docs/DECISIONS.md "Busy hub: the hub item"). Activate waits for the generation
   * the side's push rendered instead.
   */
  generation: number;
}

export interface Peering {
  id: string;
  ownerId: string;
  gatewayIds: [string, string];
  status: PeeringStatus;
  statusReason: string | null;
  createdAt: string;
  updatedAt: string;
  sides: [PeeringSide, PeeringSide];
  /** The execution a sweep last started for it (app/sweeper.ts); absent until a sweep does. */
  lastRedrive?: string;
}

/** One peer as a gateway's interface holds it (docs/CONTRACT.md#status). */
export interface PeerRuntimeStatus {
  publicKey: string;
  allowedIps: string[];
  endpoint: string | null;
  latestHandshake: number;
  rxBytes: number;
  txBytes: number;
}

/**
 * One peer of the applied generation as `/status` shows it: who it is (from the document the
 * control plane pushed) and its live figures as of the last report (null before any handshake).
 */
export interface AppliedPeerStatus {
  /** null only when the applied generation's document is gone (the report's peers are shown). */
  name: string | null;
  type: PeerType | null;
  publicKey: string;
  allowedIps: string[];
  endpoint: string | null;
  /** ISO 8601, or null when the last report saw no handshake (or did not list the peer yet). */
  latestHandshake: string | null;
  /** A handshake within ONLINE_WINDOW_SECONDS of the report (WireGuard re-keys every 120 s). */
  online: boolean;
  rxBytes: number;
  txBytes: number;
}

/**
 * The last line of one run of the gateway script: the generation the instance holds and, unless
 * the run was a delta apply, every peer as its interface sees them. A delta apply lists no peers,
 * so its cost follows the change, not the peer count (docs/DECISIONS.md, "Status reports").
 */
export interface InstanceReport {
  gatewayId: string;
  appliedGeneration: number;
  mode: 'wireguard' | 'files';
  peers?: PeerRuntimeStatus[];
  /** An apply that found a newer generation already applied, and changed nothing. */
  skipped?: 'stale';
  /**
   * How an apply was made: `delta` (only the change) or `full` (the whole document, reconciled);
   * `teardown` for a deleted gateway's teardown (gateway/lib/teardown.sh).
   */
  path?: 'delta' | 'full' | 'teardown';
  /** A teardown's outcome: false when the instance held nothing of that gateway's incarnation. */
  tornDown?: boolean;
  /**
   * The instance's clock when it listed its peers (epoch seconds, the clock of their
   * `latestHandshake`). Absent from a delta's report and from scripts older than it.
   */
  now?: number;
}

/** The latest live peer list of a gateway, as stored (bounded: core/status.ts). */
export interface GatewayStatusReport {
  gatewayId: string;
  /** The generation the instance held when it listed these peers. */
  appliedGeneration: number;
  mode: 'wireguard' | 'files';
  peers: PeerRuntimeStatus[];
  /**
   * When the instance listed them: its own clock when it says (`instanceNow`), never later than
   * the report was handled (core/status.ts `reportTime`).
   */
  reportedAt: string;
  /**
   * When the control plane handled it: how fresh it is (`stale`, `reportAgeSeconds`) is judged by
   * this, so a report that waited in the queue is not taken for a silent gateway. Absent from
   * reports stored before it was kept (then `reportedAt`, which was the same time).
   */
  receivedAt?: string;
  /** Peers the stored report leaves out (the least recently active), when there are any (core/status.ts). */
  peersOmitted?: number;
  /** The desired generation the instance had not applied yet, when a periodic report found it behind. */
  pendingGeneration?: number;
  /**
   * The instance's own clock when it listed these peers (epoch seconds, InstanceReport `now`):
   * `online` compares the handshakes with it, the same clock. Absent from older scripts' reports.
   */
  instanceNow?: number;
}

/** The generation a gateway's instance last said it applied (every push records it). */
export interface AppliedGeneration {
  gatewayId: string;
  appliedGeneration: number;
  appliedAt: string;
  /**
   * Who applied it: the instance and the gateway's incarnation (`createdAt`) the push went to, and
   * when that push began copying its secrets. A push copies only the secrets that document did not
   * name when they still fit the gateway (app/push.ts); a record without them (written before they
   * were) makes it copy every one.
   */
  instanceId?: string;
  gatewayCreatedAt?: string;
  deliveredAt?: string;
}

/**
 * The newest config push sent to a gateway's instance, recorded by its first poll (app/push.ts):
 * a move whose run stopped is found by it (docs/DECISIONS.md "The newest push sent").
 */
export interface SentPush {
  gatewayId: string;
  instanceId: string;
  commandId: string;
  generation: number;
  sentAt: string;
}

/** Who is calling: the Cognito-shaped claims reduced to what authorization needs. */
export interface Caller {
  userId: string;
  isAdmin: boolean;
}
