/**
 * Allocation cost on DynamoDB Local: our allocator against a naive one (Query every allocation of
 * the gateway, take the first gap, conditional Put), both measured in the same run on a /16 gateway
 * holding 0, 1,000 and 10,000 allocations. Request units as AWS bills them (bench/aws-request-units.ts:
 * DynamoDB Local reports a transaction below AWS's price), read and write added up.
 *
 * Ours is addRoadWarrior as the API calls it: with the gateway record the handler already read to
 * authorize the caller, so there is no gateway read. It reserves a random address (conditional
 * PutItem, 1 WCU), then commits the peer entry, the gateway's counter and generation, and the
 * entry's public-key item in one transaction of three items (6 WCU). It does more per call than the
 * naive one (the peer entry, the counters, the key), so the ratios understate the difference.
 *
 * A probe that collides fails its condition, and DynamoDB reports no capacity for a failed request,
 * so collisions are not in these figures; each costs 1 WCU more (expected 6 + 1/(1 - fill) in all,
 * about 7.2 at 10,000 of 65,533).
 *
 * Run: npx tsx bench/allocation.ts
 */

import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../lambdas/adapters/dynamodb/client';
import { addressOfAllocationSortKey, allocationItem } from '../lambdas/adapters/dynamodb/items';
import { DynamoRepository } from '../lambdas/adapters/dynamodb/repository';
import { ensureTable } from '../lambdas/adapters/dynamodb/schema';
import { FileSecretStore } from '../lambdas/adapters/local/file-secret-store';
import { registerGateway } from '../lambdas/app/api/gateways';
import { firstFreeIndex, type TunnelAddressSpace, tunnelAddressSpace } from '../lambdas/core/allocation';
import { generateKeyPair } from '../lambdas/core/keys';
import { parseRegisterGatewayBody } from '../lambdas/core/schemas';
import type { GatewayRecord } from '../lambdas/core/types';
import { env } from '../lambdas/shared/env';
import { startDynamoDbLocal } from '../runtime/dynamodb-local';
import { meterAwsRequestUnits, type RequestUnits } from './aws-request-units';

const TABLE = 'bench-allocation';
const FILLS = [0, 1_000, 10_000];
const ALLOCATIONS_PER_RUN = 20;
const SUBNET = '100.64.0.0/16';
const GATEWAY_IP = '100.64.0.1';
const BATCH = 25;
const PUBLIC_KEY = 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=';

/** What the client was billed so far (as AWS bills it); each measure takes the difference. */
const billed: RequestUnits = { readUnits: 0, writeUnits: 0 };
const billedUnits = (): number => billed.readUnits + billed.writeUnits;

interface Measure {
  requestUnitsPerAllocation: number;
  meanMsPerAllocation: number;
}

export async function benchAllocation(): Promise<Record<string, unknown>> {
  const local = await startDynamoDbLocal();
  const client = new DynamoDBClient({ ...local.clientConfig, endpoint: local.endpoint });
  try {
    await ensureTable(client, TABLE);
    const documents = createDocumentClient(client);
    meterAwsRequestUnits(documents, billed);
    // One unmeasured run first, so JIT warm-up does not land on the first row.
    await measureOurs(documents, 0, 'warm-up');
    const rows = [];
    for (const fill of FILLS) {
      const ours = await measureOurs(documents, fill, `ours-${fill}`);
      const naive = await measureNaive(documents, fill);
      rows.push({
        existingAllocations: fill,
        oursRequestUnits: round(ours.requestUnitsPerAllocation),
        naiveRequestUnits: round(naive.requestUnitsPerAllocation),
        requestUnitRatioNaiveOverOurs: round(
          naive.requestUnitsPerAllocation / ours.requestUnitsPerAllocation,
        ),
        oursMeanMs: round(ours.meanMsPerAllocation),
        naiveMeanMs: round(naive.meanMsPerAllocation),
        timeRatioNaiveOverOurs: round(naive.meanMsPerAllocation / ours.meanMsPerAllocation),
      });
    }
    return { subnet: SUBNET, allocationsPerRun: ALLOCATIONS_PER_RUN, engine: 'DynamoDB Local', rows };
  } finally {
    client.destroy();
    await local.stop();
  }
}

/** Registers the /16 gateway as the API does; its public key is given, so no secret is written. */
async function registerBenchGateway(repository: DynamoRepository, id: string): Promise<GatewayRecord> {
  const input = parseRegisterGatewayBody({
    id,
    ownerId: 'bench',
    vpcId: `vpc-${id}`,
    vpcCidr: '10.0.0.0/16',
    tunnelSubnet: SUBNET,
    tunnelIp: GATEWAY_IP,
    publicIp: '203.0.113.10',
    publicKey: PUBLIC_KEY,
    instanceId: `i-${id}`,
  });
  const secrets = new FileSecretStore(join(tmpdir(), 'bench-allocation-secrets'));
  const admin = { userId: 'bench', isAdmin: true };
  const limits = env.ownerLimits();
  await registerGateway({ repository, secrets, clock: () => new Date() }, admin, input, undefined, limits);
  const record = await repository.getGateway(id);
  if (!record) throw new Error(`Gateway ${id} vanished right after it was registered`);
  return record;
}

async function measureOurs(
  documents: DynamoDBDocumentClient,
  fill: number,
  gatewayId: string,
): Promise<Measure> {
  const repository = new DynamoRepository(documents, TABLE);
  const gateway = await registerBenchGateway(repository, gatewayId);
  await seed(documents, gateway.id, fill);
  // Each its own key (a gateway's peers hold distinct keys), made before the clock starts.
  const publicKeys = Array.from({ length: ALLOCATIONS_PER_RUN }, () => generateKeyPair().publicKey);
  const unitsBefore = billedUnits();
  const started = performance.now();
  for (const [i, publicKey] of publicKeys.entries()) {
    await repository.addRoadWarrior({
      gatewayId: gateway.id,
      name: `rw-${i}`,
      publicKey,
      privateKeyParam: null,
      createdAt: new Date().toISOString(),
      gateway,
    });
  }
  return perAllocation(billedUnits() - unitsBefore, performance.now() - started);
}

async function measureNaive(documents: DynamoDBDocumentClient, fill: number): Promise<Measure> {
  const gatewayId = `naive-${fill}`;
  await seed(documents, gatewayId, fill);
  const space = tunnelAddressSpace(SUBNET, GATEWAY_IP);
  const unitsBefore = billedUnits();
  const started = performance.now();
  for (let i = 0; i < ALLOCATIONS_PER_RUN; i++) {
    await naiveAllocate(documents, gatewayId, space, `rw-${i}`);
  }
  return perAllocation(billedUnits() - unitsBefore, performance.now() - started);
}

/** The allocator this design replaces. */
async function naiveAllocate(
  documents: DynamoDBDocumentClient,
  gatewayId: string,
  space: TunnelAddressSpace,
  holder: string,
): Promise<void> {
  const taken: number[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await documents.send(
      new QueryCommand({
        TableName: TABLE,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :ip)',
        ExpressionAttributeValues: { ':pk': `GW#${gatewayId}`, ':ip': 'IP#' },
        ConsistentRead: true,
        ExclusiveStartKey: start,
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    for (const item of page.Items ?? [])
      taken.push(space.indexOf(addressOfAllocationSortKey(String(item.sk))));
    start = page.LastEvaluatedKey;
  } while (start);
  const free = firstFreeIndex(0, taken, true, space.capacity) ?? 0;
  await documents.send(
    new PutCommand({
      TableName: TABLE,
      Item: allocationItem(gatewayId, space.addressAt(free), holder),
      ConditionExpression: 'attribute_not_exists(pk)',
      ReturnConsumedCapacity: 'TOTAL',
    }),
  );
}

/** `count` allocations at the lowest addresses (what a first-gap allocator leaves), by BatchWriteItem. */
async function seed(documents: DynamoDBDocumentClient, gatewayId: string, count: number): Promise<void> {
  const space = tunnelAddressSpace(SUBNET, GATEWAY_IP);
  const items = Array.from({ length: count }, (_, i) =>
    allocationItem(gatewayId, space.addressAt(i), `seed-${i}`),
  );
  for (let i = 0; i < items.length; i += BATCH) {
    let requests = items.slice(i, i + BATCH).map((Item) => ({ PutRequest: { Item } }));
    while (requests.length > 0) {
      const output = await documents.send(new BatchWriteCommand({ RequestItems: { [TABLE]: requests } }));
      requests = (output.UnprocessedItems?.[TABLE] ?? []) as typeof requests;
    }
  }
  await documents
    .send(
      new UpdateCommand({
        TableName: TABLE,
        Key: { pk: `GW#${gatewayId}`, sk: 'META' },
        UpdateExpression: 'SET allocatedCount = :count',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':count': count },
      }),
    )
    .catch((error: Error) => {
      // The naive allocator has no gateway item: nothing to count there.
      if (error.name !== 'ConditionalCheckFailedException') throw error;
    });
}

const perAllocation = (units: number, elapsedMs: number): Measure => ({
  requestUnitsPerAllocation: units / ALLOCATIONS_PER_RUN,
  meanMsPerAllocation: elapsedMs / ALLOCATIONS_PER_RUN,
});

const round = (value: number): number => Math.round(value * 100) / 100;

if (require.main === module) {
  benchAllocation()
    .then((result) => {
      console.table(result.rows);
    })
    .catch((error) => {
      console.error(error);
      process.exitCode = 1;
    });
}
