/**
 * Section 9's rows and table (bench/lists.ts): gateways and road-warriors written straight into
 * DynamoDB Local with BatchWriteItem, on the control plane's table without its stream.
 */
import { CreateTableCommand, type DynamoDBClient, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { gatewayItem, peerItem } from '../lambdas/adapters/dynamodb/items';
import { createTableInput } from '../lambdas/adapters/dynamodb/schema';
import { intToIpv4 } from '../lambdas/core/cidr';
import type { GatewayRecord, PeerRecord } from '../lambdas/core/types';

export const TABLE = 'bench-lists';
const BATCH = 25;
const WRITERS = 8;
const PROGRESS_EVERY_MS = 30_000;
const PUBLIC_KEY = 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=';
const NOW = '2026-01-01T00:00:00.000Z';

export function gateway(
  id: string,
  ownerId: string,
  n: number,
  overrides: Partial<GatewayRecord> = {},
): GatewayRecord {
  return {
    id,
    name: id,
    ownerId,
    vpcId: `vpc-${id}`,
    vpcCidr: `10.${n % 256}.0.0/16`,
    location: 'bench',
    tunnelSubnet: `100.${64 + (Math.floor(n / 256) % 64)}.${n % 256}.0/24`,
    tunnelIp: `100.${64 + (Math.floor(n / 256) % 64)}.${n % 256}.1`,
    publicIp: `198.18.${Math.floor(n / 250) % 250}.${(n % 250) + 1}`,
    listenPort: 51820,
    publicKey: PUBLIC_KEY,
    instanceId: `i-${id}`,
    status: 'ACTIVE',
    desiredGeneration: 0,
    privateKeyParam: null,
    createdAt: NOW,
    updatedAt: NOW,
    ...overrides,
  };
}

export const gatewayRow = (record: GatewayRecord): Record<string, unknown> => ({
  ...gatewayItem(record, { allocatedCount: 0, capacity: 253 }),
});

export function roadWarriorRow(
  gatewayId: string,
  index: number,
  subnetFirst: number,
): Record<string, unknown> {
  const tunnelIp = intToIpv4(subnetFirst + 2 + index);
  const peer: PeerRecord = {
    gatewayId,
    name: `rw-${String(index).padStart(5, '0')}`,
    type: 'road-warrior',
    publicKey: PUBLIC_KEY,
    tunnelIp,
    allowedIps: [`${tunnelIp}/32`],
    endpoint: null,
    presharedKeyParam: null,
    privateKeyParam: null,
    createdAt: NOW,
  };
  return peerItem(peer);
}

/** The table as the control plane has it, minus the stream (see the module comment). */
export async function createBenchTable(client: DynamoDBClient): Promise<void> {
  const { StreamSpecification: _stream, ...input } = createTableInput(TABLE);
  await client.send(new CreateTableCommand(input));
  await waitUntilTableExists({ client, maxWaitTime: 60 }, { TableName: TABLE });
}

/** BatchWriteItem by WRITERS in parallel; progress on stderr (seeding 100,000 takes minutes). */
export async function batchWrite(
  documents: DynamoDBDocumentClient,
  items: Record<string, unknown>[],
): Promise<void> {
  let next = 0;
  const started = performance.now();
  let reported = started;
  const writer = async () => {
    while (next < items.length) {
      let requests = items.slice(next, next + BATCH).map((Item) => ({ PutRequest: { Item } }));
      next += BATCH;
      while (requests.length > 0) {
        const output = await documents.send(new BatchWriteCommand({ RequestItems: { [TABLE]: requests } }));
        requests = (output.UnprocessedItems?.[TABLE] ?? []) as typeof requests;
      }
      if (performance.now() - reported > PROGRESS_EVERY_MS) {
        reported = performance.now();
        const perSecond = Math.round(next / ((reported - started) / 1000));
        process.stderr.write(
          `   seeded ${Math.min(next, items.length)} of ${items.length} (${perSecond}/s)\n`,
        );
      }
    }
  };
  await Promise.all(Array.from({ length: WRITERS }, writer));
}
