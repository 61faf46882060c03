/**
 * Workflow runs started by stable names, so redeliveries, double clicks and retried requests start
 * nothing new. A closed execution's name cannot run again, though: when the named run is spent (it
 * ended and joining it would not give the caller what it asked for), the next attempt runs under
 * the next name. Deleting a peering can always be retried; so can creating one
 * (app/api/peerings.ts).
 */
import { TransientError } from '../core/errors';
import type { Dependencies, ExecutionResult, WorkflowName } from './ports';

/**
 * A create-peering execution's input: ids only. `ownerId` (the gateways' owner when the request
 * was made) names the tenant in the execution's history for an SRE. The API and the sweep build it
 * here alike: locally the engine compares inputs as text, key order included.
 */
export interface CreatePeeringInput {
  peeringId: string;
  ownerId: string;
  gatewayId: string;
  remoteGatewayId: string;
}

export const createPeeringInput = (
  peeringId: string,
  ownerId: string,
  gatewayId: string,
  remoteGatewayId: string,
): CreatePeeringInput => ({ peeringId, ownerId, gatewayId, remoteGatewayId });

const FINISHED_UNSUCCESSFULLY = new Set(['FAILED', 'TIMED_OUT', 'ABORTED']);

type RunDeps = Pick<Dependencies, 'workflows'>;

/**
 * How an execution is doing; a throttled DescribeExecution counts as still running, so the caller
 * waits (or joins) instead of failing what the execution may well finish.
 */
export async function describeOrRunning(d: RunDeps, executionId: string): Promise<ExecutionResult> {
  try {
    return await d.workflows.describe(executionId);
  } catch (error) {
    if (error instanceof TransientError) return { status: 'RUNNING' };
    throw error;
  }
}

export interface Attempt {
  name: string;
  input: unknown;
}

export interface AttemptPlan {
  workflow: WorkflowName;
  /** Attempt `attempt`'s execution name and input; the same request always gives the same ones. */
  attemptOf: (attempt: number) => Attempt;
  /** Whether that attempt's run, once ended, is of no more use, so the next one should run (an open run never is). */
  spent: (result: ExecutionResult, attempt: number) => boolean | Promise<boolean>;
  maxAttempts: number;
  /** Runs before each start (an admission, say); may refuse by throwing. */
  beforeStart?: (attempt: number) => Promise<void>;
}

/**
 * Starts (or joins) attempt 1, 2, … in turn, stopping at the first that is not spent; the last
 * one allowed is returned without asking. Where every name follows from the request alone,
 * concurrent requests walk to the same attempt and Step Functions runs it once. An attempt is
 * described only when its start found its name taken by a run that may have ended: a start that
 * ran or joined an open run needs no DescribeExecution, whose quota is far below StartExecution's
 * (a cascade starts thousands: docs/DECISIONS.md, "A hub's cascade starts its peerings' deletions
 * a few at a time").
 */
export async function startLiveAttempt(
  d: RunDeps,
  plan: AttemptPlan,
): Promise<{ executionId: string; executionName: string; attempt: number }> {
  for (let attempt = 1; ; attempt++) {
    const { name, input } = plan.attemptOf(attempt);
    await plan.beforeStart?.(attempt);
    const { executionId, mayHaveEnded } = await d.workflows.start(plan.workflow, name, input);
    const started = { executionId, executionName: name, attempt };
    if (attempt >= plan.maxAttempts || !mayHaveEnded) return started;
    const result = await describeOrRunning(d, executionId);
    if (!(await plan.spent(result, attempt))) return started;
  }
}

/**
 * delete-peering under `delete-<peeringId>`; when that run is spent, a fresh attempt suffixed with
 * the time (a deletion is idempotent: two at once do no harm). Spent: it ended in failure, or it
 * succeeded and the peering is still there (a record made again after that run deleted it, as
 * before tombstones, docs/DECISIONS.md): joining it would answer "done" and delete nothing.
 */
export async function startPeeringDeletion(
  d: Pick<Dependencies, 'workflows' | 'clock' | 'repository'>,
  peeringId: string,
): Promise<{ executionId: string; executionName: string }> {
  const input = { peeringId };
  const { executionId, executionName } = await startLiveAttempt(d, {
    workflow: 'delete-peering',
    attemptOf: (attempt) => ({
      name: attempt === 1 ? `delete-${peeringId}` : `delete-${peeringId}-${d.clock().getTime()}`,
      input,
    }),
    spent: async (previous) =>
      FINISHED_UNSUCCESSFULLY.has(previous.status) ||
      (previous.status === 'SUCCEEDED' && (await d.repository.getPeering(peeringId)) !== undefined),
    maxAttempts: 2,
  });
  return { executionId, executionName };
}
