/** Gateway registry, status reports, idempotency records and the table stream on DynamoDB Local. */

import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import {
  type _Record,
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ConflictError, GatewayGoneError } from '../../lambdas/core/errors';
import { boundedStatusReport, STATUS_REPORT_MAX_PEERS } from '../../lambdas/core/status';
import { toPublicGateway } from '../../lambdas/core/views';
import { LOCAL_CLIENT_CONFIG } from '../../runtime/dynamodb-local';
import { useDynamoDb } from '../helpers/dynamodb';
import { gatewayRecord } from '../helpers/gateways';
import { everyGateway } from '../helpers/pages';
import { peerStatuses } from '../helpers/status-reports';
import { roadWarrior, uniqueId } from './fixtures';

const db = useDynamoDb();

/** Every record of the table's stream so far (DynamoDB Local has one shard per table here). */
async function streamRecords(): Promise<_Record[]> {
  const { Table } = await db.client().send(new DescribeTableCommand({ TableName: db.tableName }));
  const streams = new DynamoDBStreamsClient({ ...LOCAL_CLIENT_CONFIG, endpoint: db.endpoint() });
  try {
    const { StreamDescription } = await streams.send(
      new DescribeStreamCommand({ StreamArn: Table?.LatestStreamArn }),
    );
    const records: _Record[] = [];
    for (const shard of StreamDescription?.Shards ?? []) {
      let { ShardIterator } = await streams.send(
        new GetShardIteratorCommand({
          StreamArn: Table?.LatestStreamArn,
          ShardId: shard.ShardId,
          ShardIteratorType: 'TRIM_HORIZON',
        }),
      );
      while (ShardIterator) {
        const page = await streams.send(new GetRecordsCommand({ ShardIterator }));
        records.push(...(page.Records ?? []));
        // An open shard always hands back a next iterator: stop at the first empty page.
        ShardIterator = page.Records?.length ? page.NextShardIterator : undefined;
      }
    }
    return records;
  } finally {
    streams.destroy();
  }
}

describe('gateway registry', () => {
  it('stores a gateway and hands back the record without storage attributes', async () => {
    // Prepare
    const gateway = gatewayRecord({ privateKeyParam: '/vpc-peering/gateways/x/private-key' });

    // Act
    await db.repository().createGateway(gateway);
    const stored = await db.repository().getGateway(gateway.id);

    // Assess
    expect(stored).toEqual(gateway);
    expect(toPublicGateway(gateway)).not.toHaveProperty('desiredGeneration');
  });

  it('refuses a second gateway with the same id', async () => {
    // Prepare
    const gateway = gatewayRecord();
    await db.repository().createGateway(gateway);

    // Act
    const again = db.repository().createGateway({ ...gateway, name: 'other' });

    // Assess
    await expect(again).rejects.toEqual(new ConflictError('GATEWAY_EXISTS'));
  });

  it('upserts registry fields and keeps the generation and counters', async () => {
    // Prepare
    const gateway = gatewayRecord();
    await db.repository().createGateway(gateway);
    await db.repository().addRoadWarrior(roadWarrior(gateway.id, 'rw'));

    // Act
    const updated = await db
      .repository()
      .upsertGateway({ ...gateway, publicIp: '198.51.100.7', desiredGeneration: 0 });
    const inserted = await db.repository().upsertGateway(gatewayRecord({ id: uniqueId('new') }));

    // Assess
    expect(updated).toEqual({ ...gateway, publicIp: '198.51.100.7', desiredGeneration: 1 });
    expect(inserted.desiredGeneration).toBe(0);
    const { Item } = await db
      .documentClient()
      .send(new GetCommand({ TableName: db.tableName, Key: { pk: `GW#${gateway.id}`, sk: 'META' } }));
    expect(Item).toMatchObject({ allocatedCount: 1, capacity: 253 });
  });

  it('lists gateways per owner and for admins', async () => {
    // Prepare
    const owner = uniqueId('owner');
    const mine = [
      gatewayRecord({ ownerId: owner, id: 'gw-b' }),
      gatewayRecord({ ownerId: owner, id: 'gw-a' }),
    ];
    for (const gateway of mine) await db.repository().createGateway(gateway);

    // Act
    const listed = await everyGateway(db.repository(), { ownerId: owner });
    const all = await everyGateway(db.repository());

    // Assess
    expect(listed.map((gateway) => gateway.id)).toEqual(['gw-a', 'gw-b']);
    expect(all.map((gateway) => gateway.id)).toEqual(expect.arrayContaining(['gw-a', 'gw-b']));
  });

  it('deletes a gateway once, and its REMOVE stream record carries the whole item as OldImage', async () => {
    // Prepare
    const gateway = gatewayRecord();
    await db.repository().createGateway(gateway);

    // Act
    const deleted = await db.repository().deleteGateway(gateway.id);
    const deletedAgain = await db.repository().deleteGateway(gateway.id);
    const records = await streamRecords();

    // Assess
    expect(deleted).toEqual(gateway);
    expect(deletedAgain).toBeUndefined();
    const removal = records.find(
      (record) => record.eventName === 'REMOVE' && record.dynamodb?.Keys?.pk?.S === `GW#${gateway.id}`,
    );
    expect(removal?.dynamodb?.OldImage).toMatchObject({
      pk: { S: `GW#${gateway.id}` },
      sk: { S: 'META' },
      entity: { S: 'gateway' },
      ownerId: { S: gateway.ownerId },
      tunnelSubnet: { S: gateway.tunnelSubnet },
    });
  });

  it('refuses to bring a deleted gateway back through an upsert, until it is registered again', async () => {
    // Prepare
    const gateway = gatewayRecord({ id: uniqueId('gw') });
    await db.repository().createGateway(gateway);
    await db.repository().deleteGateway(gateway.id);

    // Act
    const lateUpsert = db.repository().upsertGateway({ ...gateway, name: 'late' });

    // Assess: refused and nothing stored; registering the id again is deliberate and clears it.
    await expect(lateUpsert).rejects.toBeInstanceOf(GatewayGoneError);
    expect(await db.repository().getGateway(gateway.id)).toBeUndefined();
    await db.repository().createGateway(gateway);
    await db.repository().deleteGateway(gateway.id);
    await db.repository().createGateway(gateway);
    expect(await db.repository().upsertGateway({ ...gateway, name: 'renamed' })).toMatchObject({
      id: gateway.id,
      name: 'renamed',
    });
  });

  it('registers through an upsert a gateway it never saw', async () => {
    // Prepare
    const gateway = gatewayRecord({ id: uniqueId('gw') });

    // Act
    const stored = await db.repository().upsertGateway(gateway);

    // Assess
    expect(stored).toEqual(gateway);
    expect(await db.repository().getGateway(gateway.id)).toEqual(gateway);
  });

  it('purges what a deleted gateway leaves behind', async () => {
    // Prepare
    const gateway = gatewayRecord();
    await db.repository().createGateway(gateway);
    await db.repository().addRoadWarrior(roadWarrior(gateway.id, 'rw-1'));
    await db.repository().addRoadWarrior(roadWarrior(gateway.id, 'rw-2'));
    await db.repository().putStatusReport({
      gatewayId: gateway.id,
      appliedGeneration: 2,
      mode: 'files',
      peers: [],
      reportedAt: '2025-01-01T00:00:00.000Z',
    });
    await db.repository().deleteGateway(gateway.id);

    // Act
    await db.repository().purgeGatewayResidue(gateway.id);
    await db.repository().purgeGatewayResidue(gateway.id);

    // Assess
    const { Items } = await db.documentClient().send(
      new QueryCommand({
        TableName: db.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `GW#${gateway.id}` },
      }),
    );
    expect(Items).toEqual([]);
  });
});

describe('status reports', () => {
  it('stores a bounded report of 3,500 peers; unbounded, it would not fit in an item', async () => {
    // Prepare: about 130 bytes a peer, so 3,500 peers are over DynamoDB's 400 KB item limit.
    const report = {
      gatewayId: uniqueId('gw'),
      appliedGeneration: 1,
      mode: 'wireguard' as const,
      peers: peerStatuses(3500),
      reportedAt: '2026-11-25T00:00:00.000Z',
    };

    // Act
    const unbounded = await db
      .repository()
      .putStatusReport(report)
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    await db.repository().putStatusReport(boundedStatusReport(report));

    // Assess
    expect(String(unbounded)).toMatch(/size/i);
    const stored = await db.repository().getStatusReport(report.gatewayId);
    expect(stored?.peers).toHaveLength(STATUS_REPORT_MAX_PEERS);
    expect(stored?.peersOmitted).toBe(3500 - STATUS_REPORT_MAX_PEERS);
  });

  it('stores the last report of a gateway', async () => {
    // Prepare
    const report = {
      gatewayId: uniqueId('gw'),
      appliedGeneration: 3,
      mode: 'wireguard' as const,
      peers: [
        {
          publicKey: 'k',
          allowedIps: ['10.0.0.0/16'],
          endpoint: null,
          latestHandshake: 0,
          rxBytes: 1,
          txBytes: 2,
        },
      ],
      reportedAt: '2025-01-01T00:00:00.000Z',
    };

    // Act
    await db.repository().putStatusReport(report);

    // Assess
    expect(await db.repository().getStatusReport(report.gatewayId)).toEqual(report);
  });
});

describe('applied generations and live reports', () => {
  const peer = (latestHandshake: number) => ({
    publicKey: 'k',
    allowedIps: ['10.0.0.0/16'],
    endpoint: null,
    latestHandshake,
    rxBytes: 1,
    txBytes: 2,
  });

  it('keeps the highest applied generation, whatever order pushes finish in, with when it was first reported', async () => {
    // Prepare
    const gatewayId = uniqueId('gw');
    const at = '2026-11-25T00:00:00.000Z';

    // Act
    await db.repository().recordApplied({ gatewayId, appliedGeneration: 5, appliedAt: at });
    await db.repository().recordApplied({ gatewayId, appliedGeneration: 4, appliedAt: at });
    await db
      .repository()
      .recordApplied({ gatewayId, appliedGeneration: 5, appliedAt: '2026-11-25T00:05:00.000Z' });

    // Assess
    expect(await db.repository().getAppliedGeneration(gatewayId)).toEqual({
      gatewayId,
      appliedGeneration: 5,
      appliedAt: at,
    });
  });

  it('records an applied generation in an item of its own, far under the 1 KB of one write unit', async () => {
    // Prepare: a 1,000-peer live report beside it.
    const gatewayId = uniqueId('gw');
    await db.repository().putStatusReport({
      gatewayId,
      appliedGeneration: 1,
      mode: 'wireguard',
      peers: peerStatuses(STATUS_REPORT_MAX_PEERS),
      reportedAt: '2026-11-25T00:00:00.000Z',
    });

    // Act
    await db
      .repository()
      .recordApplied({ gatewayId, appliedGeneration: 2, appliedAt: '2026-11-25T00:00:01.000Z' });

    // Assess
    const { Item } = await db
      .documentClient()
      .send(new GetCommand({ TableName: db.tableName, Key: { pk: `GW#${gatewayId}`, sk: 'APPLIED' } }));
    expect(Item).toMatchObject({ appliedGeneration: 2 });
    expect(JSON.stringify(Item).length).toBeLessThan(256);
    expect((await db.repository().getStatusReport(gatewayId))?.appliedGeneration).toBe(1);
  });

  it('never replaces a live report by an older one: older generation, or same generation and earlier', async () => {
    // Prepare
    const gatewayId = uniqueId('gw');
    const report = (appliedGeneration: number, reportedAt: string, handshake: number) => ({
      gatewayId,
      appliedGeneration,
      mode: 'wireguard' as const,
      peers: [peer(handshake)],
      reportedAt,
    });
    await db.repository().putStatusReport(report(3, '2026-11-25T00:00:05.000Z', 30));

    // Act
    await db.repository().putStatusReport(report(2, '2026-11-25T00:00:09.000Z', 20));
    await db.repository().putStatusReport(report(3, '2026-11-25T00:00:04.000Z', 29));
    const afterOlder = await db.repository().getStatusReport(gatewayId);
    await db.repository().putStatusReport(report(3, '2026-11-25T00:00:06.000Z', 31));

    // Assess
    expect(afterOlder?.peers[0]?.latestHandshake).toBe(30);
    expect((await db.repository().getStatusReport(gatewayId))?.peers[0]?.latestHandshake).toBe(31);
  });
});

describe('idempotency records', () => {
  it('claims a key once, then returns the first record with its completed response', async () => {
    // Prepare
    const key = `api#${uniqueId('key')}`;
    const record = { key, requestHash: 'h1', createdAt: '2025-01-01T00:00:00.000Z' };
    const response = { statusCode: 201, headers: { 'content-type': 'application/json' }, body: '{}' };

    // Act
    const claimed = await db.repository().claimIdempotencyKey(record);
    const pending = await db.repository().claimIdempotencyKey({ ...record, requestHash: 'h2' });
    await db.repository().completeIdempotencyKey(key, response);
    const replay = await db.repository().claimIdempotencyKey(record);

    // Assess
    expect(claimed).toBeUndefined();
    expect(pending).toEqual(record);
    expect(replay).toEqual({ ...record, response });
  });

  it('expires a record after 24 hours', async () => {
    // Prepare
    const now = new Date('2025-01-01T00:00:00.000Z');
    const key = `api#${uniqueId('key')}`;

    // Act
    await db
      .repository({ clock: () => now })
      .claimIdempotencyKey({ key, requestHash: 'h', createdAt: now.toISOString() });

    // Assess
    const { Item } = await db
      .documentClient()
      .send(new GetCommand({ TableName: db.tableName, Key: { pk: `IDEMPOTENCY#${key}`, sk: 'META' } }));
    expect(Item?.expiresAt).toBe(now.getTime() / 1000 + 24 * 60 * 60);
  });
});
