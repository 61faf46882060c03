/**
 * The periodic report command (lambdas/adapters/ssm/index.ts, requestReports) on a mocked SSM
 * client: one command by tag to every gateway instance, all of them at once (MaxConcurrency 100%),
 * with the delivery timeout the stack derives from the report period
 * (STATUS_REPORT_DELIVERY_TIMEOUT_SECONDS; docs/DECISIONS.md, "The report command at fleet scale").
 */
import { SendCommandCommand, type SendCommandCommandInput, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { SsmCommandBus } from '../../lambdas/adapters/ssm';
import { ConfigurationError } from '../../lambdas/shared/env';
import { GATEWAY_TAG } from '../../lambdas/shared/gateway-tag';
import { objectsAnswering } from '../support/s3-fetch';

const ssm = mockClient(SSMClient);
process.env.GATEWAY_INSTANCE_ARN_PREFIX ??= 'arn:aws:ec2:us-east-1:123456789012:instance/';
const DELIVERY = 'STATUS_REPORT_DELIVERY_TIMEOUT_SECONDS';

/** The bus as commandBus() builds it: the report timing comes from the environment. */
const bus = () =>
  new SsmCommandBus(new SSMClient({ region: 'us-east-1' }), objectsAnswering('config-bucket').objects, {
    apply: 'ApplyDoc',
    report: 'ReportDoc',
    teardown: 'TeardownDoc',
  });

/** Every SendCommand input, answered with `commandId`. */
function recordSends(commandId: string): SendCommandCommandInput[] {
  const sent: SendCommandCommandInput[] = [];
  ssm.on(SendCommandCommand).callsFake((input: SendCommandCommandInput) => {
    sent.push(input);
    return { Command: { CommandId: commandId } };
  });
  return sent;
}

beforeEach(() => {
  ssm.reset();
  delete process.env[DELIVERY];
});

afterAll(() => {
  ssm.restore();
  delete process.env[DELIVERY];
});

describe('SsmCommandBus.requestReports', () => {
  it('asks every tagged instance at once, without parameters, with the delivery timeout of the period, tolerating any error', async () => {
    // Prepare: the stack's value for a 5-minute period.
    process.env[DELIVERY] = '150';
    const sent = recordSends('cmd-report');

    // Act
    const commandId = await bus().requestReports();

    // Assess: no instance waits for a slot, so none misses the delivery window whatever the fleet.
    expect(commandId).toBe('cmd-report');
    expect(sent).toEqual([
      expect.objectContaining({
        DocumentName: 'ReportDoc',
        DocumentVersion: '$LATEST',
        Targets: [{ Key: `tag:${GATEWAY_TAG.key}`, Values: [GATEWAY_TAG.value] }],
        MaxConcurrency: '100%',
        MaxErrors: '100%',
        TimeoutSeconds: 150,
        OutputS3BucketName: 'config-bucket',
        OutputS3KeyPrefix: 'command-output/reports',
      }),
    ]);
    expect(sent[0]?.Parameters).toBeUndefined();
    expect(sent[0]?.InstanceIds).toBeUndefined();
  });

  it('takes the delivery timeout as configured (a 1-minute period: 30 s, SSM least)', async () => {
    // Prepare
    process.env[DELIVERY] = '30';
    const sent = recordSends('cmd-report');

    // Act
    await bus().requestReports();

    // Assess
    expect(sent.map((input) => input.TimeoutSeconds)).toEqual([30]);
  });

  it('without the delivery timeout sends nothing and names the variable; other commands need none', async () => {
    // Prepare
    const sent = recordSends('cmd-any');
    const commands = bus();

    // Act
    const report = commands.requestReports();
    const teardown = commands.teardown({ instanceId: 'i-0abc', gatewayId: 'gw-a', generation: 3 });

    // Assess
    await expect(report).rejects.toThrow(ConfigurationError);
    await expect(report).rejects.toThrow(DELIVERY);
    await expect(teardown).resolves.toBe('cmd-any');
    expect(sent.map((input) => input.DocumentName)).toEqual(['TeardownDoc']);
  });
});
