/**
 * A point-in-time restore of the table (README "Restoring the table"): a gateway's desired and
 * applied generations go back, its host keeps the generation it applied. Its next periodic report,
 * stored as the status-reports handler stores it, raises the desired generation above the host's
 * when the control plane's document of that generation proves it (app/status-reports.ts
 * healRestored), and the push it starts succeeds, on the real ASL and the real gateway script
 * (files hosts). A claim with no such document is still dropped, and a push the host skipped
 * under its pre-restore generation is not taken for applied after the heal (app/push.ts).
 */
import { configStore } from '../../lambdas/adapters/s3';
import { storeStatusReport } from '../../lambdas/app/status-reports';
import type { GatewayRecord } from '../../lambdas/core/types';
import { RecordingWorkflows } from '../support/fakes';
import { captureLogLines } from '../support/log-lines';
import { finishedReportRound } from '../support/status-reports';
import { runToEnd, useWorkflowBench } from '../support/workflow-bench';

const bench = useWorkflowBench();

/** Pushes `gateway` through generations 1..`through`, each applied by its host. */
async function pushedThrough(gateway: GatewayRecord, through: number): Promise<void> {
  for (let generation = 1; generation <= through; generation++) {
    await bench.repository().bumpGeneration(gateway.id);
    const run = await runToEnd(bench.engine(), 'push-gateway', `push-${gateway.id}-${generation}`, {
      gatewayId: gateway.id,
    });
    expect(run.status).toBe('SUCCEEDED');
  }
}

/** Stores, as the report round `round` of `instanceId`, a finished invocation whose output is `output`. */
function storeReport(workflows: RecordingWorkflows, instanceId: string, round: string, output: string) {
  const commands = finishedReportRound(round, output);
  return storeStatusReport(
    {
      repository: bench.repository(),
      configStore: configStore(),
      commands,
      clock: () => new Date(),
      workflows,
    },
    { commandId: round, instanceId },
  );
}

it("raises a restored gateway's generation above its host's on the host's next report, and its push then succeeds", async () => {
  // Prepare: the host applied 3; the table is restored to 1; a change after the restore makes 2,
  // whose push the host finds stale (it holds 3) and so fails (app/push.ts plausiblyApplied).
  const gateway = await bench.gateway();
  await pushedThrough(gateway, 3);
  bench.restoreTableTo(gateway.id, 1);
  await bench.repository().bumpGeneration(gateway.id);
  const before = await runToEnd(bench.engine(), 'push-gateway', `push-${gateway.id}-r2`, {
    gatewayId: gateway.id,
  });
  const report = await bench.hosts().runReport(gateway.instanceId);
  const workflows = new RecordingWorkflows();

  // Act: the host's periodic report, then the push it started.
  let stored: Awaited<ReturnType<typeof storeReport>> | undefined;
  const lines = await captureLogLines(async () => {
    stored = await storeReport(workflows, gateway.instanceId, 'round-1', report.stdout);
  });
  const raised = await bench.repository().getGateway(gateway.id);
  const start = workflows.starts[0];
  const repair = start && (await runToEnd(bench.engine(), start.workflow, start.name, start.input));
  const warnings = lines.filter((line) => line.level === 'WARN');

  // Assess
  expect(before.status).toBe('FAILED');
  expect(stored).toMatchObject({ stored: true, repair: { gatewayId: gateway.id, generation: 4 } });
  expect(raised?.desiredGeneration).toBe(4);
  expect(workflows.starts).toHaveLength(1);
  expect(repair?.status).toBe('SUCCEEDED');
  expect((await bench.repository().getAppliedGeneration(gateway.id))?.appliedGeneration).toBe(4);
  expect(warnings).toEqual([
    expect.objectContaining({
      message: 'Gateway instance ahead of a restored table: desired generation raised above it',
      gatewayId: gateway.id,
      desiredGeneration: 2,
      reportedGeneration: 3,
      raisedTo: 4,
    }),
  ]);
}, 120_000);

it('still drops a claim above the desired generation that no document of the control plane backs', async () => {
  // Prepare: the host applied 1; it claims 5, which the control plane never published.
  const gateway = await bench.gateway();
  await pushedThrough(gateway, 1);
  const claim = JSON.stringify({ gatewayId: gateway.id, appliedGeneration: 5, mode: 'files', peers: [] });
  const workflows = new RecordingWorkflows();

  // Act
  const stored = await storeReport(workflows, gateway.instanceId, 'round-1', claim);

  // Assess
  expect(stored).toEqual({ stored: false, reason: 'ahead-of-desired' });
  expect((await bench.repository().getGateway(gateway.id))?.desiredGeneration).toBe(1);
  expect(workflows.starts).toEqual([]);
}, 120_000);

it("drops another instance's claim above the desired generation, even one a document backs", async () => {
  // Prepare: the host applied 3, the table is restored to 1; another instance reports 3 for it.
  const gateway = await bench.gateway();
  await pushedThrough(gateway, 3);
  bench.restoreTableTo(gateway.id, 1);
  const claim = JSON.stringify({ gatewayId: gateway.id, appliedGeneration: 3, mode: 'files', peers: [] });
  const workflows = new RecordingWorkflows();

  // Act
  const stored = await storeReport(workflows, 'i-0intruder', 'round-1', claim);

  // Assess
  expect(stored).toEqual({ stored: false, reason: 'wrong-instance' });
  expect((await bench.repository().getGateway(gateway.id))?.desiredGeneration).toBe(1);
  expect(workflows.starts).toEqual([]);
}, 120_000);

it("fails a peering's push that the host skipped under a generation from before the restore, though a heal raised the gateway meanwhile", async () => {
  // Prepare: a's host applied 3 and the table is restored to 1. The peering's Allocate makes a's
  // generation 2, which the host skips as stale: it holds 3, without the peer. While that push
  // waits for its result, the host's periodic report heals the gateway (desired 4). The heal's
  // own push never runs, as when it fails (README "Restoring the table").
  const a = await bench.gateway();
  const b = await bench.gateway();
  await pushedThrough(a, 3);
  bench.restoreTableTo(a.id, 1);
  const workflows = new RecordingWorkflows();
  let healed: Awaited<ReturnType<typeof storeReport>> | undefined;
  const engine = bench.engine({
    CheckCommandFunctionArn: (real) => async (payload, context) => {
      const ticket = (payload as { ticket?: { gatewayId?: string } }).ticket;
      if (!healed && ticket?.gatewayId === a.id) {
        const report = await bench.hosts().runReport(a.instanceId);
        healed = await storeReport(workflows, a.instanceId, 'round-1', report.stdout);
      }
      return real(payload, context);
    },
  });

  // Act
  const run = await runToEnd(engine, 'create-peering', 'pcx-healed', {
    peeringId: 'pcx-healed',
    gatewayId: a.id,
    remoteGatewayId: b.id,
  });

  // Assess: the push of 2 is not taken for applied, so the peering never activates without its peer.
  expect(healed).toMatchObject({ stored: true, repair: { gatewayId: a.id, generation: 4 } });
  expect(run.status).toBe('FAILED');
  expect((await bench.repository().getPeering('pcx-healed'))?.status).toBe('FAILED');
  expect((await bench.hosts().report(a.instanceId))?.peers).toEqual([]);
}, 120_000);
