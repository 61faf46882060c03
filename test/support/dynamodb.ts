/**
 * DynamoDB Local for a test file: call `useDynamoDb()` at the top level of a describe (or file).
 * beforeAll starts one in-memory DynamoDB Local and creates a table with a unique name; afterAll
 * stops it (no java process is left behind). Accessors are functions because the values exist
 * only once beforeAll has run.
 *
 *   const db = useDynamoDb();
 *   beforeEach(() => provideDependencies({ repository: db.repository() }));
 *
 * Handlers that build their own clients from the environment can use `db.endpoint()` and
 * `db.tableName` as AWS_ENDPOINT_URL_DYNAMODB and TABLE_NAME (credentials: LOCAL_CLIENT_CONFIG).
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../../lambdas/adapters/dynamodb/client';
import { DynamoRepository, type DynamoRepositoryOptions } from '../../lambdas/adapters/dynamodb/repository';
import { ensureTable } from '../../lambdas/adapters/dynamodb/schema';
import { type DynamoDbLocal, LOCAL_CLIENT_CONFIG, startDynamoDbLocal } from '../../runtime/dynamodb-local';

export interface DynamoDbFixture {
  /** A repository on the test table (a new one per call, sharing the client). */
  repository(options?: DynamoRepositoryOptions): DynamoRepository;
  documentClient(): DynamoDBDocumentClient;
  client(): DynamoDBClient;
  tableName: string;
  endpoint(): string;
}

/** Java start-up plus table creation; generous because CI machines can be slow. */
const START_TIMEOUT_MS = 120_000;
const MAX_SOCKETS = 256;

export function useDynamoDb(): DynamoDbFixture {
  const tableName = `test-${randomUUID()}`;
  let local: DynamoDbLocal | undefined;
  let client: DynamoDBClient | undefined;
  let documents: DynamoDBDocumentClient | undefined;

  const started = <T>(value: T | undefined): T => {
    if (value === undefined)
      throw new Error('useDynamoDb: DynamoDB Local is not started yet (use it inside a test)');
    return value;
  };

  beforeAll(async () => {
    // The quick JIT tier, as npm start runs it: the optimising compiler's threads cost a 2-core
    // machine more CPU than a suite's few thousand requests gain from it (docs/DECISIONS.md, "Test time").
    local = await startDynamoDbLocal({ quickStart: true });
    client = new DynamoDBClient({
      ...LOCAL_CLIENT_CONFIG,
      endpoint: local.endpoint,
      // Concurrency tests fire hundreds of requests at once; the default pool of 50 only queues them.
      requestHandler: { httpAgent: { maxSockets: MAX_SOCKETS } },
    });
    documents = createDocumentClient(client);
    await ensureTable(client, tableName);
  }, START_TIMEOUT_MS);

  afterAll(async () => {
    client?.destroy();
    await local?.stop();
  });

  return {
    repository: (options) => new DynamoRepository(started(documents), tableName, options),
    documentClient: () => started(documents),
    client: () => started(client),
    tableName,
    endpoint: () => started(local).endpoint,
  };
}
