/**
 * The synthesized template: one stack built once (bundling runs for real) and checked resource by
 * resource. Never a whole-template snapshot: each test names the property it protects. One file
 * past 400 lines on purpose: every test file would synthesize and bundle the stack again (~20 s).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { assembleGatewayScript } from '../../gateway/assemble';
import { controlPlaneSecretKey, deliveredSecretKey } from '../../lambdas/adapters/s3/secret-store';
import { UPDATE_LEASE_MS } from '../../lambdas/app/gateway-update-lease';
import { DEFAULT_SECRET_PREFIX, secretNamesUnder } from '../../lambdas/app/secret-names';
import { DEFAULT_PEER_FANOUT_STARTS_PER_SECOND } from '../../lambdas/core/fanout-pace';
import { env } from '../../lambdas/shared/env';
import { gatewayEventsPattern } from '../../lambdas/shared/event-patterns';
import { defineApp } from '../../lib/app';
import { ALARM_RUNBOOK } from '../../lib/constructs/alarm-runbook';
import { bundleHandler } from '../../lib/constructs/bundling';
import { SOURCE_INSTANCE } from '../../lib/constructs/gateway-instance-policy';
import { UNHANDLED_ERROR_MESSAGE } from '../../lib/constructs/peering-api';
import { bundleBatchDirs } from '../../lib/constructs/peering-function';
import { aslSubstitutionNames } from '../../lib/constructs/peering-state-machine';
import { REPORT_STORED_MESSAGE } from '../../lib/constructs/status-report-schedule';
import { HANDLERS, REPO_ROOT } from '../../lib/handlers';
import type { VpcPeeringStack } from '../../lib/vpc-peering-stack';
import { INTEGRATION_SUBSTITUTIONS } from '../../statemachine/states';

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

/** The pattern of the metric filter `metricName` on the log group `logGroupId` (a construct id). */
function filterOn(logGroupId: string, metricName: string): unknown {
  const logs = stack.getLogicalId(stack.node.findChild(logGroupId).node.defaultChild as never);
  const filters = template.findResources('AWS::Logs::MetricFilter', {
    Properties: { LogGroupName: { Ref: logs } },
  }) as Resources;
  return Object.values(filters).find(
    (filter) =>
      (filter.Properties.MetricTransformations as Array<{ MetricName: string }>)[0]?.MetricName ===
      metricName,
  )?.Properties.FilterPattern;
}

/** The properties of the alarm `alarmId` (a construct id). */
function alarmOn(alarmId: string): Record<string, unknown> {
  const alarm = stack.node.findChild(alarmId).node.defaultChild as never;
  return (template.toJSON().Resources as Resources)[stack.getLogicalId(alarm)]?.Properties ?? {};
}

/** The handlers' functions; CDK's own (the console's BucketDeployment handler) are left out. */
function handlerFunctionIds(): string[] {
  return Object.values(stack.functions)
    .map((fn) => stack.getLogicalId(fn.node.defaultChild as never))
    .sort();
}

/** Every handler function has `properties`. */
function expectEveryHandler(properties: Record<string, unknown>): void {
  const matching = Object.keys(template.findResources('AWS::Lambda::Function', { Properties: properties }));
  expect(handlerFunctionIds().filter((id) => !matching.includes(id))).toEqual([]);
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
    expect(handlerFunctionIds()).toHaveLength(HANDLERS.length);
    // Plus the console's BucketDeployment handler (lib/constructs/console-hosting.ts).
    template.resourceCountIs('AWS::Lambda::Function', HANDLERS.length + 1);
    expectEveryHandler({
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      MemorySize: 256,
      TracingConfig: { Mode: 'Active' },
      LoggingConfig: { LogGroup: { Ref: Match.stringLikeRegexp('Logs') } },
    });
    // One per function, one per state machine (3), the API's access and execution logs, and the
    // console deployment handler's: every log group of the stack expires.
    template.resourcePropertiesCountIs('AWS::Logs::LogGroup', { RetentionInDays: 30 }, HANDLERS.length + 6);
    template.resourceCountIs('AWS::Logs::LogGroup', HANDLERS.length + 6);
  });

  test('every function reads the same configuration variables', () => {
    // Assess
    expectEveryHandler({
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

  test("the caller throttle is the api function's own unless callerRatePerSecond says (0: off, for a test deployment)", () => {
    // Prepare: the context `npm run deploy:local` gives; no stack is bundled again (the default one was).
    const testApp = new App({ context: { callerRatePerSecond: '0', 'aws:cdk:bundling-stacks': [] } });

    // Act
    const testStack = defineApp(testApp);
    const variablesOf = (built: VpcPeeringStack, name: 'api' | 'sweeper') =>
      Template.fromStack(built).toJSON().Resources[
        built.getLogicalId(built.functions[name].node.defaultChild as never)
      ].Properties.Environment.Variables as Record<string, string>;

    // Assess
    expect(variablesOf(testStack, 'api').CALLER_RATE_PER_SECOND).toBe('0');
    expect(variablesOf(testStack, 'sweeper').CALLER_RATE_PER_SECOND).toBeUndefined();
    expect(variablesOf(stack, 'api').CALLER_RATE_PER_SECOND).toBeUndefined();
    expect(() =>
      defineApp(new App({ context: { callerRatePerSecond: '-1', 'aws:cdk:bundling-stacks': [] } })),
    ).toThrow(/callerRatePerSecond must be a whole number from 0/);
  });

  // Both take a gateway's update lease: gateway-events for an update, the sweeper for an owed walk.
  test.each(['gateway-events', 'sweeper'] as const)(
    "%s stops before a gateway's update lease expires",
    (name) => {
      // Prepare
      const id = stack.getLogicalId(stack.functions[name].node.defaultChild as never);

      // Act
      const timeout = (template.toJSON().Resources[id].Properties as { Timeout: number }).Timeout;

      // Assess: a lease never expires under a live holder (lambdas/app/gateway-update-lease.ts).
      expect(timeout * 1000).toBeLessThan(UPDATE_LEASE_MS);
    },
  );

  /** The workflows each entry point runs (lambdas/app: workflows.start and find); the others none. */
  const RUNS: Partial<Record<string, string[]>> = {
    api: ['create-peering', 'delete-peering', 'push-gateway'],
    // A deleted gateway's peerings (app/gateway-cascade.ts startPeeringDeletion).
    cascade: ['delete-peering'],
    // A changed gateway's pushes (app/gateway-lifecycle.ts startGatewayPush).
    'gateway-events': ['push-gateway'],
    // A repair push (app/push-runs.ts startDriftRepair).
    'status-reports': ['push-gateway'],
    // Stalled creates and deletes, pending cascades, owed peer walks (app/sweeper.ts).
    sweeper: ['create-peering', 'delete-peering', 'push-gateway'],
  };

  test.each(HANDLERS.map((spec) => spec.name))(
    '%s starts and describes only the workflows it runs, and knows only their ARNs',
    (name) => {
      // Prepare
      const machines = {
        'create-peering': stack.createPeering,
        'delete-peering': stack.deletePeering,
        'push-gateway': stack.pushGateway,
      };
      const machineIn = (resource: unknown) =>
        Object.entries(machines)
          .filter(([, machine]) =>
            JSON.stringify(resource).includes(stack.getLogicalId(machine.node.defaultChild as never)),
          )
          .map(([workflow]) => workflow);
      const withAction = (action: string) =>
        statementsOf(name).filter((statement) => [statement.Action].flat().includes(action));
      const fn = stack.getLogicalId(stack.functions[name].node.defaultChild as never);

      // Act
      const started = withAction('states:StartExecution').flatMap((statement) =>
        machineIn(statement.Resource),
      );
      const described = withAction('states:DescribeExecution').flatMap((statement) =>
        machineIn(statement.Resource),
      );
      const variables = Object.keys(
        (template.toJSON().Resources[fn].Properties.Environment?.Variables ?? {}) as Record<string, unknown>,
      ).filter((variable) => variable.endsWith('_STATE_MACHINE_ARN'));

      // Assess
      const runs = RUNS[name] ?? [];
      expect(started.sort()).toEqual(runs);
      expect(described.sort()).toEqual(runs);
      expect(variables.sort()).toEqual(
        runs.map((workflow) => `${workflow.toUpperCase().replace('-', '_')}_STATE_MACHINE_ARN`),
      );
    },
  );
});

describe('Lambda code', () => {
  it('leaves no batch of handler bundles behind once every function took its own', () => {
    // Prepare: the synth of beforeAll bundled every handler in one batch directory.
    const made = bundleBatchDirs();
    // Act
    const left = made.filter((dir) => existsSync(dir));
    // Assess
    expect(made.length).toBeGreaterThan(0);
    expect(left).toEqual([]);
  });

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
        await bundleHandler(REPO_ROOT, spec.entry, join(outdir, 'index.js'));

        // Assess
        expect(deployedBundle(name).equals(readFileSync(join(outdir, 'index.js')))).toBe(true);
      } finally {
        rmSync(outdir, { recursive: true, force: true });
      }
    },
  );
});

describe('DynamoDB table', () => {
  /** A global index keyed `<keys>pk` / `<keys>sk`. */
  const globalIndex = (IndexName: string, keys: string, ProjectionType: string) =>
    Match.objectLike({
      IndexName,
      KeySchema: [
        { AttributeName: `${keys}pk`, KeyType: 'HASH' },
        { AttributeName: `${keys}sk`, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType },
    });

  test('pk/sk, the byOwner, byEntity and byOwnerInFlight indexes (keys only), the bySweep index (whole items), TTL, PITR, a NEW_AND_OLD_IMAGES stream and encryption', () => {
    // Assess
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        globalIndex('byOwner', 'gsi1', 'KEYS_ONLY'),
        globalIndex('byEntity', 'gsi2', 'KEYS_ONLY'),
        globalIndex('bySweep', 'gsi3', 'ALL'),
        globalIndex('byOwnerInFlight', 'gsi4', 'KEYS_ONLY'),
      ],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
      SSESpecification: { SSEEnabled: true },
    });
  });

  test('is retained and protected from deletion by default', () => {
    // Assess
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({ DeletionProtectionEnabled: true }),
    });
  });

  test('table access covers every index (admin lists query byEntity, the sweep bySweep, the api byOwnerInFlight)', () => {
    // Assess
    const policies = JSON.stringify(template.findResources('AWS::IAM::Policy'));
    expect(policies).toContain('/index/byOwner');
    expect(policies).toContain('/index/byEntity');
    expect(policies).toContain('/index/bySweep');
    expect(policies).toContain('/index/byOwnerInFlight');
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
        Rules: Match.arrayWith([
          Match.objectLike({ NoncurrentVersionExpiration: { NoncurrentDays: 30 } }),
          Match.objectLike({
            Prefix: 'gateways/',
            NoncurrentVersionExpiration: { NoncurrentDays: 1 },
            ExpiredObjectDeleteMarker: true,
          }),
        ]),
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
  ])(
    '%s substitutes every placeholder its ASL file uses, with a function ARN or the integration in the stack partition',
    (file, id) => {
      // Prepare
      const asl = readFileSync(join(REPO_ROOT, `statemachine/${file}.asl.json`), 'utf8');
      const names = aslSubstitutionNames(asl);
      const machine = stack.node.findChild(id).node.defaultChild as never;
      const resource = template.toJSON().Resources[stack.getLogicalId(machine)];
      const functionNames = names.filter((name) => !INTEGRATION_SUBSTITUTIONS.includes(name));

      // Assess
      expect(functionNames.length).toBeGreaterThan(0);
      expect(Object.keys(resource.Properties.DefinitionSubstitutions).sort()).toEqual([...names].sort());
      for (const name of functionNames) {
        expect(resource.Properties.DefinitionSubstitutions[name]).toEqual({
          'Fn::GetAtt': [expect.stringMatching(/Function/), 'Arn'],
        });
      }
      expect(resource.Properties.DefinitionSubstitutions.LambdaInvoke).toEqual({
        'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':states:::lambda:invoke']],
      });
    },
  );

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
    expect(invoke?.Resource).toHaveLength(
      substituted.filter((name) => !INTEGRATION_SUBSTITUTIONS.includes(name)).length,
    );
  });
});

describe('event sources', () => {
  test('gateway events come on a bus of their own, whose policy admits only the gateway product', () => {
    // Prepare
    const bus = stack.getLogicalId(stack.node.findChild('GatewayEventsBus').node.defaultChild as never);
    // Assess
    template.resourceCountIs('AWS::Events::EventBus', 1);
    template.hasResourceProperties('AWS::Events::EventBusPolicy', {
      EventBusName: { Ref: bus },
      Statement: {
        Sid: 'cdk-GatewayProductOnly',
        Effect: 'Allow',
        Action: 'events:PutEvents',
        Principal: {
          AWS: {
            'Fn::Join': [
              '',
              ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':root'],
            ],
          },
        },
        Resource: { 'Fn::GetAtt': [bus, 'Arn'] },
        Condition: { StringEquals: { 'events:source': gatewayEventsPattern.source } },
      },
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: { Ref: bus },
      EventPattern: { source: gatewayEventsPattern.source, account: Match.absent() },
    });
    // Without gatewayProductPrincipal nobody can be named: the synthesis says what that admits.
    template.resourceCountIs('AWS::Events::EventBusPolicy', 1);
    Annotations.fromStack(stack).hasWarning(
      `/${stack.stackName}/GatewayEventsBus`,
      Match.stringLikeRegexp('any principal of this account allowed events:PutEvents'),
    );
  });

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
    // At fleet scale: the delivery timeout of the 5-minute period; a share of the account only when
    // asked (statusReportConcurrency), so a new account can deploy.
    const statusReports =
      template.toJSON().Resources[
        stack.getLogicalId(stack.functions['status-reports'].node.defaultChild as never)
      ];
    expect(statusReports.Properties.Environment.Variables.STATUS_REPORT_DELIVERY_TIMEOUT_SECONDS).toBe('150');
    expect(statusReports.Properties.ReservedConcurrentExecutions).toBeUndefined();
  });

  test('a schedule reaches the sweeper, which re-drives peerings stalled past the bound (10 minutes) and deletes leftover secrets', () => {
    // Prepare
    const sweeper =
      template.toJSON().Resources[stack.getLogicalId(stack.functions.sweeper.node.defaultChild as never)];

    // Assess
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('SweeperFunction'), 'Arn'] },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('SweeperDlq'), 'Arn'] } },
        }),
      ],
    });
    expect(sweeper.Properties.Environment.Variables.STALLED_PEERING_BOUND_SECONDS).toBe('600');
    expect(actionsOf('sweeper')).toEqual(
      expect.arrayContaining([
        'dynamodb:Scan',
        'states:StartExecution',
        'dynamodb:DeleteItem',
        's3:DeleteObject',
      ]),
    );
    // It deletes secrets it never reads; it writes a resumed move's new preshared keys, and reads
    // documents only (a resumed move's walk waits for its early push's: app/instance-move.ts).
    expect(actionsOf('sweeper').filter((a) => /^(s3:GetObject|kms:)/.test(a))).toEqual([
      'kms:GenerateDataKey',
      's3:GetObject',
    ]);
  });

  test("the functions that fan out over a hub's peers get its start rate, and a hub at the peering limit fits their timeout", () => {
    // Prepare
    const fanOut = ['cascade', 'gateway-events', 'sweeper'];
    const propertiesOf = (name: string) =>
      template.toJSON().Resources[
        stack.getLogicalId(
          stack.functions[name as keyof VpcPeeringStack['functions']].node.defaultChild as never,
        )
      ].Properties as { Timeout: number; Environment?: { Variables?: Record<string, string> } };

    // Act
    const rates = Object.fromEntries(
      HANDLERS.map(({ name }) => [
        name,
        propertiesOf(name).Environment?.Variables?.PEER_FANOUT_STARTS_PER_SECOND,
      ]),
    );

    // Assess: only those three; the whole fan-out of the largest hub the API admits (1,000
    // peerings: its starts after the first second's burst) within the deletion's stream function and
    // the update's event function, with a third of each left for the listing and the rest of the run.
    for (const [name, rate] of Object.entries(rates)) {
      expect([name, rate]).toEqual([
        name,
        fanOut.includes(name) ? String(DEFAULT_PEER_FANOUT_STARTS_PER_SECOND) : undefined,
      ]);
    }
    const peerings = env.ownerLimits().peeringsPerGateway;
    const fanOutSeconds =
      (peerings - DEFAULT_PEER_FANOUT_STARTS_PER_SECOND) / DEFAULT_PEER_FANOUT_STARTS_PER_SECOND;
    for (const name of ['cascade', 'gateway-events']) {
      expect(fanOutSeconds).toBeLessThan((propertiesOf(name).Timeout * 2) / 3);
    }
  });

  test('a start rate at which a hub at the peering limit would fan out past its budget fails the synth, naming the setting', () => {
    // Prepare: the context `-c peerFanoutStartsPerSecond=…` gives; nothing is bundled.
    const synth = (rate: string) => () =>
      defineApp(new App({ context: { peerFanoutStartsPerSecond: rate, 'aws:cdk:bundling-stacks': [] } }));

    // Assess: 1,000 peerings in 40 s need 25 a second; 15 would take 67 s, past the event
    // function's 60 s timeout.
    expect(synth('15')).toThrow(
      'peerFanoutStartsPerSecond must be at least 25, got 15: a hub of MAX_PEERINGS_PER_GATEWAY (1000) peerings would take 67 s to fan out, above its 40 s',
    );
    expect(synth('0')).toThrow('peerFanoutStartsPerSecond must be a whole number of at least 1, got 0');
    expect(synth('25')).not.toThrow();
  });

  test("the functions that fan out over a hub's peers run at most 2 at once each; their events and records wait meanwhile", () => {
    // Prepare
    const fanOut = ['cascade', 'gateway-events', 'sweeper'];
    const functionOf = (built: VpcPeeringStack, name: string) =>
      built.getLogicalId(
        built.functions[name as keyof VpcPeeringStack['functions']].node.defaultChild as never,
      );
    const reservedOf = (built: VpcPeeringStack) =>
      Object.fromEntries(
        HANDLERS.map(({ name }) => [
          name,
          Template.fromStack(built).toJSON().Resources[functionOf(built, name)].Properties
            .ReservedConcurrentExecutions,
        ]),
      );
    const synth = (runs: string) =>
      defineApp(new App({ context: { peerFanoutConcurrency: runs, 'aws:cdk:bundling-stacks': [] } }));

    // Act
    const reserved = reservedOf(stack);
    const unreserved = reservedOf(synth('0'));

    // Assess: only the three, 2 each, so the account sees at most 2 paced runs of each whoever's
    // gateways changed; status-reports keeps its own prop (none by default).
    expect(reserved).toEqual(
      Object.fromEntries(HANDLERS.map(({ name }) => [name, fanOut.includes(name) ? 2 : undefined])),
    );
    expect(Object.values(unreserved).filter((value) => value !== undefined)).toEqual([]);
    expect(() => synth('-1')).toThrow('peerFanoutConcurrency must be a whole number from 0, got -1');
    // A throttled event waits in Lambda's queue up to its age (6 hours: no shorter age is set), a
    // throttled stream batch until its records expire (no record age, no retry spent on a throttle).
    for (const name of ['gateway-events', 'sweeper']) {
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: functionOf(stack, name) },
        MaximumEventAgeInSeconds: Match.absent(),
      });
    }
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: functionOf(stack, 'cascade') },
      MaximumRecordAgeInSeconds: Match.absent(),
      ParallelizationFactor: Match.absent(),
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

    // Assess: apply, report and teardown.
    expect(documents).toHaveLength(3);
    expect(JSON.stringify(report?.mainSteps[0]?.inputs.runCommand.at(-1))).toMatch(
      /apply-config\.sh --report"\]\]\}$/,
    );
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

  test("push-config writes to the table only its gateway's push lease (item writes) and reads no invocation or output", () => {
    // Assess: the lease (app/push.ts pushUnderLease) is one item put, updated and deleted.
    const actions = actionsOf('push-config');
    expect(
      actions.filter(
        (action) => action.startsWith('dynamodb:') && !action.match(/Get|Query|Scan|Describe|ConditionCheck/),
      ),
    ).toEqual(expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem']));
    expect(actions).not.toContain('ssm:GetCommandInvocation');
    const outputReads = statementsOf('push-config').filter(
      (statement) =>
        [statement.Action].flat().includes('s3:GetObject') &&
        JSON.stringify(statement.Resource).includes('command-output'),
    );
    expect(outputReads).toEqual([]);
  });

  test('push-config reads the state documents (the applied one says which copies its instance holds)', () => {
    // Assess
    const documentReads = statementsOf('push-config').filter(
      (statement) =>
        [statement.Action].flat().includes('s3:GetObject') &&
        JSON.stringify(statement.Resource).includes('/gateways/*') &&
        JSON.stringify(statement.Resource).includes('ConfigBucket'),
    );
    expect(documentReads).toHaveLength(1);
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

  // gateway-events: a gateway moved to another instance (lambdas/app/gateway-lifecycle.ts).
  test.each(['cascade', 'sweeper', 'gateway-events'])(
    'the %s sends only the teardown document to tagged instances, and deletes only under gateways/ and secrets/',
    (name) => {
      // Prepare
      const statements = statementsOf(name);
      const actionsOf = (action: string) =>
        statements.filter((statement) => [statement.Action].flat().includes(action));
      const teardown = stack.getLogicalId(
        stack.node.findChild('TeardownDocument').node.findChild('Document') as never,
      );

      // Assess
      const sendCommand = actionsOf('ssm:SendCommand');
      expect(sendCommand).toHaveLength(2);
      expect(JSON.stringify(sendCommand.find((statement) => !statement.Condition)?.Resource)).toContain(
        teardown,
      );
      expect(sendCommand.find((statement) => statement.Condition)).toMatchObject({
        Condition: { StringEquals: { 'ssm:resourceTag/vpc-peering:role': 'gateway' } },
      });
      const deletes = actionsOf('s3:DeleteObject').map((statement) => JSON.stringify(statement.Resource));
      expect(deletes.filter((resource) => resource.includes('/gateways/*'))).toHaveLength(1);
      // Only the cascade and the sweeper delete the control plane's keys too (secrets-delete).
      const deletesKeys = name !== 'gateway-events';
      expect(deletes.filter((resource) => resource.includes('/secrets/*'))).toHaveLength(deletesKeys ? 1 : 0);
      // Published documents and copies in both buckets; a deleted gateway's own secret folder (its
      // key and its road-warriors' keys, a thousand per request), never the peerings' keys.
      const listed = actionsOf('s3:ListBucket').map((list) => ({
        bucket: JSON.stringify(list.Resource).includes(secretsBucketId()) ? 'secrets' : 'config',
        condition: list.Condition,
      }));
      const under = (prefix: string) => ({ StringLike: { 's3:prefix': [prefix] } });
      const folder = { bucket: 'secrets', condition: under('secrets/vpc-peering/gateways/*/') };
      expect(listed).toEqual(
        expect.arrayContaining([
          { bucket: 'config', condition: under('gateways/*') },
          { bucket: 'secrets', condition: under('gateways/*') },
          ...(deletesKeys ? [folder] : []),
        ]),
      );
      expect(listed).toHaveLength(deletesKeys ? 3 : 2);
      // A move's walk waits for its early push's document (app/instance-move.ts): documents only.
      const reads = actionsOf('s3:GetObject').map((statement) => JSON.stringify(statement.Resource));
      expect(reads).toHaveLength(name === 'cascade' ? 0 : 1);
      for (const resource of reads) {
        expect(resource).not.toContain(secretsBucketId());
        expect(resource).toContain('/gateways/*');
      }
    },
  );

  test.each(['api', 'gateway-events'])(
    '%s starts and describes push-gateway but neither publishes configs nor applies them (both only read documents back)',
    (name) => {
      // Prepare
      const statements = statementsOf(name);
      const machine = stack.getLogicalId(stack.pushGateway.node.defaultChild as never);

      // Act
      const starts = statements.filter((statement) =>
        [statement.Action].flat().includes('states:StartExecution'),
      );
      const describes = statements.filter((statement) =>
        [statement.Action].flat().includes('states:DescribeExecution'),
      );

      // Assess: the api's s3 actions are on the secrets bucket (key downloads), and on documents only
      // to read them back (the status route; gateway-events: a move's early push's document).
      const secretsBucket = stack.getLogicalId(
        stack.node.findChild('SecretsBucket').node.defaultChild as never,
      );
      const configActions = statements
        .filter((statement) => !JSON.stringify(statement.Resource).includes(secretsBucket))
        .flatMap((statement) => [statement.Action].flat());
      // gateway-events deletes a moved gateway's documents and sends only the teardown (the test above).
      expect(
        configActions.filter((action) =>
          /^(s3:(?!ListBucket|DeleteObject)|ssm:SendCommand|ssm:GetCommandInvocation)/.test(action),
        ),
      ).toEqual(name === 'api' ? ['s3:GetObject'] : ['s3:GetObject', 'ssm:SendCommand', 'ssm:SendCommand']);
      expect(starts.map((statement) => statement.Resource)).toContainEqual({ Ref: machine });
      expect(JSON.stringify(describes.map((statement) => statement.Resource))).toContain(machine);
    },
  );

  test("validate reads the table, writes nothing, and only deletes a refused create's preshared key", () => {
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
      's3:DeleteObject',
    ]);
  });

  /** Logical id of the secrets bucket; a statement naming it touches secrets. */
  const secretsBucketId = () =>
    stack.getLogicalId(stack.node.findChild('SecretsBucket').node.defaultChild as never);
  const touchesSecrets = (statement: { Action: string | string[]; Resource: unknown }) =>
    JSON.stringify(statement.Resource).includes(secretsBucketId()) ||
    [statement.Action].flat().some((action) => action.startsWith('kms:'));

  test('secrets are objects under secrets/ of their own bucket, decrypted only through S3', () => {
    // Prepare
    const statements = statementsOf('allocate');
    const put = statements.find((statement) => [statement.Action].flat().includes('s3:PutObject'));
    const kms = statements.find((statement) => [statement.Action].flat().some((a) => a.startsWith('kms:')));

    // Assess
    expect(JSON.stringify(put?.Resource)).toContain(secretsBucketId());
    expect(JSON.stringify(put?.Resource)).toContain('/secrets/');
    expect(kms?.Condition).toEqual({
      StringEquals: {
        'kms:ViaService': {
          'Fn::Join': ['', ['s3.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }]],
        },
      },
    });
    expect(actionsOf('allocate').filter((action) => action.startsWith('ssm:'))).toEqual([]);
  });

  test('the secrets bucket is SSE-KMS with the secrets key, no bucket key, not versioned', () => {
    // Assess
    const bucket = template.toJSON().Resources[secretsBucketId()] as { Properties: Record<string, unknown> };
    expect(bucket.Properties.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [
        {
          BucketKeyEnabled: false,
          ServerSideEncryptionByDefault: {
            KMSMasterKeyID: expect.objectContaining({
              'Fn::GetAtt': [expect.stringMatching(/^SecretsKey/), 'Arn'],
            }),
            SSEAlgorithm: 'aws:kms',
          },
        },
      ],
    });
    expect(bucket.Properties.VersioningConfiguration).toBeUndefined();
  });

  test('only the api reads secrets back; allocate creates them; push-config copies them; validate, release and cascade only delete them', () => {
    // Act
    const secretActionsOf = (name: string) =>
      [
        ...new Set(
          statementsOf(name)
            .filter(touchesSecrets)
            .flatMap((statement) => [statement.Action].flat()),
        ),
      ].sort();

    // Assess
    expect(secretActionsOf('api')).toEqual([
      'kms:Decrypt',
      'kms:GenerateDataKey',
      's3:DeleteObject',
      's3:GetObject',
      's3:PutObject',
    ]);
    expect(secretActionsOf('allocate')).toEqual(['kms:GenerateDataKey', 's3:DeleteObject', 's3:PutObject']);
    expect(secretActionsOf('push-config')).toEqual([
      'kms:Decrypt',
      'kms:GenerateDataKey',
      's3:GetObject',
      's3:PutObject',
      's3:PutObjectTagging',
    ]);
    // Release also lists a deleted peering's folder (every key a move gave it) to delete it.
    expect(secretActionsOf('release')).toEqual(['s3:DeleteObject', 's3:ListBucket']);
    // A move gives each peering a new preshared key (app/preshared-key-rotation.ts), never reading
    // one; it lists the moved gateway's delivered copies (under gateways/ only) to withdraw them.
    expect(secretActionsOf('gateway-events')).toEqual([
      'kms:GenerateDataKey',
      's3:DeleteObject',
      's3:ListBucket',
      's3:PutObject',
    ]);
    expect(secretActionsOf('validate')).toEqual(['s3:DeleteObject']);
    // The cascade also lists a deleted gateway's delivered copies (under gateways/ only) to delete them.
    expect(secretActionsOf('cascade')).toEqual(['s3:DeleteObject', 's3:ListBucket']);
    for (const spec of HANDLERS) expect(actionsOf(spec.name).filter((a) => /Parameter/.test(a))).toEqual([]);
  });

  test('push-config reads only gateway keys and preshared keys, never a road-warrior key; the api never a preshared key', () => {
    // Prepare
    const objectsOf = (name: string, effect: 'Allow' | 'Deny', action: string) =>
      statementsOf(name)
        .filter((statement) => (statement as { Effect?: string }).Effect === effect)
        .filter((statement) => [statement.Action].flat().includes(action))
        .flatMap((statement) => JSON.stringify(statement.Resource).match(/\/secrets\/[^"]*/g) ?? [])
        .sort();

    // Assess
    expect(objectsOf('push-config', 'Allow', 's3:GetObject')).toEqual([
      '/secrets/vpc-peering/gateways/*/private-key',
      '/secrets/vpc-peering/peerings/*/psk*',
    ]);
    // IAM's `*` spans `/`: `gateways/*/private-key` matches road-warrior keys too, so they are denied.
    expect(objectsOf('push-config', 'Deny', 's3:GetObject')).toEqual([
      '/secrets/vpc-peering/gateways/*/peers/*/*/private-key',
    ]);
    for (const action of ['s3:GetObject', 's3:PutObject', 's3:DeleteObject']) {
      expect(objectsOf('api', 'Allow', action)).toEqual([
        '/secrets/vpc-peering/gateways/*/peers/*/*/private-key',
        '/secrets/vpc-peering/gateways/*/private-key',
      ]);
    }
  });

  test("release lists only peerings' folders, to delete every key a peering had (a move gives it new ones)", () => {
    // Act
    const lists = statementsOf('release').filter((statement) =>
      [statement.Action].flat().includes('s3:ListBucket'),
    );

    // Assess
    expect(lists.map((statement) => (statement as { Condition?: unknown }).Condition)).toEqual([
      { StringLike: { 's3:prefix': ['secrets/vpc-peering/peerings/*/'] } },
    ]);
  });

  test('validate, allocate, release and gateway-events reach only preshared keys, by the pattern the keys the store writes match', () => {
    // Prepare: IAM's `*` matches any run of characters, `/` included.
    const names = secretNamesUnder(DEFAULT_SECRET_PREFIX);
    const granted = (name: string) =>
      statementsOf(name)
        .filter((statement) => JSON.stringify(statement.Resource).includes(secretsBucketId()))
        .flatMap((statement) => JSON.stringify(statement.Resource).match(/\/secrets\/[^"]*/g) ?? [])
        .map((path) => new RegExp(`^${path.slice(1).replace(/[.]/g, '\\.').replace(/\*/g, '.*')}$`));

    // Act
    const patterns = ['validate', 'allocate', 'release', 'gateway-events'].map(granted);

    // Assess
    for (const objects of patterns) {
      expect(objects).toHaveLength(1);
      const [psk] = objects as [RegExp];
      expect(psk.test(controlPlaneSecretKey(names.presharedKey('pcx-0123456789abcdef0')))).toBe(true);
      // A move's new key (app/preshared-key-rotation.ts).
      expect(
        psk.test(controlPlaneSecretKey(names.presharedKey('pcx-0123456789abcdef0', '0123456789abcdef'))),
      ).toBe(true);
      expect(psk.test(controlPlaneSecretKey(names.gatewayPrivateKey('gw-a')))).toBe(false);
      expect(psk.test(controlPlaneSecretKey(names.roadWarriorPrivateKey('gw-a', 'laptop', 'k1')))).toBe(
        false,
      );
    }
  });

  test("status-reports gets and puts items of the table alone, and updates only a gateway item's desiredGeneration and healedThrough: it never deletes, queries or scans", () => {
    // Prepare
    const table = stack.getLogicalId(stack.table.node.defaultChild as never);

    // Act
    const tableStatements = statementsOf('status-reports').filter((statement) =>
      [statement.Action].flat().some((action) => action.startsWith('dynamodb:')),
    );
    const update = tableStatements.find((statement) => statement.Action === 'dynamodb:UpdateItem');

    // Assess: the update is the raise of a restored gateway's generation (app/status-reports.ts).
    expect(tableStatements.flatMap((statement) => [statement.Action].flat()).sort()).toEqual([
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
    ]);
    expect(tableStatements.map((statement) => statement.Resource)).toEqual([
      { 'Fn::GetAtt': [table, 'Arn'] },
      { 'Fn::GetAtt': [table, 'Arn'] },
    ]);
    expect(update?.Condition).toEqual({
      'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['GW#*'] },
      'ForAllValues:StringEquals': {
        'dynamodb:Attributes': ['pk', 'sk', 'desiredGeneration', 'healedThrough', 'createdAt', 'instanceId'],
      },
    });
  });

  test('no function is allowed a wildcard action', () => {
    // Act
    const wildcards = HANDLERS.flatMap((spec) =>
      actionsOf(spec.name).filter((action) => action.includes('*')),
    );

    // Assess
    expect(wildcards).toEqual([]);
  });

  /** The statements of the policy the gateway product attaches to every gateway instance. */
  type InstanceStatement = {
    Effect: string;
    Action: string | string[];
    Resource: unknown;
    Condition?: unknown;
  };
  const instanceStatements = (): InstanceStatement[] => {
    const id = stack.getLogicalId(stack.gatewayInstancePolicy.node.defaultChild as never);
    const policy = (template.toJSON().Resources as Resources)[id];
    return (
      (policy?.Properties.PolicyDocument as { Statement: InstanceStatement[] } | undefined)?.Statement ?? []
    );
  };

  test('an instance reads only objects tagged with its own ARN: its documents and its secret copies', () => {
    // Prepare
    const reads = instanceStatements().filter((statement) =>
      [statement.Action].flat().includes('s3:GetObject'),
    );

    // Assess: one statement, conditioned, over the two per-gateway prefixes and nothing else.
    expect(reads).toHaveLength(1);
    expect(reads[0]?.Condition).toEqual({
      StringEquals: { 's3:ExistingObjectTag/vpc-peering-instance': SOURCE_INSTANCE },
    });
    const resources = JSON.stringify(reads[0]?.Resource);
    expect(resources).toContain('/gateways/*');
    expect(resources).toContain(secretsBucketId());
    expect(resources).not.toContain('/secrets/*');
  });

  test('an instance reaches no control-plane secret, no road-warrior key and no Parameter Store', () => {
    // Prepare
    const statements = instanceStatements();
    const actions = statements.flatMap((statement) => [statement.Action].flat());
    const decrypt = statements.find((statement) => [statement.Action].flat().includes('kms:Decrypt'));

    // Assess: control-plane secrets (road-warrior keys among them) live under secrets/, which no
    // statement names, and KMS decrypts for it only the copies delivered under gateways/.
    expect(actions.filter((action) => action.startsWith('ssm:'))).toEqual([]);
    expect(JSON.stringify(statements)).not.toContain('/secrets/');
    expect(JSON.stringify(statements)).not.toContain('parameter/');
    expect(decrypt?.Condition).toMatchObject({
      StringEquals: { 'kms:ViaService': expect.anything() },
      ArnLike: {
        'kms:EncryptionContext:aws:s3:arn': expect.objectContaining({ 'Fn::Join': expect.anything() }),
      },
    });
    expect(JSON.stringify((decrypt?.Condition as { ArnLike?: unknown } | undefined)?.ArnLike)).toContain(
      '/gateways/*',
    );
    expect(actions.sort()).toEqual(['kms:Decrypt', 's3:GetObject', 's3:PutObject']);
  });

  test('an instance writes apply output only under its own ARN (and the shared report prefix)', () => {
    // Prepare
    const writes = instanceStatements().filter((statement) =>
      [statement.Action].flat().includes('s3:PutObject'),
    );

    // Assess
    expect(writes).toHaveLength(1);
    const resources = JSON.stringify(writes[0]?.Resource);
    expect(resources).toContain(`/command-output/${SOURCE_INSTANCE}/*`);
    expect(resources).toContain('/command-output/reports/*');
    expect(resources).not.toContain('/command-output/*');
  });

  test('the apply document requires the digest and pins the document to the config bucket', () => {
    // Prepare
    const documents = Object.values(template.findResources('AWS::SSM::Document') as Resources);
    const apply = documents.find((document) =>
      JSON.stringify(document.Properties.Content).includes('stateSha256'),
    );
    const content = apply?.Properties.Content as
      | { parameters: Record<string, Record<string, unknown>> }
      | undefined;
    const parameters = content?.parameters ?? {};

    // Assess: no default, so SSM refuses a command without it.
    expect(parameters.stateSha256).toEqual({
      type: 'String',
      description: expect.any(String),
      allowedPattern: '^[0-9a-f]{64}$',
    });
    expect(JSON.stringify(parameters.stateUri?.allowedPattern)).toContain('ConfigBucket');
    expect(JSON.stringify(parameters.stateUri?.allowedPattern)).toContain('/gateways/');
  });

  test('the script fetches secret copies where push-config delivers them', () => {
    // Prepare
    const script = assembleGatewayScript();

    // Assess
    expect(deliveredSecretKey('gw-a', '/vpc-peering/peerings/p1/psk')).toBe(
      'gateways/gw-a/secrets/vpc-peering/peerings/p1/psk',
    );
    expect(script).toContain('"$SECRET_SOURCE/gateways/$GATEWAY_ID/secrets$name"');
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
    // Without a token: GET /health, GET /v1/openapi.json and the console's CORS preflights only.
    const open = Object.values(
      template.findResources('AWS::ApiGateway::Method', { Properties: { AuthorizationType: 'NONE' } }),
    ) as { Properties: { HttpMethod: string } }[];
    expect(open.filter((method) => method.Properties.HttpMethod !== 'OPTIONS')).toHaveLength(2);
    expect(open.filter((method) => method.Properties.HttpMethod === 'OPTIONS').length).toBeGreaterThan(0);
  });

  test('the stage logs access, traces and throttles far above what one caller may send', () => {
    // Assess: 1,000/s, burst 2,000: fifty callers at the caller rate, and above one caller's whole
    // minute (1,200) in a burst, so no one caller takes the stage from the others.
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      AccessLogSetting: Match.objectLike({ DestinationArn: Match.anyValue() }),
      TracingEnabled: true,
      MethodSettings: [Match.objectLike({ ThrottlingRateLimit: 1000, ThrottlingBurstLimit: 2000 })],
    });
  });

  test("a web ACL on the stage limits each caller's token to 1,200 requests a minute across containers, answered 429 THROTTLED", () => {
    // Prepare
    const stage = stack.getLogicalId(stack.api.api.deploymentStage.node.defaultChild as never);
    const acls = Object.values(template.findResources('AWS::WAFv2::WebACL')) as Resources[string][];

    // Assess
    expect(acls).toHaveLength(1);
    const acl = acls[0]?.Properties as {
      Scope: string;
      DefaultAction: unknown;
      Rules: Array<{ Statement: unknown; Action: { Block: { CustomResponse: Record<string, unknown> } } }>;
      CustomResponseBodies: Record<string, { Content: string; ContentType: string }>;
    };
    expect(acl.Scope).toBe('REGIONAL');
    expect(acl.DefaultAction).toEqual({ Allow: {} });
    expect(acl.Rules).toHaveLength(1);
    expect(acl.Rules[0]?.Statement).toEqual({
      RateBasedStatement: {
        Limit: 1200,
        EvaluationWindowSec: 60,
        AggregateKeyType: 'CUSTOM_KEYS',
        CustomKeys: [
          { Header: { Name: 'authorization', TextTransformations: [{ Priority: 0, Type: 'NONE' }] } },
        ],
      },
    });
    const answer = acl.Rules[0]?.Action.Block.CustomResponse as {
      ResponseCode: number;
      CustomResponseBodyKey: string;
      ResponseHeaders: Array<{ Name: string; Value: unknown }>;
    };
    expect(answer.ResponseCode).toBe(429);
    expect(answer.ResponseHeaders).toEqual(
      expect.arrayContaining([
        { Name: 'Retry-After', Value: '60' },
        { Name: 'Access-Control-Allow-Origin', Value: expect.anything() },
      ]),
    );
    const body = acl.CustomResponseBodies[answer.CustomResponseBodyKey];
    expect(body?.ContentType).toBe('APPLICATION_JSON');
    expect(JSON.parse(body?.Content ?? '{}').error.code).toBe('THROTTLED');
    // On the stage (its ARN names the stage's logical id), not on the API or another resource.
    const associations = template.findResources('AWS::WAFv2::WebACLAssociation', {
      Properties: { WebACLArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('CallerRateLimitWebAcl'), 'Arn'] } },
    });
    expect(Object.keys(associations)).toHaveLength(1);
    expect(JSON.stringify(associations)).toContain(stage);
  });

  test('the web ACL follows callerRatePerSecond, and a deployment turns it off with callerWebAcl=false', () => {
    // Prepare: nothing is bundled.
    const aclsOf = (context: Record<string, string>) =>
      Template.fromStack(defineApp(new App({ context: { ...context, 'aws:cdk:bundling-stacks': [] } })));

    // Act
    const slower = aclsOf({ callerRatePerSecond: '5' });
    const off = aclsOf({ callerWebAcl: 'false' });
    const testDeployment = aclsOf({ callerRatePerSecond: '0' });

    // Assess
    slower.hasResourceProperties('AWS::WAFv2::WebACL', {
      Rules: [Match.objectLike({ Statement: { RateBasedStatement: Match.objectLike({ Limit: 300 }) } })],
    });
    off.resourceCountIs('AWS::WAFv2::WebACL', 0);
    off.resourceCountIs('AWS::WAFv2::WebACLAssociation', 0);
    testDeployment.resourceCountIs('AWS::WAFv2::WebACL', 0);
    expect(() => aclsOf({ callerWebAcl: 'no' })).toThrow('callerWebAcl must be true or false, got "no"');
  });

  test("the stage's access log names the Cognito caller and the real path beside the standard fields", () => {
    // Assess: identity.user and identity.caller are IAM fields, and every call's resourcePath is
    // /v1/{proxy+}: without these two, a line names neither who called nor which resource.
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      AccessLogSetting: Match.objectLike({
        Format: Match.serializedJson(
          Match.objectEquals({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            user: '$context.identity.user',
            caller: '$context.identity.caller',
            requestTime: '$context.requestTime',
            httpMethod: '$context.httpMethod',
            resourcePath: '$context.resourcePath',
            status: '$context.status',
            protocol: '$context.protocol',
            responseLength: '$context.responseLength',
            sub: '$context.authorizer.claims.sub',
            path: '$context.path',
          }),
        ),
      }),
    });
  });

  test('the user pool has an admin group and a client without secret', () => {
    // Assess
    template.hasResourceProperties('AWS::Cognito::UserPoolGroup', { GroupName: 'admin' });
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', { GenerateSecret: false });
  });

  test('the script client has no OAuth flow, scope nor callback, and hides which users exist', () => {
    // Prepare
    const client = stack.getLogicalId(stack.api.userPoolClient.node.defaultChild as never);

    // Act
    const properties = template.toJSON().Resources[client].Properties as Record<string, unknown>;

    // Assess
    expect(properties.PreventUserExistenceErrors).toBe('ENABLED');
    expect(properties.AllowedOAuthFlowsUserPoolClient).toBe(false);
    for (const oauth of ['AllowedOAuthFlows', 'AllowedOAuthScopes', 'CallbackURLs', 'LogoutURLs']) {
      expect(properties[oauth]).toBeUndefined();
    }
  });
});

describe('operations', () => {
  test('alarms on failed executions, and on each new message in a dead-letter queue (not on its depth)', () => {
    // Assess
    template.resourcePropertiesCountIs('AWS::CloudWatch::Alarm', { MetricName: 'ExecutionsFailed' }, 2);
    template.resourcePropertiesCountIs(
      'AWS::CloudWatch::Alarm',
      {
        Namespace: 'AWS/SQS',
        MetricName: 'NumberOfMessagesSent',
        Statistic: 'Sum',
        Period: 300,
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
      },
      4,
    );
    template.resourcePropertiesCountIs(
      'AWS::CloudWatch::Alarm',
      { MetricName: 'ApproximateNumberOfMessagesVisible' },
      0,
    );
  });

  test('a parked gateway event alarms again before the queue drops it (10 of its 14 days)', () => {
    // Prepare
    const dlq = stack.getLogicalId(stack.node.findChild('GatewayEventsDlq').node.defaultChild as never);

    // Assess: the only queue whose message is all that is left of what failed.
    template.resourcePropertiesCountIs(
      'AWS::CloudWatch::Alarm',
      { MetricName: 'ApproximateAgeOfOldestMessage' },
      1,
    );
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateAgeOfOldestMessage',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [dlq, 'QueueName'] } }],
      Statistic: 'Maximum',
      Threshold: 10 * 24 * 3600,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    template.hasResourceProperties('AWS::SQS::Queue', { MessageRetentionPeriod: 14 * 24 * 3600 });
  });

  test('a create alarms on its error name, compensated or not, unless a refusal or a gateway that did not apply', () => {
    // Assess: AccessDenied, a TypeError, a throttle past the retries, ItemTooLargeError page.
    expect(filterOn('CreatePeeringLogs', 'CreatePeeringFailedUnexpectedly')).toBe(
      '{ ($.type = "ExecutionFailed") && ($.details.error != "ConflictError") && ($.details.error != "NotFoundError") && ($.details.error != "CommandFailedError") && ($.details.error != "GatewayGoneError") }',
    );
    expect(alarmOn('CreatePeeringExecutionsFailed')).toMatchObject({
      MetricName: 'CreatePeeringFailedUnexpectedly',
      Statistic: 'Sum',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    template.resourcePropertiesCountIs('AWS::CloudWatch::Alarm', { Metrics: Match.anyValue() }, 1);
  });

  test("the API alarms on its unhandled errors, the api function's errors and throttles, and a share of 5xx", () => {
    // Prepare
    const fn = stack.getLogicalId(stack.functions.api.node.defaultChild as never);
    const stage = stack.getLogicalId(stack.api.api.deploymentStage.node.defaultChild as never);

    // Assess
    expect(filterOn('ApiFunctionLogs', 'ApiUnhandledErrorLines')).toBe(
      `{ $.message = "${UNHANDLED_ERROR_MESSAGE}" }`,
    );
    expect(alarmOn('ApiUnhandledErrors')).toMatchObject({
      MetricName: 'ApiUnhandledErrorLines',
      Threshold: 0,
    });
    for (const [alarmId, metricName] of [
      ['ApiFunctionErrors', 'Errors'],
      ['ApiFunctionThrottled', 'Throttles'],
    ] as const) {
      expect(alarmOn(alarmId)).toMatchObject({
        Namespace: 'AWS/Lambda',
        MetricName: metricName,
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: fn } }],
        Statistic: 'Sum',
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
      });
    }
    const rate = alarmOn('ApiServerErrorRate');
    expect(rate).toMatchObject({
      Threshold: 0.1,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 3,
      DatapointsToAlarm: 2,
    });
    const metrics = rate.Metrics as Array<{ Expression?: string; MetricStat?: Record<string, unknown> }>;
    expect(metrics.find((metric) => metric.Expression)?.Expression).toBe(
      'IF(requests >= 20, errors / requests, 0)',
    );
    const dimensions = [
      { Name: 'ApiName', Value: Match.anyValue() },
      { Name: 'Stage', Value: { Ref: stage } },
    ];
    expect(metrics.map((metric) => metric.MetricStat).filter(Boolean)).toEqual([
      expect.objectContaining({ Metric: expect.objectContaining({ MetricName: '5XXError' }), Stat: 'Sum' }),
      expect.objectContaining({
        Metric: expect.objectContaining({ MetricName: 'Count' }),
        Stat: 'SampleCount',
      }),
    ]);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: Match.arrayWith([
        Match.objectLike({
          MetricStat: Match.objectLike({ Metric: Match.objectLike({ Dimensions: dimensions }) }),
        }),
      ]),
    });
  });

  test('a sweep whose ERROR lines persist across sweeps pages (3 of 4 sweep periods)', () => {
    // Assess: the invocation succeeds, so the sweeper's dead-letter queue never sees them.
    expect(filterOn('SweeperFunctionLogs', 'SweepErrors')).toBe('{ $.level = "ERROR" }');
    expect(alarmOn('SweepErrorsPersist')).toMatchObject({
      MetricName: 'SweepErrors',
      Statistic: 'Sum',
      Period: 300,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 4,
      DatapointsToAlarm: 3,
      TreatMissingData: 'notBreaching',
    });
  });

  test('no stored status report for two report periods pages, silence included', () => {
    // Assess: a heartbeat of the report loop, which drift repair runs on.
    expect(filterOn('StatusReportsFunctionLogs', 'StatusReportsStored')).toBe(
      `{ $.message = "${REPORT_STORED_MESSAGE}" }`,
    );
    expect(alarmOn('StatusReportsStopped')).toMatchObject({
      MetricName: 'StatusReportsStored',
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      EvaluationPeriods: 2,
      TreatMissingData: 'breaching',
    });
  });

  test('the lines the alarms count are the ones the handlers write', () => {
    // Prepare
    const source = (file: string) => readFileSync(join(REPO_ROOT, file), 'utf8');

    // Assess
    expect(source('lambdas/http/errors.ts')).toContain(`logger.error('${UNHANDLED_ERROR_MESSAGE}'`);
    expect(source('lambdas/handlers/status-reports.ts')).toContain(`log.info('${REPORT_STORED_MESSAGE}'`);
  });

  test('every alarm notifies the alarm topic, which is encrypted and an output', () => {
    // Prepare
    const topic = stack.getLogicalId(stack.alarmTopic.node.defaultChild as never);
    const alarms = template.findResources('AWS::CloudWatch::Alarm') as Resources;

    // Assess
    expect(Object.keys(alarms)).toHaveLength(14);
    for (const alarm of Object.values(alarms))
      expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topic }]);
    template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^AlarmTopicKey'), 'Arn'] },
    });
    template.hasOutput('AlarmTopicArn', { Value: { Ref: topic } });
  });

  test("every alarm's description points to its own row of the README's runbook, and every row to an alarm", () => {
    // Prepare
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    const section = /^## Alarms\n([\s\S]*?)^## /m.exec(readme)?.[1] ?? '';
    const rows = [...section.matchAll(/^\| `(\w+)` \|/gm)].map((match) => match[1]);
    const alarms = stack.node.findAll().filter((node): node is Alarm => node instanceof Alarm);
    const resources = template.toJSON().Resources as Resources;

    // Assess
    expect(alarms).toHaveLength(14);
    for (const alarm of alarms) {
      const description =
        resources[stack.getLogicalId(alarm.node.defaultChild as never)]?.Properties.AlarmDescription;
      const pointer = `. Runbook: ${ALARM_RUNBOOK}, ${alarm.node.id}`;
      expect(description).toEqual(expect.any(String));
      expect(String(description).slice(-pointer.length)).toBe(pointer);
    }
    expect(rows.sort()).toEqual(alarms.map((alarm) => alarm.node.id).sort());
  });

  test("outputs the gateway events' function and dead-letter queue, for replaying a parked event", () => {
    // Prepare
    const functionId = stack.getLogicalId(stack.functions['gateway-events'].node.defaultChild as never);
    const dlq = stack.node.findChild('GatewayEventsDlq').node.defaultChild as never;

    // Assess
    template.hasOutput('GatewayEventsFunctionName', { Value: { Ref: functionId } });
    template.hasOutput('GatewayEventsDlqUrl', { Value: { Ref: stack.getLogicalId(dlq) } });
  });

  test("outputs the secrets bucket, a gateway instance's VPG_SECRET_SOURCE", () => {
    // Prepare
    const bucket = stack.getLogicalId(stack.node.findChild('SecretsBucket').node.defaultChild as never);

    // Assess
    template.hasOutput('SecretsBucketName', { Value: { Ref: bucket } });
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
