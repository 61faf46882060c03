/**
 * A command's output longer than GetCommandInvocation returns (24,000 characters) is read from S3
 * with a signed GET (lambdas/adapters/ssm/index.ts over lambdas/adapters/signed-s3/http-objects.ts): SSM
 * mocked, fetch stubbed. Only the invocation's own output key is read.
 */
import { GetCommandInvocationCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { SsmCommandBus } from '../../lambdas/adapters/ssm';
import { type Answer, OBJECTS_REGION, objectsAnswering, ok, s3Error } from '../support/s3-fetch';

const ARN_PREFIX = 'arn:aws:ec2:us-east-1:123456789012:instance/';
process.env.GATEWAY_INSTANCE_ARN_PREFIX = ARN_PREFIX;
const ssm = mockClient(SSMClient);
const FULL_OUTPUT = `{"peers":[${'"x",'.repeat(10_000)}"x"]}`;
const OWN_KEY = `command-output/${ARN_PREFIX}i-0abc/cmd-1/i-0abc/awsrunShellScript/0.awsrunShellScript/stdout`;

/** The bus, with GetCommandInvocation answering a truncated success whose full output is at `key`. */
function busWithOutputAt(key: string, answers: Answer[]) {
  ssm.reset();
  ssm.on(GetCommandInvocationCommand).resolves({
    Status: 'Success',
    StandardOutputContent: FULL_OUTPUT.slice(0, 24_000),
    StandardOutputUrl: `https://s3.${OBJECTS_REGION}.amazonaws.com/output-bucket/${key}`,
  });
  const { objects, requests } = objectsAnswering('output-bucket', answers);
  const bus = new SsmCommandBus(new SSMClient({ region: OBJECTS_REGION }), objects, {
    apply: 'ApplyDoc',
    report: 'ReportDoc',
    teardown: 'TeardownDoc',
  });
  return { bus, requests };
}

afterAll(() => ssm.restore());

test('reads the whole output from its own key with a signed GET', async () => {
  // Prepare
  const { bus, requests } = busWithOutputAt(OWN_KEY, [ok(FULL_OUTPUT)]);

  // Act
  const result = await bus.get('cmd-1', 'i-0abc');

  // Assess
  expect(result).toEqual({ status: 'Success', output: FULL_OUTPUT });
  expect(requests).toHaveLength(1);
  expect(requests[0]?.method).toBe('GET');
  expect(requests[0]?.url).toBe(
    `https://output-bucket.s3.${OBJECTS_REGION}.amazonaws.com/${OWN_KEY.split('/').map(encodeURIComponent).join('/')}`,
  );
  expect(requests[0]?.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\//);
});

test('refuses an output key outside the invocation’s own prefix, before any request', async () => {
  // Prepare
  const { bus, requests } = busWithOutputAt('command-output/elsewhere/cmd-1/i-0abc/stdout', [ok('forged')]);

  // Act / Assess
  await expect(bus.get('cmd-1', 'i-0abc')).rejects.toThrow(/outside its own prefix/);
  expect(requests).toHaveLength(0);
});

test('fails when the output object is missing (404)', async () => {
  // Prepare
  const { bus } = busWithOutputAt(OWN_KEY, [s3Error(404, 'NoSuchKey')]);

  // Act / Assess
  await expect(bus.get('cmd-1', 'i-0abc')).rejects.toThrow(/missing from S3/);
});
