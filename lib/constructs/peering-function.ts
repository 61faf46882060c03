/**
 * Every Lambda of the system, configured once: Node 22 on arm64, bundled by esbuild with the
 * SDK v3 clients inside the bundle (so the bench measures what is deployed and cold starts do not
 * depend on the runtime's SDK version), its own log group with a retention and a role allowed to
 * write there, X-Ray tracing.
 */
import { join } from 'node:path';
import { Duration, type RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { FunctionRole } from '../handlers';

/**
 * esbuild options shared with bench/bundle-size.ts, so the bench measures the deployed bundles.
 * ESM entry points first: the SDK's ES modules tree-shake, its CommonJS builds do not (bundles
 * come out about a third smaller).
 */
export const BUNDLE_OPTIONS = {
  target: 'node22',
  format: 'cjs',
  minify: true,
  mainFields: ['module', 'main'],
} as const;

/**
 * API: under API Gateway's 29 s integration limit (the handler itself waits API_WAIT_MS at most).
 * Steps: one DynamoDB transaction or one SSM call each. The cascade starts one workflow per
 * peering of a removed gateway and cleans its partition, so stream and event handlers get more room.
 */
const ROLE_TIMEOUTS: Record<FunctionRole, Duration> = {
  api: Duration.seconds(29),
  step: Duration.seconds(30),
  event: Duration.seconds(60),
  stream: Duration.seconds(120),
};

const SERVICE_NAME = 'vpc-peering';

export interface PeeringFunctionProps {
  /** Handler file, relative to projectRoot; it exports `handler`. */
  readonly entry: string;
  readonly role: FunctionRole;
  /** Folder holding package-lock.json and node_modules. */
  readonly projectRoot: string;
  /** Merged over the variables every function gets. */
  readonly environment?: Record<string, string>;
  /** Of the log group. */
  readonly removalPolicy: RemovalPolicy;
}

export class PeeringFunction extends NodejsFunction {
  /** The execution role; grants and their cdk-nag acknowledgments go here. */
  readonly serviceRole: Role;

  constructor(scope: Construct, id: string, props: PeeringFunctionProps) {
    // Created explicitly (not by Lambda on first write) so it has a retention and goes with the stack.
    const logGroup = new LogGroup(scope, `${id}Logs`, {
      retention: RetentionDays.ONE_MONTH,
      removalPolicy: props.removalPolicy,
    });
    // Its own role instead of AWSLambdaBasicExecutionRole: writing to this one log group is all
    // the logging it needs; the stack adds what the handler uses.
    const role = new Role(scope, `${id}Role`, { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    logGroup.grantWrite(role);
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray tracing: xray:PutTraceSegments and xray:PutTelemetryRecords have no resource-level permissions',
    });
    super(scope, id, {
      role,
      entry: join(props.projectRoot, props.entry),
      handler: 'handler',
      projectRoot: props.projectRoot,
      depsLockFilePath: join(props.projectRoot, 'package-lock.json'),
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: 256,
      timeout: ROLE_TIMEOUTS[props.role],
      tracing: Tracing.ACTIVE,
      logGroup,
      environment: { POWERTOOLS_SERVICE_NAME: SERVICE_NAME, ...props.environment },
      bundling: {
        target: BUNDLE_OPTIONS.target,
        format: OutputFormat.CJS,
        minify: BUNDLE_OPTIONS.minify,
        mainFields: [...BUNDLE_OPTIONS.mainFields],
        sourceMap: true,
        sourcesContent: false,
        // Nothing external: the SDK v3 clients are bundled like any other dependency.
        externalModules: [],
        logLevel: LogLevel.WARNING,
      },
    });
    this.serviceRole = role;
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-L1',
      reason: 'nodejs22.x is the runtime the project targets and tests (DESIGN §5), not the newest one',
    });
  }
}
