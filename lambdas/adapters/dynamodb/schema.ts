/**
 * The one table of the control plane (docs/ARCHITECTURE.md "Data model"). The CDK stack builds the
 * table from TABLE_SCHEMA; DynamoDB Local (embedded runtime, tests, benchmarks) from
 * createTableInput/ensureTable, so both always agree on keys, index, TTL and stream.
 */
import { setTimeout } from 'node:timers/promises';
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';

export const TABLE_SCHEMA = {
  partitionKey: 'pk',
  sortKey: 'sk',
  ownerIndex: { name: 'byOwner', partitionKey: 'gsi1pk', sortKey: 'gsi1sk', projection: 'KEYS_ONLY' },
  /** Sparse: only gateway and peering items carry gsi2pk (their entity type); admin lists read it. */
  entityIndex: { name: 'byEntity', partitionKey: 'gsi2pk', sortKey: 'gsi2sk', projection: 'KEYS_ONLY' },
  /**
   * Sparse: only what the sweep may re-drive (items.ts, "bySweep"): a few items in flight, so it
   * projects them whole and the sweep reads no item twice.
   */
  sweepIndex: { name: 'bySweep', partitionKey: 'gsi3pk', sortKey: 'gsi3sk', projection: 'ALL' },
  /**
   * Sparse: an owner's peerings PROVISIONING or DELETING (items.ts, "byOwnerInFlight"), which the
   * operations limit counts; keys only, as their status is read strongly consistent anyway.
   */
  ownerInFlightIndex: {
    name: 'byOwnerInFlight',
    partitionKey: 'gsi4pk',
    sortKey: 'gsi4sk',
    projection: 'KEYS_ONLY',
  },
  ttlAttribute: 'expiresAt',
  streamViewType: 'NEW_AND_OLD_IMAGES',
} as const;

const TABLE_READY_WAIT_SECONDS = 60;

/** Every global secondary index of the table. */
export const TABLE_INDEXES = [
  TABLE_SCHEMA.ownerIndex,
  TABLE_SCHEMA.entityIndex,
  TABLE_SCHEMA.sweepIndex,
  TABLE_SCHEMA.ownerInFlightIndex,
] as const;
type TableIndex = (typeof TABLE_INDEXES)[number];

const indexKeySchema = (index: TableIndex) => [
  { AttributeName: index.partitionKey, KeyType: 'HASH' as const },
  { AttributeName: index.sortKey, KeyType: 'RANGE' as const },
];

export function createTableInput(tableName: string): CreateTableCommandInput {
  const { partitionKey, sortKey, streamViewType } = TABLE_SCHEMA;
  const indexes = TABLE_INDEXES;
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
      KeySchema: indexKeySchema(index),
      Projection: { ProjectionType: index.projection },
    })),
    StreamSpecification: { StreamEnabled: true, StreamViewType: streamViewType },
  };
}

/**
 * Creates the table unless it exists, adds an index it lacks (a data dir from an older version),
 * waits until it is ACTIVE and turns TTL on. Idempotent.
 */
export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(new CreateTableCommand(createTableInput(tableName)));
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  await waitUntilTableExists({ client, maxWaitTime: TABLE_READY_WAIT_SECONDS }, { TableName: tableName });
  await addMissingIndexes(client, tableName);
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

/** One index at a time, as DynamoDB allows; each waited for until ACTIVE (DynamoDB Local: at once). */
async function addMissingIndexes(client: DynamoDBClient, tableName: string): Promise<void> {
  const describe = async () => (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table;
  const present = new Set((await describe())?.GlobalSecondaryIndexes?.map((index) => index.IndexName));
  for (const index of TABLE_INDEXES.filter((candidate) => !present.has(candidate.name))) {
    await client.send(
      new UpdateTableCommand({
        TableName: tableName,
        AttributeDefinitions: [index.partitionKey, index.sortKey].map((AttributeName) => ({
          AttributeName,
          AttributeType: 'S',
        })),
        GlobalSecondaryIndexUpdates: [
          {
            Create: {
              IndexName: index.name,
              KeySchema: indexKeySchema(index),
              Projection: { ProjectionType: index.projection },
            },
          },
        ],
      }),
    );
    const deadline = Date.now() + TABLE_READY_WAIT_SECONDS * 1000;
    const statusOf = async () =>
      (await describe())?.GlobalSecondaryIndexes?.find((candidate) => candidate.IndexName === index.name)
        ?.IndexStatus;
    while ((await statusOf()) !== 'ACTIVE') {
      if (Date.now() > deadline) throw new Error(`index ${index.name} of ${tableName} is not ACTIVE`);
      await setTimeout(200);
    }
  }
}
