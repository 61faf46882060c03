/**
 * Peer entries on the table (`GW#<id>`/`PEER#<name>`): road-warriors (reserve an address, then
 * commit the entry with the gateway's counter and generation in one transaction: allocator.ts and
 * docs/ARCHITECTURE.md "Allocation"), a peer gateway's endpoint and key changes, and the residue of a deleted gateway.
 *
 * Road-warrior changes bump the generation with a plain increment (they report none, so it never
 * conflicts); updateRemotePeer reports the generation that first holds its change, hence a
 * compare-and-set (nextGeneration).
 */
import { roadWarriorPeer } from '../../app/new-records';
import type {
  ClientConfigDownload,
  NewRoadWarrior,
  PeerStore,
  PresharedKeyRotation,
  PresharedKeySwitch,
  PublicKeyHolders,
  RemoteGatewayView,
  RemotePeerRewrite,
  RouteBlock,
} from '../../app/ports';
import { switchesPresharedKey } from '../../app/storage-shapes';
import { assertRoom, capacityOf } from '../../core/allocation';
import { ConflictError, GatewayGoneError } from '../../core/errors';
import type { Page, PageRequest } from '../../core/pagination';
import { PEERING_PEER_PREFIX, peeringIdOfPeerName } from '../../core/schemas';
import type { PeerRecord } from '../../core/types';
import {
  type AddressAllocator,
  type AllocatingGateway,
  RANDOM_MISSES_BEFORE_SCAN,
  type Reservation,
  refreshedGateway,
} from './allocator';
import { failedCondition } from './errors';
import { nextGeneration, requireGateway } from './gateway-store';
import { keys, peerItem, SK, toPeerRecord } from './items';
import { type Paging, sealedPage } from './page-tokens';
import { claimPublicKey, PEER_KEYS_INDEXED, publicKeyKey, releasePublicKey } from './public-keys';
import { type RouteBlockRequest, routeBlockKeys, toRouteBlock } from './route-blocks';
import { AGAIN, type Table } from './table';

export class DynamoPeerStore implements PeerStore {
  constructor(
    private readonly table: Table,
    private readonly allocator: AddressAllocator,
    private readonly paging: Paging,
  ) {}

  async listPeers(gatewayId: string): Promise<PeerRecord[]> {
    const items = await this.table.queryPartition(keys.gatewayPartition(gatewayId), SK.peer);
    return items.map(toPeerRecord);
  }

  async pagePeers(gatewayId: string, page: PageRequest): Promise<Page<PeerRecord>> {
    const result = await sealedPage(this.paging.tokens, page, (after) =>
      this.paging.lists.pagePeers(gatewayId, { limit: page.limit, after }),
    );
    return { ...result, items: result.items.map(toPeerRecord) };
  }

  async listPeeringPeers(gatewayId: string): Promise<PeerRecord[]> {
    const items = await this.table.queryPartition(
      keys.gatewayPartition(gatewayId),
      `${SK.peer}${PEERING_PEER_PREFIX}`,
    );
    return items.map(toPeerRecord);
  }

  async peeringIdsUpTo(gatewayId: string, max: number): Promise<string[]> {
    const items = await this.table.queryPartition(
      keys.gatewayPartition(gatewayId),
      `${SK.peer}${PEERING_PEER_PREFIX}`,
      { max, projection: 'sk' },
    );
    return items.map((item) => {
      const name = String(item.sk).slice(SK.peer.length);
      return peeringIdOfPeerName(name) ?? name;
    });
  }

  async readRouteBlocks(requests: RouteBlockRequest[]): Promise<RouteBlock[]> {
    const blockKeys = routeBlockKeys(requests);
    const items = new Map(
      (await this.table.batchGet(blockKeys)).map((item) => [`${item.pk}|${item.sk}`, item]),
    );
    return blockKeys.map((key) => toRouteBlock(key, items.get(`${key.pk}|${key.sk}`)));
  }

  async peeredWith(gatewayId: string, otherIds: string[]): Promise<Set<string>> {
    const locks = await this.table.batchGet(otherIds.map((otherId) => keys.pairLock(gatewayId, otherId)));
    const lockedPairs = new Set(locks.map((lock) => String(lock.pk)));
    return new Set(otherIds.filter((otherId) => lockedPairs.has(keys.pairLock(gatewayId, otherId).pk)));
  }

  async getPeer(gatewayId: string, name: string): Promise<PeerRecord | undefined> {
    const item = await this.table.get(keys.peer(gatewayId, name));
    return item && toPeerRecord(item);
  }

  async updateRemotePeer(
    gatewayId: string,
    peerName: string,
    remote: RemoteGatewayView,
  ): Promise<RemotePeerRewrite | undefined> {
    return this.table.retrying('updateRemotePeer', async () => {
      const peerKey = keys.peer(gatewayId, peerName);
      const [gateway, peer] = await Promise.all([
        this.table.get(keys.gateway(gatewayId)),
        this.table.get(peerKey),
      ]);
      if (!gateway || !peer) return undefined;
      const current = Number(gateway.desiredGeneration);
      const readKey = String(peer.publicKey);
      const rekeyed = readKey !== remote.publicKey;
      if (peer.endpoint === remote.endpoint && !rekeyed) return { generation: current, rewritten: false };
      // The entry's key item moves with its key, as a removal releases it: only when the entry holds it.
      const keyMove = rekeyed
        ? [
            claimPublicKey(this.table, gatewayId, remote.publicKey, peerName),
            ...releasePublicKey(
              this.table,
              gatewayId,
              readKey,
              peerName,
              await this.table.get(publicKeyKey(gatewayId, readKey)),
            ),
          ]
        : [];
      const reasons = await this.table.transact([
        this.table.updateItem({
          Key: peerKey,
          UpdateExpression: 'SET endpoint = :endpoint, publicKey = :publicKey',
          // Still the entry read, with its key: the key items above are that entry's.
          ConditionExpression: 'publicKey = :readKey',
          ExpressionAttributeValues: {
            ':endpoint': remote.endpoint,
            ':publicKey': remote.publicKey,
            ':readKey': readKey,
          },
        }),
        nextGeneration(this.table, gatewayId, current),
        ...keyMove,
      ]);
      if (!reasons) return { generation: current + 1, rewritten: true };
      if (rekeyed && failedCondition(reasons[2])) throw new ConflictError('PUBLIC_KEY_IN_USE');
      // Otherwise the peer or gateway went, the generation or the entry's key moved: re-read and decide again.
      return AGAIN;
    });
  }

  async switchPresharedKey(
    gatewayId: string,
    gatewayCreatedAt: string,
    remoteGatewayId: string,
    peerName: string,
    change: PresharedKeyRotation,
  ): Promise<PresharedKeySwitch | undefined> {
    const { from, to, rotation } = change;
    return this.table.retrying('switchPresharedKey', async () => {
      const [moved, remote, own, theirs] = await Promise.all([
        this.table.get(keys.gateway(gatewayId)),
        this.table.get(keys.gateway(remoteGatewayId)),
        this.table.get(keys.peer(gatewayId, peerName)),
        this.table.get(keys.peer(remoteGatewayId, peerName)),
      ]);
      if (!moved || moved.createdAt !== gatewayCreatedAt || !remote || !own || !theirs) return undefined;
      const current = Number(remote.desiredGeneration);
      const entries = [own, theirs];
      if (!switchesPresharedKey(entries, change)) {
        const held = typeof own.presharedKeyParam === 'string' ? own.presharedKeyParam : null;
        return { remoteGeneration: current, switched: false, held };
      }
      // Each entry still the one read, holding `from`: a condition, never a put, so an entry deleted
      // since (its peering's release) is not written back, and one switched since by another
      // rotation is not switched again (re-read: it no longer holds `from`).
      const switchEntry = (entryGatewayId: string) =>
        this.table.updateItem({
          Key: keys.peer(entryGatewayId, peerName),
          UpdateExpression: 'SET presharedKeyParam = :to, presharedKeyRotation = :rotation',
          ConditionExpression: 'attribute_exists(pk) AND presharedKeyParam = :from',
          ExpressionAttributeValues: { ':to': to, ':rotation': rotation, ':from': from },
        });
      const reasons = await this.table.transact([
        switchEntry(gatewayId),
        switchEntry(remoteGatewayId),
        // The moved side: an increment (its own walk switches its peerings a few at a time, all on
        // this one item), bound to the incarnation read.
        this.table.updateItem({
          Key: keys.gateway(gatewayId),
          UpdateExpression: 'ADD desiredGeneration :one',
          ConditionExpression: 'attribute_exists(pk) AND createdAt = :createdAt',
          ExpressionAttributeValues: { ':one': 1, ':createdAt': gatewayCreatedAt },
        }),
        nextGeneration(this.table, remoteGatewayId, current),
      ]);
      if (!reasons) return { remoteGeneration: current + 1, switched: true, held: to };
      // An entry or gateway went, or moved under the read: read again and decide again.
      return AGAIN;
    });
  }

  async publicKeyHolders(publicKey: string, gatewayIds: readonly string[]): Promise<PublicKeyHolders> {
    // The key items and the gateway items (their mark) in one batch.
    const items = await this.table.batchGet(
      gatewayIds.flatMap((gatewayId) => [publicKeyKey(gatewayId, publicKey), keys.gateway(gatewayId)]),
    );
    // A gateway gone is neither: it has no entries left to hold anything.
    const held = new Map<string, string>();
    const unmarked = new Set<string>();
    for (const item of items) {
      if (item.sk !== SK.meta) held.set(String(item.pk), String(item.holder));
      else if (item[PEER_KEYS_INDEXED] !== true) unmarked.add(String(item.pk));
    }
    const holders = new Map<string, string>();
    const unindexed = new Set<string>();
    for (const gatewayId of gatewayIds) {
      const partition = keys.gatewayPartition(gatewayId);
      const holder = held.get(partition);
      if (holder !== undefined) holders.set(gatewayId, holder);
      if (unmarked.has(partition)) unindexed.add(gatewayId);
    }
    return { holders, unindexed };
  }

  async addRoadWarrior(input: NewRoadWarrior): Promise<PeerRecord> {
    // The caller's record is trusted for its immutable fields only; the commit's conditions
    // enforce the counters, and a cancelled commit returns them (refreshedGateway). The commit also
    // requires the incarnation read (createdAt): the id may have been deleted and registered again,
    // for another owner, since the caller checked it (GatewayGoneError then).
    let gateway: AllocatingGateway = input.gateway
      ? { ...input.gateway, capacity: capacityOf(input.gateway) }
      : await requireGateway(this.table, input.gatewayId);
    let reservation: Reservation | undefined;
    let misses = 0;
    try {
      return await this.table.retrying('addRoadWarrior', async () => {
        if (!reservation) {
          if (misses >= RANDOM_MISSES_BEFORE_SCAN && gateway.allocatedCount === undefined) {
            // Crowded subnet: read the real count once, so a full one fails fast.
            gateway = sameIncarnation(gateway, await requireGateway(this.table, input.gatewayId));
          }
          assertRoom(gateway);
          const candidate = await this.allocator.pickAddress(gateway, misses);
          reservation = await this.allocator.reserve(input.gatewayId, input.name, candidate);
          if (!reservation) {
            misses += 1;
            return AGAIN;
          }
        }
        const peer = roadWarriorPeer(input, reservation.tunnelIp);
        const reasons = await this.table.transact([
          this.table.putItem(peerItem(peer), 'attribute_not_exists(pk)'),
          this.allocator.allocateOnGateway(gateway, 'increment'),
          claimPublicKey(this.table, input.gatewayId, peer.publicKey, peer.name),
        ]);
        if (!reasons) return peer;
        const [peerReason, gatewayReason, keyReason] = reasons;
        if (failedCondition(peerReason)) throw new ConflictError('PEER_EXISTS');
        if (failedCondition(keyReason)) throw new ConflictError('PUBLIC_KEY_IN_USE');
        gateway = refreshedGateway(gateway, gatewayReason);
        assertRoom(gateway);
        // Contention only: the reservation is still ours, the next attempt commits it again.
        return AGAIN;
      });
    } catch (error) {
      if (reservation) await this.allocator.cancelReservation(input.gatewayId, input.name, reservation);
      throw error;
    }
  }

  async removeRoadWarrior(gatewayId: string, name: string): Promise<PeerRecord | undefined> {
    return this.table.retrying('removeRoadWarrior', async () => {
      const peer = await this.getPeer(gatewayId, name);
      if (peer?.type !== 'road-warrior') return undefined;
      const [gateway, keyItem] = await Promise.all([
        this.table.get(keys.gateway(gatewayId)),
        this.table.get(publicKeyKey(gatewayId, peer.publicKey)),
      ]);
      const reasons = await this.table.transact([
        // Still the entry read, with its key: the key item below is that entry's.
        this.table.deleteItem(keys.peer(gatewayId, name), 'publicKey = :publicKey', {
          ':publicKey': peer.publicKey,
        }),
        this.table.deleteItem(keys.allocation(gatewayId, peer.tunnelIp), 'holder = :holder', {
          ':holder': name,
        }),
        ...(gateway ? [this.allocator.releaseOnGateway(gatewayId, 'increment')] : []),
        ...releasePublicKey(this.table, gatewayId, peer.publicKey, name, keyItem),
      ]);
      return reasons ? AGAIN : peer;
    });
  }

  /** One UpdateItem on the entry (1 WCU): its stream record is a MODIFY, which the cascade's filter drops. */
  async recordConfigDownload(
    gatewayId: string,
    name: string,
    download: ClientConfigDownload,
  ): Promise<boolean> {
    const changed = download.gatewayChangedAt;
    const written = await this.table.updateIfMatches({
      Key: keys.peer(gatewayId, name),
      UpdateExpression:
        changed === undefined
          ? 'SET configDownloadedAt = :at REMOVE downloadedConfigChangedAt'
          : 'SET configDownloadedAt = :at, downloadedConfigChangedAt = :changed',
      ConditionExpression: '#type = :roadWarrior AND publicKey = :publicKey AND tunnelIp = :tunnelIp',
      ExpressionAttributeNames: { '#type': 'type' },
      ExpressionAttributeValues: {
        ':at': download.downloadedAt,
        ':roadWarrior': 'road-warrior',
        ':publicKey': download.publicKey,
        ':tunnelIp': download.tunnelIp,
        ...(changed === undefined ? {} : { ':changed': changed }),
      },
    });
    return written !== undefined;
  }

  async purgeGatewayResidue(gatewayId: string): Promise<void> {
    const partition = keys.gatewayPartition(gatewayId);
    const residue = (await this.table.queryPartition(partition)).filter((item) => item.sk !== SK.meta);
    await this.table.batchDelete(residue.map((item) => ({ pk: partition, sk: String(item.sk) })));
  }
}

/** `fresh`, when it is the incarnation `read` is; GatewayGoneError when the id was registered again. */
function sameIncarnation<G extends AllocatingGateway>(read: AllocatingGateway, fresh: G): G {
  if (fresh.createdAt !== read.createdAt) throw new GatewayGoneError(read.id);
  return fresh;
}
