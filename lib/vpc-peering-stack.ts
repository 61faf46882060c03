/**
 * The whole control plane in one stack: table, secrets key, config bucket, SSM document, the
 * Lambdas, the three workflows, the API, the stream cascade and the gateway event rule, with each
 * function granted only what its handler uses (ACCESS below).
 */
import { join } from 'node:path';
import {
  Arn,
  ArnFormat,
  CfnOutput,
  Duration,
  RemovalPolicy,
  Stack,
  type StackProps,
  Validations,
} from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import {
  AttributeType,
  BillingMode,
  ProjectionType,
  StreamViewType,
  Table,
  TableEncryption,
} from 'aws-cdk-lib/aws-dynamodb';
import { EventBus, Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { ManagedPolicy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { FilterCriteria, FilterRule, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import { BlockPublicAccess, Bucket, BucketEncryption } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { TABLE_SCHEMA } from '../lambdas/adapters/dynamodb/schema';
import { gatewayEventsPattern, reportInvocationsPattern } from '../lambdas/shared/event-patterns';
import { GATEWAY_TAG } from '../lambdas/shared/gateway-tag';
import { DeadLetterQueue } from './constructs/dead-letter-queue';
import { type DocumentPurpose, GatewayCommandDocument } from './constructs/gateway-command-document';
import { PeeringApi } from './constructs/peering-api';
import { PeeringFunction } from './constructs/peering-function';
import { PeeringStateMachine } from './constructs/peering-state-machine';
import { HANDLERS, type HandlerName, REPO_ROOT } from './handlers';
import { acknowledgeWildcardResource } from './nag';

export type RemovalPolicyName = 'destroy' | 'retain';

/** `removalPolicy` context or prop: anything but the two names is a mistake worth failing on. */
export function parseRemovalPolicy(value: unknown): RemovalPolicy {
  if (value === undefined || value === 'retain') return RemovalPolicy.RETAIN;
  if (value === 'destroy') return RemovalPolicy.DESTROY;
  throw new Error(`removalPolicy must be 'destroy' or 'retain', got ${JSON.stringify(value)}`);
}

export const SECRET_PREFIX = '/vpc-peering';
/**
 * Object prefixes of the config bucket: desired-state documents (lambdas/adapters/s3) and Run
 * Command output (lambdas/adapters/ssm sends it there, as GetCommandInvocation truncates stdout).
 */
export const STATE_PREFIX = 'gateways/';
export const COMMAND_OUTPUT_PREFIX = 'command-output/';

/**
 * What a handler touches, by the adapters it imports. `table-read`/`table`: the DynamoDB
 * repository; `secrets-delete`: deleting SecureStrings under SECRET_PREFIX (clean-up only);
 * `secrets-write`: creating them too, with the key encrypting them; `secrets`: also reading them
 * back decrypted (only the api, which serves key downloads and registers gateways); `config`:
 * publishing desired-state documents; `commands`: sending the apply command; `command-status`:
 * reading an invocation and its full output; `report-commands`: sending the report command to
 * the tagged gateway instances; `workflows`: starting and describing executions; `audit`:
 * PutEvents on the default bus.
 */
export type Access =
  | 'table-read'
  | 'table'
  | 'secrets-delete'
  | 'secrets-write'
  | 'secrets'
  | 'config'
  | 'commands'
  | 'report-commands'
  | 'command-status'
  | 'workflows'
  | 'audit';

export const ACCESS: Record<HandlerName, readonly Access[]> = {
  api: ['table', 'secrets', 'workflows'],
  'gateway-events': ['table', 'workflows'],
  cascade: ['table', 'secrets-delete', 'workflows'],
  'status-reports': ['table', 'report-commands', 'command-status', 'workflows'],
  validate: ['table-read'],
  allocate: ['table', 'secrets-write', 'audit'],
  'push-config': ['table-read', 'config', 'commands'],
  'check-command': ['table', 'command-status'],
  activate: ['table', 'audit'],
  compensate: ['table', 'audit'],
  detach: ['table'],
  release: ['table', 'secrets-delete', 'audit'],
};

/** Transactions need no actions of their own: IAM checks each item's Put/Update/Delete/ConditionCheck. */
const TABLE_READ_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:Scan',
  'dynamodb:ConditionCheckItem',
  'dynamodb:DescribeTable',
];
const TABLE_WRITE_ACTIONS = [
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
];

export interface VpcPeeringStackProps extends StackProps {
  /** Of the table, bucket, key, user pool, queues and log groups. Default 'retain'. */
  readonly removalPolicy?: RemovalPolicyName;
  /** Folder holding lambdas/, statemachine/, gateway/ and package-lock.json. Default: this repo. */
  readonly sourceRoot?: string;
  /** How often every gateway instance is asked for its live status report. Default 5 minutes. */
  readonly statusReportInterval?: Duration;
}

interface SharedResources {
  readonly secretsKey: Key;
  readonly configBucket: Bucket;
  readonly documents: Record<DocumentPurpose, GatewayCommandDocument>;
}

export class VpcPeeringStack extends Stack {
  readonly table: Table;
  readonly functions: Record<HandlerName, PeeringFunction>;
  readonly createPeering: PeeringStateMachine;
  readonly deletePeering: PeeringStateMachine;
  /** One gateway's config push, started by the API (road-warrior changes) and gateway-events. */
  readonly pushGateway: PeeringStateMachine;
  readonly api: PeeringApi;
  readonly gatewayInstancePolicy: ManagedPolicy;

  constructor(scope: Construct, id: string, props: VpcPeeringStackProps = {}) {
    super(scope, id, props);
    const removalPolicy = parseRemovalPolicy(props.removalPolicy);
    const sourceRoot = props.sourceRoot ?? REPO_ROOT;

    const secretsKey = new Key(this, 'SecretsKey', {
      description: 'Encrypts the VPC peering SecureString parameters (private and preshared keys)',
      enableKeyRotation: true,
      removalPolicy,
    });
    this.table = this.createTable(removalPolicy);
    const configBucket = this.createConfigBucket(removalPolicy);
    const scriptSourceDir = join(sourceRoot, 'gateway');
    const documents = {
      apply: new GatewayCommandDocument(this, 'ApplyConfigDocument', { scriptSourceDir, purpose: 'apply' }),
      report: new GatewayCommandDocument(this, 'ReportStatusDocument', {
        scriptSourceDir,
        purpose: 'report',
      }),
    };

    this.functions = this.createFunctions(sourceRoot, removalPolicy, {
      TABLE_NAME: this.table.tableName,
      SECRET_PREFIX,
      SECRETS_KMS_KEY_ID: secretsKey.keyArn,
      CONFIG_BUCKET: configBucket.bucketName,
      SSM_DOCUMENT_NAME: documents.apply.documentName,
      SSM_REPORT_DOCUMENT_NAME: documents.report.documentName,
      EVENT_BUS_NAME: 'default',
    });
    const bySubstitution = Object.fromEntries(
      HANDLERS.flatMap((spec) =>
        'substitution' in spec ? [[spec.substitution, this.functions[spec.name]]] : [],
      ),
    );
    this.createPeering = new PeeringStateMachine(this, 'CreatePeering', {
      definitionFile: join(sourceRoot, 'statemachine/create-peering.asl.json'),
      functions: bySubstitution,
      removalPolicy,
    });
    this.deletePeering = new PeeringStateMachine(this, 'DeletePeering', {
      definitionFile: join(sourceRoot, 'statemachine/delete-peering.asl.json'),
      functions: bySubstitution,
      removalPolicy,
    });
    this.pushGateway = new PeeringStateMachine(this, 'PushGateway', {
      definitionFile: join(sourceRoot, 'statemachine/push-gateway.asl.json'),
      functions: bySubstitution,
      removalPolicy,
    });
    this.grantAccess({ secretsKey, configBucket, documents });

    this.connectStream(removalPolicy);
    this.connectGatewayEvents(removalPolicy);
    this.connectStatusReports(removalPolicy, documents.report, props.statusReportInterval);
    this.api = new PeeringApi(this, 'Api', { handler: this.functions.api, removalPolicy });
    for (const machine of [this.createPeering, this.deletePeering]) {
      this.alarmOnFailedExecutions(machine, 'the workflow could not even compensate');
    }
    // A failed push leaves the instance behind its desired generation until the next push.
    this.alarmOnFailedExecutions(this.pushGateway, 'a gateway did not apply its desired state');
    this.gatewayInstancePolicy = this.createGatewayInstancePolicy(secretsKey, configBucket);

    new CfnOutput(this, 'ApiUrl', { value: this.api.url });
    new CfnOutput(this, 'UserPoolId', { value: this.api.userPool.userPoolId });
    new CfnOutput(this, 'UserPoolClientId', { value: this.api.userPoolClient.userPoolClientId });
    new CfnOutput(this, 'TableName', { value: this.table.tableName });
    new CfnOutput(this, 'ConfigBucketName', { value: configBucket.bucketName });
    new CfnOutput(this, 'ApplyConfigDocumentName', { value: documents.apply.documentName });
    new CfnOutput(this, 'GatewayInstancePolicyArn', { value: this.gatewayInstancePolicy.managedPolicyArn });
  }

  private createTable(removalPolicy: RemovalPolicy): Table {
    const table = new Table(this, 'Table', {
      partitionKey: { name: TABLE_SCHEMA.partitionKey, type: AttributeType.STRING },
      sortKey: { name: TABLE_SCHEMA.sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: TABLE_SCHEMA.ttlAttribute,
      stream: StreamViewType[TABLE_SCHEMA.streamViewType],
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryption.AWS_MANAGED,
      removalPolicy,
    });
    for (const index of [TABLE_SCHEMA.ownerIndex, TABLE_SCHEMA.entityIndex]) {
      table.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
        sortKey: { name: index.sortKey, type: AttributeType.STRING },
        projectionType: ProjectionType[index.projection],
      });
    }
    return table;
  }

  /** Desired-state documents (no secret values, only secret names) and command output. */
  private createConfigBucket(removalPolicy: RemovalPolicy): Bucket {
    const bucket = new Bucket(this, 'ConfigBucket', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      lifecycleRules: [
        { noncurrentVersionExpiration: Duration.days(30) },
        // Read once by CheckCommand; the instance's last report lives in the table.
        { prefix: COMMAND_OUTPUT_PREFIX, expiration: Duration.days(30) },
      ],
      removalPolicy,
      autoDeleteObjects: removalPolicy === RemovalPolicy.DESTROY,
    });
    Validations.of(bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Only the control plane writes here and gateway instances read their own documents; the objects hold no secrets and every access is an IAM-authorized API call visible to CloudTrail',
    });
    return bucket;
  }

  private createFunctions(
    sourceRoot: string,
    removalPolicy: RemovalPolicy,
    environment: Record<string, string>,
  ): Record<HandlerName, PeeringFunction> {
    const entries = HANDLERS.map((spec) => {
      const fn = new PeeringFunction(this, functionId(spec.name), {
        entry: spec.entry,
        role: spec.role,
        projectRoot: sourceRoot,
        environment,
        removalPolicy,
      });
      return [spec.name, fn] as const;
    });
    return Object.fromEntries(entries) as Record<HandlerName, PeeringFunction>;
  }

  private grantAccess({ secretsKey, configBucket, documents }: SharedResources): void {
    const tableResources = [
      this.table.tableArn,
      `${this.table.tableArn}/index/${TABLE_SCHEMA.ownerIndex.name}`,
      `${this.table.tableArn}/index/${TABLE_SCHEMA.entityIndex.name}`,
    ];
    const parameters = Arn.format({ service: 'ssm', resource: `parameter${SECRET_PREFIX}/*` }, this);
    const stateObjects = configBucket.arnForObjects(`${STATE_PREFIX}*`);
    const outputObjects = configBucket.arnForObjects(`${COMMAND_OUTPUT_PREFIX}*`);
    const taggedInstances = Arn.format({ service: 'ec2', resource: 'instance', resourceName: '*' }, this);
    const defaultBus = EventBus.fromEventBusName(this, 'DefaultBus', 'default');
    const allow = (fn: PeeringFunction, actions: string[], resources: string[]) =>
      fn.addToRolePolicy(new PolicyStatement({ actions, resources }));
    const allowSecrets = (fn: PeeringFunction, actions: string[]) => {
      allow(fn, actions, [parameters]);
      acknowledgeWildcardResource(fn.serviceRole, parameters, SECRET_PATH_REASON);
    };
    // Reading a secret back needs ssm:GetParameter too: kms:Decrypt through SSM alone reads nothing.
    const useSecretsKey = (fn: PeeringFunction) =>
      fn.addToRolePolicy(kmsThroughSsm(secretsKey, ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey']));

    // Run Command authorizes the document and every target instance: only tagged gateways.
    const sendTo = (fn: PeeringFunction, documentArn: string) => {
      allow(fn, ['ssm:SendCommand'], [documentArn]);
      fn.addToRolePolicy(
        new PolicyStatement({
          actions: ['ssm:SendCommand'],
          resources: [taggedInstances],
          conditions: { StringEquals: { [`ssm:resourceTag/${GATEWAY_TAG.key}`]: GATEWAY_TAG.value } },
        }),
      );
      acknowledgeWildcardResource(
        fn.serviceRole,
        taggedInstances,
        `Gateway instances are created by the gateway product; the statement only matches those tagged ${GATEWAY_TAG.key}=${GATEWAY_TAG.value}`,
      );
    };

    const grants: Record<Access, (fn: PeeringFunction) => void> = {
      'table-read': (fn) => allow(fn, TABLE_READ_ACTIONS, tableResources),
      table: (fn) => allow(fn, [...TABLE_READ_ACTIONS, ...TABLE_WRITE_ACTIONS], tableResources),
      // Deleting a parameter needs no KMS permission.
      'secrets-delete': (fn) => allowSecrets(fn, ['ssm:DeleteParameter']),
      'secrets-write': (fn) => {
        allowSecrets(fn, ['ssm:PutParameter', 'ssm:DeleteParameter']);
        useSecretsKey(fn);
      },
      secrets: (fn) => {
        allowSecrets(fn, ['ssm:PutParameter', 'ssm:GetParameter', 'ssm:DeleteParameter']);
        useSecretsKey(fn);
      },
      config: (fn) => {
        allow(fn, ['s3:PutObject'], [stateObjects]);
        acknowledgeWildcardResource(
          fn.serviceRole,
          stateObjects,
          'Documents are keyed by gateway and generation',
        );
      },
      commands: (fn) => sendTo(fn, documents.apply.documentArn),
      'report-commands': (fn) => sendTo(fn, documents.report.documentArn),
      'command-status': (fn) => {
        allow(fn, ['ssm:GetCommandInvocation'], ['*']);
        allow(fn, ['s3:GetObject'], [outputObjects]);
        acknowledgeWildcardResource(
          fn.serviceRole,
          '*',
          'ssm:GetCommandInvocation has no resource-level permissions',
        );
        acknowledgeWildcardResource(fn.serviceRole, outputObjects, 'Output objects are keyed by command id');
      },
      workflows: (fn) => {
        for (const machine of [this.createPeering, this.deletePeering, this.pushGateway]) {
          machine.grantStartExecution(fn);
          const executions = Arn.format(
            {
              service: 'states',
              resource: 'execution',
              resourceName: `${machine.stateMachineName}:*`,
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            },
            this,
          );
          allow(fn, ['states:DescribeExecution'], [executions]);
          acknowledgeWildcardResource(
            fn.serviceRole,
            executions,
            'Executions of this one state machine, named per request',
          );
        }
        // Only the entry points start workflows; the steps never do, so no dependency cycle.
        fn.addEnvironment('CREATE_PEERING_STATE_MACHINE_ARN', this.createPeering.stateMachineArn);
        fn.addEnvironment('DELETE_PEERING_STATE_MACHINE_ARN', this.deletePeering.stateMachineArn);
        fn.addEnvironment('PUSH_GATEWAY_STATE_MACHINE_ARN', this.pushGateway.stateMachineArn);
      },
      audit: (fn) => defaultBus.grantPutEventsTo(fn),
    };
    for (const spec of HANDLERS) {
      for (const access of ACCESS[spec.name]) grants[access](this.functions[spec.name]);
    }
  }

  /** Gateway REMOVE records reach the cascade; a failing batch is split, retried, then parked. */
  private connectStream(removalPolicy: RemovalPolicy): void {
    const cascade = this.functions.cascade;
    const dlq = new DeadLetterQueue(this, 'CascadeDlq', {
      removalPolicy,
      description: 'A gateway deletion cascade',
    });
    cascade.addEventSource(
      new DynamoEventSource(this.table, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: 10,
        bisectBatchOnError: true,
        retryAttempts: 5,
        reportBatchItemFailures: true,
        onFailure: new SqsDlq(dlq),
        filters: [
          FilterCriteria.filter({
            eventName: FilterRule.isEqual('REMOVE'),
            dynamodb: {
              Keys: {
                [TABLE_SCHEMA.partitionKey]: { S: FilterRule.beginsWith('GW#') },
                [TABLE_SCHEMA.sortKey]: { S: FilterRule.isEqual('META') },
              },
            },
          }),
        ],
      }),
    );
    acknowledgeWildcardResource(
      cascade.serviceRole,
      '*',
      'dynamodb:ListStreams has no resource-level permissions',
    );
  }

  /** The gateway product's events. */
  private connectGatewayEvents(removalPolicy: RemovalPolicy): void {
    new Rule(this, 'GatewayEventsRule', {
      description: 'VPN gateway lifecycle events for the VPC peering control plane',
      eventPattern: { source: gatewayEventsPattern.source, detailType: gatewayEventsPattern['detail-type'] },
      targets: [this.ruleTarget('gateway-events', 'GatewayEventsDlq', 'A gateway event', removalPolicy, 8)],
    });
  }

  /**
   * `name`'s function as a rule target. One queue parks both kinds of failure: events EventBridge
   * could not deliver, and events the handler still failed on after Lambda's asynchronous retries.
   */
  private ruleTarget(
    name: HandlerName,
    dlqId: string,
    description: string,
    removalPolicy: RemovalPolicy,
    retryAttempts: number,
  ): LambdaFunction {
    const handler = this.functions[name];
    const dlq = new DeadLetterQueue(this, dlqId, { removalPolicy, description });
    handler.configureAsyncInvoke({ retryAttempts: 2, onFailure: new SqsDestination(dlq) });
    return new LambdaFunction(handler, {
      deadLetterQueue: dlq,
      retryAttempts,
      maxEventAge: Duration.hours(6),
    });
  }

  /**
   * Status collection: a schedule asks every gateway instance for its live report (one Run Command
   * by tag), and each finished report invocation, announced by SSM, is stored. Both reach the
   * status-reports Lambda; an event it still fails on is parked in a queue.
   */
  private connectStatusReports(
    removalPolicy: RemovalPolicy,
    reportDocument: GatewayCommandDocument,
    interval = Duration.minutes(5),
  ): void {
    const target = this.ruleTarget('status-reports', 'StatusReportsDlq', 'A status event', removalPolicy, 4);
    new Rule(this, 'StatusReportSchedule', {
      description: 'Asks every VPC peering gateway instance for its live status report',
      schedule: Schedule.rate(interval),
      targets: [target],
    });
    const pattern = reportInvocationsPattern(reportDocument.documentName);
    new Rule(this, 'StatusReportInvocations', {
      description: 'Finished status report invocations on the VPC peering gateway instances',
      eventPattern: { source: pattern.source, detailType: pattern['detail-type'], detail: pattern.detail },
      targets: [target],
    });
  }

  private alarmOnFailedExecutions(machine: PeeringStateMachine, meaning: string): void {
    new Alarm(this, `${machine.node.id}ExecutionsFailed`, {
      alarmDescription: `${machine.node.id} executions failed: ${meaning}`,
      metric: machine.metricFailed({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
  }

  /**
   * Attached by the gateway product to its instance role, next to AmazonSSMManagedInstanceCore.
   * Limitation, accepted: a parameter carries no tag IAM can match against the calling instance,
   * and `ec2:SourceInstanceARN` cannot be placed in a parameter path, so an instance can read every
   * SecureString under SECRET_PREFIX, not only its own gateway's. Decryption is allowed only
   * through SSM (kms:ViaService), and only the gateway product's instances hold this policy.
   */
  private createGatewayInstancePolicy(secretsKey: Key, configBucket: Bucket): ManagedPolicy {
    const stateObjects = configBucket.arnForObjects(`${STATE_PREFIX}*`);
    const outputObjects = configBucket.arnForObjects(`${COMMAND_OUTPUT_PREFIX}*`);
    const parameters = Arn.format({ service: 'ssm', resource: `parameter${SECRET_PREFIX}/*` }, this);
    const policy = new ManagedPolicy(this, 'GatewayInstancePolicy', {
      description: 'VPC peering gateway instances: read desired-state documents and the secrets they name',
      statements: [
        new PolicyStatement({ actions: ['s3:GetObject'], resources: [stateObjects] }),
        // The SSM agent uploads the command output with the instance's credentials.
        new PolicyStatement({ actions: ['s3:PutObject'], resources: [outputObjects] }),
        new PolicyStatement({ actions: ['ssm:GetParameter'], resources: [parameters] }),
        // apply-config.sh fetches the secrets it lacks in batches (`aws ssm get-parameters`), which
        // IAM authorizes as its own action: without it no instance could apply a document.
        new PolicyStatement({ actions: ['ssm:GetParameters'], resources: [parameters] }),
        kmsThroughSsm(secretsKey, ['kms:Decrypt']),
      ],
    });
    acknowledgeWildcardResource(policy, stateObjects, 'The instance fetches the document the command names');
    acknowledgeWildcardResource(policy, outputObjects, 'The SSM agent writes output under the command id');
    acknowledgeWildcardResource(policy, parameters, `${SECRET_PATH_REASON} (see the limitation above)`);
    return policy;
  }
}

const SECRET_PATH_REASON =
  'Secret names are per gateway, peer and peering, created at run time under the one prefix this system owns';

/** KMS use on the secrets key, only on behalf of SSM Parameter Store. */
function kmsThroughSsm(key: Key, actions: string[]): PolicyStatement {
  const stack = Stack.of(key);
  return new PolicyStatement({
    actions,
    resources: [key.keyArn],
    conditions: { StringEquals: { 'kms:ViaService': `ssm.${stack.region}.${stack.urlSuffix}` } },
  });
}

/** `push-config` → `PushConfigFunction`. */
function functionId(name: string): string {
  return `${name.replace(/(^|-)([a-z])/g, (_match, _dash, letter: string) => letter.toUpperCase())}Function`;
}
