/** A gateway's peer list: road-warrior clients, and the vpc-peering entries that stand for peerings. */
import { assertRoom, capacityOf } from '../../core/allocation';
import { ConflictError, NotFoundError } from '../../core/errors';
import { renderClientConfig } from '../../core/render';
import { peeringIdOfPeerName } from '../../core/schemas';
import type { Caller, Gateway, GatewayRecord, Peer, PeerRecord } from '../../core/types';
import { toPublicPeer } from '../../core/views';
import { keyHoldersOn } from '../public-key-holders';
import { addedKeyCleanup, deleteRecordedSecret, recordSecretCleanup } from '../secret-cleanup';
import type { ApiDeps, ApiTiming } from './context';
import { storeGeneratedKey } from './gateways';
import { type IdDerivation, newKeyId } from './ids';
import { deletePeering } from './peerings';
import { visibleGateway } from './visibility';
import { pushGatewayAndAwait, pushGatewayAndWait } from './waiting';

/**
 * Stores the peer (key pair generated when no public key is given); push-gateway pushes the config.
 * A generated key's cleanup is recorded before the key is stored and cleared once the peer holds
 * it: a failed or interrupted add leaves no key the sweep would not find. A rerun that finds the
 * peer its earlier run committed (earlierRunsPeer) finishes that run: clears the cleanup, pushes,
 * and answers the peer, rather than refusing the caller its own success.
 */
export async function addRoadWarrior(
  d: ApiDeps,
  caller: Caller,
  gatewayId: string,
  input: { name: string; publicKey?: string },
  timing: ApiTiming,
  derivation?: IdDerivation,
): Promise<Peer> {
  const gateway = await visibleGateway(d, caller, gatewayId);
  // Where a generated private key goes: its key id is this request's own (ids.ts).
  const keyName = d.secrets.names.roadWarriorPrivateKey(
    gatewayId,
    input.name,
    newKeyId(caller.userId, gatewayId, derivation),
  );
  const peer = await commitRoadWarrior(d, gateway, input, keyName).catch(async (error: unknown) => {
    const earlier =
      error instanceof ConflictError && (await earlierRunsPeer(d, gatewayId, input, keyName, derivation));
    if (!earlier) throw error;
    return earlier;
  });
  const generated = peer.privateKeyParam;
  if (generated) await d.repository.clearSecretCleanup(addedKeyCleanup(peer, generated));
  await pushGatewayAndWait(d, gatewayId, timing);
  return toPublicPeer(peer, gateway);
}

async function commitRoadWarrior(
  d: ApiDeps,
  gateway: GatewayRecord,
  input: { name: string; publicKey?: string },
  keyName: string,
): Promise<PeerRecord> {
  // One instant for the peer and its key's cleanup record, which addedKeyCleanup names by it.
  const createdAt = d.clock().toISOString();
  if (input.publicKey) await refuseKeyInUse(d, gateway, input.publicKey);
  const { publicKey, privateKeyParam } = input.publicKey
    ? { publicKey: input.publicKey, privateKeyParam: null }
    : await keyUnlessTaken(d, gateway, { gatewayId: gateway.id, name: input.name, createdAt }, keyName);
  return d.repository.addRoadWarrior({
    gatewayId: gateway.id,
    name: input.name,
    publicKey,
    privateKeyParam,
    createdAt,
    gateway,
  });
}

/**
 * The road-warrior an earlier run of this very request committed, though its answer was lost (a
 * 5xx after the commit, a request that died, a completion write that failed, or the repository's
 * own retry of a commit whose reply it lost): what refused this run then is that run's success
 * (docs/DECISIONS.md, "A rerun answers what its first run committed"). A generated key's name
 * carries this request's own key id (random, or derived from its Idempotency-Key), so a peer
 * holding it is this request's. A given public key is recognised only under an Idempotency-Key,
 * on the peer of the name given: without one, a double submit stays refused, and a stranger's name
 * or key always does.
 */
async function earlierRunsPeer(
  d: Pick<ApiDeps, 'repository'>,
  gatewayId: string,
  input: { name: string; publicKey?: string },
  keyName: string,
  derivation: IdDerivation | undefined,
): Promise<PeerRecord | undefined> {
  if (input.publicKey && derivation === undefined) return undefined;
  const existing = await d.repository.getPeer(gatewayId, input.name);
  if (existing?.type !== 'road-warrior') return undefined;
  const own = input.publicKey ? existing.publicKey === input.publicKey : existing.privateKeyParam === keyName;
  return own ? existing : undefined;
}

/**
 * WireGuard tells peers apart by public key: a second [Peer] with a key in use replaces the first
 * on `wg syncconf`, so a road-warrior holding a peered gateway's key would silently take that
 * peering's routes. The commit binds it for peer entries (a key item per entry: two adds, or an
 * add and a peering, at once cannot both land). Read here: the gateway's own key (fixed for a
 * generated pair), and the key's item, or the peers of a gateway whose items may be incomplete
 * (entries older than the items: keyHoldersOn). A generated key is fresh, so only a given one is
 * checked. docs/DECISIONS.md, "Public keys", "Public-key items for older peer entries".
 */
async function refuseKeyInUse(d: Pick<ApiDeps, 'repository'>, gateway: Gateway, publicKey: string) {
  const inUse = publicKey === gateway.publicKey || (await keyHoldersOn(d, publicKey, [gateway.id])).size > 0;
  if (inUse) throw new ConflictError('PUBLIC_KEY_IN_USE');
}

/**
 * Checked first so no key is generated, and orphaned, for a name another peer holds or on a full
 * tunnel subnet: each refused add would otherwise store a secret and a cleanup item, faster than
 * the sweep deletes them (docs/DECISIONS.md, "A full tunnel subnet refuses a road-warrior before its
 * key is generated"). The commit still enforces both in a race.
 */
async function keyUnlessTaken(
  d: ApiDeps,
  gateway: Gateway,
  peer: Pick<PeerRecord, 'gatewayId' | 'name' | 'createdAt'>,
  keyName: string,
) {
  const [taken, existing] = await Promise.all([
    d.repository.tunnelAddressesTaken(gateway.id),
    d.repository.getPeer(gateway.id, peer.name),
  ]);
  // In the commit's order: a full subnet first. A gone gateway is the commit's to report.
  assertRoom({ capacity: capacityOf(gateway), allocatedCount: taken ?? 0 });
  if (existing) throw new ConflictError('PEER_EXISTS');
  await d.repository.recordSecretCleanup(addedKeyCleanup(peer, keyName));
  return storeGeneratedKey(d, keyName);
}

/** How far a deletion got; a road-warrior's carries the generation that holds its removal. */
export type DeletionState = { state: 'done' | 'running'; generation?: number };

/**
 * `vpc-peering-<id>`: deletes that peering on both sides (it must involve this gateway).
 * Otherwise removes the road-warrior peer and pushes the gateway's config: 'done' only once the
 * gateway applied the removal. Its generated key's deletion is recorded before the removal and
 * attempted after the push; one that fails (or never runs) is retried by the sweep, never in the
 * push's way (its name is never reused: each key pair has its own).
 */
export async function deletePeer(
  d: ApiDeps,
  caller: Caller,
  gatewayId: string,
  name: string,
  timing: ApiTiming,
): Promise<DeletionState> {
  await visibleGateway(d, caller, gatewayId);
  const peeringId = peeringIdOfPeerName(name);
  if (peeringId !== undefined) {
    const peering = await d.repository.getPeering(peeringId);
    if (!peering?.gatewayIds.includes(gatewayId)) throw new NotFoundError(`Peer ${name}`);
    return { state: await deletePeering(d, caller, peeringId, timing) };
  }
  const held = (await d.repository.getPeer(gatewayId, name))?.privateKeyParam;
  const cleanups = held ? [await recordSecretCleanup(d, gatewayId, name, held)] : [];
  const removed = await d.repository.removeRoadWarrior(gatewayId, name);
  if (!removed) throw new NotFoundError(`Peer ${name}`);
  // Re-added between the read and the removal: that peer's key goes too.
  if (removed.privateKeyParam && removed.privateKeyParam !== held) {
    cleanups.push(await recordSecretCleanup(d, gatewayId, name, removed.privateKeyParam));
  }
  return pushGatewayAndAwait(d, gatewayId, timing).finally(async () => {
    for (const cleanup of cleanups) await deleteRecordedSecret(d, cleanup);
  });
}

/**
 * wg-quick config of a road-warrior client: the private key only when the control plane generated
 * it (the one place it may leave the store), and the VPC CIDRs of the gateway's ACTIVE peerings.
 * The download is recorded on the entry, with the gateway's key-or-endpoint change it was rendered
 * from, once the config is rendered and before it is answered: the road-warrior's view then says
 * whether the client holds an outdated one (core/views.ts). A failed record fails the download (a
 * retryable 503), so a config never leaves unrecorded (docs/DECISIONS.md, "Road-warrior configs
 * after a gateway's key or endpoint changes").
 */
export async function clientConfig(
  d: Pick<ApiDeps, 'repository' | 'secrets' | 'clock'>,
  caller: Caller,
  gatewayId: string,
  name: string,
): Promise<string> {
  const gateway = await visibleGateway(d, caller, gatewayId);
  const peer = await d.repository.getPeer(gatewayId, name);
  if (!peer) throw new NotFoundError(`Peer ${name}`);
  const privateKey = peer.privateKeyParam ? ((await d.secrets.get(peer.privateKeyParam)) ?? null) : null;
  const peeredVpcCidrs = await activePeeredVpcCidrs(d, gatewayId);
  const config = renderClientConfig({ gateway, peer, privateKey, peeredVpcCidrs });
  const recorded = await d.repository.recordConfigDownload(gatewayId, name, {
    publicKey: peer.publicKey,
    tunnelIp: peer.tunnelIp,
    downloadedAt: d.clock().toISOString(),
    gatewayChangedAt: gateway.clientConfigChangedAt,
  });
  // Removed (or added again, with another key or address) since it was read: not this peer's config.
  if (!recorded) throw new NotFoundError(`Peer ${name}`);
  return config;
}

async function activePeeredVpcCidrs(d: Pick<ApiDeps, 'repository'>, gatewayId: string): Promise<string[]> {
  const peers = await d.repository.listPeeringPeers(gatewayId);
  const links = peers.flatMap(({ type, peeringId, remoteGatewayId }) =>
    type === 'vpc-peering' && peeringId && remoteGatewayId ? [{ peeringId, remoteGatewayId }] : [],
  );
  const cidrs = await Promise.all(
    links.map(async ({ peeringId, remoteGatewayId }) => {
      const [peering, remote] = await Promise.all([
        d.repository.getPeering(peeringId),
        d.repository.getGateway(remoteGatewayId),
      ]);
      return peering?.status === 'ACTIVE' && remote ? [remote.vpcCidr] : [];
    }),
  );
  return cidrs.flat();
}
