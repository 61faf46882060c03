/**
 * Peerings on the table: the `PEERING#<id>` record, the `PAIR#<a>#<b>` lock (at most one live
 * peering per unordered pair) and, in the same transaction, both sides' peer entries, addresses
 * and gateway counters (allocator.ts).
 *
 * createPeering and detachPeering set desiredGeneration to an exact value under a compare-and-set,
 * because they report the generation that first holds the change; a transaction returns no values.
 */
import { assertTwoGateways, newPeeringRecord, peeringPeer } from '../../app/new-records';
import type { NewPeering, PeeringStore } from '../../app/ports';
import { assertActiveWithRoom, assertChecksCurrent } from '../../core/allocation';
import { ConflictError } from '../../core/errors';
import { byPeeringCreation } from '../../core/order';
import type { Peering, PeeringSide, PeeringStatus } from '../../core/types';
import { type AddressAllocator, refreshedGateway } from './allocator';
import { failedCondition } from './errors';
import { nextGeneration, requireGateway } from './gateway-store';
import { keys, peerItem, peeringItem, toPeering } from './items';
import { AGAIN, type Table } from './table';

export class DynamoPeeringStore implements PeeringStore {
  constructor(
    private readonly table: Table,
    private readonly allocator: AddressAllocator,
    private readonly clock: () => Date,
  ) {}

  async createPeering(input: NewPeering): Promise<Peering> {
    const existing = await this.getPeering(input.id);
    if (existing) return existing;
    assertTwoGateways(input);
    let gateways = await Promise.all(input.sides.map((side) => requireGateway(this.table, side.gatewayId)));
    const misses = [0, 0];
    return this.table.retrying('createPeering', async () => {
      // Checked on every attempt: a cancelled attempt refreshes the generations it saw.
      assertChecksCurrent(gateways, input.expectedGenerations);
      for (const gateway of gateways) assertActiveWithRoom(gateway);
      const [a, b] = await Promise.all(
        gateways.map((gateway, i) => this.allocator.pickAddress(gateway, misses[i] ?? 0)),
      );
      const tunnelIps: [string, string] = [a ?? '', b ?? ''];
      const peering = newPeeringRecord(
        input,
        [gateways[0]?.desiredGeneration ?? 0, gateways[1]?.desiredGeneration ?? 0],
        tunnelIps,
      );
      const reasons = await this.table.transact([
        this.table.putItem(peeringItem(peering), 'attribute_not_exists(pk)'),
        this.table.putItem(
          {
            ...keys.pairLock(input.sides[0].gatewayId, input.sides[1].gatewayId),
            entity: 'pairLock',
            peeringId: input.id,
          },
          'attribute_not_exists(pk)',
        ),
        ...input.sides.map((side, i) =>
          this.table.putItem(
            peerItem(peeringPeer(input, side, tunnelIps[i] ?? '')),
            'attribute_not_exists(pk)',
          ),
        ),
        ...input.sides.map((side, i) =>
          this.allocator.claimItem(side.gatewayId, tunnelIps[i] ?? '', side.peer.name),
        ),
        ...gateways.map((gateway) => this.allocator.allocateOnGateway(gateway, 'compare-and-set')),
      ]);
      if (!reasons) return peering;
      const [peeringReason, lockReason, peerA, peerB, allocationA, allocationB, gatewayA, gatewayB] = reasons;
      if (failedCondition(peeringReason)) return (await this.getPeering(input.id)) ?? AGAIN;
      if (failedCondition(lockReason)) throw new ConflictError('PEERING_ALREADY_EXISTS');
      if (failedCondition(peerA) || failedCondition(peerB)) throw new ConflictError('PEER_EXISTS');
      gateways = gateways.map((gateway, i) => refreshedGateway(gateway, [gatewayA, gatewayB][i]));
      [allocationA, allocationB].forEach((reason, i) => {
        if (failedCondition(reason)) misses[i] = (misses[i] ?? 0) + 1;
      });
      return AGAIN;
    });
  }

  async getPeering(id: string): Promise<Peering | undefined> {
    const item = await this.table.get(keys.peering(id));
    return item && toPeering(item);
  }

  async listPeerings(ownerId?: string): Promise<Peering[]> {
    const items = ownerId
      ? await this.table.queryOwner(ownerId, keys.ownedPeeringSk(''))
      : await this.table.scanEntity('peering');
    return items.map(toPeering).sort(byPeeringCreation);
  }

  async setPeeringStatus(
    id: string,
    status: PeeringStatus,
    reason: string | null,
    from: PeeringStatus[],
  ): Promise<Peering | undefined> {
    if (from.length === 0) return undefined;
    const fromValues = Object.fromEntries(from.map((value, i) => [`:from${i}`, value]));
    return this.updatePeering(
      id,
      'SET #status = :status, statusReason = :reason, updatedAt = :now',
      `#status IN (${Object.keys(fromValues).join(', ')})`,
      { ':status': status, ':reason': reason, ...fromValues },
    );
  }

  async markSideApplied(id: string, gatewayId: string): Promise<Peering | undefined> {
    const peering = await this.getPeering(id);
    const index = peering?.sides.findIndex((side) => side.gatewayId === gatewayId) ?? -1;
    if (index < 0) return undefined;
    return this.updatePeering(
      id,
      `SET sides[${index}].applied = :applied, updatedAt = :now`,
      `sides[${index}].gatewayId = :gatewayId`,
      { ':applied': true, ':gatewayId': gatewayId },
    );
  }

  async detachPeering(id: string): Promise<Record<string, number>> {
    const peering = await this.getPeering(id);
    const generations: Record<string, number> = {};
    for (const side of peering?.sides ?? []) {
      const generation = await this.detachSide(side);
      if (generation !== undefined) generations[side.gatewayId] = generation;
    }
    return generations;
  }

  async releasePeering(id: string, options: { deleteRecord: boolean }): Promise<void> {
    const peering = await this.getPeering(id);
    if (!peering) return;
    for (const side of peering.sides) {
      await this.allocator.releaseAddress(side.gatewayId, side.tunnelIp, side.peerName);
    }
    const [a, b] = peering.gatewayIds;
    await this.table.deleteIfMatches(keys.pairLock(a, b), 'peeringId = :id', { ':id': id });
    if (options.deleteRecord) await this.table.deleteIfMatches(keys.peering(id), 'attribute_exists(pk)');
  }

  /** Removes one side's peer entry; the new generation, or undefined when the gateway is gone. */
  private async detachSide(side: PeeringSide): Promise<number | undefined> {
    return this.table.retrying('detachPeering', async () => {
      const gateway = await this.table.get(keys.gateway(side.gatewayId));
      const peerKey = keys.peer(side.gatewayId, side.peerName);
      if (!gateway) {
        await this.table.deleteIfMatches(peerKey, 'attribute_exists(pk)');
        return undefined;
      }
      const current = Number(gateway.desiredGeneration);
      if (!(await this.table.get(peerKey))) return current;
      const reasons = await this.table.transact([
        this.table.deleteItem(peerKey, 'attribute_exists(pk)'),
        nextGeneration(this.table, side.gatewayId, current),
      ]);
      return reasons ? AGAIN : current + 1;
    });
  }

  private async updatePeering(
    id: string,
    update: string,
    condition: string,
    values: Record<string, unknown>,
  ): Promise<Peering | undefined> {
    const attributes = await this.table.updateIfMatches({
      Key: keys.peering(id),
      UpdateExpression: update,
      ConditionExpression: `attribute_exists(pk) AND ${condition}`,
      ExpressionAttributeNames: update.includes('#status') ? { '#status': 'status' } : undefined,
      ExpressionAttributeValues: { ...values, ':now': this.clock().toISOString() },
      ReturnValues: 'ALL_NEW',
    });
    return attributes && toPeering(attributes);
  }
}
