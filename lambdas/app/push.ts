/**
 * A config push: render the gateway's whole desired state at its current generation, publish it,
 * and send one constant-size command to its instance. Used by every workflow's PushConfig step
 * (push-gateway serves the API's road-warrior routes and the gateway event handler), so every change
 * reaches a gateway the same way.
 */

import {
  CommandFailedError,
  InvocationNotReadyError,
  PushSupersededError,
  SecretMissingError,
  TransientError,
} from '../core/errors';
import { type GatewayDesiredState, renderGatewayState, serialiseState } from '../core/render';
import { documentSecretNames, instanceSecretNames } from '../core/secret-scope';
import { parseInstanceReport } from '../core/status';
import type { GatewayRecord } from '../core/types';
import { logger } from '../shared/logger';
import { retry } from '../shared/retry';
import type { Dependencies } from './ports';
import type { QueuedPush } from './push-lease';
import { recordPushReport } from './status-reports';

export interface PushTicket {
  gatewayId: string;
  /**
   * The incarnation of the gateway pushed (its `createdAt`): an id deleted and registered again
   * (perhaps for another owner) is another gateway, and this push's report is never its status.
   */
  gatewayCreatedAt: string;
  instanceId: string;
  commandId: string;
  generation: number;
  polls: number;
  /**
   * When the push began copying its secrets (its copies landed after it): the applied record keeps
   * it, and a later push trusts that record's copies only if they were made after a move's
   * settling time (namesToCopy). Absent from tickets of executions started before it was added.
   */
  deliveredAt?: string;
  /**
   * The holder of the gateway's push lease this push was sent under (pushUnderLease): its
   * CheckCommand frees the lease when the command ends. Absent from a push sent without one.
   */
  leaseHolder?: string;
  /**
   * Sent by an earlier run of this loop's step (found on its lease), not by the run that answered
   * it: a command the command bus does not know then was lost with a crashed runtime, and is sent
   * again (checkPush).
   */
  resumed?: boolean;
}

export type PushDeps = Pick<
  Dependencies,
  'repository' | 'configStore' | 'instanceSecrets' | 'commands' | 'clock'
>;

/**
 * Reads taken while the gateway's generation moves under them before the push gives up with a
 * TransientError (the ASL retries the step); a short random pause between them.
 */
const SNAPSHOT_ATTEMPTS = 8;
const pauseBeforeReread = (attempt: number, random: number): number => random * 25 * attempt;

class GenerationMovedError extends Error {
  override readonly name = 'GenerationMovedError';
}

/**
 * How long after a gateway's update (`updatedAt`: a move to another instance is one) a push may
 * still copy for the instance it left. A push that read the gateway before the move's registry
 * write (within the event Lambda's 60 s of `updatedAt`) copies within its step's 30 s
 * (lib/constructs/peering-function.ts), and its copies, under the same keys as the new instance's
 * (`gateways/<gatewayId>/secrets…`), are tagged for the old instance. Copies made earlier than
 * this after an update are not trusted to be the new instance's; five minutes leave room for clocks.
 */
export const MOVE_SETTLE_MS = 5 * 60_000;

/**
 * How old an applied record may be and still say which copies its instance holds. A peering's id,
 * so its key's name, can come back with a new key only after its tombstone (90 days,
 * PEERING_TOMBSTONE_TTL_SECONDS) and its execution name have expired: a document applied within a
 * week never names such a key. An idle gateway's next change copies everything once.
 */
export const HELD_COPIES_MAX_AGE_MS = 7 * 24 * 60 * 60_000;

/**
 * The secret copies an instance of an incarnation of a gateway holds (docs/DECISIONS.md, "Delta
 * delivery of secret copies").
 */
interface HeldCopies {
  instanceId: string;
  gatewayCreatedAt: string;
  /** When the push whose report this is began copying: its copies landed after it. */
  deliveredAt: string;
  names: ReadonlySet<string>;
}

/**
 * What the gateway's instance holds: every name of the document it last applied. Each push of that
 * document copied (or found held) every name it named before its command, and a copy goes only
 * with a withdrawal (a move, a deletion), after which the record names another instance or
 * incarnation, or is gone. Undefined, so everything is copied, whenever that is not certain: no
 * record, one written before records named their instance, one too old, the document gone or not
 * that generation's, or a read that failed.
 */
async function copiesHeld(
  d: Pick<PushDeps, 'repository' | 'configStore' | 'clock'>,
  gatewayId: string,
): Promise<HeldCopies | undefined> {
  try {
    const applied = await d.repository.getAppliedGeneration(gatewayId);
    const { instanceId, gatewayCreatedAt, deliveredAt } = applied ?? {};
    if (!applied || instanceId === undefined || gatewayCreatedAt === undefined || deliveredAt === undefined) {
      return undefined;
    }
    const age = d.clock().getTime() - Date.parse(applied.appliedAt);
    if (!(age <= HELD_COPIES_MAX_AGE_MS)) return undefined;
    const { appliedGeneration } = applied;
    const document = await d.configStore.get(gatewayId, appliedGeneration);
    const names =
      document === undefined ? undefined : documentSecretNames(document, gatewayId, appliedGeneration);
    return names && { instanceId, gatewayCreatedAt, deliveredAt, names: new Set(names) };
  } catch (error) {
    logger.warn('Applied document not read: the push copies every secret', {
      gatewayId,
      errorName: error instanceof Error ? error.name : typeof error,
      errorMessage: error instanceof Error ? error.message : String(error),
    });
    return undefined;
  }
}

/**
 * The secrets `state` names (each the gateway's own: core/secret-scope.ts) that its instance may
 * not hold yet: those `held` lacks when it is this instance's and this incarnation's, its copies
 * made after the gateway's last update or its registration settled (MOVE_SETTLE_MS), else all.
 */
function namesToCopy(
  gateway: GatewayRecord,
  state: GatewayDesiredState,
  held: HeldCopies | undefined,
): string[] {
  const names = instanceSecretNames(state);
  if (held?.instanceId !== gateway.instanceId || held.gatewayCreatedAt !== gateway.createdAt) return names;
  // A registration counts as an update too: a push of the id's deleted incarnation can still be
  // copying, under the same keys, for the instance it had.
  const settled = Date.parse(held.deliveredAt) >= Date.parse(gateway.updatedAt) + MOVE_SETTLE_MS;
  return settled ? names.filter((name) => !held.names.has(name)) : names;
}

/**
 * The gateway's document as it was at one generation, its secrets delivered to its instance: the
 * gateway is read before and after its peers, and the read counts only if the generation did not
 * move in between. Every change of the peer set moves the generation in the same transaction, so
 * the peers are exactly those of that generation, and two pushes of one generation render the same
 * bytes. (Read once, a push could label a later peer set with an earlier generation: two
 * concurrent pushes of a busy hub then published different documents under one name, and the
 * instance refused the first one's digest.) A secret missing at delivery means a peering was
 * deleted after its peers were read (bench section 2 deletes peerings while others are created):
 * read again, as when the generation moved. Only the secrets the instance may not hold yet are
 * copied (`held`, read alongside: namesToCopy), so a push's copies follow the change. Given up
 * while the gateway's move is unfinished, the push is superseded (PushSupersededError): its walk's
 * switches move the generation faster than a hub's render, and the move's end pushes after them.
 */
async function deliveredAtOneGeneration(
  d: PushDeps,
  gatewayId: string,
  firstRead: GatewayRecord,
  held: Promise<HeldCopies | undefined>,
): Promise<{ gateway: GatewayRecord; state: GatewayDesiredState; deliveredAt: string } | undefined> {
  let read: GatewayRecord | undefined = firstRead;
  let latest: GatewayRecord = firstRead;
  return retry(
    async () => {
      const before = read ?? (await d.repository.getGateway(gatewayId));
      read = undefined;
      if (!before) return undefined;
      const peers = await d.repository.listPeers(gatewayId);
      const gateway = await d.repository.getGateway(gatewayId);
      if (!gateway) return undefined;
      latest = gateway;
      if (gateway.desiredGeneration !== before.desiredGeneration) {
        throw new GenerationMovedError(`Gateway ${gatewayId} changed while its peers were read`);
      }
      const state = renderGatewayState(gateway, peers, gateway.desiredGeneration);
      // Copies for this instance only, before the command that needs them (docs/SECURITY.md).
      const target = { gatewayId, instanceId: gateway.instanceId };
      const names = namesToCopy(gateway, state, await held);
      const deliveredAt = d.clock().toISOString();
      await d.instanceSecrets.deliver(target, names);
      return { gateway, state, deliveredAt };
    },
    {
      attempts: SNAPSHOT_ATTEMPTS,
      delayMs: pauseBeforeReread,
      retryable: (error) => error instanceof GenerationMovedError || error instanceof SecretMissingError,
    },
  ).catch((error: unknown) => {
    // Thrown for the step's retries: a secret still missing though nothing moved is never left out.
    const lost =
      error instanceof GenerationMovedError
        ? `Gateway ${gatewayId} kept changing while its document was rendered`
        : error instanceof SecretMissingError
          ? error.message
          : undefined;
    if (lost === undefined) throw error;
    // A move's walk outran every read, or deleted a key its render named (a switched peering's):
    // the move's end pushes after its last switch (docs/DECISIONS.md, "A moved gateway's early
    // push renders before its walk").
    if (latest.unfinishedMove !== undefined) throw new PushSupersededError(`${lost}, during its move`);
    throw new TransientError(lost);
  });
}

/** Undefined when the gateway no longer exists (nothing to push to). */
export async function pushGatewayConfig(
  d: PushDeps,
  gatewayId: string,
  /** The gateway as just read by the caller: the snapshot's first read (deliveredAtOneGeneration). */
  readBefore?: GatewayRecord,
): Promise<PushTicket | undefined> {
  // Read while the gateway and its peers are; never rejects.
  const held = copiesHeld(d, gatewayId);
  const current = readBefore ?? (await d.repository.getGateway(gatewayId));
  if (!current) return undefined;
  const rendered = await deliveredAtOneGeneration(d, gatewayId, current, held);
  if (!rendered) return undefined;
  const { gateway, state, deliveredAt } = rendered;
  const generation = gateway.desiredGeneration;
  const target = { gatewayId, instanceId: gateway.instanceId };
  const published = await d.configStore.put(target, generation, serialiseState(state));
  const commandId = await d.commands.send({
    ...target,
    generation,
    stateUri: published.uri,
    stateSha256: published.sha256,
  });
  // Recorded by the push's first poll (checkPush); push-config writes only the push lease.
  return {
    gatewayId,
    gatewayCreatedAt: gateway.createdAt,
    instanceId: gateway.instanceId,
    commandId,
    generation,
    polls: 0,
    deliveredAt,
  };
}

/** Frees the lease a push was sent under once its command ended (waiters may send the next). */
async function releaseLease(d: Pick<Dependencies, 'repository'>, ticket: PushTicket): Promise<void> {
  if (ticket.leaseHolder !== undefined)
    await d.repository.releasePushLease(ticket.gatewayId, ticket.leaseHolder);
}

/**
 * Whether a finished push's report may be recorded (docs/SECURITY.md, "Reports"). The gateway is
 * read once per finished push (1 RRU): the report is the gateway's status only while the gateway is
 * the incarnation the ticket pushed (a late report of a deleted gateway's old instance never lands
 * on the id registered again, perhaps for another owner) and the instance still serves it (after a
 * move to another instance, a push to the old one that ends later would pass the old instance's
 * word off as the new one's, and activation reads it). An honest instance reports the ticket's
 * generation, or a later one it had already applied (a stale skip), never one above the gateway's
 * desired generation: a claim above it would stand for good, since the stores keep the highest.
 * A stale skip under a generation the gateway was healed through (healRestored in
 * app/status-reports.ts) proves nothing either: that content may predate a restore of the table,
 * without the ticket's change, so the push fails as not applied and the workflow's retry or
 * compensation runs (docs/DECISIONS.md, "A stale skip under a healed generation is no proof").
 */
async function plausiblyApplied(
  d: Pick<Dependencies, 'repository'>,
  ticket: PushTicket,
  appliedGeneration: number,
): Promise<boolean> {
  const gateway = await d.repository.getGateway(ticket.gatewayId);
  // Also a ticket of an execution started before tickets named the incarnation: nothing recorded.
  if (!gateway || gateway.createdAt !== ticket.gatewayCreatedAt) return false;
  if (gateway.instanceId !== ticket.instanceId) return false;
  if (appliedGeneration <= ticket.generation) return true;
  if (appliedGeneration > gateway.desiredGeneration) {
    throw new CommandFailedError(
      `Config push to ${ticket.instanceId} reported generation ${appliedGeneration}, above the desired ${gateway.desiredGeneration}`,
    );
  }
  if (appliedGeneration <= (gateway.healedThrough ?? 0)) {
    throw new CommandFailedError(
      `Config push to ${ticket.instanceId} was skipped under generation ${appliedGeneration}, held from before the table's restore`,
    );
  }
  return true;
}

export type PushProgress =
  | { done: false; ticket: PushTicket }
  | { done: false; queued: QueuedPush }
  | { done: true; appliedGeneration: number };

/**
 * One poll of a push. The first (`polls === 0`) records the push as sent (the `PUSH` item: a move
 * to another instance whose run stopped is found by it, app/gateway-lifecycle.ts), before it reads
 * the invocation (docs/DECISIONS.md "The newest push sent"). The record is a monotonic put, so a
 * retried first poll changes nothing. On success the instance's report is recorded, and the
 * documents below it pruned (app/status-reports.ts). Once the command ended (or `maxPolls` ran
 * out) the gateway's push lease is freed. Throws InvocationNotReadyError (retry), CommandFailedError
 * (failed, timed out, cancelled, no report, or still running after `maxPolls`).
 */
export async function checkPush(
  d: Pick<Dependencies, 'repository' | 'configStore' | 'commands' | 'clock'>,
  ticket: PushTicket,
  maxPolls: number,
): Promise<PushProgress> {
  if (ticket.polls === 0) {
    const { gatewayId, instanceId, commandId, generation } = ticket;
    await d.repository.recordPushSent({
      gatewayId,
      instanceId,
      commandId,
      generation,
      sentAt: d.clock().toISOString(),
    });
  }
  const invocation = await d.commands
    .get(ticket.commandId, ticket.instanceId)
    .catch(async (error: unknown) => {
      if (!(ticket.resumed && ticket.polls === 0 && error instanceof InvocationNotReadyError)) throw error;
      return undefined;
    });
  if (!invocation) return pushAgain(d, ticket);
  const { status, output } = invocation;
  const polls = ticket.polls + 1;
  const ended =
    status === 'Success' || status === 'Failed' || status === 'TimedOut' || status === 'Cancelled';
  if (!ended && polls < maxPolls) return { done: false, ticket: { ...ticket, polls } };
  // Ended (or given up on): the lease goes after its report is recorded, so a waiter that finds
  // it free also finds what it applied; a failure frees it for a waiter's fresh command.
  try {
    if (status === 'Success')
      return { done: true, appliedGeneration: await recordSuccess(d, ticket, output) };
    if (ended) throw new CommandFailedError(`Config push to ${ticket.instanceId} ended ${status}`);
    throw new CommandFailedError(`Config push to ${ticket.instanceId} did not finish after ${polls} polls`);
  } finally {
    await releaseLease(d, ticket);
  }
}

/**
 * A resumed push whose command is unknown: sent seconds ago at least, by a run of the step that
 * died after sending, so the command bus lost it (the embedded runtime's, with its process; SSM
 * keeps commands for 30 days). Its lease is freed and the loop tries again, sending anew.
 */
async function pushAgain(d: Pick<Dependencies, 'repository'>, ticket: PushTicket): Promise<PushProgress> {
  await releaseLease(d, ticket);
  const { gatewayId, gatewayCreatedAt, instanceId, generation } = ticket;
  // Checked long ago: the next try reads the gateway.
  const checkedAt = new Date(0).toISOString();
  return {
    done: false,
    queued: { gatewayId, gatewayCreatedAt, instanceId, generation, tries: 0, checkedAt },
  };
}

/** Records a successful push's report (if it may be: plausiblyApplied); the generation applied. */
async function recordSuccess(
  d: Pick<Dependencies, 'repository' | 'configStore' | 'clock'>,
  ticket: PushTicket,
  output: string,
): Promise<number> {
  const report = parseInstanceReport(output);
  if (!report) throw new CommandFailedError(`Config push to ${ticket.instanceId} returned no report`);
  // The ticket names the gateway: a push's report is never trusted to name another one.
  if (await plausiblyApplied(d, ticket, report.appliedGeneration)) {
    const { instanceId, gatewayCreatedAt, deliveredAt } = ticket;
    const appliedBy = {
      instanceId,
      gatewayCreatedAt,
      ...(deliveredAt === undefined ? {} : { deliveredAt }),
    };
    await recordPushReport(d, { ...report, gatewayId: ticket.gatewayId }, appliedBy);
  }
  return report.appliedGeneration;
}
