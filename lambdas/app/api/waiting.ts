/**
 * Bounded waits of the API for a workflow execution. They stop at the request's wait window; what
 * is still running then carries on without the request.
 *
 * A wait follows the request's own DynamoDB item every API_POLL_MS and asks the workflow engine
 * only a few times (docs/DECISIONS.md, "The API's waits follow their own item"): DescribeExecution's
 * quota is the account's (15/s refill), shared by every tenant's waits, the sweep and
 * startLiveAttempt.
 */

import { setTimeout as sleep } from 'node:timers/promises';
import { PushFailedError, TransientError } from '../../core/errors';
import { logger } from '../../shared/logger';
import { retry } from '../../shared/retry';
import type { ExecutionResult } from '../ports';
import { startGatewayPush } from '../push-runs';
import type { ApiDeps, ApiTiming } from './context';

/**
 * DescribeExecution calls a wait makes while its item says nothing, before the one at the window's
 * end: enough to catch a run that ends without writing (a refused create, a failed push).
 */
export const LOOKS_BEFORE_SETTLED = 3;

/**
 * Whether the run wrote its end on the request's own item (a peering ACTIVE or FAILED, a peering
 * gone, a generation applied): one strongly consistent read in the item's own partition.
 */
export type ItemSettled = () => Promise<boolean>;

/** The longest pause between looks once the item settled: a run's tail is answered within it. */
export const SETTLED_GAP_MAX_MS = 1_000;

/**
 * When a wait describes its run. Before the item settles: at 2 × API_POLL_MS, then spaced
 * geometrically so that a fourth look falls at the window's end (0.3, 0.9, 2.7 s and 8 s on AWS):
 * a run that ends without writing is caught within about three times its time, whatever the
 * window. Once the item settles: at once, then after API_POLL_MS, doubling up to
 * SETTLED_GAP_MAX_MS, until the run's last step ended (one or two looks; a tail stuck for the whole
 * window, a push queued behind a lease, costs about one a second). A throttled look doubles the
 * next pause once more; the looks before the item settles are sparser already. The window's end
 * always gets a look unless one was made within the last poll: a run that ended meanwhile is
 * answered as ended, not as still running.
 */
class DescribeSchedule {
  private made = 0;
  private lastLook = Number.NEGATIVE_INFINITY;
  private settled = false;
  private next: number;
  private gap = 0;
  private readonly first: number;
  private readonly ratio: number;

  constructor(
    private readonly timing: ApiTiming,
    private readonly start: number,
  ) {
    this.first = 2 * timing.pollMs;
    this.ratio = Math.max(2, (timing.waitMs / Math.max(1, this.first)) ** (1 / LOOKS_BEFORE_SETTLED));
    this.next = start + this.first;
  }

  itemSettled(now: number): void {
    this.settled = true;
    this.next = now;
    this.gap = this.timing.pollMs;
  }

  isSettled(): boolean {
    return this.settled;
  }

  due(now: number): boolean {
    return now >= this.next && (this.settled || this.made < LOOKS_BEFORE_SETTLED);
  }

  /** Whether the window's end gets a look: not when one was made within the last poll. */
  lookAtEnd(now: number): boolean {
    return now - this.lastLook >= this.timing.pollMs;
  }

  looked(now: number, throttled: boolean): void {
    this.made++;
    this.lastLook = now;
    if (!this.settled) {
      this.next = this.start + this.first * this.ratio ** this.made;
      return;
    }
    if (throttled) this.gap *= 2;
    this.next = now + this.gap;
    this.gap = Math.min(2 * this.gap, SETTLED_GAP_MAX_MS);
  }
}

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

/** A throttled read of the item says nothing yet: the sparse looks still find the run's end. */
async function settledUnlessThrottled(itemSettled: ItemSettled): Promise<boolean> {
  try {
    return await itemSettled();
  } catch (error) {
    if (error instanceof TransientError) return false;
    throw error;
  }
}

/**
 * Follows the run until it ends or the window does, reading its item every API_POLL_MS and
 * describing it on DescribeSchedule's few looks. RUNNING when the window ended first, or when every look was throttled:
 * the caller answers "still running".
 */
export async function awaitExecution(
  d: Pick<ApiDeps, 'workflows'>,
  executionId: string,
  timing: ApiTiming,
  itemSettled: ItemSettled,
): Promise<ExecutionResult> {
  const deadline = Date.now() + timing.waitMs;
  const schedule = new DescribeSchedule(timing, Date.now());
  let last: ExecutionResult = { status: 'RUNNING' };
  const look = async (): Promise<ExecutionResult> => {
    const seen = await describeUnlessThrottled(d, executionId);
    schedule.looked(Date.now(), seen === undefined);
    if (seen) last = seen;
    return last;
  };
  for (;;) {
    if (Date.now() >= deadline) return schedule.lookAtEnd(Date.now()) ? look() : last;
    if (!schedule.isSettled() && (await settledUnlessThrottled(itemSettled)))
      schedule.itemSettled(Date.now());
    if (schedule.due(Date.now()) && (await look()).status !== 'RUNNING') return last;
    await sleep(Math.max(0, Math.min(timing.pollMs, deadline - Date.now())));
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
 * 'done' only when the push succeeded (the instance applied at least `generation`); a failed push
 * is a PushFailedError, never a success (docs/DECISIONS.md, "Revocation"). A push that could not
 * start (throttled) is 'running': the revocation is stored, drift repair applies it.
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
  const result = await awaitExecution(d, executionId, timing, generationApplied(d, gatewayId, generation));
  if (result.status === 'SUCCEEDED') return { state: 'done', generation };
  if (result.status === 'RUNNING') return { state: 'running', generation };
  logger.warn('Config push of a revocation did not complete', {
    gatewayId,
    executionId,
    status: result.status,
    errorName: result.error,
  });
  throw new PushFailedError();
}

/**
 * After a road-warrior addition: push-gateway brings the gateway's config to the generation the
 * change produced, and the request follows it until it ends or the window does. A failed push does
 * not fail the request: the peer is stored, and the next push (any later change, or drift repair)
 * carries it; the instance's status report shows what it applied.
 */
export async function pushGatewayAndWait(
  d: Pick<ApiDeps, 'repository' | 'workflows'>,
  gatewayId: string,
  timing: ApiTiming,
): Promise<void> {
  try {
    const push = await startCommittedPush(d, gatewayId, 'road-warrior change');
    if (push.kind !== 'started') return;
    const result = await awaitExecution(
      d,
      push.executionId,
      timing,
      generationApplied(d, gatewayId, push.generation),
    );
    if (result.status === 'SUCCEEDED' || result.status === 'RUNNING') return;
    logger.warn('Config push of a road-warrior change did not complete', {
      gatewayId,
      executionId: push.executionId,
      status: result.status,
      errorName: result.error,
    });
  } catch (error) {
    logger.warn('Config push of a road-warrior change did not start', {
      gatewayId,
      errorName: error instanceof Error ? error.name : typeof error,
      errorMessage: error instanceof Error ? error.message : undefined,
    });
  }
}
