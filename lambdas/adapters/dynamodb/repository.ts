/**
 * The Repository port on one DynamoDB table (docs/ARCHITECTURE.md "Data model" and "Allocation").
 *
 * Every multi-item change is one TransactWriteItems, so a cancelled attempt leaves nothing behind.
 * Peering allocation: a random usable host is Put under attribute_not_exists, in the same
 * transaction that bumps the gateway's allocatedCount under `allocatedCount < capacity`.
 * Road-warrior allocation reserves, then commits: a plain conditional Put claims the address
 * (holder + `reservedAt` lease), then one transaction writes the peer entry and bumps the counter
 * and generation; a failed commit deletes its reservation, and a crash between the two leaves an
 * orphan that a later collision reclaims once its lease is stale (RESERVATION_GRACE_MS).
 * A collision retries with a new candidate, and after a few misses the candidate comes from a gap
 * in one page of allocations read from a random offset. Which item cancelled a transaction is read
 * from CancellationReasons (ReturnValuesOnConditionCheckFailure gives the gateway item as it was,
 * so no re-read is needed).
 *
 * Generations: createPeering, detachPeering and updatePeerEndpoint set desiredGeneration to an
 * exact value under a compare-and-set, because they report the generation that first holds the change;
 * a transaction returns no values. bumpGeneration is a single update, so a plain increment returns
 * its generation itself; road-warrior changes report none and use a plain increment too, which
 * never conflicts.
 *
 * Every request asks for ReturnConsumedCapacity TOTAL and reports it to `onConsumedCapacity`.
 */
import type { AttributeValue, CancellationReason } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type {
  GatewayFilter,
  IdempotencyRecord,
  NewPeering,
  NewRoadWarrior,
  PeeringFilter,
  Repository,
  RouteBlock,
} from '../../app/ports';
import { firstFreeIndex, type TunnelAddressSpace, tunnelAddressSpace } from '../../core/allocation';
import {
  ChecksOutdatedError,
  ConflictError,
  GatewayGoneError,
  TransientError,
  ValidationError,
} from '../../core/errors';
import type { Page, PageRequest } from '../../core/pagination';
import { PEERING_PEER_PREFIX } from '../../core/schemas';
import type {
  AppliedGeneration,
  GatewayRecord,
  GatewayStatusReport,
  Peering,
  PeeringSide,
  PeeringStatus,
  PeerRecord,
} from '../../core/types';
import {
  cancellationReasons,
  failedCondition,
  isConditionalCheckFailure,
  numberAttribute,
  stringAttribute,
} from './errors';
import {
  addressOfAllocationSortKey,
  allocationItem,
  allocationSortKey,
  appliedItem,
  type GatewayCounters,
  type GatewayItem,
  gatewayItem,
  type Key,
  keys,
  peerItem,
  peeringItem,
  reservationItem,
  SK,
  statusItem,
  toAppliedGeneration,
  toGatewayRecord,
  toPeering,
  toPeerRecord,
  toStatusReport,
} from './items';
import { gatewayList, type KeysetPage, ListQueries, peeringList } from './list-queries';
import { type Metered, metered, TOTAL } from './metered';
import { PageTokens } from './page-tokens';
import {
  claimRouteBlocks,
  type RouteBlockRequest,
  releaseRouteBlocks,
  routeBlockKeys,
  toRouteBlock,
} from './route-blocks';

export interface DynamoRepositoryOptions {
  /** Now: timestamps, idempotency expiry and the age of address reservations. */
  clock?: () => Date;
  /** Source of allocation candidates; Math.random by default (addresses are not secrets). */
  random?: () => number;
  /** Receives the capacity units of every request (benchmarks, cost logging). */
  onConsumedCapacity?: (units: number) => void;
  /** Transaction attempts before giving up with TransientError. */
  maxAttempts?: number;
}

type Item = Record<string, unknown>;
type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

const DEFAULT_MAX_ATTEMPTS = 30;
/** Random candidates tried before each further attempt takes a gap from a page of allocations. */
const RANDOM_MISSES_BEFORE_SCAN = 4;
const GAP_SCAN_PAGE = 256;
/**
 * Age after which an address reservation is a lease its owner can no longer commit: far longer
 * than any API Lambda runs (API Gateway gives up after 29 s), so an older one is an orphan if no
 * peer entry holds its address.
 */
export const RESERVATION_GRACE_MS = 15 * 60 * 1000;
const BATCH_WRITE_LIMIT = 25;
const BATCH_GET_LIMIT = 100;
const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;
/** Longer than EventBridge retries an event (24 h) and than a dead-letter queue keeps one (14 days). */
const TOMBSTONE_TTL_SECONDS = 30 * 24 * 60 * 60;
const BACKOFF_BASE_MS = 10;
const BACKOFF_CAP_MS = 500;
/** Returned by a retryable step to ask for another attempt. */
const AGAIN = Symbol('again');

export class DynamoRepository implements Repository {
  private readonly clock: () => Date;
  private readonly random: () => number;
  private readonly onConsumedCapacity: (units: number) => void;
  private readonly maxAttempts: number;
  private readonly lists: ListQueries;
  private readonly pageTokens: PageTokens;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    readonly tableName: string,
    options: DynamoRepositoryOptions = {},
  ) {
    this.clock = options.clock ?? (() => new Date());
    this.random = options.random ?? Math.random;
    this.onConsumedCapacity = options.onConsumedCapacity ?? (() => {});
    this.maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    this.lists = new ListQueries({
      client,
      tableName,
      run: (call) => this.run(call),
      batchGet: (itemKeys) => this.batchGet(itemKeys),
    });
    this.pageTokens = new PageTokens(client, tableName, this.clock, this.onConsumedCapacity);
  }

  // ---- gateways -------------------------------------------------------------------------------

  /** Registers a gateway; registering an id again after its deletion is deliberate: its tombstone goes. */
  async createGateway(gateway: GatewayRecord): Promise<void> {
    const reasons = await this.transact([
      this.putItem(newGatewayItem(gateway), 'attribute_not_exists(pk)'),
      { Delete: { TableName: this.tableName, Key: keys.tombstone(gateway.id) } },
    ]);
    if (!reasons) return;
    if (failedCondition(reasons[0])) throw new ConflictError('GATEWAY_EXISTS');
    throw new TransientError('createGateway: the transaction met a concurrent write');
  }

  /**
   * Replaces a known gateway's registry fields (its bookkeeping stays), or registers an unknown one,
   * unless it was deleted: a late "VPN Gateway Updated" must not bring a gateway back.
   */
  async upsertGateway(gateway: GatewayRecord): Promise<GatewayRecord> {
    return this.retrying('upsertGateway', async () => {
      const updated = await this.replaceRegistry(gateway);
      if (updated) return updated;
      const item = newGatewayItem(gateway);
      const reasons = await this.transact([
        {
          ConditionCheck: {
            TableName: this.tableName,
            Key: keys.tombstone(gateway.id),
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        this.putItem(item, 'attribute_not_exists(pk)'),
      ]);
      if (!reasons) return toGatewayRecord(item);
      if (failedCondition(reasons[0])) throw new GatewayGoneError(gateway.id);
      // Registered meanwhile: update it instead.
      return AGAIN;
    });
  }

  /** The registry fields of an existing gateway replaced, bookkeeping kept; undefined when absent. */
  private async replaceRegistry(gateway: GatewayRecord): Promise<GatewayRecord | undefined> {
    const { pk, sk, desiredGeneration, privateKeyParam, createdAt, allocatedCount, ...replaced } =
      newGatewayItem(gateway);
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    const assignments = Object.entries(replaced).map(([field, value], i) => {
      names[`#r${i}`] = field;
      values[`:r${i}`] = value;
      return `#r${i} = :r${i}`;
    });
    const attributes = await this.updateIfMatches({
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
    const item = await this.get(keys.gateway(id));
    return item && toGatewayRecord(item);
  }

  async pageGateways(filter: GatewayFilter, page: PageRequest): Promise<Page<GatewayRecord>> {
    return this.sealed(page, (after) =>
      this.lists.pageIndexed(
        gatewayList(filter.ownerId),
        { limit: page.limit, after },
        (item) => filter.status === undefined || item.status === filter.status,
      ),
    ).then((result) => ({ ...result, items: result.items.map(toGatewayRecord) }));
  }

  /**
   * Deletes the gateway item (its stream REMOVE starts the cascade). A tombstone is written first and
   * kept for TOMBSTONE_TTL_SECONDS, so that no late or redelivered upsert re-creates the gateway;
   * should the delete not follow, the redelivered "Deleted" event completes it.
   */
  async deleteGateway(id: string): Promise<GatewayRecord | undefined> {
    const deletedAt = this.clock();
    await this.put({
      ...keys.tombstone(id),
      entity: 'tombstone',
      deletedAt: deletedAt.toISOString(),
      expiresAt: epochSeconds(deletedAt) + TOMBSTONE_TTL_SECONDS,
    });
    const output = await this.run(() =>
      this.client.send(
        new DeleteCommand({
          ...TOTAL,
          TableName: this.tableName,
          Key: keys.gateway(id),
          ReturnValues: 'ALL_OLD',
        }),
      ),
    );
    return output.Attributes && toGatewayRecord(output.Attributes);
  }

  // ---- peers ----------------------------------------------------------------------------------

  async listPeers(gatewayId: string): Promise<PeerRecord[]> {
    const items = await this.queryPartition(keys.gatewayPartition(gatewayId), SK.peer);
    return items.map(toPeerRecord);
  }

  async pagePeers(gatewayId: string, page: PageRequest): Promise<Page<PeerRecord>> {
    const result = await this.sealed(page, (after) =>
      this.lists.pagePeers(gatewayId, { limit: page.limit, after }),
    );
    return { ...result, items: result.items.map(toPeerRecord) };
  }

  async listPeeringPeers(gatewayId: string): Promise<PeerRecord[]> {
    const items = await this.queryPartition(
      keys.gatewayPartition(gatewayId),
      `${SK.peer}${PEERING_PEER_PREFIX}`,
    );
    return items.map(toPeerRecord);
  }

  async readRouteBlocks(requests: RouteBlockRequest[]): Promise<RouteBlock[]> {
    const blockKeys = routeBlockKeys(requests);
    const items = new Map((await this.batchGet(blockKeys)).map((item) => [`${item.pk}|${item.sk}`, item]));
    return blockKeys.map((key) => toRouteBlock(key, items.get(`${key.pk}|${key.sk}`)));
  }

  async peeredWith(gatewayId: string, otherIds: string[]): Promise<Set<string>> {
    const locks = await this.batchGet(otherIds.map((otherId) => keys.pairLock(gatewayId, otherId)));
    const lockedPairs = new Set(locks.map((lock) => String(lock.pk)));
    return new Set(otherIds.filter((otherId) => lockedPairs.has(keys.pairLock(gatewayId, otherId).pk)));
  }

  /** A keyset page with its position sealed into a token bound to the caller and query. */
  private async sealed<T>(
    page: PageRequest,
    read: (after: string | undefined) => Promise<KeysetPage<T>>,
  ): Promise<Page<T>> {
    const after =
      page.nextToken === undefined ? undefined : await this.pageTokens.open(page.nextToken, page.binding);
    const result = await read(after);
    if (result.after === undefined) return { items: result.items };
    return { items: result.items, nextToken: await this.pageTokens.seal(result.after, page.binding) };
  }

  async getPeer(gatewayId: string, name: string): Promise<PeerRecord | undefined> {
    const item = await this.get(keys.peer(gatewayId, name));
    return item && toPeerRecord(item);
  }

  async updatePeerEndpoint(
    gatewayId: string,
    peerName: string,
    endpoint: string,
  ): Promise<number | undefined> {
    return this.retrying('updatePeerEndpoint', async () => {
      const peerKey = keys.peer(gatewayId, peerName);
      const [gateway, peer] = await Promise.all([this.get(keys.gateway(gatewayId)), this.get(peerKey)]);
      if (!gateway || !peer) return undefined;
      const current = Number(gateway.desiredGeneration);
      if (peer.endpoint === endpoint) return current;
      const reasons = await this.transact([
        {
          Update: {
            TableName: this.tableName,
            Key: peerKey,
            UpdateExpression: 'SET endpoint = :endpoint',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeValues: { ':endpoint': endpoint },
          },
        },
        this.nextGeneration(gatewayId, current),
      ]);
      // A failed condition: the peer or gateway went, or the generation moved; re-read and decide again.
      return reasons ? AGAIN : current + 1;
    });
  }

  async bumpGeneration(gatewayId: string): Promise<number | undefined> {
    const attributes = await this.updateIfMatches({
      Key: keys.gateway(gatewayId),
      UpdateExpression: 'ADD desiredGeneration :one',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: { ':one': 1 },
      ReturnValues: 'UPDATED_NEW',
    });
    return attributes && Number(attributes.desiredGeneration);
  }

  async addRoadWarrior(input: NewRoadWarrior): Promise<PeerRecord> {
    // The caller's record is trusted for its immutable fields only; the commit's conditions
    // enforce the counters, and a cancelled commit returns them (refreshedGateway).
    let gateway: GatewayView = input.gateway
      ? { ...input.gateway, capacity: capacityOf(input.gateway) }
      : await this.requireGateway(input.gatewayId);
    let reservation: Reservation | undefined;
    let misses = 0;
    try {
      return await this.retrying('addRoadWarrior', async () => {
        if (!reservation) {
          if (misses >= RANDOM_MISSES_BEFORE_SCAN && gateway.allocatedCount === undefined) {
            // Crowded subnet: read the real count once, so a full one fails fast.
            gateway = await this.requireGateway(input.gatewayId);
          }
          assertRoom(gateway);
          const candidate = await this.pickAddress(gateway, misses);
          reservation = await this.reserve(input.gatewayId, input.name, candidate);
          if (!reservation) {
            misses += 1;
            return AGAIN;
          }
        }
        const peer = roadWarriorPeer(input, reservation.tunnelIp);
        const reasons = await this.transact([
          this.putItem(peerItem(peer), 'attribute_not_exists(pk)'),
          this.allocateOnGateway(gateway, 'increment'),
        ]);
        if (!reasons) return peer;
        const [peerReason, gatewayReason] = reasons;
        if (failedCondition(peerReason)) throw new ConflictError('PEER_EXISTS');
        gateway = refreshedGateway(gateway, gatewayReason);
        assertRoom(gateway);
        // Contention only: the reservation is still ours, the next attempt commits it again.
        return AGAIN;
      });
    } catch (error) {
      if (reservation) await this.cancelReservation(input.gatewayId, input.name, reservation);
      throw error;
    }
  }

  async removeRoadWarrior(gatewayId: string, name: string): Promise<PeerRecord | undefined> {
    return this.retrying('removeRoadWarrior', async () => {
      const peer = await this.getPeer(gatewayId, name);
      if (!peer) return undefined;
      if (peer.type !== 'road-warrior') {
        throw new ValidationError('is a vpc-peering peer: delete its peering instead', 'name');
      }
      const gatewayExists = (await this.get(keys.gateway(gatewayId))) !== undefined;
      const reasons = await this.transact([
        this.deleteItem(keys.peer(gatewayId, name), 'attribute_exists(pk)'),
        this.deleteItem(keys.allocation(gatewayId, peer.tunnelIp), 'holder = :holder', { ':holder': name }),
        ...(gatewayExists ? [this.releaseOnGateway(gatewayId, 'increment')] : []),
      ]);
      return reasons ? AGAIN : peer;
    });
  }

  async purgeGatewayResidue(gatewayId: string): Promise<void> {
    const partition = keys.gatewayPartition(gatewayId);
    const residue = (await this.queryPartition(partition)).filter((item) => item.sk !== SK.meta);
    await this.batchDelete(residue.map((item) => ({ pk: partition, sk: String(item.sk) })));
  }

  // ---- peerings -------------------------------------------------------------------------------

  async createPeering(input: NewPeering): Promise<Peering> {
    const existing = await this.getPeering(input.id);
    if (existing) return existing;
    if (input.sides[0].gatewayId === input.sides[1].gatewayId) {
      throw new ValidationError('a peering needs two different gateways', 'remoteGatewayId');
    }
    let gateways = await Promise.all(input.sides.map((side) => this.requireGateway(side.gatewayId)));
    const misses = [0, 0];
    return this.retrying('createPeering', async () => {
      // Checked on every attempt: a cancelled attempt refreshes the gateways it saw.
      for (const gateway of gateways) assertActiveWithRoom(gateway);
      const tunnelIps = await Promise.all(
        gateways.map((gateway, i) => this.pickAddress(gateway, misses[i] ?? 0)),
      );
      const peering = newPeering(input, gateways, tunnelIps);
      const reasons = await this.transact([
        this.putItem(peeringItem(peering), 'attribute_not_exists(pk)'),
        this.putItem(
          {
            ...keys.pairLock(input.sides[0].gatewayId, input.sides[1].gatewayId),
            entity: 'pairLock',
            peeringId: input.id,
          },
          'attribute_not_exists(pk)',
        ),
        ...input.sides.map((side, i) =>
          this.putItem(peerItem(newPeeringPeer(input, side, tunnelIps[i] ?? '')), 'attribute_not_exists(pk)'),
        ),
        ...input.sides.map((side, i) =>
          this.putItem(
            allocationItem(side.gatewayId, tunnelIps[i] ?? '', side.peer.name),
            'attribute_not_exists(pk)',
          ),
        ),
        ...gateways.map((gateway) => this.allocateOnGateway(gateway, 'compare-and-set')),
        // The routed-prefix check binds here: only to the blocks this peering adds prefixes to.
        ...input.sides.flatMap((side) =>
          claimRouteBlocks(
            this.tableName,
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
        allocationA,
        allocationB,
        gatewayA,
        gatewayB,
        ...blocks
      ] = reasons;
      if (failedCondition(peeringReason)) return (await this.getPeering(input.id)) ?? AGAIN;
      if (failedCondition(lockReason)) throw new ConflictError('PEERING_ALREADY_EXISTS');
      if (failedCondition(peerA) || failedCondition(peerB)) throw new ConflictError('PEER_EXISTS');
      if (blocks.some(failedCondition)) {
        throw new ChecksOutdatedError(`A route block of peering ${input.id} changed since it was checked`);
      }
      // A gateway's generation moved (another peer, a road-warrior): contention, not a reason to
      // check again; the next attempt sets the generation from the value the refusal returned.
      gateways = gateways.map((gateway, i) => refreshedGateway(gateway, [gatewayA, gatewayB][i]));
      [allocationA, allocationB].forEach((reason, i) => {
        if (failedCondition(reason)) misses[i] = (misses[i] ?? 0) + 1;
      });
      return AGAIN;
    });
  }

  async getPeering(id: string): Promise<Peering | undefined> {
    const item = await this.get(keys.peering(id));
    return item && toPeering(item);
  }

  async pagePeerings(filter: PeeringFilter, page: PageRequest): Promise<Page<Peering>> {
    const result = await this.sealed(page, (after) =>
      this.lists.pageIndexed(
        peeringList(filter.ownerId),
        { limit: page.limit, after },
        (item) => filter.status === undefined || item.status === filter.status,
      ),
    );
    return { ...result, items: result.items.map(toPeering) };
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
    for (const side of peering.sides) await this.releaseAddress(side.gatewayId, side.tunnelIp, side.peerName);
    const [a, b] = peering.gatewayIds;
    await this.deleteIfMatches(keys.pairLock(a, b), 'peeringId = :id', { ':id': id });
    if (options.deleteRecord) await this.deleteIfMatches(keys.peering(id), 'attribute_exists(pk)', {});
  }

  // ---- status reports and idempotency ------------------------------------------------------------

  /**
   * Monotonic: pushes finish out of order, and an older generation must never replace a newer one;
   * the same generation reported again (a retried push, a periodic report) keeps its first
   * `appliedAt`. A small item of its own, so recording a delta push costs one write unit whatever
   * the peer count.
   */
  async recordApplied(applied: AppliedGeneration): Promise<void> {
    await this.putIfNewer(appliedItem(applied), 'appliedGeneration < :generation', {
      ':generation': applied.appliedGeneration,
    });
  }

  async getAppliedGeneration(gatewayId: string): Promise<AppliedGeneration | undefined> {
    const item = await this.get(keys.applied(gatewayId));
    return item && toAppliedGeneration(item);
  }

  /**
   * Monotonic too: by the generation the peers were listed at, then by time (a periodic report and
   * a push's report of the same generation may be stored out of order).
   */
  async putStatusReport(report: GatewayStatusReport): Promise<void> {
    await this.putIfNewer(
      statusItem(report),
      'appliedGeneration < :generation OR (appliedGeneration = :generation AND reportedAt <= :reportedAt)',
      { ':generation': report.appliedGeneration, ':reportedAt': report.reportedAt },
    );
  }

  async getStatusReport(gatewayId: string): Promise<GatewayStatusReport | undefined> {
    const item = await this.get(keys.status(gatewayId));
    return item && toStatusReport(item);
  }

  /** Puts `item` unless a stored one fails `newer` (then the stored one stays, silently). */
  private async putIfNewer(
    item: Record<string, unknown>,
    newer: string,
    values: Record<string, unknown>,
  ): Promise<void> {
    try {
      await this.put(item, `attribute_not_exists(pk) OR ${newer}`, values);
    } catch (error) {
      if (!isConditionalCheckFailure(error)) throw error;
    }
  }

  async claimIdempotencyKey(record: IdempotencyRecord): Promise<IdempotencyRecord | undefined> {
    const now = epochSeconds(this.clock());
    const item = {
      ...keys.idempotency(record.key),
      entity: 'idempotency',
      key: record.key,
      requestHash: record.requestHash,
      response: record.response,
      createdAt: record.createdAt,
      expiresAt: now + IDEMPOTENCY_TTL_SECONDS,
    };
    try {
      // TTL deletes lazily: an expired record still present may be claimed again.
      await this.put(item, 'attribute_not_exists(pk) OR expiresAt < :now', { ':now': now });
      return undefined;
    } catch (error) {
      if (!isConditionalCheckFailure(error)) throw error;
    }
    const existing = await this.get(keys.idempotency(record.key));
    if (!existing) throw new TransientError(`Idempotency key ${record.key} vanished while being claimed`);
    const { key, requestHash, response, createdAt } = existing as unknown as IdempotencyRecord;
    return response ? { key, requestHash, response, createdAt } : { key, requestHash, createdAt };
  }

  async completeIdempotencyKey(
    key: string,
    response: NonNullable<IdempotencyRecord['response']>,
  ): Promise<void> {
    await this.run(() =>
      this.client.send(
        new UpdateCommand({
          ...TOTAL,
          TableName: this.tableName,
          Key: keys.idempotency(key),
          UpdateExpression: 'SET #response = :response',
          ExpressionAttributeNames: { '#response': 'response' },
          ExpressionAttributeValues: { ':response': response },
        }),
      ),
    );
  }

  // ---- allocation -----------------------------------------------------------------------------

  /** A candidate address: random while collisions are rare, else a gap read from the table. */
  private async pickAddress(gateway: GatewayView, misses: number): Promise<string> {
    const space = spaceOf(gateway);
    if (misses >= RANDOM_MISSES_BEFORE_SCAN) {
      const gap = await this.findGap(gateway.id, space);
      if (gap !== undefined) return gap;
    }
    return space.candidate(this.random);
  }

  /**
   * One page of allocations from a random offset (and one from the start if that page ran off the
   * end). A page without a gap frees its stale orphan reservations; a window that covered the whole
   * space and found nothing free is TUNNEL_SUBNET_EXHAUSTED (fresh reservations count as taken).
   */
  private async findGap(gatewayId: string, space: TunnelAddressSpace): Promise<string | undefined> {
    const offset = Math.floor(this.random() * space.capacity);
    for (const from of offset === 0 ? [0] : [offset, 0]) {
      const page = await this.run(() =>
        this.client.send(
          new QueryCommand({
            ...TOTAL,
            TableName: this.tableName,
            KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
            ExpressionAttributeValues: {
              ':pk': keys.gatewayPartition(gatewayId),
              ':from': allocationSortKey(space.addressAt(from)),
              ':to': allocationSortKey(space.addressAt(space.capacity - 1)),
            },
            ProjectionExpression: 'sk, holder, reservedAt',
            ConsistentRead: true,
            Limit: GAP_SCAN_PAGE,
          }),
        ),
      );
      const holds = (page.Items ?? []).map(toAddressHold);
      const taken = holds.map((hold) => space.indexOf(hold.tunnelIp)).filter((index) => index >= 0);
      const reachedEnd = page.LastEvaluatedKey === undefined;
      const free = firstFreeIndex(from, taken, reachedEnd, space.capacity);
      if (free !== undefined) return space.addressAt(free);
      const reclaimed = await this.reclaimOrphans(gatewayId, holds);
      if (reclaimed !== undefined) return reclaimed;
      if (!reachedEnd) return undefined;
    }
    throw new ConflictError('TUNNEL_SUBNET_EXHAUSTED');
  }

  /**
   * Claims `tunnelIp` for `holder` with a plain conditional Put (1 WCU). A collision with a stale
   * orphan reclaims it and tries once more; undefined when the address stays someone else's.
   */
  private async reserve(
    gatewayId: string,
    holder: string,
    tunnelIp: string,
  ): Promise<Reservation | undefined> {
    const reservation: Reservation = { tunnelIp, reservedAt: this.clock().toISOString() };
    const existing = await this.putReservation(gatewayId, holder, reservation);
    if (!existing) return reservation;
    if (!(await this.reclaimIfOrphan(gatewayId, existing))) return undefined;
    return (await this.putReservation(gatewayId, holder, reservation)) ? undefined : reservation;
  }

  /** Undefined when written; the hold it collided with otherwise (ALL_OLD, no extra read). */
  private async putReservation(
    gatewayId: string,
    holder: string,
    reservation: Reservation,
  ): Promise<AddressHold | undefined> {
    try {
      await this.run(() =>
        this.client.send(
          new PutCommand({
            ...TOTAL,
            TableName: this.tableName,
            Item: reservationItem(gatewayId, reservation.tunnelIp, holder, reservation.reservedAt),
            ConditionExpression: 'attribute_not_exists(pk)',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        ),
      );
      return undefined;
    } catch (error) {
      if (!isConditionalCheckFailure(error)) throw error;
      const item = (error as { Item?: Record<string, AttributeValue> }).Item;
      return {
        tunnelIp: reservation.tunnelIp,
        holder: stringAttribute(item, 'holder') ?? '',
        reservedAt: stringAttribute(item, 'reservedAt'),
      };
    }
  }

  /** Reclaims the stale orphans among `holds` (in parallel); the first freed address, if any. */
  private async reclaimOrphans(gatewayId: string, holds: AddressHold[]): Promise<string | undefined> {
    const stale = holds.filter((hold) => this.isStale(hold));
    const reclaimed = await Promise.all(stale.map((hold) => this.reclaimIfOrphan(gatewayId, hold)));
    return stale.find((_, i) => reclaimed[i])?.tunnelIp;
  }

  /**
   * A reservation older than the grace period can no longer be committed by its owner. If its
   * holder's road-warrior entry holds the address, the commit happened: the lease is dropped
   * (never looked at again). Otherwise it is an orphan and is deleted. Both writes are conditional
   * on the hold being unchanged, so concurrent reclaimers cannot free anyone else's address.
   */
  private async reclaimIfOrphan(gatewayId: string, hold: AddressHold): Promise<boolean> {
    if (!this.isStale(hold)) return false;
    const key = keys.allocation(gatewayId, hold.tunnelIp);
    const unchanged = 'holder = :holder AND reservedAt = :reservedAt';
    const values = { ':holder': hold.holder, ':reservedAt': hold.reservedAt };
    const peer = await this.get(keys.peer(gatewayId, hold.holder));
    if (peer?.type === 'road-warrior' && peer.tunnelIp === hold.tunnelIp) {
      await this.updateIfMatches({
        Key: key,
        UpdateExpression: 'REMOVE reservedAt',
        ConditionExpression: unchanged,
        ExpressionAttributeValues: values,
      });
      return false;
    }
    await this.deleteIfMatches(key, unchanged, values);
    return true;
  }

  private isStale(hold: AddressHold): boolean {
    return (
      hold.reservedAt !== undefined &&
      this.clock().getTime() - Date.parse(hold.reservedAt) > RESERVATION_GRACE_MS
    );
  }

  /**
   * Frees the reservation of a commit that failed. The peer check keeps it when the commit did go
   * through after all (an ambiguous failure, e.g. a timeout): then the address is the peer's. Best
   * effort: a reservation left behind is reclaimed once its lease is stale.
   */
  private async cancelReservation(
    gatewayId: string,
    holder: string,
    reservation: Reservation,
  ): Promise<void> {
    try {
      await this.transact([
        this.deleteItem(
          keys.allocation(gatewayId, reservation.tunnelIp),
          'holder = :holder AND reservedAt = :reservedAt',
          { ':holder': holder, ':reservedAt': reservation.reservedAt },
        ),
        {
          ConditionCheck: {
            TableName: this.tableName,
            Key: keys.peer(gatewayId, holder),
            ConditionExpression: 'attribute_not_exists(pk) OR tunnelIp <> :tunnelIp',
            ExpressionAttributeValues: { ':tunnelIp': reservation.tunnelIp },
          },
        },
      ]);
    } catch {
      // The caller's error matters more; the lease reclaims what is left.
    }
  }

  /** The gateway side of an allocation: count + 1 under the capacity, generation + 1. */
  private allocateOnGateway(gateway: GatewayView, generation: 'increment' | 'compare-and-set'): TransactItem {
    const exact = generation === 'compare-and-set';
    return {
      Update: {
        TableName: this.tableName,
        Key: keys.gateway(gateway.id),
        UpdateExpression: exact
          ? 'SET desiredGeneration = :next, allocatedCount = allocatedCount + :one'
          : 'ADD desiredGeneration :one, allocatedCount :one',
        // `capacity` and `status` are reserved words, hence the names.
        ConditionExpression: `attribute_exists(pk) AND allocatedCount < #capacity${
          exact ? ' AND #status = :active AND desiredGeneration = :current' : ''
        }`,
        ExpressionAttributeNames: { '#capacity': 'capacity', ...(exact ? { '#status': 'status' } : {}) },
        ExpressionAttributeValues: {
          ':one': 1,
          ...(exact
            ? {
                ':active': 'ACTIVE',
                ':current': gateway.desiredGeneration,
                ':next': gateway.desiredGeneration + 1,
              }
            : {}),
        },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    };
  }

  /** The gateway side of a release: count - 1, and generation + 1 when a peer left with it. */
  private releaseOnGateway(gatewayId: string, generation: 'increment' | 'unchanged'): TransactItem {
    return {
      Update: {
        TableName: this.tableName,
        Key: keys.gateway(gatewayId),
        UpdateExpression:
          generation === 'increment'
            ? 'ADD desiredGeneration :one, allocatedCount :minus'
            : 'ADD allocatedCount :minus',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':minus': -1, ...(generation === 'increment' ? { ':one': 1 } : {}) },
      },
    };
  }

  /**
   * desiredGeneration `current` → `current + 1` as a compare-and-set, for changes that report the
   * generation first holding them (a concurrent bump cancels the transaction instead).
   */
  private nextGeneration(gatewayId: string, current: number): TransactItem {
    return {
      Update: {
        TableName: this.tableName,
        Key: keys.gateway(gatewayId),
        UpdateExpression: 'SET desiredGeneration = :next',
        ConditionExpression: 'attribute_exists(pk) AND desiredGeneration = :current',
        ExpressionAttributeValues: { ':current': current, ':next': current + 1 },
      },
    };
  }

  private async releaseAddress(gatewayId: string, tunnelIp: string, holder: string): Promise<void> {
    await this.retrying('releaseAddress', async () => {
      const allocation = await this.get(keys.allocation(gatewayId, tunnelIp));
      if (allocation?.holder !== holder) return undefined;
      const gatewayExists = (await this.get(keys.gateway(gatewayId))) !== undefined;
      const reasons = await this.transact([
        this.deleteItem(keys.allocation(gatewayId, tunnelIp), 'holder = :holder', { ':holder': holder }),
        ...(gatewayExists ? [this.releaseOnGateway(gatewayId, 'unchanged')] : []),
      ]);
      return reasons ? AGAIN : undefined;
    });
  }

  /** Removes one side's peer entry; the new generation, or undefined when the gateway is gone. */
  private async detachSide(side: PeeringSide): Promise<number | undefined> {
    return this.retrying('detachPeering', async () => {
      const gateway = await this.get(keys.gateway(side.gatewayId));
      const peerKey = keys.peer(side.gatewayId, side.peerName);
      const peer = await this.get(peerKey);
      const { peeringId, allowedIps } = peer ? toPeerRecord(peer) : { peeringId: undefined, allowedIps: [] };
      const releases = peeringId
        ? releaseRouteBlocks(this.tableName, side.gatewayId, peeringId, allowedIps)
        : [];
      if (!gateway) {
        // Only blocks still there: the residue purge may have run, and must not get items back.
        for (const release of releases) {
          if (release.Update)
            await this.updateIfMatches({ ...release.Update, ConditionExpression: 'attribute_exists(pk)' });
        }
        await this.deleteIfMatches(peerKey, 'attribute_exists(pk)', {});
        return undefined;
      }
      const current = Number(gateway.desiredGeneration);
      if (!peer) return current;
      const reasons = await this.transact([
        this.deleteItem(peerKey, 'attribute_exists(pk)'),
        this.nextGeneration(side.gatewayId, current),
        ...releases,
      ]);
      return reasons ? AGAIN : current + 1;
    });
  }

  // ---- plumbing -------------------------------------------------------------------------------

  /** Reads the gateway item with its counters; GatewayGoneError when absent. */
  private async requireGateway(id: string): Promise<GatewayItem> {
    const item = await this.get(keys.gateway(id));
    if (!item) throw new GatewayGoneError(id);
    return item as unknown as GatewayItem;
  }

  private async updatePeering(
    id: string,
    update: string,
    condition: string,
    values: Record<string, unknown>,
  ): Promise<Peering | undefined> {
    try {
      const output = await this.run(() =>
        this.client.send(
          new UpdateCommand({
            ...TOTAL,
            TableName: this.tableName,
            Key: keys.peering(id),
            UpdateExpression: update,
            ConditionExpression: `attribute_exists(pk) AND ${condition}`,
            ExpressionAttributeNames: update.includes('#status') ? { '#status': 'status' } : undefined,
            ExpressionAttributeValues: { ...values, ':now': this.clock().toISOString() },
            ReturnValues: 'ALL_NEW',
          }),
        ),
      );
      return output.Attributes && toPeering(output.Attributes);
    } catch (error) {
      if (isConditionalCheckFailure(error)) return undefined;
      throw error;
    }
  }

  /**
   * Runs `step` until it returns something other than AGAIN, backing off after transient
   * failures; TransientError once the attempts are spent (the caller's retry policy takes over).
   */
  private async retrying<T>(label: string, step: () => Promise<T | typeof AGAIN>): Promise<T> {
    for (let attempt = 0; attempt < this.maxAttempts; attempt++) {
      try {
        const result = await step();
        if (result !== AGAIN) return result;
      } catch (error) {
        if (!(error instanceof TransientError)) throw error;
        await sleep(Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt) * this.random());
      }
    }
    throw new TransientError(`${label}: gave up after ${this.maxAttempts} attempts`);
  }

  /** Runs a transaction; undefined when it committed, its CancellationReasons when a condition failed. */
  private async transact(items: TransactItem[]): Promise<CancellationReason[] | undefined> {
    try {
      await this.run(() => this.client.send(new TransactWriteCommand({ ...TOTAL, TransactItems: items })));
      return undefined;
    } catch (error) {
      const reasons = cancellationReasons(error);
      if (reasons) return reasons;
      throw error;
    }
  }

  private putItem(item: Item, condition: string): TransactItem {
    return { Put: { TableName: this.tableName, Item: item, ConditionExpression: condition } };
  }

  private deleteItem(key: Key, condition: string, values?: Record<string, unknown>): TransactItem {
    return {
      Delete: {
        TableName: this.tableName,
        Key: key,
        ConditionExpression: condition,
        ExpressionAttributeValues: values,
      },
    };
  }

  private async get(key: Key): Promise<Item | undefined> {
    const output = await this.run(() =>
      this.client.send(
        new GetCommand({ ...TOTAL, TableName: this.tableName, Key: key, ConsistentRead: true }),
      ),
    );
    return output.Item;
  }

  private async put(item: object, condition?: string, values?: Record<string, unknown>): Promise<void> {
    await this.run(() =>
      this.client.send(
        new PutCommand({
          ...TOTAL,
          TableName: this.tableName,
          Item: item as Item,
          ConditionExpression: condition,
          ExpressionAttributeValues: values,
        }),
      ),
    );
  }

  /**
   * A conditional update: the attributes `ReturnValues` asks for (an empty object when it asks for
   * none), or undefined when the condition was not met.
   */
  private async updateIfMatches(update: Omit<UpdateCommandInput, 'TableName'>): Promise<Item | undefined> {
    try {
      const output = await this.run(() =>
        this.client.send(new UpdateCommand({ ...TOTAL, TableName: this.tableName, ...update })),
      );
      return output.Attributes ?? {};
    } catch (error) {
      if (isConditionalCheckFailure(error)) return undefined;
      throw error;
    }
  }

  /** Conditional delete that treats "condition not met" as already done. */
  private async deleteIfMatches(key: Key, condition: string, values: Record<string, unknown>): Promise<void> {
    try {
      await this.run(() =>
        this.client.send(
          new DeleteCommand({
            ...TOTAL,
            TableName: this.tableName,
            Key: key,
            ConditionExpression: condition,
            ExpressionAttributeValues: Object.keys(values).length > 0 ? values : undefined,
          }),
        ),
      );
    } catch (error) {
      if (!isConditionalCheckFailure(error)) throw error;
    }
  }

  private async batchDelete(itemKeys: Key[]): Promise<void> {
    for (let start = 0; start < itemKeys.length; start += BATCH_WRITE_LIMIT) {
      let requests = itemKeys
        .slice(start, start + BATCH_WRITE_LIMIT)
        .map((Key) => ({ DeleteRequest: { Key } }));
      await this.retrying('purgeGatewayResidue', async () => {
        const output = await this.run(() =>
          this.client.send(new BatchWriteCommand({ ...TOTAL, RequestItems: { [this.tableName]: requests } })),
        );
        const unprocessed = output.UnprocessedItems?.[this.tableName] ?? [];
        if (unprocessed.length === 0) return undefined;
        requests = unprocessed as typeof requests;
        throw new TransientError('BatchWriteItem left unprocessed items');
      });
    }
  }

  /** Items of a partition, optionally only those whose sort key starts with `skPrefix`. */
  private queryPartition(pk: string, skPrefix?: string): Promise<Item[]> {
    return this.collect((ExclusiveStartKey) =>
      this.client.send(
        new QueryCommand({
          ...TOTAL,
          TableName: this.tableName,
          KeyConditionExpression: skPrefix ? 'pk = :pk AND begins_with(sk, :prefix)' : 'pk = :pk',
          ExpressionAttributeValues: skPrefix ? { ':pk': pk, ':prefix': skPrefix } : { ':pk': pk },
          ConsistentRead: true,
          ExclusiveStartKey,
        } satisfies QueryCommandInput),
      ),
    );
  }

  /** Items by key (strongly consistent), in no particular order; items gone meanwhile are skipped. */
  private async batchGet(itemKeys: Key[]): Promise<Item[]> {
    const items: Item[] = [];
    for (let start = 0; start < itemKeys.length; start += BATCH_GET_LIMIT) {
      let pending = itemKeys.slice(start, start + BATCH_GET_LIMIT);
      await this.retrying('batchGet', async () => {
        const output = await this.run(() =>
          this.client.send(
            new BatchGetCommand({
              ...TOTAL,
              RequestItems: { [this.tableName]: { Keys: pending, ConsistentRead: true } },
            }),
          ),
        );
        items.push(...(output.Responses?.[this.tableName] ?? []));
        const unprocessed = output.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
        if (unprocessed.length === 0) return undefined;
        pending = unprocessed as Key[];
        throw new TransientError('BatchGetItem left unprocessed keys');
      });
    }
    return items;
  }

  private async collect(
    page: (start: Item | undefined) => Promise<{ Items?: Item[]; LastEvaluatedKey?: Item } & Metered>,
  ): Promise<Item[]> {
    const items: Item[] = [];
    let start: Item | undefined;
    do {
      const output = await this.run(() => page(start));
      items.push(...(output.Items ?? []));
      start = output.LastEvaluatedKey;
    } while (start);
    return items;
  }

  /** Every SDK call goes through here: capacity metering and typed errors. */
  private run<T extends Metered>(call: () => Promise<T>): Promise<T> {
    return metered(call, this.onConsumedCapacity);
  }
}

/** A gateway as an allocator sees it; `allocatedCount` undefined until read (the commit checks it). */
type GatewayView = GatewayRecord & Pick<GatewayCounters, 'capacity'> & Partial<GatewayCounters>;

/** An address this call has claimed but not yet committed. */
interface Reservation {
  tunnelIp: string;
  reservedAt: string;
}

/** Who holds an address item; `reservedAt` only on reservations written by addRoadWarrior. */
interface AddressHold {
  tunnelIp: string;
  holder: string;
  reservedAt?: string;
}

const toAddressHold = (item: Item): AddressHold => ({
  tunnelIp: addressOfAllocationSortKey(String(item.sk)),
  holder: String(item.holder),
  reservedAt: typeof item.reservedAt === 'string' ? item.reservedAt : undefined,
});

function capacityOf(gateway: Pick<GatewayRecord, 'tunnelSubnet' | 'tunnelIp'>): number {
  return tunnelAddressSpace(gateway.tunnelSubnet, gateway.tunnelIp).capacity;
}

const spaceOf = (gateway: GatewayView): TunnelAddressSpace =>
  tunnelAddressSpace(gateway.tunnelSubnet, gateway.tunnelIp);

function assertRoom(gateway: GatewayView): void {
  if ((gateway.allocatedCount ?? 0) >= gateway.capacity) throw new ConflictError('TUNNEL_SUBNET_EXHAUSTED');
}

function assertActiveWithRoom(gateway: GatewayItem): void {
  if (gateway.status !== 'ACTIVE') throw new ConflictError('GATEWAY_NOT_ACTIVE');
  assertRoom(gateway);
}

/**
 * The gateway as a cancelled transaction saw it (ALL_OLD in the reason), or unchanged when its
 * condition held. No item: it was deleted meanwhile.
 */
function refreshedGateway<G extends GatewayView>(gateway: G, reason: CancellationReason | undefined): G {
  if (!failedCondition(reason)) return gateway;
  const item: Record<string, AttributeValue> | undefined = reason?.Item;
  if (!item) throw new GatewayGoneError(gateway.id);
  return {
    ...gateway,
    status: (stringAttribute(item, 'status') ?? gateway.status) as GatewayItem['status'],
    desiredGeneration: numberAttribute(item, 'desiredGeneration') ?? gateway.desiredGeneration,
    allocatedCount: numberAttribute(item, 'allocatedCount') ?? gateway.allocatedCount,
    capacity: numberAttribute(item, 'capacity') ?? gateway.capacity,
  };
}

function roadWarriorPeer(input: NewRoadWarrior, tunnelIp: string): PeerRecord {
  return {
    gatewayId: input.gatewayId,
    name: input.name,
    type: 'road-warrior',
    publicKey: input.publicKey,
    tunnelIp,
    allowedIps: [`${tunnelIp}/32`],
    endpoint: null,
    presharedKeyParam: null,
    privateKeyParam: input.privateKeyParam,
    createdAt: input.createdAt,
  };
}

function newPeering(input: NewPeering, gateways: GatewayItem[], tunnelIps: string[]): Peering {
  const side = (i: 0 | 1): PeeringSide => ({
    gatewayId: input.sides[i].gatewayId,
    peerName: input.sides[i].peer.name,
    tunnelIp: tunnelIps[i] ?? '',
    applied: false,
    // The compare-and-set in allocateOnGateway makes this exactly the generation with the peer.
    generation: (gateways[i]?.desiredGeneration ?? 0) + 1,
  });
  return {
    id: input.id,
    ownerId: input.ownerId,
    gatewayIds: [input.sides[0].gatewayId, input.sides[1].gatewayId],
    status: 'PROVISIONING',
    statusReason: null,
    createdAt: input.createdAt,
    updatedAt: input.createdAt,
    sides: [side(0), side(1)],
  };
}

/** The peer entry written on side `i`'s gateway; it describes the other side. */
function newPeeringPeer(input: NewPeering, side: NewPeering['sides'][number], tunnelIp: string): PeerRecord {
  return {
    gatewayId: side.gatewayId,
    name: side.peer.name,
    type: 'vpc-peering',
    publicKey: side.peer.publicKey,
    tunnelIp,
    allowedIps: side.peer.allowedIps,
    endpoint: side.peer.endpoint,
    peeringId: input.id,
    remoteGatewayId: side.peer.remoteGatewayId,
    presharedKeyParam: input.presharedKeyParam,
    privateKeyParam: null,
    createdAt: input.createdAt,
  };
}

const epochSeconds = (date: Date): number => Math.floor(date.getTime() / 1000);

/** A gateway as registered: no allocation yet, the capacity its tunnel subnet gives. */
const newGatewayItem = (gateway: GatewayRecord): Item => ({
  ...gatewayItem(gateway, { allocatedCount: 0, capacity: capacityOf(gateway) }),
});

function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}
