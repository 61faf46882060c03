/**
 * The Repository port in memory: the same contract as the DynamoDB repository (test/contract runs
 * one suite against both), for use-case and API tests that need neither DynamoDB's concurrency,
 * nor its capacity figures, nor its stream; and for `VPG_STORAGE=memory`. This class only wires
 * the stores, as adapters/dynamodb/repository.ts does:
 *
 *   state.ts          the stored maps (MemoryState) and the stores' shared base and plumbing
 *   gateway-store.ts  gateways, tombstones, pending cascades, generations
 *   peer-store.ts     peer entries: road-warriors, route locks, key holders, residue
 *   peering-store.ts  peerings with both sides, addresses, pair and route locks
 *   status-store.ts   applied generation, sent push, push lease, status report
 *   bookkeeping.ts    instance locks, admissions, secret cleanups, sweep work, idempotency
 *
 * Lists page by keyset (id or name order) with tokens sealed as the DynamoDB ones are
 * (shared/sealed-tokens.ts), their key kept in the memory state.
 */
import type { Repository } from '../../app/ports';
import { SealedTokens } from '../../shared/sealed-tokens';
import { MemoryBookkeeping } from './bookkeeping';
import { MemoryGatewayStore } from './gateway-store';
import { MemoryPeerStore } from './peer-store';
import { MemoryPeeringStore } from './peering-store';
import { type MemoryContext, type MemoryRepositoryOptions, MemoryState } from './state';
import { MemoryStatusStore } from './status-store';

export { type MemoryRepositoryOptions, MemoryState } from './state';

export class MemoryRepository implements Repository {
  private readonly gateways: MemoryGatewayStore;
  private readonly peers: MemoryPeerStore;
  private readonly peerings: MemoryPeeringStore;
  private readonly status: MemoryStatusStore;
  private readonly bookkeeping: MemoryBookkeeping;

  constructor(
    options: MemoryRepositoryOptions = {},
    readonly state = new MemoryState(),
  ) {
    const clock = options.clock ?? (() => new Date());
    const context: MemoryContext = {
      state,
      clock,
      random: options.random ?? Math.random,
      onGatewayDeleted: options.onGatewayDeleted ?? (() => {}),
      tokens: new SealedTokens(clock, async () => state.pageTokenKey),
    };
    this.gateways = new MemoryGatewayStore(context);
    this.peers = new MemoryPeerStore(context);
    this.peerings = new MemoryPeeringStore(context);
    this.status = new MemoryStatusStore(context);
    this.bookkeeping = new MemoryBookkeeping(context);
  }

  createGateway: Repository['createGateway'] = (gateway) => this.gateways.createGateway(gateway);
  upsertGateway: Repository['upsertGateway'] = (gateway) => this.gateways.upsertGateway(gateway);
  getGateway: Repository['getGateway'] = (id) => this.gateways.getGateway(id);
  tunnelAddressesTaken: Repository['tunnelAddressesTaken'] = (gatewayId) =>
    this.gateways.tunnelAddressesTaken(gatewayId);
  pageGateways: Repository['pageGateways'] = (filter, page) => this.gateways.pageGateways(filter, page);
  deleteGateway: Repository['deleteGateway'] = (id, incarnation, deletingEventTime) =>
    this.gateways.deleteGateway(id, incarnation, deletingEventTime);
  beginGatewayCascade: Repository['beginGatewayCascade'] = (gatewayId, generation) =>
    this.gateways.beginGatewayCascade(gatewayId, generation);
  isGatewayCascadePending: Repository['isGatewayCascadePending'] = (gatewayId) =>
    this.gateways.isGatewayCascadePending(gatewayId);
  endGatewayCascade: Repository['endGatewayCascade'] = (gatewayId, generation) =>
    this.gateways.endGatewayCascade(gatewayId, generation);
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
  addRoadWarrior: Repository['addRoadWarrior'] = (input) => this.peers.addRoadWarrior(input);
  removeRoadWarrior: Repository['removeRoadWarrior'] = (gatewayId, name) =>
    this.peers.removeRoadWarrior(gatewayId, name);
  recordConfigDownload: Repository['recordConfigDownload'] = (gatewayId, name, download) =>
    this.peers.recordConfigDownload(gatewayId, name, download);
  purgeGatewayResidue: Repository['purgeGatewayResidue'] = (gatewayId) =>
    this.peers.purgeGatewayResidue(gatewayId);

  createPeering: Repository['createPeering'] = (input) => this.peerings.createPeering(input);
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
  takePushLease: Repository['takePushLease'] = (lease, now) => this.status.takePushLease(lease, now);
  getPushLease: Repository['getPushLease'] = (gatewayId) => this.status.getPushLease(gatewayId);
  recordPushLeaseCommand: Repository['recordPushLeaseCommand'] = (lease) =>
    this.status.recordPushLeaseCommand(lease);
  releasePushLease: Repository['releasePushLease'] = (gatewayId, holder) =>
    this.status.releasePushLease(gatewayId, holder);
  putStatusReport: Repository['putStatusReport'] = (report) => this.status.putStatusReport(report);
  putPeriodicReport: Repository['putPeriodicReport'] = (report) => this.status.putPeriodicReport(report);
  getStatusReport: Repository['getStatusReport'] = (gatewayId) => this.status.getStatusReport(gatewayId);
  forgetInstanceReports: Repository['forgetInstanceReports'] = (gatewayId) =>
    this.status.forgetInstanceReports(gatewayId);

  claimInstance: Repository['claimInstance'] = (instanceId, gatewayId) =>
    this.bookkeeping.claimInstance(instanceId, gatewayId);
  releaseInstance: Repository['releaseInstance'] = (instanceId, gatewayId) =>
    this.bookkeeping.releaseInstance(instanceId, gatewayId);
  getAdmissions: Repository['getAdmissions'] = (scope, kind) => this.bookkeeping.getAdmissions(scope, kind);
  putAdmissions: Repository['putAdmissions'] = (scope, kind, entries, expected) =>
    this.bookkeeping.putAdmissions(scope, kind, entries, expected);
  addAdmission: Repository['addAdmission'] = (scope, kind, id, atMs, room) =>
    this.bookkeeping.addAdmission(scope, kind, id, atMs, room);
  recordSecretCleanup: Repository['recordSecretCleanup'] = (cleanup) =>
    this.bookkeeping.recordSecretCleanup(cleanup);
  listSecretCleanups: Repository['listSecretCleanups'] = (before, limit) =>
    this.bookkeeping.listSecretCleanups(before, limit);
  clearSecretCleanup: Repository['clearSecretCleanup'] = (cleanup) =>
    this.bookkeeping.clearSecretCleanup(cleanup);
  findSweepWork: Repository['findSweepWork'] = (bounds) => this.bookkeeping.findSweepWork(bounds);
  backfillPeerKeys: Repository['backfillPeerKeys'] = () => this.bookkeeping.backfillPeerKeys();
  claimIdempotencyKey: Repository['claimIdempotencyKey'] = (record) =>
    this.bookkeeping.claimIdempotencyKey(record);
  retakeIdempotencyKey: Repository['retakeIdempotencyKey'] = (read, createdAt) =>
    this.bookkeeping.retakeIdempotencyKey(read, createdAt);
  completeIdempotencyKey: Repository['completeIdempotencyKey'] = (key, response) =>
    this.bookkeeping.completeIdempotencyKey(key, response);
}
