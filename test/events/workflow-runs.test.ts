import type { ExecutionResult } from '../../lambdas/app/ports';
import { startPeeringDeletion } from '../../lambdas/app/workflow-runs';
import { RecordingWorkflows } from '../support/fakes';

/** A recording engine whose first execution already ended with `status`. */
function engineWhoseFirstRunEnded(status: ExecutionResult['status']) {
  const workflows = new RecordingWorkflows();
  workflows.describe = async () => ({ status });
  return workflows;
}

const clock = () => new Date('2026-11-25T10:00:00Z');

it('reuses the stable execution name while that run is alive or succeeded', async () => {
  for (const status of ['RUNNING', 'SUCCEEDED'] as const) {
    // Prepare
    const workflows = engineWhoseFirstRunEnded(status);
    // Act
    await startPeeringDeletion({ workflows, clock }, 'pcx-1');
    // Assess
    expect(workflows.starts.map((s) => s.name)).toEqual(['delete-pcx-1']);
  }
});

it('starts a fresh, suffixed run when the named one ended in failure', async () => {
  for (const status of ['FAILED', 'TIMED_OUT', 'ABORTED'] as const) {
    // Prepare
    const workflows = engineWhoseFirstRunEnded(status);
    // Act
    await startPeeringDeletion({ workflows, clock }, 'pcx-1');
    // Assess
    expect(workflows.starts.map((s) => s.name)).toEqual([
      'delete-pcx-1',
      `delete-pcx-1-${clock().getTime()}`,
    ]);
    expect(workflows.starts[1]?.input).toEqual({ peeringId: 'pcx-1' });
  }
});
