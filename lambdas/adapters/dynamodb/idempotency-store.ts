/**
 * Idempotency keys of the API's POSTs: `IDEMPOTENCY#<scope>#<key>` with the request's hash, the
 * response once known, the nonce the request's ids derive from (a take-over's SET leaves it), and
 * `expiresAt` (the table's TTL attribute).
 */
import { IDEMPOTENCY_TTL_SECONDS, type IdempotencyRecord, type IdempotencyStore } from '../../app/ports';
import { TransientError } from '../../core/errors';
import { isConditionalCheckFailure } from './errors';
import { epochSeconds, keys } from './items';
import type { Table } from './table';

export class DynamoIdempotencyStore implements IdempotencyStore {
  constructor(
    private readonly table: Table,
    private readonly clock: () => Date,
  ) {}

  async claimIdempotencyKey(record: IdempotencyRecord): Promise<IdempotencyRecord | undefined> {
    const now = epochSeconds(this.clock());
    const item = {
      ...keys.idempotency(record.key),
      entity: 'idempotency',
      key: record.key,
      requestHash: record.requestHash,
      response: record.response,
      createdAt: record.createdAt,
      nonce: record.nonce,
      expiresAt: now + IDEMPOTENCY_TTL_SECONDS,
    };
    try {
      // TTL deletes lazily: an expired record still present may be claimed again.
      await this.table.put(item, 'attribute_not_exists(pk) OR expiresAt < :now', { ':now': now });
      return undefined;
    } catch (error) {
      if (!isConditionalCheckFailure(error)) throw error;
    }
    const existing = await this.table.get(keys.idempotency(record.key));
    if (!existing) throw new TransientError(`Idempotency key ${record.key} vanished while being claimed`);
    const { key, requestHash, response, createdAt, takeovers, nonce } =
      existing as unknown as IdempotencyRecord;
    return {
      key,
      requestHash,
      createdAt,
      ...(response ? { response } : {}),
      ...(takeovers === undefined ? {} : { takeovers }),
      ...(nonce === undefined ? {} : { nonce }),
    };
  }

  async retakeIdempotencyKey(read: IdempotencyRecord, createdAt: string): Promise<boolean> {
    // The count moves on at each take-over, so a second take-over of the same read fails here.
    const taken = await this.table.updateIfMatches({
      Key: keys.idempotency(read.key),
      UpdateExpression: 'SET createdAt = :createdAt, takeovers = :next REMOVE #response',
      ConditionExpression:
        read.takeovers === undefined ? 'attribute_not_exists(takeovers)' : 'takeovers = :read',
      ExpressionAttributeNames: { '#response': 'response' },
      ExpressionAttributeValues: {
        ':createdAt': createdAt,
        ':next': (read.takeovers ?? 0) + 1,
        ...(read.takeovers === undefined ? {} : { ':read': read.takeovers }),
      },
    });
    return taken !== undefined;
  }

  async completeIdempotencyKey(
    key: string,
    response: NonNullable<IdempotencyRecord['response']>,
  ): Promise<void> {
    await this.table.update({
      Key: keys.idempotency(key),
      UpdateExpression: 'SET #response = :response',
      ExpressionAttributeNames: { '#response': 'response' },
      ExpressionAttributeValues: { ':response': response },
    });
  }
}
