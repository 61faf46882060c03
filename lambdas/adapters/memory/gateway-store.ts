/** Gateways in memory: the registry, tombstones, pending cascades and generations. */
import { changeMark } from '../../app/new-records';
import type { GatewayFilter } from '../../app/ports';
import { capacityOf } from '../../core/allocation';
import { ConflictError, GatewayGoneError } from '../../core/errors';
import { incarnationEnd, laterTime } from '../../core/event-times';
import { compareText } from '../../core/order';
import type { Page, PageRequest } from '../../core/pagination';
import type { GatewayRecord, UnfinishedMove } from '../../core/types';
import { pickFields } from '../../core/views';
import { keysetPage } from '../../shared/sealed-tokens';
import { copy, MemoryStore } from './state';

/** Bookkeeping an upsert replaces when given and keeps otherwise. */
const KEPT_UNLESS_GIVEN = [
  'clientConfigChangedAt',
  'peerWalkOwedSince',
  'updateEventTime',
  'replacedInUpdateSecond',
  'unfinishedMove',
] as const;

export class MemoryGatewayStore extends MemoryStore {
  async createGateway(gateway: GatewayRecord): Promise<void> {
    if (this.gateways.has(gateway.id)) throw new ConflictError('GATEWAY_EXISTS');
    if (this.state.pendingCascades.has(gateway.id)) throw new ConflictError('GATEWAY_BEING_DELETED');
    const tombstone = this.tombstones.get(gateway.id);
    this.tombstones.delete(gateway.id);
    const last = this.state.lastGenerations.get(gateway.id);
    const desiredGeneration = Math.max(gateway.desiredGeneration, last === undefined ? 0 : last + 1);
    // When the predecessor ended is the tombstone's to say, as the DynamoDB one reads it.
    const { priorIncarnationEndedAt: _given, ...record } = copy(gateway);
    const ended = tombstone && incarnationEnd(tombstone.deletedAt, tombstone.deletingEventTime);
    this.gateways.set(gateway.id, {
      record: {
        ...record,
        desiredGeneration,
        ...(ended === undefined ? {} : { priorIncarnationEndedAt: ended }),
      },
      allocatedCount: 0,
      capacity: capacityOf(gateway),
    });
  }

  /**
   * Registry fields replaced; desiredGeneration, privateKeyParam, createdAt and the count kept. An
   * unknown id with a tombstone is refused, also while its cascade is pending (the tombstone stays).
   */
  async upsertGateway(gateway: GatewayRecord): Promise<GatewayRecord> {
    const stored = this.gateways.get(gateway.id);
    if (!stored) {
      if (this.tombstones.has(gateway.id)) throw new GatewayGoneError(gateway.id);
      await this.createGateway(gateway);
      return copy(gateway);
    }
    const { desiredGeneration, privateKeyParam, createdAt } = stored.record;
    // Replaced when given, kept otherwise, as the DynamoDB update that sets only the fields given.
    const kept = pickFields(stored.record, KEPT_UNLESS_GIVEN);
    const { priorIncarnationEndedAt: _given, healedThrough: _healed, ...given } = copy(gateway);
    // Written only by a registration and a heal (raiseGeneration), never by an upsert.
    const own = pickFields(stored.record, ['priorIncarnationEndedAt', 'healedThrough']);
    stored.record = { ...kept, ...given, ...own, desiredGeneration, privateKeyParam, createdAt };
    // A new mark is due from its own time, as the DynamoDB item's index key is rewritten with it.
    if (gateway.peerWalkOwedSince !== undefined) delete stored.walkDueAt;
    stored.capacity = capacityOf(gateway);
    return copy(stored.record);
  }

  async takeUpdateLease(gatewayId: string, holder: string, untilMs: number, nowMs: number): Promise<boolean> {
    const stored = this.state.updateLeases.get(gatewayId);
    if (stored && stored.untilMs >= nowMs && stored.holder !== holder) return false;
    this.state.updateLeases.set(gatewayId, { holder, untilMs });
    return true;
  }

  async releaseUpdateLease(gatewayId: string, holder: string): Promise<void> {
    if (this.state.updateLeases.get(gatewayId)?.holder === holder) this.state.updateLeases.delete(gatewayId);
  }

  async getGateway(id: string): Promise<GatewayRecord | undefined> {
    const stored = this.gateways.get(id);
    return stored && copy(stored.record);
  }

  async tunnelAddressesTaken(gatewayId: string): Promise<number | undefined> {
    return this.gateways.get(gatewayId)?.allocatedCount;
  }

  /** One page in id order, as the DynamoDB one reads its byOwner or byEntity index. */
  async pageGateways(filter: GatewayFilter, page: PageRequest): Promise<Page<GatewayRecord>> {
    return this.tokens.page(page, async (after) => {
      const owned = [...this.gateways.values()]
        .map((stored) => stored.record)
        .filter((record) => filter.ownerId === undefined || record.ownerId === filter.ownerId)
        .sort((a, b) => compareText(a.id, b.id));
      const result = keysetPage(
        owned,
        (record) => record.id,
        { limit: page.limit, after },
        (record) => filter.status === undefined || record.status === filter.status,
      );
      return { ...result, items: result.items.map(copy) };
    });
  }

  /**
   * Deletes the gateway only, as the DynamoDB one does: the cascade (onGatewayDeleted) cleans the
   * rest. Only the incarnation named, when one is (null: none), as the DynamoDB condition. The
   * tombstone is stamped now and keeps the later deleting event's time, as the DynamoDB one does.
   */
  async deleteGateway(
    id: string,
    incarnation?: string | null,
    deletingEventTime?: string,
  ): Promise<GatewayRecord | undefined> {
    const stored = this.gateways.get(id);
    if (incarnation !== undefined && (stored?.record.createdAt ?? null) !== incarnation) {
      throw new GatewayGoneError(id);
    }
    const eventTime = laterTime(this.tombstones.get(id)?.deletingEventTime, deletingEventTime);
    this.tombstones.set(id, {
      deletedAt: this.clock().toISOString(),
      ...(eventTime === undefined ? {} : { deletingEventTime: eventTime }),
    });
    if (!stored) return undefined;
    this.gateways.delete(id);
    this.state.lastGenerations.set(id, stored.record.desiredGeneration);
    const { instanceId, desiredGeneration, privateKeyParam, unfinishedMove } = stored.record;
    this.state.pendingCascades.set(id, {
      gateway: {
        id,
        instanceId,
        desiredGeneration,
        privateKeyParam,
        ...(unfinishedMove === undefined ? {} : { unfinishedMove: { ...unfinishedMove } }),
      },
      deletedAt: this.clock().toISOString(),
    });
    this.onGatewayDeleted(copy(stored.record));
    return copy(stored.record);
  }

  async beginGatewayCascade(gatewayId: string, generation: number): Promise<boolean> {
    return this.state.pendingCascades.get(gatewayId)?.gateway.desiredGeneration === generation;
  }

  async isGatewayCascadePending(gatewayId: string): Promise<boolean> {
    return this.state.pendingCascades.has(gatewayId);
  }

  async endGatewayCascade(gatewayId: string, generation: number): Promise<void> {
    if (this.state.pendingCascades.get(gatewayId)?.gateway.desiredGeneration === generation)
      this.state.pendingCascades.delete(gatewayId);
  }

  async deferPeerWalk(gatewayId: string, owedSince: string, until: string): Promise<void> {
    const stored = this.gateways.get(gatewayId);
    if (stored?.record.peerWalkOwedSince === owedSince) stored.walkDueAt = until;
  }

  async settlePeerWalk(gatewayId: string, owedSince: string): Promise<void> {
    const stored = this.gateways.get(gatewayId);
    if (stored?.record.peerWalkOwedSince === owedSince) delete stored.record.peerWalkOwedSince;
  }

  async settleMove(gatewayId: string, move: UnfinishedMove): Promise<void> {
    const stored = this.gateways.get(gatewayId);
    const held = stored?.record.unfinishedMove;
    if (held?.instanceId === move.instanceId && held.retiredThrough === move.retiredThrough) {
      delete stored?.record.unfinishedMove;
    }
  }

  async bumpGeneration(gatewayId: string): Promise<number | undefined> {
    const stored = this.gateways.get(gatewayId);
    if (!stored) return undefined;
    stored.record.desiredGeneration += 1;
    return stored.record.desiredGeneration;
  }

  async raiseGeneration(
    read: Pick<GatewayRecord, 'id' | 'createdAt' | 'instanceId' | 'desiredGeneration'>,
    generation: number,
  ): Promise<boolean> {
    const stored = this.gateways.get(read.id)?.record;
    const same =
      stored?.createdAt === read.createdAt &&
      stored.instanceId === read.instanceId &&
      stored.desiredGeneration === read.desiredGeneration;
    if (!same || !(generation > read.desiredGeneration)) return false;
    stored.desiredGeneration = generation;
    stored.healedThrough = generation - 1;
    return true;
  }

  async markClientConfigChanged(gatewayId: string): Promise<void> {
    const stored = this.gateways.get(gatewayId);
    if (stored) stored.record.clientConfigChangedAt = changeMark(this.clock());
  }
}
