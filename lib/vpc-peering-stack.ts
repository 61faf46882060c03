/**
 * The whole control plane in one stack: it composes the constructs of lib/constructs/ (table,
 * buckets, SSM documents, the Lambdas, the three workflows, the API and console, the gateway event
 * bus, the status report and sweep schedules, the gateway instance policy) and grants each function
 * only what its handler uses (lib/access.ts). Every construct keeps the id and the place (directly
 * in this stack) it had when all of this was one file, so no logical id changed (docs/DECISIONS.md,
 * "Where things live").
 */
import { join } from 'node:path';
import { Arn, CfnOutput, Duration, Fn, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { DEFAULT_SECRET_PREFIX, secretNamesUnder } from '../lambdas/app/secret-names';
import { CommandFailedError, ConflictError, GatewayGoneError, NotFoundError } from '../lambdas/core/errors';
import {
  DEFAULT_MAX_PEERINGS_PER_GATEWAY,
  DEFAULT_PEER_FANOUT_STARTS_PER_SECOND,
  leastFanoutRate,
  PEER_FANOUT_BUDGET_SECONDS,
} from '../lambdas/core/fanout-pace';
import { DEFAULT_CALLER_RATE_PER_SECOND } from '../lambdas/shared/env';
import { grantAccess } from './access';
import { AlarmTopic } from './constructs/alarm-topic';
import { ConfigBucket, SecretsBucket } from './constructs/buckets';
import { ConsoleHosting } from './constructs/console-hosting';
import { GatewayCommandDocument } from './constructs/gateway-command-document';
import { GatewayEventsBus } from './constructs/gateway-events-bus';
import { GatewayInstancePolicy } from './constructs/gateway-instance-policy';
import { PeeringApi } from './constructs/peering-api';
import {
  catalogFunctions,
  DEFAULT_PEER_FANOUT_CONCURRENCY,
  type PeeringFunction,
  reservePeerFanoutRuns,
  setPeerFanoutRate,
} from './constructs/peering-function';
import { PeeringStateMachine } from './constructs/peering-state-machine';
import {
  type PeeringTable,
  type RestoredPeeringTable,
  type RestoredTableRef,
  stackTable,
} from './constructs/peering-table';
import { StatusReportSchedule } from './constructs/status-report-schedule';
import { SweepSchedule } from './constructs/sweep-schedule';
import { HANDLERS, type HandlerName, REPO_ROOT } from './handlers';

export type RemovalPolicyName = 'destroy' | 'retain';

/** `removalPolicy` context or prop: anything but the two names is a mistake worth failing on. */
export function parseRemovalPolicy(value: unknown): RemovalPolicy {
  if (value === undefined || value === 'retain') return RemovalPolicy.RETAIN;
  if (value === 'destroy') return RemovalPolicy.DESTROY;
  throw new Error(`removalPolicy must be 'destroy' or 'retain', got ${JSON.stringify(value)}`);
}

export interface VpcPeeringStackProps extends StackProps {
  /** Of the table, bucket, key, user pool, queues and log groups. Default 'retain'. */
  readonly removalPolicy?: RemovalPolicyName;
  /**
   * A table restored from a point in time, bound instead of the one the stack creates (README
   * "Restoring the table"; `-c tableName=… -c tableStreamArn=…`). Default: the stack's own.
   */
  readonly restoredTable?: RestoredTableRef;
  /** Folder holding lambdas/, statemachine/, gateway/ and package-lock.json. Default: this repo. */
  readonly sourceRoot?: string;
  /** How often every gateway instance is asked for its live status report. Default 5 minutes. */
  readonly statusReportInterval?: Duration;
  /**
   * The status-reports function's reserved concurrency: what a fleet's burst of reports may take
   * from the account (docs/DECISIONS.md, "The report command at fleet scale"). Default none; 200
   * for a fleet of up to about 100,000 gateways, in an account whose quota is at least 300.
   */
  readonly statusReportConcurrency?: number;
  /**
   * Who may put events on the gateway events bus: the gateway product's account id (12 digits) or
   * the ARN of its role. Default: this stack's own account.
   */
  readonly gatewayProductPrincipal?: string;
  /** How often the sweep looks for stalled peerings. Default 5 minutes. */
  readonly sweepInterval?: Duration;
  /** How long a peering may stay PROVISIONING or DELETING before the sweep re-drives it. Default 10 minutes. */
  readonly stalledPeeringBound?: Duration;
  /**
   * Workflows a deleted or updated gateway's run starts per second over its peers
   * (PEER_FANOUT_STARTS_PER_SECOND, lambdas/core/fanout-pace.ts): sized by the account's Step
   * Functions state transitions. Default 25; a whole number at which the largest hub's fan-out fits
   * its budget (parsePeerFanoutRate).
   */
  readonly peerFanoutStartsPerSecond?: number;
  /**
   * The reserved concurrency of each function that fans out over a hub's peers (cascade,
   * gateway-events, sweeper): how many runs pace at once account-wide, whichever tenant's gateways
   * changed. Default DEFAULT_PEER_FANOUT_CONCURRENCY (2); 0 reserves none, for an account whose
   * Lambda concurrency quota is below 100 plus the 3 × 2 reserved (a new account's 10).
   */
  readonly peerFanoutConcurrency?: number;
  /** The console's Cognito managed login domain prefix. Default: vpc-peering-<stack UUID>. */
  readonly consoleDomainPrefix?: string;
  /** Subscribed to the alarm topic (output `AlarmTopicArn`) when given. */
  readonly alarmEmail?: string;
  /**
   * Requests per second one caller may send to one API container (CALLER_RATE_PER_SECOND of the api
   * function); 0 turns the caller throttle off, for a test deployment the integration suite drives
   * (README.md, "Integration suite against LocalStack"). Default: the function's own, 20.
   */
  readonly callerRatePerSecond?: number;
  /**
   * A WAF web ACL on the stage that limits each caller (its Authorization header) to
   * `callerRatePerSecond` a second averaged over a minute, across every container. Default true;
   * false for a deployment whose WAF is managed per account. None when callerRatePerSecond is 0.
   */
  readonly callerWebAcl?: boolean;
}

/** `callerRatePerSecond` context or prop: a whole number of requests per second, 0 for none. */
export function parseCallerRate(value: number | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < 0) {
    throw new Error(`callerRatePerSecond must be a whole number from 0, got ${JSON.stringify(value)}`);
  }
  return String(value);
}

/**
 * `peerFanoutStartsPerSecond` context or prop: a whole number of starts per second at which a hub
 * at the peering limit fans out within PEER_FANOUT_BUDGET_SECONDS (README, deployment). A slower
 * rate is refused at synth: the walk of such a hub would outlast the gateway-events function's
 * timeout, and the moved hub's last push and its update lease would wait for a retry (docs/DECISIONS.md,
 * "A rerun of a hub's peer walk resumes").
 */
export function parsePeerFanoutRate(value: number | undefined): number {
  const rate = value ?? DEFAULT_PEER_FANOUT_STARTS_PER_SECOND;
  if (!Number.isInteger(rate) || rate < 1) {
    throw new Error(
      `peerFanoutStartsPerSecond must be a whole number of at least 1, got ${JSON.stringify(rate)}`,
    );
  }
  const least = leastFanoutRate(DEFAULT_MAX_PEERINGS_PER_GATEWAY);
  if (rate < least) {
    throw new Error(
      `peerFanoutStartsPerSecond must be at least ${least}, got ${rate}: a hub of ` +
        `MAX_PEERINGS_PER_GATEWAY (${DEFAULT_MAX_PEERINGS_PER_GATEWAY}) peerings would take ` +
        `${Math.ceil(DEFAULT_MAX_PEERINGS_PER_GATEWAY / rate)} s to fan out, above its ${PEER_FANOUT_BUDGET_SECONDS} s`,
    );
  }
  return rate;
}

/**
 * `peerFanoutConcurrency` context or prop: the reserved concurrency of each fan-out function, a whole
 * number; 0 for none (undefined), default DEFAULT_PEER_FANOUT_CONCURRENCY.
 */
export function parsePeerFanoutConcurrency(value: number | undefined): number | undefined {
  const runs = value ?? DEFAULT_PEER_FANOUT_CONCURRENCY;
  if (!Number.isInteger(runs) || runs < 0) {
    throw new Error(`peerFanoutConcurrency must be a whole number from 0, got ${JSON.stringify(value)}`);
  }
  return runs === 0 ? undefined : runs;
}

export class VpcPeeringStack extends Stack {
  readonly table: PeeringTable | RestoredPeeringTable;
  readonly functions: Record<HandlerName, PeeringFunction>;
  readonly createPeering: PeeringStateMachine;
  readonly deletePeering: PeeringStateMachine;
  /** One gateway's config push, started by the API (road-warrior changes) and gateway-events. */
  readonly pushGateway: PeeringStateMachine;
  readonly api: PeeringApi;
  readonly console: ConsoleHosting;
  readonly gatewayInstancePolicy: GatewayInstancePolicy;
  /** Every alarm of the stack notifies it. */
  readonly alarmTopic: AlarmTopic;

  constructor(scope: Construct, id: string, props: VpcPeeringStackProps = {}) {
    super(scope, id, props);
    const removalPolicy = parseRemovalPolicy(props.removalPolicy);
    // Before anything is bundled: a refused rate fails the synth at once.
    const peerFanoutRate = parsePeerFanoutRate(props.peerFanoutStartsPerSecond);
    const peerFanoutRuns = parsePeerFanoutConcurrency(props.peerFanoutConcurrency);
    const sourceRoot = props.sourceRoot ?? REPO_ROOT;
    this.alarmTopic = new AlarmTopic(this, 'AlarmTopic', { removalPolicy, email: props.alarmEmail });
    this.alarmTopic.notifyEveryAlarmIn(this);

    const secretsBucket = new SecretsBucket(this, 'SecretsBucket', { removalPolicy });
    this.table = stackTable(this, removalPolicy, props.restoredTable);
    const configBucket = new ConfigBucket(this, 'ConfigBucket', { removalPolicy });
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
      teardown: new GatewayCommandDocument(this, 'TeardownDocument', {
        scriptSourceDir,
        purpose: 'teardown',
        buckets,
      }),
    };

    this.functions = catalogFunctions(this, {
      sourceRoot,
      removalPolicy,
      environment: {
        TABLE_NAME: this.table.tableName,
        SECRET_PREFIX: DEFAULT_SECRET_PREFIX,
        SECRETS_KMS_KEY_ID: secretsBucket.key.keyArn,
        SECRETS_BUCKET: secretsBucket.bucketName,
        GATEWAY_INSTANCE_ARN_PREFIX: Arn.format(
          { service: 'ec2', resource: 'instance', resourceName: '' },
          this,
        ),
        CONFIG_BUCKET: configBucket.bucketName,
        SSM_DOCUMENT_NAME: documents.apply.documentName,
        SSM_REPORT_DOCUMENT_NAME: documents.report.documentName,
        SSM_TEARDOWN_DOCUMENT_NAME: documents.teardown.documentName,
        EVENT_BUS_NAME: 'default',
        // The status route calls a report older than this stale.
        STATUS_REPORT_INTERVAL_SECONDS: String(statusReportInterval.toSeconds()),
      },
    });
    const workflow = (
      machineId: string,
      file: string,
      failureMeaning: string,
      expectedErrors?: readonly string[],
    ) =>
      new PeeringStateMachine(this, machineId, {
        definitionFile: join(sourceRoot, 'statemachine', file),
        functions: this.functionsBySubstitution(),
        removalPolicy,
        failureMeaning,
        expectedErrors,
      });
    // A create ends FAILED by design when it was refused (SAME_VPC, overlaps, a gateway gone:
    // Validate's uncaught refusal, or Rejected) or when a gateway did not apply its config, or was
    // deleted meanwhile (compensated: PeeringFailed re-raises the step's error): the client's answer,
    // not an incident. Any other error (a throttle past the retries, AccessDenied, a defect, a
    // failed compensation, ItemTooLargeError) is the control plane's own, compensated or not
    // (docs/DECISIONS.md, "Alarms on the error, the API and the silent loops").
    this.createPeering = workflow(
      'CreatePeering',
      'create-peering.asl.json',
      "the control plane failed a create (a cause of its own, not the tenant's)",
      [ConflictError.name, NotFoundError.name, CommandFailedError.name, GatewayGoneError.name],
    );
    // A delete has no compensation: its peering stays DELETING, and the sweep re-drives it.
    this.deletePeering = workflow(
      'DeletePeering',
      'delete-peering.asl.json',
      'a peering stays DELETING until the sweep re-drives it',
    );
    // A failed push leaves the instance behind its desired generation until the next push.
    this.pushGateway = workflow(
      'PushGateway',
      'push-gateway.asl.json',
      'a gateway did not apply its desired state',
    );
    grantAccess(this, {
      functions: this.functions,
      table: this.table,
      secretsBucket,
      secretNames: secretNamesUnder(DEFAULT_SECRET_PREFIX),
      configBucket,
      documents,
      workflows: {
        createPeering: this.createPeering,
        deletePeering: this.deletePeering,
        pushGateway: this.pushGateway,
      },
    });

    setPeerFanoutRate(this.functions, peerFanoutRate);
    reservePeerFanoutRuns(this.functions, peerFanoutRuns);
    this.table.feedRemovedGateways(this.functions.cascade, removalPolicy);
    const gatewayEventsBus = new GatewayEventsBus(this, 'GatewayEventsBus', {
      producer: props.gatewayProductPrincipal,
      handler: this.functions['gateway-events'],
      removalPolicy,
    });
    new StatusReportSchedule(this, 'StatusReportSchedule', {
      handler: this.functions['status-reports'],
      reportDocumentName: documents.report.documentName,
      interval: statusReportInterval,
      concurrency: props.statusReportConcurrency,
      removalPolicy,
    });
    new SweepSchedule(this, 'SweepSchedule', {
      handler: this.functions.sweeper,
      interval: props.sweepInterval ?? Duration.minutes(5),
      stalledPeeringBound: props.stalledPeeringBound ?? Duration.minutes(10),
      removalPolicy,
    });
    this.console = new ConsoleHosting(this, 'Console', {
      distPath: join(sourceRoot, 'console/dist'),
      removalPolicy,
    });
    const callerRate = parseCallerRate(props.callerRatePerSecond);
    const webAclRate = Number(callerRate ?? DEFAULT_CALLER_RATE_PER_SECOND);
    this.api = new PeeringApi(this, 'Api', {
      handler: this.functions.api,
      removalPolicy,
      consoleOrigin: this.console.origin,
      callerRequestsPerSecond: props.callerWebAcl === false || webAclRate === 0 ? undefined : webAclRate,
    });
    this.functions.api.addEnvironment('CONSOLE_ORIGIN', this.console.origin);
    if (callerRate !== undefined) this.functions.api.addEnvironment('CALLER_RATE_PER_SECOND', callerRate);
    this.console.publish({
      apiUrl: this.api.url,
      apiOrigin: this.api.origin,
      userPool: this.api.userPool,
      // Unique per account and region, as Cognito domain prefixes must be.
      domainPrefix:
        props.consoleDomainPrefix ??
        Fn.join('-', ['vpc-peering', Fn.select(2, Fn.split('/', Stack.of(this).stackId))]),
    });
    this.gatewayInstancePolicy = new GatewayInstancePolicy(this, 'GatewayInstancePolicy', {
      configBucket,
      secretsBucket,
    });

    new CfnOutput(this, 'ApiUrl', { value: this.api.url });
    new CfnOutput(this, 'ConsoleUrl', { value: this.console.origin });
    new CfnOutput(this, 'UserPoolId', { value: this.api.userPool.userPoolId });
    new CfnOutput(this, 'UserPoolClientId', { value: this.api.userPoolClient.userPoolClientId });
    new CfnOutput(this, 'TableName', { value: this.table.tableName });
    new CfnOutput(this, 'ConfigBucketName', { value: configBucket.bucketName });
    // A gateway instance's VPG_SECRET_SOURCE (s3://<this>) when its gateway.env must name it
    // (gateway/README.md, the settings table); the SSM documents pass it themselves.
    new CfnOutput(this, 'SecretsBucketName', { value: secretsBucket.bucketName });
    new CfnOutput(this, 'ApplyConfigDocumentName', { value: documents.apply.documentName });
    new CfnOutput(this, 'GatewayEventBusName', { value: gatewayEventsBus.eventBusName });
    // What README.md "Alarms" replays a parked gateway event with, and where it is parked.
    new CfnOutput(this, 'GatewayEventsFunctionName', {
      value: this.functions['gateway-events'].functionName,
    });
    new CfnOutput(this, 'GatewayEventsDlqUrl', { value: gatewayEventsBus.deadLetterQueue.queueUrl });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarmTopic.topicArn });
    new CfnOutput(this, 'GatewayInstancePolicyArn', { value: this.gatewayInstancePolicy.managedPolicyArn });
  }

  /** The workflow steps' functions by the ASL substitution that carries their ARN. */
  private functionsBySubstitution(): Record<string, PeeringFunction> {
    return Object.fromEntries(
      HANDLERS.flatMap((spec) =>
        'substitution' in spec ? [[spec.substitution, this.functions[spec.name]]] : [],
      ),
    );
  }
}
