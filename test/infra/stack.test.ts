/**
 * The synthesized template: one stack built once (bundling runs for real) and checked resource by
 * resource. Never a whole-template snapshot: each test names the property it protects.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { bundleHandler } from '../../bench/bundle-size';
import { assembleGatewayScript } from '../../gateway/assemble';
import { gatewayEventsPattern } from '../../lambdas/shared/event-patterns';
import { defineApp } from '../../lib/app';
import { aslSubstitutionNames } from '../../lib/constructs/peering-state-machine';
import { HANDLERS, REPO_ROOT } from '../../lib/handlers';
import type { VpcPeeringStack } from '../../lib/vpc-peering-stack';

let app: App;
let stack: VpcPeeringStack;
let template: Template;

beforeAll(() => {
  app = new App();
  stack = defineApp(app);
  template = Template.fromStack(stack);
});

type Resources = Record<string, { Properties: Record<string, unknown> }>;

/** Every IAM statement of the role of `functionName`'s function, flattened. */
function statementsOf(
  functionName: string,
): Array<{ Action: string | string[]; Resource: unknown; Condition?: unknown }> {
  const fn = stack.functions[functionName as keyof VpcPeeringStack['functions']];
  const roleLogicalId = stack.getLogicalId(fn.serviceRole.node.defaultChild as never);
  const policies = template.findResources('AWS::IAM::Policy', {
    Properties: { Roles: Match.arrayWith([{ Ref: roleLogicalId }]) },
  }) as Resources;
  return Object.values(policies).flatMap(
    (policy) => (policy.Properties.PolicyDocument as { Statement: never[] }).Statement,
  );
}

function actionsOf(functionName: string): string[] {
  return statementsOf(functionName).flatMap((statement) => [statement.Action].flat());
}

describe('Lambda functions', () => {
  test('every handler is a NodejsFunction', () => {
    // Assess
    for (const fn of Object.values(stack.functions)) expect(fn).toBeInstanceOf(NodejsFunction);
  });

  test('one per handler, nodejs22.x on arm64, traced, 256 MB, each with its own log group', () => {
    // Assess
    template.resourceCountIs('AWS::Lambda::Function', HANDLERS.length);
    template.allResourcesProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      MemorySize: 256,
      TracingConfig: { Mode: 'Active' },
      LoggingConfig: { LogGroup: { Ref: Match.stringLikeRegexp('Logs') } },
    });
    // One per function, one per state machine (3) and the API's access log.
    template.resourcePropertiesCountIs('AWS::Logs::LogGroup', { RetentionInDays: 30 }, HANDLERS.length + 4);
  });

  test('every function reads the same configuration variables', () => {
    // Assess
    template.allResourcesProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          TABLE_NAME: Match.anyValue(),
          SECRET_PREFIX: '/vpc-peering',
          SECRETS_KMS_KEY_ID: Match.anyValue(),
          CONFIG_BUCKET: Match.anyValue(),
          SSM_DOCUMENT_NAME: Match.anyValue(),
          EVENT_BUS_NAME: 'default',
          POWERTOOLS_SERVICE_NAME: 'vpc-peering',
        }),
      },
    });
  });

  test('only the api, the cascade, gateway-events and status-reports know the state machines', () => {
    // Prepare
    const withMachines = template.findResources('AWS::Lambda::Function', {
      Properties: {
        Environment: {
          Variables: Match.objectLike({
            CREATE_PEERING_STATE_MACHINE_ARN: Match.anyValue(),
            DELETE_PEERING_STATE_MACHINE_ARN: Match.anyValue(),
            PUSH_GATEWAY_STATE_MACHINE_ARN: Match.anyValue(),
          }),
        },
      },
    });

    // Assess
    expect(Object.keys(withMachines).sort()).toEqual(
      [
        stack.functions.api,
        stack.functions.cascade,
        stack.functions['gateway-events'],
        stack.functions['status-reports'],
      ]
        .map((fn) => stack.getLogicalId(fn.node.defaultChild as never))
        .sort(),
    );
  });
});

describe('Lambda code', () => {
  /** The index.js of a function's code asset in the synthesized assembly. */
  function deployedBundle(name: (typeof HANDLERS)[number]['name']): Buffer {
    const fn =
      template.toJSON().Resources[stack.getLogicalId(stack.functions[name].node.defaultChild as never)];
    const s3Key = fn.Properties.Code.S3Key as string;
    return readFileSync(join(app.synth().directory, `asset.${s3Key.replace(/\.zip$/, '')}`, 'index.js'));
  }

  test.each(['api', 'check-command'] as const)(
    'the deployed %s bundle is the one the bench measures',
    async (name) => {
      // Prepare
      const outdir = mkdtempSync(join(tmpdir(), 'bench-bundle-'));
      const spec = HANDLERS.find((handler) => handler.name === name) as (typeof HANDLERS)[number];

      try {
        // Act
        await bundleHandler(spec.entry, join(outdir, 'index.js'));

        // Assess
        expect(deployedBundle(name).equals(readFileSync(join(outdir, 'index.js')))).toBe(true);
      } finally {
        rmSync(outdir, { recursive: true, force: true });
      }
    },
  );
});

describe('DynamoDB table', () => {
  test('pk/sk, the byOwner and byEntity indexes (keys only), TTL, PITR, a NEW_AND_OLD_IMAGES stream and encryption', () => {
    // Assess
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        Match.objectLike({
          IndexName: 'byOwner',
          KeySchema: [
            { AttributeName: 'gsi1pk', KeyType: 'HASH' },
            { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        }),
        Match.objectLike({
          IndexName: 'byEntity',
          KeySchema: [
            { AttributeName: 'gsi2pk', KeyType: 'HASH' },
            { AttributeName: 'gsi2sk', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        }),
      ],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
      SSESpecification: { SSEEnabled: true },
    });
  });

  test('is retained by default', () => {
    // Assess
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  test('table access covers both indexes (admin lists query byEntity)', () => {
    // Assess
    const policies = JSON.stringify(template.findResources('AWS::IAM::Policy'));
    expect(policies).toContain('/index/byOwner');
    expect(policies).toContain('/index/byEntity');
  });
});

describe('secrets key and config bucket', () => {
  test('the key rotates', () => {
    // Assess
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  test('the bucket is encrypted, private, versioned, TLS-only and expires old versions', () => {
    // Assess
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: Match.objectLike({}),
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      VersioningConfiguration: { Status: 'Enabled' },
      LifecycleConfiguration: {
        Rules: Match.arrayWith([Match.objectLike({ NoncurrentVersionExpiration: { NoncurrentDays: 30 } })]),
      },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });
});

describe('state machines', () => {
  test.each([
    ['create-peering', 'CreatePeering'],
    ['delete-peering', 'DeletePeering'],
    ['push-gateway', 'PushGateway'],
  ])('%s substitutes every placeholder its ASL file uses, with a function ARN', (file, id) => {
    // Prepare
    const asl = readFileSync(join(REPO_ROOT, `statemachine/${file}.asl.json`), 'utf8');
    const names = aslSubstitutionNames(asl);
    const machine = stack.node.findChild(id).node.defaultChild as never;
    const resource = template.toJSON().Resources[stack.getLogicalId(machine)];

    // Assess
    expect(names.length).toBeGreaterThan(0);
    expect(Object.keys(resource.Properties.DefinitionSubstitutions).sort()).toEqual([...names].sort());
    for (const name of names) {
      expect(resource.Properties.DefinitionSubstitutions[name]).toEqual({
        'Fn::GetAtt': [expect.stringMatching(/Function/), 'Arn'],
      });
    }
  });

  test('all three are Standard, traced and log everything', () => {
    // Assess
    template.resourcePropertiesCountIs(
      'AWS::StepFunctions::StateMachine',
      {
        StateMachineType: 'STANDARD',
        TracingConfiguration: { Enabled: true },
        LoggingConfiguration: Match.objectLike({ Level: 'ALL', IncludeExecutionData: true }),
      },
      3,
    );
  });

  test('a machine may invoke exactly the functions its definition names', () => {
    // Prepare
    const role = stack.createPeering.role.node.defaultChild as never;
    const policies = template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: stack.getLogicalId(role) }] },
    }) as Resources;
    const invoke = Object.values(policies)
      .flatMap(
        (p) =>
          (p.Properties.PolicyDocument as { Statement: Array<{ Action: unknown; Resource: unknown }> })
            .Statement,
      )
      .find((statement) => statement.Action === 'lambda:InvokeFunction');

    // Assess
    const substituted = Object.keys(
      template.toJSON().Resources[stack.getLogicalId(stack.createPeering.node.defaultChild as never)]
        .Properties.DefinitionSubstitutions,
    );
    expect(invoke?.Resource).toHaveLength(substituted.length);
  });
});

describe('event sources', () => {
  test('the gateway event rule uses the shared pattern, with retries and a dead-letter queue', () => {
    // Assess
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: gatewayEventsPattern.source,
        'detail-type': gatewayEventsPattern['detail-type'],
      },
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('GatewayEventsFunction'), 'Arn'] },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('GatewayEventsDlq'), 'Arn'] } },
          RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 21600 },
        }),
      ],
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumRetryAttempts: 2,
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('GatewayEventsDlq'), 'Arn'] } },
      },
    });
  });

  test('a schedule and finished report invocations reach status-reports, with retries and a dead-letter queue', () => {
    // Prepare
    const reportDocument = stack.getLogicalId(
      stack.node.findChild('ReportStatusDocument').node.findChild('Document') as never,
    );
    const target = Match.objectLike({
      Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('StatusReportsFunction'), 'Arn'] },
      DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('StatusReportsDlq'), 'Arn'] } },
    });

    // Assess
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      Targets: [target],
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.ssm'],
        'detail-type': ['EC2 Command Invocation Status-change Notification'],
        detail: { 'document-name': [{ Ref: reportDocument }], status: ['Success'] },
      },
      Targets: [target],
    });
  });

  test('the report document runs the same script with --report and takes no parameter', () => {
    // Prepare
    const documents = Object.values(template.findResources('AWS::SSM::Document')) as Resources[string][];
    const contents = documents.map(
      (document) =>
        document.Properties.Content as {
          parameters: Record<string, unknown>;
          mainSteps: Array<{ inputs: { runCommand: string[] } }>;
        },
    );
    const report = contents.find((content) => Object.keys(content.parameters).length === 0);

    // Assess
    expect(documents).toHaveLength(2);
    expect(report?.mainSteps[0]?.inputs.runCommand.at(-1)).toMatch(/apply-config\.sh --report$/);
  });

  test('the stream mapping bisects, reports partial failures, bounds retries and parks failures', () => {
    // Assess
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: Match.stringLikeRegexp('CascadeFunction') },
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 5,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('CascadeDlq'), 'Arn'] } },
      },
    });
  });

  test('only REMOVE records of gateway items reach the cascade', () => {
    // Prepare
    const mapping = Object.values(
      template.findResources('AWS::Lambda::EventSourceMapping'),
    )[0] as Resources[string];
    const filters = (mapping.Properties.FilterCriteria as { Filters: Array<{ Pattern: string }> }).Filters;

    // Assess
    expect(filters.map((filter) => JSON.parse(filter.Pattern))).toEqual([
      { eventName: ['REMOVE'], dynamodb: { Keys: { pk: { S: [{ prefix: 'GW#' }] }, sk: { S: ['META'] } } } },
    ]);
  });
});

describe('least privilege', () => {
  test('status-reports sends only the report document, to tagged instances, reads their output, starts pushes', () => {
    // Prepare
    const statements = statementsOf('status-reports');
    const sendCommand = statements.filter((statement) => statement.Action === 'ssm:SendCommand');
    const reportDocument = stack.getLogicalId(
      stack.node.findChild('ReportStatusDocument').node.findChild('Document') as never,
    );

    // Assess
    expect(JSON.stringify(sendCommand.find((s) => s.Condition === undefined)?.Resource)).toContain(
      reportDocument,
    );
    expect(JSON.stringify(sendCommand)).not.toContain('ApplyConfigDocument');
    expect(sendCommand.find((s) => s.Condition)).toMatchObject({
      Condition: { StringEquals: { 'ssm:resourceTag/vpc-peering:role': 'gateway' } },
    });
    expect(actionsOf('status-reports')).toEqual(
      expect.arrayContaining(['ssm:GetCommandInvocation', 's3:GetObject', 'dynamodb:PutItem']),
    );
    // It starts repair pushes; it never decrypts a secret or publishes an event.
    expect(actionsOf('status-reports')).toContain('states:StartExecution');
    expect(actionsOf('status-reports').filter((a) => /^(kms|events):/.test(a))).toEqual([]);
  });

  test('SendCommand reaches only the apply document and instances tagged as gateways', () => {
    // Prepare
    const sendCommand = statementsOf('push-config').filter(
      (statement) => statement.Action === 'ssm:SendCommand',
    );

    // Assess
    expect(sendCommand).toHaveLength(2);
    expect(sendCommand.filter((statement) => statement.Condition === undefined)).toEqual([
      expect.objectContaining({ Resource: expect.objectContaining({ 'Fn::Join': expect.anything() }) }),
    ]);
    expect(
      JSON.stringify(sendCommand.find((statement) => statement.Condition === undefined)?.Resource),
    ).toContain(':document/');
    expect(sendCommand.find((statement) => statement.Condition)).toMatchObject({
      Condition: { StringEquals: { 'ssm:resourceTag/vpc-peering:role': 'gateway' } },
    });
  });

  test.each(['api', 'gateway-events'])(
    '%s starts and describes push-gateway but neither publishes configs nor runs commands',
    (name) => {
      // Prepare
      const statements = statementsOf(name);
      const machine = stack.getLogicalId(stack.pushGateway.node.defaultChild as never);

      // Act
      const actions = statements.flatMap((statement) => [statement.Action].flat());
      const starts = statements.filter((statement) =>
        [statement.Action].flat().includes('states:StartExecution'),
      );
      const describes = statements.filter((statement) =>
        [statement.Action].flat().includes('states:DescribeExecution'),
      );

      // Assess
      expect(
        actions.filter((action) => /^(s3:|ssm:SendCommand|ssm:GetCommandInvocation)/.test(action)),
      ).toEqual([]);
      expect(starts.map((statement) => statement.Resource)).toContainEqual({ Ref: machine });
      expect(JSON.stringify(describes.map((statement) => statement.Resource))).toContain(machine);
    },
  );

  test('validate reads the table and writes nothing', () => {
    // Act
    const actions = actionsOf('validate');

    // Assess
    expect(
      actions.filter((action) => /^(dynamodb|ssm|s3|states|kms|events|lambda):/.test(action)).sort(),
    ).toEqual([
      'dynamodb:BatchGetItem',
      'dynamodb:ConditionCheckItem',
      'dynamodb:DescribeTable',
      'dynamodb:GetItem',
      'dynamodb:Query',
      'dynamodb:Scan',
    ]);
  });

  test('secrets are reachable only under /vpc-peering, and decrypted only through SSM', () => {
    // Prepare
    const statements = statementsOf('allocate');
    const parameterStatement = statements.find((statement) =>
      [statement.Action].flat().includes('ssm:PutParameter'),
    );
    const kmsStatement = statements.find((statement) => [statement.Action].flat().includes('kms:Decrypt'));

    // Assess
    expect(JSON.stringify(parameterStatement?.Resource)).toContain(':parameter/vpc-peering/*');
    expect(kmsStatement?.Condition).toEqual({
      StringEquals: {
        'kms:ViaService': {
          'Fn::Join': ['', ['ssm.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }]],
        },
      },
    });
  });

  test('only the api reads secrets back; allocate creates them; release and cascade only delete them', () => {
    // Act
    const secretActionsOf = (name: string) =>
      actionsOf(name)
        .filter((action) => /^(ssm:\w*Parameter|kms:)/.test(action))
        .sort();

    // Assess
    expect(secretActionsOf('api')).toEqual([
      'kms:Decrypt',
      'kms:Encrypt',
      'kms:GenerateDataKey',
      'ssm:DeleteParameter',
      'ssm:GetParameter',
      'ssm:PutParameter',
    ]);
    expect(secretActionsOf('allocate')).not.toContain('ssm:GetParameter');
    expect(secretActionsOf('allocate')).toEqual(
      expect.arrayContaining(['ssm:PutParameter', 'ssm:DeleteParameter']),
    );
    expect(secretActionsOf('release')).toEqual(['ssm:DeleteParameter']);
    expect(secretActionsOf('cascade')).toEqual(['ssm:DeleteParameter']);
  });

  test('no function is allowed a wildcard action', () => {
    // Act
    const wildcards = HANDLERS.flatMap((spec) =>
      actionsOf(spec.name).filter((action) => action.includes('*')),
    );

    // Assess
    expect(wildcards).toEqual([]);
  });

  test('the gateway instance policy reads documents and secrets, and writes only command output', () => {
    // Assess
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: 's3:GetObject' }),
          Match.objectLike({ Action: 's3:PutObject' }),
          Match.objectLike({ Action: 'ssm:GetParameter' }),
          Match.objectLike({
            Action: 'kms:Decrypt',
            Condition: { StringEquals: { 'kms:ViaService': Match.anyValue() } },
          }),
        ]),
      },
    });
  });

  test('the gateway instance policy allows the batched secret read the gateway script makes', () => {
    // Prepare
    const script = assembleGatewayScript();

    // Assess
    expect(script).toContain('aws ssm get-parameters ');
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'ssm:GetParameters',
            Resource: Match.objectLike({ 'Fn::Join': Match.anyValue() }),
          }),
        ]),
      },
    });
  });
});

describe('API', () => {
  test('every /v1 route needs a Cognito token; GET /health does not', () => {
    // Assess
    template.hasResourceProperties('AWS::ApiGateway::Authorizer', { Type: 'COGNITO_USER_POOLS' });
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'ANY',
      AuthorizationType: 'COGNITO_USER_POOLS',
      Integration: Match.objectLike({ Type: 'AWS_PROXY' }),
    });
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'GET',
      AuthorizationType: 'NONE',
    });
    template.resourcePropertiesCountIs('AWS::ApiGateway::Method', { AuthorizationType: 'NONE' }, 1);
  });

  test('the stage logs access, traces and throttles', () => {
    // Assess
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      AccessLogSetting: Match.objectLike({ DestinationArn: Match.anyValue() }),
      TracingEnabled: true,
      MethodSettings: [Match.objectLike({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 })],
    });
  });

  test('the user pool has an admin group and a client without secret', () => {
    // Assess
    template.hasResourceProperties('AWS::Cognito::UserPoolGroup', { GroupName: 'admin' });
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', { GenerateSecret: false });
  });
});

describe('operations', () => {
  test('alarms on failed executions and on any message in a dead-letter queue', () => {
    // Assess
    template.resourcePropertiesCountIs('AWS::CloudWatch::Alarm', { MetricName: 'ExecutionsFailed' }, 3);
    template.resourcePropertiesCountIs(
      'AWS::CloudWatch::Alarm',
      {
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
      },
      3,
    );
  });

  test('outputs what a client needs', () => {
    // Assess
    for (const name of ['ApiUrl', 'UserPoolId', 'UserPoolClientId', 'TableName']) {
      template.hasOutput(name, Match.anyValue());
    }
  });

  test('cdk-nag AWS Solutions finds nothing unacknowledged', () => {
    // Act
    const report = new AwsSolutionsChecks(undefined).validateScope(app);

    // Assess
    expect(report.violations.map((violation) => `${violation.severity} ${violation.ruleName}`)).toEqual([]);
  });
});
