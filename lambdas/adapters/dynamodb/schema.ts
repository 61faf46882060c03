/**
 * The one table of the control plane (docs/ARCHITECTURE.md "Data model"). The CDK stack builds the
 * table from TABLE_SCHEMA; DynamoDB Local (embedded runtime, tests, benchmarks) from
 * createTableInput/ensureTable, so both always agree on keys, index, TTL and stream.
 */
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  type DynamoDBClient,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';

export const TABLE_SCHEMA = {
  partitionKey: 'pk',
  sortKey: 'sk',
  ownerIndex: { name: 'byOwner', partitionKey: 'gsi1pk', sortKey: 'gsi1sk', projection: 'KEYS_ONLY' },
  /** Sparse: only gateway and peering items carry gsi2pk (their entity type); admin lists read it. */
  entityIndex: { name: 'byEntity', partitionKey: 'gsi2pk', sortKey: 'gsi2sk', projection: 'KEYS_ONLY' },
  ttlAttribute: 'expiresAt',
  streamViewType: 'NEW_AND_OLD_IMAGES',
} as const;

const TABLE_READY_WAIT_SECONDS = 60;

export function createTableInput(tableName: string): CreateTableCommandInput {
  const { partitionKey, sortKey, ownerIndex, entityIndex, streamViewType } = TABLE_SCHEMA;
  const indexes = [ownerIndex, entityIndex];
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      partitionKey,
      sortKey,
      ...indexes.flatMap((index) => [index.partitionKey, index.sortKey]),
    ].map((AttributeName) => ({ AttributeName, AttributeType: 'S' })),
    KeySchema: [
      { AttributeName: partitionKey, KeyType: 'HASH' },
      { AttributeName: sortKey, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: indexes.map((index) => ({
      IndexName: index.name,
      KeySchema: [
        { AttributeName: index.partitionKey, KeyType: 'HASH' },
        { AttributeName: index.sortKey, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: index.projection },
    })),
    StreamSpecification: { StreamEnabled: true, StreamViewType: streamViewType },
  };
}

/** Creates the table unless it exists, waits until it is ACTIVE and turns TTL on. Idempotent. */
export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(new CreateTableCommand(createTableInput(tableName)));
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  await waitUntilTableExists({ client, maxWaitTime: TABLE_READY_WAIT_SECONDS }, { TableName: tableName });
  await client
    .send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: TABLE_SCHEMA.ttlAttribute, Enabled: true },
      }),
    )
    .catch((error: Error) => {
      // Enabling TTL twice is refused ("TimeToLive is already enabled"): that is the wanted state.
      if (!/already enabled/i.test(error.message)) throw error;
    });
}
