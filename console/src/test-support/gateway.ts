/** One gateway's details as GET /v1/gateways/{id} answers them, with no peers: the pages' tests start from it. */
import type { GatewayDetail } from '../api/client';

export const gatewayDetail: GatewayDetail = {
  id: 'gw-a',
  name: 'prod',
  ownerId: 'alice',
  vpcId: 'vpc-a',
  vpcCidr: '10.10.0.0/16',
  tunnelSubnet: '100.64.0.0/24',
  tunnelIp: '100.64.0.1',
  publicIp: '203.0.113.1',
  listenPort: 51820,
  publicKey: 'key-a',
  instanceId: 'i-a',
  status: 'ACTIVE',
  peers: [],
};
