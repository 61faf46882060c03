/**
 * Which execution a sweep starts for a stalled peering (lambdas/app/sweeper.ts), on an engine that
 * keeps executions by name as Step Functions does (a name that exists is joined, never run twice),
 * and the in-memory repository, where the sweep records the attempt it starts.
 */
import { MemoryRepository } from '../../lambdas/adapters/memory/repository';
import type {
  AuditPublisher,
  ExecutionResult,
  StartedExecution,
  WorkflowEngine,
  WorkflowName,
} from '../../lambdas/app/ports';
import { redriveStalledPeerings } from '../../lambdas/app/sweeper';
import type { PeeringStatus } from '../../lambdas/core/types';
import { MemorySecrets } from '../support/fakes';
import { gatewayWithKey } from '../support/gateways';
import { newPeering } from '../support/records';

/** Executions by name; `start` of a known name joins it, as StartExecution does. */
class NamedExecutions implements WorkflowEngine {
  readonly statuses = new Map<string, ExecutionResult['status']>();
  readonly started: string[] = [];
  failFor: (name: string) => boolean = () => false;

  async start(_workflow: WorkflowName, name: string): Promise<StartedExecution> {
    if (this.failFor(name)) throw new Error(`cannot start ${name}`);
    const status = this.statuses.get(name);
    if (status === undefined) {
      this.statuses.set(name, 'RUNNING');
      this.started.push(name);
    }
    return { executionId: `execution:${name}`, mayHaveEnded: status !== undefined && status !== 'RUNNING' };
  }

  async describe(executionId: string): Promise<ExecutionResult> {
    return { status: this.statuses.get(executionId.replace('execution:', '')) ?? 'RUNNING' };
  }

  async find(_workflow: WorkflowName, name: string): Promise<ExecutionResult | undefined> {
    const status = this.statuses.get(name);
    return status && { status };
  }

  /** Every execution started so far ended without settling its peering. */
  endAll(): void {
    for (const name of this.started) this.statuses.set(name, 'FAILED');
  }
}

const audit: AuditPublisher = { publish: async () => {} };

/** `count` peerings left DELETING (unless told otherwise), and sweeps of them as the table holds them. */
async function stalledPeerings(count = 1, status: PeeringStatus = 'DELETING') {
  const repository = new MemoryRepository();
  const secrets = new MemorySecrets();
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const [{ record: a }, { record: b }] = [await gatewayWithKey(secrets), await gatewayWithKey(secrets)];
    for (const gateway of [a, b]) await repository.createGateway(gateway);
    const { id } = await repository.createPeering(newPeering(a, b));
    if (status !== 'PROVISIONING') await repository.setPeeringStatus(id, status, null, ['PROVISIONING']);
    ids.push(id);
  }
  const workflows = new NamedExecutions();
  const current = async () => {
    const peerings = await Promise.all(ids.map((id) => repository.getPeering(id)));
    return peerings.flatMap((peering) => (peering ? [peering] : []));
  };
  const sweepAt = async (nowMs: number, read = current()) =>
    redriveStalledPeerings({ workflows, audit, repository, clock: () => new Date(nowMs) }, await read);
  const [id = ''] = ids;
  return { id, ids, named: `delete-${id}`, workflows, repository, current, sweepAt };
}

it('starts the named execution of a peering whose execution never ran', async () => {
  // Prepare
  const { named, workflows, sweepAt } = await stalledPeerings();

  // Act
  await sweepAt(1);

  // Assess
  expect(workflows.started).toEqual([named]);
});

it('starts one attempt per stalled state, however many sweeps find it while it runs', async () => {
  // Prepare: the named execution ended without settling the peering.
  const { named, workflows, sweepAt } = await stalledPeerings();
  workflows.statuses.set(named, 'FAILED');

  // Act: a sweep, its retry a second later, and the next sweep while the attempt still runs.
  const runs = [];
  for (const nowMs of [1_000, 2_000, 600_000]) runs.push(await sweepAt(nowMs));

  // Assess
  expect(workflows.started).toEqual([`${named}-sweep-1000`]);
  expect(runs.map((run) => run.redriven.length)).toEqual([1, 0, 0]);
});

it('starts a new attempt once that one too ended without settling the peering', async () => {
  // Prepare
  const { named, workflows, sweepAt } = await stalledPeerings();
  workflows.statuses.set(named, 'FAILED');
  await sweepAt(1_000);
  workflows.endAll();

  // Act
  await sweepAt(5_000);

  // Assess
  expect(workflows.started).toEqual([`${named}-sweep-1000`, `${named}-sweep-5000`]);
});

it('leaves every later attempt alone while it runs, not only the first', async () => {
  // Prepare: the named execution and the first attempt ended; a second attempt is running.
  const { named, workflows, sweepAt } = await stalledPeerings();
  workflows.statuses.set(named, 'FAILED');
  await sweepAt(1_000);
  workflows.endAll();
  await sweepAt(61_000);

  // Act: the next sweeps, while that attempt runs (a run may last longer than a sweep interval).
  const later = [await sweepAt(121_000), await sweepAt(181_000)];

  // Assess
  expect(workflows.started).toEqual([`${named}-sweep-1000`, `${named}-sweep-61000`]);
  expect(later.map((run) => run.redriven)).toEqual([[], []]);
});

it('starts one attempt when two sweeps that read the same peering run at once', async () => {
  // Prepare
  const { named, workflows, current, sweepAt } = await stalledPeerings();
  workflows.statuses.set(named, 'FAILED');
  const read = current();

  // Act
  await Promise.all([sweepAt(1_000, read), sweepAt(1_500, read)]);

  // Assess
  expect(workflows.started).toEqual([`${named}-sweep-1000`]);
});

it('starts the attempt a failed sweep recorded, under its name, on the next sweep', async () => {
  // Prepare: the sweep records its attempt, then its start fails.
  const { named, workflows, sweepAt } = await stalledPeerings();
  workflows.statuses.set(named, 'FAILED');
  workflows.failFor = () => true;
  const failed = await sweepAt(1_000);
  workflows.failFor = () => false;

  // Act
  await sweepAt(301_000);

  // Assess
  expect(failed.failedRedrives.map((failure) => failure.errorMessage)).toEqual([
    `cannot start ${named}-sweep-1000`,
  ]);
  expect(workflows.started).toEqual([`${named}-sweep-1000`]);
});

it('does not take a DELETING peering for the attempt its create recorded', async () => {
  // Prepare: a sweep's create attempt recorded while PROVISIONING; the peering is DELETING since.
  const { id, named, workflows, repository, sweepAt } = await stalledPeerings(1, 'PROVISIONING');
  await repository.recordRedrive(id, { status: 'PROVISIONING', previous: undefined, next: `${id}-sweep-5` });
  await repository.setPeeringStatus(id, 'DELETING', null, ['PROVISIONING']);
  workflows.statuses.set(named, 'FAILED');

  // Act
  await sweepAt(1_000);

  // Assess
  expect(workflows.started).toEqual([`${named}-sweep-1000`]);
});

it('re-drives the other peerings when one of them cannot be re-driven', async () => {
  // Prepare: the first peering's execution cannot be started.
  const { ids, workflows, sweepAt } = await stalledPeerings(2);
  const [stuck = '', other = ''] = ids;
  workflows.failFor = (name) => name.includes(stuck);

  // Act
  const swept = await sweepAt(1_000);

  // Assess
  expect(swept.failedRedrives).toEqual([
    { peeringId: stuck, errorName: 'Error', errorMessage: `cannot start delete-${stuck}` },
  ]);
  expect(swept.redriven.map((redrive) => redrive.peeringId)).toEqual([other]);
  expect(workflows.started).toEqual([`delete-${other}`]);
});
