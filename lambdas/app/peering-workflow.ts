/**
 * The steps of the create-peering state machine up to ACTIVE (its undo, and delete-peering, are in
 * peering-teardown.ts). Each is idempotent: Step Functions and Lambda may run any of them again,
 * and a repeat converges on the same records.
 */
import {
  assertPeeringAllowed,
  peerEndpointHosts,
  remotePeerAllowedIps,
  routedPrefixes,
} from '../core/checks';
import {
  ChecksOutdatedError,
  CommandFailedError,
  ConflictError,
  GatewayGoneError,
  ItemTooLargeError,
  NotFoundError,
  PushSupersededError,
  TransientError,
} from '../core/errors';
import { generatePresharedKey } from '../core/key-format';
import { peeringPeerName } from '../core/schemas';
import type { Gateway, GatewayRecord, Peering } from '../core/types';
import { peeringAuditDetail } from '../core/views';
import { logger } from '../shared/logger';
import { retry } from '../shared/retry';
import type { Dependencies, NewPeeringSide, RouteBlockVersion } from './ports';
import { keyHoldersOn } from './public-key-holders';
import { checkPush, type PushProgress, type PushTicket, pushGatewayConfig } from './push';
import { type LeasedPush, pushUnderLease, type QueuedPush, sent } from './push-lease';

export interface PeeringRequest {
  peeringId: string;
  gatewayId: string;
  remoteGatewayId: string;
}

type Deps<K extends keyof Dependencies> = Pick<Dependencies, K>;

async function loadGateway(d: Deps<'repository'>, id: string): Promise<GatewayRecord> {
  const gateway = await d.repository.getGateway(id);
  if (!gateway) throw new NotFoundError(`Gateway ${id}`);
  return gateway;
}

/**
 * docs/CONTRACT.md#prerequisites checks against the current registry. The route blocks this peering would add
 * prefixes to are read before the peers, so the versions returned describe routes at least as old
 * as the ones checked (docs/DECISIONS.md "Busy hub: route locks"). Only vpc-peering entries are
 * read: a gateway's road-warriors route nothing the check looks at.
 */
async function checkPeering(
  d: Deps<'repository'>,
  request: PeeringRequest,
): Promise<{ local: GatewayRecord; remote: GatewayRecord; routeBlockVersions: RouteBlockVersion[] }> {
  const [local, remote] = await Promise.all([
    loadGateway(d, request.gatewayId),
    loadGateway(d, request.remoteGatewayId),
  ]);
  const blocks = await d.repository.readRouteBlocks([
    { gatewayId: local.id, prefixes: remotePeerAllowedIps(remote) },
    { gatewayId: remote.id, prefixes: remotePeerAllowedIps(local) },
  ]);
  const [localPeers, remotePeers] = await Promise.all([
    d.repository.listPeeringPeers(local.id),
    d.repository.listPeeringPeers(remote.id),
  ]);
  const otherPeerings = localPeers.filter(
    (p) => p.type === 'vpc-peering' && p.peeringId !== request.peeringId,
  );
  const remoteOtherPeerings = remotePeers.filter((p) => p.peeringId !== request.peeringId);
  assertPeeringAllowed({
    local,
    remote,
    localRoutedPrefixes: routedPrefixes(otherPeerings),
    remoteRoutedPrefixes: routedPrefixes(remoteOtherPeerings),
    localPeerEndpointHosts: peerEndpointHosts(otherPeerings),
    remotePeerEndpointHosts: peerEndpointHosts(remoteOtherPeerings),
    pairAlreadyPeered: otherPeerings.some((p) => p.remoteGatewayId === remote.id),
  });
  const routeBlockVersions = blocks.map(({ gatewayId, block, version, descendants }) => ({
    gatewayId,
    block,
    version,
    descendants,
  }));
  return { local, remote, routeBlockVersions };
}

/**
 * The Validate step: refuses early, before anything is written. Allocate checks again. A run that
 * starts again from here (the embedded runtime's recovery after a crash) may find the preshared
 * key an earlier run's Allocate stored before dying: a refusal deletes it, as Allocate's own do,
 * since Validate has no Catch and nothing else names an unwritten peering's key.
 */
export async function validatePeering(
  d: Deps<'repository' | 'secrets'>,
  request: PeeringRequest,
): Promise<{ gatewayIds: [string, string] }> {
  try {
    const { local, remote } = await checkPeering(d, request);
    await refuseKeysInUse(d, local, remote, request.peeringId);
    return { gatewayIds: [local.id, remote.id] };
  } catch (error) {
    // A re-driven create whose peering is written: as in Allocate, the checks no longer apply (a
    // refusal here has no Catch, and would leave the peering PROVISIONING for good). Read only
    // when the checks fail, so a create pays no extra read.
    const written = await d.repository.getPeering(request.peeringId);
    if (written) return { gatewayIds: written.gatewayIds };
    if (isRefusal(error)) await d.secrets.delete(d.secrets.names.presharedKey(request.peeringId));
    throw error;
  }
}

/**
 * WireGuard tells a gateway's peers apart by public key: each gateway's entry for the other must
 * be the only holder of that key there. Allocate's transaction enforces it (a key item per entry);
 * read here, the remote key's item on the local gateway and the local key's on the remote one, and
 * only an unmarked gateway's peers (entries older than the items: keyHoldersOn). This peering's own
 * entries are no clash (a re-driven Validate). Gateways sharing one key are refused too.
 * docs/DECISIONS.md, "Public keys", "Public-key items for older peer entries".
 */
async function refuseKeysInUse(
  d: Deps<'repository'>,
  local: GatewayRecord,
  remote: GatewayRecord,
  peeringId: string,
): Promise<void> {
  if (local.publicKey === remote.publicKey) throw new ConflictError('PUBLIC_KEY_IN_USE');
  const own = () => peeringPeerName(peeringId);
  const held = await Promise.all([
    keyHoldersOn(d, remote.publicKey, [local.id], own),
    keyHoldersOn(d, local.publicKey, [remote.id], own),
  ]);
  if (held.some((holders) => holders.size > 0)) throw new ConflictError('PUBLIC_KEY_IN_USE');
}

/** The peer entry a gateway gets for the remote side of a peering. */
export function peerDescribing(remote: Gateway, peeringId: string): NewPeeringSide['peer'] {
  return {
    name: peeringPeerName(peeringId),
    publicKey: remote.publicKey,
    allowedIps: remotePeerAllowedIps(remote),
    endpoint: `${remote.publicIp}:${remote.listenPort}`,
    remoteGatewayId: remote.id,
  };
}

/**
 * Check-then-write rounds before the step gives up and lets the ASL retry it. Only a concurrent
 * peering adding prefixes in the same route block of a gateway costs a round; a short random pause
 * between rounds keeps such racing creates from colliding again in lockstep.
 */
const ALLOCATION_ROUNDS = 12;
const pauseAfterRound = (round: number, random: number): number => random * 20 * Math.min(round, 5);

/**
 * One transaction writes the peering, both peer entries, both addresses, the pair lock and the
 * route blocks it adds prefixes to. The checks run again right before it, bound to the versions
 * of those blocks: the routed-prefix check (docs/CONTRACT.md#prerequisites) cannot be a condition of the transaction,
 * so a concurrent peering that added a prefix in one of them makes the transaction refuse, and the
 * checks run once more. Peerings adding prefixes elsewhere never invalidate each other.
 */
export async function allocatePeering(
  d: Deps<'repository' | 'secrets' | 'audit' | 'clock'>,
  request: PeeringRequest,
): Promise<{ gatewayIds: [string, string] }> {
  // A retry after the transaction committed: the peering holds its place, checks no longer apply
  // (refusing now would leave it PROVISIONING with nothing to compensate it).
  const written = await d.repository.getPeering(request.peeringId);
  if (written) return announceCreated(d, written);
  // No record: never written, or written and deleted since (a retry after a lost answer). The
  // deleted id's tombstone makes createPeering refuse it (NotFoundError, a refusal: Rejected).
  const presharedKeyParam = d.secrets.names.presharedKey(request.peeringId);
  // Stored once per invocation; an earlier invocation (retried after a TransientError) may have too.
  let keyStored = false;
  try {
    const peering = await retry(
      async () => {
        const { local, remote, routeBlockVersions } = await checkPeering(d, request);
        if (!keyStored) {
          await d.secrets.putIfAbsent(presharedKeyParam, generatePresharedKey());
          keyStored = true;
        }
        return d.repository.createPeering({
          id: request.peeringId,
          ownerId: local.ownerId,
          presharedKeyParam,
          createdAt: d.clock().toISOString(),
          sides: [
            { gatewayId: local.id, peer: peerDescribing(remote, request.peeringId) },
            { gatewayId: remote.id, peer: peerDescribing(local, request.peeringId) },
          ],
          routeBlockVersions,
        });
      },
      {
        attempts: ALLOCATION_ROUNDS,
        delayMs: pauseAfterRound,
        retryable: (error) => error instanceof ChecksOutdatedError,
      },
    ).catch((error: unknown) => {
      if (!(error instanceof ChecksOutdatedError)) throw error;
      throw new TransientError(
        `Peering ${request.peeringId}: the gateways kept changing while it was checked`,
      );
    });
    return await announceCreated(d, peering);
  } catch (error) {
    // A refusal goes to Rejected, which compensates nothing: the key must not outlive the request,
    // whichever invocation stored it, unless a peering was written after all.
    if (isRefusal(error) && !(await d.repository.getPeering(request.peeringId))) {
      await d.secrets.delete(presharedKeyParam);
    }
    // A gateway deleted between the checks and the transaction is what the checks would have
    // found: NotFoundError, which the ASL sends to Rejected and the API answers 404.
    if (error instanceof GatewayGoneError) throw new NotFoundError(`Gateway ${error.gatewayId}`);
    throw error;
  }
}

/**
 * Nothing was written and nothing will be: a prerequisite failed, or the transaction would make an
 * item past the store's size limit (a hub's route block; the ASL sends it to Rejected too).
 */
const isRefusal = (error: unknown): boolean =>
  error instanceof ConflictError ||
  error instanceof GatewayGoneError ||
  error instanceof NotFoundError ||
  error instanceof ItemTooLargeError;

async function announceCreated(
  d: Deps<'audit'>,
  peering: Peering,
): Promise<{ gatewayIds: [string, string] }> {
  await d.audit.publish('VPC Peering Created', peeringAuditDetail(peering));
  return { gatewayIds: peering.gatewayIds };
}

export type PushStepResult =
  | { done: true; skipped: boolean }
  | { done: true; superseded: true }
  | ({ done: true } & AppliedPush)
  | { done: false; ticket: PushTicket }
  | { done: false; queued: QueuedPush };

/**
 * Push one gateway. `required`: a gone gateway fails the step (create) or is skipped (delete, undo).
 * `executionName` and `loop` (the push loop's state name) name the holder of the gateway's push
 * lease: with them the push coalesces with the gateway's others (pushUnderLease), answering done
 * with the generation it needed (what Activate requires, as a ticket's would be), a ticket, or
 * queued, to try again with `queued`. Without them (an execution of an older definition) it
 * sends its own command, as before. `supersededByMove` (push-gateway's): a push that lost its
 * snapshot to the gateway's unfinished move (PushSupersededError) ends done, superseded, since the
 * move's end pushes after its walk; any other push throws it as a TransientError, for its retries.
 */
export async function pushStep(
  d: Deps<'repository' | 'configStore' | 'instanceSecrets' | 'commands' | 'clock'>,
  input: {
    gatewayId: string;
    required: boolean;
    executionName?: string;
    loop?: string;
    queued?: QueuedPush;
    supersededByMove?: boolean;
  },
  maxTries: number,
): Promise<PushStepResult> {
  const { gatewayId, executionName, loop, queued } = input;
  let push: LeasedPush;
  try {
    push =
      executionName === undefined || loop === undefined
        ? sent(await pushGatewayConfig(d, gatewayId))
        : await pushUnderLease(d, gatewayId, {
            execution: executionName,
            loop,
            maxTries,
            ...(queued && { queued }),
          });
  } catch (error) {
    if (!(error instanceof PushSupersededError)) throw error;
    // A create's or a delete's push must apply before its workflow goes on: retried, as before.
    if (input.supersededByMove !== true) throw new TransientError(error.message);
    logger.info('push superseded by the move of its gateway: the move ends with its own push', {
      gatewayId,
      executionName,
    });
    return { done: true, superseded: true };
  }
  if (push.kind === 'sent') return { done: false, ticket: push.ticket };
  if (push.kind === 'queued') return { done: false, queued: push.queued };
  if (push.kind === 'applied') return { done: true, gatewayId, generation: push.generation };
  if (input.required) throw new GatewayGoneError(gatewayId);
  return { done: true, skipped: true };
}

/** A push the instance applied: the generation it rendered (create-peering's Activate reads it). */
export interface AppliedPush {
  gatewayId: string;
  generation: number;
}

export async function checkCommandStep(
  d: Deps<'repository' | 'configStore' | 'commands' | 'clock'>,
  input: { ticket: PushTicket },
  maxPolls: number,
): Promise<PushProgress | ({ done: true } & AppliedPush)> {
  const progress = await checkPush(d, input.ticket, maxPolls);
  const { gatewayId, generation } = input.ticket;
  return progress.done ? { done: true, gatewayId, generation } : progress;
}

/**
 * Both instances applied a generation that contains the peering: ACTIVE. `pushed` names, per
 * side, the generation this execution's push rendered: it was read after the peering's write, so it
 * holds the side's peer entry. The write itself fixes no exact generation (a plain ADD,
 * docs/DECISIONS.md "Busy hub: the hub item"). Without it (an execution of an older definition)
 * the gateway's current generation is required: as safe, only stricter.
 */
export async function activatePeering(
  d: Deps<'repository' | 'audit'>,
  input: { peeringId: string; pushed?: AppliedPush[] },
): Promise<{ status: 'ACTIVE' }> {
  const peering = await d.repository.getPeering(input.peeringId);
  if (!peering) throw new CommandFailedError(`Peering ${input.peeringId} disappeared while provisioning`);
  // A repeat (a retry after a timeout or a TransientError, a re-drive) announces it again.
  if (peering.status === 'ACTIVE') return announceActivated(d, peering);
  // Both sides at once, each its reads together: a create's latency is its round trips (bench 1).
  await Promise.all(
    peering.sides.map(async (side) => {
      const [pushed, applied] = await Promise.all([
        pushedGeneration(d, side.gatewayId, input.pushed),
        d.repository.getAppliedGeneration(side.gatewayId),
      ]);
      const required = Math.max(side.generation, pushed);
      if (!applied || applied.appliedGeneration < required) {
        throw new CommandFailedError(`Gateway ${side.gatewayId} has not applied generation ${required}`);
      }
      await d.repository.markSideApplied(peering.id, side.gatewayId);
    }),
  );
  const activated = await d.repository.setPeeringStatus(peering.id, 'ACTIVE', null, ['PROVISIONING']);
  // A concurrent run of this step (a timed-out attempt still running, a sweep's re-drive) may have
  // activated it: failing now would send an ACTIVE peering to Compensate. That run's publish may
  // fail unseen (a timed-out attempt's outcome is dropped), so this one announces it too.
  if (!activated && (await d.repository.getPeering(peering.id))?.status !== 'ACTIVE') {
    throw new CommandFailedError(`Peering ${peering.id} is no longer provisioning`);
  }
  return announceActivated(d, peering);
}

/**
 * "VPC Peering Activated", at least once. The run that set ACTIVE may fail in or before its
 * publish (the publish refused, the invocation timed out), and nothing records that the event went
 * out: so every run of Activate that finds the peering ACTIVE publishes it, and so does Compensate
 * when a failed Activate left it ACTIVE. Consumers may get it twice or more (a repeat after a
 * publish that did go out), as with any event here (docs/CONTRACT.md#invariants 6).
 * The road-warrior configs of both gateways now reach the other's VPC: they are marked changed
 * beside the publish, at least once the same way, and only once the peering is ACTIVE
 * (clientConfigsChanged).
 */
export async function announceActivated(
  d: Deps<'repository' | 'audit'>,
  peering: Peering,
): Promise<{ status: 'ACTIVE' }> {
  // Side by side: each is repeated whenever this step is (a create's latency is its round trips).
  await Promise.all([
    clientConfigsChanged(d, peering),
    d.audit.publish('VPC Peering Activated', peeringAuditDetail(peering)),
  ]);
  return { status: 'ACTIVE' };
}

/**
 * The VPC CIDRs in both gateways' road-warrior configs changed (docs/DECISIONS.md, "Road-warrior
 * configs after a peering change"). Called only after the peering's status write (ACTIVE, or
 * DELETING): the config GET reads the gateway's mark before the peerings, so a download between
 * the two writes holds the new CIDRs and the old mark, and is flagged though current; marked
 * before, it would hold the old CIDRs and the new mark, and never be flagged.
 */
export async function clientConfigsChanged(d: Deps<'repository'>, peering: Peering): Promise<void> {
  await Promise.all(peering.gatewayIds.map((gatewayId) => d.repository.markClientConfigChanged(gatewayId)));
}

/** The generation the side's push rendered; else the gateway's current one (see activatePeering). */
async function pushedGeneration(
  d: Deps<'repository'>,
  gatewayId: string,
  pushed: AppliedPush[] | undefined,
): Promise<number> {
  const generation = pushed?.find((push) => push.gatewayId === gatewayId)?.generation;
  if (typeof generation === 'number') return generation;
  const gateway = await d.repository.getGateway(gatewayId);
  if (!gateway) throw new GatewayGoneError(gatewayId);
  return gateway.desiredGeneration;
}
