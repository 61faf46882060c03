/**
 * Peering routes: create and delete start their workflow (docs/CONTRACT.md#shape) and wait for it within the
 * request's window, answering with the outcome or "still running".
 */
import { ConflictError, NotFoundError, PushFailedError, TransientError } from '../../core/errors';
import { FAILURE_REASONS, userFacingFailureReason } from '../../core/failure-reasons';
import type { Page, QueryParameters } from '../../core/pagination';
import type { Caller, Peering } from '../../core/types';
import { logger } from '../../shared/logger';
import type { CreateReceipt, CreateRunOutcome, ExecutionResult } from '../ports';
import { createPeeringInput, startLiveAttempt, startPeeringDeletion } from '../workflow-runs';
import type { ApiDeps, ApiTiming, OwnerLimits } from './context';
import { type IdDerivation, newPeeringId } from './ids';
import { admitOperation, admitPeering } from './limits';
import { peeringListQuery } from './lists';
import { type PeeringView, provisioningPlaceholder, toPublicPeering, unwrittenFailure } from './views';
import { canSee, visibleGateway, visiblePeering } from './visibility';
import { awaitExecution, awaitRunEnd, type ItemSettled, windowEnd } from './waiting';

export type PeeringOutcome =
  | { kind: 'done'; peering: PeeringView }
  | { kind: 'running'; peering: PeeringView }
  | { kind: 'failed'; reason: string };

export const peeringLocation = (peeringId: string): string =>
  `/v1/vpc-peerings/${encodeURIComponent(peeringId)}`;

/** A Lambda error crosses Step Functions as `cause` = {"errorType","errorMessage"}; tolerate plain text. */
export function causeMessage(cause: string | undefined): string {
  if (cause === undefined) return '';
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    return typeof parsed.errorMessage === 'string' ? parsed.errorMessage : cause;
  } catch {
    return cause;
  }
}

/** The prerequisite conflict (docs/CONTRACT.md#prerequisites) a failed execution reports, if that is why it failed. */
function conflictOf(result: ExecutionResult): ConflictError | undefined {
  if (result.status !== 'FAILED' || result.error !== 'ConflictError') return undefined;
  return ConflictError.fromMessage(causeMessage(result.cause));
}

/**
 * What a failed execution found gone, if that is why it failed: a gateway, or the peering itself,
 * deleted while it was created (its tombstone refuses the id: docs/DECISIONS.md).
 */
function goneOf(result: ExecutionResult): NotFoundError | undefined {
  if (result.status !== 'FAILED' || result.error !== 'NotFoundError') return undefined;
  return new NotFoundError(causeMessage(result.cause).replace(/ not found$/, ''));
}

/**
 * Why a failed execution that wrote nothing can never succeed, when no conflict says it: a record of
 * a gateway at the store's size limit (docs/DECISIONS.md, "Peerings per gateway"). A retry with the
 * same key starts a fresh attempt, which fails the same way until peerings are deleted.
 */
function failedForGoodOf(result: ExecutionResult): string | undefined {
  // The stable name as a literal: a class's own `.name` is minified away in the deployed bundle.
  if (result.status !== 'FAILED' || result.error !== 'ItemTooLargeError') return undefined;
  return userFacingFailureReason({ Error: result.error, Cause: result.cause });
}

function unexpectedEnd(workflow: string, executionId: string, result: ExecutionResult): Error {
  // error names a type; cause may be long but never carries a secret value (only secret names travel).
  logger.error('Workflow ended unexpectedly', {
    workflow,
    executionId,
    status: result.status,
    error: result.error,
  });
  return new Error(`${workflow} execution ${executionId} ended ${result.status}`);
}

/**
 * The line that links an API call to its workflow (README, "Logs"): it carries the request's ids
 * (lambdas/http/handler.ts), the steps' lines carry the same peeringId and executionName. A retried
 * request that joins the run its first try started writes it too. Ids only, never a key.
 */
function logWorkflowStarted(workflow: string, peeringId: string, executionName: string): void {
  logger.info('peering workflow started', { workflow, peeringId, executionName });
}

/**
 * A create's item: its run wrote the peering's end (Activate's ACTIVE, Compensate's FAILED), or the
 * peering it wrote was deleted meanwhile (its tombstone: the run ends on it, NotFoundError). The
 * tombstone is read only once the record was seen: before Allocate, one read a poll.
 */
const peeringSettled = (d: Pick<ApiDeps, 'repository'>, peeringId: string): ItemSettled => {
  let written = false;
  return async () => {
    const peering = await d.repository.getPeering(peeringId);
    if (peering) {
      written = true;
      return peering.status === 'ACTIVE' || peering.status === 'FAILED';
    }
    return written && d.repository.peeringDeleted(peeringId);
  };
};

/**
 * A create's answer from its settled item, without describing its run: Activate's ACTIVE ends the
 * run SUCCEEDED whatever follows (the ASL's ActiveDespiteFailure), Compensate's FAILED ends it
 * FAILED with the reason on the record, and a record deleted while it was created (its tombstone,
 * or since) is the 404 its run's NotFoundError gives.
 */
function settledCreate(peeringId: string, peering: Peering | undefined): PeeringOutcome {
  if (peering?.status === 'FAILED')
    return { kind: 'failed', reason: peering.statusReason ?? 'The peering failed' };
  if (peering) return { kind: 'done', peering: toPublicPeering(peering) };
  throw new NotFoundError(`Peering ${peeringId}`);
}

/** A deletion's item: Release replaced the record by its tombstone (or there was none left). */
const peeringGone =
  (d: Pick<ApiDeps, 'repository'>, peeringId: string): ItemSettled =>
  async () =>
    (await d.repository.getPeering(peeringId)) === undefined;

/**
 * Attempts one Idempotency-Key may make (docs/DECISIONS.md, "Peering semantics"): each follows an
 * attempt that ended with no peering, which the client was told to retry (503) or was refused
 * (409, replayed for the key's 24 hours), so only a client that keeps retrying reaches the bound.
 * It bounds the lookups a request makes to find its attempt.
 */
const MAX_CREATE_ATTEMPTS = 10;

/** Errors of a run that ended for throttling or a timeout: a retry may well succeed. */
function endedTransiently(result: ExecutionResult): boolean {
  if (result.status === 'TIMED_OUT') return true;
  const error = result.error ?? '';
  return error === 'TransientError' || error === 'States.Timeout' || error.startsWith('Lambda.');
}

/**
 * The remote gateway must be visible to the caller too (a user naming someone else's gateway gets
 * 404); an admin naming two owners' gateways is refused by the workflow with OWNER_MISMATCH.
 *
 * An attempt whose run ended without writing a peering (a refusal, throttling that outlasted the
 * retries, a peering since deleted) is spent: a retry with the same key starts the next attempt,
 * a fresh peering id and execution name, instead of answering that run's end forever.
 */
export async function createPeering(
  d: Pick<ApiDeps, 'repository' | 'workflows' | 'clock'>,
  caller: Caller,
  gatewayId: string,
  remoteGatewayId: string,
  derivation: IdDerivation | undefined,
  timing: ApiTiming,
  limits: OwnerLimits,
): Promise<PeeringOutcome> {
  const gateway = await visibleGateway(d, caller, gatewayId);
  await visibleGateway(d, caller, remoteGatewayId);
  // Without a key a request is its own peering, with a random id: one attempt.
  const unkeyedId =
    derivation === undefined ? newPeeringId(caller.userId, gatewayId, remoteGatewayId, undefined) : undefined;
  const peeringIdOf = (attempt: number): string =>
    unkeyedId ?? newPeeringId(caller.userId, gatewayId, remoteGatewayId, derivation, attempt);
  const { executionId, executionName, attempt } = await startLiveAttempt(d, {
    workflow: 'create-peering',
    attemptOf: (n) => {
      const peeringId = peeringIdOf(n);
      return {
        name: peeringId,
        input: createPeeringInput(peeringId, gateway.ownerId, gatewayId, remoteGatewayId),
      };
    },
    beforeStart: async (n) => {
      // Both sides' places first: an owner's operations would otherwise be spent on refusals.
      for (const side of [gatewayId, remoteGatewayId]) await admitPeering(d, side, peeringIdOf(n), limits);
      await admitOperation(d, gateway.ownerId, peeringIdOf(n), limits);
    },
    spent: async (previous, n) =>
      previous.status !== 'RUNNING' && !(await d.repository.getPeering(peeringIdOf(n))),
    maxAttempts: derivation === undefined ? 1 : MAX_CREATE_ATTEMPTS,
  });
  const peeringId = peeringIdOf(attempt);
  logWorkflowStarted('create-peering', peeringId, executionName);
  // Admitted per owner above, which bounds its sparse looks in flight: a refusal (Validate's 409,
  // which writes nothing) is answered within about three times its run's time, not at the
  // window's end.
  const end = await awaitExecution(d, executionId, timing, peeringSettled(d, peeringId), 'sparse');
  const peering = await d.repository.getPeering(peeringId);
  if (end.settled) return settledCreate(peeringId, peering);
  const result = end.run;
  const conflict = conflictOf(result);
  if (conflict) throw conflict;
  if (peering?.status === 'FAILED')
    return { kind: 'failed', reason: peering.statusReason ?? 'The peering failed' };
  if (result.status === 'SUCCEEDED' && peering) return { kind: 'done', peering: toPublicPeering(peering) };
  const gone = peering ? undefined : goneOf(result);
  if (gone) throw gone;
  const failedForGood = peering ? undefined : failedForGoodOf(result);
  if (failedForGood) return { kind: 'failed', reason: failedForGood };
  if (result.status === 'RUNNING') {
    if (peering) return { kind: 'running', peering: toPublicPeering(peering) };
    // Its Location must answer for the run until it writes the peering, or if it never does.
    const gatewayIds: [string, string] = [gatewayId, remoteGatewayId];
    await d.repository.putCreateReceipt({
      peeringId,
      ownerId: gateway.ownerId,
      gatewayIds,
      acceptedAt: d.clock().toISOString(),
    });
    return { kind: 'running', peering: provisioningPlaceholder(peeringId, gateway.ownerId, gatewayIds) };
  }
  // Nothing was written: a retry (with the same key) runs a fresh attempt.
  if (!peering && endedTransiently(result)) {
    logger.warn('Peering create ended transiently without a peering', {
      executionId,
      status: result.status,
      error: result.error,
    });
    throw new TransientError(`create-peering execution ${executionId} ended ${result.status}`);
  }
  throw unexpectedEnd('create-peering', executionId, result);
}

export async function listPeerings(
  d: Pick<ApiDeps, 'repository'>,
  caller: Caller,
  query: QueryParameters,
): Promise<Page<PeeringView>> {
  const { filter, page } = peeringListQuery(caller, query);
  const peerings = await d.repository.pagePeerings(filter, page);
  return { ...peerings, items: peerings.items.map(toPublicPeering) };
}

/**
 * A peering, or, when it has no record, what its create run says: a create answered 202 is polled
 * at its Location before its run writes the peering, and a run refused after the API's wait window
 * writes nothing at all (docs/CONTRACT.md, "A create's Location").
 */
export async function getPeering(
  d: Pick<ApiDeps, 'repository' | 'workflows'>,
  caller: Caller,
  peeringId: string,
): Promise<PeeringView> {
  const peering = await d.repository.getPeering(peeringId);
  if (peering) {
    if (!canSee(caller, peering.ownerId)) throw new NotFoundError(`Peering ${peeringId}`);
    return toPublicPeering(peering);
  }
  return unwrittenPeering(d, caller, peeringId);
}

/**
 * Deletes the peering on both sides (delete-peering workflow). Its pushes are best effort (Release
 * must run whatever they do), so a run that ends SUCCEEDED with a `pushFailure` deleted the record
 * while a gateway may still hold the peer: PushFailedError (502), as for a revocation; drift repair
 * pushes the removal again (docs/CONTRACT.md, the peering DELETE rows).
 */
export async function deletePeering(
  d: Pick<ApiDeps, 'repository' | 'workflows' | 'clock'>,
  caller: Caller,
  peeringId: string,
  timing: ApiTiming,
): Promise<'done' | 'running'> {
  await visiblePeering(d, caller, peeringId);
  const { executionId, executionName } = await startPeeringDeletion(d, peeringId);
  logWorkflowStarted('delete-peering', peeringId, executionName);
  // Deletions are not admitted per owner: no look before the window's end. Settled: Release
  // deleted the record last, so the run ends a moment later; only its output says whether a
  // gateway's push failed (its pushFailure): one look, about.
  const deadline = windowEnd(timing);
  const end = await awaitExecution(d, executionId, timing, peeringGone(d, peeringId), 'none', deadline);
  const result = end.settled ? await awaitRunEnd(d, executionId, timing, deadline) : end.run;
  if (result.status === 'SUCCEEDED' && pushFailed(result.output)) {
    logger.warn('Peering deleted, but a gateway did not apply the removal', { peeringId, executionId });
    throw new PushFailedError(
      'The peering is deleted, but a gateway did not apply the removal; its configuration push failed and will be retried',
    );
  }
  if (result.status === 'SUCCEEDED') return 'done';
  if (result.status === 'RUNNING') return 'running';
  throw unexpectedEnd('delete-peering', executionId, result);
}

/** Whether a delete-peering run's output holds the failure its best-effort pushes caught. */
const pushFailed = (output: unknown): boolean =>
  typeof output === 'object' && output !== null && 'pushFailure' in output;

/**
 * The peering id names no record. If the API answered its create 202 (its receipt), the create's run
 * may still be writing it (PROVISIONING) or have ended without writing it (FAILED, with the reason a
 * 409 or 502 would have given). A run that wrote it, after which it was deleted (its tombstone), and
 * a run refused because the peering was deleted while it was created, leave nothing to show: 404.
 * Only the receipt's owner (or an admin) gets past the receipt, so only they make the workflow
 * engine describe a run (its quota is the account's), and only until it closed: the first GET that
 * finds it closed records its outcome on the receipt (docs/DECISIONS.md, "The API's waits follow
 * their own item").
 */
async function unwrittenPeering(
  d: Pick<ApiDeps, 'repository' | 'workflows'>,
  caller: Caller,
  peeringId: string,
): Promise<PeeringView> {
  const notFound = new NotFoundError(`Peering ${peeringId}`);
  const receipt = await d.repository.getCreateReceipt(peeringId);
  if (!receipt || !canSee(caller, receipt.ownerId)) throw notFound;
  const { ownerId, gatewayIds } = receipt;
  const outcomeView = (outcome: CreateRunOutcome): PeeringView => {
    if (outcome.kind === 'gone') throw notFound;
    return unwrittenFailure(peeringId, ownerId, gatewayIds, outcome.reason);
  };
  if (receipt.outcome) return outcomeView(receipt.outcome);
  const run = await d.workflows.find('create-peering', peeringId);
  // Written since the first read (the run went on meanwhile)?
  const written = await d.repository.getPeering(peeringId);
  if (written) return toPublicPeering(written);
  if (!run) throw notFound;
  if (run.status === 'RUNNING') return provisioningPlaceholder(peeringId, ownerId, gatewayIds);
  const outcome = await closedRunOutcome(d, peeringId, run);
  await recordOutcome(d, { ...receipt, outcome });
  return outcomeView(outcome);
}

/**
 * What a closed create run that left no record shows. Final: no later run writes this id (a retry
 * runs the next attempt's id), so no record and no tombstone can come after.
 */
async function closedRunOutcome(
  d: Pick<ApiDeps, 'repository'>,
  peeringId: string,
  run: ExecutionResult,
): Promise<CreateRunOutcome> {
  // A peering deleted since, or while it was created (the run then failed on its tombstone).
  if (run.status === 'SUCCEEDED' || (await d.repository.peeringDeleted(peeringId))) return { kind: 'gone' };
  const reason = goneOf(run)
    ? FAILURE_REASONS.gatewayGone
    : endedTransiently(run)
      ? FAILURE_REASONS.unavailable
      : userFacingFailureReason({ Error: run.error, Cause: run.cause });
  return { kind: 'failed', reason };
}

/** Best effort: a receipt left without it costs the next GET one more look at the run. */
async function recordOutcome(d: Pick<ApiDeps, 'repository'>, receipt: CreateReceipt): Promise<void> {
  try {
    await d.repository.putCreateReceipt(receipt);
  } catch (error) {
    if (!(error instanceof TransientError)) throw error;
    logger.warn("A create's closed run could not be recorded on its receipt", {
      peeringId: receipt.peeringId,
      errorMessage: error.message,
    });
  }
}
