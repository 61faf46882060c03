/**
 * DynamoDB stream target: when a gateway item is removed, runs the cascade with the gateway as it
 * was (the record's OldImage). Other records are ignored. Records of a shard are handled in order;
 * on a failure the rest of the batch is reported failed too (partial batch response), so the
 * event source mapping re-delivers from that record and nothing is processed out of order.
 */

import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import middy from '@middy/core';
import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { repository } from '../adapters/dynamodb';
import { keys, SK, toGatewayRecord } from '../adapters/dynamodb/items';
import { secretStore } from '../adapters/s3/secrets';
import { workflowEngine } from '../adapters/sfn';
import { cascadeGatewayRemoval } from '../app/gateway-lifecycle';
import type { GatewayRecord } from '../core/types';
import { clock } from '../shared/deps';
import { logger } from '../shared/logger';

const GATEWAY_PK_PREFIX = keys.gatewayPartition('');

/** The removed gateway when the record is the REMOVE of a gateway item, else undefined. */
function removedGateway(record: DynamoDBRecord): GatewayRecord | undefined {
  const image = record.dynamodb?.OldImage;
  if (record.eventName !== 'REMOVE' || !image) return undefined;
  // Lambda's and the SDK's AttributeValue types differ only in how binaries are typed; items here have none.
  const item = unmarshall(image as Record<string, AttributeValue>);
  const isGateway =
    typeof item.pk === 'string' && item.pk.startsWith(GATEWAY_PK_PREFIX) && item.sk === SK.meta;
  return isGateway ? toGatewayRecord(item) : undefined;
}

async function handleRecord(record: DynamoDBRecord): Promise<void> {
  const removed = removedGateway(record);
  if (!removed) return;
  logger.info('cascading gateway removal', { gatewayId: removed.id });
  await cascadeGatewayRemoval(
    { repository: repository(), workflows: workflowEngine(), secrets: secretStore(), clock: clock() },
    removed,
  );
}

export const handler = middy<DynamoDBStreamEvent, DynamoDBBatchResponse, Error, Context>().handler(
  async (event) => {
    for (const [index, record] of event.Records.entries()) {
      try {
        await handleRecord(record);
      } catch (error) {
        const { name, message } = error as Error;
        logger.error('cascade failed', {
          sequenceNumber: record.dynamodb?.SequenceNumber,
          errorName: name,
          errorMessage: message,
        });
        const failed = event.Records.slice(index);
        return {
          batchItemFailures: failed.map((r) => ({ itemIdentifier: r.dynamodb?.SequenceNumber ?? '' })),
        };
      }
    }
    return { batchItemFailures: [] };
  },
);
