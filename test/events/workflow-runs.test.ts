import { MemoryRepository } from '../../lambdas/adapters/memory/repository';
import type { ExecutionResult } from '../../lambdas/app/ports';
import { startPeeringDeletion } from '../../lambdas/app/workflow-runs';
import { RecordingWorkflows } from '../support/fakes';
import { gatewayRecord } from '../support/gateways';
import { newPeering } from '../support/records';

/**
 * A recording engine on which `delete-pcx-1` was started before and is now `status`: a start of
 * that name finds it taken, by a run that may have ended unless it is still RUNNING (Step
 * Functions answers ExecutionAlreadyExists only for a closed one). Counts describes.
 */
function engineWhoseFirstRunEnded(status: ExecutionResult['status']) {
  const workflows = Object.assign(new RecordingWorkflows(), { describes: 0 });
  const start = workflows.start.bind(workflows);
  workflows.start = async (workflow, name, input) => ({
    ...(await start(workflow, name, input)),
    mayHaveEnded: name === 'delete-pcx-1' && status !== 'RUNNING',
  });
  workflows.describe = async () => {
    workflows.describes++;
    return { status };
  };
  return workflows;
}

const clock = () => new Date('2026-11-25T10:00:00Z');

/** A repository holding peering `peeringId` when `withPeering`, else none. */
async function repositoryWith(withPeering: boolean, peeringId = 'pcx-1'): Promise<MemoryRepository> {
  const repository = new MemoryRepository();
  if (!withPeering) return repository;
  const [a, b] = [gatewayRecord(), gatewayRecord()];
  await repository.createGateway(a);
  await repository.createGateway(b);
  await repository.createPeering(newPeering(a, b, peeringId));
  return repository;
}

it('reuses the stable execution name while that run is alive, or succeeded and the peering is gone', async () => {
  for (const [status, withPeering] of [
    ['RUNNING', true],
    ['SUCCEEDED', false],
  ] as const) {
    // Prepare
    const workflows = engineWhoseFirstRunEnded(status);
    const repository = await repositoryWith(withPeering);
    // Act
    await startPeeringDeletion({ workflows, clock, repository }, 'pcx-1');
    // Assess
    expect(workflows.starts.map((s) => s.name)).toEqual(['delete-pcx-1']);
  }
});

it('starts a fresh, suffixed run when the named one ended in failure', async () => {
  for (const status of ['FAILED', 'TIMED_OUT', 'ABORTED'] as const) {
    // Prepare
    const workflows = engineWhoseFirstRunEnded(status);
    const repository = await repositoryWith(true);
    // Act
    await startPeeringDeletion({ workflows, clock, repository }, 'pcx-1');
    // Assess
    expect(workflows.starts.map((s) => s.name)).toEqual([
      'delete-pcx-1',
      `delete-pcx-1-${clock().getTime()}`,
    ]);
    expect(workflows.starts[1]?.input).toEqual({ peeringId: 'pcx-1' });
  }
});

it('starts a fresh, suffixed run when the named one succeeded but the peering is still there', async () => {
  // Prepare: a record made again after its deletion's run (before tombstones) must stay deletable.
  const workflows = engineWhoseFirstRunEnded('SUCCEEDED');
  const repository = await repositoryWith(true);
  // Act
  await startPeeringDeletion({ workflows, clock, repository }, 'pcx-1');
  // Assess
  expect(workflows.starts.map((s) => s.name)).toEqual(['delete-pcx-1', `delete-pcx-1-${clock().getTime()}`]);
});

it('describes no run that its start ran or joined while open (DescribeExecution is scarce)', async () => {
  // Prepare: a fresh name, and one whose run is still open.
  for (const status of ['RUNNING', undefined] as const) {
    const workflows = status
      ? engineWhoseFirstRunEnded(status)
      : Object.assign(new RecordingWorkflows(), { describes: 0 });
    workflows.describe = async () => {
      workflows.describes++;
      return { status: 'RUNNING' };
    };
    const repository = await repositoryWith(true);
    // Act
    await startPeeringDeletion({ workflows, clock, repository }, 'pcx-1');
    // Assess
    expect(workflows.starts.map((s) => s.name)).toEqual(['delete-pcx-1']);
    expect(workflows.describes).toBe(0);
  }
});
