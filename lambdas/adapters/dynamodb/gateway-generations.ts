/**
 * Writes of a gateway item's desired generation (gateway-store.ts): the bump every change makes,
 * and the raise over a restored table (app/status-reports.ts healRestored).
 */
import type { GatewayRecord } from '../../core/types';
import { keys } from './items';
import type { Table } from './table';

/** One more desired generation, on a gateway that exists; the new one, or undefined. */
export async function bumpGeneration(table: Table, gatewayId: string): Promise<number | undefined> {
  const attributes = await table.updateIfMatches({
    Key: keys.gateway(gatewayId),
    UpdateExpression: 'ADD desiredGeneration :one',
    ConditionExpression: 'attribute_exists(pk)',
    ExpressionAttributeValues: { ':one': 1 },
    ReturnValues: 'UPDATED_NEW',
  });
  return attributes && Number(attributes.desiredGeneration);
}

/**
 * Two attributes, desiredGeneration and healedThrough, and only over what was read
 * (GatewayStore.raiseGeneration; the status-reports grant names them: lib/access.ts).
 */
export async function raiseGeneration(
  table: Table,
  read: Pick<GatewayRecord, 'id' | 'createdAt' | 'instanceId' | 'desiredGeneration'>,
  generation: number,
): Promise<boolean> {
  if (!(generation > read.desiredGeneration)) return false;
  const attributes = await table.updateIfMatches({
    Key: keys.gateway(read.id),
    UpdateExpression: 'SET desiredGeneration = :raised, healedThrough = :healed',
    ConditionExpression: 'desiredGeneration = :read AND createdAt = :createdAt AND instanceId = :instanceId',
    ExpressionAttributeValues: {
      ':raised': generation,
      ':healed': generation - 1,
      ':read': read.desiredGeneration,
      ':createdAt': read.createdAt,
      ':instanceId': read.instanceId,
    },
  });
  return attributes !== undefined;
}
