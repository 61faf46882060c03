/** Gateway routes of docs/CONTRACT.md#resources: registry, detail, deletion, candidates, status. */
import { peeringCandidates } from '../../core/candidates';
import { ConflictError } from '../../core/errors';
import { generateKeyPair, publicKeyFromPrivateKey } from '../../core/keys';
import type { RegisterGatewayInput } from '../../core/schemas';
import {
  appliedPeerStatuses,
  documentPeers,
  reportFreshness,
  STATUS_REPORT_MAX_PEERS,
} from '../../core/status';
import type { AppliedPeerStatus, Caller, Gateway, GatewayRecord, Peer, PeerRecord } from '../../core/types';
import { GATEWAY_FIELDS, pickFields, toPublicGateway, toPublicPeer } from '../../core/views';
import type { ApiDeps, ApiTiming } from './context';
import { newGatewayId } from './ids';
import { ownerFilter, visibleGateway } from './visibility';

/**
 * Admin only (the router checks). When no public key is given the pair is generated and the
 * private key kept in the secret store; the public key is then derived from what the store holds,
 * so a key left at that name by an earlier gateway of the same id can never mismatch.
 */
export async function registerGateway(
  d: Pick<ApiDeps, 'repository' | 'secrets' | 'clock'>,
  caller: Caller,
  input: RegisterGatewayInput,
  idempotencyKey: string | undefined,
): Promise<Gateway> {
  const id = input.id ?? newGatewayId(caller.userId, idempotencyKey);
  // Checked before touching the secret store, so a refused id leaves no orphan key behind.
  if (await d.repository.getGateway(id)) throw new ConflictError('GATEWAY_EXISTS');
  // One gateway per instance: a push must never reach another gateway's instance.
  await d.repository.claimInstance(input.instanceId, id);
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
  await d.repository.createGateway(record);
  return toPublicGateway(record);
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

export async function listGateways(d: Pick<ApiDeps, 'repository'>, caller: Caller): Promise<Gateway[]> {
  const gateways = await d.repository.listGateways(ownerFilter(caller));
  return gateways.map(toPublicGateway);
}

export async function getGatewayDetail(
  d: Pick<ApiDeps, 'repository'>,
  caller: Caller,
  gatewayId: string,
): Promise<Gateway & { peers: Peer[] }> {
  const gateway = await visibleGateway(d, caller, gatewayId);
  const peers = await d.repository.listPeers(gatewayId);
  return { ...toPublicGateway(gateway), peers: peers.map(toPublicPeer) };
}

/** Deletes the gateway item; the stream-driven cascade then removes its peerings and peers. */
export async function deleteGateway(
  d: Pick<ApiDeps, 'repository'>,
  caller: Caller,
  gatewayId: string,
): Promise<void> {
  await visibleGateway(d, caller, gatewayId);
  const removed = await d.repository.deleteGateway(gatewayId);
  if (removed) await d.repository.releaseInstance(removed.instanceId, removed.id);
}

const vpcPeeringPeers = (peers: PeerRecord[]): PeerRecord[] =>
  peers.filter((peer) => peer.type === 'vpc-peering');

/** The owner's other gateways with the message a create call would answer (docs/CONTRACT.md#resources). */
export async function listPeeringCandidates(
  d: Pick<ApiDeps, 'repository'>,
  caller: Caller,
  gatewayId: string,
): Promise<{ gateway: Gateway; eligible: boolean; reason: string | null }[]> {
  const gateway = await visibleGateway(d, caller, gatewayId);
  const others = (await d.repository.listGateways(gateway.ownerId)).filter(
    (other) => other.id !== gateway.id,
  );
  const peeringPeersByGateway = new Map<string, PeerRecord[]>(
    await Promise.all(
      [gateway, ...others].map(
        async (g) => [g.id, vpcPeeringPeers(await d.repository.listPeers(g.id))] as [string, PeerRecord[]],
      ),
    ),
  );
  const peersOf = (id: string): PeerRecord[] => peeringPeersByGateway.get(id) ?? [];
  const candidates = peeringCandidates(gateway, others, {
    routedPrefixesOf: (id) => peersOf(id).flatMap((peer) => peer.allowedIps),
    isPeeredWith: (otherId) => peersOf(gateway.id).some((peer) => peer.remoteGatewayId === otherId),
  });
  return candidates.map((candidate) => ({
    gateway: pickFields(candidate.gateway, GATEWAY_FIELDS),
    eligible: candidate.eligible,
    reason: candidate.reason,
  }));
}

export interface GatewayStatusView {
  gatewayId: string;
  appliedGeneration: number;
  /** When the instance last said it applied a generation. */
  appliedAt: string | null;
  desiredGeneration: number;
  mode: 'wireguard' | 'files' | null;
  /** The peers of the applied generation, with live figures as of `reportedAt`. */
  peers: AppliedPeerStatus[];
  /** The last live report (periodic, or a full apply). */
  reportedAt: string | null;
  reportAgeSeconds: number | null;
  /** No report yet, or the last one is older than its period: handshakes and bytes are not current. */
  stale: boolean;
  /** Present when peers are left out (more than core/status.ts lists). */
  peersOmitted?: number;
}

/**
 * What the instance applied, now: the peers of the document it last applied (the control plane
 * keeps every document it pushed, so a removal shows as soon as it is applied), with handshakes and
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
  const appliedGeneration = Math.max(applied?.appliedGeneration ?? 0, report?.appliedGeneration ?? 0);
  const document = appliedGeneration > 0 ? await d.configStore.get(gatewayId, appliedGeneration) : undefined;
  const period = timing.statusReportPeriodSeconds ?? DEFAULT_STATUS_PERIOD_SECONDS;
  const freshness = reportFreshness(report?.reportedAt ?? null, d.clock(), period);
  const peers = appliedPeerStatuses(
    appliedGeneration === 0 ? [] : document === undefined ? undefined : documentPeers(document),
    report,
    freshness.stale,
  );
  const listed = peers.slice(0, STATUS_REPORT_MAX_PEERS);
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
