/**
 * The sweep's index Query (lambdas/adapters/dynamodb/sweep-work.ts) goes through the table's error mapping
 * as every other DynamoDB call does: a Query throttled past the SDK's retries is a TransientError, not
 * the SDK's raw exception (SDK mocked with aws-sdk-client-mock, no AWS).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoRepository } from '../../lambdas/adapters/dynamodb/repository';
import { TransientError } from '../../lambdas/core/errors';

const documents = mockClient(DynamoDBDocumentClient);

afterEach(() => documents.reset());

const repository = () =>
  new DynamoRepository(
    DynamoDBDocumentClient.from(
      new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } }),
    ),
    'table',
  );

const bounds = { stalledBefore: '2026-12-04T10:00:00.000Z', cascadeBefore: '2026-12-04T10:00:00.000Z' };

it('turns a throttled Query into a TransientError', async () => {
  // Prepare
  const throttled = Object.assign(new Error('Rate of requests exceeds the allowed throughput'), {
    name: 'ProvisionedThroughputExceededException',
    $metadata: { httpStatusCode: 400 },
  });
  documents.on(QueryCommand).rejects(throttled);

  // Act
  const sweep = repository().findSweepWork(bounds);

  // Assess
  await expect(sweep).rejects.toBeInstanceOf(TransientError);
});
