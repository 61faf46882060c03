/**
 * Every Lambda of the system, configured once: a NodejsFunction on Node 22 and arm64, bundled by
 * esbuild with the SDK v3 clients inside the bundle (so the bench measures what is deployed and
 * cold starts do not depend on the runtime's SDK version), its own log group with a retention and
 * a role allowed to write there, X-Ray tracing. The bundle comes through NodejsFunction's `code`
 * property: its built-in bundling runs esbuild's command line, which takes no plugins, and the
 * SDK plugin of lib/constructs/bundling.ts is what keeps every bundle under 500 KB.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { AssetHashType, Duration, type RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, type CfnFunction, Code, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { type FunctionRole, HANDLERS, type HandlerName } from '../handlers';

/** lib/constructs/bundling.ts, run through tsx: the one build the bench and the tests run too. */
const BUNDLER = join(__dirname, 'bundling.ts');
/** tsx's loader, for `node --import`: one Node process per bundle (its CLI starts a second one). */
const TSX_LOADER = pathToFileURL(require.resolve('tsx')).href;
const RUNTIME = Runtime.NODEJS_22_X;

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
  /** Folder holding node_modules; entry and the bundling alias paths are relative to it. */
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
      code: bundledCode(props.projectRoot, props.entry),
      handler: 'index.handler',
      runtime: RUNTIME,
      architecture: Architecture.ARM_64,
      memorySize: 256,
      timeout: ROLE_TIMEOUTS[props.role],
      tracing: Tracing.ACTIVE,
      logGroup,
      environment: {
        // The bundle ships its source map; stack traces in the logs then name the TypeScript lines.
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        ...props.environment,
      },
    });
    this.serviceRole = role;
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'nodejs22.x is the runtime the project targets and tests (docs/CONTRACT.md#tooling-facts), not the newest one',
    });
  }
}

export interface CatalogFunctionsProps {
  /** Folder holding lambdas/ and node_modules (PeeringFunctionProps.projectRoot). */
  readonly sourceRoot: string;
  /** The configuration every function reads. */
  readonly environment: Record<string, string>;
  readonly removalPolicy: RemovalPolicy;
}

/** One function per entry of the catalog (lib/handlers.ts), with the construct id `functionId` gives. */
export function catalogFunctions(
  scope: Construct,
  { sourceRoot, environment, removalPolicy }: CatalogFunctionsProps,
): Record<HandlerName, PeeringFunction> {
  const entries = HANDLERS.map((spec) => {
    const fn = new PeeringFunction(scope, functionId(spec.name), {
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

/**
 * The functions whose runs fan out over a gateway's peers, starting a workflow per peer
 * (lambdas/app/peer-fanout.ts): the cascade and the sweep (a deleted gateway's peering deletions),
 * gateway-events and the sweep (an updated gateway's peer pushes).
 */
export const PEER_FANOUT_FUNCTIONS = [
  'cascade',
  'gateway-events',
  'sweeper',
] as const satisfies readonly HandlerName[];

/**
 * Tells the fan-out functions their start rate (PEER_FANOUT_STARTS_PER_SECOND, checked by
 * parsePeerFanoutRate, lib/vpc-peering-stack.ts); the others have none.
 */
export function setPeerFanoutRate(
  functions: Record<HandlerName, PeeringFunction>,
  startsPerSecond: number,
): void {
  for (const name of PEER_FANOUT_FUNCTIONS) {
    functions[name].addEnvironment('PEER_FANOUT_STARTS_PER_SECOND', String(startsPerSecond));
  }
}

/**
 * The runs each fan-out function may have at once (stack prop `peerFanoutConcurrency`): its reserved
 * concurrency. Each run paces itself at the start rate, so the account sees at most this many times
 * the rate per function, whoever's gateways changed (docs/DECISIONS.md, "One tenant's fan-outs
 * against the account"). 2, not 1: one hub's 40 s walk leaves a lane to every other event.
 */
export const DEFAULT_PEER_FANOUT_CONCURRENCY = 2;

/**
 * Reserves `runs` concurrent executions for each fan-out function (PEER_FANOUT_FUNCTIONS); undefined
 * leaves them on the account's unreserved concurrency. Lambda queues what waits: an event retried
 * for up to its event age, a stream batch until its records expire (neither counts a throttle as
 * a failed attempt).
 */
export function reservePeerFanoutRuns(
  functions: Record<HandlerName, PeeringFunction>,
  runs: number | undefined,
): void {
  if (runs === undefined) return;
  for (const name of PEER_FANOUT_FUNCTIONS) {
    (functions[name].node.defaultChild as CfnFunction).reservedConcurrentExecutions = runs;
  }
}

/** `push-config` → `PushConfigFunction`. */
function functionId(name: string): string {
  return `${name.replace(/(^|-)([a-z])/g, (_match, _dash, letter: string) => letter.toUpperCase())}Function`;
}

/**
 * The handler bundled by lib/constructs/bundling.ts into index.js (+ index.js.map). CDK bundles
 * synchronously and esbuild plugins need its async API, hence the child process. The asset is
 * hashed by its output, as NodejsFunction does, so an unchanged bundle is not re-uploaded.
 */
function bundledCode(projectRoot: string, entry: string): Code {
  return Code.fromAsset(projectRoot, {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      // The same build in a container. Local bundling always runs (and throws when it fails), but
      // CDK caches staged assets by these options, so the command must name the entry: without it
      // every function would get the first one's bundle.
      image: RUNTIME.bundlingImage,
      command: [
        'bash',
        '-c',
        `npx --no-install tsx lib/constructs/bundling.ts . ${entry} /asset-output/index.js`,
      ],
      local: {
        tryBundle(outputDir) {
          takeBundle(projectRoot, entry, outputDir);
          return true;
        },
      },
    },
  });
}

function runBundler(projectRoot: string, pairs: readonly string[]): void {
  execFileSync(process.execPath, ['--import', TSX_LOADER, BUNDLER, projectRoot, ...pairs], {
    stdio: 'inherit',
  });
}

interface Batch {
  dir: string;
  /** Entry → its bundle's directory, until a function has taken it. */
  untaken: Map<string, string>;
}

/** Per project root, the batch of handler bundles of the synth under way. */
const batches = new Map<string, Batch>();
/** Every batch directory this process made, so a test can check that each one is gone. */
const batchDirs: string[] = [];
export const bundleBatchDirs = (): readonly string[] => batchDirs;

/**
 * Copies `entry`'s bundle (a handler of lib/handlers.ts, as every function is) into `outputDir`.
 * Every handler is bundled at the first function's bundling by one child process (one Node start
 * instead of one per function; for a synth's 13 functions about 6 s less here, docs/DECISIONS.md
 * "Test time") into a temporary directory, removed once each function has taken its own (or at
 * exit). A function bundled again starts a new batch.
 */
function takeBundle(projectRoot: string, entry: string, outputDir: string): void {
  let batch = batches.get(projectRoot);
  if (!batch?.untaken.has(entry)) {
    const dir = mkdtempSync(join(tmpdir(), 'peering-bundles-'));
    batchDirs.push(dir);
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    const untaken = new Map<string, string>(HANDLERS.map((h) => [h.entry, join(dir, h.name)]));
    runBundler(
      projectRoot,
      [...untaken].flatMap(([handlerEntry, out]) => [handlerEntry, join(out, 'index.js')]),
    );
    batch = { dir, untaken };
    batches.set(projectRoot, batch);
  }
  const built = batch.untaken.get(entry);
  if (!built) throw new Error(`${entry} is not a handler of lib/handlers.ts: every function's entry must be`);
  for (const file of ['index.js', 'index.js.map']) copyFileSync(join(built, file), join(outputDir, file));
  batch.untaken.delete(entry);
  if (batch.untaken.size === 0) {
    rmSync(batch.dir, { recursive: true, force: true });
    batches.delete(projectRoot);
  }
}
