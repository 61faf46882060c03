/**
 * DELETE /v1/gateways/{id} deletes only the gateway the caller was allowed to see: should the id
 * be deleted, its cascade end and the id be registered for another owner between the visibility
 * check and the delete, the answer is 404 and nothing is deleted or written (review s16d).
 * Behind the local front, on the in-memory repository.
 */
import { MemoryRepository } from '../../lambdas/adapters/memory/repository';
import type { GatewayRecord } from '../../lambdas/core/types';
import type { HttpFront } from '../../runtime/http-front';
import { mintToken } from '../../runtime/tokens';
import { callJson, memoryApiHandler, startApiFront } from '../support/api-front';
import { gatewayRecord } from '../support/gateways';

const SECRET = 'gateway-delete-incarnation-secret-of-32-bytes';

describe('deleting a gateway whose id is registered again meanwhile', () => {
  const removed: GatewayRecord[] = [];
  const repository = new MemoryRepository({ onGatewayDeleted: (gateway) => removed.push(gateway) });
  let front: HttpFront;

  beforeAll(async () => {
    const handler = memoryApiHandler({ deps: { repository }, timing: { waitMs: 50, pollMs: 10 } });
    front = await startApiFront(handler, SECRET);
  });
  afterAll(() => front?.close());

  it("answers 404 and leaves the other owner's gateway whole", async () => {
    // Prepare: alice's gw-r; right after her DELETE's visibility check it is deleted (another
    // request, the product's event), its cascade ends and the id is registered for bob.
    const alices = gatewayRecord({ id: 'gw-r', ownerId: 'alice', createdAt: '2026-12-01T00:00:00.000Z' });
    await repository.createGateway(alices);
    const bobs = { ...alices, ownerId: 'bob', instanceId: 'i-bob', createdAt: '2026-12-02T00:00:00.000Z' };
    const getGateway = repository.getGateway.bind(repository);
    let raced = false;
    jest.spyOn(repository, 'getGateway').mockImplementation(async (id) => {
      const read = await getGateway(id);
      if (!raced) {
        raced = true;
        const deleted = await repository.deleteGateway(id);
        await repository.endGatewayCascade(id, deleted?.desiredGeneration ?? 0);
        await repository.createGateway(bobs);
      }
      return read;
    });
    const alice = await mintToken(SECRET, { sub: 'alice' });

    // Act
    const answer = await callJson(front, 'DELETE', '/v1/gateways/gw-r', alice);

    // Assess: bob's gateway stands, nothing but alice's was deleted, no cascade is pending.
    expect(answer.status).toBe(404);
    expect(answer.body).toEqual({ error: expect.objectContaining({ code: 'NOT_FOUND' }) });
    expect((await getGateway('gw-r'))?.ownerId).toBe('bob');
    expect(removed.map((gateway) => gateway.ownerId)).toEqual(['alice']);
    expect(await repository.isGatewayCascadePending('gw-r')).toBe(false);
  });
});
