/**
 * The Repository port on one DynamoDB table (docs/ARCHITECTURE.md "Data model" and "Storage"):
 * one store per aggregate over a shared table layer and address allocator. This class only wires
 * them; each store's file says how it uses the table.
 *
 *   table.ts              get/put/update/delete, transactions, paging (metered.ts: capacity,
 *                         retry.ts and errors.ts: back-off and the SDK's errors mapped to ours)
 *   client.ts, index.ts   the clients, built once per module; the repository the handlers use
 *   schema.ts, items.ts   the table and its indexes; keys and item <-> record mapping
 *   allocator.ts          tunnel addresses: candidates, reservations, orphans, gateway counters
 *   gateway-store.ts      gateways, update leases, tombstones (their writes: gateway-tombstones.ts;
 *                         the desired generation's: gateway-generations.ts)
 *   peer-store.ts         peer entries: road-warriors, endpoints, residue (public-keys.ts: the
 *                         key items; peer-key-backfill.ts: the walk giving older entries theirs)
 *   peering-store.ts      peerings and their pair locks, both sides in one transaction
 *   status-store.ts       a gateway's applied generation, newest push sent and status report
 *   push-lease-store.ts   a gateway's push lease
 *   instance-locks.ts     one lock per instance: two gateways never claim one
 *   idempotency-store.ts  idempotency records
 *   list-queries.ts       keyset-paged reads of the byOwner and byEntity indexes and partitions
 *   page-tokens.ts        page tokens sealed with a key kept in the table
 *   route-blocks.ts       the route locks of the routed-prefix check
 *   owner-admissions.ts   admissions of a limit, per owner or per gateway, under concurrency
 *   secret-cleanups.ts    secret deletions the sweep retries
 *   sweep-work.ts         the sweep's Queries of the sparse bySweep index, a shard each: stalled
 *                         peerings, pending cascades, owed peer walks (sweep-backfill.ts: the
 *                         one-time bounded Scan that indexes older items)
 *
 * Each item's key and attributes: docs/ARCHITECTURE.md "Data model" (the one list of them).
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Repository } from '../../app/ports';
import { AddressAllocator } from './allocator';
import { DynamoGatewayStore } from './gateway-store';
import { DynamoIdempotencyStore } from './idempotency-store';
import { InstanceLocks } from './instance-locks';
import { ListQueries } from './list-queries';
import { OwnerAdmissions } from './owner-admissions';
import { PageTokens, type Paging } from './page-tokens';
import { backfillPeerKeys, SWEEP_BUDGET } from './peer-key-backfill';
import { DynamoPeerStore } from './peer-store';
import { DynamoPeeringStore } from './peering-store';
import { DynamoPushLeaseStore } from './push-lease-store';
import { SecretCleanups } from './secret-cleanups';
import { DynamoStatusStore } from './status-store';
import { findSweepWork } from './sweep-work';
import { Table, type TableOptions } from './table';

export interface DynamoRepositoryOptions extends TableOptions {
  /** Now: timestamps, idempotency expiry and the age of address reservations. */
  clock?: () => Date;
}

export class DynamoRepository implements Repository {
  readonly table: Table;
  readonly allocator: AddressAllocator;
  private readonly gateways: DynamoGatewayStore;
  private readonly peers: DynamoPeerStore;
  private readonly peerings: DynamoPeeringStore;
  private readonly status: DynamoStatusStore;
  private readonly pushLeases: DynamoPushLeaseStore;
  private readonly idempotency: DynamoIdempotencyStore;
  private readonly instanceLocks: InstanceLocks;
  private readonly admissions: OwnerAdmissions;
  private readonly secretCleanups: SecretCleanups;
  private readonly clock: () => Date;

  constructor(client: DynamoDBDocumentClient, tableName: string, options: DynamoRepositoryOptions = {}) {
    const clock = options.clock ?? (() => new Date());
    this.clock = clock;
    this.table = new Table(client, tableName, options);
    this.allocator = new AddressAllocator(this.table, clock);
    const table = this.table;
    const paging: Paging = {
      lists: new ListQueries({
        client,
        tableName,
        run: (call) => table.run(call),
        batchGet: (itemKeys) => table.batchGet(itemKeys),
      }),
      tokens: new PageTokens(client, tableName, clock, table.onConsumedCapacity),
    };
    this.gateways = new DynamoGatewayStore(this.table, clock, paging);
    this.peers = new DynamoPeerStore(this.table, this.allocator, paging);
    this.peerings = new DynamoPeeringStore(this.table, this.allocator, clock, paging);
    this.status = new DynamoStatusStore(this.table);
    this.pushLeases = new DynamoPushLeaseStore(this.table);
    this.idempotency = new DynamoIdempotencyStore(this.table, clock);
    this.instanceLocks = new InstanceLocks(client, tableName);
    this.admissions = new OwnerAdmissions(client, tableName);
    this.secretCleanups = new SecretCleanups(client, tableName);
  }

  get tableName(): string {
    return this.table.name;
  }

  createGateway: Repository['createGateway'] = (gateway) => this.gateways.createGateway(gateway);
  upsertGateway: Repository['upsertGateway'] = (gateway) => this.gateways.upsertGateway(gateway);
  getGateway: Repository['getGateway'] = (id) => this.gateways.getGateway(id);
  tunnelAddressesTaken: Repository['tunnelAddressesTaken'] = (gatewayId) =>
    this.gateways.tunnelAddressesTaken(gatewayId);
  pageGateways: Repository['pageGateways'] = (filter, page) => this.gateways.pageGateways(filter, page);
  deleteGateway: Repository['deleteGateway'] = (id, incarnation, deletingEventTime) =>
    this.gateways.deleteGateway(id, incarnation, deletingEventTime);
  settlePeerWalk: Repository['settlePeerWalk'] = (gatewayId, owedSince) =>
    this.gateways.settlePeerWalk(gatewayId, owedSince);
  settleMove: Repository['settleMove'] = (gatewayId, move) => this.gateways.settleMove(gatewayId, move);
  takeUpdateLease: Repository['takeUpdateLease'] = (gatewayId, holder, untilMs, nowMs) =>
    this.gateways.takeUpdateLease(gatewayId, holder, untilMs, nowMs);
  releaseUpdateLease: Repository['releaseUpdateLease'] = (gatewayId, holder) =>
    this.gateways.releaseUpdateLease(gatewayId, holder);
  deferPeerWalk: Repository['deferPeerWalk'] = (gatewayId, owedSince, until) =>
    this.gateways.deferPeerWalk(gatewayId, owedSince, until);
  bumpGeneration: Repository['bumpGeneration'] = (gatewayId) => this.gateways.bumpGeneration(gatewayId);
  raiseGeneration: Repository['raiseGeneration'] = (read, generation) =>
    this.gateways.raiseGeneration(read, generation);
  markClientConfigChanged: Repository['markClientConfigChanged'] = (gatewayId) =>
    this.gateways.markClientConfigChanged(gatewayId);
  beginGatewayCascade: Repository['beginGatewayCascade'] = (gatewayId, generation) =>
    this.gateways.beginGatewayCascade(gatewayId, generation);
  endGatewayCascade: Repository['endGatewayCascade'] = (gatewayId, generation) =>
    this.gateways.endGatewayCascade(gatewayId, generation);
  isGatewayCascadePending: Repository['isGatewayCascadePending'] = (gatewayId) =>
    this.gateways.isGatewayCascadePending(gatewayId);

  listPeers: Repository['listPeers'] = (gatewayId) => this.peers.listPeers(gatewayId);
  pagePeers: Repository['pagePeers'] = (gatewayId, page) => this.peers.pagePeers(gatewayId, page);
  listPeeringPeers: Repository['listPeeringPeers'] = (gatewayId) => this.peers.listPeeringPeers(gatewayId);
  peeringIdsUpTo: Repository['peeringIdsUpTo'] = (gatewayId, max) =>
    this.peers.peeringIdsUpTo(gatewayId, max);
  readRouteBlocks: Repository['readRouteBlocks'] = (requests) => this.peers.readRouteBlocks(requests);
  peeredWith: Repository['peeredWith'] = (gatewayId, otherIds) => this.peers.peeredWith(gatewayId, otherIds);
  getPeer: Repository['getPeer'] = (gatewayId, name) => this.peers.getPeer(gatewayId, name);
  updateRemotePeer: Repository['updateRemotePeer'] = (gatewayId, peerName, remote) =>
    this.peers.updateRemotePeer(gatewayId, peerName, remote);
  switchPresharedKey: Repository['switchPresharedKey'] = (...args) => this.peers.switchPresharedKey(...args);
  publicKeyHolders: Repository['publicKeyHolders'] = (publicKey, gatewayIds) =>
    this.peers.publicKeyHolders(publicKey, gatewayIds);
  addRoadWarrior: Repository['addRoadWarrior'] = (peer) => this.peers.addRoadWarrior(peer);
  removeRoadWarrior: Repository['removeRoadWarrior'] = (gatewayId, name) =>
    this.peers.removeRoadWarrior(gatewayId, name);
  recordConfigDownload: Repository['recordConfigDownload'] = (gatewayId, name, download) =>
    this.peers.recordConfigDownload(gatewayId, name, download);
  purgeGatewayResidue: Repository['purgeGatewayResidue'] = (gatewayId) =>
    this.peers.purgeGatewayResidue(gatewayId);

  createPeering: Repository['createPeering'] = (peering) => this.peerings.createPeering(peering);
  getPeering: Repository['getPeering'] = (id) => this.peerings.getPeering(id);
  pagePeerings: Repository['pagePeerings'] = (filter, page) => this.peerings.pagePeerings(filter, page);
  inFlightPeeringIds: Repository['inFlightPeeringIds'] = (ownerId, max) =>
    this.peerings.inFlightPeeringIds(ownerId, max);
  setPeeringStatus: Repository['setPeeringStatus'] = (id, status, reason, from) =>
    this.peerings.setPeeringStatus(id, status, reason, from);
  markSideApplied: Repository['markSideApplied'] = (id, gatewayId) =>
    this.peerings.markSideApplied(id, gatewayId);
  recordRedrive: Repository['recordRedrive'] = (id, claim) => this.peerings.recordRedrive(id, claim);
  detachPeering: Repository['detachPeering'] = (id) => this.peerings.detachPeering(id);
  releasePeering: Repository['releasePeering'] = (id, options) => this.peerings.releasePeering(id, options);
  markPeeringReleased: Repository['markPeeringReleased'] = (id) => this.peerings.markPeeringReleased(id);
  putCreateReceipt: Repository['putCreateReceipt'] = (receipt) => this.peerings.putCreateReceipt(receipt);
  getCreateReceipt: Repository['getCreateReceipt'] = (id) => this.peerings.getCreateReceipt(id);
  peeringDeleted: Repository['peeringDeleted'] = (id) => this.peerings.peeringDeleted(id);

  recordApplied: Repository['recordApplied'] = (applied) => this.status.recordApplied(applied);
  getAppliedGeneration: Repository['getAppliedGeneration'] = (gatewayId) =>
    this.status.getAppliedGeneration(gatewayId);
  recordPushSent: Repository['recordPushSent'] = (push) => this.status.recordPushSent(push);
  getPushSent: Repository['getPushSent'] = (gatewayId) => this.status.getPushSent(gatewayId);
  takePushLease: Repository['takePushLease'] = (lease, now) => this.pushLeases.takePushLease(lease, now);
  getPushLease: Repository['getPushLease'] = (gatewayId) => this.pushLeases.getPushLease(gatewayId);
  recordPushLeaseCommand: Repository['recordPushLeaseCommand'] = (lease) =>
    this.pushLeases.recordPushLeaseCommand(lease);
  releasePushLease: Repository['releasePushLease'] = (gatewayId, holder) =>
    this.pushLeases.releasePushLease(gatewayId, holder);
  putStatusReport: Repository['putStatusReport'] = (report) => this.status.putStatusReport(report);
  putPeriodicReport: Repository['putPeriodicReport'] = (report) => this.status.putPeriodicReport(report);
  getStatusReport: Repository['getStatusReport'] = (gatewayId) => this.status.getStatusReport(gatewayId);
  forgetInstanceReports: Repository['forgetInstanceReports'] = (gatewayId) =>
    this.status.forgetInstanceReports(gatewayId);

  claimIdempotencyKey: Repository['claimIdempotencyKey'] = (record) =>
    this.idempotency.claimIdempotencyKey(record);
  retakeIdempotencyKey: Repository['retakeIdempotencyKey'] = (read, createdAt) =>
    this.idempotency.retakeIdempotencyKey(read, createdAt);
  completeIdempotencyKey: Repository['completeIdempotencyKey'] = (key, response) =>
    this.idempotency.completeIdempotencyKey(key, response);

  claimInstance: Repository['claimInstance'] = (instanceId, gatewayId) =>
    this.instanceLocks.claim(instanceId, gatewayId);
  releaseInstance: Repository['releaseInstance'] = (instanceId, gatewayId) =>
    this.instanceLocks.release(instanceId, gatewayId);

  getAdmissions: Repository['getAdmissions'] = (scope, kind) => this.admissions.getAdmissions(scope, kind);
  putAdmissions: Repository['putAdmissions'] = (scope, kind, entries, expected) =>
    this.admissions.putAdmissions(scope, kind, entries, expected);
  addAdmission: Repository['addAdmission'] = (scope, kind, id, atMs, room) =>
    this.admissions.addAdmission(scope, kind, id, atMs, room);

  recordSecretCleanup: Repository['recordSecretCleanup'] = (cleanup) =>
    this.secretCleanups.recordSecretCleanup(cleanup);
  listSecretCleanups: Repository['listSecretCleanups'] = (before, limit) =>
    this.secretCleanups.listSecretCleanups(before, limit);
  clearSecretCleanup: Repository['clearSecretCleanup'] = (cleanup) =>
    this.secretCleanups.clearSecretCleanup(cleanup);

  findSweepWork: Repository['findSweepWork'] = (bounds) => findSweepWork(this.table, bounds, this.clock);
  backfillPeerKeys: Repository['backfillPeerKeys'] = (remainingMs) =>
    backfillPeerKeys(this.table, { ...SWEEP_BUDGET, remainingMs });
}
