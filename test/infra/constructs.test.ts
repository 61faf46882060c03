/** The pure parts of the CDK code: the SSM command lines and document size, the parameter patterns, ASL and context parsing. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { Role } from 'aws-cdk-lib/aws-iam';
import { assembleGatewayScript, GATEWAY_SOURCE_DIR } from '../../gateway/assemble';
import {
  commandParameterPatterns,
  GatewayCommandDocument,
  gatewayScriptCommands,
  INSTALLED_SCRIPT,
} from '../../lib/constructs/gateway-command-document';
import { aslSubstitutionNames, PeeringStateMachine } from '../../lib/constructs/peering-state-machine';
import {
  type CascadeTarget,
  PeeringTable,
  parseRestoredTable,
  stackTable,
} from '../../lib/constructs/peering-table';
import { parseRemovalPolicy } from '../../lib/vpc-peering-stack';
import { inlineFunction } from '../support/inline-function';

const matches = (pattern: string, value: string) => new RegExp(pattern).test(value);
const buckets = { configBucket: 'config-bucket.example', secretsBucket: 'secrets-bucket' };
const PATTERNS = commandParameterPatterns(buckets.configBucket);

describe('gatewayScriptCommands', () => {
  const script = assembleGatewayScript();

  test('writes the gateway script byte for byte', () => {
    // Prepare
    const lines = gatewayScriptCommands(script, 'apply', buckets);
    const decode = lines.find((line) =>
      /^echo '[A-Za-z0-9+/=]+' \| base64 -d \| gunzip > "\$tmp"$/.test(line),
    );

    // Act: the line as the instance's sh runs it, writing to stdout instead of $tmp.
    const written = execFileSync('sh', ['-c', (decode ?? 'false').replace(' > "$tmp"', '')], {
      maxBuffer: 1 << 20,
    });

    // Assess
    expect(written.toString('utf8')).toBe(script);
  });

  test('runs it last with exactly the four document parameters, the digest among them, and its buckets', () => {
    // Act
    const lines = gatewayScriptCommands(script, 'apply', buckets);

    // Assess
    expect(lines.at(-1)).toBe(
      `exec env VPG_STATE_BUCKET=config-bucket.example VPG_SECRET_SOURCE=s3://secrets-bucket ${INSTALLED_SCRIPT} --gateway-id '{{ gatewayId }}' --generation '{{ generation }}' --state-uri '{{ stateUri }}' --state-sha256 '{{ stateSha256 }}'`,
    );
    expect(lines.join('\n').match(/\{\{[^}]*\}\}/g)).toEqual([
      '{{ gatewayId }}',
      '{{ generation }}',
      '{{ stateUri }}',
      '{{ stateSha256 }}',
    ]);
  });

  test('the report document runs the same script with --report and no parameter', () => {
    // Act
    const lines = gatewayScriptCommands(script, 'report', buckets);

    // Assess
    expect(lines.at(-1)).toBe(
      `exec env VPG_STATE_BUCKET=config-bucket.example VPG_SECRET_SOURCE=s3://secrets-bucket ${INSTALLED_SCRIPT} --report`,
    );
    expect(lines.slice(0, -1)).toEqual(gatewayScriptCommands(script, 'apply', buckets).slice(0, -1));
    expect(lines.join('\n')).not.toContain('{{');
  });

  test('the teardown document runs the same script with --teardown, the gateway id and its generation only', () => {
    // Act
    const lines = gatewayScriptCommands(script, 'teardown', buckets);
    const stack = new Stack(new App(), 'Teardown');
    new GatewayCommandDocument(stack, 'Teardown', {
      scriptSourceDir: GATEWAY_SOURCE_DIR,
      purpose: 'teardown',
      buckets,
    });

    // Assess
    expect(lines.at(-1)).toBe(
      `exec env VPG_STATE_BUCKET=config-bucket.example VPG_SECRET_SOURCE=s3://secrets-bucket ${INSTALLED_SCRIPT} --teardown --gateway-id '{{ gatewayId }}' --generation '{{ generation }}'`,
    );
    const [document] = Object.values(Template.fromStack(stack).findResources('AWS::SSM::Document'));
    expect(document?.Properties.Content.parameters).toEqual({
      gatewayId: expect.objectContaining({ allowedPattern: PATTERNS.gatewayId }),
      generation: expect.objectContaining({ allowedPattern: PATTERNS.generation }),
    });
  });

  test('keeps SSM placeholders inside a script out of the document', () => {
    // Act
    const lines = gatewayScriptCommands('echo "{{ gatewayId }}"\n', 'apply', buckets);

    // Assess
    expect(lines.slice(0, -1).join('\n')).not.toContain('{{');
  });
});

/** SSM's bound on a Command document's content. */
const SSM_DOCUMENT_LIMIT_BYTES = 64 * 1024;

/** The content of each gateway document as SSM receives it (JSON), in bytes. */
function documentSizes(): Record<string, number> {
  const stack = new Stack(new App(), 'Documents');
  for (const purpose of ['apply', 'report', 'teardown'] as const) {
    new GatewayCommandDocument(stack, purpose, { scriptSourceDir: GATEWAY_SOURCE_DIR, purpose, buckets });
  }
  const documents = Template.fromStack(stack).findResources('AWS::SSM::Document');
  return Object.fromEntries(
    Object.values(documents).map((resource) => [
      resource.Properties.Content.mainSteps[0].name,
      Buffer.byteLength(JSON.stringify(resource.Properties.Content)),
    ]),
  );
}

describe('GatewayCommandDocument', () => {
  const sizes = documentSizes();
  const shown = Object.entries(sizes)
    .map(([name, bytes]) => `${name} ${bytes} bytes`)
    .join(', ');

  test(`each document stays under SSM's 64 KB (${shown})`, () => {
    // Assess
    expect(Object.keys(sizes).sort()).toEqual(['applyConfig', 'reportStatus', 'tearDownGateway']);
    for (const bytes of Object.values(sizes)) expect(bytes).toBeLessThan(SSM_DOCUMENT_LIMIT_BYTES);
  });
});

describe('command parameter patterns', () => {
  test.each([
    ['gatewayId', 'gw-a.1:eu_west'],
    ['generation', '42'],
    ['stateUri', 's3://config-bucket.example/gateways/gw-a/000000000042.json'],
    ['stateSha256', 'a'.repeat(64)],
  ] as const)('%s accepts %s', (name, value) => {
    // Assess
    expect(matches(PATTERNS[name], value)).toBe(true);
  });

  test.each([
    ['gatewayId', "gw'; rm -rf / #"],
    ['gatewayId', 'gw-a\n--state-uri'],
    ['gatewayId', 'g'.repeat(129)],
    ['generation', '1 2'],
    ['generation', '-1'],
    ['generation', '1234567890123'],
    ['stateUri', 'file:///etc/shadow'],
    ['stateUri', 's3://bucket/key;reboot'],
    ['stateUri', 's3://bucket/$(id)'],
    ['stateUri', 's3://Bucket/key'],
    ['stateUri', 's3://other-bucket/gateways/gw-a/000000000042.json'],
    ['stateUri', 's3://config-bucketXexample/gateways/gw-a/000000000042.json'],
    ['stateUri', 's3://config-bucket.example/secrets/vpc-peering/gateways/gw-a/private-key'],
    ['stateUri', 's3://config-bucket.example/gateways/gw-a/../gw-b/000000000042.json'],
    ['stateSha256', 'A'.repeat(64)],
    ['stateSha256', 'a'.repeat(63)],
    ['stateSha256', ''],
  ] as const)('%s refuses %j', (name, value) => {
    // Assess
    expect(matches(PATTERNS[name], value)).toBe(false);
  });
});

describe('aslSubstitutionNames', () => {
  test('lists each placeholder once, in order of first use', () => {
    // Prepare
    const placeholder = (name: string) => `\${${name}}`;
    const asl = JSON.stringify({
      A: placeholder('BFunctionArn'),
      B: placeholder('AFunctionArn'),
      C: placeholder('BFunctionArn'),
      D: '$.x',
    });

    // Act
    const names = aslSubstitutionNames(asl);

    // Assess
    expect(names).toEqual(['BFunctionArn', 'AFunctionArn']);
  });
});

describe('PeeringStateMachine expectedErrors', () => {
  /** A machine that calls one function, then ends in the Fail state `Gone` (a compensated end). */
  function machineWithExpectedErrors(expectedErrors: readonly string[]): Stack {
    const dir = mkdtempSync(join(tmpdir(), 'asl-'));
    try {
      const definitionFile = join(dir, 'machine.asl.json');
      // biome-ignore lint/suspicious/noTemplateCurlyInString: an ASL substitution, not a template
      const states = { Call: { Type: 'Task', Resource: '${StepArn}', Next: 'Gone' }, Gone: { Type: 'Fail' } };
      writeFileSync(definitionFile, JSON.stringify({ StartAt: 'Call', States: states }));
      const stack = new Stack(new App(), 'Machine');
      const step = inlineFunction(stack, 'Step');
      new PeeringStateMachine(stack, 'Machine', {
        definitionFile,
        functions: { StepArn: step },
        removalPolicy: RemovalPolicy.DESTROY,
        failureMeaning: 'a test',
        expectedErrors,
      });
      return stack;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  test('alarms on the failed executions whose error is not expected, through a Fail state or not', () => {
    // Act
    const template = Template.fromStack(machineWithExpectedErrors(['ConflictError', 'CommandFailedError']));

    // Assess: one filter on the error name; nothing subtracts the entries into a Fail state.
    template.resourceCountIs('AWS::Logs::MetricFilter', 1);
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      FilterPattern:
        '{ ($.type = "ExecutionFailed") && ($.details.error != "ConflictError") && ($.details.error != "CommandFailedError") }',
      MetricTransformations: [
        { MetricName: 'MachineFailedUnexpectedly', MetricNamespace: 'VpcPeering/Machine', MetricValue: '1' },
      ],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'MachineFailedUnexpectedly',
      Statistic: 'Sum',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    template.resourcePropertiesCountIs('AWS::CloudWatch::Alarm', { Metrics: Match.anyValue() }, 0);
    template.resourcePropertiesCountIs('AWS::CloudWatch::Alarm', { MetricName: 'ExecutionsFailed' }, 0);
  });
});

describe('PeeringTable', () => {
  test.each([
    [RemovalPolicy.RETAIN, true],
    [RemovalPolicy.DESTROY, false],
  ])('with removal policy %s, is protected from deletion: %s', (removalPolicy, protectedFromDeletion) => {
    // Prepare
    const stack = new Stack(new App(), 'Tables');

    // Act
    new PeeringTable(stack, 'Table', { removalPolicy });

    // Assess: a retained table is deleted by nobody; a destroyed one (tests, local deploys) goes with its stack.
    const [table] = Object.values(Template.fromStack(stack).findResources('AWS::DynamoDB::Table'));
    expect(table?.Properties.DeletionProtectionEnabled ?? false).toBe(protectedFromDeletion);
  });
});

describe('the stack table, created or restored', () => {
  const RESTORED = {
    tableName: 'VpcPeering-Table-restored-1',
    tableStreamArn:
      'arn:aws:dynamodb:eu-west-1:123456789012:table/VpcPeering-Table-restored-1/stream/2026-12-06T00:00:00.000',
  };

  /** A stack holding the table `restored` chooses, its stream feeding an inline cascade function. */
  function tableStack(restored?: typeof RESTORED) {
    const stack = new Stack(new App(), 'Tables');
    const table = stackTable(stack, RemovalPolicy.RETAIN, restored);
    const fn = inlineFunction(stack, 'Cascade');
    const cascade: CascadeTarget = {
      addEventSource: (source) => fn.addEventSource(source),
      serviceRole: fn.role as Role,
    };
    table.feedRemovedGateways(cascade, RemovalPolicy.RETAIN);
    return { stack, table, template: Template.fromStack(stack) };
  }

  test('without the contexts, creates the table (stream, TTL, PITR, deletion protection) and feeds the cascade its stream', () => {
    // Act
    const { stack, table, template } = tableStack();

    // Assess
    const created = stack.getLogicalId((table as PeeringTable).node.defaultChild as never);
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
      }),
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [created, 'StreamArn'] },
      StartingPosition: 'TRIM_HORIZON',
    });
  });

  test('with tableName and tableStreamArn, creates no table and binds the restored one: grants, stream, name', () => {
    // Act
    const { stack, table, template } = tableStack(RESTORED);

    // Assess: the cascade reads the restored stream; grants cover the restored table and its indexes.
    template.resourceCountIs('AWS::DynamoDB::Table', 0);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: RESTORED.tableStreamArn,
      StartingPosition: 'TRIM_HORIZON',
    });
    template.resourceCountIs('AWS::SQS::Queue', 1);
    expect(stack.resolve(table.tableName)).toBe(RESTORED.tableName);
    expect(JSON.stringify(stack.resolve(table.accessResources))).toContain(
      `table/${RESTORED.tableName}/index/`,
    );
  });

  test('takes both contexts or neither, and a stream of that table only', () => {
    // Assess
    expect(parseRestoredTable(undefined, undefined)).toBeUndefined();
    expect(parseRestoredTable(RESTORED.tableName, RESTORED.tableStreamArn)).toEqual(RESTORED);
    expect(() => parseRestoredTable(RESTORED.tableName, undefined)).toThrow(/tableStreamArn must be/);
    expect(() => parseRestoredTable(undefined, RESTORED.tableStreamArn)).toThrow(/tableName must be/);
    expect(() => parseRestoredTable('other-table', RESTORED.tableStreamArn)).toThrow(
      /tableStreamArn must be the stream ARN of table other-table/,
    );
  });
});

describe('parseRemovalPolicy', () => {
  test.each([
    [undefined, RemovalPolicy.RETAIN],
    ['retain', RemovalPolicy.RETAIN],
    ['destroy', RemovalPolicy.DESTROY],
  ])('%s → %s', (value, expected) => {
    // Assess
    expect(parseRemovalPolicy(value)).toBe(expected);
  });

  test('refuses anything else', () => {
    // Assess
    expect(() => parseRemovalPolicy('snapshot')).toThrow(/removalPolicy must be 'destroy' or 'retain'/);
  });
});
