/** bumpGeneration on DynamoDB Local: a gateway's desired state changing without a peer-set change. */
import { useDynamoDb } from '../helpers/dynamodb';
import { gatewayRecord } from '../helpers/gateways';
import { uniqueId } from './fixtures';

const db = useDynamoDb();

describe('bumpGeneration', () => {
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
});
