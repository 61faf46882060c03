/**
 * Per-owner limits (docs/DECISIONS.md, "Tenants and traffic"): what one owner holds or runs at once
 * must not starve the others of shared quotas (secrets, Step Functions' executions, a gateway's
 * addresses). A limit holds under concurrency: each admission is a compare-and-set of one item per
 * scope (AdmissionStore) that lists what was admitted recently, so two concurrent requests never
 * both take the last place. What is held is what the lists show, plus the admissions the lists may
 * not show yet (written a moment ago, or not written at all yet). A refused or failed request's
 * admission stops counting once its request is surely over (REQUEST_BOUND_MS).
 */
import { ConflictError, TooManyOperationsError, TransientError } from '../../core/errors';
import { PAGE_LIMIT_MAX, type Page, type PageRequest } from '../../core/pagination';
import { isPeeringInFlight, type Peering, type PeeringStatus } from '../../core/types';
import { retry } from '../../shared/retry';
import type { AdmissionKind } from '../ports';
import type { ApiDeps, OwnerLimits } from './context';

/** A peering with these holds its peer entries (a failed or deleting one had them removed). */
const HOLDING_PLACES: readonly PeeringStatus[] = ['PROVISIONING', 'ACTIVE'];

/** The binding of the limits' own page walks (never handed to a client). */
const BINDING = 'owner-limits';

/** Longer than any API request runs (API Gateway stops at 29 s): a write admitted earlier is done or never happens. */
export const REQUEST_BOUND_MS = 60_000;

/** Longer than the owner index takes to show a gateway written (its lag is usually below a second). */
export const INDEX_LAG_BOUND_MS = 5 * 60_000;

/**
 * Compare-and-set rounds before a busy scope answers 503 (the client retries), and the pause after
 * a lost round: jittered and growing to 250 ms, so a burst of one owner's requests (a hundred at
 * once is a script's normal day) spreads out instead of colliding again. About 8 s at most, well
 * inside API Gateway's 29 s.
 */
const ADMISSION_ATTEMPTS = 40;
const pauseAfterLostRound = (attempt: number, random: number) => random * Math.min(250, 5 * 2 ** attempt);

/**
 * Entries the fast path adds up to, at most: beyond it a round reads the item and drops what no
 * longer counts, so the item stays small (DynamoDB's 400 KB) whatever a deployment's limits are.
 */
const FAST_PATH_ENTRIES = 256;

class AdmissionContendedError extends Error {
  override readonly name = 'AdmissionContendedError';
}

type LimitDeps = Pick<ApiDeps, 'repository' | 'clock'>;

/** The ids of a paged list, page by page, up to `ceiling`: a bounded read, enough to tell whether a limit is met. */
async function idsUpTo<T>(
  ceiling: number,
  read: (page: PageRequest) => Promise<Page<T>>,
  idOf: (item: T) => string,
): Promise<Set<string>> {
  const ids = new Set<string>();
  let nextToken: string | undefined;
  do {
    const page = await read({ limit: PAGE_LIMIT_MAX, binding: BINDING, ...(nextToken ? { nextToken } : {}) });
    for (const item of page.items) ids.add(idOf(item));
    nextToken = page.nextToken;
  } while (nextToken && ids.size < ceiling);
  return ids;
}

interface Limit {
  kind: AdmissionKind;
  scope: string;
  max: number;
  /** What the lists show as held (bounded by `max`). */
  listed(): Promise<Set<string>>;
  /** Whether an earlier admission still counts beside the lists. */
  counts(id: string, admittedAtMs: number, nowMs: number): Promise<boolean>;
  refusal(held: number): Error;
}

/**
 * Admits `id` under `limit`, or throws its refusal. Idempotent: an id admitted before is admitted
 * again without counting twice. Admissions that no longer count are dropped from the item.
 *
 * Far from the limit, one conditional write admits: the lists plus every entry of the item, even
 * one that no longer counts, are an upper bound of what is held, so an item with fewer than
 * `max - listed` entries has room (concurrent adds do not collide). Otherwise a round reads the
 * item, drops what no longer counts and writes it back at the version read. The lists are read
 * once, before the rounds (whatever is admitted after that read is in the item), and whether an
 * earlier admission still counts is asked once per admission: both can only over-count, for the
 * few seconds of one call, never admit beyond the limit. (Before, every round re-read everything
 * and a burst of one owner's creates lost round after round: 503s, bench section 10.)
 */
async function admit(d: LimitDeps, limit: Limit, id: string): Promise<void> {
  const listed = await limit.listed();
  const stillCounts = new Map<string, boolean>();
  const counts = async (other: string, admittedAtMs: number, nowMs: number) => {
    const known = stillCounts.get(other);
    if (known !== undefined) return known;
    const answer = await limit.counts(other, admittedAtMs, nowMs);
    stillCounts.set(other, answer);
    return answer;
  };
  const room = Math.min(limit.max - listed.size, FAST_PATH_ENTRIES);
  await retry(
    async () => {
      const fastAt = d.clock().getTime();
      if (room > 0 && (await d.repository.addAdmission(limit.scope, limit.kind, id, fastAt, room))) return;
      const current = await d.repository.getAdmissions(limit.scope, limit.kind);
      if (current.entries[id] !== undefined) return;
      const now = d.clock().getTime();
      const kept: Record<string, number> = {};
      for (const [other, at] of Object.entries(current.entries)) {
        if (await counts(other, at, now)) kept[other] = at;
      }
      const held = new Set([...listed, ...Object.keys(kept)]);
      held.delete(id);
      if (held.size >= limit.max) throw limit.refusal(held.size);
      const written = await d.repository.putAdmissions(
        limit.scope,
        limit.kind,
        { ...kept, [id]: now },
        current.version,
      );
      if (!written) throw new AdmissionContendedError();
    },
    {
      attempts: ADMISSION_ATTEMPTS,
      delayMs: pauseAfterLostRound,
      retryable: (error) => error instanceof AdmissionContendedError,
    },
  ).catch((error: unknown) => {
    if (!(error instanceof AdmissionContendedError)) throw error;
    throw new TransientError(`Admissions of ${limit.kind} for ${limit.scope} stayed contended`);
  });
}

/** Its request may still be writing it. */
const inRequest = (admittedAtMs: number, nowMs: number) => nowMs - admittedAtMs < REQUEST_BOUND_MS;

/** Before registering gateway `gatewayId` of `ownerId`. */
export async function admitGateway(
  d: LimitDeps,
  ownerId: string,
  gatewayId: string,
  limits: OwnerLimits,
): Promise<void> {
  const max = limits.gatewaysPerOwner;
  await admit(
    d,
    {
      kind: 'gateways',
      scope: ownerId,
      max,
      listed: () =>
        idsUpTo(
          max,
          (page) => d.repository.pageGateways({ ownerId }, page),
          (gateway) => gateway.id,
        ),
      // Written, but perhaps not in the owner index yet; or its request may still write it.
      counts: async (id, admittedAtMs, nowMs) =>
        inRequest(admittedAtMs, nowMs) ||
        (nowMs - admittedAtMs < INDEX_LAG_BOUND_MS && (await d.repository.getGateway(id)) !== undefined),
      refusal: (held) =>
        new ConflictError(
          'QUOTA_EXCEEDED',
          `Owner ${ownerId} already has ${held} gateways, the limit of this deployment (${max})`,
        ),
    },
    gatewayId,
  );
}

/** Before adding road-warrior `name` to `gatewayId`. */
export async function admitRoadWarrior(
  d: LimitDeps,
  gatewayId: string,
  name: string,
  limits: OwnerLimits,
): Promise<void> {
  const max = limits.roadWarriorsPerGateway;
  await admit(
    d,
    {
      kind: 'road-warriors',
      scope: gatewayId,
      max,
      listed: async () =>
        new Set(
          (await d.repository.listPeers(gatewayId))
            .filter((peer) => peer.type === 'road-warrior')
            .map((peer) => peer.name),
        ),
      // The peer list is read strongly consistent: only a write still in its request is missing from it.
      counts: async (_name, admittedAtMs, nowMs) => inRequest(admittedAtMs, nowMs),
      refusal: (held) =>
        new ConflictError(
          'QUOTA_EXCEEDED',
          `This gateway already has ${held} road-warriors, the limit of this deployment (${max})`,
        ),
    },
    name,
  );
}

/**
 * ALLOCATE_BOUND_MS after a peering's `createdAt` (taken by its Allocate step before its
 * transaction) its peer entries are surely written: the step's Lambda stops at 30 s.
 */
export const ALLOCATE_BOUND_MS = 60_000;

/**
 * Before creating peering `peeringId` with `gatewayId` as one side (called for both sides). The
 * count is the gateway's vpc-peering entries, read strongly consistent and only up to `max`
 * (never every peer of a hub): a peering holds its place from its Allocate until its deletion
 * or failure removes them. An earlier admission counts while its create may still write its
 * entries: its execution runs, or its request may still start it. Once its peering is written it
 * counts until any admission that read the entries before they were written has surely ended
 * (ALLOCATE_BOUND_MS + REQUEST_BOUND_MS after `createdAt`), then the entries alone count it; a
 * peering FAILED, DELETING or deleted counts no more. docs/DECISIONS.md, "Peerings per gateway".
 */
export async function admitPeering(
  d: Pick<ApiDeps, 'repository' | 'clock' | 'workflows'>,
  gatewayId: string,
  peeringId: string,
  limits: OwnerLimits,
): Promise<void> {
  const max = limits.peeringsPerGateway;
  const writtenCounts = (peering: Peering, nowMs: number) =>
    HOLDING_PLACES.includes(peering.status) &&
    nowMs - Date.parse(peering.createdAt) < ALLOCATE_BOUND_MS + REQUEST_BOUND_MS;
  await admit(
    d,
    {
      kind: 'peerings',
      scope: gatewayId,
      max,
      listed: async () => new Set(await d.repository.peeringIdsUpTo(gatewayId, max)),
      counts: async (id, admittedAtMs, nowMs) => {
        const peering = await d.repository.getPeering(id);
        if (peering) return writtenCounts(peering, nowMs);
        const execution = await d.workflows.find('create-peering', id);
        if (!execution) return inRequest(admittedAtMs, nowMs);
        if (execution.status === 'RUNNING') return true;
        // Ended: its peering may have been written since the read above.
        const written = await d.repository.getPeering(id);
        return written !== undefined && writtenCounts(written, nowMs);
      },
      refusal: (held) =>
        new ConflictError(
          'QUOTA_EXCEEDED',
          `Gateway ${gatewayId} already has ${held} peerings, the limit of this deployment (${max})`,
        ),
    },
    peeringId,
  );
}

/**
 * Before starting create-peering `peeringId` for `ownerId`. An earlier admission counts while its
 * peering is PROVISIONING or DELETING, while its execution runs, or, when neither exists yet,
 * while its request may still start it. Deletions are never refused (they free resources), so they are not
 * admitted; the lists count them.
 */
export async function admitOperation(
  d: Pick<ApiDeps, 'repository' | 'clock' | 'workflows'>,
  ownerId: string,
  peeringId: string,
  limits: OwnerLimits,
): Promise<void> {
  const max = limits.operationsInFlightPerOwner;
  await admit(
    d,
    {
      kind: 'operations',
      scope: ownerId,
      max,
      // From an index of the owner's peerings in flight: a read bounded by `max`, not by the
      // owner's peerings (docs/DECISIONS.md, "An owner's operations in flight, read from an index").
      listed: async () => new Set(await d.repository.inFlightPeeringIds(ownerId, max)),
      counts: async (id, admittedAtMs, nowMs) => {
        const peering = await d.repository.getPeering(id);
        if (peering) return isPeeringInFlight(peering.status);
        const execution = await d.workflows.find('create-peering', id);
        if (execution) return execution.status === 'RUNNING';
        return inRequest(admittedAtMs, nowMs);
      },
      refusal: (held) =>
        new TooManyOperationsError(
          `${held} peering operations of this owner are still running, the limit of this deployment (${max}); retry once one has ended`,
        ),
    },
    peeringId,
  );
}
