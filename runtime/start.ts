/**
 * `npm start`'s entry (package.json): removes what a crashed run on DATA_DIR left, starts DynamoDB
 * Local, and only then loads the runtime's modules, so java boots while they load (bench section
 * 8, from the command to /health 200); runtime/main takes the starting DynamoDB Local over.
 * `tsx runtime/main.ts` still works, one step after the other.
 */
import './polyfills';
import { join, resolve } from 'node:path';
import { prepareDataDir } from './data-dir';
import { startDynamoDbLocal } from './dynamodb-local';
import { localEnv } from './local-env';
import { removeCrashLeftovers } from './run-record';
import { readRuntimeSettings } from './settings';

async function start(): Promise<void> {
  // A mistyped setting fails here, before java is started for nothing.
  readRuntimeSettings({});
  const dataDir = resolve(localEnv.localDataDir());
  // Before run.json is read: a DATA_DIR that is not this user's alone is refused (runtime/data-dir.ts).
  await prepareDataDir(dataDir);
  // Reported by runtime/main, through the runtime's log (README, "Logs"), once its modules are loaded.
  const crashLeftovers = await removeCrashLeftovers(dataDir);
  const dynamoDbLocal =
    localEnv.localStorage() === 'memory'
      ? undefined
      : startDynamoDbLocal({ dataDir: join(dataDir, 'dynamodb'), quickStart: true });
  // Its failure is reported by runtime/main once it awaits it, not as an unhandled rejection meanwhile.
  dynamoDbLocal?.catch(() => {});
  const { runFromCommandLine } = await import('./main');
  runFromCommandLine({ dynamoDbLocal, crashLeftovers });
}

start().catch((error: Error) => {
  process.stderr.write(`Failed to start: ${error.message}\n`);
  process.exit(1);
});
