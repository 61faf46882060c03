import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteCommand, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { silentLog } from '../../runtime/runtime-log';
import { type StreamPoller, startStreamPoller } from '../../runtime/stream-poller';
import { useDynamoDb } from '../support/dynamodb';
import { captureOutputLines, type LogLine, recordingLog } from '../support/log-lines';

const db = useDynamoDb();

describe('stream poller', () => {
  const batches: DynamoDBRecord[][] = [];
  const { log, lines: logs } = recordingLog();
  let respond: (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse | undefined> = async () =>
    undefined;
  let poller: StreamPoller;

  beforeAll(async () => {
    poller = startStreamPoller({
      endpoint: db.endpoint(),
      credentials: db.clientConfig().credentials,
      tableName: db.tableName,
      intervalMs: 20,
      log,
      handler: async (event) => {
        batches.push(event.Records);
        return respond(event);
      },
    });
    // The table is new: one quiet cycle means the poller has read its (empty) stream.
    await poller.idle();
  });

  afterAll(() => poller.stop());

  beforeEach(() => {
    batches.length = 0;
    logs.length = 0;
    respond = async () => undefined;
  });

  const sortKeysOf = (records: DynamoDBRecord[]) => records.map((r) => r.dynamodb?.Keys?.sk?.S);
  const put = (pk: string, sk: string, extra: Record<string, unknown> = {}) =>
    db.documentClient().send(new PutCommand({ TableName: db.tableName, Item: { pk, sk, ...extra } }));
  /** One transaction: its records reach the stream together, so they arrive in one batch. */
  const putTogether = (pk: string, sortKeys: string[]) =>
    db.documentClient().send(
      new TransactWriteCommand({
        TransactItems: sortKeys.map((sk) => ({ Put: { TableName: db.tableName, Item: { pk, sk } } })),
      }),
    );

  it('delivers inserts, modifications and removals as Lambda receives them, in order', async () => {
    // Prepare
    const pk = 'POLLER#shape';

    // Act
    await put(pk, 'a', { n: 1, blob: new Uint8Array([1, 2, 3]) });
    await put(pk, 'a', { n: 2 });
    await db.documentClient().send(new DeleteCommand({ TableName: db.tableName, Key: { pk, sk: 'a' } }));
    await poller.idle();

    // Assess
    const records = batches.flat();
    expect(records.map((r) => r.eventName)).toEqual(['INSERT', 'MODIFY', 'REMOVE']);
    const [inserted, modified, removed] = records;
    expect(inserted).toMatchObject({
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: 'us-east-1',
      eventID: expect.any(String),
      eventSourceARN: expect.stringContaining(db.tableName),
      dynamodb: {
        Keys: { pk: { S: pk }, sk: { S: 'a' } },
        NewImage: { pk: { S: pk }, sk: { S: 'a' }, n: { N: '1' }, blob: { B: 'AQID' } },
        StreamViewType: 'NEW_AND_OLD_IMAGES',
        SequenceNumber: expect.any(String),
        SizeBytes: expect.any(Number),
        ApproximateCreationDateTime: expect.any(Number),
      },
    });
    expect(inserted?.dynamodb).not.toHaveProperty('OldImage');
    expect(modified?.dynamodb?.OldImage?.n).toEqual({ N: '1' });
    expect(modified?.dynamodb?.NewImage?.n).toEqual({ N: '2' });
    expect(removed?.dynamodb?.OldImage?.n).toEqual({ N: '2' });
    expect(removed?.dynamodb).not.toHaveProperty('NewImage');
  });

  it('re-delivers from the first failed record of a partial batch response, not before it', async () => {
    // Prepare
    let failedOnce = false;
    respond = async (event) => {
      const second = event.Records.find((r) => r.dynamodb?.Keys?.sk?.S === 'r2');
      if (failedOnce || !second) return undefined;
      failedOnce = true;
      return { batchItemFailures: [{ itemIdentifier: second.dynamodb?.SequenceNumber ?? '' }] };
    };

    // Act
    await putTogether('POLLER#partial', ['r1', 'r2', 'r3']);
    await poller.idle();

    // Assess
    expect(batches.map(sortKeysOf)).toEqual([
      ['r1', 'r2', 'r3'],
      ['r2', 'r3'],
    ]);
    expect(logs).toContainEqual(
      expect.objectContaining({
        level: 'WARN',
        message: 'stream poll failed',
        errorName: 'DeliveryFailed',
        errorMessage: expect.stringContaining('will be re-delivered'),
        retryInMs: expect.any(Number),
      }),
    );
  });

  it('re-delivers the whole batch when the handler throws', async () => {
    // Prepare
    let thrown = false;
    respond = async () => {
      if (thrown) return undefined;
      thrown = true;
      throw new Error('handler crashed');
    };

    // Act
    await putTogether('POLLER#throw', ['t1', 't2']);
    await poller.idle();

    // Assess
    expect(batches.map(sortKeysOf)).toEqual([
      ['t1', 't2'],
      ['t1', 't2'],
    ]);
    expect(logs).toContainEqual(
      expect.objectContaining({
        level: 'ERROR',
        message: 'stream handler threw',
        records: 2,
        errorName: 'Error',
        errorMessage: 'handler crashed',
      }),
    );
  });

  it('writes its failure notices as JSON lines in the handlers\' shape (README, "Logs")', async () => {
    // Prepare: a poller of its own with the runtime's log, whose handler throws once.
    let thrown = false;
    const own = () =>
      startStreamPoller({
        endpoint: db.endpoint(),
        credentials: db.clientConfig().credentials,
        tableName: db.tableName,
        intervalMs: 20,
        handler: async () => {
          if (thrown) return;
          thrown = true;
          throw new TypeError('handler crashed once');
        },
      });

    // Act
    const output = await captureOutputLines(async () => {
      const started = own();
      await putTogether('POLLER#notice', ['n1']);
      await started.idle();
      await started.stop();
    });

    // Assess: nothing but JSON lines, the failure among them with its fields.
    expect(output.filter((line) => !line.startsWith('{'))).toEqual([]);
    const lines = output.map((line) => JSON.parse(line) as LogLine);
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 'ERROR',
        message: 'stream handler threw',
        timestamp: expect.any(String),
        service: expect.any(String),
        component: 'runtime',
        errorName: 'TypeError',
        errorMessage: 'handler crashed once',
      }),
    );
  });

  it('stops cleanly and resolves idle() once stopped', async () => {
    // Prepare
    const own = startStreamPoller({
      endpoint: db.endpoint(),
      credentials: db.clientConfig().credentials,
      tableName: db.tableName,
      handler: async () => undefined,
    });

    // Act
    await own.stop();

    // Assess
    await expect(own.idle()).resolves.toBeUndefined();
  });
});

describe('stream poller position across a restart', () => {
  it('delivers after a restart what was written while it was down, and nothing twice', async () => {
    // Prepare: a poller that keeps its position in a file has delivered one record, then stops.
    const dir = mkdtempSync(join(tmpdir(), 'stream-position-'));
    const positionFile = join(dir, 'position.json');
    const pk = `POLLER#restart-${Date.now()}`;
    const delivered: (string | undefined)[] = [];
    const startPoller = () =>
      startStreamPoller({
        endpoint: db.endpoint(),
        credentials: db.clientConfig().credentials,
        tableName: db.tableName,
        intervalMs: 20,
        positionFile,
        log: silentLog,
        handler: async (event) => {
          for (const record of event.Records) {
            if (record.dynamodb?.Keys?.pk?.S === pk) delivered.push(record.dynamodb?.Keys?.sk?.S);
          }
        },
      });
    const first = startPoller();
    await first.idle();
    await db.documentClient().send(new PutCommand({ TableName: db.tableName, Item: { pk, sk: 'before' } }));
    await first.idle();
    await first.stop();

    // Act: a record written while no poller runs, then a new poller on the same file.
    await db.documentClient().send(new DeleteCommand({ TableName: db.tableName, Key: { pk, sk: 'before' } }));
    const second = startPoller();
    await second.idle();
    await second.stop();
    rmSync(dir, { recursive: true, force: true });

    // Assess: the removal reached the handler once, the earlier insert was not replayed.
    expect(delivered).toEqual(['before', 'before']);
  });
});

/**
 * DynamoDB Local behind a proxy that lets a test act just before the poller's next GetRecords
 * (write something, or answer with an expired iterator, as after a stall) and hold its next
 * GetShardIterator until the test lets it through.
 */
async function streamsProxy(target: string) {
  let beforeNextRead: (() => Promise<'forward' | 'expire'>) | undefined;
  let iteratorGate: Promise<void> = Promise.resolve();
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const operation = String(request.headers['x-amz-target'] ?? '').split('.')[1];
    if (operation === 'GetRecords' && beforeNextRead) {
      const hook = beforeNextRead;
      beforeNextRead = undefined;
      if ((await hook()) === 'expire') {
        response.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' });
        response.end(JSON.stringify({ __type: 'ExpiredIteratorException', message: 'Iterator expired' }));
        return;
      }
    }
    if (operation === 'GetShardIterator') await iteratorGate;
    const headers = Object.fromEntries(
      Object.entries(request.headers).filter(([name]) => !['host', 'connection'].includes(name)),
    ) as Record<string, string>;
    const answer = await fetch(`${target}${request.url ?? '/'}`, {
      method: request.method,
      headers,
      body: Buffer.concat(chunks),
    });
    response.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? '' });
    response.end(Buffer.from(await answer.arrayBuffer()));
  });
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    /** Runs `act` before the next GetRecords is answered; resolves once it ran. */
    beforeNextRead(act: () => Promise<'forward' | 'expire'>): Promise<void> {
      return new Promise((ran) => {
        beforeNextRead = () => act().finally(ran);
      });
    },
    /** Holds every GetShardIterator until the returned function is called. */
    holdIterators(): () => void {
      let release: () => void = () => {};
      iteratorGate = new Promise((open) => {
        release = open;
      });
      return () => release();
    },
    close: () => new Promise<void>((closed) => server.close(() => closed())),
  };
}

describe('stream poller: nothing written after start is skipped', () => {
  const putItem = (pk: string, sk: string) =>
    db.documentClient().send(new PutCommand({ TableName: db.tableName, Item: { pk, sk } }));
  const pollerThrough = (endpoint: string, pk: string, delivered: (string | undefined)[]) =>
    startStreamPoller({
      endpoint,
      credentials: db.clientConfig().credentials,
      tableName: db.tableName,
      intervalMs: 20,
      log: silentLog,
      handler: async (event) => {
        for (const record of event.Records) {
          if (record.dynamodb?.Keys?.pk?.S === pk) delivered.push(record.dynamodb?.Keys?.sk?.S);
        }
      },
    });

  it('delivers a record written after start, before the poller first read its shard', async () => {
    // Prepare: a shard that already holds a record when the poller starts.
    const proxy = await streamsProxy(db.endpoint());
    const pk = `POLLER#early-${Date.now()}`;
    await putItem(pk, 'before-start');
    const delivered: (string | undefined)[] = [];
    const firstRead = proxy.beforeNextRead(async () => {
      await putItem(pk, 'after-start');
      return 'forward';
    });

    // Act: a record is written after start, just before the poller's first GetRecords.
    const poller = pollerThrough(proxy.endpoint, pk, delivered);
    await firstRead;
    await poller.idle();
    await poller.stop();
    await proxy.close();

    // Assess: what the shard held at start is delivered again (the cascade is idempotent).
    expect(delivered).toEqual(['before-start', 'after-start']);
  });

  it('delivers what was written while it fetched a new iterator, before any record reached it', async () => {
    // Prepare: a poller that has read its shard, and delivered nothing of this key yet.
    const proxy = await streamsProxy(db.endpoint());
    const pk = `POLLER#lost-${Date.now()}`;
    const delivered: (string | undefined)[] = [];
    const poller = pollerThrough(proxy.endpoint, pk, delivered);
    await poller.idle();

    // Act: its iterator expires; a record is written before it has a new one.
    const release = proxy.holdIterators();
    await proxy.beforeNextRead(async () => 'expire');
    await putItem(pk, 'during');
    release();
    await poller.idle();
    await poller.stop();
    await proxy.close();

    // Assess
    expect(delivered).toEqual(['during']);
  });
});
