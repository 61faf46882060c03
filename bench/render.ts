/**
 * Section 5: time to render (and serialise) the desired state of a gateway holding 10,000 peers
 * (9,990 road-warriors and 10 vpc-peerings), and to render one road-warrior client config. Pure
 * functions, so this is CPU time on this machine; means over repetitions after a warm-up.
 */
import { generateKeyPair } from '../lambdas/core/keys';
import { renderClientConfig, renderGatewayState, serialiseState } from '../lambdas/core/render';
import { peeringPeerName } from '../lambdas/core/schemas';
import type { GatewayRecord, PeerRecord } from '../lambdas/core/types';
import { nthHost } from '../runtime/hosts/addresses';
import { mean, round, type SectionResult } from './harness';

const PEERS = 10_000;
const PEERINGS = 10;
const STATE_REPETITIONS = 20;
const CLIENT_REPETITIONS = 10_000;
const WARM_UP = 3;

export async function benchRender(): Promise<SectionResult> {
  const gateway = bigGateway();
  const peers = Array.from({ length: PEERS }, (_, i) => (i < PEERINGS ? peeringPeer(i) : roadWarrior(i)));
  const stateMs = repeat(STATE_REPETITIONS, () => serialiseState(renderGatewayState(gateway, peers, 7)));
  const documentBytes = Buffer.byteLength(serialiseState(renderGatewayState(gateway, peers, 7)));
  const client = peers[PEERINGS] as PeerRecord;
  const peeredVpcCidrs = peers.slice(0, PEERINGS).map((p) => p.allowedIps[0] as string);
  const clientMs = repeat(CLIENT_REPETITIONS, () =>
    renderClientConfig({ gateway, peer: client, privateKey: null, peeredVpcCidrs }),
  );
  return {
    metrics: [
      {
        metric: `render + serialise ${PEERS.toLocaleString('en')}-peer gateway state (mean)`,
        value: round(mean(stateMs)),
        unit: 'ms',
        lowerIsBetter: true,
      },
      { metric: 'that state document', value: round(documentBytes / 1024), unit: 'KiB' },
      {
        metric: 'render one client config (mean)',
        value: round(mean(clientMs) * 1000),
        unit: 'µs',
        lowerIsBetter: true,
      },
    ],
    details: { peers: PEERS, stateRepetitions: STATE_REPETITIONS, clientRepetitions: CLIENT_REPETITIONS },
  };
}

/** Milliseconds of each of `times` runs, after a few unmeasured ones. */
function repeat(times: number, work: () => unknown): number[] {
  for (let i = 0; i < WARM_UP; i++) work();
  return Array.from({ length: times }, () => {
    const started = performance.now();
    work();
    return performance.now() - started;
  });
}

const KEYS = Array.from({ length: 16 }, () => generateKeyPair().publicKey);
const keyOf = (i: number) => KEYS[i % KEYS.length] as string;
const NOW = new Date().toISOString();

function bigGateway(): GatewayRecord {
  return {
    id: 'gw-big',
    name: 'gw-big',
    ownerId: 'bench',
    vpcId: 'vpc-big',
    vpcCidr: '10.0.0.0/16',
    location: 'local',
    tunnelSubnet: '100.64.0.0/16',
    tunnelIp: '100.64.0.1',
    publicIp: '203.0.113.1',
    listenPort: 51820,
    publicKey: keyOf(0),
    instanceId: 'i-big',
    status: 'ACTIVE',
    desiredGeneration: 7,
    privateKeyParam: '/vpc-peering/gateways/gw-big/private-key',
    createdAt: NOW,
    updatedAt: NOW,
  };
}

function roadWarrior(i: number): PeerRecord {
  return {
    gatewayId: 'gw-big',
    name: `rw-${i}`,
    type: 'road-warrior',
    publicKey: keyOf(i),
    tunnelIp: nthHost('100.64.0.0/16', i + 2),
    allowedIps: [`${nthHost('100.64.0.0/16', i + 2)}/32`],
    endpoint: null,
    presharedKeyParam: null,
    privateKeyParam: null,
    createdAt: NOW,
  };
}

function peeringPeer(i: number): PeerRecord {
  const peeringId = `pcx-${i}`;
  return {
    gatewayId: 'gw-big',
    name: peeringPeerName(peeringId),
    type: 'vpc-peering',
    publicKey: keyOf(i),
    tunnelIp: nthHost('100.64.0.0/16', i + 2),
    allowedIps: [`172.${16 + i}.0.0/16`, `100.${65 + i}.0.0/24`],
    endpoint: `198.51.100.${i + 1}:51820`,
    peeringId,
    remoteGatewayId: `gw-${i}`,
    presharedKeyParam: `/vpc-peering/peerings/${peeringId}/psk`,
    privateKeyParam: null,
    createdAt: NOW,
  };
}
