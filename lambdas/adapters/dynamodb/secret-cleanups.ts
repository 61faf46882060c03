/**
 * Recorded secret deletions, spread over CLEANUP_SHARDS partitions (`CLEANUP#secrets#<shard>`, the
 * shard chosen by secret name) and sorted in each by when each was recorded
 * (`<recordedAt>#<secretName>`), so the sweep reads the oldest first with one bounded Query per
 * partition.
 */
import { DeleteCommand, type DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { SecretCleanup, SecretCleanupStore } from '../../app/ports';
import { toTypedError } from './errors';
import { shardOf } from './items';

/**
 * One partition takes about 1,000 writes a second, and every road-warrior add with a generated key
 * and every removal writes a record and deletes it: in one partition, platform-wide road-warrior
 * churn would stop near 500 a second.
 */
export const CLEANUP_SHARDS = 16;
/** Where every record went before the shards: still read and cleared, never written. */
export const UNSHARDED_PARTITION = 'CLEANUP#secrets';
const shardPartition = (shard: number): string => `${UNSHARDED_PARTITION}#${shard}`;
const cleanupPartition = (secretName: string): string => shardPartition(shardOf(secretName, CLEANUP_SHARDS));
/** What the sweep reads: every shard, and the partition of the records from before them. */
const PARTITIONS = [
  ...Array.from({ length: CLEANUP_SHARDS }, (_, shard) => shardPartition(shard)),
  UNSHARDED_PARTITION,
];
const sortKey = (cleanup: SecretCleanup): string => `${cleanup.recordedAt}#${cleanup.secretName}`;
const typed = (error: unknown): never => {
  throw toTypedError(error);
};

export class SecretCleanups implements SecretCleanupStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async recordSecretCleanup(cleanup: SecretCleanup): Promise<void> {
    await this.client
      .send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk: cleanupPartition(cleanup.secretName),
            sk: sortKey(cleanup),
            entity: 'secret-cleanup',
            ...cleanup,
          },
        }),
      )
      .catch(typed);
  }

  /** The oldest `limit` of every partition, merged: so the oldest `limit` of all, whatever their shard. */
  async listSecretCleanups(before: string, limit: number): Promise<SecretCleanup[]> {
    const pages = await Promise.all(
      PARTITIONS.map((pk) =>
        this.client
          .send(
            new QueryCommand({
              TableName: this.tableName,
              KeyConditionExpression: 'pk = :pk AND sk < :before',
              ExpressionAttributeValues: { ':pk': pk, ':before': before },
              Limit: limit,
              ConsistentRead: true,
            }),
          )
          .catch(typed),
      ),
    );
    return pages
      .flatMap((page) => page.Items ?? [])
      .map((item) => ({
        secretName: String(item.secretName),
        gatewayId: String(item.gatewayId),
        peerName: String(item.peerName),
        recordedAt: String(item.recordedAt),
      }))
      .sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0))
      .slice(0, limit);
  }

  /**
   * Deletes the record from its shard; only when none was there, from the unsharded partition (a
   * record from before the shards): once drained, that partition takes only repeated clears.
   */
  async clearSecretCleanup(cleanup: SecretCleanup): Promise<void> {
    const sk = sortKey(cleanup);
    const { Attributes } = await this.client
      .send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { pk: cleanupPartition(cleanup.secretName), sk },
          ReturnValues: 'ALL_OLD',
        }),
      )
      .catch(typed);
    if (Attributes) return;
    await this.client
      .send(new DeleteCommand({ TableName: this.tableName, Key: { pk: UNSHARDED_PARTITION, sk } }))
      .catch(typed);
  }
}
