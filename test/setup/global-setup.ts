/**
 * What the whole jest run shares, started before jest starts its workers (they inherit the
 * environment set here) and ended by global-teardown.ts (docs/DECISIONS.md, "Test time"):
 * - one temporary folder: TMPDIR points into it, so every mkdtemp of the tests, and of the
 *   runtimes, scripts and DynamoDB Locals they start, lands there and goes at the end, even where
 *   a test fails before its own cleanup;
 * - one DynamoDB Local for every suite that uses `useDynamoDb()`, each on a table of its own
 *   (test/support/dynamodb.ts): a JVM start and its JIT warm-up once, not once per suite.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DynamoDbLocal, JavaMissingError, startDynamoDbLocal } from '../../runtime/dynamodb-local';

export const SHARED_DYNAMODB_ENDPOINT = 'VPG_TEST_DYNAMODB_ENDPOINT';
/** The only access key id it answers (docs/SECURITY.md, "The local runtime"): in the workers' environment, never on disk. */
export const SHARED_DYNAMODB_ACCESS_KEY_ID = 'VPG_TEST_DYNAMODB_ACCESS_KEY_ID';
export const TEMP_ROOT = 'VPG_TEST_TEMP_ROOT';

/** Read back by global-teardown.ts, which jest runs in this same process (not in a worker). */
export const shared = globalThis as { vpgSharedDynamoDb?: DynamoDbLocal };

/** Removes the run's temporary folder; one that cannot be removed is named, not hidden. */
export function removeTempRoot(): void {
  const root = process.env[TEMP_ROOT];
  if (!root) return;
  try {
    rmSync(root, { recursive: true, force: true, maxRetries: 3 });
  } catch (error) {
    process.stderr.write(`\nCould not remove the test run's temporary folder ${root}: ${String(error)}\n`);
  }
}

export default async function globalSetup(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'vpg-jest-'));
  process.env[TEMP_ROOT] = root;
  process.env.TMPDIR = root;
  // Stopped by a signal, jest runs no teardown. Leaving through process.exit runs the 'exit' hook
  // that kills DynamoDB Local (runtime/dynamodb-local.ts); the folder goes here.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      removeTempRoot();
      process.exit(128 + constants.signals[signal]);
    });
  }
  // The quick JIT tier, as npm start runs it: the optimising compiler's threads cost a 2-core
  // machine more CPU than the suites' requests gain from them.
  try {
    shared.vpgSharedDynamoDb = await startDynamoDbLocal({ quickStart: true });
  } catch (error) {
    // Then useDynamoDb starts one of its own in each DynamoDB suite, which fails naming what went
    // wrong (no Java, say); the other suites still run, and the teardown still runs.
    if (!(error instanceof JavaMissingError)) {
      process.stderr.write(`\nThe shared DynamoDB Local did not start: ${String(error)}\n`);
    }
    return;
  }
  process.env[SHARED_DYNAMODB_ENDPOINT] = shared.vpgSharedDynamoDb.endpoint;
  process.env[SHARED_DYNAMODB_ACCESS_KEY_ID] = shared.vpgSharedDynamoDb.clientConfig.credentials.accessKeyId;
}
