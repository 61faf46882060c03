/**
 * Every AWS adapter turns throttling and service-side failures that outlasted the SDK's retries into
 * TransientError (the ASL retries it), keeps other failures as they are, and keeps the SDK's text
 * (account ids, role ARNs) out of the message (SDK mocked with aws-sdk-client-mock, no AWS).
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { CopyObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { GetCommandInvocationCommand, SendCommandCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { EventBridgeAudit } from '../../lambdas/adapters/events';
import { S3InstanceSecrets } from '../../lambdas/adapters/s3/secrets';
import { StepFunctionsEngine } from '../../lambdas/adapters/sfn';
import { SsmCommandBus } from '../../lambdas/adapters/ssm';
import { isTransientAwsError } from '../../lambdas/adapters/transient';
import { SecretMissingError, TransientError } from '../../lambdas/core/errors';
import { objectsAnswering } from '../support/s3-fetch';

const SECRET_TEXT = 'User: arn:aws:sts::123456789012:assumed-role/peering-api is not authorized';

function sdkError(name: string, httpStatusCode: number, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(SECRET_TEXT), { name, $metadata: { httpStatusCode }, ...extra });
}

const THROTTLED = () => sdkError('ThrottlingException', 400, { $retryable: { throttling: true } });
const UNAVAILABLE = () => sdkError('ServiceUnavailable', 503);
const DENIED = () => sdkError('AccessDeniedException', 400);

const region = { region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } };
// Objects and command outputs are tagged with the instance's ARN (lambdas/shared/instance-arn.ts).
process.env.GATEWAY_INSTANCE_ARN_PREFIX ??= 'arn:aws:ec2:us-east-1:111122223333:instance/';
// The report command's delivery timeout, as the stack gives it to status-reports.
process.env.STATUS_REPORT_DELIVERY_TIMEOUT_SECONDS ??= '150';
const ssm = mockClient(SSMClient);
const s3 = mockClient(S3Client);
const sfn = mockClient(SFNClient);
const events = mockClient(EventBridgeClient);

afterEach(() => {
  ssm.reset();
  s3.reset();
  sfn.reset();
  events.reset();
});

const instanceSecrets = () =>
  new S3InstanceSecrets(new S3Client(region), objectsAnswering('b').objects, undefined);
const bus = () =>
  new SsmCommandBus(new SSMClient(region), objectsAnswering('bucket').objects, {
    apply: 'apply',
    report: 'report',
    teardown: 'teardown',
  });
const engine = () =>
  new StepFunctionsEngine(new SFNClient(region), {
    'create-peering': () => 'arn:aws:states:us-east-1:1:stateMachine:create',
    'delete-peering': () => 'arn:aws:states:us-east-1:1:stateMachine:delete',
    'push-gateway': () => 'arn:aws:states:us-east-1:1:stateMachine:push',
  });

/**
 * Each adapter call, and the SDK command it sends. The secret store and the config store's put
 * sign their own requests: their failures are tested over a stubbed fetch
 * (test/unit/adapters/secret-store.test.ts, config-store.test.ts).
 */
const CALLS: ReadonlyArray<readonly [string, (failure: Error) => void, () => Promise<unknown>]> = [
  [
    'instanceSecrets.deliver',
    (f) => s3.on(CopyObjectCommand).rejects(f),
    () => instanceSecrets().deliver({ gatewayId: 'gw', instanceId: 'i-1' }, ['/p']),
  ],
  [
    'commands.send',
    (f) => ssm.on(SendCommandCommand).rejects(f),
    () =>
      bus().send({
        instanceId: 'i-1',
        gatewayId: 'gw',
        generation: 1,
        stateUri: 's3://b/k',
        stateSha256: '0'.repeat(64),
      }),
  ],
  ['commands.requestReports', (f) => ssm.on(SendCommandCommand).rejects(f), () => bus().requestReports()],
  ['commands.get', (f) => ssm.on(GetCommandInvocationCommand).rejects(f), () => bus().get('c', 'i-1')],
  [
    'workflows.start',
    (f) => sfn.on(StartExecutionCommand).rejects(f),
    () => engine().start('push-gateway', 'n', {}),
  ],
  ['workflows.describe', (f) => sfn.on(DescribeExecutionCommand).rejects(f), () => engine().describe('arn')],
  [
    'audit.publish',
    (f) => events.on(PutEventsCommand).rejects(f),
    () => new EventBridgeAudit(new EventBridgeClient(region), 'bus').publish('VPC Peering Created', {}),
  ],
];

describe.each(CALLS)('%s', (_call, fail, act) => {
  it.each([
    ['throttling', THROTTLED],
    ['a 503', UNAVAILABLE],
  ])('turns %s into TransientError without the SDK text', async (_what, failure) => {
    // Prepare
    fail(failure());
    // Act
    const error = await act().then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    // Assess
    expect(error).toBeInstanceOf(TransientError);
    expect((error as Error).message).not.toContain('123456789012');
  });

  it('keeps a permanent failure as it is', async () => {
    // Prepare
    fail(DENIED());
    // Act / Assess
    await expect(act()).rejects.toMatchObject({ name: 'AccessDeniedException' });
  });
});

describe('EventBridge entries', () => {
  it('turns a throttled entry of a successful PutEvents into TransientError', async () => {
    // Prepare
    events
      .on(PutEventsCommand)
      .resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'ThrottlingException' }] });
    // Act / Assess
    await expect(
      new EventBridgeAudit(new EventBridgeClient(region), 'bus').publish('VPC Peering Created', {}),
    ).rejects.toBeInstanceOf(TransientError);
  });
});

describe('isTransientAwsError', () => {
  it.each<[string, unknown, boolean]>([
    ['S3 SlowDown', sdkError('SlowDown', 503), true],
    ['a 429 of any name', sdkError('Whatever', 429), true],
    ["Step Functions' open-execution quota", sdkError('ExecutionLimitExceeded', 400), true],
    ['a connection reset', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), true],
    [
      'fetch’s closed socket',
      Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }),
      true,
    ],
    ['a validation failure', sdkError('ValidationException', 400), false],
    ['a plain error', new Error('x'), false],
    ['not an error', 'ThrottlingException', false],
  ])('%s: %s', (_case, error, expected) => {
    expect(isTransientAwsError(error)).toBe(expected);
  });
});

describe('S3 instance secrets', () => {
  it('names the secret whose copy source is missing (404 NoSuchKey) as SecretMissingError', async () => {
    // Prepare
    s3.on(CopyObjectCommand).rejects(sdkError('NoSuchKey', 404));
    // Act
    const error = await instanceSecrets()
      .deliver({ gatewayId: 'gw-a', instanceId: 'i-a' }, ['/vpc-peering/peerings/pcx-gone/psk'])
      .catch((thrown: unknown) => thrown);
    // Assess
    expect(error).toEqual(new SecretMissingError('/vpc-peering/peerings/pcx-gone/psk'));
  });
});
