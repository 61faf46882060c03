/** The DynamoDB Local launcher of the embedded runtime and the tests. */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { ensureTable } from '../../lambdas/adapters/dynamodb/schema';
import {
  type DynamoDbLocal,
  JavaMissingError,
  localClientConfig,
  startDynamoDbLocal,
} from '../../runtime/dynamodb-local';

const tableNames = async (local: DynamoDbLocal): Promise<string[]> => {
  const client = new DynamoDBClient({ ...local.clientConfig, endpoint: local.endpoint, maxAttempts: 1 });
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
  it('keeps tables under dataDir across restarts, with a new access key id, and stops listening once stopped', async () => {
    // Prepare
    const dataDir = await mkdtemp(join(tmpdir(), 'ddb-local-'));
    try {
      const first = await startDynamoDbLocal({ dataDir });
      const client = new DynamoDBClient({ ...first.clientConfig, endpoint: first.endpoint });
      await ensureTable(client, 'kept');
      client.destroy();
      await first.stop();

      // Act
      const second = await startDynamoDbLocal({ dataDir });
      const tables = await tableNames(second);
      await second.stop();

      // Assess
      expect(tables).toEqual(['kept']);
      await expect(tableNames(second)).rejects.toThrow();
      expect(second.clientConfig.credentials.accessKeyId).not.toBe(
        first.clientConfig.credentials.accessKeyId,
      );
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('listens on the loopback address only', async () => {
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

  it('answers only the access key id drawn at its start, which its command line does not show', async () => {
    // Prepare: another account on the machine knows the port (ps shows it), not the key id.
    const local = await startDynamoDbLocal();
    const foreign = new DynamoDBClient({
      ...localClientConfig('AKIDANOTHERLOCALUSER'),
      endpoint: local.endpoint,
      maxAttempts: 1,
    });
    try {
      // Act
      const refused = await foreign.send(new ListTablesCommand({})).catch((error: Error) => error);
      const unsigned = await fetch(local.endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-amz-json-1.0',
          'x-amz-target': 'DynamoDB_20120810.ListTables',
        },
        body: '{}',
      });
      const own = await tableNames(local);

      // Assess
      expect(refused).toMatchObject({
        name: 'UnrecognizedClientException',
        $metadata: { httpStatusCode: 400 },
      });
      expect(unsigned.status).toBe(400);
      expect(own).toEqual([]);
      const keyId = local.clientConfig.credentials.accessKeyId;
      expect(keyId).toMatch(/^[0-9a-f]{32}$/);
      expect(commandLineOf(local)).toContain(`-port\0${new URL(local.endpoint).port}`);
      expect(commandLineOf(local)).not.toContain(keyId);
    } finally {
      foreign.destroy();
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

/** The java command line of `local`, as every account reads it (/proc/<pid>/cmdline, NUL-separated). */
function commandLineOf(local: DynamoDbLocal): string {
  const port = `-port\0${new URL(local.endpoint).port}\0`;
  for (const pid of readdirSync('/proc').filter((entry) => /^[0-9]+$/.test(entry))) {
    try {
      const line = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (line.includes('LoopbackDynamoDbLocal') && line.includes(port)) return line;
    } catch {
      // A process that ended meanwhile.
    }
  }
  throw new Error(`No java process with ${port} found`);
}
