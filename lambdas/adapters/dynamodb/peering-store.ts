/**
 * Peerings on the table: the `PEERING#<id>` record, the `PAIR#<a>#<b>` lock (at most one live
 * peering per unordered pair) and, in the same transaction, both sides' peer entries, their public
 * keys (public-keys.ts), addresses and gateway counters (allocator.ts).
 *
 * createPeering adds 1 to each gateway's desiredGeneration with a plain ADD: a busy hub's concurrent
 * peerings never refuse each other on it (docs/DECISIONS.md "Busy hub: the hub item"). So a side's
 * `generation` is only a lower bound (a transaction returns no values); Activate waits for the
 * generation the side's push rendered. detachPeering still sets an exact value under a
 * compare-and-set, because it reports the generation that first holds the removal.
 */

import { QueryCommand, type QueryCommandOutput } from '@aws-sdk/lib-dynamodb';
import { assertTwoGateways, describedGateway, newPeeringRecord, peeringPeer } from '../../app/new-records';
import {
  type CreateReceipt,
  type NewPeering,
  PEERING_TOMBSTONE_TTL_SECONDS,
  type PeeringFilter,
  type PeeringStore,
} from '../../app/ports';
import { assertActiveWithRoom } from '../../core/allocation';
import { ChecksOutdatedError, ConflictError, NotFoundError } from '../../core/errors';
import { compareText } from '../../core/order';
import type { Page, PageRequest } from '../../core/pagination';
import { isPeeringInFlight, type Peering, type PeeringSide, type PeeringStatus } from '../../core/types';
import { type AddressAllocator, describedChangedIn, refreshedGateway } from './allocator';
import { failedCondition } from './errors';
import { nextGeneration, requireGateway } from './gateway-store';
import {
  createReceiptItem,
  isPeeringItem,
  keys,
  OWNER_IN_FLIGHT_INDEX_KEYS,
  peerItem,
  peeringItem,
  peeringTombstoneItem,
  SET_OWNER_IN_FLIGHT_KEYS,
  SWEEP_INDEX_KEYS,
  toCreateReceipt,
  toPeering,
  toPeerRecord,
} from './items';
import { peeringList } from './list-queries';
import { TOTAL } from './metered';
import { type Paging, sealedPage } from './page-tokens';
import { claimPublicKey, publicKeyKey, releasePublicKey } from './public-keys';
import { claimRouteBlocks, releaseRouteBlocks } from './route-blocks';
import { TABLE_SCHEMA } from './schema';
import { AGAIN, type Table } from './table';

const { ownerInFlightIndex } = TABLE_SCHEMA;

/** DynamoDB's refusal of a Query of an index not built yet, or not added yet. */
const INDEX_NOT_READY = /backfilling global secondary index|does not have the specified index/i;
const NONE_READ: QueryCommandOutput = { $metadata: {} };

export class DynamoPeeringStore implements PeeringStore {
  constructor(
    private readonly table: Table,
    private readonly allocator: AddressAllocator,
    private readonly clock: () => Date,
    private readonly paging: Paging,
  ) {}

  async createPeering(input: NewPeering): Promise<Peering> {
    const existing = await this.writtenPeering(input.id);
    if (existing) return existing;
    assertTwoGateways(input);
    let gateways = await Promise.all(input.sides.map((side) => requireGateway(this.table, side.gatewayId)));
    const misses = [0, 0];
    // Side i's gateway as the other side's entry describes it (its key and endpoint).
    const described = [describedGateway(input.sides[1]), describedGateway(input.sides[0])];
    return this.table.retrying('createPeering', async () => {
      // Checked on every attempt: a cancelled attempt refreshes the gateways it saw.
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
        ...input.sides.map((side) =>
          claimPublicKey(this.table, side.gatewayId, side.peer.publicKey, side.peer.name),
        ),
        ...input.sides.map((side, i) =>
          this.allocator.claimItem(side.gatewayId, tunnelIps[i] ?? '', side.peer.name),
        ),
        ...gateways.map((gateway, i) =>
          this.allocator.allocateOnGateway(gateway, 'increment-if-active', described[i]),
        ),
        // The routed-prefix check binds here: only to the blocks this peering adds prefixes to.
        ...input.sides.flatMap((side) =>
          claimRouteBlocks(
            this.table.name,
            side.gatewayId,
            input.id,
            side.peer.allowedIps,
            input.routeBlockVersions,
          ),
        ),
      ]);
      if (!reasons) return peering;
      const [
        peeringReason,
        lockReason,
        peerA,
        peerB,
        keyA,
        keyB,
        allocationA,
        allocationB,
        gatewayA,
        gatewayB,
        ...blocks
      ] = reasons;
      if (failedCondition(peeringReason)) return (await this.writtenPeering(input.id)) ?? AGAIN;
      if (failedCondition(lockReason)) throw new ConflictError('PEERING_ALREADY_EXISTS');
      if (failedCondition(peerA) || failedCondition(peerB)) throw new ConflictError('PEER_EXISTS');
      // A peer entry of either gateway (a road-warrior, or a peering made meanwhile) has the key.
      if (failedCondition(keyA) || failedCondition(keyB)) throw new ConflictError('PUBLIC_KEY_IN_USE');
      if (blocks.some(failedCondition)) {
        throw new ChecksOutdatedError(`A route block of peering ${input.id} changed since it was checked`);
      }
      // A gateway no longer ACTIVE, full or gone: the next attempt's assertActiveWithRoom (or
      // refreshedGateway) says which, from the item the refusal returned.
      gateways = gateways.map((gateway, i) => refreshedGateway(gateway, [gatewayA, gatewayB][i]));
      // The checks copied a key or endpoint the gateway no longer has (a concurrent update): read again.
      if (
        [gatewayA, gatewayB].some((reason, i) => described[i] && describedChangedIn(reason, described[i]))
      ) {
        throw new ChecksOutdatedError(`A gateway of peering ${input.id} changed since it was checked`);
      }
      [allocationA, allocationB].forEach((reason, i) => {
        if (failedCondition(reason)) misses[i] = (misses[i] ?? 0) + 1;
      });
      return AGAIN;
    });
  }

  async getPeering(id: string): Promise<Peering | undefined> {
    const item = await this.table.get(keys.peering(id));
    return item && isPeeringItem(item) ? toPeering(item) : undefined;
  }

  /** The peering written under `id`; NotFoundError when it was deleted (its tombstone holds the id). */
  private async writtenPeering(id: string): Promise<Peering | undefined> {
    const item = await this.table.get(keys.peering(id));
    if (!item) return undefined;
    if (!isPeeringItem(item)) throw new NotFoundError(`Peering ${id}`);
    return toPeering(item);
  }

  /** One page in id order, from the byOwner or byEntity index (list-queries.ts); never a scan. */
  async pagePeerings(filter: PeeringFilter, page: PageRequest): Promise<Page<Peering>> {
    const result = await sealedPage(this.paging.tokens, page, (after) =>
      this.paging.lists.pageIndexed(
        peeringList(filter.ownerId),
        { limit: page.limit, after },
        (item) => filter.status === undefined || item.status === filter.status,
      ),
    );
    return { ...result, items: result.items.map(toPeering) };
  }

  /**
   * From the sparse byOwnerInFlight index (items.ts): one Query of at most `max` keys and one
   * strongly consistent BatchGetItem of those items, whose status drops what settled while the index
   * lagged. Only when some had settled does it read on, `max` keys at a time.
   */
  async inFlightPeeringIds(ownerId: string, max: number): Promise<string[]> {
    const ids: string[] = [];
    let start: Record<string, unknown> | undefined;
    while (ids.length < max) {
      const page = await this.table
        .run(() =>
          this.table.client.send(
            new QueryCommand({
              ...TOTAL,
              TableName: this.table.name,
              IndexName: ownerInFlightIndex.name,
              KeyConditionExpression: `${ownerInFlightIndex.partitionKey} = :owner`,
              ExpressionAttributeValues: { ':owner': keys.owner(ownerId) },
              ExclusiveStartKey: start,
              Limit: max,
            }),
          ),
        )
        .catch((error: unknown) => {
          // While a deploy still builds the index, creates count through their admission entries
          // alone (docs/DECISIONS.md, "An owner's operations in flight, read from an index").
          if (error instanceof Error && INDEX_NOT_READY.test(error.message)) return NONE_READ;
          throw error;
        });
      const found = await this.table.batchGet(
        (page.Items ?? []).map((item) => ({ pk: String(item.pk), sk: String(item.sk) })),
      );
      for (const item of found) {
        const peering = isPeeringItem(item) ? toPeering(item) : undefined;
        if (peering?.ownerId === ownerId && isPeeringInFlight(peering.status)) ids.push(peering.id);
      }
      start = page.LastEvaluatedKey;
      if (!start) break;
    }
    return ids.sort(compareText).slice(0, max);
  }

  async setPeeringStatus(
    id: string,
    status: PeeringStatus,
    reason: string | null,
    from: PeeringStatus[],
  ): Promise<Peering | undefined> {
    if (from.length === 0) return undefined;
    const fromValues = Object.fromEntries(from.map((value, i) => [`:from${i}`, value]));
    // In the bySweep index while PROVISIONING or DELETING, since the change, and in the owner's
    // byOwnerInFlight index (items.ts). FAILED stays in bySweep until its release ends
    // (markPeeringReleased): a release that ran out of retries is the sweep's work.
    const [sweepPk, sweepSk] = SWEEP_INDEX_KEYS;
    const sweepKeys = { ':sweepShard': keys.sweepShard('peering', id) };
    const sweep = isPeeringInFlight(status)
      ? {
          set: `, ${sweepPk} = :sweepShard, ${sweepSk} = :now, ${SET_OWNER_IN_FLIGHT_KEYS}`,
          values: sweepKeys,
        }
      : status === 'FAILED'
        ? {
            set: `, ${sweepPk} = :sweepShard, ${sweepSk} = :now REMOVE ${OWNER_IN_FLIGHT_INDEX_KEYS.join(', ')}`,
            values: sweepKeys,
          }
        : { set: ` REMOVE ${[sweepPk, sweepSk, ...OWNER_IN_FLIGHT_INDEX_KEYS].join(', ')}`, values: {} };
    return this.updatePeering(
      id,
      `SET #status = :status, statusReason = :reason, updatedAt = :now${sweep.set}`,
      `#status IN (${Object.keys(fromValues).join(', ')})`,
      { ':status': status, ':reason': reason, ...fromValues, ...sweep.values },
    );
  }

  async putCreateReceipt(receipt: CreateReceipt): Promise<void> {
    await this.table.put(createReceiptItem(receipt, PEERING_TOMBSTONE_TTL_SECONDS));
  }

  async getCreateReceipt(id: string): Promise<CreateReceipt | undefined> {
    const item = await this.table.get(keys.createReceipt(id));
    return item && toCreateReceipt(item);
  }

  async peeringDeleted(id: string): Promise<boolean> {
    const item = await this.table.get(keys.peering(id));
    return item !== undefined && !isPeeringItem(item);
  }

  async markPeeringReleased(id: string): Promise<void> {
    await this.table.updateIfMatches({
      Key: keys.peering(id),
      UpdateExpression: `REMOVE ${SWEEP_INDEX_KEYS.join(', ')}`,
      ConditionExpression: 'attribute_exists(pk) AND #status = :failed',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':failed': 'FAILED' },
    });
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

  async recordRedrive(
    id: string,
    claim: { status: PeeringStatus; previous: string | undefined; next: string },
  ): Promise<boolean> {
    const previous =
      claim.previous === undefined
        ? { condition: 'attribute_not_exists(lastRedrive)', values: {} }
        : { condition: 'lastRedrive = :previous', values: { ':previous': claim.previous } };
    const updated = await this.table.updateIfMatches({
      Key: keys.peering(id),
      UpdateExpression: 'SET lastRedrive = :next',
      ConditionExpression: `attribute_exists(pk) AND #status = :status AND ${previous.condition}`,
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':next': claim.next, ':status': claim.status, ...previous.values },
    });
    return updated !== undefined;
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
    if (!options.deleteRecord) return;
    // One put replaces the record (no moment without either, for a retried Allocate to fill); a
    // tombstone already there stays as it is.
    await this.table.putIfNewer(
      peeringTombstoneItem(id, this.clock(), PEERING_TOMBSTONE_TTL_SECONDS),
      'entity = :peering',
      { ':peering': 'peering' },
    );
  }

  /** Removes one side's peer entry; the new generation, or undefined when the gateway is gone. */
  private async detachSide(side: PeeringSide): Promise<number | undefined> {
    return this.table.retrying('detachPeering', async () => {
      const gateway = await this.table.get(keys.gateway(side.gatewayId));
      const peerKey = keys.peer(side.gatewayId, side.peerName);
      const peer = await this.table.get(peerKey);
      const { peeringId, allowedIps, publicKey } = peer
        ? toPeerRecord(peer)
        : { peeringId: undefined, allowedIps: [], publicKey: undefined };
      const releases = peeringId
        ? releaseRouteBlocks(this.table.name, side.gatewayId, peeringId, allowedIps)
        : [];
      if (!gateway) {
        // Only blocks still there: the residue purge may have run, and must not get items back.
        for (const release of releases) {
          if (release.Update)
            await this.table.updateIfMatches({
              ...release.Update,
              ConditionExpression: 'attribute_exists(pk)',
            });
        }
        await this.table.deleteIfMatches(peerKey, 'attribute_exists(pk)');
        if (publicKey) {
          await this.table.deleteIfMatches(publicKeyKey(side.gatewayId, publicKey), 'holder = :holder', {
            ':holder': side.peerName,
          });
        }
        return undefined;
      }
      const current = Number(gateway.desiredGeneration);
      if (!peer) return current;
      const keyItem = publicKey ? await this.table.get(publicKeyKey(side.gatewayId, publicKey)) : undefined;
      const reasons = await this.table.transact([
        this.table.deleteItem(peerKey, 'attribute_exists(pk)'),
        nextGeneration(this.table, side.gatewayId, current),
        ...releases,
        ...(publicKey ? releasePublicKey(this.table, side.gatewayId, publicKey, side.peerName, keyItem) : []),
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
