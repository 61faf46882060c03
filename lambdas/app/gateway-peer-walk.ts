/**
 * What a gateway update gives its peer gateways (app/gateway-lifecycle.ts): each one's entry for the
 * gateway gets its endpoint and public key, and a new key held on either side refuses the update
 * first (docs/DECISIONS.md, "A gateway's new public key reaches its peer gateways"); after a move,
 * each peering a new preshared key (preshared-key-rotation.ts).
 */
import { remotePeerAllowedIps, routedPrefixes, routesOwnTransport } from '../core/checks';
import { ValidationError } from '../core/errors';
import type { GatewayRecord, PeerRecord } from '../core/types';
import { settleEach } from '../shared/bounded';
import { logger } from '../shared/logger';
import { type PeerFanoutDeps, startPace } from './peer-fanout';
import type { Dependencies } from './ports';
import { rotatePresharedKey } from './preshared-key-rotation';
import { keyHoldersOn } from './public-key-holders';
import { type PushRun, startGatewayPushRun } from './push-runs';

type WalkDeps = Pick<Dependencies, 'repository' | 'workflows' | 'secrets'> & PeerFanoutDeps;

/**
 * Peer gateways rewritten at once by an update: one rewrite is a transaction and a StartExecution,
 * as many in flight as the cascade's starts (PEERING_DELETION_STARTS_IN_FLIGHT, for the same reasons).
 */
export const PEER_REWRITES_IN_FLIGHT = 5;

const endpointOf = (gateway: Pick<GatewayRecord, 'publicIp' | 'listenPort'>): string =>
  `${gateway.publicIp}:${gateway.listenPort}`;

/** Whether an update changes what peer gateways hold of the gateway: its endpoint or public key. */
export const changesWhatPeersHold = (existing: GatewayRecord, record: GatewayRecord): boolean =>
  existing.publicKey !== record.publicKey || endpointOf(existing) !== endpointOf(record);

const isPeeringPeer = (peer: PeerRecord): peer is PeeringPeer =>
  peer.type === 'vpc-peering' && Boolean(peer.remoteGatewayId);

export type PeeringPeer = PeerRecord & { remoteGatewayId: string };

/** The gateway's entries for its peer gateways (both sides of a peering name theirs alike). */
export async function peeringPeersOf(
  d: Pick<Dependencies, 'repository'>,
  gatewayId: string,
): Promise<PeeringPeer[]> {
  return (await d.repository.listPeeringPeers(gatewayId)).filter(isPeeringPeer);
}

/**
 * Gives each peer gateway's entry for `gateway` its endpoint and public key and, with `rotation`
 * (a move's: preshared-key-rotation.ts), the peering a new preshared key on both its entries, and
 * starts that peer's push at the generation holding the change, a bounded number of peers at a time
 * (a hub has thousands, and the event's Lambda a timeout). A peer given something new takes a start
 * slot before its push (peer-fanout.ts: 1,000 in ~40 s by default, inside the event function's
 * 60 s); one whose writes a previous run made takes one after its start unless that start met the
 * previous run's ended execution (`mayHaveEnded`: no state transition spent). So a rerun crosses
 * the head the run before finished at lane speed and resumes where it stopped, while a start that
 * run failed is paced as a new one (docs/DECISIONS.md, "A rerun of a hub's peer walk resumes"). One peer's failure stops none of the others; the first one is then thrown, for
 * the event's retry to redo the walk (each rewrite is idempotent, and the execution names dedupe
 * the starts).
 */
export async function repushToPeers(
  d: WalkDeps,
  gateway: GatewayRecord,
  peerings: readonly PeeringPeer[],
  rotation?: string,
): Promise<PushRun[]> {
  const remote = { endpoint: endpointOf(gateway), publicKey: gateway.publicKey };
  const runs: PushRun[] = [];
  const pace = startPace(d);
  const failures = await settleEach(peerings, PEER_REWRITES_IN_FLIGHT, async (peer) => {
    // Both sides of a peering name their peer entry alike (peeringPeerName).
    const rewrite = await d.repository.updateRemotePeer(peer.remoteGatewayId, peer.name, remote);
    // Undefined: the remote side is gone, its peering is being deleted.
    if (rewrite === undefined) return;
    const rotated =
      rotation === undefined
        ? undefined
        : await rotatePresharedKey(d, gateway, peer, rotation, rewrite.generation);
    if (rotation !== undefined && rotated === undefined) return;
    const given = rewrite.rewritten || rotated?.switched === true;
    if (given) await pace();
    const generation = rotated?.remoteGeneration ?? rewrite.generation;
    const started = await startGatewayPushRun(d, peer.remoteGatewayId, generation);
    runs.push(started.run);
    // A start that is not a previous run's ended execution (one whose start failed, or that
    // stopped before it) is a new one: its slot, before the lane's next peer.
    if (!given && !started.mayHaveEnded) await pace();
  });
  const [first] = failures;
  if (first === undefined) return runs;
  logger.warn('peer gateways not given the change: the event is retried', {
    gatewayId: gateway.id,
    failed: failures.length,
    of: peerings.length,
    remoteGatewayIds: failures.slice(0, 20).map((failure) => failure.item.remoteGatewayId),
  });
  throw first.error;
}

/**
 * WireGuard tells a gateway's peers apart by public key (docs/DECISIONS.md, "A gateway's new public
 * key"): a key that one of this gateway's peers holds, or that another entry holds on a peer
 * gateway, would make two peers one there. The whole update is refused, before anything changes,
 * with the holder named. Read from the key items of the gateway and its peer gateways, one batched
 * read, and the peers of only those whose items may be incomplete (keyHoldersOn). A peer gateway's
 * entry for this gateway already holding the key is a redelivery's finished work, not a clash.
 * updateRemotePeer's commit still refuses a holder that came after this read.
 */
export async function refuseKeyClash(
  d: Pick<Dependencies, 'repository'>,
  gateway: GatewayRecord,
  peerings: readonly PeeringPeer[],
): Promise<void> {
  // Both sides of a peering name their peer entry alike (peeringPeerName).
  const entryFor = new Map(peerings.map((peer) => [peer.remoteGatewayId, peer.name]));
  const holders = await keyHoldersOn(d, gateway.publicKey, [gateway.id, ...entryFor.keys()], (gatewayId) =>
    entryFor.get(gatewayId),
  );
  const own = holders.get(gateway.id);
  if (own !== undefined) throw new ValidationError(`is held by this gateway's peer "${own}"`, 'publicKey');
  const clash = peerings.find((peer) => holders.has(peer.remoteGatewayId));
  if (clash) {
    throw new ValidationError(
      `is held by the peer "${holders.get(clash.remoteGatewayId)}" of peer gateway ${clash.remoteGatewayId}`,
      'publicKey',
    );
  }
}

/** Peer gateways whose peer lists are read at once by refuseEndpointInsideRoutes. */
const ROUTE_READS_IN_FLIGHT = 10;

/**
 * A peering never routes its own transport (docs/DECISIONS.md, "A peering never routes its own transport, on a hub and across updates"): a gateway's new
 * publicIp inside a prefix it routes into its tunnel, or one a peer gateway routes (its own VPC CIDR
 * and tunnel subnet, which every peer gateway routes, or another peering's prefixes there), would
 * send WireGuard's UDP into the tunnel, which a create of such a peering is refused for
 * (ENDPOINT_INSIDE_PEERED_PREFIX). The whole update is refused, before anything changes, with
 * where the address lies. Like the create's check, not bound to concurrent peerings' commits: an
 * endpoint change is a rare event (review s20a).
 */
export async function refuseEndpointInsideRoutes(
  d: Pick<Dependencies, 'repository'>,
  gateway: GatewayRecord,
  peerings: readonly PeeringPeer[],
): Promise<void> {
  if (peerings.length === 0) return;
  const moved = { endpointHosts: [gateway.publicIp], routedPrefixes: [] };
  const routes = (prefixes: readonly string[]) =>
    routesOwnTransport({ endpointHosts: [], routedPrefixes: prefixes }, moved);
  const refuse = (where: string): never => {
    throw new ValidationError(`lies inside ${where}: the tunnel would carry its own transport`, 'publicIp');
  };
  if (routes(routedPrefixes(peerings))) refuse('a prefix this gateway routes through its tunnel');
  if (routes(remotePeerAllowedIps(gateway)))
    refuse("this gateway's own VPC CIDR or tunnel subnet, which its peer gateways route");
  const routing: string[] = [];
  const failures = await settleEach(peerings, ROUTE_READS_IN_FLIGHT, async (peer) => {
    if (routes(routedPrefixes(await d.repository.listPeeringPeers(peer.remoteGatewayId)))) {
      routing.push(peer.remoteGatewayId);
    }
  });
  if (failures[0] !== undefined) throw failures[0].error;
  if (routing.length > 0) refuse(`a prefix peer gateway ${routing.sort()[0]} routes through its tunnel`);
}
