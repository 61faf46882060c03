/**
 * What a run of the embedded runtime leaves in DATA_DIR/run.json so that the next start on the same
 * DATA_DIR can find the leftovers of a crash: the namespace prefix of its gateway hosts and its own
 * pid. Only what this DATA_DIR's runs created is ever removed; other runtimes on the machine (other
 * DATA_DIRs, other prefixes) are never touched.
 */
import { readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
// Not ./hosts: npm start's entry loads this before the heavy modules (runtime/start.ts).
import { removeNamespaces } from './hosts/namespaces';
import type { RuntimeLog } from './runtime-log';

export interface RunRecord {
  pid: number;
  /** Every namespace of the run's gateway hosts starts with `<prefix>-`. */
  hostPrefix: string;
  startedAt: string;
}

const RECORD_FILE = 'run.json';

export class DataDirInUseError extends Error {
  override readonly name = 'DataDirInUseError';
}

function readRecord(dataDir: string): RunRecord | undefined {
  try {
    return JSON.parse(readFileSync(join(dataDir, RECORD_FILE), 'utf8')) as RunRecord;
  } catch {
    return undefined;
  }
}

/** True while process `pid` exists (signal 0 checks without sending). */
export const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Command line of `pid` as its arguments (Linux /proc); empty when unreadable. */
const argsOf = (pid: number): string[] => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return [];
  }
};

/**
 * DynamoDB Local processes serving this DATA_DIR's database (java … -dbPath <DATA_DIR>/dynamodb):
 * a crashed run's stray instance holds its files. Others (other DATA_DIRs) are not ours.
 */
export function strayDynamoDbPids(dataDir: string): number[] {
  if (process.platform !== 'linux') return [];
  const dbPath = resolve(dataDir, 'dynamodb');
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((pid) => pid !== process.pid)
    .filter((pid) => {
      const args = argsOf(pid);
      const at = args.indexOf('-dbPath');
      return at >= 0 && args[at + 1] !== undefined && resolve(args[at + 1] as string) === dbPath;
    });
}

/** What a start removed of a crashed run: stray DynamoDB Local processes, gateway namespaces. */
export interface CrashLeftovers {
  dynamoDbLocalPids: number[];
  namespaces: string[];
}

/**
 * Before a start on `dataDir`: refuses when a live runtime still uses it, else removes what a
 * crashed run left (its gateway namespaces and the processes in them, a stray DynamoDB Local).
 * Returns what was removed, for the start's notice (reportCrashLeftovers).
 */
export async function removeCrashLeftovers(dataDir: string): Promise<CrashLeftovers> {
  const previous = readRecord(dataDir);
  if (
    previous &&
    previous.pid !== process.pid &&
    isAlive(previous.pid) &&
    argsOf(previous.pid).some((a) => /node|tsx/.test(a))
  ) {
    throw new DataDirInUseError(`DATA_DIR ${dataDir} is in use by the runtime with pid ${previous.pid}`);
  }
  const dynamoDbLocalPids: number[] = [];
  for (const pid of strayDynamoDbPids(dataDir)) {
    try {
      process.kill(pid, 'SIGKILL');
      dynamoDbLocalPids.push(pid);
    } catch {
      // Already gone.
    }
  }
  const namespaces = previous?.hostPrefix ? await removeNamespaces(previous.hostPrefix) : [];
  return { dynamoDbLocalPids, namespaces };
}

/** The start's notice of what it removed, when a crashed run left anything (README, "Logs"). */
export function reportCrashLeftovers(log: RuntimeLog, removed: CrashLeftovers): void {
  if (removed.dynamoDbLocalPids.length === 0 && removed.namespaces.length === 0) return;
  log.warn('removed what a crashed run left', { ...removed });
}

export function writeRunRecord(dataDir: string, record: RunRecord): void {
  const path = join(dataDir, RECORD_FILE);
  writeFileSync(`${path}.tmp`, JSON.stringify(record));
  renameSync(`${path}.tmp`, path);
}

/** A clean stop leaves nothing to clean up. */
export function clearRunRecord(dataDir: string): void {
  rmSync(join(dataDir, RECORD_FILE), { force: true });
}
