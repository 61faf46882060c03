/**
 * What the API shows of stored records: the public shapes of docs/CONTRACT.md#resources, copied field by field so
 * bookkeeping (generations, secret-store names, storage keys) can never leak into a response.
 */
import type { Gateway, GatewayRecord, Peer, PeerRecord } from './types';

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

export function toPublicPeer(record: PeerRecord): Peer {
  return pickFields(record, PEER_FIELDS);
}
