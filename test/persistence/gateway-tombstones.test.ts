/**
 * Gateway tombstones on the table, where the Repository contract cannot look or stage: the
 * `cascadePending` mark's values, a tombstone written before the mark existed, and registrations
 * whose tombstone read is overtaken (by a delete of the live gateway, by the cascade marking it, by
 * a "Deleted" event stamping it again); its TTL (`expiresAt`), which the memory twin does not model.
 */
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoGatewayStore } from '../../lambdas/adapters/dynamodb/gateway-store';
import { epochSeconds, type Key, keys } from '../../lambdas/adapters/dynamodb/items';
import type { Paging } from '../../lambdas/adapters/dynamodb/page-tokens';
import { Table } from '../../lambdas/adapters/dynamodb/table';
import { GATEWAY_TOMBSTONE_TTL_SECONDS } from '../../lambdas/app/ports';
import { ConflictError } from '../../lambdas/core/errors';
import { useDynamoDb } from '../support/dynamodb';
import { gatewayRecord } from '../support/gateways';
import { uniqueId } from '../support/records';

const db = useDynamoDb();

const tombstoneOf = async (gatewayId: string) =>
  (
    await db
      .documentClient()
      .send(new GetCommand({ TableName: db.tableName, Key: keys.tombstone(gatewayId) }))
  ).Item;

/**
 * A tombstone written raw, as older code wrote it: its last generation and `attributes`; with none,
 * as deletes wrote it before the mark existed (no cascadePending).
 */
async function olderTombstone(
  gatewayId: string,
  lastGeneration: number,
  attributes: Record<string, unknown> = {},
): Promise<void> {
  await db.documentClient().send(
    new PutCommand({
      TableName: db.tableName,
      Item: { ...keys.tombstone(gatewayId), entity: 'tombstone', lastGeneration, ...attributes },
    }),
  );
}

/** A table that runs `meanwhile` after the first tombstone read, before handing that read back. */
class TableOvertakenOnTombstoneRead extends Table {
  private pending: (() => Promise<unknown>) | undefined;

  constructor(meanwhile: () => Promise<unknown>) {
    super(db.documentClient(), db.tableName);
    this.pending = meanwhile;
  }

  override async get(key: Key) {
    const item = await super.get(key);
    const meanwhile = this.pending;
    if (meanwhile && key.pk.startsWith('TOMBSTONE#')) {
      this.pending = undefined;
      await meanwhile();
    }
    return item;
  }
}

describe('gateway tombstones', () => {
  it('refuses a registration overtaken by a delete until its cascade ended, then registers the id above it', async () => {
    // Prepare: a live gateway at generation 5; registering its id again reads no tombstone, then
    // the gateway is deleted before the registration writes (a "Deleted" event handled meanwhile).
    const gateway = gatewayRecord({ id: uniqueId('gw') });
    await db.repository().createGateway(gateway);
    for (let i = 0; i < 5; i++) await db.repository().bumpGeneration(gateway.id);
    const table = new TableOvertakenOnTombstoneRead(() => db.repository().deleteGateway(gateway.id));
    const store = new DynamoGatewayStore(table, () => new Date(), {} as Paging);

    // Act
    const overtaken = store.createGateway(gateway);
    await expect(overtaken).rejects.toEqual(new ConflictError('GATEWAY_BEING_DELETED'));
    await db.repository().endGatewayCascade(gateway.id, 5);
    await store.createGateway(gateway);

    // Assess: 6, not the 0 the stale read gave.
    expect((await db.repository().getGateway(gateway.id))?.desiredGeneration).toBe(6);
  });

  it('copies the end of the tombstone as written, not as read, when a Deleted event stamps it meanwhile', async () => {
    // Prepare: deleted through the API at 12:00:00.500, its cascade ended; registering the id again
    // reads that tombstone, then the product's Deleted (stamped 12:00:02, its clock ahead) is
    // handled before the registration writes.
    const gateway = gatewayRecord({ id: uniqueId('gw') });
    await db.repository().createGateway(gateway);
    await db.repository({ clock: () => new Date('2026-12-05T12:00:00.500Z') }).deleteGateway(gateway.id);
    await db.repository().endGatewayCascade(gateway.id, 0);
    const table = new TableOvertakenOnTombstoneRead(() =>
      db
        .repository({ clock: () => new Date('2026-12-05T12:00:01.000Z') })
        .deleteGateway(gateway.id, null, '2026-12-05T12:00:02Z'),
    );
    const store = new DynamoGatewayStore(table, () => new Date(), {} as Paging);

    // Act
    await store.createGateway(gateway);

    // Assess: the event's time, not the 12:00:00.500 the stale read gave.
    expect((await db.repository().getGateway(gateway.id))?.priorIncarnationEndedAt).toBe(
      '2026-12-05T12:00:02Z',
    );
  });
});

describe('the cascade mark of a gateway tombstone', () => {
  it('is true from the delete on and false once the cascade ended', async () => {
    // Prepare
    const gateway = gatewayRecord({ id: uniqueId('gw') });
    await db.repository().createGateway(gateway);

    // Act
    await db.repository().deleteGateway(gateway.id);
    const deleted = await tombstoneOf(gateway.id);
    await db.repository().deleteGateway(gateway.id);
    const deletedAgain = await tombstoneOf(gateway.id);
    await db.repository().endGatewayCascade(gateway.id, 0);
    const ended = await tombstoneOf(gateway.id);

    // Assess
    expect(deleted).toMatchObject({ lastGeneration: 0, cascadePending: true });
    expect(deletedAgain).toMatchObject({ lastGeneration: 0, cascadePending: true });
    expect(ended).toMatchObject({ lastGeneration: 0, cascadePending: false });
  });

  it('keeps, from the delete on, what the cascade needs: the instance and the key name', async () => {
    // Prepare: a gateway whose key the control plane holds, at generation 2.
    const gateway = gatewayRecord({
      id: uniqueId('gw'),
      privateKeyParam: '/vpc-peering/gateways/k/private-key',
    });
    await db.repository().createGateway(gateway);
    for (let i = 0; i < 2; i++) await db.repository().bumpGeneration(gateway.id);

    // Act
    await db.repository().deleteGateway(gateway.id);

    // Assess
    expect(await tombstoneOf(gateway.id)).toMatchObject({
      lastGeneration: 2,
      cascadePending: true,
      instanceId: gateway.instanceId,
      privateKeyParam: gateway.privateKeyParam,
    });
  });

  it('leaves out of the sweep a pending tombstone written before it kept what the cascade needs', async () => {
    // Prepare: marked pending long ago (and so in the sweep's index), but no instanceId: the sweep
    // could not run that cascade.
    const gatewayId = uniqueId('gw');
    await olderTombstone(gatewayId, 1, {
      cascadePending: true,
      deletedAt: '2025-01-01T00:00:00.000Z',
      gsi3pk: keys.sweepShard('cascade', gatewayId),
      gsi3sk: '2025-01-01T00:00:00.000Z',
    });

    // Act
    const work = await db.repository().findSweepWork({
      stalledBefore: '2025-01-01T00:00:00.000Z',
      cascadeBefore: '2030-01-01T00:00:00.000Z',
      walkBefore: '2030-01-01T00:00:00.000Z',
    });

    // Assess
    expect(work.pendingCascades.map((pending) => pending.id)).not.toContain(gatewayId);
  });

  it('is set by the cascade on a tombstone from before the mark: registrations wait for its end', async () => {
    // Prepare
    const gateway = gatewayRecord({ id: uniqueId('gw') });
    await olderTombstone(gateway.id, 4);

    // Act
    const begun = await db.repository().beginGatewayCascade(gateway.id, 4);
    const duringCascade = db.repository().createGateway(gateway);
    await expect(duringCascade).rejects.toEqual(new ConflictError('GATEWAY_BEING_DELETED'));
    await db.repository().endGatewayCascade(gateway.id, 4);
    const again = await db.repository().beginGatewayCascade(gateway.id, 4);
    await db.repository().createGateway(gateway);

    // Assess
    expect(begun).toBe(true);
    expect(again).toBe(false);
    expect((await db.repository().getGateway(gateway.id))?.desiredGeneration).toBe(5);
  });

  it('refuses a registration whose tombstone read the cascade overtook by marking it', async () => {
    // Prepare: the registration reads an unmarked tombstone, then the cascade marks it.
    const gateway = gatewayRecord({ id: uniqueId('gw') });
    await olderTombstone(gateway.id, 2);
    const table = new TableOvertakenOnTombstoneRead(() => db.repository().beginGatewayCascade(gateway.id, 2));
    const store = new DynamoGatewayStore(table, () => new Date(), {} as Paging);

    // Act
    const registration = store.createGateway(gateway);

    // Assess
    await expect(registration).rejects.toEqual(new ConflictError('GATEWAY_BEING_DELETED'));
    expect(await db.repository().getGateway(gateway.id)).toBeUndefined();
    expect(await tombstoneOf(gateway.id)).toMatchObject({ lastGeneration: 2, cascadePending: true });
  });
});

describe('the expiry of a gateway tombstone', () => {
  /** A clock the test moves: the delete, the repeated delete and the cascade's end days apart. */
  const clockAt = (start: string) => {
    let now = new Date(start);
    return { clock: () => now, set: (at: string) => (now = new Date(at)) };
  };

  it('has none while its cascade is pending, however often the id is deleted again, starts at the cascade end, then a repeated delete renews it', async () => {
    // Prepare: a gateway deleted on day 0, deleted again (a redelivered event) on day 20, its
    // cascade failing until day 45; deleted again on day 50.
    const time = clockAt('2026-01-01T00:00:00.000Z');
    const store = new DynamoGatewayStore(
      new Table(db.documentClient(), db.tableName),
      time.clock,
      {} as Paging,
    );
    const gateway = gatewayRecord({ id: uniqueId('gw') });
    await store.createGateway(gateway);

    // Act
    await store.deleteGateway(gateway.id);
    const deleted = await tombstoneOf(gateway.id);
    time.set('2026-01-21T00:00:00.000Z');
    await store.deleteGateway(gateway.id, undefined, '2026-01-20T23:59:59.000Z');
    const deletedAgain = await tombstoneOf(gateway.id);
    time.set('2026-02-15T00:00:00.000Z');
    await store.beginGatewayCascade(gateway.id, 0);
    const rerun = await tombstoneOf(gateway.id);
    await store.endGatewayCascade(gateway.id, 0);
    const ended = await tombstoneOf(gateway.id);
    time.set('2026-02-20T00:00:00.000Z');
    await store.deleteGateway(gateway.id);
    const deletedAfterEnd = await tombstoneOf(gateway.id);

    // Assess
    expect(deleted).toMatchObject({ cascadePending: true });
    expect(deleted).not.toHaveProperty('expiresAt');
    expect(deletedAgain).toMatchObject({
      cascadePending: true,
      deletingEventTime: '2026-01-20T23:59:59.000Z',
    });
    expect(deletedAgain).not.toHaveProperty('expiresAt');
    expect(rerun).not.toHaveProperty('expiresAt');
    expect(ended).toMatchObject({
      cascadePending: false,
      expiresAt: epochSeconds(new Date('2026-02-15T00:00:00.000Z')) + GATEWAY_TOMBSTONE_TTL_SECONDS,
    });
    expect(deletedAfterEnd).toMatchObject({
      cascadePending: false,
      lastGeneration: 0,
      expiresAt: epochSeconds(new Date('2026-02-20T00:00:00.000Z')) + GATEWAY_TOMBSTONE_TTL_SECONDS,
    });
  });

  it('is removed when the cascade marks a tombstone written before the mark', async () => {
    // Prepare: a tombstone as deletes wrote it before the mark, with its TTL.
    const gatewayId = uniqueId('gw');
    await olderTombstone(gatewayId, 3, { expiresAt: 1_700_000_000 });

    // Act
    await db.repository().beginGatewayCascade(gatewayId, 3);

    // Assess
    const tombstone = await tombstoneOf(gatewayId);
    expect(tombstone).toMatchObject({ cascadePending: true });
    expect(tombstone).not.toHaveProperty('expiresAt');
  });
});
