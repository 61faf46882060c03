/**
 * Periodic reports in the order their instance made them (app/status-reports.ts): an instance that
 * went back to an older generation is shown and repaired, a report that waited in the queue is
 * dated and judged by the instance's own clock, and one made before the stored report changes
 * nothing. The real status-reports use case and `/status` on the in-memory repository.
 */

import { configStore } from '../../lambdas/adapters/s3';
import { gatewayStatus } from '../../lambdas/app/api/gateways';
import { storeStatusReport } from '../../lambdas/app/status-reports';
import type { Caller, GatewayRecord } from '../../lambdas/core/types';
import { RecordingWorkflows } from '../support/fakes';
import { finishedReportRound } from '../support/status-reports';
import { runToEnd, useWorkflowBench } from '../support/workflow-bench';

const bench = useWorkflowBench();
const admin: Caller = { userId: 'ops', isAdmin: true };
const KEY = Buffer.alloc(32, 7).toString('base64');

/** A gateway whose host applied generations 1 to `generations` (one push-gateway run each). */
async function pushedGateway(generations: number): Promise<GatewayRecord> {
  const gateway = await bench.gateway();
  for (let n = 1; n <= generations; n += 1) {
    await bench.repository().bumpGeneration(gateway.id);
    const run = await runToEnd(bench.engine(), 'push-gateway', `push-${gateway.id}-${n}`, {
      gatewayId: gateway.id,
    });
    expect(run.status).toBe('SUCCEEDED');
  }
  return gateway;
}

/** Whole seconds from now: a report round after the pushes above. */
const secondsFromNow = (seconds: number) => Math.floor(Date.now() / 1000) + seconds;
const at = (epochSeconds: number) => new Date(epochSeconds * 1000);

/** Stores, as round `round` of `gateway`'s instance, `report` handled at `handledAt`. */
function storeRound(
  gateway: GatewayRecord,
  report: Record<string, unknown>,
  handledAt: Date,
  workflows: RecordingWorkflows,
  round: string,
) {
  const commands = finishedReportRound(
    round,
    JSON.stringify({ gatewayId: gateway.id, mode: 'files', ...report }),
  );
  return storeStatusReport(
    {
      repository: bench.repository(),
      configStore: configStore(),
      commands,
      clock: () => handledAt,
      workflows,
    },
    { commandId: round, instanceId: gateway.instanceId },
  );
}

/** `/status` of `gateway` at `now`; `documentPeers` stands for the applied document's peers when given. */
const statusAt = (gateway: GatewayRecord, now: Date, periodSeconds: number, documentPeers?: unknown[]) => {
  const deps = { ...bench.apiDeps(new RecordingWorkflows()), clock: () => now };
  const configStore = documentPeers
    ? { get: async () => JSON.stringify({ peers: documentPeers }) }
    : deps.configStore;
  return gatewayStatus({ ...deps, configStore }, admin, gateway.id, {
    statusReportPeriodSeconds: periodSeconds,
  });
};

it('repairs an instance that went back to an older generation, shows the generation it runs, and never lowers or raises what a push applied', async () => {
  // Prepare: pushed to 2 and reported at 2; then the instance's state is rolled back to 1.
  const gateway = await pushedGateway(2);
  const workflows = new RecordingWorkflows();
  const t0 = secondsFromNow(60);
  await storeRound(gateway, { appliedGeneration: 2, now: t0, peers: [] }, at(t0), workflows, 'round-0');

  // Act: two rounds report generation 1.
  const first = await storeRound(
    gateway,
    { appliedGeneration: 1, now: t0 + 60, peers: [] },
    at(t0 + 60),
    workflows,
    'round-1',
  );
  const second = await storeRound(
    gateway,
    { appliedGeneration: 1, now: t0 + 120, peers: [] },
    at(t0 + 120),
    workflows,
    'round-2',
  );
  const status = await statusAt(gateway, at(t0 + 120), 60);

  // Assess
  expect(first).toEqual({ stored: true, gatewayId: gateway.id });
  expect(second).toMatchObject({ stored: true, repair: { gatewayId: gateway.id, generation: 2 } });
  expect(workflows.starts).toHaveLength(1);
  expect(workflows.starts[0]).toMatchObject({ workflow: 'push-gateway', input: { gatewayId: gateway.id } });
  expect(await bench.repository().getStatusReport(gateway.id)).toMatchObject({
    appliedGeneration: 1,
    pendingGeneration: 2,
  });
  expect((await bench.repository().getAppliedGeneration(gateway.id))?.appliedGeneration).toBe(2);
  expect(status).toMatchObject({ appliedGeneration: 1, desiredGeneration: 2, stale: false });

  // Act: the repair the second round started runs; APPLIED (2, on this instance) must not stop it
  const sent = recordSentGenerations();
  const repair = workflows.starts[0] as { name: string; input: unknown };
  await runToEnd(bench.engine(), 'push-gateway', repair.name, repair.input);

  // Assess: generation 2 sent to the instance again
  expect(sent).toEqual([2]);
});

it('repairs an instance rebooted without a restore: its report says generation 0, /status shows none of its peers, and its own generation is pushed again', async () => {
  // Prepare: pushed to 1 and reported at 1, then a reboot whose --restore did not complete: the
  // script's --report then says generation 0 (gateway/lib/report.sh report_from_store).
  const gateway = await pushedGateway(1);
  const workflows = new RecordingWorkflows();
  const t0 = secondsFromNow(60);
  await storeRound(gateway, { appliedGeneration: 1, now: t0, peers: [] }, at(t0), workflows, 'round-0');
  const rebooted = (now: number) => ({ appliedGeneration: 0, mode: 'wireguard', now, peers: [] });

  // Act
  const first = await storeRound(gateway, rebooted(t0 + 60), at(t0 + 60), workflows, 'round-1');
  const status = await statusAt(gateway, at(t0 + 60), 60);
  const second = await storeRound(gateway, rebooted(t0 + 120), at(t0 + 120), workflows, 'round-2');
  const sent = recordSentGenerations();
  const repair = workflows.starts[0] as { name: string; input: unknown };
  const repaired = await runToEnd(bench.engine(), 'push-gateway', repair.name, repair.input);

  // Assess: APPLIED (1, on this instance) stops neither the repair nor its push.
  expect(first).toEqual({ stored: true, gatewayId: gateway.id });
  expect(status).toMatchObject({ appliedGeneration: 0, desiredGeneration: 1, peers: [] });
  expect(second).toMatchObject({ stored: true, repair: { gatewayId: gateway.id, generation: 1 } });
  expect(workflows.starts).toHaveLength(1);
  expect(repaired.status).toBe('SUCCEEDED');
  expect(sent).toEqual([1]);
});

it('dates a report that waited in the queue by its instance, whose healthy peers stay online, and never by a clock ahead of the handling time', async () => {
  // Prepare: the instance ran its report at T (a handshake 40 s before); it is handled at T + 150.
  const gateway = await pushedGateway(1);
  const ranAt = secondsFromNow(600);
  const peer = {
    publicKey: KEY,
    allowedIps: [],
    endpoint: null,
    latestHandshake: ranAt - 40,
    rxBytes: 1,
    txBytes: 1,
  };

  // Act
  const stored = await storeRound(
    gateway,
    { appliedGeneration: 1, now: ranAt, peers: [peer] },
    at(ranAt + 150),
    new RecordingWorkflows(),
    'round-late',
  );
  const status = await statusAt(gateway, at(ranAt + 150), 300, [
    { name: 'laptop', type: 'road-warrior', publicKey: KEY, allowedIps: [], endpoint: null },
  ]);
  // A period after it arrived, before the next round does: still the current report.
  const aPeriodLater = await statusAt(gateway, at(ranAt + 150 + 300), 300);
  // The next round, from a clock an hour ahead, handled at T + 300.
  await storeRound(
    gateway,
    { appliedGeneration: 1, now: ranAt + 3600, peers: [peer] },
    at(ranAt + 300),
    new RecordingWorkflows(),
    'round-ahead',
  );
  const ahead = await bench.repository().getStatusReport(gateway.id);

  // Assess
  expect(stored).toEqual({ stored: true, gatewayId: gateway.id });
  // Dated by its instance; fresh by when it arrived (review s17h: dated fresh by its making, every
  // report that waited read stale for that long in each period)
  expect(status).toMatchObject({ reportedAt: at(ranAt).toISOString(), reportAgeSeconds: 0, stale: false });
  expect(aPeriodLater).toMatchObject({ reportAgeSeconds: 300, stale: false });
  expect(status.peers).toMatchObject([{ name: 'laptop', online: true }]);
  expect(ahead?.reportedAt).toBe(at(ranAt + 300).toISOString());
});

it('drops a report made before the stored one, whatever its generation, and starts nothing', async () => {
  // Prepare: pushed to 2; the round at T + 120 found 2 pending (an instance that went back).
  const gateway = await pushedGateway(2);
  const workflows = new RecordingWorkflows();
  const t = secondsFromNow(60);
  await storeRound(
    gateway,
    { appliedGeneration: 1, now: t + 120, peers: [] },
    at(t + 120),
    workflows,
    'round-2',
  );
  const before = await bench.repository().getStatusReport(gateway.id);

  // Act: the round made at T, still behind, handled after it (it waited longer in the queue).
  const late = await storeRound(
    gateway,
    { appliedGeneration: 1, now: t, peers: [] },
    at(t + 130),
    workflows,
    'round-1',
  );

  // Assess
  expect(late).toEqual({ stored: false, reason: 'superseded', gatewayId: gateway.id });
  expect(await bench.repository().getStatusReport(gateway.id)).toEqual(before);
  expect(workflows.starts).toEqual([]);
});

/** The generations pushed from now on, recorded in front of the bench's own commands. */
function recordSentGenerations(): number[] {
  const real = bench.commands();
  const sent: number[] = [];
  bench.useCommands({
    send: async (command) => {
      sent.push(command.generation);
      return real.send(command);
    },
    teardown: (command) => real.teardown(command),
    requestReports: () => real.requestReports(),
    get: (commandId, instanceId) => real.get(commandId, instanceId),
  });
  return sent;
}
