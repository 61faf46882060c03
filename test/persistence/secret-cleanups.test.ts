/**
 * Where recorded secret cleanups live on DynamoDB Local (lambdas/adapters/dynamodb/secret-cleanups.ts):
 * spread over shards by secret name, so road-warrior churn is not capped by one partition's writes,
 * and still read and cleared in the partition every record went to before the shards. What the
 * store does at the port is the Repository contract's (test/support/limits-contract.ts).
 */
import { PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { CLEANUP_SHARDS, UNSHARDED_PARTITION } from '../../lambdas/adapters/dynamodb/secret-cleanups';
import type { SecretCleanup } from '../../lambdas/app/ports';
import { useDynamoDb } from '../support/dynamodb';
import { uniqueId } from '../support/records';

const db = useDynamoDb();

/** A cleanup of a fresh key of road-warrior `peerName`, recorded at `recordedAt`. */
const cleanupOf = (peerName: string, recordedAt: string): SecretCleanup => {
  const gatewayId = uniqueId('gw');
  return {
    secretName: `/vpc-peering/gateways/${gatewayId}/peers/${peerName}/${uniqueId('k')}/private-key`,
    gatewayId,
    peerName,
    recordedAt,
  };
};

/** The partition of each stored cleanup record, by secret name. */
async function partitionsBySecret(): Promise<Map<string, string>> {
  const { Items = [] } = await db.documentClient().send(
    new ScanCommand({
      TableName: db.tableName,
      FilterExpression: 'entity = :entity',
      ExpressionAttributeValues: { ':entity': 'secret-cleanup' },
    }),
  );
  return new Map(Items.map((item) => [String(item.secretName), String(item.pk)]));
}

const SHARD = new RegExp(`^${UNSHARDED_PARTITION}#(\\d+)$`);

it('spreads cleanups over the shards by secret name, and lists the oldest of all shards first', async () => {
  // Prepare: 48 cleanups, recorded newest first.
  const cleanups = Array.from({ length: 48 }, (_, i) =>
    cleanupOf(`rw-${i}`, new Date(Date.UTC(2020, 0, 1, 0, 0, 48 - i)).toISOString()),
  );
  const repository = db.repository();
  for (const cleanup of cleanups) await repository.recordSecretCleanup(cleanup);

  // Act
  const partitions = await partitionsBySecret();
  const oldest = await repository.listSecretCleanups('2020-02-01T00:00:00.000Z', 10);

  // Assess
  const shards = [...partitions.values()].map((pk) => Number(SHARD.exec(pk)?.[1] ?? Number.NaN));
  expect(shards.filter((shard) => !(shard >= 0 && shard < CLEANUP_SHARDS))).toEqual([]);
  expect(new Set(shards).size).toBeGreaterThan(1);
  expect(oldest).toEqual(cleanups.slice(-10).reverse());
});

it('lists a record left in the unsharded partition with the sharded ones, oldest first, and clears each where it is', async () => {
  // Prepare: a record written before the shards, then two recorded now.
  const left = cleanupOf('left', '2019-01-01T00:00:00.000Z');
  await db.documentClient().send(
    new PutCommand({
      TableName: db.tableName,
      Item: {
        pk: UNSHARDED_PARTITION,
        sk: `${left.recordedAt}#${left.secretName}`,
        entity: 'secret-cleanup',
        ...left,
      },
    }),
  );
  const recorded = [cleanupOf('a', '2019-01-01T00:00:01.000Z'), cleanupOf('b', '2019-01-01T00:00:02.000Z')];
  const repository = db.repository();
  for (const cleanup of recorded) await repository.recordSecretCleanup(cleanup);
  const before = '2019-12-31T00:00:00.000Z';

  // Act
  const partitions = await partitionsBySecret();
  const listed = await repository.listSecretCleanups(before, 10);
  for (const cleanup of listed) await repository.clearSecretCleanup(cleanup);

  // Assess
  expect(listed).toEqual([left, ...recorded]);
  expect(partitions.get(left.secretName)).toBe(UNSHARDED_PARTITION);
  for (const { secretName } of recorded) expect(partitions.get(secretName)).toMatch(SHARD);
  expect(await repository.listSecretCleanups(before, 10)).toEqual([]);
  const remaining = await partitionsBySecret();
  expect([left, ...recorded].filter(({ secretName }) => remaining.has(secretName))).toEqual([]);
});
