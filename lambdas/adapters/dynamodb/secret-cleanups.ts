/**
 * Recorded secret deletions, one partition (`CLEANUP#secrets`) sorted by when each was recorded
 * (`<recordedAt>#<secretName>`), so the sweep reads the oldest first with one bounded Query.
 */
import { DeleteCommand, type DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { SecretCleanup, SecretCleanupStore } from '../../app/ports';
import { toTypedError } from './errors';

const PARTITION = 'CLEANUP#secrets';
const cleanupKey = (cleanup: SecretCleanup) => ({
  pk: PARTITION,
  sk: `${cleanup.recordedAt}#${cleanup.secretName}`,
});

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
          Item: { ...cleanupKey(cleanup), entity: 'secret-cleanup', ...cleanup },
        }),
      )
      .catch((error: unknown) => {
        throw toTypedError(error);
      });
  }

  async listSecretCleanups(before: string, limit: number): Promise<SecretCleanup[]> {
    const result = await this.client
      .send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND sk < :before',
          ExpressionAttributeValues: { ':pk': PARTITION, ':before': before },
          Limit: limit,
          ConsistentRead: true,
        }),
      )
      .catch((error: unknown) => {
        throw toTypedError(error);
      });
    return (result.Items ?? []).map((item) => ({
      secretName: String(item.secretName),
      gatewayId: String(item.gatewayId),
      peerName: String(item.peerName),
      recordedAt: String(item.recordedAt),
    }));
  }

  async clearSecretCleanup(cleanup: SecretCleanup): Promise<void> {
    await this.client
      .send(new DeleteCommand({ TableName: this.tableName, Key: cleanupKey(cleanup) }))
      .catch((error: unknown) => {
        throw toTypedError(error);
      });
  }
}
