/** Builders of valid domain objects and small helpers for the core unit tests. */
import type { Gateway, GatewayRecord, PeerRecord } from '../../lambdas/core/types';
import { gatewayRecord } from './gateways';
import keys from './wg-keys.json';

export const KEY_PAIRS = keys.pairs;
export const PRESHARED_KEYS = keys.presharedKeys;

export function gateway(overrides: Partial<Gateway> = {}): Gateway {
  return {
    id: 'gw-a',
    name: 'gateway-a',
    ownerId: 'user-1',
    vpcId: 'vpc-a',
    vpcCidr: '10.10.0.0/16',
    location: 'eu-west-1',
    tunnelSubnet: '100.64.0.0/24',
    tunnelIp: '100.64.0.1',
    publicIp: '203.0.113.1',
    listenPort: 51820,
    publicKey: keys.pairs[0]?.publicKey ?? '',
    instanceId: 'i-0a',
    status: 'ACTIVE',
    ...overrides,
  };
}

/** A second gateway of the same owner whose addresses clash with nothing of `gateway()`. */
export function remoteGateway(overrides: Partial<Gateway> = {}): Gateway {
  return gateway({
    id: 'gw-b',
    name: 'gateway-b',
    vpcId: 'vpc-b',
    vpcCidr: '172.16.0.0/16',
    tunnelSubnet: '100.64.1.0/24',
    tunnelIp: '100.64.1.1',
    publicIp: '203.0.113.2',
    publicKey: keys.pairs[1]?.publicKey ?? '',
    instanceId: 'i-0b',
    ...overrides,
  });
}

/** The record of gateway(), holding its private key in the store, as the peers below expect. */
export const hubRecord = (overrides: Partial<GatewayRecord> = {}): GatewayRecord =>
  gatewayRecord({ ...gateway(), privateKeyParam: '/vpc-peering/gateways/gw-a/private-key', ...overrides });

export function peeringPeer(overrides: Partial<PeerRecord> = {}): PeerRecord {
  return {
    gatewayId: 'gw-a',
    name: 'vpc-peering-p1',
    type: 'vpc-peering',
    publicKey: keys.pairs[1]?.publicKey ?? '',
    tunnelIp: '100.64.0.7',
    allowedIps: ['172.16.0.0/16', '100.64.1.0/24'],
    endpoint: '203.0.113.2:51820',
    peeringId: 'p1',
    remoteGatewayId: 'gw-b',
    presharedKeyParam: '/vpc-peering/peerings/p1/psk',
    privateKeyParam: null,
    createdAt: '2024-01-01T00:00:00.000Z',
    ...overrides,
  };
}

export function roadWarriorPeer(overrides: Partial<PeerRecord> = {}): PeerRecord {
  return {
    gatewayId: 'gw-a',
    name: 'laptop',
    type: 'road-warrior',
    publicKey: keys.pairs[2]?.publicKey ?? '',
    tunnelIp: '100.64.0.9',
    allowedIps: ['100.64.0.9/32'],
    endpoint: null,
    presharedKeyParam: null,
    privateKeyParam: '/vpc-peering/gateways/gw-a/peers/laptop/private-key',
    createdAt: '2024-01-01T00:00:00.000Z',
    ...overrides,
  };
}

/** Runs `act` and returns what it threw; fails the test when it throws nothing. */
export function thrown(act: () => unknown): unknown {
  try {
    act();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}
