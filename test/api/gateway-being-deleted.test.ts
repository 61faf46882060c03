/**
 * POST /v1/gateways for an id whose deletion's cascade has not ended: 409 GATEWAY_BEING_DELETED,
 * as the OpenAPI document describes it, and 201 once the cascade ended (with a key of its own, not
 * the deleted gateway's), also when the retry carries the refused request's Idempotency-Key (the 409
 * asks for that retry, so it is never replayed). On the in-memory repository, whose deletions are handed to the cascade
 * as DynamoDB's stream hands them (here by hand, so the test decides when it runs).
 */
import { MemoryRepository } from '../../lambdas/adapters/memory/repository';
import { cascadeGatewayRemoval } from '../../lambdas/app/gateway-cascade';
import { CONFLICT_MESSAGES } from '../../lambdas/core/errors';
import type { GatewayRecord } from '../../lambdas/core/types';
import { openApiDocument } from '../../lambdas/openapi';
import type { HttpFront } from '../../runtime/http-front';
import { mintToken } from '../../runtime/tokens';
import { callJson, memoryApiHandler, startApiFront } from '../support/api-front';
import { eventDependencies } from '../support/events-fixture';
import { MemorySecrets, RecordingWorkflows } from '../support/fakes';

const SECRET = 'gateway-being-deleted-secret-of-at-least-32-bytes';

describe('registering an id whose deletion is still being cleaned up', () => {
  const removed: GatewayRecord[] = [];
  const repository = new MemoryRepository({ onGatewayDeleted: (gateway) => removed.push(gateway) });
  const secrets = new MemorySecrets();
  const workflows = new RecordingWorkflows();
  let front: HttpFront;

  beforeAll(async () => {
    const handler = memoryApiHandler({
      deps: { repository, secrets, workflows },
      timing: { waitMs: 50, pollMs: 10 },
    });
    front = await startApiFront(handler, SECRET);
  });
  afterAll(() => front?.close());

  const call = async (method: string, path: string, body?: unknown, headers?: Record<string, string>) => {
    const admin = await mintToken(SECRET, { sub: 'ops', groups: ['admin'] });
    const answer = await callJson(front, method, path, admin, body, headers);
    return { status: answer.status, body: answer.body };
  };

  const register = (idempotencyKey?: string) =>
    call(
      'POST',
      '/v1/gateways',
      {
        id: 'gw-again',
        ownerId: 'alice',
        vpcId: 'vpc-again',
        vpcCidr: '10.7.0.0/16',
        tunnelSubnet: '100.64.7.0/24',
        publicIp: '203.0.113.7',
        instanceId: 'i-again',
      },
      idempotencyKey ? { 'Idempotency-Key': idempotencyKey } : {},
    );

  it('answers 409 GATEWAY_BEING_DELETED until the cascade ended, then registers it with a new key', async () => {
    // The retry the 409 asks for carries the same Idempotency-Key, as a client's retry does.
    // Prepare
    const first = await register();
    expect((await call('DELETE', '/v1/gateways/gw-again')).status).toBeLessThan(300);

    // Act: the refused registration must not touch the key at the id's name, which the cascade
    // deletes (kept or written now, the gateway would later be created with a deleted key).
    const keyWrites = jest.spyOn(secrets, 'putIfAbsent');
    const whilePending = await register('register-again');
    const keyWritesWhilePending = keyWrites.mock.calls.length;
    const [deleted] = removed;
    if (!deleted) throw new Error('the deletion was not handed to the cascade');
    await cascadeGatewayRemoval(eventDependencies({ repository, workflows, secrets }), deleted);
    const afterCascade = await register('register-again');

    // Assess
    expect(first.status).toBe(201);
    expect(whilePending).toEqual({
      status: 409,
      body: {
        error: { code: 'GATEWAY_BEING_DELETED', message: CONFLICT_MESSAGES.GATEWAY_BEING_DELETED },
      },
    });
    expect(keyWritesWhilePending).toBe(0);
    expect(afterCascade.status).toBe(201);
    expect(afterCascade.body.publicKey).not.toBe(first.body.publicKey);
  });

  it('is documented: a 409 example of POST /v1/gateways and a code of the Error schema', () => {
    // Prepare
    const doc = openApiDocument as unknown as {
      paths: Record<string, { post: { responses: Record<string, unknown> } }>;
      components: { schemas: { Error: unknown } };
    };

    // Act
    const conflict = JSON.stringify(doc.paths['/v1/gateways']?.post.responses['409']);
    const codes = JSON.stringify(doc.components.schemas.Error);

    // Assess
    expect(conflict).toContain(
      JSON.stringify({
        error: { code: 'GATEWAY_BEING_DELETED', message: CONFLICT_MESSAGES.GATEWAY_BEING_DELETED },
      }),
    );
    expect(codes).toContain('"GATEWAY_BEING_DELETED"');
  });
});
