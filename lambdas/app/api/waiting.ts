/**
 * Bounded waits of the API for a workflow execution. They stop at the request's wait window; what
 * is still running then carries on without the request.
 */

import { setTimeout as sleep } from 'node:timers/promises';
import { PushFailedError } from '../../core/errors';
import { logger } from '../../shared/logger';
import type { ExecutionResult } from '../ports';
import { startGatewayPush } from '../push-runs';
import type { ApiDeps, ApiTiming } from './context';

export async function awaitExecution(
  d: Pick<ApiDeps, 'workflows'>,
  executionId: string,
  timing: ApiTiming,
): Promise<ExecutionResult> {
  const deadline = Date.now() + timing.waitMs;
  for (;;) {
    const result = await d.workflows.describe(executionId);
    const remaining = deadline - Date.now();
    if (result.status !== 'RUNNING' || remaining <= 0) return result;
    await sleep(Math.min(timing.pollMs, remaining));
  }
}

export type PushState = { state: 'done' | 'running'; generation: number };

/**
 * After a revocation: the push that carries it, followed until it ends or the window does.
 * 'done' only when the push succeeded (the instance applied at least `generation`); a failed push
 * is a PushFailedError, never a success (docs/DECISIONS.md, "Revocation").
 */
export async function pushGatewayAndAwait(
  d: Pick<ApiDeps, 'repository' | 'workflows'>,
  gatewayId: string,
  timing: ApiTiming,
): Promise<PushState> {
  // Read after the change: the generation that contains it names the execution.
  const gateway = await d.repository.getGateway(gatewayId);
  if (!gateway) return { state: 'done', generation: 0 };
  const { executionId, generation } = await startGatewayPush(d, gatewayId, gateway.desiredGeneration);
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
 * not fail the request: the peer is stored, and the next push (any later change) carries it; the
 * instance's status report shows what it applied.
 */
export async function pushGatewayAndWait(
  d: Pick<ApiDeps, 'repository' | 'workflows'>,
  gatewayId: string,
  timing: ApiTiming,
): Promise<void> {
  try {
    // Read after the change: the generation that contains it names the execution.
    const gateway = await d.repository.getGateway(gatewayId);
    if (!gateway) return;
    const { executionId } = await startGatewayPush(d, gatewayId, gateway.desiredGeneration);
    const result = await awaitExecution(d, executionId, timing);
    if (result.status === 'SUCCEEDED' || result.status === 'RUNNING') return;
    logger.warn('Config push of a road-warrior change did not complete', {
      gatewayId,
      executionId,
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
