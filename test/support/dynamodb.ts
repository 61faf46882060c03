/**
 * DynamoDB Local for a test file: call `useDynamoDb()` at the top level of a describe (or file).
 * beforeAll creates a table with a unique name on the run's shared in-memory DynamoDB Local
 * (test/setup/global-setup.ts), or on one of its own when jest's global setup did not run;
 * afterAll deletes the table (and stops its own DynamoDB Local: no java process is left behind).
 * Accessors are functions because the values exist only once beforeAll has run.
 *
 *   const db = useDynamoDb();
 *   beforeEach(() => provideDependencies({ repository: db.repository() }));
 *
 * Handlers that build their own clients from the environment can use `db.endpoint()` and
 * `db.tableName` as AWS_ENDPOINT_URL_DYNAMODB and TABLE_NAME, with `db.clientConfig()`'s
 * credentials: DynamoDB Local answers only the key id drawn at its start.
 */
import { randomUUID } from 'node:crypto';
import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../../lambdas/adapters/dynamodb/client';
import { DynamoRepository, type DynamoRepositoryOptions } from '../../lambdas/adapters/dynamodb/repository';
import { ensureTable } from '../../lambdas/adapters/dynamodb/schema';
import {
  type DynamoDbLocal,
  type LocalClientConfig,
  localClientConfig,
  startDynamoDbLocal,
} from '../../runtime/dynamodb-local';
import { SHARED_DYNAMODB_ACCESS_KEY_ID, SHARED_DYNAMODB_ENDPOINT } from '../setup/global-setup';

export interface DynamoDbFixture {
  /** A repository on the test table (a new one per call, sharing the client). */
  repository(options?: DynamoRepositoryOptions): DynamoRepository;
  documentClient(): DynamoDBDocumentClient;
  client(): DynamoDBClient;
  tableName: string;
  endpoint(): string;
  /** Region and the credentials this DynamoDB Local accepts, for a client of its own. */
  clientConfig(): LocalClientConfig;
}

/** Java start-up plus table creation; generous because CI machines can be slow. */
const START_TIMEOUT_MS = 120_000;
const MAX_SOCKETS = 256;

export function useDynamoDb(): DynamoDbFixture {
  const tableName = `test-${randomUUID()}`;
  let local: DynamoDbLocal | undefined;
  let endpoint: string | undefined;
  let config: LocalClientConfig | undefined;
  let client: DynamoDBClient | undefined;
  let documents: DynamoDBDocumentClient | undefined;

  const started = <T>(value: T | undefined): T => {
    if (value === undefined)
      throw new Error('useDynamoDb: DynamoDB Local is not started yet (use it inside a test)');
    return value;
  };

  beforeAll(async () => {
    endpoint = process.env[SHARED_DYNAMODB_ENDPOINT];
    const sharedKeyId = process.env[SHARED_DYNAMODB_ACCESS_KEY_ID];
    if (endpoint && sharedKeyId) {
      config = localClientConfig(sharedKeyId);
    } else {
      // The quick JIT tier, as npm start runs it (docs/DECISIONS.md, "Test time").
      local = await startDynamoDbLocal({ quickStart: true });
      endpoint = local.endpoint;
      config = local.clientConfig;
    }
    client = new DynamoDBClient({
      ...config,
      endpoint,
      // Concurrency tests fire hundreds of requests at once; the default pool of 50 only queues them.
      requestHandler: { httpAgent: { maxSockets: MAX_SOCKETS } },
    });
    documents = createDocumentClient(client);
    await ensureTable(client, tableName);
  }, START_TIMEOUT_MS);

  afterAll(async () => {
    // The shared DynamoDB Local keeps every table in memory until the run ends.
    if (!local) await client?.send(new DeleteTableCommand({ TableName: tableName }));
    client?.destroy();
    await local?.stop();
  });

  return {
    repository: (options) => new DynamoRepository(started(documents), tableName, options),
    documentClient: () => started(documents),
    client: () => started(client),
    tableName,
    endpoint: () => started(endpoint),
    clientConfig: () => started(config),
  };
}
