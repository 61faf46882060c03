/**
 * The API's handler on the in-memory repository with an injected clock, for tests of what a
 * repeated Idempotency-Key names and answers (test/api/idempotent-ids.test.ts,
 * test/api/idempotent-reruns.test.ts).
 */
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { MemoryRepository } from '../../lambdas/adapters/memory/repository';
import type { ApiDeps, ApiPolicy } from '../../lambdas/app/api/context';
import { IDEMPOTENCY_TTL_SECONDS } from '../../lambdas/app/ports';
import { DEFAULT_ADDRESS_POLICY } from '../../lambdas/core/address-rules';
import { TransientError } from '../../lambdas/core/errors';
import { createApiHandler } from '../../lambdas/http/handler';
import { MemorySecrets } from './fakes';
import { gatewayRecord } from './gateways';
import { ownerLimits } from './limits';

/** A secret store whose deletes can fail: a revoked key's secret then stays for the sweep. */
export class FlakySecrets extends MemorySecrets {
  failDeletes = false;
  override async delete(name: string): Promise<void> {
    if (this.failDeletes) throw new TransientError('SlowDown');
    await super.delete(name);
  }
}

export const ADMIN = { sub: 'ops', 'cognito:groups': 'admin' };
export const ALICE = { sub: 'alice' };
export const PAST_THE_RECORD_MS = (IDEMPOTENCY_TTL_SECONDS + 2) * 1000;

/** A fresh API over an empty repository: `call` goes through the handler, as API Gateway would. */
export function setUp() {
  const clock = { now: Date.parse('2026-12-01T00:00:00Z') };
  const now = () => new Date(clock.now);
  const repository = new MemoryRepository({ clock: now });
  const secrets = new FlakySecrets();
  const deps: ApiDeps = {
    repository,
    secrets,
    clock: now,
    workflows: {
      start: async (_workflow, name) => ({ executionId: name, mayHaveEnded: true }),
      describe: async () => ({ status: 'SUCCEEDED' }),
      find: async () => undefined,
    },
    configStore: { get: async () => undefined },
  };
  const handler = createApiHandler(
    () => deps,
    () => ({ waitMs: 50, pollMs: 5 }),
    (): ApiPolicy => ({
      addresses: DEFAULT_ADDRESS_POLICY,
      limits: ownerLimits(),
      throttle: { ratePerSecond: 1000, burst: 1000 },
    }),
  );
  const call = async (
    httpMethod: string,
    path: string,
    claims: Record<string, unknown>,
    body?: unknown,
    key?: string,
  ) => {
    const event = {
      httpMethod,
      path,
      resource: '/{proxy+}',
      pathParameters: null,
      stageVariables: null,
      headers: key ? { 'Idempotency-Key': key } : {},
      multiValueHeaders: {},
      queryStringParameters: null,
      multiValueQueryStringParameters: null,
      body: body === undefined ? null : JSON.stringify(body),
      isBase64Encoded: false,
      requestContext: { authorizer: { claims } } as unknown as APIGatewayProxyEvent['requestContext'],
    };
    const response = await handler(event, {} as Context);
    const json = String(response.headers?.['content-type']).startsWith('application/json');
    // biome-ignore lint/suspicious/noExplicitAny: each test asserts the fields it reads
    const answer: any = json && response.body ? JSON.parse(response.body) : response.body;
    return { status: response.statusCode, body: answer };
  };
  const register = (n: number, key?: string) =>
    call(
      'POST',
      '/v1/gateways',
      ADMIN,
      {
        ownerId: 'alice',
        vpcId: `vpc-idem${n}`,
        vpcCidr: `10.${n}.0.0/16`,
        tunnelSubnet: `100.64.${n}.0/24`,
        publicIp: `203.0.113.${n}`,
        instanceId: `i-idem${n}`,
      },
      key,
    );
  const addLaptop = (gatewayId: string, key: string) =>
    call('POST', `/v1/gateways/${gatewayId}/peers`, ALICE, { name: 'laptop' }, key);
  /** The secret name of a stored road-warrior's generated private key (it holds the key id). */
  const laptopKeyName = async (gatewayId: string) =>
    (await repository.getPeer(gatewayId, 'laptop'))?.privateKeyParam ?? undefined;
  const aliceGateway = async () => {
    const gateway = gatewayRecord({ ownerId: 'alice' });
    await repository.createGateway(gateway);
    return gateway.id;
  };
  return { clock, repository, secrets, call, register, addLaptop, laptopKeyName, aliceGateway };
}

/** Resolves once `condition` holds; fails rather than waiting forever. */
export async function until(condition: () => boolean) {
  for (let turn = 0; turn < 1000 && !condition(); turn += 1) {
    await new Promise((resolve) => setImmediate(resolve));
  }
  if (!condition()) throw new Error('the awaited request never got there');
}
