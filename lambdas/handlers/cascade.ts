/**
 * DynamoDB stream target: when a gateway item is removed, runs the cascade with the gateway as it
 * was (the record's OldImage), which ends with the teardown command to its instance (not awaited;
 * an instance already gone is logged, not retried). Other records are ignored. Records of a shard are handled in order;
 * on a failure the rest of the batch is reported failed too (partial batch response), so the
 * event source mapping re-delivers from that record and nothing is processed out of order.
 */

import middy from '@middy/core';
import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { repository } from '../adapters/dynamodb';
import { removedGateway } from '../adapters/dynamodb-stream';
import { configStore } from '../adapters/s3';
import { secretCopiesWithdrawal } from '../adapters/s3/secret-copies-withdrawal';
import { secretStore } from '../adapters/s3/secret-store';
import { workflowEngine } from '../adapters/sfn';
import { commandBus } from '../adapters/ssm';
import { cascadeGatewayRemoval } from '../app/gateway-cascade';
import { clock } from '../shared/deps';
import { env } from '../shared/env';
import { logger } from '../shared/logger';

// Read per record, and once at cold start: a malformed value fails the init, naming its variable.
env.peerFanoutStartsPerSecond();

async function handleRecord(record: DynamoDBRecord): Promise<void> {
  const removed = removedGateway(record);
  if (!removed) return;
  logger.info('cascading gateway removal', { gatewayId: removed.id });
  const teardown = await cascadeGatewayRemoval(
    {
      repository: repository(),
      workflows: workflowEngine(),
      secrets: secretStore(),
      clock: clock(),
      configStore: configStore(),
      instanceSecrets: secretCopiesWithdrawal(),
      commands: commandBus(),
      peerFanoutStartsPerSecond: env.peerFanoutStartsPerSecond(),
    },
    removed,
  );
  const fields = { gatewayId: removed.id, instanceId: removed.instanceId };
  if ('commandId' in teardown)
    logger.info('instance teardown sent', { ...fields, commandId: teardown.commandId });
  else logger.info('instance already gone: nothing to tear down', fields);
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
