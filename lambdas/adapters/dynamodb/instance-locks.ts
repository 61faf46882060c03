/**
 * One lock item per gateway instance (`INSTANCE#<instanceId>`, holder = the gateway id): two
 * gateways can never claim one instance, so a push can never reach another gateway's instance. A
 * lock whose holder gateway no longer exists (a crash between the claim and the registration, a
 * deletion whose release failed) is taken over by the next claim.
 */
import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { ConflictError } from '../../core/errors';
import { isConditionalCheckFailure, toTypedError } from './errors';
import { keys } from './items';

const lockKey = (instanceId: string) => ({ pk: `INSTANCE#${instanceId}`, sk: 'LOCK' });

export class InstanceLocks {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** Idempotent for the holder; ConflictError INSTANCE_IN_USE when a live gateway holds it. */
  async claim(instanceId: string, gatewayId: string): Promise<void> {
    const free = 'attribute_not_exists(pk) OR holder = :gatewayId';
    if (await this.putIf(instanceId, gatewayId, free, { ':gatewayId': gatewayId })) return;
    const holder = await this.holderOf(instanceId);
    if (holder === undefined) {
      // Released in between: one more plain claim.
      if (await this.putIf(instanceId, gatewayId, free, { ':gatewayId': gatewayId })) return;
    } else if (!(await this.exists(keys.gateway(holder)))) {
      if (await this.putIf(instanceId, gatewayId, 'holder = :previous', { ':previous': holder })) return;
    }
    throw new ConflictError('INSTANCE_IN_USE');
  }

  /** Only the holder releases; anything else is a no-op. */
  async release(instanceId: string, gatewayId: string): Promise<void> {
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: lockKey(instanceId),
          ConditionExpression: 'holder = :gatewayId',
          ExpressionAttributeValues: { ':gatewayId': gatewayId },
        }),
      );
    } catch (error) {
      if (!isConditionalCheckFailure(error)) throw toTypedError(error);
    }
  }

  private async putIf(
    instanceId: string,
    gatewayId: string,
    condition: string,
    values: Record<string, unknown>,
  ): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...lockKey(instanceId), entity: 'instance-lock', holder: gatewayId },
          ConditionExpression: condition,
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailure(error)) return false;
      throw toTypedError(error);
    }
  }

  private async holderOf(instanceId: string): Promise<string | undefined> {
    const result = await this.client
      .send(new GetCommand({ TableName: this.tableName, Key: lockKey(instanceId), ConsistentRead: true }))
      .catch((error: unknown) => {
        throw toTypedError(error);
      });
    const holder = result.Item?.holder;
    return typeof holder === 'string' ? holder : undefined;
  }

  private async exists(key: { pk: string; sk: string }): Promise<boolean> {
    const result = await this.client
      .send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }))
      .catch((error: unknown) => {
        throw toTypedError(error);
      });
    return result.Item !== undefined;
  }
}
