/**
 * The embedded runtime's event source mapping: reads the table's stream on DynamoDB Local and calls
 * a stream handler with the `DynamoDBStreamEvent` Lambda would receive, with Lambda's semantics:
 * records of a shard in order, a shard only after its parent, partial batch responses honoured
 * (re-delivery from the first failed record), failed batches retried with backoff, never skipped.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  type _Record,
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type Shard,
  type ShardIteratorType,
  type AttributeValue as StreamAttributeValue,
} from '@aws-sdk/client-dynamodb-streams';
import type { AttributeValue, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { errorFields, type RuntimeLog, runtimeLog } from './runtime-log';

export interface StreamPollerOptions {
  endpoint: string;
  /** Those its DynamoDB Local accepts (DynamoDbLocal.clientConfig, runtime/dynamodb-local.ts). */
  credentials: { accessKeyId: string; secretAccessKey: string };
  tableName: string;
  // biome-ignore lint/suspicious/noConfusingVoidType: like a Lambda handler, it may return nothing.
  handler: (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse | void>;
  /** Pause between polls once caught up. */
  intervalMs?: number;
  /** Records per handler call (Lambda's default for DynamoDB streams is 100). */
  batchSize?: number;
  /**
   * Where the position is kept across restarts, as the event source mapping keeps it on AWS: after
   * a restart each shard resumes after its last delivered record, and a shard with none recorded
   * is read from its start (a replay is safe: the cascade is idempotent).
   */
  positionFile?: string;
  /** Its failure notices (README, "Logs"); default: the runtime's log. */
  log?: RuntimeLog;
}

export interface StreamPoller {
  /** Ends the loop after the batch in flight; resolves once it has ended. */
  stop(): Promise<void>;
  /** Resolves once every record written before the call has been delivered successfully. */
  idle(): Promise<void>;
}

interface Position {
  type: ShardIteratorType;
  sequenceNumber?: string;
}

interface ShardState {
  id: string;
  parentId: string | undefined;
  position: Position;
  /** Undefined until requested, and again after any error (it may have expired). */
  iterator: string | undefined;
  /** A closed shard read to its end. */
  done: boolean;
}

/** Raised when the handler failed some records; the shard was rewound to the first of them. */
class DeliveryFailed extends Error {
  override readonly name = 'DeliveryFailed';
}

const REGION = 'us-east-1';
const DEFAULT_INTERVAL_MS = 200;
const DEFAULT_BATCH_SIZE = 100;
const MAX_BACKOFF_MS = 5_000;
const REQUEST_TIMEOUT_MS = 10_000;

export function startStreamPoller(options: StreamPollerOptions): StreamPoller {
  const intervalMs = options.intervalMs ?? DEFAULT_INTERVAL_MS;
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const log = options.log ?? runtimeLog;
  // A bounded request time: a hung call would otherwise stall the loop (and idle()) for good.
  const config = {
    endpoint: options.endpoint,
    region: REGION,
    requestHandler: { requestTimeout: REQUEST_TIMEOUT_MS },
    credentials: options.credentials,
  };
  const tables = new DynamoDBClient(config);
  const streams = new DynamoDBStreamsClient(config);
  const abort = new AbortController();

  const shards = new Map<string, ShardState>();
  const saved = options.positionFile ? readSavedPosition(options.positionFile) : undefined;
  let streamArn: string | undefined;
  let cyclesStarted = 0;
  let idleWaiters: { after: number; done: () => void }[] = [];

  async function resolveStreamArn(): Promise<string> {
    if (streamArn) return streamArn;
    const { Table } = await tables.send(new DescribeTableCommand({ TableName: options.tableName }));
    if (!Table?.LatestStreamArn) throw new Error(`Table ${options.tableName} has no stream`);
    streamArn = Table.LatestStreamArn;
    return streamArn;
  }

  /**
   * A shard with no recorded position is read from its start, whether it was there when the
   * poller started or appeared later: records the stream still holds are delivered again rather
   * than risk skipping one (the cascade is idempotent). Neither LATEST nor "read past what is there
   * now" has a safe boundary: an iterator fetched again from LATEST skips what was written
   * meanwhile, and reading past until caught up skips what was written before it caught up
   * (docs/DECISIONS.md, "Embedded runtime").
   */
  async function discoverShards(arn: string): Promise<void> {
    const listed = await listShards(arn);
    // Resuming the same stream after a restart: nothing written while down is skipped.
    const resumed = saved?.streamArn === arn ? saved.shards : undefined;
    for (const shard of listed) {
      if (!shard.ShardId || shards.has(shard.ShardId)) continue;
      const after = resumed?.[shard.ShardId];
      shards.set(shard.ShardId, {
        id: shard.ShardId,
        parentId: shard.ParentShardId,
        position: after ? { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: after } : { type: 'TRIM_HORIZON' },
        iterator: undefined,
        done: false,
      });
    }
  }

  /** Records the last delivered record of every shard (written whole, then renamed). */
  function savePosition(arn: string): void {
    if (!options.positionFile) return;
    const delivered = [...shards.values()].flatMap((shard) =>
      shard.position.type === 'AFTER_SEQUENCE_NUMBER' && shard.position.sequenceNumber
        ? [[shard.id, shard.position.sequenceNumber]]
        : [],
    );
    const position: SavedPosition = { streamArn: arn, shards: Object.fromEntries(delivered) };
    writeFileSync(`${options.positionFile}.tmp`, JSON.stringify(position));
    renameSync(`${options.positionFile}.tmp`, options.positionFile);
  }

  async function listShards(arn: string): Promise<Shard[]> {
    const all: Shard[] = [];
    let start: string | undefined;
    do {
      const { StreamDescription } = await streams.send(
        new DescribeStreamCommand({ StreamArn: arn, ExclusiveStartShardId: start }),
      );
      all.push(...(StreamDescription?.Shards ?? []));
      start = StreamDescription?.LastEvaluatedShardId;
    } while (start);
    return all;
  }

  /** A shard is read only once its parent is read to its end, as Lambda does. */
  function readable(shard: ShardState): boolean {
    if (shard.done) return false;
    const parent = shard.parentId ? shards.get(shard.parentId) : undefined;
    return !parent || parent.done;
  }

  /** One GetRecords on the shard, and one handler call for what it returned. True when it had records. */
  async function pollShard(arn: string, shard: ShardState): Promise<boolean> {
    shard.iterator ??= await iteratorFor(arn, shard);
    let records: _Record[];
    try {
      const page = await streams.send(
        new GetRecordsCommand({ ShardIterator: shard.iterator, Limit: batchSize }),
      );
      records = page.Records ?? [];
      shard.iterator = page.NextShardIterator;
      // No next iterator: the shard is closed and read to its end.
      if (!shard.iterator) shard.done = true;
    } catch (error) {
      shard.iterator = undefined;
      throw error;
    }
    if (records.length === 0) return false;
    await deliver(arn, shard, records);
    return true;
  }

  async function iteratorFor(arn: string, shard: ShardState): Promise<string | undefined> {
    const { ShardIterator } = await streams.send(
      new GetShardIteratorCommand({
        StreamArn: arn,
        ShardId: shard.id,
        ShardIteratorType: shard.position.type,
        SequenceNumber: shard.position.sequenceNumber,
      }),
    );
    return ShardIterator;
  }

  async function deliver(arn: string, shard: ShardState, records: _Record[]): Promise<void> {
    const event: DynamoDBStreamEvent = { Records: records.map((r) => toLambdaRecord(r, arn)) };
    const failedIndex = await failedFrom(event);
    const failed = failedIndex === undefined ? undefined : records[failedIndex];
    const last = records[records.length - 1];
    if (!failed) {
      shard.position = { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: last?.dynamodb?.SequenceNumber };
      savePosition(arn);
      return;
    }
    // Rewind: the next read starts at the first failed record, whatever the batch had after it.
    shard.position = { type: 'AT_SEQUENCE_NUMBER', sequenceNumber: failed.dynamodb?.SequenceNumber };
    shard.iterator = undefined;
    shard.done = false;
    throw new DeliveryFailed(
      `handler failed record ${failed.dynamodb?.SequenceNumber} of shard ${shard.id}; it will be re-delivered`,
    );
  }

  /** Index of the first record to re-deliver, or undefined when the whole batch succeeded. */
  async function failedFrom(event: DynamoDBStreamEvent): Promise<number | undefined> {
    let response: DynamoDBBatchResponse | undefined;
    try {
      response = (await options.handler(event)) ?? undefined;
    } catch (error) {
      log.error('stream handler threw', {
        records: event.Records.length,
        firstSequenceNumber: event.Records[0]?.dynamodb?.SequenceNumber,
        ...errorFields(error),
      });
      return 0;
    }
    const failures = response?.batchItemFailures ?? [];
    if (failures.length === 0) return undefined;
    const sequenceNumbers = event.Records.map((r) => r.dynamodb?.SequenceNumber);
    const indexes = failures.map((f) => (f.itemIdentifier ? sequenceNumbers.indexOf(f.itemIdentifier) : -1));
    // An identifier that names no record of the batch fails the whole batch (Lambda's rule).
    return indexes.includes(-1) ? 0 : Math.min(...indexes);
  }

  async function cycle(): Promise<boolean> {
    const arn = await resolveStreamArn();
    await discoverShards(arn);
    let active = false;
    for (const shard of [...shards.values()].filter(readable)) {
      if (abort.signal.aborted) return true;
      if (await pollShard(arn, shard)) active = true;
    }
    return active;
  }

  async function loop(): Promise<void> {
    let failures = 0;
    while (!abort.signal.aborted) {
      const index = ++cyclesStarted;
      let delay = intervalMs;
      try {
        const active = await cycle();
        failures = 0;
        if (active) delay = 0;
        else settleIdleWaiters(index);
      } catch (error) {
        failures++;
        delay = Math.min(MAX_BACKOFF_MS, intervalMs * 2 ** failures);
        log.warn('stream poll failed', { retryInMs: delay, ...errorFields(error) });
      }
      await sleep(delay, undefined, { signal: abort.signal }).catch(() => undefined);
    }
  }

  /** A quiet cycle that started after idle() was called has seen everything written before it. */
  function settleIdleWaiters(cycleIndex: number): void {
    const ready = idleWaiters.filter((w) => cycleIndex > w.after);
    idleWaiters = idleWaiters.filter((w) => cycleIndex <= w.after);
    for (const waiter of ready) waiter.done();
  }

  const running = loop();

  return {
    async stop() {
      abort.abort();
      await running;
      tables.destroy();
      streams.destroy();
      // Nothing more will be delivered: waiting longer would hang the caller.
      for (const waiter of idleWaiters) waiter.done();
      idleWaiters = [];
    },
    idle() {
      if (abort.signal.aborted) return Promise.resolve();
      return new Promise((done) => idleWaiters.push({ after: cyclesStarted, done }));
    },
  };
}

/** The position file: per shard, the sequence number of its last delivered record. */
interface SavedPosition {
  streamArn: string;
  shards: Record<string, string>;
}

function readSavedPosition(file: string): SavedPosition | undefined {
  try {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as SavedPosition;
    return typeof saved.streamArn === 'string' && typeof saved.shards === 'object' ? saved : undefined;
  } catch {
    return undefined;
  }
}

/** The record as Lambda's event source mapping shapes it (epoch seconds, base64 binaries). */
function toLambdaRecord(record: _Record, streamArn: string): DynamoDBRecord {
  const stream = record.dynamodb;
  const created = stream?.ApproximateCreationDateTime;
  return withoutUndefined({
    eventID: record.eventID,
    eventName: record.eventName,
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: REGION,
    dynamodb: withoutUndefined({
      ApproximateCreationDateTime: created ? Math.floor(created.getTime() / 1000) : undefined,
      Keys: toLambdaImage(stream?.Keys),
      NewImage: toLambdaImage(stream?.NewImage),
      OldImage: toLambdaImage(stream?.OldImage),
      SequenceNumber: stream?.SequenceNumber,
      SizeBytes: stream?.SizeBytes,
      StreamViewType: stream?.StreamViewType,
    }),
    userIdentity: record.userIdentity,
    eventSourceARN: streamArn,
  });
}

function toLambdaImage(image: Record<string, StreamAttributeValue> | undefined) {
  return image && Object.fromEntries(Object.entries(image).map(([k, v]) => [k, toLambdaValue(v)]));
}

function toLambdaValue(value: StreamAttributeValue): AttributeValue {
  if (value.B !== undefined) return { B: Buffer.from(value.B).toString('base64') };
  if (value.BS !== undefined) return { BS: value.BS.map((b) => Buffer.from(b).toString('base64')) };
  if (value.L !== undefined) return { L: value.L.map(toLambdaValue) };
  if (value.M !== undefined) return { M: toLambdaImage(value.M) ?? {} };
  return value as AttributeValue;
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
