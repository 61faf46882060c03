/** The instanceId lock on DynamoDB Local: one gateway per instance, under concurrency too. */
import { ConflictError } from '../../lambdas/core/errors';
import { useDynamoDb } from '../support/dynamodb';
import { gatewayRecord } from '../support/gateways';
import { uniqueId } from '../support/records';

const db = useDynamoDb();

describe('instance locks', () => {
  it('refuses a second live gateway on a claimed instance, and is idempotent for its holder', async () => {
    // Prepare
    const instanceId = uniqueId('i');
    const holder = gatewayRecord({ id: uniqueId('gw'), instanceId });
    await db.repository().claimInstance(instanceId, holder.id);
    await db.repository().createGateway(holder);
    // Act
    const again = db.repository().claimInstance(instanceId, holder.id);
    const other = db.repository().claimInstance(instanceId, uniqueId('gw'));
    // Assess
    await expect(again).resolves.toBeUndefined();
    await expect(other).rejects.toEqual(new ConflictError('INSTANCE_IN_USE'));
  });

  it('lets exactly one of concurrent claims win', async () => {
    // Prepare
    const instanceId = uniqueId('i');
    const claimants = [1, 2, 3, 4].map(() => gatewayRecord({ id: uniqueId('gw'), instanceId }));
    for (const gateway of claimants) await db.repository().createGateway(gateway);
    // Act
    const results = await Promise.allSettled(
      claimants.map((gateway) => db.repository().claimInstance(instanceId, gateway.id)),
    );
    // Assess
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
  });

  it('is taken over when its holder no longer exists, and freed by its holder only', async () => {
    // Prepare: a claim whose registration never happened, and a released one
    const orphaned = uniqueId('i');
    await db.repository().claimInstance(orphaned, uniqueId('gw-never-registered'));
    const released = uniqueId('i');
    const holder = gatewayRecord({ id: uniqueId('gw'), instanceId: released });
    await db.repository().createGateway(holder);
    await db.repository().claimInstance(released, holder.id);
    await db.repository().releaseInstance(released, 'gw-not-the-holder');
    const stillHeld = db.repository().claimInstance(released, uniqueId('gw'));
    await expect(stillHeld).rejects.toBeInstanceOf(ConflictError);
    await db.repository().releaseInstance(released, holder.id);
    // Act
    const takeOver = db.repository().claimInstance(orphaned, uniqueId('gw'));
    const afterRelease = db.repository().claimInstance(released, uniqueId('gw'));
    // Assess
    await expect(takeOver).resolves.toBeUndefined();
    await expect(afterRelease).resolves.toBeUndefined();
  });
});
