/**
 * The whole control plane in one stack: table, secrets key and bucket, config bucket, SSM documents, the
 * Lambdas, the three workflows, the API, the stream cascade and the gateway event rule, with each
 * function granted only what its handler uses (ACCESS below).
 *
 * About 700 lines, past the house's 400: the ACCESS grant table and the wiring of every piece grew
 * here as the isolation, durability, hardening and console work landed together. Not split yet; the
 * obvious cut is the status reports, the sweeper and the gateway-event bus into constructs of their
 * own beside lib/constructs/console-hosting.ts.
 */
import { join } from 'node:path';
import {
  Arn,
  ArnFormat,
  CfnOutput,
  Duration,
  Fn,
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
import {
  AccountPrincipal,
  ArnPrincipal,
  type IPrincipal,
  ManagedPolicy,
  PolicyStatement,
} from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { FilterCriteria, FilterRule, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import { BlockPublicAccess, Bucket, BucketEncryption } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { TABLE_SCHEMA } from '../lambdas/adapters/dynamodb/schema';
import { gatewayEventsPattern, reportInvocationsPattern } from '../lambdas/shared/event-patterns';
import { GATEWAY_TAG } from '../lambdas/shared/gateway-tag';
import { ConsoleHosting } from './constructs/console-hosting';
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
 * Object prefixes. Config bucket: desired-state documents (lambdas/adapters/s3) and Run Command
 * output (lambdas/adapters/ssm sends it there, as GetCommandInvocation truncates stdout). Secrets
 * bucket: the control plane's secrets and the per-gateway copies delivered to instances
 * (lambdas/adapters/s3/secrets.ts).
 */
export const STATE_PREFIX = 'gateways/';
export const COMMAND_OUTPUT_PREFIX = 'command-output/';
export const SECRETS_PREFIX = 'secrets/';
export const DELIVERED_SECRETS_PREFIX = 'gateways/';
/** The instance's own ARN, as IAM sees its instance-role session (docs/SECURITY.md). */
// biome-ignore lint/suspicious/noTemplateCurlyInString: an IAM policy variable, not a template
export const SOURCE_INSTANCE = '${ec2:SourceInstanceARN}';
/** The object tag that names the one instance allowed to read an object. */
export const INSTANCE_TAG_CONDITION = 's3:ExistingObjectTag/vpc-peering-instance';

/**
 * What a handler touches, by the adapters it imports. `table-read`/`table`: the DynamoDB
 * repository; `secrets-delete`: deleting secret objects (clean-up only); `secrets-write`: creating
 * them too, with the key encrypting them; `secrets`: also reading them back decrypted (only the
 * api, which serves key downloads and registers gateways); `deliver-secrets`: copying a gateway's
 * secrets to its instance's tagged copies; `config`: publishing desired-state documents (tagged
 * for their instance); `config-read`: reading them back (the status route shows the applied
 * generation's peers); `commands`: sending the apply command; `command-status`:
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
  | 'deliver-secrets'
  | 'config'
  | 'config-read'
  | 'commands'
  | 'report-commands'
  | 'command-status'
  | 'workflows'
  | 'audit';

export const ACCESS: Record<HandlerName, readonly Access[]> = {
  api: ['table', 'secrets', 'config-read', 'workflows'],
  'gateway-events': ['table', 'workflows'],
  cascade: ['table', 'secrets-delete', 'workflows'],
  'status-reports': ['table', 'report-commands', 'command-status', 'workflows'],
  sweeper: ['table', 'secrets-delete', 'workflows', 'audit'],
  validate: ['table-read'],
  allocate: ['table', 'secrets-write', 'audit'],
  'push-config': ['table-read', 'deliver-secrets', 'config', 'commands'],
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

/** An account id, or a role ARN, as an IAM principal (the default: this stack's account). */
export function gatewayProductPrincipal(producer: string | undefined, ownAccount: string): IPrincipal {
  if (producer === undefined) return new AccountPrincipal(ownAccount);
  if (/^[0-9]{12}$/.test(producer)) return new AccountPrincipal(producer);
  if (/^arn:aws[a-z-]*:iam::[0-9]{12}:role\/.+$/.test(producer)) return new ArnPrincipal(producer);
  throw new Error(`gatewayProductPrincipal must be an account id or a role ARN, got ${producer}`);
}

export interface VpcPeeringStackProps extends StackProps {
  /** Of the table, bucket, key, user pool, queues and log groups. Default 'retain'. */
  readonly removalPolicy?: RemovalPolicyName;
  /** Folder holding lambdas/, statemachine/, gateway/ and package-lock.json. Default: this repo. */
  readonly sourceRoot?: string;
  /** How often every gateway instance is asked for its live status report. Default 5 minutes. */
  readonly statusReportInterval?: Duration;
  /**
   * Who may put events on the gateway events bus: the gateway product's account id (12 digits) or
   * the ARN of its role. Default: this stack's own account.
   */
  readonly gatewayProductPrincipal?: string;
  /** How often the sweep looks for stalled peerings. Default 5 minutes. */
  readonly sweepInterval?: Duration;
  /** How long a peering may stay PROVISIONING or DELETING before the sweep re-drives it. Default 10 minutes. */
  readonly stalledPeeringBound?: Duration;
  /** The console's Cognito managed login domain prefix. Default: vpc-peering-<stack UUID>. */
  readonly consoleDomainPrefix?: string;
}

interface SharedResources {
  readonly secretsKey: Key;
  readonly secretsBucket: Bucket;
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
  readonly console: ConsoleHosting;
  readonly gatewayInstancePolicy: ManagedPolicy;

  constructor(scope: Construct, id: string, props: VpcPeeringStackProps = {}) {
    super(scope, id, props);
    const removalPolicy = parseRemovalPolicy(props.removalPolicy);
    const sourceRoot = props.sourceRoot ?? REPO_ROOT;

    const secretsKey = new Key(this, 'SecretsKey', {
      description: 'Encrypts the VPC peering secrets (private and preshared keys) and their instance copies',
      enableKeyRotation: true,
      removalPolicy,
    });
    this.table = this.createTable(removalPolicy);
    const configBucket = this.createConfigBucket(removalPolicy);
    const secretsBucket = this.createSecretsBucket(secretsKey, removalPolicy);
    const scriptSourceDir = join(sourceRoot, 'gateway');
    const statusReportInterval = props.statusReportInterval ?? Duration.minutes(5);
    const buckets = { configBucket: configBucket.bucketName, secretsBucket: secretsBucket.bucketName };
    const documents = {
      apply: new GatewayCommandDocument(this, 'ApplyConfigDocument', {
        scriptSourceDir,
        purpose: 'apply',
        buckets,
      }),
      report: new GatewayCommandDocument(this, 'ReportStatusDocument', {
        scriptSourceDir,
        purpose: 'report',
        buckets,
      }),
    };

    this.functions = this.createFunctions(sourceRoot, removalPolicy, {
      TABLE_NAME: this.table.tableName,
      SECRET_PREFIX,
      SECRETS_KMS_KEY_ID: secretsKey.keyArn,
      SECRETS_BUCKET: secretsBucket.bucketName,
      GATEWAY_INSTANCE_ARN_PREFIX: Arn.format(
        { service: 'ec2', resource: 'instance', resourceName: '' },
        this,
      ),
      CONFIG_BUCKET: configBucket.bucketName,
      SSM_DOCUMENT_NAME: documents.apply.documentName,
      SSM_REPORT_DOCUMENT_NAME: documents.report.documentName,
      EVENT_BUS_NAME: 'default',
      // The status route calls a report older than this stale.
      STATUS_REPORT_INTERVAL_SECONDS: String(statusReportInterval.toSeconds()),
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
    this.grantAccess({ secretsKey, secretsBucket, configBucket, documents });

    this.connectStream(removalPolicy);
    const gatewayEventsBus = this.connectGatewayEvents(removalPolicy, props.gatewayProductPrincipal);
    this.connectStatusReports(removalPolicy, documents.report, statusReportInterval);
    this.connectSweeper(
      removalPolicy,
      props.sweepInterval ?? Duration.minutes(5),
      props.stalledPeeringBound ?? Duration.minutes(10),
    );
    this.console = new ConsoleHosting(this, 'Console', {
      distPath: join(sourceRoot, 'console/dist'),
      removalPolicy,
    });
    this.api = new PeeringApi(this, 'Api', {
      handler: this.functions.api,
      removalPolicy,
      consoleOrigin: this.console.origin,
    });
    this.functions.api.addEnvironment('CONSOLE_ORIGIN', this.console.origin);
    this.console.publish({
      apiUrl: this.api.url,
      userPool: this.api.userPool,
      // Unique per account and region, as Cognito domain prefixes must be.
      domainPrefix:
        props.consoleDomainPrefix ??
        Fn.join('-', ['vpc-peering', Fn.select(2, Fn.split('/', Stack.of(this).stackId))]),
    });
    for (const machine of [this.createPeering, this.deletePeering]) {
      this.alarmOnFailedExecutions(machine, 'the workflow could not even compensate');
    }
    // A failed push leaves the instance behind its desired generation until the next push.
    this.alarmOnFailedExecutions(this.pushGateway, 'a gateway did not apply its desired state');
    this.gatewayInstancePolicy = this.createGatewayInstancePolicy({
      secretsKey,
      secretsBucket,
      configBucket,
    });

    new CfnOutput(this, 'ApiUrl', { value: this.api.url });
    new CfnOutput(this, 'ConsoleUrl', { value: this.console.origin });
    new CfnOutput(this, 'UserPoolId', { value: this.api.userPool.userPoolId });
    new CfnOutput(this, 'UserPoolClientId', { value: this.api.userPoolClient.userPoolClientId });
    new CfnOutput(this, 'TableName', { value: this.table.tableName });
    new CfnOutput(this, 'ConfigBucketName', { value: configBucket.bucketName });
    new CfnOutput(this, 'ApplyConfigDocumentName', { value: documents.apply.documentName });
    new CfnOutput(this, 'GatewayEventBusName', { value: gatewayEventsBus.eventBusName });
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

  /**
   * Secrets as SSE-KMS objects, one per secret (no per-account count ceiling). Not versioned: a
   * deleted secret must be gone, not kept as a noncurrent version. No bucket key: each object's
   * data key is bound to its own ARN (the encryption context the instance policy checks).
   */
  private createSecretsBucket(secretsKey: Key, removalPolicy: RemovalPolicy): Bucket {
    const bucket = new Bucket(this, 'SecretsBucket', {
      encryption: BucketEncryption.KMS,
      encryptionKey: secretsKey,
      bucketKeyEnabled: false,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      removalPolicy,
      autoDeleteObjects: removalPolicy === RemovalPolicy.DESTROY,
    });
    Validations.of(bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Every access is an IAM-authorized API call visible to CloudTrail, and every read a KMS Decrypt logged with the object ARN',
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

  private grantAccess({ secretsKey, secretsBucket, configBucket, documents }: SharedResources): void {
    const tableResources = [
      this.table.tableArn,
      `${this.table.tableArn}/index/${TABLE_SCHEMA.ownerIndex.name}`,
      `${this.table.tableArn}/index/${TABLE_SCHEMA.entityIndex.name}`,
    ];
    const secretObjects = secretsBucket.arnForObjects(`${SECRETS_PREFIX}*`);
    const deliveredObjects = secretsBucket.arnForObjects(`${DELIVERED_SECRETS_PREFIX}*`);
    const stateObjects = configBucket.arnForObjects(`${STATE_PREFIX}*`);
    const outputObjects = configBucket.arnForObjects(`${COMMAND_OUTPUT_PREFIX}*`);
    const taggedInstances = Arn.format({ service: 'ec2', resource: 'instance', resourceName: '*' }, this);
    const defaultBus = EventBus.fromEventBusName(this, 'DefaultBus', 'default');
    const allow = (fn: PeeringFunction, actions: string[], resources: string[]) =>
      fn.addToRolePolicy(new PolicyStatement({ actions, resources }));
    const allowSecrets = (fn: PeeringFunction, actions: string[]) => {
      allow(fn, actions, [secretObjects]);
      acknowledgeWildcardResource(fn.serviceRole, secretObjects, SECRET_PATH_REASON);
    };
    // Reading a secret back needs s3:GetObject too: kms:Decrypt through S3 alone reads nothing.
    const useSecretsKey = (fn: PeeringFunction, actions: string[]) =>
      fn.addToRolePolicy(kmsThroughS3(secretsKey, actions));

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
      // Deleting an object needs no KMS permission.
      'secrets-delete': (fn) => allowSecrets(fn, ['s3:DeleteObject']),
      'secrets-write': (fn) => {
        allowSecrets(fn, ['s3:PutObject', 's3:DeleteObject']);
        useSecretsKey(fn, ['kms:GenerateDataKey']);
      },
      secrets: (fn) => {
        allowSecrets(fn, ['s3:PutObject', 's3:GetObject', 's3:DeleteObject']);
        useSecretsKey(fn, ['kms:GenerateDataKey', 'kms:Decrypt']);
      },
      // A server-side copy: S3 decrypts the source and encrypts the tagged copy for the Lambda.
      'deliver-secrets': (fn) => {
        allowSecrets(fn, ['s3:GetObject']);
        allow(fn, ['s3:PutObject', 's3:PutObjectTagging'], [deliveredObjects]);
        acknowledgeWildcardResource(
          fn.serviceRole,
          deliveredObjects,
          'Copies are keyed by gateway and secret name',
        );
        useSecretsKey(fn, ['kms:GenerateDataKey', 'kms:Decrypt']);
      },
      config: (fn) => {
        // Tagged on write: the tag names the one instance that may read the document.
        allow(fn, ['s3:PutObject', 's3:PutObjectTagging'], [stateObjects]);
        acknowledgeWildcardResource(
          fn.serviceRole,
          stateObjects,
          'Documents are keyed by gateway and generation',
        );
      },
      'config-read': (fn) => {
        allow(fn, ['s3:GetObject'], [stateObjects]);
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

  /**
   * The gateway product's events, on a bus of their own: "VPN Gateway Deleted" deletes a gateway
   * and "Updated" moves its endpoint and instance, so only the gateway product may put events
   * there (the default bus admits any principal of the account with events:PutEvents).
   */
  private connectGatewayEvents(removalPolicy: RemovalPolicy, producer: string | undefined): EventBus {
    const bus = new EventBus(this, 'GatewayEventsBus', {
      description: 'Events of the VPN gateway product, for the VPC peering control plane',
    });
    bus.addToResourcePolicy(
      new PolicyStatement({
        sid: 'GatewayProductOnly',
        principals: [gatewayProductPrincipal(producer, this.account)],
        actions: ['events:PutEvents'],
        resources: [bus.eventBusArn],
        conditions: { StringEquals: { 'events:source': gatewayEventsPattern.source } },
      }),
    );
    new Rule(this, 'GatewayEventsRule', {
      eventBus: bus,
      description: 'VPN gateway lifecycle events for the VPC peering control plane',
      eventPattern: { source: gatewayEventsPattern.source, detailType: gatewayEventsPattern['detail-type'] },
      targets: [this.ruleTarget('gateway-events', 'GatewayEventsDlq', 'A gateway event', removalPolicy, 8)],
    });
    return bus;
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
    interval: Duration,
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

  /** No transitional state lasts forever: the sweep re-drives peerings stalled past the bound. */
  private connectSweeper(removalPolicy: RemovalPolicy, interval: Duration, bound: Duration): void {
    this.functions.sweeper.addEnvironment('STALLED_PEERING_BOUND_SECONDS', String(bound.toSeconds()));
    new Rule(this, 'SweepSchedule', {
      description: 'Re-drives VPC peerings left PROVISIONING or DELETING with no running execution',
      schedule: Schedule.rate(interval),
      targets: [this.ruleTarget('sweeper', 'SweeperDlq', 'A sweep', removalPolicy, 2)],
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
   * One policy for every instance, each held to its own gateway by its session's
   * `ec2:SourceInstanceARN` (docs/SECURITY.md): it reads only objects tagged with its own ARN (its
   * gateway's documents and the secret copies delivered to it), decrypts only delivered copies, and
   * writes apply output only under its own ARN. No Parameter Store access, no control-plane secret,
   * no road-warrior key.
   */
  private createGatewayInstancePolicy({
    secretsKey,
    secretsBucket,
    configBucket,
  }: Omit<SharedResources, 'documents'>): ManagedPolicy {
    const ownObjects = [
      configBucket.arnForObjects(`${STATE_PREFIX}*`),
      secretsBucket.arnForObjects(`${DELIVERED_SECRETS_PREFIX}*`),
    ];
    const ownOutput = configBucket.arnForObjects(`${COMMAND_OUTPUT_PREFIX}${SOURCE_INSTANCE}/*`);
    const reportOutput = configBucket.arnForObjects(`${COMMAND_OUTPUT_PREFIX}reports/*`);
    const policy = new ManagedPolicy(this, 'GatewayInstancePolicy', {
      description:
        'VPC peering gateway instances: read their own documents and secret copies, write their output',
      statements: [
        new PolicyStatement({
          actions: ['s3:GetObject'],
          resources: ownObjects,
          conditions: { StringEquals: { [INSTANCE_TAG_CONDITION]: SOURCE_INSTANCE } },
        }),
        // The SSM agent uploads the command output with the instance's credentials: an apply's
        // under its own ARN; the report command's under one shared prefix (docs/SECURITY.md).
        new PolicyStatement({ actions: ['s3:PutObject'], resources: [ownOutput, reportOutput] }),
        new PolicyStatement({
          actions: ['kms:Decrypt'],
          resources: [secretsKey.keyArn],
          conditions: {
            StringEquals: { 'kms:ViaService': s3Service(secretsKey) },
            ArnLike: {
              'kms:EncryptionContext:aws:s3:arn': secretsBucket.arnForObjects(`${DELIVERED_SECRETS_PREFIX}*`),
            },
          },
        }),
      ],
    });
    for (const resource of ownObjects) {
      acknowledgeWildcardResource(policy, resource, 'Only objects tagged with the calling instance ARN');
    }
    acknowledgeWildcardResource(policy, ownOutput, 'Only below the calling instance ARN');
    acknowledgeWildcardResource(
      policy,
      reportOutput,
      'The report command writes every instance output under one prefix',
    );
    return policy;
  }
}

const SECRET_PATH_REASON =
  'Secret objects are per gateway, peer and peering, created at run time under the one prefix this system owns';

const s3Service = (key: Key) => `s3.${Stack.of(key).region}.${Stack.of(key).urlSuffix}`;

/** KMS use on the secrets key, only on behalf of S3 (the secrets bucket's SSE-KMS). */
function kmsThroughS3(key: Key, actions: string[]): PolicyStatement {
  return new PolicyStatement({
    actions,
    resources: [key.keyArn],
    conditions: { StringEquals: { 'kms:ViaService': s3Service(key) } },
  });
}

/** `push-config` → `PushConfigFunction`. */
function functionId(name: string): string {
  return `${name.replace(/(^|-)([a-z])/g, (_match, _dash, letter: string) => letter.toUpperCase())}Function`;
}
