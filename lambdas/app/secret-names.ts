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
  presharedKey(peeringId: string): string;
}

export function secretNamesUnder(prefix: string): SecretNames {
  const gatewayFolder = (gatewayId: string) => `${prefix}/gateways/${gatewayId}/`;
  return {
    gatewayFolder,
    gatewayPrivateKey: (gatewayId) => `${gatewayFolder(gatewayId)}private-key`,
    roadWarriorPrivateKey: (gatewayId, peerName, keyId) =>
      `${gatewayFolder(gatewayId)}peers/${peerName}/${keyId}/private-key`,
    presharedKey: (peeringId) => `${prefix}/peerings/${peeringId}/psk`,
  };
}
