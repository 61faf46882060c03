/** Peer entries in memory: road-warriors, peering entries' endpoints and keys, route locks, residue. */
import { roadWarriorPeer } from '../../app/new-records';
import type {
  ClientConfigDownload,
  NewRoadWarrior,
  PresharedKeyRotation,
  PresharedKeySwitch,
  PublicKeyHolders,
  RemoteGatewayView,
  RemotePeerRewrite,
  RouteBlock,
} from '../../app/ports';
import { switchesPresharedKey } from '../../app/storage-shapes';
import { assertRoom } from '../../core/allocation';
import { ConflictError, GatewayGoneError } from '../../core/errors';
import { compareText } from '../../core/order';
import type { Page, PageRequest } from '../../core/pagination';
import { routeLockClaims } from '../../core/route-blocks';
import { PEERING_PEER_PREFIX, peeringIdOfPeerName } from '../../core/schemas';
import type { PeerRecord } from '../../core/types';
import { keysetPage } from '../../shared/sealed-tokens';
import { copy, MemoryStore, pairKey } from './state';

export class MemoryPeerStore extends MemoryStore {
  async listPeers(gatewayId: string): Promise<PeerRecord[]> {
    return [...this.peersOf(gatewayId).values()].sort((a, b) => compareText(a.name, b.name)).map(copy);
  }

  async pagePeers(gatewayId: string, page: PageRequest): Promise<Page<PeerRecord>> {
    return this.tokens.page(page, async (after) => {
      const sorted = [...this.peersOf(gatewayId).values()].sort((a, b) => compareText(a.name, b.name));
      const result = keysetPage(sorted, (peer) => peer.name, { limit: page.limit, after });
      return { ...result, items: result.items.map(copy) };
    });
  }

  async listPeeringPeers(gatewayId: string): Promise<PeerRecord[]> {
    return (await this.listPeers(gatewayId)).filter((peer) => peer.name.startsWith(PEERING_PEER_PREFIX));
  }

  async peeringIdsUpTo(gatewayId: string, max: number): Promise<string[]> {
    return (await this.listPeeringPeers(gatewayId))
      .slice(0, max)
      .map((peer) => peeringIdOfPeerName(peer.name) ?? peer.name);
  }

  async readRouteBlocks(
    requests: { gatewayId: string; prefixes: readonly string[] }[],
  ): Promise<RouteBlock[]> {
    const blocks = new Map<string, RouteBlock>();
    for (const { gatewayId, prefixes } of requests) {
      for (const { block } of routeLockClaims(prefixes)) {
        const stored = this.routeBlocks.get(gatewayId)?.get(block);
        blocks.set(`${gatewayId}|${block}`, {
          gatewayId,
          block,
          version: stored?.version ?? 0,
          descendants: stored?.descendants ?? 0,
          routes: [...(stored?.routes ?? new Map<string, string[]>()).entries()].map(
            ([peeringId, routed]) => ({ peeringId, prefixes: [...routed] }),
          ),
        });
      }
    }
    return [...blocks.values()];
  }

  async peeredWith(gatewayId: string, otherIds: string[]): Promise<Set<string>> {
    return new Set(otherIds.filter((otherId) => this.pairLocks.has(pairKey(gatewayId, otherId))));
  }

  async getPeer(gatewayId: string, name: string): Promise<PeerRecord | undefined> {
    const peer = this.peersOf(gatewayId).get(name);
    return peer && copy(peer);
  }

  async updateRemotePeer(
    gatewayId: string,
    peerName: string,
    remote: RemoteGatewayView,
  ): Promise<RemotePeerRewrite | undefined> {
    const stored = this.gateways.get(gatewayId);
    const peer = this.peersOf(gatewayId).get(peerName);
    if (!stored || !peer) return undefined;
    const rekeyed = peer.publicKey !== remote.publicKey;
    if (peer.endpoint === remote.endpoint && !rekeyed) {
      return { generation: stored.record.desiredGeneration, rewritten: false };
    }
    if (rekeyed) this.refuseKeyHeld(gatewayId, remote.publicKey);
    peer.endpoint = remote.endpoint;
    peer.publicKey = remote.publicKey;
    stored.record.desiredGeneration += 1;
    return { generation: stored.record.desiredGeneration, rewritten: true };
  }

  async switchPresharedKey(
    gatewayId: string,
    gatewayCreatedAt: string,
    remoteGatewayId: string,
    peerName: string,
    change: PresharedKeyRotation,
  ): Promise<PresharedKeySwitch | undefined> {
    const { to, rotation } = change;
    const moved = this.gateways.get(gatewayId);
    const remote = this.gateways.get(remoteGatewayId);
    const own = this.peersOf(gatewayId).get(peerName);
    const theirs = this.peersOf(remoteGatewayId).get(peerName);
    if (!moved || moved.record.createdAt !== gatewayCreatedAt || !remote || !own || !theirs) return undefined;
    const entries = [own, theirs];
    if (!switchesPresharedKey(entries, change)) {
      return {
        remoteGeneration: remote.record.desiredGeneration,
        switched: false,
        held: own.presharedKeyParam,
      };
    }
    for (const entry of entries) {
      entry.presharedKeyParam = to;
      entry.presharedKeyRotation = rotation;
    }
    moved.record.desiredGeneration += 1;
    remote.record.desiredGeneration += 1;
    return { remoteGeneration: remote.record.desiredGeneration, switched: true, held: to };
  }

  /** Every entry here was written with its key's uniqueness checked: no gateway is unindexed. */
  async publicKeyHolders(publicKey: string, gatewayIds: readonly string[]): Promise<PublicKeyHolders> {
    const holders = new Map(
      gatewayIds.flatMap((gatewayId) => {
        const holder = [...this.peersOf(gatewayId).values()].find((peer) => peer.publicKey === publicKey);
        return holder ? [[gatewayId, holder.name] as const] : [];
      }),
    );
    return { holders, unindexed: new Set() };
  }

  async addRoadWarrior(input: NewRoadWarrior): Promise<PeerRecord> {
    const stored = this.requireGateway(input.gatewayId);
    // The gateway the caller checked, not another incarnation of its id (as the DynamoDB commit's condition).
    if (input.gateway && input.gateway.createdAt !== stored.record.createdAt) {
      throw new GatewayGoneError(input.gatewayId);
    }
    assertRoom(stored);
    if (this.peersOf(input.gatewayId).has(input.name)) throw new ConflictError('PEER_EXISTS');
    this.refuseKeyHeld(input.gatewayId, input.publicKey);
    const peer = roadWarriorPeer(input, this.freeAddress(stored.record));
    this.attach(stored, peer);
    stored.record.desiredGeneration += 1;
    return copy(peer);
  }

  async removeRoadWarrior(gatewayId: string, name: string): Promise<PeerRecord | undefined> {
    const peer = this.peersOf(gatewayId).get(name);
    if (peer?.type !== 'road-warrior') return undefined;
    this.peersOf(gatewayId).delete(name);
    this.freeAddressOf(gatewayId, peer.tunnelIp, name);
    const stored = this.gateways.get(gatewayId);
    if (stored) stored.record.desiredGeneration += 1;
    return copy(peer);
  }

  async recordConfigDownload(
    gatewayId: string,
    name: string,
    download: ClientConfigDownload,
  ): Promise<boolean> {
    const peer = this.peersOf(gatewayId).get(name);
    const sameEntry = peer?.publicKey === download.publicKey && peer.tunnelIp === download.tunnelIp;
    if (peer?.type !== 'road-warrior' || !sameEntry) return false;
    peer.configDownloadedAt = download.downloadedAt;
    if (download.gatewayChangedAt === undefined) delete peer.downloadedConfigChangedAt;
    else peer.downloadedConfigChangedAt = download.gatewayChangedAt;
    return true;
  }

  async purgeGatewayResidue(gatewayId: string): Promise<void> {
    const partitions = [
      this.peers,
      this.addresses,
      this.applied,
      this.reports,
      this.pushes,
      this.state.pushLeases,
      this.state.updateLeases,
      this.routeBlocks,
    ];
    for (const partition of partitions) partition.delete(gatewayId);
  }
}
