/**
 * What only DynamoDB Local can show of gateways, status and idempotency records: items, the stream,
 * item sizes, TTL attributes. The port-level behaviour is the Repository contract (test/contract).
 */

import { DescribeTableCommand, DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import {
  type _Record,
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { CommandBus } from '../../lambdas/app/ports';
import { storeStatusReport } from '../../lambdas/app/status-reports';
import { ItemTooLargeError } from '../../lambdas/core/errors';
import { boundedStatusReport, STATUS_REPORT_MAX_PEERS } from '../../lambdas/core/status';
import { useDynamoDb } from '../support/dynamodb';
import { MemoryPublications, RecordingWorkflows } from '../support/fakes';
import { gatewayRecord } from '../support/gateways';
import { everyGateway } from '../support/pages';
import { roadWarrior, uniqueId } from '../support/records';
import { LONGEST_CIDR, LONGEST_ENDPOINT, peerStatuses, worstCasePeers } from '../support/status-reports';

const db = useDynamoDb();

/** Every record of the table's stream so far (DynamoDB Local has one shard per table here). */
async function streamRecords(): Promise<_Record[]> {
  const { Table } = await db.client().send(new DescribeTableCommand({ TableName: db.tableName }));
  const streams = new DynamoDBStreamsClient({ ...db.clientConfig(), endpoint: db.endpoint() });
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

/** A command bus whose every command succeeded with `output`: what a report round reads back. */
const answering = (output: string): CommandBus => ({
  send: async () => 'unused',
  teardown: async () => 'unused',
  requestReports: async () => 'unused',
  get: async () => ({ status: 'Success', output }),
});

describe('gateway registry', () => {
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

  it('keeps the tombstone of a deleted gateway for 30 days after its cascade (the table TTL), with its last generation', async () => {
    // Prepare
    const now = new Date('2026-12-01T00:00:00.000Z');
    const repository = db.repository({ clock: () => now });
    const gateway = gatewayRecord({ id: uniqueId('gw') });
    await repository.createGateway(gateway);
    await repository.bumpGeneration(gateway.id);

    // Act
    await repository.deleteGateway(gateway.id);
    await repository.endGatewayCascade(gateway.id, 1);

    // Assess: expiresAt is the TTL attribute of the table (built from the schema the stack uses:
    // test/infra/stack.test.ts checks the template's); none while the cascade was pending
    // (test/persistence/gateway-tombstones.test.ts).
    const { Item } = await db
      .documentClient()
      .send(new GetCommand({ TableName: db.tableName, Key: { pk: `TOMBSTONE#${gateway.id}`, sk: 'META' } }));
    expect(Item).toMatchObject({
      entity: 'tombstone',
      deletedAt: now.toISOString(),
      expiresAt: now.getTime() / 1000 + 30 * 24 * 60 * 60,
      lastGeneration: 1,
    });
    const ttl = await db.client().send(new DescribeTimeToLiveCommand({ TableName: db.tableName }));
    expect(ttl.TimeToLiveDescription).toMatchObject({
      AttributeName: 'expiresAt',
      TimeToLiveStatus: 'ENABLED',
    });
  });

  it('continues the generations of a deleted gateway when its id is registered again', async () => {
    // Prepare: an incarnation that reached generation 3, then was deleted.
    const gateway = gatewayRecord({ id: uniqueId('gw') });
    await db.repository().createGateway(gateway);
    for (let i = 0; i < 3; i++) await db.repository().bumpGeneration(gateway.id);
    await db.repository().deleteGateway(gateway.id);
    await db.repository().endGatewayCascade(gateway.id, 3);

    // Act: each registration once the cascade of the deletion before it ended.
    await db.repository().createGateway(gateway);
    const second = await db.repository().getGateway(gateway.id);
    await db.repository().bumpGeneration(gateway.id);
    await db.repository().deleteGateway(gateway.id);
    await db.repository().endGatewayCascade(gateway.id, 5);
    await db.repository().createGateway(gateway);
    const third = await db.repository().getGateway(gateway.id);

    // Assess: every incarnation starts above everything an instance may have applied before, so
    // its pushes are never refused as stale nor named like a closed push of the previous one.
    expect(second?.desiredGeneration).toBe(4);
    expect(third?.desiredGeneration).toBe(6);
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

    // Assess: the table's refusal as the adapter's typed error, not the SDK's ValidationException.
    expect(unbounded).toBeInstanceOf(ItemTooLargeError);
    const stored = await db.repository().getStatusReport(report.gatewayId);
    expect(stored?.peers).toHaveLength(STATUS_REPORT_MAX_PEERS);
    expect(stored?.peersOmitted).toBe(3500 - STATUS_REPORT_MAX_PEERS);
  });
  it('stores a report of 1,000 peers at the worst the parser lets through, whatever characters the instance prints', async () => {
    // Prepare: the longest gateway id, behind its desired generation (the item then holds
    // pendingGeneration too); every peer field at its bound, offered in 3-byte characters first
    // (docs/SECURITY.md, "Reports": they went to the dead-letter queue every period).
    const gateway = gatewayRecord({
      id: uniqueId('gw').padEnd(128, 'x'),
      instanceId: 'i-0worst',
      desiredGeneration: Number.MAX_SAFE_INTEGER,
    });
    await db.repository().createGateway(gateway);
    const output = JSON.stringify({
      gatewayId: gateway.id,
      appliedGeneration: Number.MAX_SAFE_INTEGER - 1,
      mode: 'wireguard',
      peers: worstCasePeers(STATUS_REPORT_MAX_PEERS),
    });
    const commands = answering(output);

    // Act
    const outcome = await storeStatusReport(
      {
        repository: db.repository(),
        configStore: new MemoryPublications(),
        commands,
        clock: () => new Date(),
        workflows: new RecordingWorkflows(),
      },
      { commandId: 'round-1', instanceId: gateway.instanceId },
    );

    // Assess
    expect(outcome).toEqual({ stored: true, gatewayId: gateway.id });
    const stored = await db.repository().getStatusReport(gateway.id);
    expect(stored?.pendingGeneration).toBe(Number.MAX_SAFE_INTEGER);
    expect(stored?.peers).toHaveLength(STATUS_REPORT_MAX_PEERS);
    expect(stored?.peers[0]).toMatchObject({
      allowedIps: Array(4).fill(LONGEST_CIDR),
      endpoint: LONGEST_ENDPOINT,
    });
  });

  it('drops a report naming a gatewayId over the 2 KB DynamoDB takes as a key, instead of throwing every period', async () => {
    // Prepare: any tagged instance can print it; a throw goes to the dead-letter queue and its alarm.
    const output = JSON.stringify({ gatewayId: 'g'.repeat(3000), appliedGeneration: 0, peers: [] });
    const commands = answering(output);

    // Act
    const outcome = await storeStatusReport(
      {
        repository: db.repository(),
        configStore: new MemoryPublications(),
        commands,
        clock: () => new Date(),
        workflows: new RecordingWorkflows(),
      },
      { commandId: 'round-1', instanceId: 'i-0intruder' },
    );

    // Assess
    expect(outcome).toEqual({ stored: false, reason: 'no-report' });
  });
});

describe('applied generations and live reports', () => {
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
});

describe('idempotency records', () => {
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
