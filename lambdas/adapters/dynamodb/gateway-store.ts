/**
 * Gateways on the table: the `GW#<id>`/`META` item (record + `allocatedCount`, `capacity`,
 * `desiredGeneration`) and the `TOMBSTONE#<id>` that keeps a deleted id from coming back and,
 * while `cascadePending` is true, from being registered again before its cascade ended (it also
 * keeps what that cascade needs, for the sweep).
 * Also the helpers other stores use on the gateway item: `requireGateway` and `nextGeneration`.
 */
import { changeMark } from '../../app/new-records';
import type { GatewayFilter, GatewayStore } from '../../app/ports';
import { capacityOf } from '../../core/allocation';
import { ConflictError, GatewayGoneError, TransientError } from '../../core/errors';
import type { Page, PageRequest } from '../../core/pagination';
import type { GatewayRecord, UnfinishedMove } from '../../core/types';
import type { AllocatingGateway } from './allocator';
import { failedCondition, isConditionalCheckFailure } from './errors';
import { bumpGeneration, raiseGeneration } from './gateway-generations';
import {
  deleteTombstoneAsRead,
  incarnationEndOf,
  markCascadeEnded,
  markCascadePending,
  restampTombstone,
  TOMBSTONE_STAMP,
  tombstoneStamp,
} from './gateway-tombstones';
import { type GatewayItem, gatewayItem, keys, SWEEP_INDEX_KEYS, toGatewayRecord } from './items';
import { gatewayList } from './list-queries';
import { type Paging, sealedPage } from './page-tokens';
import { PEER_KEYS_INDEXED } from './public-keys';
import { AGAIN, type Item, type Table, type TransactItem } from './table';

/**
 * The gateway's update lease: an item in its partition, so the cascade's purge removes it with the
 * rest; `leaseUntil` (epoch ms) is what takers compare, `expiresAt` (the table's TTL, seconds)
 * removes one left by a run that stopped.
 */
const updateLeaseKey = (gatewayId: string) => ({ pk: keys.gatewayPartition(gatewayId), sk: 'UPDATE_LEASE' });

/**
 * What the cascade needs of the deleted gateway besides its id and lastGeneration (RemovedGateway):
 * the stream record's OldImage carries it, but the stream keeps a record 24 h and its dead-letter
 * queue gets only the record's position. Kept here, the sweep can run a cascade the stream gave up
 * on (sweep-work.ts). The key's name, never the key. `unfinishedMove` (the instance a move was
 * leaving) is set when the gateway had one, removed otherwise (cascadeInput).
 */
const CASCADE_INPUT = 'instanceId = :instanceId, privateKeyParam = :privateKeyParam';

/** The tombstone's CASCADE_INPUT of `removed`: what it SETs, what it REMOVEs, and their values. */
function cascadeInput(removed: GatewayRecord): { set: string; remove: string[]; values: Item } {
  const values = { ':instanceId': removed.instanceId, ':privateKeyParam': removed.privateKeyParam };
  return removed.unfinishedMove === undefined
    ? { set: CASCADE_INPUT, remove: ['unfinishedMove'], values }
    : {
        set: `${CASCADE_INPUT}, unfinishedMove = :unfinishedMove`,
        remove: [],
        values: { ...values, ':unfinishedMove': removed.unfinishedMove },
      };
}

/**
 * A pending cascade is in the bySweep index (items.ts) from its deletion on, until it ends. Marked
 * pending again (the stream's cascade, a sweep), it keeps the time it got then; a tombstone that
 * has none (written before the index) is dated by that write.
 */
const SWEEP_SINCE_DELETED = `${SWEEP_INDEX_KEYS[0]} = :sweepShard, ${SWEEP_INDEX_KEYS[1]} = :deletedAt`;

export class DynamoGatewayStore implements GatewayStore {
  constructor(
    private readonly table: Table,
    private readonly clock: () => Date,
    private readonly paging: Paging,
  ) {}

  /**
   * Registers a gateway; registering an id again after its deletion is deliberate: its tombstone
   * goes, and the id continues above its predecessor's last generation
   * (docs/DECISIONS.md, "Tenant isolation"): an instance still holding the old one's would refuse
   * every push as stale. Not while the predecessor's cascade is pending (GATEWAY_BEING_DELETED):
   * it deletes the key at the id's name and purges the id's partition, the new incarnation's.
   * The tombstone's times become the record's priorIncarnationEndedAt (events of the predecessor
   * are told apart by it: docs/CONTRACT.md#events).
   */
  async createGateway(gateway: GatewayRecord): Promise<void> {
    return this.table.retrying('createGateway', async () => {
      const tombstone = await this.table.get(keys.tombstone(gateway.id));
      if (tombstone?.cascadePending === true) throw new ConflictError('GATEWAY_BEING_DELETED');
      const last = tombstone?.lastGeneration;
      const known = typeof last === 'number';
      const desiredGeneration = Math.max(gateway.desiredGeneration, known ? last + 1 : 0);
      const { priorIncarnationEndedAt: _given, ...fields } = gateway;
      const ended = tombstone && incarnationEndOf(tombstone);
      const record = {
        ...fields,
        desiredGeneration,
        ...(ended === undefined ? {} : { priorIncarnationEndedAt: ended }),
      };
      const reasons = await this.table.transact([
        this.table.putItem(newGatewayItem(record), 'attribute_not_exists(pk)'),
        deleteTombstoneAsRead(this.table, gateway.id, tombstone),
      ]);
      if (!reasons) return;
      if (failedCondition(reasons[0])) throw new ConflictError('GATEWAY_EXISTS');
      if (failedCondition(reasons[1])) return AGAIN;
      throw new TransientError('createGateway: the transaction met a concurrent write');
    });
  }

  /**
   * Replaces a known gateway's registry fields (its bookkeeping stays), or registers an unknown one,
   * unless it was deleted: a late "VPN Gateway Updated" must not bring a gateway back. Any tombstone
   * refuses (GatewayGoneError), so an id whose cascade is pending is never registered here either:
   * its tombstone stays at least until the cascade ended (createGateway removes it, and refuses
   * while the mark is set).
   */
  async upsertGateway(gateway: GatewayRecord): Promise<GatewayRecord> {
    return this.table.retrying('upsertGateway', async () => {
      const updated = await this.replaceRegistry(gateway);
      if (updated) return updated;
      const item = newGatewayItem(gateway);
      const reasons = await this.table.transact([
        this.table.conditionCheck(keys.tombstone(gateway.id), 'attribute_not_exists(pk)'),
        this.table.putItem(item, 'attribute_not_exists(pk)'),
      ]);
      if (!reasons) return toGatewayRecord(item);
      if (failedCondition(reasons[0])) throw new GatewayGoneError(gateway.id);
      // Registered meanwhile: update it instead.
      return AGAIN;
    });
  }

  /** The registry fields of an existing gateway replaced, bookkeeping kept; undefined when absent. */
  private async replaceRegistry(gateway: GatewayRecord): Promise<GatewayRecord | undefined> {
    const {
      pk,
      sk,
      desiredGeneration,
      privateKeyParam,
      createdAt,
      priorIncarnationEndedAt: _ended,
      healedThrough: _healed,
      allocatedCount,
      [PEER_KEYS_INDEXED]: _indexed,
      ...replaced
    } = newGatewayItem(gateway);
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    const assignments = Object.entries(replaced).map(([field, value], i) => {
      names[`#r${i}`] = field;
      values[`:r${i}`] = value;
      return `#r${i} = :r${i}`;
    });
    const attributes = await this.table.updateIfMatches({
      Key: { pk, sk },
      UpdateExpression: `SET ${assignments.join(', ')}`,
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
      ReturnValues: 'ALL_NEW',
    });
    return attributes && toGatewayRecord(attributes);
  }

  async getGateway(id: string): Promise<GatewayRecord | undefined> {
    const item = await this.table.get(keys.gateway(id));
    return item && toGatewayRecord(item);
  }

  /** The item's counter, which the allocating transactions move with each address. */
  async tunnelAddressesTaken(gatewayId: string): Promise<number | undefined> {
    const item = await this.table.get(keys.gateway(gatewayId));
    return item && Number(item.allocatedCount ?? 0);
  }

  /** One page in id order, from the byOwner or byEntity index (list-queries.ts); never a scan. */
  async pageGateways(filter: GatewayFilter, page: PageRequest): Promise<Page<GatewayRecord>> {
    const result = await sealedPage(this.paging.tokens, page, (after) =>
      this.paging.lists.pageIndexed(
        gatewayList(filter.ownerId),
        { limit: page.limit, after },
        (item) => filter.status === undefined || item.status === filter.status,
      ),
    );
    return { ...result, items: result.items.map(toGatewayRecord) };
  }

  /**
   * Deletes the gateway item (its stream REMOVE starts the cascade) and, in the same transaction,
   * writes its tombstone, kept until GATEWAY_TOMBSTONE_TTL_SECONDS (app/storage-ports.ts) after its
   * cascade ended (endGatewayCascade; no expiry while it is pending): no late or
   * redelivered upsert re-creates the gateway, and `lastGeneration` lets a registration of the id
   * continue above it. The tombstone is updated, never replaced: a repeated delete (a redelivered
   * event, a retried API call) finds no gateway and must leave the lastGeneration the first one wrote.
   * The transaction also marks the cascade pending: from the commit on, the id cannot be
   * registered again until that cascade ended (createGateway, endGatewayCascade); and it keeps what
   * that cascade needs (CASCADE_INPUT), should the sweep have to run it.
   * Every write is conditioned on what was read, `createdAt` included, and `incarnation` (the
   * caller's read) is compared with each read: a gateway deleted and registered again since the
   * caller checked it is left alone (GatewayGoneError, nothing written).
   * The tombstone keeps `deletingEventTime` (the deleting event's `time`; none for the API's): on a
   * live gateway's delete that one, on an id deleted already the later of the one kept and it.
   */
  async deleteGateway(
    id: string,
    incarnation?: string | null,
    deletingEventTime?: string,
  ): Promise<GatewayRecord | undefined> {
    return this.table.retrying('deleteGateway', async () => {
      const deletedAt = this.clock();
      const old = await this.table.get(keys.gateway(id));
      const removed = old && toGatewayRecord(old);
      if (incarnation !== undefined && (removed?.createdAt ?? null) !== incarnation) {
        throw new GatewayGoneError(id);
      }
      if (!removed) {
        // Only while the id still holds no gateway: one registered since is not this delete's.
        const reasons = await this.table.transact([
          this.table.conditionCheck(keys.gateway(id), 'attribute_not_exists(pk)'),
          await restampTombstone(this.table, id, deletedAt, deletingEventTime),
        ]);
        return reasons ? AGAIN : undefined;
      }
      // Unconditional SET: while the gateway lives no tombstone holds a higher generation, nor a
      // pending cascade (createGateway removed it when registering above it, and only once no
      // cascade was pending).
      const input = cascadeInput(removed);
      // No expiresAt while the cascade is pending (gateway-tombstones.ts TOMBSTONE_STAMP).
      const removals = [
        'expiresAt',
        ...(deletingEventTime === undefined ? ['deletingEventTime'] : []),
        ...input.remove,
      ];
      const reasons = await this.table.transact([
        this.table.deleteItem(
          keys.gateway(id),
          'createdAt = :createdAt AND desiredGeneration = :generation AND instanceId = :instanceId',
          {
            ':createdAt': removed.createdAt,
            ':generation': removed.desiredGeneration,
            ':instanceId': removed.instanceId,
          },
        ),
        this.table.updateItem({
          Key: keys.tombstone(id),
          // No tombstone lives beside a gateway (createGateway removed it): its event time is this
          // one. What it does not set it removes, should an older tombstone have held it.
          UpdateExpression: `${TOMBSTONE_STAMP}, lastGeneration = :generation, cascadePending = :pending, ${input.set}, ${SWEEP_SINCE_DELETED}${
            deletingEventTime === undefined ? '' : ', deletingEventTime = :eventTime'
          } REMOVE ${removals.join(', ')}`,
          ExpressionAttributeValues: {
            ...tombstoneStamp(deletedAt),
            ...(deletingEventTime === undefined ? {} : { ':eventTime': deletingEventTime }),
            ':generation': removed.desiredGeneration,
            ':pending': true,
            ':sweepShard': keys.sweepShard('cascade', id),
            ...input.values,
          },
        }),
      ]);
      if (!reasons) return removed;
      // Bumped, updated, deleted or registered again since the read: read again (the tombstone and
      // the caller need what is deleted, and the incarnation is compared anew).
      return AGAIN;
    });
  }

  /** The tombstone's mark, set (gateway-tombstones.ts markCascadePending). */
  async beginGatewayCascade(gatewayId: string, generation: number): Promise<boolean> {
    return markCascadePending(this.table, gatewayId, generation, this.clock());
  }

  async isGatewayCascadePending(gatewayId: string): Promise<boolean> {
    return (await this.table.get(keys.tombstone(gatewayId)))?.cascadePending === true;
  }

  /** The tombstone's mark, ended (gateway-tombstones.ts markCascadeEnded). */
  async endGatewayCascade(gatewayId: string, generation: number): Promise<void> {
    await markCascadeEnded(this.table, gatewayId, generation, this.clock());
  }

  async settlePeerWalk(gatewayId: string, owedSince: string): Promise<void> {
    await this.table.updateIfMatches({
      Key: keys.gateway(gatewayId),
      UpdateExpression: `REMOVE peerWalkOwedSince, ${SWEEP_INDEX_KEYS.join(', ')}`,
      ConditionExpression: 'peerWalkOwedSince = :owedSince',
      ExpressionAttributeValues: { ':owedSince': owedSince },
    });
  }

  /** The same move: both of its fields compared. */
  async settleMove(gatewayId: string, move: UnfinishedMove): Promise<void> {
    await this.table.updateIfMatches({
      Key: keys.gateway(gatewayId),
      UpdateExpression: 'REMOVE unfinishedMove',
      ConditionExpression:
        'unfinishedMove.instanceId = :instanceId AND unfinishedMove.retiredThrough = :through',
      ExpressionAttributeValues: { ':instanceId': move.instanceId, ':through': move.retiredThrough },
    });
  }

  /** One conditional put, no read: of two takers of a free lease one wins. */
  async takeUpdateLease(gatewayId: string, holder: string, untilMs: number, nowMs: number): Promise<boolean> {
    const lease = { ...updateLeaseKey(gatewayId), entity: 'update-lease', gatewayId, holder };
    try {
      await this.table.put(
        { ...lease, leaseUntil: untilMs, expiresAt: Math.ceil(untilMs / 1000) },
        'attribute_not_exists(pk) OR leaseUntil < :now OR holder = :holder',
        { ':now': nowMs, ':holder': holder },
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailure(error)) return false;
      throw error;
    }
  }

  async releaseUpdateLease(gatewayId: string, holder: string): Promise<void> {
    await this.table.deleteIfMatches(updateLeaseKey(gatewayId), 'holder = :holder', { ':holder': holder });
  }

  /** The index sort key moves on; the mark stays what settlePeerWalk compares. */
  async deferPeerWalk(gatewayId: string, owedSince: string, until: string): Promise<void> {
    await this.table.updateIfMatches({
      Key: keys.gateway(gatewayId),
      UpdateExpression: `SET ${SWEEP_INDEX_KEYS[1]} = :until`,
      ConditionExpression: 'peerWalkOwedSince = :owedSince',
      ExpressionAttributeValues: { ':owedSince': owedSince, ':until': until },
    });
  }

  bumpGeneration(gatewayId: string): Promise<number | undefined> {
    return bumpGeneration(this.table, gatewayId);
  }

  raiseGeneration(
    read: Pick<GatewayRecord, 'id' | 'createdAt' | 'instanceId' | 'desiredGeneration'>,
    generation: number,
  ): Promise<boolean> {
    return raiseGeneration(this.table, read, generation);
  }

  /** One attribute of the gateway item; the stream's MODIFY is dropped by the cascade's filter. */
  async markClientConfigChanged(gatewayId: string): Promise<void> {
    await this.table.updateIfMatches({
      Key: keys.gateway(gatewayId),
      UpdateExpression: 'SET clientConfigChangedAt = :mark',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: { ':mark': changeMark(this.clock()) },
    });
  }
}

/** Reads the gateway item with its counters; GatewayGoneError when absent. */
export async function requireGateway(table: Table, id: string): Promise<GatewayItem & AllocatingGateway> {
  const item = await table.get(keys.gateway(id));
  if (!item) throw new GatewayGoneError(id);
  return item as unknown as GatewayItem;
}

/**
 * desiredGeneration `current` → `current + 1` as a compare-and-set, for changes that report the
 * generation first holding them (a concurrent bump cancels the transaction instead).
 */
export function nextGeneration(table: Table, gatewayId: string, current: number): TransactItem {
  return table.updateItem({
    Key: keys.gateway(gatewayId),
    UpdateExpression: 'SET desiredGeneration = :next',
    ConditionExpression: 'attribute_exists(pk) AND desiredGeneration = :current',
    ExpressionAttributeValues: { ':current': current, ':next': current + 1 },
  });
}

/**
 * A gateway as registered: no allocation yet, the capacity its tunnel subnet gives, and its peer
 * entries' key items complete (it has none yet, and every entry written gets one).
 */
const newGatewayItem = (gateway: GatewayRecord): Item => ({
  ...gatewayItem(gateway, { allocatedCount: 0, capacity: capacityOf(gateway) }),
  [PEER_KEYS_INDEXED]: true,
});
