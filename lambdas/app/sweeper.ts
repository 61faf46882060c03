/**
 * No transitional state lasts forever: a peering left PROVISIONING or DELETING with no running
 * execution past a bound (an aborted execution, a compensation that failed, a crash of the
 * embedded runtime) is re-driven. Every step is idempotent, so a re-drive converges:
 * - DELETING: delete-peering again;
 * - PROVISIONING: create-peering again with the same input (Allocate finds the peering written,
 *   the pushes and Activate finish it, or Compensate releases everything and marks it FAILED).
 */
import type { Peering } from '../core/types';
import type { Dependencies, WorkflowName } from './ports';

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
 * Re-drives each stalled peering whose named execution is not running: one that never started is
 * started under its name; one that ended without settling the peering gets a new attempt under a
 * suffixed name (a closed name cannot run again on Step Functions). Each re-drive is audited, and
 * returned for the caller's log.
 */
export async function redriveStalledPeerings(d: SweepDeps, stalled: readonly Peering[]): Promise<Redrive[]> {
  const redriven: Redrive[] = [];
  for (const peering of stalled) {
    const run = namedRun(peering);
    const previous = await d.workflows.find(run.workflow, run.name);
    if (previous?.status === 'RUNNING') continue;
    const name = previous ? `${run.name}-sweep-${d.clock().getTime()}` : run.name;
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
