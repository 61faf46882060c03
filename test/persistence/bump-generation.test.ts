/** bumpGeneration on DynamoDB Local: a gateway's desired state changing without a peer-set change. */
import { useDynamoDb } from '../support/dynamodb';
import { gatewayRecord } from '../support/gateways';
import { uniqueId } from '../support/records';

const db = useDynamoDb();

describe('bumpGeneration', () => {
  it('increments the stored generation and returns it, leaving the other fields alone', async () => {
    // Prepare
    const gateway = gatewayRecord({ id: uniqueId('gw'), desiredGeneration: 7 });
    await db.repository().createGateway(gateway);

    // Act
    const generation = await db.repository().bumpGeneration(gateway.id);

    // Assess
    expect(generation).toBe(8);
    expect(await db.repository().getGateway(gateway.id)).toEqual({ ...gateway, desiredGeneration: 8 });
  });

  it('gives concurrent bumps distinct generations, each the one it stored', async () => {
    // Prepare
    const gateway = gatewayRecord({ id: uniqueId('gw'), desiredGeneration: 0 });
    await db.repository().createGateway(gateway);

    // Act
    const generations = await Promise.all([1, 2, 3, 4].map(() => db.repository().bumpGeneration(gateway.id)));

    // Assess
    expect([...generations].sort()).toEqual([1, 2, 3, 4]);
    expect((await db.repository().getGateway(gateway.id))?.desiredGeneration).toBe(4);
  });

  it('returns undefined and writes nothing when the gateway is gone', async () => {
    // Prepare
    const gateway = gatewayRecord({ id: uniqueId('gw') });
    await db.repository().createGateway(gateway);
    await db.repository().deleteGateway(gateway.id);

    // Act
    const generation = await db.repository().bumpGeneration(gateway.id);

    // Assess
    expect(generation).toBeUndefined();
    expect(await db.repository().getGateway(gateway.id)).toBeUndefined();
  });
});
