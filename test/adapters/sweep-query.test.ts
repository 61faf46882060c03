/**
 * The sweep's index Queries (lambdas/adapters/dynamodb/sweep-work.ts) and its walk for older items
 * (sweep-backfill.ts) go through the table's error mapping as every other DynamoDB call does: a
 * request throttled past the SDK's retries is a TransientError, not the SDK's raw exception (SDK
 * mocked with aws-sdk-client-mock, no AWS).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoRepository } from '../../lambdas/adapters/dynamodb/repository';
import { TransientError } from '../../lambdas/core/errors';

const documents = mockClient(DynamoDBDocumentClient);

afterEach(() => documents.reset());

/** A repository on `tableName`: a container remembers per table that its walk is done. */
const repository = (tableName = 'table') =>
  new DynamoRepository(
    DynamoDBDocumentClient.from(
      new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } }),
    ),
    tableName,
  );

const bounds = {
  stalledBefore: '2026-12-04T10:00:00.000Z',
  cascadeBefore: '2026-12-04T10:00:00.000Z',
  walkBefore: '2026-12-04T10:00:00.000Z',
};

const throttled = () =>
  Object.assign(new Error('Rate of requests exceeds the allowed throughput'), {
    name: 'ProvisionedThroughputExceededException',
    $metadata: { httpStatusCode: 400 },
  });

it('turns a throttled Query into a TransientError', async () => {
  // Prepare: the walk for older items is done (its marker says so).
  documents.on(GetCommand).resolves({ Item: { done: true } });
  documents.on(QueryCommand).rejects(throttled());

  // Act
  const sweep = repository().findSweepWork(bounds);

  // Assess
  await expect(sweep).rejects.toBeInstanceOf(TransientError);
});

it('turns a throttled Scan of the walk for older items into a TransientError', async () => {
  // Prepare: the walk is not done yet.
  documents.on(GetCommand).resolves({});
  documents.on(ScanCommand).rejects(throttled());

  // Act
  const sweep = repository('table-not-walked').findSweepWork(bounds);

  // Assess
  await expect(sweep).rejects.toBeInstanceOf(TransientError);
});
