/** Secret-store names (docs/ARCHITECTURE.md "Secrets"). Only names travel; values stay in the store. */
import { env } from '../shared/env';

export const secretNames = {
  gatewayPrivateKey: (gatewayId: string) => `${env.secretPrefix()}/gateways/${gatewayId}/private-key`,
  roadWarriorPrivateKey: (gatewayId: string, peerName: string) =>
    `${env.secretPrefix()}/gateways/${gatewayId}/peers/${peerName}/private-key`,
  presharedKey: (peeringId: string) => `${env.secretPrefix()}/peerings/${peeringId}/psk`,
};
