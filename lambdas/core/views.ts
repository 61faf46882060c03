/**
 * What the API shows of stored records: the public shapes of docs/CONTRACT.md#resources, copied field by field so
 * bookkeeping (generations, secret-store names, storage keys) can never leak into a response.
 */
import type { Gateway, GatewayRecord, Peer, Peering, PeerRecord } from './types';

export const GATEWAY_FIELDS = [
  'id',
  'name',
  'ownerId',
  'vpcId',
  'vpcCidr',
  'location',
  'tunnelSubnet',
  'tunnelIp',
  'publicIp',
  'listenPort',
  'publicKey',
  'instanceId',
  'status',
] as const satisfies readonly (keyof Gateway)[];

export const PEER_FIELDS = [
  'name',
  'type',
  'publicKey',
  'tunnelIp',
  'allowedIps',
  'endpoint',
  'peeringId',
  'remoteGatewayId',
] as const satisfies readonly (keyof Peer)[];

/** The listed fields of `source` that are present (absent optional fields stay absent). */
export function pickFields<T extends object, K extends keyof T>(source: T, fields: readonly K[]): Pick<T, K> {
  const picked = {} as Pick<T, K>;
  for (const field of fields) {
    if (source[field] !== undefined) picked[field] = source[field];
  }
  return picked;
}

export function toPublicGateway(record: GatewayRecord): Gateway {
  return pickFields(record, GATEWAY_FIELDS);
}

/** What a peer's view needs of its gateway: when what its clients' configs carry last changed. */
export type ClientConfigSource = Pick<GatewayRecord, 'clientConfigChangedAt'>;

/**
 * A road-warrior's last downloaded config is outdated when it was rendered from a gateway whose
 * public key or endpoint, or whose ACTIVE peerings (the VPCs the config reaches), have changed
 * since: its recorded change (the gateway's
 * clientConfigChangedAt when it was read for the config) is not the gateway's last one. Compared
 * by identity, not by time, so a download that read the gateway just before an update's registry
 * write is outdated too, whatever its clock says. A config never downloaded (or downloaded before
 * downloads were recorded) is not outdated: there is nothing known to replace.
 */
export function isClientConfigOutdated(
  peer: Pick<PeerRecord, 'type' | 'configDownloadedAt' | 'downloadedConfigChangedAt'>,
  gateway: ClientConfigSource,
): boolean {
  if (peer.type !== 'road-warrior' || peer.configDownloadedAt === undefined) return false;
  return (
    gateway.clientConfigChangedAt !== undefined &&
    peer.downloadedConfigChangedAt !== gateway.clientConfigChangedAt
  );
}

/** A peer's view; a road-warrior's also says when its config was downloaded and whether it is outdated. */
export function toPublicPeer(record: PeerRecord, gateway: ClientConfigSource): Peer {
  const peer = pickFields(record, PEER_FIELDS);
  if (record.type !== 'road-warrior') return peer;
  return {
    ...peer,
    configDownloadedAt: record.configDownloadedAt ?? null,
    configOutdated: isClientConfigOutdated(record, gateway),
  };
}

/** What an audit event says of a peering: ids and its owner (to route per tenant), never a key. */
export const peeringAuditDetail = (peering: Pick<Peering, 'id' | 'ownerId' | 'gatewayIds'>) => ({
  peeringId: peering.id,
  ownerId: peering.ownerId,
  gatewayIds: peering.gatewayIds,
});
