/**
 * The table layer under every store: get, put, conditional update and delete, transactions,
 * paging, capacity metering, typed errors and retry. It knows the table's keys and index
 * (schema.ts), nothing of the aggregates.
 *
 * Every request asks for ReturnConsumedCapacity TOTAL and reports it to `onConsumedCapacity`.
 */
import type { AttributeValue, CancellationReason } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { sdkCallBoundMs } from '../sdk-client';
import { cancellationReasons, isConditionalCheckFailure } from './errors';
import type { Key } from './items';
import { type Metered, metered, TOTAL } from './metered';
import { AGAIN, retrying, TRANSIENT_ATTEMPTS, Unprocessed } from './retry';

export interface TableOptions {
  /** Jitter of the retry back-off, and the allocator's candidates; Math.random by default. */
  random?: () => number;
  /** Receives the capacity units of every request (benchmarks, cost logging). */
  onConsumedCapacity?: (units: number) => void;
  /** Attempts of a retried step before giving up with TransientError (lost races). */
  maxAttempts?: number;
  /** Of those, attempts that may end in another TransientError (retry.ts, TRANSIENT_ATTEMPTS). */
  maxTransientAttempts?: number;
  /** Back-off pause; node:timers/promises by default. */
  sleep?: (ms: number) => Promise<unknown>;
}

export type Item = Record<string, unknown>;
export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];
export { AGAIN };

/**
 * Lost races before giving up: each is one quick round trip that failed only because another
 * writer got there first (busy hub: test/persistence/busy-hub.test.ts).
 */
const DEFAULT_MAX_ATTEMPTS = 30;
/**
 * The longest one repository call can take when DynamoDB fails it (throttled, 5xx, hung
 * connection), to keep it well under the api Lambda's 29 s so that the handler answers 503 with
 * Retry-After, not API Gateway a bare 504. TRANSIENT_ATTEMPTS (3) attempts of the step, each ended
 * by one SDK call that fails after its own retry (sdkCallBoundMs: 2 × 1 s request + < 1 s pause =
 * 3 s), their back-off (< 10 + 20 ms), and one clean-up call after giving up (addRoadWarrior's
 * cancelled reservation, 3 s): 3 × 3 + 3 ≈ 12 s. Calls of the step that succeed before the failing
 * one each add at most their own bound; lost races add round trips of milliseconds; a batch's rounds
 * that left items unprocessed but made progress add a round trip and a pause of at most 500 ms each
 * (retry.ts), and there are at most as many as the batch's items.
 */
export const repositoryCallBoundMs = (): number =>
  TRANSIENT_ATTEMPTS * sdkCallBoundMs('DYNAMODB') + sdkCallBoundMs('DYNAMODB');
const BATCH_WRITE_LIMIT = 25;
const BATCH_GET_LIMIT = 100;

export class Table {
  readonly random: () => number;
  readonly onConsumedCapacity: (units: number) => void;
  private readonly maxAttempts: number;
  private readonly maxTransientAttempts: number | undefined;
  private readonly sleep: TableOptions['sleep'];

  constructor(
    readonly client: DynamoDBDocumentClient,
    readonly name: string,
    options: TableOptions = {},
  ) {
    this.random = options.random ?? Math.random;
    this.onConsumedCapacity = options.onConsumedCapacity ?? (() => {});
    this.maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    this.maxTransientAttempts = options.maxTransientAttempts;
    this.sleep = options.sleep;
  }

  /** Runs `step` until it returns something other than AGAIN (retry.ts). */
  retrying<T>(label: string, step: () => Promise<T | typeof AGAIN>): Promise<T> {
    return retrying(label, step, {
      maxAttempts: this.maxAttempts,
      maxTransientAttempts: this.maxTransientAttempts,
      random: this.random,
      sleep: this.sleep,
    });
  }

  // ---- single items ---------------------------------------------------------------------------

  async get(key: Key): Promise<Item | undefined> {
    const output = await this.run(() =>
      this.client.send(new GetCommand({ ...TOTAL, TableName: this.name, Key: key, ConsistentRead: true })),
    );
    return output.Item;
  }

  async put(item: object, condition?: string, values?: Record<string, unknown>): Promise<void> {
    await this.run(() =>
      this.client.send(
        new PutCommand({
          ...TOTAL,
          TableName: this.name,
          Item: item as Item,
          ConditionExpression: condition,
          ExpressionAttributeValues: values,
        }),
      ),
    );
  }

  /** Puts `item` unless a stored one fails `newer` (then the stored one stays: false). */
  async putIfNewer(item: Item, newer: string, values: Record<string, unknown>): Promise<boolean> {
    try {
      await this.put(item, `attribute_not_exists(pk) OR ${newer}`, values);
      return true;
    } catch (error) {
      if (!isConditionalCheckFailure(error)) throw error;
      return false;
    }
  }

  /**
   * Puts `item` when its key is free: undefined when written, otherwise the item in the way as
   * DynamoDB returns it (ALL_OLD on the failed condition, no extra read).
   */
  async putIfAbsent(item: Item): Promise<Record<string, AttributeValue> | undefined> {
    try {
      await this.run(() =>
        this.client.send(
          new PutCommand({
            ...TOTAL,
            TableName: this.name,
            Item: item,
            ConditionExpression: 'attribute_not_exists(pk)',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        ),
      );
      return undefined;
    } catch (error) {
      if (!isConditionalCheckFailure(error)) throw error;
      return (error as { Item?: Record<string, AttributeValue> }).Item ?? {};
    }
  }

  /** An unconditional update; the attributes `ReturnValues` asks for. */
  async update(update: Omit<UpdateCommandInput, 'TableName'>): Promise<Item | undefined> {
    const output = await this.run(() =>
      this.client.send(new UpdateCommand({ ...TOTAL, TableName: this.name, ...update })),
    );
    return output.Attributes;
  }

  /**
   * A conditional update: the attributes `ReturnValues` asks for (an empty object when it asks for
   * none), or undefined when the condition was not met.
   */
  async updateIfMatches(update: Omit<UpdateCommandInput, 'TableName'>): Promise<Item | undefined> {
    try {
      return (await this.update(update)) ?? {};
    } catch (error) {
      if (isConditionalCheckFailure(error)) return undefined;
      throw error;
    }
  }

  /** Deletes unconditionally; the item as it was, if there was one. */
  async delete(key: Key): Promise<Item | undefined> {
    const output = await this.run(() =>
      this.client.send(
        new DeleteCommand({ ...TOTAL, TableName: this.name, Key: key, ReturnValues: 'ALL_OLD' }),
      ),
    );
    return output.Attributes;
  }

  /** Conditional delete that treats "condition not met" as already done. */
  async deleteIfMatches(key: Key, condition: string, values: Record<string, unknown> = {}): Promise<void> {
    try {
      await this.run(() =>
        this.client.send(
          new DeleteCommand({
            ...TOTAL,
            TableName: this.name,
            Key: key,
            ConditionExpression: condition,
            ExpressionAttributeValues: Object.keys(values).length > 0 ? values : undefined,
          }),
        ),
      );
    } catch (error) {
      if (!isConditionalCheckFailure(error)) throw error;
    }
  }

  // ---- transactions ---------------------------------------------------------------------------

  /** Runs a transaction; undefined when it committed, its CancellationReasons when a condition failed. */
  async transact(items: TransactItem[]): Promise<CancellationReason[] | undefined> {
    try {
      await this.run(() => this.client.send(new TransactWriteCommand({ ...TOTAL, TransactItems: items })));
      return undefined;
    } catch (error) {
      const reasons = cancellationReasons(error);
      if (reasons) return reasons;
      throw error;
    }
  }

  putItem(item: Item, condition: string): TransactItem {
    return { Put: { TableName: this.name, Item: item, ConditionExpression: condition } };
  }

  deleteItem(key: Key, condition: string, values?: Record<string, unknown>): TransactItem {
    return {
      Delete: {
        TableName: this.name,
        Key: key,
        ConditionExpression: condition,
        ExpressionAttributeValues: values,
      },
    };
  }

  conditionCheck(key: Key, condition: string, values?: Record<string, unknown>): TransactItem {
    return {
      ConditionCheck: {
        TableName: this.name,
        Key: key,
        ConditionExpression: condition,
        ExpressionAttributeValues: values,
      },
    };
  }

  updateItem(update: Omit<UpdateCommandInput, 'TableName' | 'ReturnValues'>): TransactItem {
    return { Update: { TableName: this.name, ...update } as NonNullable<TransactItem['Update']> };
  }

  // ---- many items -----------------------------------------------------------------------------

  /**
   * Items of a partition, optionally only those whose sort key starts with `skPrefix`; with `bound`,
   * only the first `max` of them, with only the `projection` attributes.
   */
  queryPartition(
    pk: string,
    skPrefix?: string,
    bound?: { max: number; projection: string },
  ): Promise<Item[]> {
    return this.collect(
      (ExclusiveStartKey, read) =>
        this.client.send(
          new QueryCommand({
            ...TOTAL,
            TableName: this.name,
            KeyConditionExpression: skPrefix ? 'pk = :pk AND begins_with(sk, :prefix)' : 'pk = :pk',
            ExpressionAttributeValues: skPrefix ? { ':pk': pk, ':prefix': skPrefix } : { ':pk': pk },
            ConsistentRead: true,
            ExclusiveStartKey,
            ...(bound && { Limit: bound.max - read, ProjectionExpression: bound.projection }),
          } satisfies QueryCommandInput),
        ),
      bound?.max,
    );
  }

  /** One page of a partition's sort-key range, in order; `reachedEnd` when nothing follows it. */
  async queryRange(
    pk: string,
    range: { from: string; to: string },
    page: { limit: number; projection: string },
  ): Promise<{ items: Item[]; reachedEnd: boolean }> {
    const output = await this.run(() =>
      this.client.send(
        new QueryCommand({
          ...TOTAL,
          TableName: this.name,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
          ExpressionAttributeValues: { ':pk': pk, ':from': range.from, ':to': range.to },
          ProjectionExpression: page.projection,
          ConsistentRead: true,
          Limit: page.limit,
        }),
      ),
    );
    return { items: output.Items ?? [], reachedEnd: output.LastEvaluatedKey === undefined };
  }

  /** Items by key (strongly consistent), in no particular order; items gone meanwhile are skipped. */
  async batchGet(itemKeys: Key[]): Promise<Item[]> {
    const items: Item[] = [];
    for (let start = 0; start < itemKeys.length; start += BATCH_GET_LIMIT) {
      let pending = itemKeys.slice(start, start + BATCH_GET_LIMIT);
      await this.retrying('batchGet', async () => {
        const output = await this.run(() =>
          this.client.send(
            new BatchGetCommand({
              ...TOTAL,
              RequestItems: { [this.name]: { Keys: pending, ConsistentRead: true } },
            }),
          ),
        );
        items.push(...(output.Responses?.[this.name] ?? []));
        const unprocessed = output.UnprocessedKeys?.[this.name]?.Keys ?? [];
        if (unprocessed.length === 0) return undefined;
        const progressed = unprocessed.length < pending.length;
        pending = unprocessed as Key[];
        throw new Unprocessed('BatchGetItem', progressed);
      });
    }
    return items;
  }

  async batchDelete(itemKeys: Key[]): Promise<void> {
    for (let start = 0; start < itemKeys.length; start += BATCH_WRITE_LIMIT) {
      let requests = itemKeys
        .slice(start, start + BATCH_WRITE_LIMIT)
        .map((Key) => ({ DeleteRequest: { Key } }));
      await this.retrying('batchDelete', async () => {
        const output = await this.run(() =>
          this.client.send(new BatchWriteCommand({ ...TOTAL, RequestItems: { [this.name]: requests } })),
        );
        const unprocessed = output.UnprocessedItems?.[this.name] ?? [];
        if (unprocessed.length === 0) return undefined;
        const progressed = unprocessed.length < requests.length;
        requests = unprocessed as typeof requests;
        throw new Unprocessed('BatchWriteItem', progressed);
      });
    }
  }

  /** Pages until the end, or until `max` items were read; `page` gets how many were read so far. */
  private async collect(
    page: (
      start: Item | undefined,
      read: number,
    ) => Promise<{ Items?: Item[]; LastEvaluatedKey?: Item } & Metered>,
    max = Number.POSITIVE_INFINITY,
  ): Promise<Item[]> {
    const items: Item[] = [];
    let start: Item | undefined;
    do {
      const output = await this.run(() => page(start, items.length));
      items.push(...(output.Items ?? []));
      start = output.LastEvaluatedKey;
    } while (start && items.length < max);
    return items.slice(0, max);
  }

  /** Every SDK call goes through here: capacity metering and typed errors (metered.ts). */
  run<T extends Metered>(call: () => Promise<T>): Promise<T> {
    return metered(call, this.onConsumedCapacity);
  }
}
