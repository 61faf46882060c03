/**
 * The same workflows with the AWS adapter for Run Command (SsmCommandBus) on a mocked SSM client:
 * the one edge that cannot run here. Everything else (ASL, handlers, the in-memory repository) is real.
 */

import {
  GetCommandInvocationCommand,
  InvocationDoesNotExist,
  SendCommandCommand,
  type SendCommandCommandInput,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { SsmCommandBus } from '../../lambdas/adapters/ssm';
import { FAILURE_REASONS } from '../../lambdas/core/failure-reasons';
import { objectsAnswering } from '../support/s3-fetch';
import { runToEnd, useWorkflowBench } from '../support/workflow-bench';

const bench = useWorkflowBench();
const ssm = mockClient(SSMClient);
const ARN_PREFIX = 'arn:aws:ec2:us-east-1:123456789012:instance/';
process.env.GATEWAY_INSTANCE_ARN_PREFIX = ARN_PREFIX;

type Script = (call: number, generation: number) => { Status: string } | 'not-yet';

/** SendCommand remembers each command's generation; GetCommandInvocation plays `script` per instance. */
function scriptSsm(scripts: Record<string, Script>, fallback: Script) {
  const commands = new Map<string, { instanceId: string; generation: number; polls: number }>();
  const sent: SendCommandCommandInput[] = [];
  ssm.reset();
  ssm.on(SendCommandCommand).callsFake((input: SendCommandCommandInput) => {
    sent.push(input);
    const id = `cmd-${sent.length}`;
    commands.set(id, {
      instanceId: input.InstanceIds?.[0] ?? '',
      generation: Number(input.Parameters?.generation?.[0]),
      polls: 0,
    });
    return { Command: { CommandId: id } };
  });
  ssm.on(GetCommandInvocationCommand).callsFake(({ CommandId }: { CommandId: string }) => {
    const command = commands.get(CommandId);
    if (!command) throw new InvocationDoesNotExist({ message: 'no such invocation', $metadata: {} });
    command.polls += 1;
    const outcome = (scripts[command.instanceId] ?? fallback)(command.polls, command.generation);
    if (outcome === 'not-yet') throw new InvocationDoesNotExist({ message: 'not yet', $metadata: {} });
    const report = { gatewayId: 'x', appliedGeneration: command.generation, mode: 'wireguard', peers: [] };
    return {
      ...outcome,
      StandardOutputContent: outcome.Status === 'Success' ? JSON.stringify(report) : 'boom',
    };
  });
  return sent;
}

/** Right after SendCommand the invocation does not exist, then it runs, then it succeeds. */
const realistic: Script = (call) =>
  call === 1 ? 'not-yet' : call === 2 ? { Status: 'InProgress' } : { Status: 'Success' };

beforeEach(() => {
  bench.useCommands(
    new SsmCommandBus(new SSMClient({ region: 'us-east-1' }), objectsAnswering('bucket').objects, {
      apply: 'ApplyDoc',
      report: 'ReportDoc',
      teardown: 'TeardownDoc',
    }),
  );
});

afterAll(() => ssm.restore());

it('activates after InvocationDoesNotExist, InProgress, Success, with constant-size secret-free parameters', async () => {
  // Prepare
  const sent = scriptSsm({}, realistic);
  const a = await bench.gateway();
  const b = await bench.gateway();
  // Act
  const result = await runToEnd(bench.engine(), 'create-peering', 'pcx-ssm', {
    peeringId: 'pcx-ssm',
    gatewayId: a.id,
    remoteGatewayId: b.id,
  });
  // Assess
  expect(result.status).toBe('SUCCEEDED');
  expect((await bench.repository().getPeering('pcx-ssm'))?.status).toBe('ACTIVE');
  expect(sent).toHaveLength(2);
  for (const input of sent) {
    expect(input.DocumentName).toBe('ApplyDoc');
    // The latest version, whatever CloudFormation left as the default (lambdas/adapters/ssm)
    expect(input.DocumentVersion).toBe('$LATEST');
    expect(Object.keys(input.Parameters ?? {}).sort()).toEqual([
      'gatewayId',
      'generation',
      'stateSha256',
      'stateUri',
    ]);
    expect(input.Parameters?.stateSha256?.[0]).toMatch(/^[0-9a-f]{64}$/);
    // Output goes where only that instance may write (docs/SECURITY.md).
    expect(input.OutputS3KeyPrefix).toBe(`command-output/${ARN_PREFIX}${input.InstanceIds?.[0]}`);
  }
  const secrets = await Promise.all([
    bench.secrets().get('/vpc-peering/peerings/pcx-ssm/psk'),
    bench.secrets().get(`/vpc-peering/gateways/${a.id}/private-key`),
  ]);
  for (const secret of secrets) {
    expect(secret).toBeDefined();
    expect(JSON.stringify(sent)).not.toContain(secret);
  }
});

it.each(['Failed', 'TimedOut', 'Cancelled'])(
  'compensates when the push to one side ends %s',
  async (status) => {
    // Prepare
    const a = await bench.gateway();
    const b = await bench.gateway();
    scriptSsm({ [b.instanceId]: () => ({ Status: status }) }, realistic);
    const id = `pcx-${status.toLowerCase()}`;
    // Act
    const result = await runToEnd(bench.engine(), 'create-peering', id, {
      peeringId: id,
      gatewayId: a.id,
      remoteGatewayId: b.id,
    });
    // Assess
    expect(result.status).toBe('FAILED');
    const peering = await bench.repository().getPeering(id);
    expect(peering?.status).toBe('FAILED');
    expect(peering?.statusReason).toBe(FAILURE_REASONS.push);
    expect(await bench.repository().listPeers(a.id)).toEqual([]);
    expect(await bench.repository().listPeers(b.id)).toEqual([]);
  },
);

it('gives up on a push that never finishes after the poll bound', async () => {
  // Prepare
  const a = await bench.gateway();
  const b = await bench.gateway();
  scriptSsm({ [b.instanceId]: () => ({ Status: 'InProgress' }) }, realistic);
  const previous = process.env.COMMAND_MAX_POLLS;
  process.env.COMMAND_MAX_POLLS = '3';
  try {
    // Act
    const result = await runToEnd(bench.engine(), 'create-peering', 'pcx-stuck', {
      peeringId: 'pcx-stuck',
      gatewayId: a.id,
      remoteGatewayId: b.id,
    });
    // Assess
    expect(result.status).toBe('FAILED');
    expect((await bench.repository().getPeering('pcx-stuck'))?.statusReason).toBe(FAILURE_REASONS.push);
  } finally {
    process.env.COMMAND_MAX_POLLS = previous;
  }
});
