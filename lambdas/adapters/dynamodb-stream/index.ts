/**
 * Reads the table's stream records: which record is the removal of a gateway, and the gateway it
 * removed. The item layout (keys, attribute names) is the DynamoDB adapter's, so decoding it lives
 * beside that adapter rather than in the cascade handler.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import type { GatewayRecord } from '../../core/types';
import { keys, SK, toGatewayRecord } from '../dynamodb/items';

const GATEWAY_PK_PREFIX = keys.gatewayPartition('');

/** The removed gateway when the record is the REMOVE of a gateway item, else undefined. */
export function removedGateway(record: DynamoDBRecord): GatewayRecord | undefined {
  const image = record.dynamodb?.OldImage;
  if (record.eventName !== 'REMOVE' || !image) return undefined;
  // Lambda's and the SDK's AttributeValue types differ only in how binaries are typed; items here have none.
  const item = unmarshall(image as Record<string, AttributeValue>);
  const isGateway =
    typeof item.pk === 'string' && item.pk.startsWith(GATEWAY_PK_PREFIX) && item.sk === SK.meta;
  return isGateway ? toGatewayRecord(item) : undefined;
}
