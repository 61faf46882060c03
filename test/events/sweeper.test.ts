/**
 * Which execution a sweep starts for a stalled peering (lambdas/app/sweeper.ts), on an engine that
 * keeps executions by name as Step Functions does: a name that exists is joined, never run twice.
 */
import type { AuditPublisher, ExecutionResult, WorkflowEngine, WorkflowName } from '../../lambdas/app/ports';
import { redriveStalledPeerings } from '../../lambdas/app/sweeper';
import type { Peering } from '../../lambdas/core/types';

/** Executions by name; `start` of a known name joins it, as StartExecution does. */
class NamedExecutions implements WorkflowEngine {
  readonly statuses = new Map<string, ExecutionResult['status']>();
  readonly started: string[] = [];

  async start(_workflow: WorkflowName, name: string): Promise<string> {
    if (!this.statuses.has(name)) {
      this.statuses.set(name, 'RUNNING');
      this.started.push(name);
    }
    return `execution:${name}`;
  }

  async describe(executionId: string): Promise<ExecutionResult> {
    return { status: this.statuses.get(executionId.replace('execution:', '')) ?? 'RUNNING' };
  }

  async find(_workflow: WorkflowName, name: string): Promise<ExecutionResult | undefined> {
    const status = this.statuses.get(name);
    return status && { status };
  }
}

const UPDATED_AT = '2026-12-04T10:00:00.000Z';
const stalled: Peering = {
  id: 'pcx-stalled0000000001',
  ownerId: 'alice',
  gatewayIds: ['gw-a', 'gw-b'],
  status: 'DELETING',
  statusReason: null,
  createdAt: UPDATED_AT,
  updatedAt: UPDATED_AT,
  sides: [
    { gatewayId: 'gw-a', peerName: 'vpc-peering-x', tunnelIp: '100.64.0.2', applied: true, generation: 1 },
    { gatewayId: 'gw-b', peerName: 'vpc-peering-x', tunnelIp: '100.64.1.2', applied: true, generation: 1 },
  ],
};
const audit: AuditPublisher = { publish: async () => {} };
const deps = (workflows: NamedExecutions, nowMs: number) => ({
  workflows,
  audit,
  clock: () => new Date(nowMs),
});
const ATTEMPT = `delete-${stalled.id}-sweep-${Date.parse(UPDATED_AT)}`;

it('starts the named execution of a peering whose execution never ran', async () => {
  // Prepare
  const workflows = new NamedExecutions();

  // Act
  await redriveStalledPeerings(deps(workflows, 1), [stalled]);

  // Assess
  expect(workflows.started).toEqual([`delete-${stalled.id}`]);
});

it('starts one attempt per stalled state, however many sweeps find it while it runs', async () => {
  // Prepare: the named execution ended without settling the peering.
  const workflows = new NamedExecutions();
  workflows.statuses.set(`delete-${stalled.id}`, 'FAILED');

  // Act: a sweep, its retry a second later, and the next sweep while the attempt still runs.
  const runs = [];
  for (const nowMs of [1_000, 2_000, 600_000]) {
    runs.push(await redriveStalledPeerings(deps(workflows, nowMs), [stalled]));
  }

  // Assess
  expect(workflows.started).toEqual([ATTEMPT]);
  expect(runs.map((redriven) => redriven.length)).toEqual([1, 0, 0]);
});

it('starts a new attempt once that one too ended without settling the peering', async () => {
  // Prepare
  const workflows = new NamedExecutions();
  workflows.statuses.set(`delete-${stalled.id}`, 'FAILED');
  workflows.statuses.set(ATTEMPT, 'FAILED');

  // Act
  await redriveStalledPeerings(deps(workflows, 5_000), [stalled]);

  // Assess
  expect(workflows.started).toEqual([`${ATTEMPT}-5000`]);
});
