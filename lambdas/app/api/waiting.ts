/**
 * Bounded waits of the API for a workflow execution. They stop at the request's wait window; what
 * is still running then carries on without the request.
 *
 * A wait follows the request's own DynamoDB item every API_POLL_MS and answers from it once it
 * settles, without describing the run; it describes a run whose item has not settled at the
 * window's end, and, for a wait bounded per owner, a few times before (docs/DECISIONS.md, "A
 * settled wait describes nothing"): DescribeExecution's quota is the account's (15/s refill),
 * shared by every tenant's waits, the sweep and startLiveAttempt.
 */

import { setTimeout as sleep } from 'node:timers/promises';
import { PushFailedError, TransientError } from '../../core/errors';
import { logger } from '../../shared/logger';
import { retry } from '../../shared/retry';
import type { ExecutionResult } from '../ports';
import { startGatewayPush } from '../push-runs';
import type { ApiDeps, ApiTiming } from './context';

/**
 * Whether the run wrote its end on the request's own item (a peering ACTIVE or FAILED, a peering
 * gone, a generation applied): one strongly consistent read in the item's own partition.
 */
export type ItemSettled = () => Promise<boolean>;

/**
 * How a wait ended: its item settled (the caller answers from the item; the run was not
 * described), or the run ended without settling it, as a look before the window's end showed, or
 * the window ended first and `run` is what the look at its end showed (RUNNING when that look was
 * throttled).
 */
export type WaitEnd = { settled: true } | { settled: false; run: ExecutionResult };

/** When the request's window ends, for a wait started now. */
export const windowEnd = (timing: ApiTiming): number => Date.now() + timing.waitMs;

/**
 * Whether a wait describes its run before the window's end while its item has not settled
 * (docs/DECISIONS.md, "A settled wait describes nothing"). 'sparse': a create, whose run may end
 * without writing (Validate's 409) and which is admitted per owner
 * (MAX_OPERATIONS_IN_FLIGHT_PER_OWNER), so that bound caps its looks in flight (the rate it leaves
 * is in DECISIONS): the refusal is answered within about three times its run's time. 'none': the waits no owner bound caps (a revocation,
 * a peering deletion), whose looks at the caller rate would drain the account's quota: their
 * unsettled run is described once, at the window's end.
 */
export type LooksBeforeSettled = 'sparse' | 'none';

/** A 'sparse' wait's looks before its item settles, the one at the window's end aside. */
export const LOOKS_BEFORE_SETTLED = 3;

/**
 * When a 'sparse' wait started at `start` describes its unsettled run: at 2 × API_POLL_MS, then
 * spaced geometrically so that a fourth look would fall at the window's end (0.3, 0.9, 2.7 s on
 * AWS, then 8 s), whatever the window.
 */
export function sparseLookTimes(timing: ApiTiming, start: number): number[] {
  const first = 2 * timing.pollMs;
  const ratio = Math.max(2, (timing.waitMs / Math.max(1, first)) ** (1 / LOOKS_BEFORE_SETTLED));
  return Array.from({ length: LOOKS_BEFORE_SETTLED }, (_, made) => start + first * ratio ** made);
}

/** The longest pause between a settled deletion's looks at its run's last step. */
export const SETTLED_GAP_MAX_MS = 1_000;

/** The run as DescribeExecution shows it; undefined when the call was throttled. */
async function describeUnlessThrottled(
  d: Pick<ApiDeps, 'workflows'>,
  executionId: string,
): Promise<ExecutionResult | undefined> {
  try {
    return await d.workflows.describe(executionId);
  } catch (error) {
    if (error instanceof TransientError) return undefined;
    throw error;
  }
}

/** A throttled read of the item says nothing yet: the next poll reads it again. */
async function settledUnlessThrottled(itemSettled: ItemSettled): Promise<boolean> {
  try {
    return await itemSettled();
  } catch (error) {
    if (error instanceof TransientError) return false;
    throw error;
  }
}

const pauseUntil = (at: number, pollMs: number) => sleep(Math.max(0, Math.min(pollMs, at - Date.now())));

/**
 * Reads the item every API_POLL_MS until it settles (true) or the window ends (false). Never
 * describes the run.
 */
export async function followItem(
  itemSettled: ItemSettled,
  timing: ApiTiming,
  deadline: number,
): Promise<boolean> {
  for (;;) {
    if (await settledUnlessThrottled(itemSettled)) return true;
    if (Date.now() >= deadline) return false;
    await pauseUntil(deadline, timing.pollMs);
  }
}

/**
 * Follows the run's item until it settles or the window ends. A run whose item has not settled is
 * described at `looks`' times before the window's end ('sparse') and at its end (unless a look was
 * made within the last poll): one that ended without writing (a refused create, a failed push) is
 * answered at the first look after its end, one that outlasts the window (or whose looks were
 * throttled) is RUNNING, and the caller answers "still running".
 */
export async function awaitExecution(
  d: Pick<ApiDeps, 'workflows'>,
  executionId: string,
  timing: ApiTiming,
  itemSettled: ItemSettled,
  looks: LooksBeforeSettled,
  deadline = windowEnd(timing),
): Promise<WaitEnd> {
  const early = looks === 'sparse' ? sparseLookTimes(timing, Date.now()).filter((at) => at < deadline) : [];
  let run: ExecutionResult = { status: 'RUNNING' };
  let lastLook = Number.NEGATIVE_INFINITY;
  const look = async (): Promise<ExecutionResult> => {
    run = (await describeUnlessThrottled(d, executionId)) ?? run;
    lastLook = Date.now();
    return run;
  };
  for (const at of early) {
    if (await followItem(itemSettled, timing, at)) return { settled: true };
    if ((await look()).status !== 'RUNNING') return { settled: false, run };
  }
  if (await followItem(itemSettled, timing, deadline)) return { settled: true };
  if (Date.now() - lastLook >= timing.pollMs) await look();
  return { settled: false, run };
}

/**
 * The end of a run whose item settled, for an answer only its output holds (a deletion's
 * `pushFailure`): its last step ends about when it wrote the item, so the first look, one poll
 * later, finds it ended; a tail still running is looked at again after doubling pauses up to
 * SETTLED_GAP_MAX_MS (a throttled look doubles the next pause once more), and at the window's end
 * unless a look was made within the last poll. RUNNING when the window ended first.
 */
export async function awaitRunEnd(
  d: Pick<ApiDeps, 'workflows'>,
  executionId: string,
  timing: ApiTiming,
  deadline: number,
): Promise<ExecutionResult> {
  let last: ExecutionResult = { status: 'RUNNING' };
  let gap = timing.pollMs;
  let lastLook = Number.NEGATIVE_INFINITY;
  let next = Date.now() + gap;
  for (;;) {
    const now = Date.now();
    const atEnd = now >= deadline;
    if (atEnd && now - lastLook < timing.pollMs) return last;
    if (atEnd || now >= next) {
      const seen = await describeUnlessThrottled(d, executionId);
      if (seen) last = seen;
      if (atEnd || last.status !== 'RUNNING') return last;
      lastLook = Date.now();
      gap = Math.min(2 * gap, SETTLED_GAP_MAX_MS) * (seen ? 1 : 2);
      next = lastLook + gap;
    }
    await pauseUntil(Math.min(next, deadline), timing.pollMs);
  }
}

/** A push's item: the gateway's instance applied `generation` or a later one. */
const generationApplied =
  (d: Pick<ApiDeps, 'repository'>, gatewayId: string, generation: number): ItemSettled =>
  async () =>
    ((await d.repository.getAppliedGeneration(gatewayId))?.appliedGeneration ?? -1) >= generation;

/** How far a change's push got; `generation` (when known) is the one that holds the change. */
export type PushState = { state: 'done' | 'running'; generation?: number };

/**
 * Starts of a push after its change committed, and the pause after a throttled one (0.1 to 0.2,
 * 0.2 to 0.4, 0.4 to 0.8 s): at most 1.4 s of pauses, well inside the request's window.
 */
const PUSH_START_ATTEMPTS = 4;
const pauseAfterThrottledStart = (attempt: number, random: number): number =>
  (0.5 + random / 2) * 100 * 2 ** attempt;

type CommittedPush =
  | { kind: 'gone' }
  | { kind: 'started'; executionId: string; generation: number }
  | { kind: 'not-started'; generation?: number };

/**
 * The push of the generation a committed change produced (read after the change: that generation
 * names the execution). Throttling that outlasts a few retries does not fail the request, whose
 * change is stored: drift repair pushes it (docs/DECISIONS.md, "Status reports"), and the caller
 * answers "still running".
 */
async function startCommittedPush(
  d: Pick<ApiDeps, 'repository' | 'workflows'>,
  gatewayId: string,
  change: string,
): Promise<CommittedPush> {
  let generation: number | undefined;
  try {
    return await retry(
      async (): Promise<CommittedPush> => {
        const gateway = await d.repository.getGateway(gatewayId);
        if (!gateway) return { kind: 'gone' };
        generation = gateway.desiredGeneration;
        const run = await startGatewayPush(d, gatewayId, generation);
        return { kind: 'started', executionId: run.executionId, generation };
      },
      {
        attempts: PUSH_START_ATTEMPTS,
        delayMs: pauseAfterThrottledStart,
        retryable: (error) => error instanceof TransientError,
      },
    );
  } catch (error) {
    if (!(error instanceof TransientError)) throw error;
    logger.warn(`Config push of a ${change} could not start; drift repair will push it`, {
      gatewayId,
      generation,
      errorMessage: error.message,
    });
    return generation === undefined ? { kind: 'not-started' } : { kind: 'not-started', generation };
  }
}

/**
 * After a revocation: the push that carries it, followed until it ends or the window does.
 * 'done' once the instance applied at least `generation` (its APPLIED item: the run is not
 * described); a failed push is a PushFailedError, never a success (docs/DECISIONS.md,
 * "Revocation"), known from the one look at the window's end at a push whose instance never
 * applied it. A push that could not start (throttled) is 'running': the revocation is stored,
 * drift repair applies it.
 */
export async function pushGatewayAndAwait(
  d: Pick<ApiDeps, 'repository' | 'workflows'>,
  gatewayId: string,
  timing: ApiTiming,
): Promise<PushState> {
  const push = await startCommittedPush(d, gatewayId, 'revocation');
  // Deleted meanwhile: its instance runs the revoked key until the cascade's teardown lands, so
  // the revocation is not yet done (202, no generation: the gateway has none left to follow).
  if (push.kind === 'gone') return { state: 'running' };
  if (push.kind === 'not-started') {
    return push.generation === undefined
      ? { state: 'running' }
      : { state: 'running', generation: push.generation };
  }
  const { executionId, generation } = push;
  // A revocation is not admitted per owner: no look before the window's end.
  const applied = generationApplied(d, gatewayId, generation);
  const end = await awaitExecution(d, executionId, timing, applied, 'none');
  if (end.settled || end.run.status === 'SUCCEEDED') return { state: 'done', generation };
  if (end.run.status === 'RUNNING') return { state: 'running', generation };
  logger.warn('Config push of a revocation did not complete', {
    gatewayId,
    executionId,
    status: end.run.status,
    errorName: end.run.error,
  });
  throw new PushFailedError();
}

/**
 * After a road-warrior addition: push-gateway brings the gateway's config to the generation the
 * change produced, and the request follows the gateway's APPLIED item until the instance applied
 * it or the window ends. The answer is the same either way, so the run is never described: a
 * failed push does not fail the request (the peer is stored, and the next push, any later change
 * or drift repair, carries it; the instance's status report shows what it applied), and a failed
 * push-gateway run pages through its own alarm (docs/DECISIONS.md, "Alarms on the error, the API
 * and the silent loops").
 */
export async function pushGatewayAndWait(
  d: Pick<ApiDeps, 'repository' | 'workflows'>,
  gatewayId: string,
  timing: ApiTiming,
): Promise<void> {
  try {
    const push = await startCommittedPush(d, gatewayId, 'road-warrior change');
    if (push.kind !== 'started') return;
    await followItem(generationApplied(d, gatewayId, push.generation), timing, windowEnd(timing));
  } catch (error) {
    logger.warn('Config push of a road-warrior change did not start', {
      gatewayId,
      errorName: error instanceof Error ? error.name : typeof error,
      errorMessage: error instanceof Error ? error.message : undefined,
    });
  }
}
