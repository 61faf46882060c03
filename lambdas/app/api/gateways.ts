/** Gateway routes of docs/CONTRACT.md#resources: registry, detail, deletion, candidates, status. */
import { peeringCandidates } from '../../core/candidates';
import { remotePeerAllowedIps } from '../../core/checks';
import { ConflictError } from '../../core/errors';
import { generateKeyPair, publicKeyFromPrivateKey } from '../../core/keys';
import { PAGE_LIMIT_MAX, type Page, type QueryParameters } from '../../core/pagination';
import type { RegisterGatewayInput } from '../../core/schemas';
import {
  appliedPeerStatuses,
  documentPeers,
  listedPeerStatuses,
  reportedGeneration,
  reportFreshness,
} from '../../core/status';
import type { AppliedPeerStatus, Caller, Gateway, GatewayRecord, Peer } from '../../core/types';
import { GATEWAY_FIELDS, pickFields, toPublicGateway, toPublicPeer } from '../../core/views';
import { type UpdateLeaseDeps, underUpdateLease } from '../gateway-update-lease';
import type { ApiDeps, ApiTiming, OwnerLimits } from './context';
import { type IdDerivation, newGatewayId } from './ids';
import { admitGateway } from './limits';
import { candidateListPage, gatewayListQuery, peerListPage } from './lists';
import { visibleGateway } from './visibility';

/**
 * Admin only (the router checks). When no public key is given the pair is generated and the
 * private key kept in the secret store; the public key is then derived from what the store holds,
 * so a key left at that name by an earlier gateway of the same id can never mismatch.
 */
export async function registerGateway(
  d: Pick<ApiDeps, 'repository' | 'secrets' | 'clock'> & Pick<UpdateLeaseDeps, 'wait'>,
  caller: Caller,
  input: RegisterGatewayInput,
  derivation: IdDerivation | undefined,
  limits: OwnerLimits,
): Promise<Gateway> {
  const id = input.id ?? newGatewayId(caller.userId, derivation);
  // Under the gateway's update lease, as "VPN Gateway Updated" runs: a first update of the same id
  // at once would otherwise read no gateway, skip the check of its key against the pair generated
  // here, and replace the public key while this record keeps the private key's name (review s14b).
  return underUpdateLease(d, id, () => registerUnderLease(d, id, input, limits));
}

async function registerUnderLease(
  d: Pick<ApiDeps, 'repository' | 'secrets' | 'clock'>,
  id: string,
  input: RegisterGatewayInput,
  limits: OwnerLimits,
): Promise<Gateway> {
  // Checked before touching the secret store, so a refused id leaves no orphan key behind. A
  // pending cascade of the id's predecessor deletes the key at the id's name: the generated key
  // must not be written (nor the old one kept) before it ended, or the gateway would be created
  // with a key the cascade then deletes (createGateway refuses too, but only after the key).
  const stored = await d.repository.getGateway(id);
  if (stored && isThisRegistration(stored, input)) return toPublicGateway(stored);
  if (stored) throw new ConflictError('GATEWAY_EXISTS');
  if (await d.repository.isGatewayCascadePending(id)) throw new ConflictError('GATEWAY_BEING_DELETED');
  // One gateway per instance: a push must never reach another gateway's instance. Claimed before
  // the admission: a lock whose gateway never came is taken over by the next claim.
  await d.repository.claimInstance(input.instanceId, id);
  await admitGateway(d, input.ownerId, id, limits);
  const { publicKey, privateKeyParam } = input.publicKey
    ? { publicKey: input.publicKey, privateKeyParam: null }
    : await storeGeneratedKey(d, d.secrets.names.gatewayPrivateKey(id));
  const now = d.clock().toISOString();
  const record: GatewayRecord = {
    ...input,
    id,
    name: input.name ?? id,
    publicKey,
    desiredGeneration: 0,
    privateKeyParam,
    createdAt: now,
    updatedAt: now,
  };
  // No event time of its own: the control plane's clock is not the product's, and an event stamped
  // a second before it is no less this gateway's. createGateway records when the incarnation it
  // replaces ended, which is what tells an earlier one's events apart (docs/CONTRACT.md#events).
  try {
    await d.repository.createGateway(record);
  } catch (error) {
    if (!(error instanceof ConflictError && error.code === 'GATEWAY_EXISTS')) throw error;
    const committed = await d.repository.getGateway(id);
    if (!committed || !isThisRegistration(committed, input, now)) throw error;
    return toPublicGateway(committed);
  }
  return toPublicGateway(record);
}

/**
 * Whether the gateway stored at the id is this registration's own, committed by an earlier run of
 * its keyed request whose answer was lost (a 5xx after the commit, a request that died, a
 * completion write that failed), or by this run itself (createGateway's retry of a transaction
 * whose reply it lost meets its own commit): answered, not refused (docs/DECISIONS.md, "A rerun
 * answers what its first run committed"). An id the request minted is its own (derived from the
 * caller, the Idempotency-Key and its nonce; or random); an id the admin gave may be anyone's, so
 * only this run's own commit (`createdByThisRun`, the createdAt it wrote) is recognised there.
 */
function isThisRegistration(
  stored: GatewayRecord,
  input: RegisterGatewayInput,
  createdByThisRun?: string,
): boolean {
  const idIsThisRequests = input.id === undefined || stored.createdAt === createdByThisRun;
  return idIsThisRequests && stored.instanceId === input.instanceId && stored.ownerId === input.ownerId;
}

/** Generates a pair, keeps the private key at `name` (first writer wins), returns the stored pair's public key. */
export async function storeGeneratedKey(
  d: Pick<ApiDeps, 'secrets'>,
  name: string,
): Promise<{ publicKey: string; privateKeyParam: string }> {
  await d.secrets.putIfAbsent(name, generateKeyPair().privateKey);
  const stored = await d.secrets.get(name);
  if (stored === undefined) throw new Error(`Secret ${name} vanished right after it was written`);
  return { publicKey: publicKeyFromPrivateKey(stored), privateKeyParam: name };
}

export async function listGateways(
  d: Pick<ApiDeps, 'repository'>,
  caller: Caller,
  query: QueryParameters,
): Promise<Page<Gateway>> {
  const { filter, page } = gatewayListQuery(caller, query);
  const gateways = await d.repository.pageGateways(filter, page);
  return { ...gateways, items: gateways.items.map(toPublicGateway) };
}

/** The gateway with the first page of its peers (at most 100); `peersNextToken` continues on /peers. */
export async function getGatewayDetail(
  d: Pick<ApiDeps, 'repository'>,
  caller: Caller,
  gatewayId: string,
): Promise<Gateway & { peers: Peer[]; peersNextToken?: string }> {
  const gateway = await visibleGateway(d, caller, gatewayId);
  const page = peerListPage(caller, gatewayId, { limit: String(PAGE_LIMIT_MAX) });
  const peers = await d.repository.pagePeers(gatewayId, page);
  return {
    ...toPublicGateway(gateway),
    peers: peers.items.map((peer) => toPublicPeer(peer, gateway)),
    ...(peers.nextToken ? { peersNextToken: peers.nextToken } : {}),
  };
}

/** GET /v1/gateways/{id}/peers: the gateway's peers, a page at a time, in name order. */
export async function listGatewayPeers(
  d: Pick<ApiDeps, 'repository'>,
  caller: Caller,
  gatewayId: string,
  query: QueryParameters,
): Promise<Page<Peer>> {
  const page = peerListPage(caller, gatewayId, query);
  // Read to authorize anyway: it also says whether each road-warrior's config is outdated.
  const gateway = await visibleGateway(d, caller, gatewayId);
  const peers = await d.repository.pagePeers(gatewayId, page);
  return { ...peers, items: peers.items.map((peer) => toPublicPeer(peer, gateway)) };
}

/**
 * Deletes the gateway item; the stream-driven cascade then removes its peerings and peers and
 * releases its instance (app/gateway-cascade.ts). Only
 * the incarnation the caller was allowed to see: should the id have been deleted, and perhaps
 * registered again for another owner, since the check, nothing is deleted and the answer is 404
 * (GatewayGoneError; docs/SECURITY.md, "Re-registration").
 */
export async function deleteGateway(
  d: Pick<ApiDeps, 'repository'>,
  caller: Caller,
  gatewayId: string,
): Promise<void> {
  const checked = await visibleGateway(d, caller, gatewayId);
  await d.repository.deleteGateway(gatewayId, checked.createdAt);
}

export interface CandidateView {
  gateway: Gateway;
  eligible: boolean;
  reason: string | null;
}

/**
 * The owner's other ACTIVE gateways with the message a create call would answer (docs/CONTRACT.md#resources), a
 * page at a time in id order. A page costs a fixed number of batched reads whatever the owner has:
 * its gateways (one index query, one BatchGetItem), the route blocks where either side would route
 * the other's prefixes, and the pair locks (docs/ARCHITECTURE.md "Lists"). A page may hold fewer
 * items than `limit` (the gateway itself, gateways in its VPC), and still carry a nextToken.
 */
export async function listPeeringCandidates(
  d: Pick<ApiDeps, 'repository'>,
  caller: Caller,
  gatewayId: string,
  query: QueryParameters,
): Promise<Page<CandidateView>> {
  const page = candidateListPage(caller, gatewayId, query);
  const gateway = await visibleGateway(d, caller, gatewayId);
  const others = await d.repository.pageGateways({ ownerId: gateway.ownerId, status: 'ACTIVE' }, page);
  const otherIds = others.items.map((other) => other.id).filter((id) => id !== gateway.id);
  const [blocks, peered] = await Promise.all([
    d.repository.readRouteBlocks(
      others.items.flatMap((other) => [
        { gatewayId: other.id, prefixes: remotePeerAllowedIps(gateway) },
        { gatewayId: gateway.id, prefixes: remotePeerAllowedIps(other) },
      ]),
    ),
    d.repository.peeredWith(gateway.id, otherIds),
  ]);
  const candidates = peeringCandidates(gateway, others.items, {
    routedPrefixesOf: (id) =>
      blocks
        .filter((block) => block.gatewayId === id)
        .flatMap((block) => block.routes.flatMap((r) => r.prefixes)),
    isPeeredWith: (otherId) => peered.has(otherId),
  });
  return {
    items: candidates.map((candidate) => ({
      gateway: pickFields(candidate.gateway, GATEWAY_FIELDS),
      eligible: candidate.eligible,
      reason: candidate.reason,
    })),
    ...(others.nextToken ? { nextToken: others.nextToken } : {}),
  };
}

export interface GatewayStatusView {
  gatewayId: string;
  /**
   * The generation the instance last said it holds: a push's word or a live report's, whichever is
   * newer (core/status.ts `reportedGeneration`), so it may be below an earlier push's.
   */
  appliedGeneration: number;
  /** When the instance last said it applied a generation. */
  appliedAt: string | null;
  desiredGeneration: number;
  mode: 'wireguard' | 'files' | null;
  /**
   * The peers of the applied generation, with live figures as of `reportedAt`. Past the bound, the
   * ones listed are those the stored report holds, the most recently active (listedPeerStatuses).
   */
  peers: AppliedPeerStatus[];
  /** The last live report (periodic, or a full apply). */
  reportedAt: string | null;
  reportAgeSeconds: number | null;
  /** No report yet, or the last one is older than its period: handshakes and bytes are not current. */
  stale: boolean;
  /** Present when peers are left out (more than core/status.ts lists): the least recently active. */
  peersOmitted?: number;
}

/**
 * What the instance applied, now: the peers of the document it last said it applied (the control plane
 * keeps the applied document and every one above it: pruning takes only those below, so a removal
 * shows as soon as it is applied), with handshakes and
 * bytes from its last live report (docs/DECISIONS.md, "Status reports").
 */
export async function gatewayStatus(
  d: Pick<ApiDeps, 'repository' | 'configStore' | 'clock'>,
  caller: Caller,
  gatewayId: string,
  timing: Pick<ApiTiming, 'statusReportPeriodSeconds'> = {},
): Promise<GatewayStatusView> {
  const gateway = await visibleGateway(d, caller, gatewayId);
  const [applied, report] = await Promise.all([
    d.repository.getAppliedGeneration(gatewayId),
    d.repository.getStatusReport(gatewayId),
  ]);
  const appliedGeneration = reportedGeneration(applied, report);
  const document = appliedGeneration > 0 ? await d.configStore.get(gatewayId, appliedGeneration) : undefined;
  const period = timing.statusReportPeriodSeconds ?? DEFAULT_STATUS_PERIOD_SECONDS;
  // Fresh by when it arrived: a report that waited in the queue is not a silent gateway's.
  const freshness = reportFreshness(report?.receivedAt ?? report?.reportedAt ?? null, d.clock(), period);
  const peers = appliedPeerStatuses(
    appliedGeneration === 0 ? [] : document === undefined ? undefined : documentPeers(document),
    report,
    freshness.stale,
  );
  const listed = listedPeerStatuses(peers, report?.peers ?? []);
  return {
    gatewayId,
    appliedGeneration,
    appliedAt: applied?.appliedAt ?? null,
    desiredGeneration: gateway.desiredGeneration,
    mode: report?.mode ?? null,
    peers: listed,
    reportedAt: report?.reportedAt ?? null,
    ...freshness,
    ...(peers.length > listed.length ? { peersOmitted: peers.length - listed.length } : {}),
  };
}

/** The AWS schedule's period (lib/vpc-peering-stack.ts, statusReportInterval). */
const DEFAULT_STATUS_PERIOD_SECONDS = 300;
