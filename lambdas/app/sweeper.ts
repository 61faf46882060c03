/**
 * No transitional state lasts forever: a peering left PROVISIONING or DELETING with no running
 * execution past a bound (an aborted execution, a compensation that failed, a crash of the
 * embedded runtime) is re-driven. Every step is idempotent, so a re-drive converges:
 * - DELETING: delete-peering again;
 * - PROVISIONING: create-peering again with the same input (Allocate finds the peering written,
 *   the pushes and Activate finish it, or Compensate releases everything and marks it FAILED).
 * Nor does a deleted gateway's cascade stay pending: one the stream gave up on (its retries spent,
 * the record parked in the dead-letter queue, which keeps only its position) runs again here, past
 * its own bound, from what the tombstone kept (RemovedGateway).
 */
import type { Peering } from '../core/types';
import { type CascadeDeps, cascadeGatewayRemoval, type InstanceTeardown } from './gateway-lifecycle';
import type { Dependencies, RemovedGateway, WorkflowName } from './ports';

export interface Redrive {
  peeringId: string;
  status: Peering['status'];
  workflow: WorkflowName;
  executionId: string;
}

type SweepDeps = Pick<Dependencies, 'workflows' | 'audit' | 'clock'>;

/** The execution a peering in this state belongs to, by its stable name (docs/ARCHITECTURE.md). */
function namedRun(peering: Peering): { workflow: WorkflowName; name: string; input: Record<string, string> } {
  if (peering.status === 'DELETING') {
    return { workflow: 'delete-peering', name: `delete-${peering.id}`, input: { peeringId: peering.id } };
  }
  const [gatewayId = '', remoteGatewayId = ''] = peering.gatewayIds;
  return {
    workflow: 'create-peering',
    name: peering.id,
    input: { peeringId: peering.id, gatewayId, remoteGatewayId },
  };
}

/**
 * The name of the execution that re-drives `peering` now, or undefined when one is running. One
 * that never started is started under its name. One that ended without settling the peering gets
 * one attempt per stalled state, named after the peering's `updatedAt` (a re-drive does not change
 * it): a sweep retried after a failure, or one that overlaps an attempt still running, finds that
 * attempt and leaves it alone, and two sweeps at once start the same name, which Step Functions
 * runs once. Should that attempt end without settling it too, later ones are suffixed with the time
 * (a closed name cannot run again).
 */
async function redriveName(d: SweepDeps, peering: Peering): Promise<string | undefined> {
  const run = namedRun(peering);
  const first = await d.workflows.find(run.workflow, run.name);
  if (!first) return run.name;
  if (first.status === 'RUNNING') return undefined;
  const attempt = `${run.name}-sweep-${Date.parse(peering.updatedAt)}`;
  const earlier = await d.workflows.find(run.workflow, attempt);
  if (!earlier) return attempt;
  if (earlier.status === 'RUNNING') return undefined;
  return `${attempt}-${d.clock().getTime()}`;
}

/**
 * Re-drives each stalled peering whose executions are not running (redriveName). Each re-drive is
 * audited, and returned for the caller's log.
 */
export async function redriveStalledPeerings(d: SweepDeps, stalled: readonly Peering[]): Promise<Redrive[]> {
  const redriven: Redrive[] = [];
  for (const peering of stalled) {
    const run = namedRun(peering);
    const name = await redriveName(d, peering);
    if (name === undefined) continue;
    const executionId = await d.workflows.start(run.workflow, name, run.input);
    redriven.push({ peeringId: peering.id, status: peering.status, workflow: run.workflow, executionId });
    await d.audit.publish('VPC Peering Re-driven', {
      peeringId: peering.id,
      status: peering.status,
      workflow: run.workflow,
      executionId,
    });
  }
  return redriven;
}

/** How long each kind of work may wait before the sweep takes it over. */
export interface SweepBounds {
  /** A peering PROVISIONING or DELETING since its last change (STALLED_PEERING_BOUND_SECONDS). */
  stalledPeeringSeconds: number;
  /**
   * A deleted gateway's cascade pending since the delete (PENDING_CASCADE_BOUND_SECONDS): longer
   * than the stream retries its record, so the sweep takes over only what the stream gave up on.
   */
  pendingCascadeSeconds: number;
}

export interface CascadeRedrive {
  gatewayId: string;
  instanceId: string;
  generation: number;
  teardown: InstanceTeardown;
}

/** A cascade the sweep ran and that failed again: left pending, the next sweep runs it again. */
export interface CascadeFailure {
  gatewayId: string;
  errorName: string;
  errorMessage: string;
}

export interface SweepResult {
  redriven: Redrive[];
  stalled: number;
  cascades: CascadeRedrive[];
  failedCascades: CascadeFailure[];
}

type TableSweepDeps = SweepDeps & CascadeDeps;

/**
 * One sweep of the table: what findSweepWork finds past its bound, in one read, is re-driven;
 * stalled peerings first, then pending cascades.
 */
export async function sweepTable(d: TableSweepDeps, bounds: SweepBounds): Promise<SweepResult> {
  const now = d.clock().getTime();
  const before = (seconds: number) => new Date(now - seconds * 1000).toISOString();
  const work = await d.repository.findSweepWork({
    stalledBefore: before(bounds.stalledPeeringSeconds),
    cascadeBefore: before(bounds.pendingCascadeSeconds),
  });
  const redriven = await redriveStalledPeerings(d, work.stalledPeerings);
  return {
    redriven,
    stalled: work.stalledPeerings.length,
    ...(await redriveCascades(d, work.pendingCascades)),
  };
}

/**
 * Runs each pending cascade again (cascadeGatewayRemoval is idempotent: it runs again on stream
 * retries already, and a stream delivery running beside it is harmless). Each one that ran is
 * audited; one that fails is returned for the log and stays pending, so the next sweep tries again,
 * and does not keep the others from running.
 */
async function redriveCascades(
  d: TableSweepDeps,
  pending: readonly RemovedGateway[],
): Promise<Pick<SweepResult, 'cascades' | 'failedCascades'>> {
  const cascades: CascadeRedrive[] = [];
  const failedCascades: CascadeFailure[] = [];
  for (const removed of pending) {
    let teardown: InstanceTeardown;
    try {
      teardown = await cascadeGatewayRemoval(d, removed);
    } catch (error) {
      const { name, message } = error as Error;
      failedCascades.push({ gatewayId: removed.id, errorName: name, errorMessage: message });
      continue;
    }
    const redrive = {
      gatewayId: removed.id,
      instanceId: removed.instanceId,
      generation: removed.desiredGeneration,
      teardown,
    };
    cascades.push(redrive);
    await d.audit.publish('Gateway Cascade Re-driven', { ...redrive });
  }
  return { cascades, failedCascades };
}
