/**
 * Peering routes: create and delete start their workflow (docs/CONTRACT.md#shape) and wait for it within the
 * request's window, answering with the outcome or "still running".
 */
import { ConflictError } from '../../core/errors';
import type { Page, QueryParameters } from '../../core/pagination';
import type { Caller } from '../../core/types';
import { logger } from '../../shared/logger';
import { startPeeringDeletion } from '../delete-runs';
import type { ExecutionResult } from '../ports';
import type { ApiDeps, ApiTiming, OwnerLimits } from './context';
import { newPeeringId } from './ids';
import { admitOperation } from './limits';
import { peeringListQuery } from './lists';
import { type PeeringView, provisioningPlaceholder, toPublicPeering } from './views';
import { visibleGateway, visiblePeering } from './visibility';
import { awaitExecution } from './waiting';

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
 * The remote gateway must be visible to the caller too (a user naming someone else's gateway gets
 * 404); an admin naming two owners' gateways is refused by the workflow with OWNER_MISMATCH.
 */
export async function createPeering(
  d: Pick<ApiDeps, 'repository' | 'workflows' | 'clock'>,
  caller: Caller,
  gatewayId: string,
  remoteGatewayId: string,
  idempotencyKey: string | undefined,
  timing: ApiTiming,
  limits: OwnerLimits,
): Promise<PeeringOutcome> {
  const gateway = await visibleGateway(d, caller, gatewayId);
  await visibleGateway(d, caller, remoteGatewayId);
  const peeringId = newPeeringId(caller.userId, gatewayId, idempotencyKey);
  await admitOperation(d, gateway.ownerId, peeringId, limits);
  const executionId = await d.workflows.start('create-peering', peeringId, {
    peeringId,
    gatewayId,
    remoteGatewayId,
  });
  const result = await awaitExecution(d, executionId, timing);
  const conflict = conflictOf(result);
  if (conflict) throw conflict;
  const peering = await d.repository.getPeering(peeringId);
  if (peering?.status === 'FAILED')
    return { kind: 'failed', reason: peering.statusReason ?? 'The peering failed' };
  if (result.status === 'SUCCEEDED' && peering) return { kind: 'done', peering: toPublicPeering(peering) };
  if (result.status === 'RUNNING') {
    const view = peering
      ? toPublicPeering(peering)
      : provisioningPlaceholder(peeringId, [gatewayId, remoteGatewayId]);
    return { kind: 'running', peering: view };
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

export async function getPeering(
  d: Pick<ApiDeps, 'repository'>,
  caller: Caller,
  peeringId: string,
): Promise<PeeringView> {
  return toPublicPeering(await visiblePeering(d, caller, peeringId));
}

/** Deletes the peering on both sides (delete-peering workflow). */
export async function deletePeering(
  d: Pick<ApiDeps, 'repository' | 'workflows' | 'clock'>,
  caller: Caller,
  peeringId: string,
  timing: ApiTiming,
): Promise<'done' | 'running'> {
  await visiblePeering(d, caller, peeringId);
  const executionId = await startPeeringDeletion(d, peeringId);
  const result = await awaitExecution(d, executionId, timing);
  if (result.status === 'SUCCEEDED') return 'done';
  if (result.status === 'RUNNING') return 'running';
  throw unexpectedEnd('delete-peering', executionId, result);
}
