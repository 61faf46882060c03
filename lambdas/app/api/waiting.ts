/**
 * Bounded waits of the API for a workflow execution. They stop at the request's wait window; what
 * is still running then carries on without the request.
 */

import { setTimeout as sleep } from 'node:timers/promises';
import { PushFailedError, TransientError } from '../../core/errors';
import { logger } from '../../shared/logger';
import { retry } from '../../shared/retry';
import type { ExecutionResult } from '../ports';
import { startGatewayPush } from '../push-runs';
import { describeOrRunning } from '../workflow-runs';
import type { ApiDeps, ApiTiming } from './context';

/** A throttled look counts as "still running": the wait goes on, and at its bound answers so. */
export async function awaitExecution(
  d: Pick<ApiDeps, 'workflows'>,
  executionId: string,
  timing: ApiTiming,
): Promise<ExecutionResult> {
  const deadline = Date.now() + timing.waitMs;
  for (;;) {
    const result = await describeOrRunning(d, executionId);
    const remaining = deadline - Date.now();
    if (result.status !== 'RUNNING' || remaining <= 0) return result;
    await sleep(Math.min(timing.pollMs, remaining));
  }
}

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
  const result = await awaitExecution(d, executionId, timing);
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
    const result = await awaitExecution(d, push.executionId, timing);
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
