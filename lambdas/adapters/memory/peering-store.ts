/** Peerings in memory: both sides, their addresses, pair lock and route locks, in one step. */
import {
  assertTwoGateways,
  describedChanged,
  describedGateway,
  newPeeringRecord,
  peeringPeer,
} from '../../app/new-records';
import {
  type CreateReceipt,
  type NewPeering,
  PEERING_TOMBSTONE_TTL_SECONDS,
  type PeeringFilter,
} from '../../app/ports';
import { assertActiveWithRoom } from '../../core/allocation';
import { ChecksOutdatedError, ConflictError, NotFoundError } from '../../core/errors';
import { compareText } from '../../core/order';
import type { Page, PageRequest } from '../../core/pagination';
import { routeLockClaims } from '../../core/route-blocks';
import { isPeeringInFlight, type Peering, type PeeringStatus } from '../../core/types';
import { keysetPage } from '../../shared/sealed-tokens';
import { allocationState, copy, MemoryStore, pairKey, partition } from './state';

export class MemoryPeeringStore extends MemoryStore {
  async createPeering(input: NewPeering): Promise<Peering> {
    const existing = this.peerings.get(input.id);
    if (existing) return copy(existing);
    if ((this.state.peeringTombstones.get(input.id) ?? 0) > this.clock().getTime()) {
      throw new NotFoundError(`Peering ${input.id}`);
    }
    assertTwoGateways(input);
    const a = this.requireGateway(input.sides[0].gatewayId);
    const b = this.requireGateway(input.sides[1].gatewayId);
    const states = [allocationState(a), allocationState(b)];
    for (const state of states) assertActiveWithRoom(state);
    const lock = pairKey(a.record.id, b.record.id);
    if (this.pairLocks.has(lock)) throw new ConflictError('PEERING_ALREADY_EXISTS');
    if (input.sides.some((side) => this.peersOf(side.gatewayId).has(side.peer.name))) {
      throw new ConflictError('PEER_EXISTS');
    }
    for (const side of input.sides) this.refuseKeyHeld(side.gatewayId, side.peer.publicKey);
    // Each entry's copy of the other gateway's key and endpoint binds here, as the route blocks do.
    if (
      describedChanged(describedGateway(input.sides[1]), a.record) ||
      describedChanged(describedGateway(input.sides[0]), b.record)
    ) {
      throw new ChecksOutdatedError(`A gateway of peering ${input.id} changed since it was checked`);
    }
    // The routed-prefix check binds here: only to the blocks this peering adds prefixes to.
    const claims = input.sides.map((side) => routeLockClaims(side.peer.allowedIps));
    const expected = input.routeBlockVersions;
    if (expected) {
      input.sides.forEach((side, i) => {
        for (const claim of claims[i] ?? []) {
          const seen = expected.find(
            (block) => block.gatewayId === side.gatewayId && block.block === claim.block,
          );
          const stored = this.routeBlocks.get(side.gatewayId)?.get(claim.block);
          const moved =
            (stored?.version ?? 0) !== (seen?.version ?? 0) ||
            (claim.exclusive && (stored?.descendants ?? 0) !== (seen?.descendants ?? 0));
          if (moved) {
            throw new ChecksOutdatedError(
              `A route block of peering ${input.id} changed since it was checked`,
            );
          }
        }
      });
    }
    const tunnelIps: [string, string] = [this.freeAddress(a.record), this.freeAddress(b.record)];
    const peering = newPeeringRecord(
      input,
      [a.record.desiredGeneration, b.record.desiredGeneration],
      tunnelIps,
    );
    this.attach(a, peeringPeer(input, input.sides[0], tunnelIps[0]));
    this.attach(b, peeringPeer(input, input.sides[1], tunnelIps[1]));
    a.record.desiredGeneration += 1;
    b.record.desiredGeneration += 1;
    input.sides.forEach((side, i) => {
      const blocks = partition(this.routeBlocks, side.gatewayId);
      for (const claim of claims[i] ?? []) {
        const block = blocks.get(claim.block) ?? { version: 0, descendants: 0, routes: new Map() };
        if (claim.exclusive) block.version += 1;
        else block.descendants += 1;
        block.routes.set(input.id, [...claim.prefixes]);
        blocks.set(claim.block, block);
      }
    });
    this.pairLocks.set(lock, input.id);
    this.peerings.set(input.id, copy(peering));
    return peering;
  }

  async getPeering(id: string): Promise<Peering | undefined> {
    const peering = this.peerings.get(id);
    return peering && copy(peering);
  }

  /** One page in id order, as the DynamoDB one reads its byOwner or byEntity index. */
  async pagePeerings(filter: PeeringFilter, page: PageRequest): Promise<Page<Peering>> {
    return this.tokens.page(page, async (after) => {
      const owned = [...this.peerings.values()]
        .filter((peering) => filter.ownerId === undefined || peering.ownerId === filter.ownerId)
        .sort((a, b) => compareText(a.id, b.id));
      const result = keysetPage(
        owned,
        (peering) => peering.id,
        { limit: page.limit, after },
        (peering) => filter.status === undefined || peering.status === filter.status,
      );
      return { ...result, items: result.items.map(copy) };
    });
  }

  /** As the DynamoDB one reads its byOwnerInFlight index: the owner's peerings in flight, by id. */
  async inFlightPeeringIds(ownerId: string, max: number): Promise<string[]> {
    return [...this.peerings.values()]
      .filter((peering) => peering.ownerId === ownerId && isPeeringInFlight(peering.status))
      .map((peering) => peering.id)
      .sort(compareText)
      .slice(0, max);
  }

  async setPeeringStatus(
    id: string,
    status: PeeringStatus,
    reason: string | null,
    from: PeeringStatus[],
  ): Promise<Peering | undefined> {
    const peering = this.peerings.get(id);
    if (!peering || !from.includes(peering.status)) return undefined;
    Object.assign(peering, { status, statusReason: reason, updatedAt: this.clock().toISOString() });
    if (status === 'FAILED') this.state.unreleasedFailures.add(id);
    else this.state.unreleasedFailures.delete(id);
    return copy(peering);
  }

  async putCreateReceipt(receipt: CreateReceipt): Promise<void> {
    this.state.createReceipts.set(receipt.peeringId, copy(receipt));
  }

  async getCreateReceipt(id: string): Promise<CreateReceipt | undefined> {
    const receipt = this.state.createReceipts.get(id);
    return receipt && copy(receipt);
  }

  async peeringDeleted(id: string): Promise<boolean> {
    return this.state.peeringTombstones.has(id);
  }

  async markPeeringReleased(id: string): Promise<void> {
    if (this.peerings.get(id)?.status === 'FAILED') this.state.unreleasedFailures.delete(id);
  }

  async markSideApplied(id: string, gatewayId: string): Promise<Peering | undefined> {
    const peering = this.peerings.get(id);
    const side = peering?.sides.find((candidate) => candidate.gatewayId === gatewayId);
    if (!peering || !side) return undefined;
    side.applied = true;
    peering.updatedAt = this.clock().toISOString();
    return copy(peering);
  }

  async recordRedrive(
    id: string,
    claim: { status: PeeringStatus; previous: string | undefined; next: string },
  ): Promise<boolean> {
    const peering = this.peerings.get(id);
    if (peering?.status !== claim.status || peering.lastRedrive !== claim.previous) return false;
    peering.lastRedrive = claim.next;
    return true;
  }

  async detachPeering(id: string): Promise<Record<string, number>> {
    const generations: Record<string, number> = {};
    for (const side of this.peerings.get(id)?.sides ?? []) {
      const peer = this.peersOf(side.gatewayId).get(side.peerName);
      if (peer?.peeringId) this.releaseRoutes(side.gatewayId, peer.peeringId, peer.allowedIps);
      const removed = this.peersOf(side.gatewayId).delete(side.peerName);
      const stored = this.gateways.get(side.gatewayId);
      if (!stored) continue;
      if (removed) stored.record.desiredGeneration += 1;
      generations[side.gatewayId] = stored.record.desiredGeneration;
    }
    return generations;
  }

  async releasePeering(id: string, options: { deleteRecord: boolean }): Promise<void> {
    const peering = this.peerings.get(id);
    if (!peering) return;
    for (const side of peering.sides) this.freeAddressOf(side.gatewayId, side.tunnelIp, side.peerName);
    const lock = pairKey(...peering.gatewayIds);
    if (this.pairLocks.get(lock) === id) this.pairLocks.delete(lock);
    if (!options.deleteRecord) return;
    this.peerings.delete(id);
    this.state.unreleasedFailures.delete(id);
    this.state.peeringTombstones.set(id, this.clock().getTime() + PEERING_TOMBSTONE_TTL_SECONDS * 1000);
  }
}
