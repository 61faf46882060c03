/** The DynamoDB Local launcher of the embedded runtime and the tests. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { ensureTable } from '../../lambdas/adapters/dynamodb/schema';
import { JavaMissingError, LOCAL_CLIENT_CONFIG, startDynamoDbLocal } from '../../runtime/dynamodb-local';

const tableNames = async (endpoint: string): Promise<string[]> => {
  const client = new DynamoDBClient({ ...LOCAL_CLIENT_CONFIG, endpoint, maxAttempts: 1 });
  try {
    return (await client.send(new ListTablesCommand({}))).TableNames ?? [];
  } finally {
    client.destroy();
  }
};

describe('startDynamoDbLocal', () => {
  it('keeps tables under dataDir across restarts and stops listening once stopped', async () => {
    // Prepare
    const dataDir = await mkdtemp(join(tmpdir(), 'ddb-local-'));
    try {
      const first = await startDynamoDbLocal({ dataDir });
      const client = new DynamoDBClient({ ...LOCAL_CLIENT_CONFIG, endpoint: first.endpoint });
      await ensureTable(client, 'kept');
      client.destroy();
      await first.stop();

      // Act
      const second = await startDynamoDbLocal({ dataDir });
      const tables = await tableNames(second.endpoint);
      await second.stop();

      // Assess
      expect(tables).toEqual(['kept']);
      await expect(tableNames(second.endpoint)).rejects.toThrow();
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('says Java 17+ is needed when java is not on PATH', async () => {
    // Prepare
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';

    // Act
    const start = startDynamoDbLocal();

    // Assess
    try {
      await expect(start).rejects.toBeInstanceOf(JavaMissingError);
      await expect(start).rejects.toThrow(/Java 17\+.*apt-get install openjdk-17-jre-headless/);
    } finally {
      process.env.PATH = path;
    }
  });
});
