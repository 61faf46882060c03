/** Secret-store names (docs/ARCHITECTURE.md "Secrets"). Only names travel; values stay in the store. */
import { env } from '../shared/env';

export const secretNames = {
  gatewayPrivateKey: (gatewayId: string) => `${env.secretPrefix()}/gateways/${gatewayId}/private-key`,
  /** `keyId` is new for every key pair, so a re-added name never meets a revoked device's key. */
  roadWarriorPrivateKey: (gatewayId: string, peerName: string, keyId: string) =>
    `${env.secretPrefix()}/gateways/${gatewayId}/peers/${peerName}/${keyId}/private-key`,
  presharedKey: (peeringId: string) => `${env.secretPrefix()}/peerings/${peeringId}/psk`,
};
