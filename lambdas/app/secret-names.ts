/**
 * Secret-store names (docs/ARCHITECTURE.md "Secrets"). Only names travel; values stay in the store.
 * The prefix belongs to the store (a deployment setting its adapter reads), so the names do too.
 */
export const DEFAULT_SECRET_PREFIX = '/vpc-peering';

export interface SecretNames {
  /**
   * The folder every secret a gateway owns is named under (its key, its road-warriors' keys; never
   * a peering's preshared key, which its peering owns): `deleteUnder` it clears them all at once.
   */
  gatewayFolder(gatewayId: string): string;
  gatewayPrivateKey(gatewayId: string): string;
  /** `keyId` is new for every key pair, so a re-added name never meets a revoked device's key. */
  roadWarriorPrivateKey(gatewayId: string, peerName: string, keyId: string): string;
  /**
   * The folder every preshared key a peering ever had is named under: its deletion clears them all
   * with `deleteUnder` (docs/DECISIONS.md, "A move rotates the moved gateway's preshared keys").
   */
  peeringFolder(peeringId: string): string;
  /**
   * A peering's preshared key: `psk` as created, `psk-<rotation>` once a move of one of its
   * gateways rotated it (`rotation`: 16 lowercase hex characters, app/derived-hex.ts). A new name
   * per rotation, never an overwrite of a name a peer gateway's applied document may still use.
   */
  presharedKey(peeringId: string, rotation?: string): string;
}

export function secretNamesUnder(prefix: string): SecretNames {
  const gatewayFolder = (gatewayId: string) => `${prefix}/gateways/${gatewayId}/`;
  const peeringFolder = (peeringId: string) => `${prefix}/peerings/${peeringId}/`;
  return {
    gatewayFolder,
    gatewayPrivateKey: (gatewayId) => `${gatewayFolder(gatewayId)}private-key`,
    roadWarriorPrivateKey: (gatewayId, peerName, keyId) =>
      `${gatewayFolder(gatewayId)}peers/${peerName}/${keyId}/private-key`,
    peeringFolder,
    presharedKey: (peeringId, rotation) =>
      `${peeringFolder(peeringId)}psk${rotation === undefined ? '' : `-${rotation}`}`,
  };
}
