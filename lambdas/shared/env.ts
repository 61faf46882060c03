import { type AddressPolicy, DEFAULT_ADDRESS_POLICY, type PrefixLengthRange } from '../core/address-rules';
import { DEFAULT_MAX_PEERINGS_PER_GATEWAY, DEFAULT_PEER_FANOUT_STARTS_PER_SECOND } from '../core/fanout-pace';

/**
 * The only reader of process.env, for the Lambdas and the embedded runtime alike (whose own settings,
 * which no Lambda reads, are runtime/local-env.ts on the readers exported here, so no Lambda bundles
 * them: push-config sits close to the 500 KB bundle goal). Each value is read
 * when first needed and a missing or malformed one throws at once with its name and what it must
 * be. A handler whose settings have defaults reads them once at cold start too, and the runtime
 * reads all of its own before "Ready" (docs/DECISIONS.md, "Settings fail fast"), so a mistyped value
 * stops the start instead of failing every call.
 */
export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
}

function required(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') {
    throw new ConfigurationError(`Environment variable ${name} is required`);
  }
  return value;
}

export function optional(name: string, fallback: string): string {
  const value = process.env[name];
  return value === undefined || value === '' ? fallback : value;
}

/** Digits only: `Number` alone would take `1e3`, `0x10` or ` 5 `, and turn `1m` into NaN. */
export function positiveInt(name: string, fallback: number): number {
  const raw = optional(name, String(fallback));
  const value = Number(raw);
  if (!/^[0-9]+$/.test(raw) || !Number.isSafeInteger(value)) {
    throw new ConfigurationError(`Environment variable ${name} must be a non-negative integer, got ${raw}`);
  }
  return value;
}

/** A whole number of at least 1: a rate of 0 would never start anything. */
function atLeastOne(name: string, fallback: number): number {
  const raw = optional(name, String(fallback));
  const value = Number(raw);
  if (!/^[0-9]+$/.test(raw) || !Number.isSafeInteger(value) || value < 1) {
    throw new ConfigurationError(
      `Environment variable ${name} must be a whole number of at least 1, got ${raw}`,
    );
  }
  return value;
}

/** A required whole number of seconds within [least, most]. */
function secondsWithin(name: string, least: number, most: number): number {
  const raw = required(name);
  const value = Number(raw);
  if (!/^[0-9]+$/.test(raw) || value < least || value > most) {
    throw new ConfigurationError(
      `Environment variable ${name} must be whole seconds from ${least} to ${most}, got ${raw}`,
    );
  }
  return value;
}

function flag(name: string, fallback: boolean): boolean {
  const raw = optional(name, String(fallback));
  if (raw !== 'true' && raw !== 'false') {
    throw new ConfigurationError(`Environment variable ${name} must be true or false, got ${raw}`);
  }
  return raw === 'true';
}

/** "16-28": the accepted prefix lengths, inclusive. */
function prefixLengths(name: string, fallback: PrefixLengthRange): PrefixLengthRange {
  const raw = optional(name, `${fallback.min}-${fallback.max}`);
  const match = /^([0-9]{1,2})-([0-9]{1,2})$/.exec(raw);
  const [min, max] = [Number(match?.[1]), Number(match?.[2])];
  if (!match || min > max || max > 32) {
    throw new ConfigurationError(`Environment variable ${name} must be a range such as 16-28, got ${raw}`);
  }
  return { min, max };
}

/**
 * One caller's requests per second (CALLER_RATE_PER_SECOND): the api function's bucket per container,
 * and the stack's web ACL across containers (lib/constructs/caller-rate-limit.ts).
 */
export const DEFAULT_CALLER_RATE_PER_SECOND = 20;

export const env = {
  /** The `service` of every log line (lambdas/shared/logger.ts). */
  serviceName: () => optional('POWERTOOLS_SERVICE_NAME', 'vpc-peering'),
  tableName: () => required('TABLE_NAME'),
  /** The console's origin on AWS, the only one the API allows (CORS); unset: no CORS headers. */
  consoleOrigin: () => process.env.CONSOLE_ORIGIN || undefined,
  secretPrefix: () => optional('SECRET_PREFIX', '/vpc-peering'),
  /** The bucket holding secrets (SSE-KMS) and their per-instance copies. */
  secretsBucket: () => required('SECRETS_BUCKET'),
  secretsKmsKeyId: () => process.env.SECRETS_KMS_KEY_ID || undefined,
  configBucket: () => required('CONFIG_BUCKET'),
  /** `arn:<partition>:ec2:<region>:<account>:instance/`: names an instance as its credentials do. */
  instanceArnPrefix: () => required('GATEWAY_INSTANCE_ARN_PREFIX'),
  ssmDocumentName: () => required('SSM_DOCUMENT_NAME'),
  /** The Command document that runs the gateway script's `--report`. */
  ssmReportDocumentName: () => required('SSM_REPORT_DOCUMENT_NAME'),
  /** The Command document that runs the gateway script's `--teardown` (a deleted gateway). */
  ssmTeardownDocumentName: () => required('SSM_TEARDOWN_DOCUMENT_NAME'),
  createPeeringStateMachineArn: () => required('CREATE_PEERING_STATE_MACHINE_ARN'),
  deletePeeringStateMachineArn: () => required('DELETE_PEERING_STATE_MACHINE_ARN'),
  pushGatewayStateMachineArn: () => required('PUSH_GATEWAY_STATE_MACHINE_ARN'),
  eventBusName: () => optional('EVENT_BUS_NAME', 'default'),
  apiWaitMs: () => positiveInt('API_WAIT_MS', 8000),
  /** Pause between two looks at a running execution (DescribeExecution is rate-limited on AWS). */
  apiPollMs: () => positiveInt('API_POLL_MS', 150),
  /** Bound of the push polling loop: CheckCommand gives up after this many polls. */
  commandMaxPolls: () => positiveInt('COMMAND_MAX_POLLS', 60),
  awsRegion: () => required('AWS_REGION'),
  /** A custom S3 endpoint, as the SDK clients read it (LocalStack); undefined on AWS. */
  s3Endpoint: () => process.env.AWS_ENDPOINT_URL_S3 || process.env.AWS_ENDPOINT_URL || undefined,
  /** The function role's credentials, which Lambda puts in the environment. */
  awsCredentials: () => ({
    accessKeyId: required('AWS_ACCESS_KEY_ID'),
    secretAccessKey: required('AWS_SECRET_ACCESS_KEY'),
    sessionToken: process.env.AWS_SESSION_TOKEN || undefined,
  }),
  /** How long a peering may stay PROVISIONING or DELETING before the sweep re-drives it. */
  stalledPeeringBoundSeconds: () => positiveInt('STALLED_PEERING_BOUND_SECONDS', 600),
  /**
   * How long a deleted gateway's cascade may stay pending before the sweep runs it again: past the
   * stream's retries of its record (6 attempts of at most 120 s, plus the halvings of a batch of 10).
   */
  pendingCascadeBoundSeconds: () => positiveInt('PENDING_CASCADE_BOUND_SECONDS', 1800),
  /**
   * Workflows one run starts per second over a gateway's peers: a deleted gateway's peering
   * deletions (cascade, sweeper), an updated gateway's peer pushes (gateway-events, sweeper). Sized
   * by the account's state transitions (core/fanout-pace.ts, DEFAULT_PEER_FANOUT_STARTS_PER_SECOND).
   */
  peerFanoutStartsPerSecond: () =>
    atLeastOne('PEER_FANOUT_STARTS_PER_SECOND', DEFAULT_PEER_FANOUT_STARTS_PER_SECOND),
  /** The status report period (the schedule's rate): a report older than this is stale. */
  statusReportIntervalSeconds: () => positiveInt('STATUS_REPORT_INTERVAL_SECONDS', 300),
  /**
   * The report command's delivery timeout (SendCommand TimeoutSeconds, SSM takes 30 s to 30 days),
   * derived from the period by the stack (lib/constructs/status-report-schedule.ts): only the
   * status-reports function has it, and reads it when it sends the command.
   */
  statusReportDeliveryTimeoutSeconds: () =>
    secondsWithin('STATUS_REPORT_DELIVERY_TIMEOUT_SECONDS', 30, 30 * 24 * 60 * 60),
  /** Per-owner limits (docs/DECISIONS.md, "Tenants and traffic"). */
  ownerLimits: () => ({
    gatewaysPerOwner: positiveInt('MAX_GATEWAYS_PER_OWNER', 100),
    roadWarriorsPerGateway: positiveInt('MAX_ROAD_WARRIORS_PER_GATEWAY', 250),
    // Well below what a hub's route block holds (about 8,900: docs/DECISIONS.md, "Peerings per gateway").
    peeringsPerGateway: positiveInt('MAX_PEERINGS_PER_GATEWAY', DEFAULT_MAX_PEERINGS_PER_GATEWAY),
    operationsInFlightPerOwner: positiveInt('MAX_OPERATIONS_IN_FLIGHT_PER_OWNER', 10),
  }),
  /** Requests per second and burst of one caller in one API container; rate 0 turns it off. */
  callerThrottle: () => ({
    ratePerSecond: positiveInt('CALLER_RATE_PER_SECOND', DEFAULT_CALLER_RATE_PER_SECOND),
    burst: positiveInt('CALLER_BURST', 100),
  }),
  /** What gateway addresses may be (docs/DECISIONS.md, "Address rules"). */
  addressPolicy: (): AddressPolicy => ({
    sharedVpcCidrs: flag('VPC_CIDR_ALLOW_SHARED', DEFAULT_ADDRESS_POLICY.sharedVpcCidrs),
    privatePublicIps: flag('PUBLIC_IP_ALLOW_PRIVATE', DEFAULT_ADDRESS_POLICY.privatePublicIps),
    vpcPrefixLengths: prefixLengths('VPC_CIDR_PREFIX_LENGTHS', DEFAULT_ADDRESS_POLICY.vpcPrefixLengths),
    tunnelPrefixLengths: prefixLengths(
      'TUNNEL_SUBNET_PREFIX_LENGTHS',
      DEFAULT_ADDRESS_POLICY.tunnelPrefixLengths,
    ),
  }),
};
