/**
 * Secret-store names (docs/ARCHITECTURE.md "Secrets"). Only names travel; values stay in the store.
 * The prefix belongs to the store (a deployment setting its adapter reads), so the names do too.
 */
export const DEFAULT_SECRET_PREFIX = '/vpc-peering';

export interface SecretNames {
  gatewayPrivateKey(gatewayId: string): string;
  /** `keyId` is new for every key pair, so a re-added name never meets a revoked device's key. */
  roadWarriorPrivateKey(gatewayId: string, peerName: string, keyId: string): string;
  presharedKey(peeringId: string): string;
}

export function secretNamesUnder(prefix: string): SecretNames {
  return {
    gatewayPrivateKey: (gatewayId) => `${prefix}/gateways/${gatewayId}/private-key`,
    roadWarriorPrivateKey: (gatewayId, peerName, keyId) =>
      `${prefix}/gateways/${gatewayId}/peers/${peerName}/${keyId}/private-key`,
    presharedKey: (peeringId) => `${prefix}/peerings/${peeringId}/psk`,
  };
}
