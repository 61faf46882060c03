/**
 * Storage keys and item <-> record mapping of the one table (docs/ARCHITECTURE.md "Data model").
 * Records are copied field by field on the way out, so storage attributes (pk, sk, gsi*, entity,
 * allocatedCount, capacity, expiresAt) never reach a use case.
 */
import type { CreateReceipt } from '../../app/storage-ports';
import { intToIpv4, ipv4ToInt } from '../../core/cidr';
import {
  type AppliedGeneration,
  type GatewayRecord,
  type GatewayStatusReport,
  isPeeringInFlight,
  type Peering,
  type PeerRecord,
  type SentPush,
} from '../../core/types';
import { GATEWAY_FIELDS, PEER_FIELDS, pickFields } from '../../core/views';

export interface Key {
  pk: string;
  sk: string;
}

export const SK = {
  meta: 'META',
  status: 'STATUS',
  applied: 'APPLIED',
  push: 'PUSH',
  lock: 'LOCK',
  peer: 'PEER#',
  allocation: 'IP#',
  routeBlock: 'ROUTES#',
} as const;

const gatewayPk = (gatewayId: string): string => `GW#${gatewayId}`;
const ownerPk = (ownerId: string): string => `OWNER#${ownerId}`;

/** IP#<10-digit zero-padded integer>: string order is address order, so pages scan in order. */
export function allocationSortKey(ip: string): string {
  return `${SK.allocation}${String(ipv4ToInt(ip)).padStart(10, '0')}`;
}

export function addressOfAllocationSortKey(sk: string): string {
  return intToIpv4(Number(sk.slice(SK.allocation.length)));
}

export const keys = {
  gatewayPartition: gatewayPk,
  gateway: (id: string): Key => ({ pk: gatewayPk(id), sk: SK.meta }),
  peer: (gatewayId: string, name: string): Key => ({ pk: gatewayPk(gatewayId), sk: `${SK.peer}${name}` }),
  allocation: (gatewayId: string, ip: string): Key => ({
    pk: gatewayPk(gatewayId),
    sk: allocationSortKey(ip),
  }),
  status: (gatewayId: string): Key => ({ pk: gatewayPk(gatewayId), sk: SK.status }),
  applied: (gatewayId: string): Key => ({ pk: gatewayPk(gatewayId), sk: SK.applied }),
  push: (gatewayId: string): Key => ({ pk: gatewayPk(gatewayId), sk: SK.push }),
  peering: (id: string): Key => ({ pk: `PEERING#${id}`, sk: SK.meta }),
  /** A create answered 202 (createReceiptItem). */
  createReceipt: (peeringId: string): Key => ({ pk: `CREATE#${peeringId}`, sk: SK.meta }),
  /** One lock per unordered pair: both sides compute the same key. */
  pairLock: (a: string, b: string): Key => {
    const [low, high] = a < b ? [a, b] : [b, a];
    return { pk: `PAIR#${low}#${high}`, sk: SK.lock };
  },
  /** `key`: the sha256 hex of the caller, method, route, path parameters and Idempotency-Key (http/idempotency.ts `scopeOf`). */
  idempotency: (key: string): Key => ({ pk: `IDEMPOTENCY#${key}`, sk: SK.meta }),
  /** Outside the gateway's partition: the cascade and the residue purge never see it. */
  tombstone: (gatewayId: string): Key => ({ pk: `TOMBSTONE#${gatewayId}`, sk: SK.meta }),
  owner: ownerPk,
  ownedGatewaySk: (id: string): string => `GW#${id}`,
  ownedPeeringSk: (id: string): string => `PEERING#${id}`,
  /** The byEntity partition of an entity type (admin lists). */
  entity: (entity: 'gateway' | 'peering'): string => `ENTITY#${entity}`,
  /** A gateway's route block (core/route-blocks.ts): its version and the prefixes routed in it. */
  routeBlock: (gatewayId: string, block: string): Key => ({
    pk: gatewayPk(gatewayId),
    sk: `${SK.routeBlock}${block}`,
  }),
  /** The key that seals page tokens (adapters/dynamodb/page-tokens.ts). */
  pageTokenKey: (): Key => ({ pk: 'CONFIG#page-tokens', sk: SK.meta }),
  /** Where the walk that gives older in-flight items their bySweep keys stands (sweep-backfill.ts). */
  sweepBackfill: (): Key => ({ pk: 'CONFIG#sweep-index', sk: SK.meta }),
  /** Where the walk that gives older peer entries their public-key items stands (peer-key-backfill.ts). */
  peerKeyBackfill: (): Key => ({ pk: 'CONFIG#peer-key-items', sk: SK.meta }),
  /** The bySweep partition (one of SWEEP_SHARDS) of an item the sweep may have to re-drive. */
  sweepShard: (kind: SweepKind, id: string): string => sweepShardKey(kind, shardOf(id, SWEEP_SHARDS)),
};

/**
 * The sparse bySweep index (sweep-work.ts): only a peering PROVISIONING or DELETING, a tombstone
 * whose cascade is pending and a gateway whose peer walk is owed (its peerWalkOwedSince) carry its
 * keys (gsi3pk: keys.sweepShard, gsi3sk: when that state began),
 * so the sweep reads what is in flight, never the table. Spread over shards so that a burst of
 * creates does not write one index partition past its throughput.
 */
export type SweepKind = 'peering' | 'cascade' | 'walk';
export const SWEEP_SHARDS = 8;
export const sweepShardKey = (kind: SweepKind, shard: number): string => `SWEEP#${kind}#${shard}`;
export const SWEEP_INDEX_KEYS = ['gsi3pk', 'gsi3sk'] as const;

/**
 * The sparse byOwnerInFlight index: a peering PROVISIONING or DELETING carries its keys (gsi4pk /
 * gsi4sk: the same as its byOwner keys), set and removed by the writes that set and remove its
 * bySweep keys. So the owner's operations limit reads the owner's few peerings in flight, never
 * all of the owner's peerings (docs/DECISIONS.md, "An owner's operations in flight, read from an
 * index").
 */
export const OWNER_IN_FLIGHT_INDEX_KEYS = ['gsi4pk', 'gsi4sk'] as const;
/** An update's SET of a peering's byOwnerInFlight keys, copied from its byOwner keys. */
export const SET_OWNER_IN_FLIGHT_KEYS = 'gsi4pk = gsi1pk, gsi4sk = gsi1sk';

/** FNV-1a of the id, modulo `shards`: stable, so a state change finds its shard again. */
export function shardOf(id: string, shards: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) hash = Math.imul(hash ^ id.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % shards;
}

/**
 * An item of each kind in flight, as a condition with its names and values (sweep-work.ts filters
 * on it, sweep-backfill.ts gives such items their keys), and the attribute dating its state.
 */
export const IN_FLIGHT: Record<
  SweepKind,
  { condition: string; names: Record<string, string>; values: Record<string, unknown>; since: string }
> = {
  peering: {
    condition: '#entity = :peering AND sk = :meta AND #status IN (:provisioning, :deleting)',
    names: { '#entity': 'entity', '#status': 'status' },
    values: {
      ':peering': 'peering',
      ':meta': SK.meta,
      ':provisioning': 'PROVISIONING',
      ':deleting': 'DELETING',
    },
    since: 'updatedAt',
  },
  cascade: {
    condition: '#entity = :tombstone AND cascadePending = :pending',
    names: { '#entity': 'entity' },
    values: { ':tombstone': 'tombstone', ':pending': true },
    since: 'deletedAt',
  },
  walk: {
    condition: '#entity = :gateway AND attribute_exists(peerWalkOwedSince)',
    names: { '#entity': 'entity' },
    values: { ':gateway': 'gateway' },
    since: 'peerWalkOwedSince',
  },
};

/** Counters kept on the gateway item next to the record. */
export interface GatewayCounters {
  allocatedCount: number;
  capacity: number;
}

export type GatewayItem = GatewayRecord &
  GatewayCounters &
  Key & { entity: 'gateway'; gsi1pk: string; gsi1sk: string; gsi2pk: string; gsi2sk: string } & {
    gsi3pk?: string;
    gsi3sk?: string;
  };

const GATEWAY_RECORD_FIELDS = [
  ...GATEWAY_FIELDS,
  'desiredGeneration',
  'privateKeyParam',
  'createdAt',
  'updatedAt',
  'clientConfigChangedAt',
  'peerWalkOwedSince',
  'updateEventTime',
  'replacedInUpdateSecond',
  'unfinishedMove',
  'priorIncarnationEndedAt',
  'healedThrough',
] as const satisfies readonly (keyof GatewayRecord)[];

const PEER_RECORD_FIELDS = [
  ...PEER_FIELDS,
  'gatewayId',
  'presharedKeyParam',
  'presharedKeyRotation',
  'privateKeyParam',
  'createdAt',
  'configDownloadedAt',
  'downloadedConfigChangedAt',
] as const satisfies readonly (keyof PeerRecord)[];

const PEERING_FIELDS = [
  'id',
  'ownerId',
  'gatewayIds',
  'status',
  'statusReason',
  'createdAt',
  'updatedAt',
  'sides',
  'lastRedrive',
] as const satisfies readonly (keyof Peering)[];

const STATUS_REPORT_FIELDS = [
  'gatewayId',
  'appliedGeneration',
  'mode',
  'peers',
  'reportedAt',
  'receivedAt',
  'peersOmitted',
  'pendingGeneration',
  'instanceNow',
] as const satisfies readonly (keyof GatewayStatusReport)[];

export function gatewayItem(record: GatewayRecord, counters: GatewayCounters): GatewayItem {
  return {
    ...pickFields(record, GATEWAY_RECORD_FIELDS),
    ...counters,
    ...keys.gateway(record.id),
    entity: 'gateway',
    gsi1pk: ownerPk(record.ownerId),
    gsi1sk: keys.ownedGatewaySk(record.id),
    gsi2pk: keys.entity('gateway'),
    gsi2sk: keys.ownedGatewaySk(record.id),
    // The mark begins with its time: the sweep finds walks owed since before its bound.
    ...(record.peerWalkOwedSince === undefined
      ? {}
      : { gsi3pk: keys.sweepShard('walk', record.id), gsi3sk: record.peerWalkOwedSince }),
  };
}

export const toGatewayRecord = (item: Record<string, unknown>): GatewayRecord =>
  pickFields(item as unknown as GatewayRecord, GATEWAY_RECORD_FIELDS);

export function peerItem(record: PeerRecord): Record<string, unknown> {
  return {
    ...pickFields(record, PEER_RECORD_FIELDS),
    ...keys.peer(record.gatewayId, record.name),
    entity: 'peer',
  };
}

export const toPeerRecord = (item: Record<string, unknown>): PeerRecord =>
  pickFields(item as unknown as PeerRecord, PEER_RECORD_FIELDS);

export function peeringItem(peering: Peering): Record<string, unknown> {
  return {
    ...pickFields(peering, PEERING_FIELDS),
    ...keys.peering(peering.id),
    entity: 'peering',
    gsi1pk: ownerPk(peering.ownerId),
    gsi1sk: keys.ownedPeeringSk(peering.id),
    gsi2pk: keys.entity('peering'),
    gsi2sk: keys.ownedPeeringSk(peering.id),
    ...(isPeeringInFlight(peering.status)
      ? {
          gsi3pk: keys.sweepShard('peering', peering.id),
          gsi3sk: peering.updatedAt,
          gsi4pk: ownerPk(peering.ownerId),
          gsi4sk: keys.ownedPeeringSk(peering.id),
        }
      : {}),
  };
}

export const toPeering = (item: Record<string, unknown>): Peering =>
  pickFields(item as unknown as Peering, PEERING_FIELDS);

/**
 * What replaces a deleted peering's record under its key: the id stays taken (createPeering's
 * `attribute_not_exists(pk)`) until the TTL removes it. No index keys, so no list or sweep reads
 * it; no `id` either, so a list that reads it through a lagging index entry finds no item of that
 * id (list-queries.ts).
 */
export function peeringTombstoneItem(
  id: string,
  deletedAt: Date,
  ttlSeconds: number,
): Record<string, unknown> {
  return {
    ...keys.peering(id),
    entity: 'peeringTombstone',
    deletedAt: deletedAt.toISOString(),
    expiresAt: epochSeconds(deletedAt) + ttlSeconds,
  };
}

/** A create answered 202 (PeeringStore.putCreateReceipt): no index keys; gone with the TTL. */
export function createReceiptItem(receipt: CreateReceipt, ttlSeconds: number): Record<string, unknown> {
  return {
    ...keys.createReceipt(receipt.peeringId),
    entity: 'createReceipt',
    ...receipt,
    expiresAt: epochSeconds(new Date(receipt.acceptedAt)) + ttlSeconds,
  };
}

export function toCreateReceipt(item: Record<string, unknown>): CreateReceipt {
  const { peeringId, ownerId, gatewayIds, acceptedAt, outcome } = item as unknown as CreateReceipt;
  const receipt: CreateReceipt = {
    peeringId,
    ownerId,
    gatewayIds: [gatewayIds[0], gatewayIds[1]],
    acceptedAt,
  };
  return outcome ? { ...receipt, outcome } : receipt;
}

/** A peering record, not its tombstone. */
export const isPeeringItem = (item: Record<string, unknown>): boolean => item.entity === 'peering';

export function allocationItem(gatewayId: string, ip: string, holder: string): Record<string, unknown> {
  return { ...keys.allocation(gatewayId, ip), entity: 'allocation', tunnelIp: ip, holder };
}

/** An address claimed by a road-warrior before its commit; `reservedAt` starts its lease. */
export function reservationItem(
  gatewayId: string,
  ip: string,
  holder: string,
  reservedAt: string,
): Record<string, unknown> {
  return { ...allocationItem(gatewayId, ip, holder), reservedAt };
}

export function statusItem(report: GatewayStatusReport): Record<string, unknown> {
  return { ...pickFields(report, STATUS_REPORT_FIELDS), ...keys.status(report.gatewayId), entity: 'status' };
}

/** A few bytes whatever the peer count: written by every push, so a delta push costs 1 WCU. */
export function appliedItem(applied: AppliedGeneration): Record<string, unknown> {
  return { ...keys.applied(applied.gatewayId), entity: 'applied', ...applied };
}

export const toAppliedGeneration = (item: Record<string, unknown>): AppliedGeneration => ({
  gatewayId: String(item.gatewayId),
  appliedGeneration: Number(item.appliedGeneration),
  appliedAt: String(item.appliedAt),
  ...(typeof item.instanceId === 'string' ? { instanceId: item.instanceId } : {}),
  ...(typeof item.gatewayCreatedAt === 'string' ? { gatewayCreatedAt: item.gatewayCreatedAt } : {}),
  ...(typeof item.deliveredAt === 'string' ? { deliveredAt: item.deliveredAt } : {}),
});

export function pushItem(push: SentPush): Record<string, unknown> {
  return { ...keys.push(push.gatewayId), entity: 'push', ...push };
}

export const toSentPush = (item: Record<string, unknown>): SentPush => ({
  gatewayId: String(item.gatewayId),
  instanceId: String(item.instanceId),
  commandId: String(item.commandId),
  generation: Number(item.generation),
  sentAt: String(item.sentAt),
});

export const toStatusReport = (item: Record<string, unknown>): GatewayStatusReport =>
  pickFields(item as unknown as GatewayStatusReport, STATUS_REPORT_FIELDS);

/** The table's TTL attribute (`expiresAt`) is in epoch seconds. */
export const epochSeconds = (date: Date): number => Math.floor(date.getTime() / 1000);
