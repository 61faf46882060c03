/**
 * A command's output longer than GetCommandInvocation returns (24,000 characters) is read from S3
 * with a signed GET (lambdas/adapters/ssm/index.ts over lambdas/adapters/signed-s3/http-objects.ts): SSM
 * mocked, fetch stubbed. Only the invocation's own output key is read, and only up to
 * OUTPUT_READ_LIMIT_BYTES of it.
 */
import { GetCommandInvocationCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { OUTPUT_READ_LIMIT_BYTES, SsmCommandBus } from '../../lambdas/adapters/ssm';
import { parseInstanceReport } from '../../lambdas/core/status';
import { logger } from '../../lambdas/shared/logger';
import { type Answer, OBJECTS_REGION, objectsAnswering, ok, s3Error } from '../support/s3-fetch';

const ARN_PREFIX = 'arn:aws:ec2:us-east-1:123456789012:instance/';
process.env.GATEWAY_INSTANCE_ARN_PREFIX = ARN_PREFIX;
const ssm = mockClient(SSMClient);
const FULL_OUTPUT = `{"peers":[${'"x",'.repeat(10_000)}"x"]}`;
const OWN_KEY = `command-output/${ARN_PREFIX}i-0abc/cmd-1/i-0abc/awsrunShellScript/0.awsrunShellScript/stdout`;

/**
 * The bus, with GetCommandInvocation answering a truncated success of `output` (SSM's copy: its
 * first 24,000 characters) whose full output is at `key`.
 */
function busWithOutputAt(key: string, answers: Answer[], output = FULL_OUTPUT) {
  ssm.reset();
  ssm.on(GetCommandInvocationCommand).resolves({
    Status: 'Success',
    StandardOutputContent: output.slice(0, 24_000),
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

/** S3's answer to a GET of `body`: 206 with the bytes a `range: bytes=a-b` header asks for, else 200 with all. */
const objectHolding =
  (body: string): Answer =>
  (init) => {
    const range = (init?.headers as Record<string, string> | undefined)?.range;
    const bytes = Buffer.from(body, 'utf8');
    const asked = range ? /^bytes=(\d+)-(\d+)$/.exec(range) : null;
    if (!asked) return new Response(bytes, { status: 200 });
    const [start, end] = [Number(asked[1]), Math.min(Number(asked[2]), bytes.length - 1)];
    return new Response(bytes.subarray(start, end + 1), {
      status: 206,
      headers: { 'content-range': `bytes ${start}-${end}/${bytes.length}` },
    });
  };

afterEach(() => jest.restoreAllMocks());
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

test('asks for at most the read limit with a signed Range header, and reads an output within it whole', async () => {
  // Prepare
  const { bus, requests } = busWithOutputAt(OWN_KEY, [objectHolding(FULL_OUTPUT)]);

  // Act
  const result = await bus.get('cmd-1', 'i-0abc');

  // Assess
  expect(result).toEqual({ status: 'Success', output: FULL_OUTPUT });
  // Inclusive: one byte past the limit, so a larger object shows itself by filling the range.
  expect(requests[0]?.headers.range).toBe(`bytes=0-${OUTPUT_READ_LIMIT_BYTES}`);
  expect(requests[0]?.headers.authorization).toMatch(/SignedHeaders=host;range;/);
});

test('an output larger than the read limit is no report, and only its ids are logged', async () => {
  // Prepare: a valid report on the last line, past the limit by one byte.
  const report = '{"gatewayId":"gw-a","appliedGeneration":7,"peers":[]}';
  const padding = 'p'.repeat(OUTPUT_READ_LIMIT_BYTES - report.length);
  const hugeOutput = `${padding}\n${report}`;
  expect(parseInstanceReport(hugeOutput)).toBeDefined();
  const { bus, requests } = busWithOutputAt(OWN_KEY, [objectHolding(hugeOutput)], hugeOutput);
  const warn = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);

  // Act
  const result = await bus.get('cmd-1', 'i-0abc');

  // Assess
  expect(parseInstanceReport(result.output)).toBeUndefined();
  // Lengths, not texts: a failure must not print 8 MiB.
  expect([result.status, result.output.length]).toEqual(['Success', 0]);
  expect(requests).toHaveLength(1);
  expect(warn).toHaveBeenCalledTimes(1);
  expect(warn).toHaveBeenCalledWith(
    expect.any(String),
    expect.objectContaining({ commandId: 'cmd-1', instanceId: 'i-0abc' }),
  );
  expect(JSON.stringify(warn.mock.calls)).not.toContain('ppppp');
});

test('an output of exactly the read limit is read whole', async () => {
  // Prepare
  const report = '{"gatewayId":"gw-a","appliedGeneration":7,"peers":[]}';
  const output = `${'p'.repeat(OUTPUT_READ_LIMIT_BYTES - report.length - 1)}\n${report}`;
  const { bus } = busWithOutputAt(OWN_KEY, [objectHolding(output)], output);

  // Act
  const result = await bus.get('cmd-1', 'i-0abc');

  // Assess
  expect(result.output).toHaveLength(OUTPUT_READ_LIMIT_BYTES);
  expect(parseInstanceReport(result.output)).toMatchObject({ gatewayId: 'gw-a', appliedGeneration: 7 });
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

test('an object under the shared reports prefix that does not begin as SSM recorded is no report', async () => {
  // Prepare: another instance overwrote this invocation's report object with its own long report.
  const reportKey = 'command-output/reports/cmd-1/i-0abc/awsrunShellScript/0.awsrunShellScript/stdout';
  const forged = `{"gatewayId":"gw-a","appliedGeneration":99,"peers":[${'"f",'.repeat(10_000)}"f"]}`;
  const { bus } = busWithOutputAt(reportKey, [ok(forged)]);
  const warn = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);

  // Act
  const result = await bus.get('cmd-1', 'i-0abc');

  // Assess
  expect(result).toEqual({ status: 'Success', output: '' });
  expect(warn).toHaveBeenCalledWith(
    expect.stringContaining('does not begin as SSM recorded it'),
    expect.objectContaining({ commandId: 'cmd-1', instanceId: 'i-0abc' }),
  );
  expect(JSON.stringify(warn.mock.calls)).not.toContain('"f"');
});

test('reads an object under the shared reports prefix that begins as SSM recorded', async () => {
  // Prepare
  const reportKey = 'command-output/reports/cmd-1/i-0abc/awsrunShellScript/0.awsrunShellScript/stdout';
  const { bus } = busWithOutputAt(reportKey, [ok(FULL_OUTPUT)]);

  // Act
  const result = await bus.get('cmd-1', 'i-0abc');

  // Assess
  expect(result).toEqual({ status: 'Success', output: FULL_OUTPUT });
});

test('a periodic report whose S3 object is missing is no report, not a failure', async () => {
  // Prepare: the fleet's uploads were throttled; SSM still has the first 24,000 characters.
  const reportKey = 'command-output/reports/cmd-1/i-0abc/awsrunShellScript/0.awsrunShellScript/stdout';
  const { bus } = busWithOutputAt(reportKey, [s3Error(404, 'NoSuchKey')]);
  const warn = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);

  // Act
  const result = await bus.get('cmd-1', 'i-0abc');

  // Assess
  expect(result).toEqual({ status: 'Success', output: '' });
  expect(warn).toHaveBeenCalledWith(
    'Report output is missing from S3: read as no report',
    expect.objectContaining({ commandId: 'cmd-1', instanceId: 'i-0abc' }),
  );
});
