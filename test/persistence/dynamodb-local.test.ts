/** The DynamoDB Local launcher of the embedded runtime and the tests. */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
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

/** Local addresses of the TCP listeners on `port`, as `ss -ltn` prints them (`*` for every interface). */
async function listeningAddresses(port: string): Promise<string[]> {
  const { stdout } = await promisify(execFile)('ss', ['-ltnH', `sport = :${port}`]).catch((error: Error) => {
    throw new Error(`This test needs ss (Debian package iproute2): ${error.message}`);
  });
  return stdout
    .split('\n')
    .filter((line) => line.trim().length > 0)
    .map((line) => {
      const local = line.trim().split(/\s+/)[3] ?? '';
      return local.slice(0, local.lastIndexOf(':'));
    });
}

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

  it('listens on the loopback address only (it accepts any credentials)', async () => {
    // Prepare
    const local = await startDynamoDbLocal();
    try {
      const port = new URL(local.endpoint).port;
      // Act
      const listening = await listeningAddresses(port);
      // Assess: java reports IPv4 listeners as IPv4-mapped IPv6 addresses
      expect(listening.length).toBeGreaterThan(0);
      for (const address of listening) expect(address).toMatch(/^(\[::ffff:)?127\.0\.0\.1\]?$/);
    } finally {
      await local.stop();
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
