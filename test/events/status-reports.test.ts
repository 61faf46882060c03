/**
 * Status collection end to end on this machine: the real status-reports handler, the local Run
 * Command bus running the real gateway script's `--report` on files-mode hosts, the in-memory repository.
 * The schedule's event asks every host; each finished invocation is announced as SSM announces it
 * and stored by the same handler.
 */
import type { Context } from 'aws-lambda';
import { MemoryAudit } from '../../lambdas/adapters/local/memory-audit';
import { configStore } from '../../lambdas/adapters/s3';
import { activatePeering } from '../../lambdas/app/peering-workflow';
import type { CommandBus } from '../../lambdas/app/ports';
import { storeStatusReport } from '../../lambdas/app/status-reports';
import { InvocationNotReadyError, ItemTooLargeError, TransientError } from '../../lambdas/core/errors';
import { handler } from '../../lambdas/handlers/status-reports';
import { provideDependencies } from '../../lambdas/shared/deps';
import { COMMAND_INVOCATION_CHANGED, SCHEDULED_EVENT } from '../../lambdas/shared/event-patterns';
import { LocalCommandBus, type ReportInvocation } from '../../runtime/hosts';
import { busEvent } from '../support/events';
import { RecordingWorkflows } from '../support/fakes';
import { newPeering } from '../support/records';
import { finishedReportRound } from '../support/status-reports';
import { runToEnd, useWorkflowBench } from '../support/workflow-bench';

const bench = useWorkflowBench();
const context = {} as Context;
const LATER = new Date('2030-01-01T00:00:00.000Z');

const event = (source: string, detailType: string, detail: unknown) =>
  busEvent(detailType, detail, { source, time: LATER });

const invocationEvent = (invocation: ReportInvocation) =>
  event('aws.ssm', COMMAND_INVOCATION_CHANGED, {
    'command-id': invocation.commandId,
    'document-name': 'vpc-peering-report',
    'instance-id': invocation.instanceId,
    status: invocation.status,
  });

/** A gateway whose host exists and applied generation 1 (a push-gateway run). */
async function pushedGateway() {
  const gateway = await bench.gateway();
  await bench.repository().bumpGeneration(gateway.id);
  const run = await runToEnd(bench.engine(), 'push-gateway', `push-${gateway.id}`, { gatewayId: gateway.id });
  expect(run.status).toBe('SUCCEEDED');
  return gateway;
}

it('a scheduled event has every host report; each announced report is stored as its gateway status, dated by its host', async () => {
  // Prepare: two pushed gateways, then a bus that announces to the handler as SSM does (at LATER,
  // long after the hosts ran their reports).
  const gateways = [await pushedGateway(), await pushedGateway()];
  const before = new Date(Math.floor(Date.now() / 1000) * 1000).toISOString();
  const announced: ReportInvocation[] = [];
  const commands: LocalCommandBus = new LocalCommandBus(
    bench.hosts(),
    (id) => bench.repository().getGateway(id),
    async (invocation) => {
      announced.push(invocation);
      await handler(invocationEvent(invocation), context);
    },
  );
  provideDependencies({ commands, clock: () => LATER });

  // Act
  await handler(event('aws.events', SCHEDULED_EVENT, {}), context);
  await commands.idle();

  // Assess
  const mine = announced.filter((a) => gateways.some((g) => g.instanceId === a.instanceId));
  expect(mine.map((a) => a.status)).toEqual(['Success', 'Success']);
  for (const gateway of gateways) {
    const report = await bench.repository().getStatusReport(gateway.id);
    expect(report).toMatchObject({ appliedGeneration: 1, mode: 'files' });
    const reportedAt = report?.reportedAt ?? '';
    expect(reportedAt).toBe(new Date((report?.instanceNow ?? 0) * 1000).toISOString());
    expect(reportedAt >= before && reportedAt <= new Date().toISOString()).toBe(true);
  }
});

describe('drift repair', () => {
  /** One report round of `gateway`'s host, stored through the handler's use case. */
  async function reportRound(workflows: RecordingWorkflows, instanceId: string, round: string) {
    const { output } = await reportOf(instanceId);
    const commands = finishedReportRound(round, output);
    return storeStatusReport(
      { repository: bench.repository(), configStore: configStore(), commands, clock: () => LATER, workflows },
      {
        commandId: round,
        instanceId,
      },
    );
  }

  /** What the host's script reports now (files mode: the last document it applied). */
  async function reportOf(instanceId: string) {
    const result = await bench.hosts().runReport(instanceId);
    expect(result.exitCode).toBe(0);
    return { output: result.stdout };
  }

  it('pushes a gateway that stayed behind its desired generation for a whole period, once per round', async () => {
    // Prepare: applied 1, then a change to 2 whose push never happened.
    const gateway = await pushedGateway();
    await bench.repository().bumpGeneration(gateway.id);
    const workflows = new RecordingWorkflows();

    // Act: the first round finds 2 pending, the second still does (and is delivered twice).
    const first = await reportRound(workflows, gateway.instanceId, 'round-1');
    const second = await reportRound(workflows, gateway.instanceId, 'round-2');
    const again = await reportRound(workflows, gateway.instanceId, 'round-2');

    // Assess
    expect(first).toEqual({ stored: true, gatewayId: gateway.id });
    expect(second).toMatchObject({ stored: true, repair: { gatewayId: gateway.id, generation: 2 } });
    expect(again).toMatchObject({ repair: second.stored ? second.repair : undefined });
    expect(workflows.starts).toHaveLength(2);
    expect(new Set(workflows.starts.map((s) => s.name)).size).toBe(1);
    expect(workflows.starts[0]).toMatchObject({ workflow: 'push-gateway', input: { gatewayId: gateway.id } });
  });

  it('leaves a change found pending by one report alone, and a caught-up gateway too', async () => {
    // Prepare
    const gateway = await pushedGateway();
    const workflows = new RecordingWorkflows();
    await reportRound(workflows, gateway.instanceId, 'round-a');
    await bench.repository().bumpGeneration(gateway.id);

    // Act: the change is found pending once; then its push lands and the next round is in sync.
    const pendingOnce = await reportRound(workflows, gateway.instanceId, 'round-b');
    const pushed = await runToEnd(bench.engine(), 'push-gateway', `push2-${gateway.id}`, {
      gatewayId: gateway.id,
    });
    const caughtUp = await reportRound(workflows, gateway.instanceId, 'round-c');

    // Assess
    expect(pendingOnce).toEqual({ stored: true, gatewayId: gateway.id });
    expect(pushed.status).toBe('SUCCEEDED');
    expect(caughtUp).toEqual({ stored: true, gatewayId: gateway.id });
    expect(workflows.starts).toEqual([]);
    expect((await bench.repository().getStatusReport(gateway.id))?.pendingGeneration).toBeUndefined();
  });
});

/** Stores, as the report of `instanceId`, a finished invocation whose output is `report`. */
function storeReported(report: unknown, instanceId: string) {
  const commands: CommandBus = {
    send: async () => 'unused',
    teardown: async () => 'unused',
    requestReports: async () => 'unused',
    get: async () => ({ status: 'Success', output: JSON.stringify(report) }),
  };
  return storeStatusReport(
    {
      repository: bench.repository(),
      configStore: configStore(),
      commands,
      clock: () => LATER,
      workflows: new RecordingWorkflows(),
    },
    { commandId: 'cmd-1', instanceId },
  );
}

it.each([
  // An instance whose report names another gateway.
  ['a report that names a gateway its instance does not serve', 99, () => 'i-intruder', 'wrong-instance'],
  // The gateway's own instance claims a generation never desired (the stores keep the highest
  // generation, so such a claim would stand for good).
  [
    'a generation above the desired one, even from the instance that serves the gateway',
    Number.MAX_SAFE_INTEGER,
    (gateway: { instanceId: string }) => gateway.instanceId,
    'ahead-of-desired',
  ],
])('never stores %s', async (_case, appliedGeneration, sender, reason) => {
  // Prepare
  const gateway = await pushedGateway();
  const before = await bench.repository().getStatusReport(gateway.id);
  const report = { gatewayId: gateway.id, appliedGeneration, mode: 'files', peers: [] };

  // Act
  const result = await storeReported(report, sender(gateway));

  // Assess
  expect(result).toEqual({ stored: false, reason });
  expect(await bench.repository().getStatusReport(gateway.id)).toEqual(before);
  expect((await bench.repository().getAppliedGeneration(gateway.id))?.appliedGeneration).toBe(1);
});

it("shows a periodic report's peers, but never takes its generation as applied: a peering waiting for it stays PROVISIONING", async () => {
  // Prepare: a peering written on two pushed gateways (applied 1); the spoke's push applied it,
  // the hub's did not. A long report is read from the prefix every instance may write
  // (docs/SECURITY.md), so the hub's report here may be another instance's forgery.
  const [hub, spoke] = [await pushedGateway(), await pushedGateway()];
  const repository = bench.repository();
  const peering = await repository.createPeering(newPeering(hub, spoke));
  const desired = async (id: string) => (await repository.getGateway(id))?.desiredGeneration ?? 0;
  const spokeApplied = {
    gatewayId: spoke.id,
    appliedGeneration: await desired(spoke.id),
    appliedAt: LATER.toISOString(),
  };
  await repository.recordApplied(spokeApplied);
  const claim = { gatewayId: hub.id, appliedGeneration: await desired(hub.id), mode: 'files', peers: [] };

  // Act
  const stored = await storeReported(claim, hub.instanceId);
  const activation = await activatePeering(
    { repository, audit: new MemoryAudit() },
    { peeringId: peering.id },
  ).catch((error: Error) => error.name);

  // Assess
  expect(stored).toEqual({ stored: true, gatewayId: hub.id });
  expect(await repository.getStatusReport(hub.id)).toMatchObject({
    appliedGeneration: claim.appliedGeneration,
  });
  expect((await repository.getAppliedGeneration(hub.id))?.appliedGeneration).toBe(1);
  expect(activation).toBe('CommandFailedError');
  expect((await repository.getPeering(peering.id))?.status).toBe('PROVISIONING');
});

it.each([
  ['no command id', { 'instance-id': 'i-1' }, 'detail.command-id'],
  [
    'an instance id with shell syntax',
    { 'command-id': 'c-1', 'instance-id': 'i-1;rm' },
    'detail.instance-id',
  ],
])('rejects an invocation event with %s', async (_case, detail, field) => {
  // Act
  const handled = handler(event('aws.ssm', COMMAND_INVOCATION_CHANGED, detail), context);

  // Assess
  await expect(handled).rejects.toMatchObject({ name: 'ValidationError', field });
});

it('rejects an event of another kind', async () => {
  // Act
  const handled = handler(event('vpn.gateways', 'VPN Gateway Deleted', { gatewayId: 'gw-1' }), context);

  // Assess
  await expect(handled).rejects.toMatchObject({ name: 'ValidationError', field: 'detail-type' });
});

/** A bus whose invocation read fails with `error`, as SSM throttled or not yet registered. */
const failingReads = (error: Error): CommandBus => ({
  send: async () => 'unused',
  teardown: async () => 'unused',
  requestReports: async () => 'unused',
  get: async () => {
    throw error;
  },
});

it.each([
  ['a throttled invocation read', new TransientError('SSM ThrottlingException')],
  ['an invocation SSM has not registered yet', new InvocationNotReadyError('not registered yet')],
])('drops a report met by %s instead of throwing it into the dead-letter queue', async (_case, error) => {
  // Prepare
  provideDependencies({ commands: failingReads(error) });

  // Act
  const handled = handler(
    invocationEvent({ commandId: 'cmd-1', instanceId: 'i-1', status: 'Success' }),
    context,
  );

  // Assess
  await expect(handled).resolves.toBeUndefined();
});

it('drops a report the repository cannot store now, and still throws any other error', async () => {
  // Prepare: a real report of a pushed gateway; the table throttles, or fails in another way.
  const gateway = await pushedGateway();
  const { stdout: output } = await bench.hosts().runReport(gateway.instanceId);
  const commands: CommandBus = {
    ...failingReads(new Error('unused')),
    get: async () => ({ status: 'Success', output }),
  };
  const failingWith = (error: Error) =>
    Object.assign(Object.create(bench.repository()), {
      getGateway: async () => {
        throw error;
      },
    });
  const store = (error: Error) =>
    storeStatusReport(
      {
        repository: failingWith(error),
        configStore: configStore(),
        commands,
        clock: () => LATER,
        workflows: new RecordingWorkflows(),
      },
      { commandId: 'cmd-1', instanceId: gateway.instanceId },
    );

  // Act
  const throttled = await store(new TransientError('DynamoDB ProvisionedThroughputExceededException'));
  const broken = store(new Error('a bug'));

  // Assess
  expect(throttled).toEqual({
    stored: false,
    reason: 'unavailable',
    errorName: 'TransientError',
    errorMessage: 'DynamoDB ProvisionedThroughputExceededException',
  });
  await expect(broken).rejects.toThrow('a bug');
});

it('drops a report the table refuses as too large, instead of throwing it into the dead-letter queue', async () => {
  // Prepare: a real report of a pushed gateway; the table refuses its item (DynamoDB's 400 KB,
  // which adapters/dynamodb/errors.ts maps to ItemTooLargeError).
  const gateway = await pushedGateway();
  const before = await bench.repository().getStatusReport(gateway.id);
  const { stdout: output } = await bench.hosts().runReport(gateway.instanceId);
  const commands: CommandBus = {
    ...failingReads(new Error('unused')),
    get: async () => ({ status: 'Success', output }),
  };
  const repository = Object.assign(Object.create(bench.repository()), {
    putPeriodicReport: async () => {
      throw new ItemTooLargeError(
        'DynamoDB ValidationException: Item size has exceeded the maximum allowed size',
      );
    },
  });

  // Act
  const outcome = await storeStatusReport(
    {
      repository,
      configStore: configStore(),
      commands,
      clock: () => LATER,
      workflows: new RecordingWorkflows(),
    },
    { commandId: 'cmd-1', instanceId: gateway.instanceId },
  );

  // Assess
  expect(outcome).toEqual({ stored: false, reason: 'too-large', gatewayId: gateway.id });
  expect(await bench.repository().getStatusReport(gateway.id)).toEqual(before);
});
