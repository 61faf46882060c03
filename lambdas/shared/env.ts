/**
 * The only reader of process.env. Each value is read when first needed and a missing required
 * one throws at once with its name, so a misconfigured Lambda fails on its first line, loudly.
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

function optional(name: string, fallback: string): string {
  const value = process.env[name];
  return value === undefined || value === '' ? fallback : value;
}

function positiveInt(name: string, fallback: number): number {
  const raw = optional(name, String(fallback));
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    throw new ConfigurationError(`Environment variable ${name} must be a non-negative integer, got ${raw}`);
  }
  return value;
}

export const env = {
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
  /** The function role's credentials, which Lambda puts in the environment. */
  awsCredentials: () => ({
    accessKeyId: required('AWS_ACCESS_KEY_ID'),
    secretAccessKey: required('AWS_SECRET_ACCESS_KEY'),
    sessionToken: process.env.AWS_SESSION_TOKEN || undefined,
  }),
  /** How long a peering may stay PROVISIONING or DELETING before the sweep re-drives it. */
  stalledPeeringBoundSeconds: () => positiveInt('STALLED_PEERING_BOUND_SECONDS', 600),
  /** The status report period (the schedule's rate): a report older than this is stale. */
  statusReportIntervalSeconds: () => positiveInt('STATUS_REPORT_INTERVAL_SECONDS', 300),
};
