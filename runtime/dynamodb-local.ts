/**
 * AWS's DynamoDB Local (the real engine: transactions, streams, TTL) as a child process, for the
 * embedded runtime, the persistence tests and the benchmarks. Needs Java 17+ (docs/CONTRACT.md#tooling-facts).
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { delimiter, join, resolve as resolvePath } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DYNAMODB_LOCAL_HOST, spawnLoopbackDynamoDbLocal } from './dynamodb-loopback';
import { settlesWithin } from './repeat';

export interface DynamoDbLocal {
  /** `http://127.0.0.1:<port>`, for `AWS_ENDPOINT_URL_DYNAMODB` or a client's `endpoint`. */
  endpoint: string;
  /**
   * Region and credentials for a client of this instance: it answers only requests signed with
   * the access key id drawn at its start (runtime/LoopbackDynamoDbLocal.java).
   */
  clientConfig: LocalClientConfig;
  /** SIGTERM, then SIGKILL after a grace period; resolves once the process has exited. */
  stop(): Promise<void>;
}

export interface DynamoDbLocalOptions {
  /** Where the database file lives; in memory when absent. */
  dataDir?: string;
  /** 0 or absent: a free port is picked. */
  port?: number;
  /**
   * Start sooner at the cost of peak speed (C1 JIT only; docs/DECISIONS.md, "Start fast"): for
   * `npm start`, where one user waits for it; tests and benchmarks keep the full JIT.
   */
  quickStart?: boolean;
}

/** The JVM starts in seconds, but a 2-core machine shared by several test runs has taken over 30 s. */
const READY_TIMEOUT_MS = 90_000;
const READY_POLL_MS = 100;
const STOP_GRACE_MS = 5_000;
const STDERR_TAIL_CHARS = 2_000;

export interface LocalClientConfig {
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
}

/**
 * A client's config for the DynamoDB Local that accepts `accessKeyId`. The launcher checks the key
 * id only (the signature is not checked, so the secret is any value); with `-sharedDb` the region
 * does not matter.
 */
export function localClientConfig(accessKeyId: string): LocalClientConfig {
  return { region: 'local', credentials: { accessKeyId, secretAccessKey: 'local' } };
}

/** 128 random bits as letters and digits (DynamoDB Local refuses other characters in a key id). */
function drawAccessKeyId(): string {
  return randomBytes(16).toString('hex');
}

export class JavaMissingError extends Error {
  override readonly name = 'JavaMissingError';
  constructor() {
    super(
      'DynamoDB Local needs Java 17+ and no `java` was found on PATH: apt-get install openjdk-17-jre-headless',
    );
  }
}

export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  await assertJavaOnPath();
  const port = options.port ? options.port : await freePort();
  const path = options.dataDir ? resolvePath(options.dataDir) : null;
  if (path) await mkdir(path, { recursive: true });

  // Drawn at each start and handed over in memory and through environments only (docs/SECURITY.md,
  // "The local runtime"): never in argv or a file other accounts could read.
  const clientConfig = localClientConfig(drawAccessKeyId());
  // Java runs with its own cwd, hence the absolute data path above.
  const child = await spawnLoopbackDynamoDbLocal({
    port,
    path,
    accessKeyId: clientConfig.credentials.accessKeyId,
    quickStart: options.quickStart,
  });
  const stderr = captureTail(child);
  // A forgotten instance must not keep its parent alive: the exit hook below still kills it.
  child.unref();
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const endpoint = `http://${DYNAMODB_LOCAL_HOST}:${port}`;
  const stop = async () => {
    process.removeListener('exit', killOnExit);
    await terminate(child, exited);
  };
  try {
    await waitUntilReady({ ...clientConfig, endpoint }, child, stderr);
  } catch (error) {
    await stop();
    throw error;
  }
  return { endpoint, clientConfig, stop };
}

/** Fails early with the install hint instead of an ENOENT from spawn. */
async function assertJavaOnPath(): Promise<void> {
  const directories = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  for (const directory of directories) {
    const found = await access(join(directory, 'java'), constants.X_OK).then(
      () => true,
      () => false,
    );
    if (found) return;
  }
  throw new JavaMissingError();
}

/** Asks the OS for a free port; the tiny window before it is bound again is acceptable here. */
export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? done(address.port) : fail(new Error('no port')),
      );
    });
  });
}

/** Drains both pipes (a full pipe would block java) and keeps the end of stderr for error messages. */
function captureTail(child: ChildProcess): () => string {
  let tail = '';
  for (const stream of [child.stdout, child.stderr]) (stream as { unref?: () => void } | null)?.unref?.();
  child.stdout?.resume();
  child.stderr?.on('data', (chunk: Buffer) => {
    tail = (tail + chunk.toString()).slice(-STDERR_TAIL_CHARS);
  });
  return () => tail;
}

async function waitUntilReady(
  config: LocalClientConfig & { endpoint: string },
  child: ChildProcess,
  stderr: () => string,
): Promise<void> {
  const { endpoint } = config;
  let failure: Error | undefined;
  child.once('error', (error: NodeJS.ErrnoException) => {
    failure = error.code === 'ENOENT' ? new JavaMissingError() : error;
  });
  child.once('exit', (code) => {
    failure ??= new Error(`DynamoDB Local exited with code ${code} before it was ready: ${stderr()}`);
  });

  // Loaded only now, while java boots: importing this module stays cheap (runtime/start.ts).
  const { DynamoDBClient, ListTablesCommand } = await import('@aws-sdk/client-dynamodb');
  const client = new DynamoDBClient({ ...config, maxAttempts: 1 });
  const deadline = Date.now() + READY_TIMEOUT_MS;
  try {
    while (Date.now() < deadline) {
      if (failure) throw failure;
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        return;
      } catch {
        await sleep(READY_POLL_MS);
      }
    }
    throw failure ?? new Error(`DynamoDB Local did not answer on ${endpoint} within ${READY_TIMEOUT_MS} ms`);
  } finally {
    client.destroy();
  }
}

async function terminate(child: ChildProcess, exited: Promise<void>): Promise<void> {
  // No pid: java was never started (ENOENT), so there is nothing to stop.
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  if (!(await settlesWithin(exited, STOP_GRACE_MS))) {
    child.kill('SIGKILL');
    await exited;
  }
}
