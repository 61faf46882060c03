/**
 * A revocation whose gateway is deleted before its push starts is not done: the instance runs the
 * revoked key until the cascade's teardown reaches it, so the answer is 202, never 204 "the key can
 * no longer handshake" (review s16i). Behind the local front, on the in-memory repository.
 */
import { MemoryRepository } from '../../lambdas/adapters/memory/repository';
import type { HttpFront } from '../../runtime/http-front';
import { mintToken } from '../../runtime/tokens';
import { callJson, memoryApiHandler, startApiFront } from '../support/api-front';
import { gatewayRecord } from '../support/gateways';
import { roadWarrior } from '../support/records';

const SECRET = 'revocation-gateway-gone-secret-of-32-bytes';

describe('revoking a road-warrior of a gateway deleted meanwhile', () => {
  const repository = new MemoryRepository();
  let front: HttpFront;

  beforeAll(async () => {
    front = await startApiFront(memoryApiHandler({ deps: { repository } }), SECRET);
  });
  afterAll(() => front?.close());

  it('answers 202: the removal is stored, the instance not yet torn down', async () => {
    // Prepare: right after the removal commits, the gateway is deleted (its product's event)
    const gateway = gatewayRecord({ id: 'gw-gone', ownerId: 'alice' });
    await repository.createGateway(gateway);
    await repository.addRoadWarrior(roadWarrior(gateway.id, 'laptop'));
    const removeRoadWarrior = repository.removeRoadWarrior.bind(repository);
    jest.spyOn(repository, 'removeRoadWarrior').mockImplementation(async (...args) => {
      const removed = await removeRoadWarrior(...args);
      await repository.deleteGateway(gateway.id);
      return removed;
    });
    const alice = await mintToken(SECRET, { sub: 'alice' });

    // Act
    const answer = await callJson(front, 'DELETE', '/v1/gateways/gw-gone/peers/laptop', alice);

    // Assess
    expect(answer.status).toBe(202);
    expect(answer.body).toEqual({ gatewayId: 'gw-gone', name: 'laptop' });
  });
});
