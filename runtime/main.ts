/**
 * The embedded runtime (`npm start`): the whole system on one machine with no AWS account.
 * DynamoDB Local as a child process, the real ASL files on an interpreter bound to the real handler
 * modules, a stream poller feeding the cascade handler, an EventBridge-shaped router for
 * `POST /local/events`, local gateway hosts running the real gateway script, and an HTTP front that
 * plays API Gateway + the Cognito authorizer. Ctrl-C stops every child process.
 *
 * `VPG_STORAGE=memory` (or the `storage` option) replaces DynamoDB Local and its stream by the
 * in-memory repository and its cascade hook: nothing survives a stop, and start-up takes no Java.
 * The API and integration suites run so (docs/DECISIONS.md "Storage"); `npm start` keeps DynamoDB.
 */
import './polyfills';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { ensureTable } from '../lambdas/adapters/dynamodb';
import { FileConfigStore } from '../lambdas/adapters/local/file-config-store';
import { FileInstanceSecrets } from '../lambdas/adapters/local/file-instance-secrets';
import { FileSecretStore } from '../lambdas/adapters/local/file-secret-store';
import { MemoryAudit } from '../lambdas/adapters/local/memory-audit';
import { MemoryRepository } from '../lambdas/adapters/memory/repository';
import { PAGE_LIMIT_MAX, pagesOf } from '../lambdas/core/pagination';
import { provideDependencies } from '../lambdas/shared/deps';
import { env } from '../lambdas/shared/env';
import { gatewayEventsPattern, reportInvocationsPattern } from '../lambdas/shared/event-patterns';
import { commandInvocationEntry, scheduledEvent } from './aws-events';
import { prepareDataDir } from './data-dir';
import { type DynamoDbLocal, startDynamoDbLocal } from './dynamodb-local';
import { createEventRouter } from './event-router';
import {
  hostOfGateway,
  LocalCommandBus,
  LocalHosts,
  type ReportInvocation,
  rebuildHosts,
  withLocalHost,
} from './hosts';
import { startHttpFront } from './http-front';
import { localEnv } from './local-env';
import { memoryCascade } from './memory-cascade';
import { repeat, settlesWithin } from './repeat';
import {
  type CrashLeftovers,
  clearRunRecord,
  removeCrashLeftovers,
  reportCrashLeftovers,
  writeRunRecord,
} from './run-record';
import { errorFields, type RuntimeLog, runtimeLog } from './runtime-log';
import { type LocalHostMode, readRuntimeSettings } from './settings';
import { STEP_FUNCTIONS } from './step-functions';
import { startStreamPoller } from './stream-poller';
import { assertStrongAuthSecret, mintToken, persistentAuthSecret, signInLink } from './tokens';
import { LocalWorkflowEngine } from './workflow-engine';

export interface RuntimeOptions {
  port?: number;
  dataDir?: string;
  authSecret?: string;
  hostMode?: LocalHostMode;
  /** Wait states and retry intervals of the workflows, shortened locally. */
  waitMs?: number;
  /**
   * How often every host is asked for its live status report (the AWS schedule's counterpart);
   * 0 turns the timer off (reportStatus still works). Default: STATUS_REPORT_INTERVAL_SECONDS, or 60 s.
   */
  statusReportIntervalMs?: number;
  /** How often the sweep runs; 0 turns the timer off. Default: SWEEP_INTERVAL_SECONDS, or 60 s. */
  sweepIntervalMs?: number;
  /** Stalled past this, a PROVISIONING or DELETING peering is re-driven (default STALLED_PEERING_BOUND_SECONDS, 600 s). */
  stalledPeeringBoundMs?: number;
  /** Where the runtime's own notices go (README, "Logs"); default: runtimeLog, one JSON line each. */
  log?: RuntimeLog;
  /** DynamoDB Local (default, or VPG_STORAGE=dynamodb) or the in-memory repository (VPG_STORAGE=memory). */
  storage?: 'dynamodb' | 'memory';
  /**
   * DynamoDB Local already starting on DATA_DIR/dynamodb (runtime/start.ts, so java boots while
   * these modules load): taken over instead.
   */
  dynamoDbLocal?: Promise<DynamoDbLocal>;
  /** What runtime/start.ts already removed of a crashed run: only reported here, not looked for again. */
  crashLeftovers?: CrashLeftovers;
}

export interface Runtime {
  url: string;
  authSecret: string;
  adminToken: string;
  userToken: string;
  hosts: LocalHosts;
  commands: LocalCommandBus;
  workflows: LocalWorkflowEngine;
  audit: MemoryAudit;
  /** Resolves when workflows, commands and the stream have nothing left in flight. */
  settled(): Promise<void>;
  /** One period of the status schedule: every host reports, and the reports are stored. */
  reportStatus(): Promise<void>;
  /** One run of the sweep: stalled peerings are re-driven (their executions are not awaited). */
  sweep(): Promise<void>;
  stop(): Promise<void>;
}

const TABLE_NAME = 'vpc-peering';
/** The name the report document's invocations carry in their (local) SSM notifications. */
const REPORT_DOCUMENT = 'vpc-peering-report';

/**
 * Where the handler modules find the local table, and the credentials it accepts (set before any
 * of them is imported): their clients read both from the environment. Credentials the caller had
 * (a profile, a session) would be refused by this DynamoDB Local, and the runtime calls no AWS.
 */
function configureStorage(dynamo: DynamoDbLocal | undefined): void {
  process.env.TABLE_NAME = TABLE_NAME;
  if (!dynamo) return;
  process.env.AWS_ENDPOINT_URL_DYNAMODB = dynamo.endpoint;
  process.env.AWS_ACCESS_KEY_ID = dynamo.clientConfig.credentials.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = dynamo.clientConfig.credentials.secretAccessKey;
  delete process.env.AWS_SESSION_TOKEN;
  // The SDK's default chain ignores the two variables above while a profile is named.
  delete process.env.AWS_PROFILE;
}

export async function startRuntime(options: RuntimeOptions = {}): Promise<Runtime> {
  const log = options.log ?? runtimeLog;
  const dataDir = resolve(options.dataDir ?? '.local');
  if (options.authSecret !== undefined) assertStrongAuthSecret(options.authSecret);
  const settings = readRuntimeSettings(options);
  await prepareDataDir(dataDir);
  const authSecret = options.authSecret ?? (await persistentAuthSecret(dataDir));

  const stack: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stack.splice(0).reverse()) {
      await stop().catch((error: unknown) => log.error('shutdown step failed', errorFields(error)));
    }
  };

  try {
    // A crashed run on this DATA_DIR may have left namespaces and a DynamoDB Local holding its files;
    // a DynamoDB Local handed over (runtime/start.ts) is never taken for one.
    if (options.crashLeftovers) reportCrashLeftovers(log, options.crashLeftovers);
    else if (!options.dynamoDbLocal) reportCrashLeftovers(log, await removeCrashLeftovers(dataDir));
    stack.push(async () => clearRunRecord(dataDir));
    const dynamo =
      settings.storage === 'dynamodb'
        ? await (options.dynamoDbLocal ?? startDynamoDbLocal({ dataDir: join(dataDir, 'dynamodb') }))
        : undefined;
    if (dynamo) stack.push(() => dynamo.stop());
    configureStorage(dynamo);
    const tables = dynamo && new DynamoDBClient({ ...dynamo.clientConfig, endpoint: dynamo.endpoint });
    if (tables) await ensureTable(tables, TABLE_NAME);

    // Handler modules are imported only now, so their module-level clients see the environment.
    const { repository } = await import('../lambdas/adapters/dynamodb');
    const { handler: apiHandler } = await import('../lambdas/handlers/api');
    const { handler: cascadeHandler } = await import('../lambdas/handlers/cascade');
    const { handler: gatewayEventsHandler } = await import('../lambdas/handlers/gateway-events');
    const { handler: statusReportsHandler } = await import('../lambdas/handlers/status-reports');
    const { handler: sweeperHandler } = await import('../lambdas/handlers/sweeper');

    const secretsDir = join(dataDir, 'secrets');
    const secrets = new FileSecretStore(secretsDir);
    // Each host reads only the copies delivered to its instance, never the store itself.
    const instanceSecrets = new FileInstanceSecrets(secrets, join(dataDir, 'instance-secrets'));
    const hosts = new LocalHosts({
      dataDir,
      secretsDir,
      secretsDirOf: (instanceId) => instanceSecrets.directoryOf(instanceId),
      // Unmanaged: no host is ever built (LocalCommandBus runs no command), files mode builds nothing.
      mode: settings.hostMode === 'unmanaged' ? 'files' : settings.hostMode,
      log,
    });
    writeRunRecord(dataDir, {
      pid: process.pid,
      hostPrefix: hosts.prefix,
      startedAt: new Date().toISOString(),
    });
    stack.push(() => hosts.teardown());
    // SSM announces each finished invocation on EventBridge; so does the local bus, on the router.
    const announce = (invocation: ReportInvocation) =>
      router.putEvents({ Entries: [commandInvocationEntry(invocation, REPORT_DOCUMENT)] });
    const commands = new LocalCommandBus(
      hosts,
      async (gatewayId) => repository().getGateway(gatewayId),
      announce,
      { unmanagedInstances: settings.hostMode === 'unmanaged' },
    );
    const waitMs = options.waitMs ?? 250;
    const workflows = new LocalWorkflowEngine({
      statemachineDir: resolve(__dirname, '../statemachine'),
      functions: STEP_FUNCTIONS,
      waitMs,
      retryIntervalMs: Math.max(20, Math.floor(waitMs / 4)),
      journalDir: join(dataDir, 'executions'),
      log,
    });
    // Let running executions finish, but never hold a shutdown hostage: what is still running is
    // left RUNNING in the journal and re-driven at the next start.
    stack.push(async () => {
      await settlesWithin(workflows.idle(), 5000);
      workflows.freezeJournal();
    });
    const audit = new MemoryAudit();
    const configStore = new FileConfigStore(join(dataDir, 'config'));
    const cascade = memoryCascade(
      () => ({
        repository: repository(),
        workflows,
        secrets,
        clock: () => new Date(),
        configStore,
        instanceSecrets,
        commands,
        peerFanoutStartsPerSecond: env.peerFanoutStartsPerSecond(),
      }),
      log,
    );
    provideDependencies({
      secrets,
      instanceSecrets,
      configStore,
      commands,
      workflows,
      audit,
      ...(dynamo ? {} : { repository: new MemoryRepository({ onGatewayDeleted: cascade.removed }) }),
    });

    const context = (functionName: string) =>
      ({ functionName, awsRequestId: randomBytes(8).toString('hex') }) as Context;
    // Every registered gateway's host comes back with what it last applied, then what a crash
    // interrupted runs again.
    // Page by page (never one read of the whole registry), all owners.
    const registry = pagesOf((nextToken) =>
      repository().pageGateways({}, { limit: PAGE_LIMIT_MAX, binding: 'runtime-start', nextToken }),
    );
    for await (const gateways of registry) {
      await rebuildHosts(hosts, gateways, log);
      for (const gateway of gateways) {
        log.info('gateway host', { gatewayId: gateway.id, host: hostOfGateway(hosts, gateway) ?? null });
      }
    }
    workflows.recover();

    const poller =
      dynamo &&
      startStreamPoller({
        endpoint: dynamo.endpoint,
        credentials: dynamo.clientConfig.credentials,
        tableName: TABLE_NAME,
        positionFile: join(dataDir, 'stream-position.json'),
        // A deleted gateway's host is torn down and destroyed by the teardown command the cascade sends.
        handler: (event) => cascadeHandler(event, context('cascade')),
        log,
      });
    if (poller) stack.push(() => poller.stop());
    const router = createEventRouter([
      {
        pattern: gatewayEventsPattern,
        handler: (event) => gatewayEventsHandler(event, context('gateway-events')),
      },
      {
        pattern: reportInvocationsPattern(REPORT_DOCUMENT),
        handler: (event) => statusReportsHandler(event, context('status-reports')),
      },
    ]);
    const reportStatus = async () => {
      await statusReportsHandler(scheduledEvent(), context('status-reports'));
      await commands.idle();
    };
    stack.push(
      repeat(settings.statusReportIntervalMs, reportStatus, (error) =>
        log.error('status report failed', errorFields(error)),
      ),
    );
    // The sweep's schedule (lambdas/handlers/sweeper.ts): stalled peerings are re-driven.
    const sweep = async () => {
      await sweeperHandler(scheduledEvent(), context('sweeper'));
    };
    stack.push(
      repeat(settings.sweepIntervalMs, sweep, (error) => log.error('sweep failed', errorFields(error))),
    );

    const front = await startHttpFront({
      port: settings.port,
      authSecret,
      apiHandler: async (event, ctx) => withLocalHost(event, await apiHandler(event, ctx), hosts),
      postLocalEvents: (body) => router.putEvents(body),
      log,
      health: async () => {
        if (!tables)
          return { ok: true, components: { storage: 'memory', workflows: 'ready', hosts: hosts.mode } };
        const table = await tables
          .send(new DescribeTableCommand({ TableName: TABLE_NAME }))
          .then((r) => r.Table?.TableStatus ?? 'missing')
          .catch((error: Error) => `error: ${error.message}`);
        const components = { dynamodb: table, workflows: 'ready', streams: 'polling', hosts: hosts.mode };
        return { ok: table === 'ACTIVE', components };
      },
    });
    stack.push(() => front.close());

    return {
      url: front.url,
      authSecret,
      adminToken: await mintToken(authSecret, { sub: 'admin', groups: ['admin'] }),
      userToken: await mintToken(authSecret, { sub: 'user-1' }),
      hosts,
      commands,
      workflows,
      audit,
      settled: async () => {
        await workflows.idle();
        await (poller ?? cascade).idle();
        await workflows.idle();
        await commands.idle();
      },
      reportStatus,
      sweep,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

async function main(prepared: Pick<RuntimeOptions, 'dynamoDbLocal' | 'crashLeftovers'>): Promise<void> {
  const started = Date.now();
  const runtime = await startRuntime({
    authSecret: localEnv.localAuthSecret(),
    dataDir: localEnv.localDataDir(),
    ...prepared,
  });
  const lines = [
    `Listening on ${runtime.url}`,
    `Ready in ${Date.now() - started} ms; gateway hosts: ${runtime.hosts.mode} mode; data in ${resolve(localEnv.localDataDir())}${localEnv.localStorage() === 'memory' ? ' (table in memory)' : ''}`,
    `Admin token (sub=admin, group admin): ${runtime.adminToken}`,
    `  console sign-in: ${signInLink(runtime.url, runtime.adminToken)}`,
    `User token  (sub=user-1):             ${runtime.userToken}`,
    `  console sign-in: ${signInLink(runtime.url, runtime.userToken)}`,
    `Console: ${runtime.url}/  (other users: npm run token -- --sub alice [--admin])`,
    `Try:  ADMIN="Authorization: Bearer <admin token>"; curl -s -w '%{http_code}\\n' -H "$ADMIN" ${runtime.url}/v1/gateways`,
    `Logs: one JSON line per request, handler step and runtime notice on stdout/stderr (README, "Logs")`,
    'Ctrl-C stops everything.',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`${signal}: stopping…\n`);
    runtime.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

/** The runtime as configured by the environment, with its banner; a failure to start ends the process. */
export function runFromCommandLine(
  prepared: Pick<RuntimeOptions, 'dynamoDbLocal' | 'crashLeftovers'> = {},
): void {
  main(prepared).catch((error: Error) => {
    process.stderr.write(`Failed to start: ${error.message}\n`);
    process.exit(1);
  });
}

if (require.main === module) runFromCommandLine();
