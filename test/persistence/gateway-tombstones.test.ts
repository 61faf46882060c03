/**
 * The tombstone's lastGeneration against interleavings the Repository contract cannot stage: a
 * registration whose tombstone read is overtaken by a delete of the live gateway.
 */
import { DynamoGatewayStore } from '../../lambdas/adapters/dynamodb/gateway-store';
import type { Key } from '../../lambdas/adapters/dynamodb/items';
import type { Paging } from '../../lambdas/adapters/dynamodb/page-tokens';
import { Table } from '../../lambdas/adapters/dynamodb/table';
import { ConflictError } from '../../lambdas/core/errors';
import { useDynamoDb } from '../support/dynamodb';
import { gatewayRecord } from '../support/gateways';
import { uniqueId } from '../support/records';

const db = useDynamoDb();

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
});
