/**
 * Bounded waits of the API: for a workflow execution, and for a road-warrior config push. Both stop
 * at the request's wait window; what is still running then carries on without the request.
 */
import { InvocationNotReadyError } from '../../core/errors';
import { logger } from '../../shared/logger';
import type { ExecutionResult } from '../ports';
import { checkPush, pushGatewayConfig } from '../push';
import { type ApiDeps, type ApiTiming, sleep } from './context';

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

/**
 * Pushes the gateway's config and follows the push until it is applied or the window ends. A
 * failed push does not fail the request: the peer is stored, and the next push (any later change)
 * carries it; the instance's status report shows what it applied.
 */
export async function pushAndWait(
  d: Pick<ApiDeps, 'repository' | 'configStore' | 'commands' | 'clock'>,
  gatewayId: string,
  timing: ApiTiming,
): Promise<void> {
  const deadline = Date.now() + timing.waitMs;
  try {
    let ticket = await pushGatewayConfig(d, gatewayId);
    while (ticket && Date.now() < deadline) {
      try {
        const progress = await checkPush(d, ticket, timing.commandMaxPolls);
        if (progress.done) return;
        ticket = progress.ticket;
      } catch (error) {
        if (!(error instanceof InvocationNotReadyError)) throw error;
      }
      await sleep(Math.min(timing.pollMs, Math.max(0, deadline - Date.now())));
    }
  } catch (error) {
    logger.warn('Config push of a road-warrior change did not complete', {
      gatewayId,
      errorName: error instanceof Error ? error.name : typeof error,
      errorMessage: error instanceof Error ? error.message : undefined,
    });
  }
}
