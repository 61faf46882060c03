/**
 * GET /v1/gateways/{id}/peers/{name}/config is a road-warrior's: asked for a `vpc-peering-…`
 * peer, it answers 400 naming the path's `name` (docs/CONTRACT.md#errors: a 400 names the request
 * field), before anything is read or recorded (docs/DECISIONS.md, "The API's contract says what
 * the API does, on AWS too").
 */
import { MemoryRepository } from '../../lambdas/adapters/memory/repository';
import { peeringPeerName } from '../../lambdas/core/schemas';
import { env } from '../../lambdas/shared/env';
import type { HttpFront } from '../../runtime/http-front';
import { mintToken } from '../../runtime/tokens';
import { callJson, memoryApiHandler, startApiFront } from '../support/api-front';
import { gatewayRecord } from '../support/gateways';
import { newPeering, roadWarrior } from '../support/records';

const secret = 'peer-config-secret-of-at-least-32-bytes!';
const repository = new MemoryRepository();
/** The repository's methods called while `watching`. */
const calls: string[] = [];
let watching = false;
const watched = new Proxy(repository, {
  get: (target, property) => {
    const value = Reflect.get(target, property);
    if (typeof value !== 'function') return value;
    return (...args: unknown[]) => {
      if (watching) calls.push(String(property));
      return value.apply(target, args);
    };
  },
});
let front: HttpFront;
let alice: string;
const peeringId = 'pcx-config1';

beforeAll(async () => {
  const handler = memoryApiHandler({
    deps: { repository: watched },
    policy: { addresses: env.addressPolicy(), limits: env.ownerLimits() },
  });
  front = await startApiFront(handler, secret);
  alice = await mintToken(secret, { sub: 'alice' });
  const a = gatewayRecord({
    id: 'gw-ca',
    ownerId: 'alice',
    vpcCidr: '10.61.0.0/16',
    tunnelSubnet: '100.64.61.0/24',
  });
  const b = gatewayRecord({
    id: 'gw-cb',
    ownerId: 'alice',
    vpcCidr: '10.62.0.0/16',
    tunnelSubnet: '100.64.62.0/24',
  });
  await repository.createGateway(a);
  await repository.createGateway(b);
  await repository.createPeering(newPeering(a, b, peeringId));
  await repository.addRoadWarrior({ ...roadWarrior('gw-ca', 'laptop'), gateway: a });
});
afterAll(() => front?.close());
afterEach(() => {
  watching = false;
  calls.length = 0;
});

test('a vpc-peering peer: 400 naming `name`, with nothing read or recorded', async () => {
  // Prepare
  expect(await repository.getPeer('gw-ca', peeringPeerName(peeringId))).toBeDefined();
  watching = true;
  // Act
  const answer = await callJson(
    front,
    'GET',
    `/v1/gateways/gw-ca/peers/vpc-peering-${peeringId}/config`,
    alice,
  );
  // Assess
  expect([answer.status, answer.body?.error]).toEqual([
    400,
    {
      code: 'VALIDATION_ERROR',
      message: 'name: only a road-warrior has a client config, not a vpc-peering peer',
    },
  ]);
  expect(calls).toEqual([]);
});

test('a road-warrior still gets its config, and the download is recorded', async () => {
  // Prepare
  watching = true;
  // Act
  const response = await fetch(`${front.url}/v1/gateways/gw-ca/peers/laptop/config`, {
    headers: { authorization: `Bearer ${alice}` },
  });
  // Assess
  expect(response.status).toBe(200);
  expect(await response.text()).toContain('[Interface]');
  expect(calls).toContain('recordConfigDownload');
});
