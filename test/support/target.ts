/**
 * Black-box target of the integration suite: the API over HTTP, bearer tokens, and a way to put
 * gateway events on the bus.
 *
 * - Default: the embedded runtime as a child process, started as `npm start` starts it (minus the
 *   install) with a fresh data directory, a random auth secret, files-only gateway hosts and the
 *   in-memory repository (`VPG_STORAGE=dynamodb` runs the suite on DynamoDB Local instead).
 * - `API_URL` set: an existing deployment (e.g. LocalStack after `npm run deploy:local`), with
 *   tokens in ADMIN_TOKEN, ALICE_TOKEN, BOB_TOKEN and events through EventBridge (AWS_ENDPOINT_URL
 *   honoured) on the stack's bus, GATEWAY_EVENT_BUS (README.md, "Integration suite against LocalStack").
 *
 * Whether the target's gateways apply pushes is a property of the target (`appliesPushes`), never a
 * hope: the suite's gateways have made-up instance ids, which a deployment has no agent behind, so
 * there every push fails. GATEWAYS_APPLY_PUSHES says otherwise; embedded, `false` runs the runtime
 * with VPG_LOCAL_MODE=unmanaged, which answers every command as SSM answers for such an id.
 *
 * The child is always killed: on stop(), on a failed start, and on process exit.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { settlesWithin } from '../../runtime/repeat';
import { mintToken } from '../../runtime/tokens';

export interface EventEntry {
  Source: string;
  DetailType: string;
  Detail: string;
}

export interface Target {
  apiUrl: string;
  /** Its gateways apply what is pushed to them (targetAppliesPushes). */
  appliesPushes: boolean;
  /**
   * A deployment other runs use too (API_URL): each file deletes the gateways it registered, so the
   * per-owner quota does not fill up run after run.
   */
  shared: boolean;
  tokens: { admin: string; alice: string; bob: string };
  /** The `sub` of each token: the ownerId gateways must carry to belong to that user. */
  users: { admin: string; alice: string; bob: string };
  putEvents(entries: EventEntry[]): Promise<void>;
  /** Every secret value the target holds right now (embedded runtime only; [] otherwise). */
  secretValues(): Promise<string[]>;
  stop(): Promise<void>;
}

const REPO_ROOT = resolve(__dirname, '../..');
/** Start-up (DynamoDB Local's Java, when VPG_STORAGE=dynamodb) is slow on loaded machines. */
const READY_TIMEOUT_MS = 120_000;
const STOP_GRACE_MS = 15_000;
const OUTPUT_TAIL_CHARS = 4_000;
const LISTENING = /Listening on (http:\/\/\S+)/;

export const APPLY_PUSHES_VARIABLE = 'GATEWAYS_APPLY_PUSHES';

/**
 * Whether the target's gateways apply pushes: GATEWAYS_APPLY_PUSHES (`true` or `false`), by default
 * true for the embedded runtime and false with API_URL (README.md, "Integration suite against
 * LocalStack"). Read from the environment alone, so a test file can choose its tests by it as it loads.
 */
export function targetAppliesPushes(environment: NodeJS.ProcessEnv = process.env): boolean {
  const raw = environment[APPLY_PUSHES_VARIABLE];
  if (raw === undefined || raw === '') return !environment.API_URL;
  if (raw === 'true' || raw === 'false') return raw === 'true';
  throw new Error(`${APPLY_PUSHES_VARIABLE} must be true or false, got ${JSON.stringify(raw)}`);
}

export interface TargetOptions {
  /** Embedded only: a runtime whose gateways apply no push (VPG_LOCAL_MODE=unmanaged) when false. */
  appliesPushes?: boolean;
}

export async function startTarget(options: TargetOptions = {}): Promise<Target> {
  return process.env.API_URL ? await remoteTarget(process.env.API_URL) : await embeddedTarget(options);
}

/** The `sub` claim of a JWT, read without verification (the target verifies). */
export function subOf(token: string): string {
  const payload = token.split('.')[1];
  if (!payload) throw new Error('Not a JWT');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { sub?: unknown };
  if (typeof claims.sub !== 'string') throw new Error('JWT without a sub claim');
  return claims.sub;
}

async function remoteTarget(apiUrl: string): Promise<Target> {
  const missing = ['ADMIN_TOKEN', 'ALICE_TOKEN', 'BOB_TOKEN'].filter((name) => !process.env[name]);
  if (missing.length > 0) {
    throw new Error(
      `API_URL is set, so the suite needs ${missing.join(', ')} in the environment (bearer tokens)`,
    );
  }
  // The stack's GatewayEventBusName output: the only rule for gateway events is on that bus, so an
  // event put anywhere else (the default bus) is accepted and matches nothing.
  const eventBusName = process.env.GATEWAY_EVENT_BUS;
  if (!eventBusName) {
    throw new Error(
      'API_URL is set, so the suite needs GATEWAY_EVENT_BUS in the environment (the stack output GatewayEventBusName)',
    );
  }
  const tokens = {
    admin: process.env.ADMIN_TOKEN ?? '',
    alice: process.env.ALICE_TOKEN ?? '',
    bob: process.env.BOB_TOKEN ?? '',
  };
  const appliesPushes = targetAppliesPushes();
  const events = new EventBridgeClient({});
  // SDK v3 reads AWS_REGION (not AWS_DEFAULT_REGION): without one, the first event would fail mid-test.
  await events.config.region().catch((error: Error) => {
    events.destroy();
    throw new Error(
      `API_URL is set, so the suite needs AWS_REGION in the environment (the stack's region): ${error.message}`,
    );
  });
  return {
    apiUrl: apiUrl.replace(/\/$/, ''),
    appliesPushes,
    shared: true,
    tokens,
    users: { admin: subOf(tokens.admin), alice: subOf(tokens.alice), bob: subOf(tokens.bob) },
    async putEvents(entries) {
      const result = await events.send(
        new PutEventsCommand({
          Entries: entries.map((entry) => ({ ...entry, EventBusName: eventBusName })),
        }),
      );
      if (result.FailedEntryCount) throw new Error(`PutEvents failed: ${JSON.stringify(result.Entries)}`);
    },
    secretValues: async () => [],
    stop: async () => events.destroy(),
  };
}

function tail(text: string): string {
  return text.length > OUTPUT_TAIL_CHARS ? `…${text.slice(-OUTPUT_TAIL_CHARS)}` : text;
}

/** Signals the child's whole process group (the runtime and what it started), ignoring one gone. */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already exited
  }
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return settlesWithin(new Promise((done) => child.once('exit', done)), timeoutMs);
}

/**
 * `npm start`'s runtime (runtime/main.ts, one Node process) with `env` over this process's, in a
 * process group of its own so a signal to the group reaches its DynamoDB Local and host processes.
 */
export function spawnRuntime(env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'runtime/main.ts'], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  signalGroup(child, 'SIGTERM');
  if (await waitForExit(child, STOP_GRACE_MS)) return;
  signalGroup(child, 'SIGKILL');
  await waitForExit(child, STOP_GRACE_MS);
}

function waitForListening(child: ChildProcess, output: { stdout: string; stderr: string }): Promise<string> {
  return new Promise((resolveUrl, reject) => {
    const timer = setTimeout(
      () =>
        reject(
          new Error(
            `The embedded runtime printed no "Listening on" line within ${READY_TIMEOUT_MS} ms.\n` +
              `stdout:\n${tail(output.stdout)}\nstderr:\n${tail(output.stderr)}`,
          ),
        ),
      READY_TIMEOUT_MS,
    );
    child.stdout?.on('data', () => {
      const match = LISTENING.exec(output.stdout);
      if (match?.[1]) {
        clearTimeout(timer);
        resolveUrl(match[1]);
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(
        new Error(
          `The embedded runtime exited (code ${code}, signal ${signal}) before listening.\n` +
            `stdout:\n${tail(output.stdout)}\nstderr:\n${tail(output.stderr)}`,
        ),
      );
    });
  });
}

const ignoreMissing = (error: NodeJS.ErrnoException): undefined => {
  if (error.code === 'ENOENT') return undefined;
  throw error;
};

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

async function embeddedTarget(options: TargetOptions): Promise<Target> {
  const appliesPushes = options.appliesPushes ?? targetAppliesPushes();
  const dataDir = await mkdtemp(join(tmpdir(), 'vpc-peering-it-'));
  const authSecret = randomBytes(32).toString('base64url');
  const child = spawnRuntime({
    PORT: '0',
    DATA_DIR: dataDir,
    LOCAL_AUTH_SECRET: authSecret,
    VPG_LOCAL_MODE: appliesPushes ? 'files' : 'unmanaged',
    // The in-memory repository: no Java to start; DynamoDB Local keeps its own suites.
    VPG_STORAGE: process.env.VPG_STORAGE ?? 'memory',
    API_WAIT_MS: '8000',
    // One client drives a whole suite as three users: the per-caller throttle would answer 429
    // to the suite's own state checks (it has its own test, test/api/limits.test.ts).
    CALLER_RATE_PER_SECOND: process.env.CALLER_RATE_PER_SECOND ?? '0',
  });
  const killOnExit = () => signalGroup(child, 'SIGKILL');
  process.once('exit', killOnExit);
  const output = { stdout: '', stderr: '' };
  child.stdout?.on('data', (chunk: Buffer) => {
    output.stdout = tail(output.stdout + chunk.toString('utf8'));
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output.stderr = tail(output.stderr + chunk.toString('utf8'));
  });
  const stop = async () => {
    await stopChild(child);
    process.removeListener('exit', killOnExit);
    await rm(dataDir, { recursive: true, force: true });
  };

  let apiUrl: string;
  try {
    apiUrl = await waitForListening(child, output);
  } catch (error) {
    await stop();
    throw error;
  }
  const users = { admin: 'admin', alice: 'alice', bob: 'bob' };
  const tokens = {
    admin: await mintToken(authSecret, { sub: users.admin, groups: ['admin'] }),
    alice: await mintToken(authSecret, { sub: users.alice }),
    bob: await mintToken(authSecret, { sub: users.bob }),
  };
  return {
    apiUrl,
    appliesPushes,
    shared: false,
    tokens,
    users,
    async putEvents(entries) {
      const response = await fetch(`${apiUrl}/local/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tokens.admin}`, 'content-type': 'application/json' },
        body: JSON.stringify({ Entries: entries }),
      });
      const text = await response.text();
      if (response.status !== 200) throw new Error(`POST /local/events answered ${response.status}: ${text}`);
      const result = JSON.parse(text) as { FailedEntryCount?: number };
      if (result.FailedEntryCount) throw new Error(`POST /local/events failed entries: ${text}`);
    },
    async secretValues() {
      const files = await filesUnder(join(dataDir, 'secrets'));
      // A secret deleted between the listing and its read (a delete still running) is no longer one.
      const values = await Promise.all(files.map((file) => readFile(file, 'utf8').catch(ignoreMissing)));
      return values.filter((value) => value !== undefined).map((value) => value.trim());
    },
    stop,
  };
}
