/**
 * Per-owner limits and per-caller throttling of the API, without I/O (lists faked over the
 * in-memory repository's admissions, fixed clock). Concurrency: test/support/repository-contract.ts.
 */
import middy from '@middy/core';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { MemoryRepository } from '../../lambdas/adapters/memory/repository';
import {
  ALLOCATE_BOUND_MS,
  admitGateway,
  admitOperation,
  admitPeering,
  admitRoadWarrior,
  INDEX_LAG_BOUND_MS,
  REQUEST_BOUND_MS,
} from '../../lambdas/app/api/limits';
import type { ExecutionResult, Repository } from '../../lambdas/app/ports';
import { TokenBuckets } from '../../lambdas/core/token-bucket';
import {
  type GatewayRecord,
  isPeeringInFlight,
  type Peering,
  type PeerRecord,
} from '../../lambdas/core/types';
import { callerClaims } from '../../lambdas/http/claims';
import { httpErrors, toErrorResponse } from '../../lambdas/http/errors';
import type { ApiEvent } from '../../lambdas/http/event';
import { jsonResponse } from '../../lambdas/http/response';
import { callerThrottle } from '../../lambdas/http/throttle';
import { gatewayRecord } from '../support/gateways';
import { ownerLimits } from '../support/limits';

const LIMITS = ownerLimits({
  gatewaysPerOwner: 2,
  roadWarriorsPerGateway: 1,
  operationsInFlightPerOwner: 1,
  peeringsPerGateway: 1,
});

/** Lists holding what is given (ids by position); admissions and peerings of a real in-memory repository. */
function repositoryHolding(held: {
  gateways?: number;
  peers?: PeerRecord['type'][];
  peerings?: Peering['status'][];
}): Repository {
  return Object.assign(new MemoryRepository(), {
    pageGateways: async () => ({
      items: Array.from({ length: held.gateways ?? 0 }, (_, i) => ({ id: `gw-${i}` }) as GatewayRecord),
    }),
    listPeers: async () => (held.peers ?? []).map((type, i) => ({ type, name: `peer-${i}` }) as PeerRecord),
    inFlightPeeringIds: async (_ownerId: string, max: number) =>
      (held.peerings ?? [])
        .map((status, i) => ({ status, id: `pcx-${i}` }))
        .filter((peering) => isPeeringInFlight(peering.status))
        .map((peering) => peering.id)
        .slice(0, max),
  });
}

/** Executions of create-peering as `runs` says; none for any other name. */
const workflowsWith = (runs: Record<string, ExecutionResult['status']> = {}) => ({
  start: async (_workflow: string, name: string) => ({ executionId: name, mayHaveEnded: true }),
  describe: async () => ({ status: 'RUNNING' as const }),
  find: async (_workflow: string, name: string) => {
    const status = runs[name];
    return status ? { status } : undefined;
  },
});

const AT = Date.parse('2026-12-01T00:00:00Z');
const depsOf = (repository: Repository, runs?: Record<string, ExecutionResult['status']>, now = AT) => ({
  repository,
  clock: () => new Date(now),
  workflows: workflowsWith(runs),
});

/** The HTTP answer a check gives: the error envelope of its refusal, or undefined. */
async function answerOf(check: Promise<void>) {
  return check.then(
    () => undefined,
    (error: unknown) => {
      const response = toErrorResponse(error);
      return { status: response.statusCode, body: JSON.parse(response.body) };
    },
  );
}

describe('per-owner limits', () => {
  it.each([
    [
      'a gateway below the limit',
      () => admitGateway(depsOf(repositoryHolding({ gateways: 1 })), 'u1', 'gw-new', LIMITS),
      undefined,
    ],
    [
      'a gateway at the limit',
      () => admitGateway(depsOf(repositoryHolding({ gateways: 2 })), 'u1', 'gw-new', LIMITS),
      {
        status: 409,
        code: 'QUOTA_EXCEEDED',
        message: 'Owner u1 already has 2 gateways, the limit of this deployment (2)',
      },
    ],
    [
      'a road-warrior next to peerings only',
      () =>
        admitRoadWarrior(
          depsOf(repositoryHolding({ peers: ['vpc-peering', 'vpc-peering'] })),
          'gw',
          'new',
          LIMITS,
        ),
      undefined,
    ],
    [
      'a road-warrior at the limit',
      () => admitRoadWarrior(depsOf(repositoryHolding({ peers: ['road-warrior'] })), 'gw', 'new', LIMITS),
      {
        status: 409,
        code: 'QUOTA_EXCEEDED',
        message: 'This gateway already has 1 road-warriors, the limit of this deployment (1)',
      },
    ],
    [
      'an operation next to settled peerings',
      () =>
        admitOperation(
          depsOf(repositoryHolding({ peerings: ['ACTIVE', 'FAILED'] })),
          'u1',
          'pcx-new',
          LIMITS,
        ),
      undefined,
    ],
    [
      'an operation while one runs',
      () => admitOperation(depsOf(repositoryHolding({ peerings: ['DELETING'] })), 'u1', 'pcx-new', LIMITS),
      {
        status: 429,
        code: 'TOO_MANY_OPERATIONS',
        message:
          '1 peering operations of this owner are still running, the limit of this deployment (1); retry once one has ended',
      },
    ],
  ])('%s', async (_case, check, expected) => {
    // Act
    const answer = await answerOf(check());
    // Assess
    expect(answer).toEqual(
      expected && {
        status: expected.status,
        body: { error: { code: expected.code, message: expected.message } },
      },
    );
  });
});

describe('admissions beside the lists', () => {
  const LIMIT_2 = { ...LIMITS, gatewaysPerOwner: 2, operationsInFlightPerOwner: 2, peeringsPerGateway: 2 };

  it('counts admitted gateways the lists do not show yet, until they surely would', async () => {
    // Prepare: two admitted, neither listed; gw-a was written, gw-b's request never wrote it
    const repository = repositoryHolding({});
    await admitGateway(depsOf(repository), 'u1', 'gw-a', LIMIT_2);
    await admitGateway(depsOf(repository), 'u1', 'gw-b', LIMIT_2);
    await repository.createGateway(gatewayRecord({ id: 'gw-a', ownerId: 'u1' }));
    const at = (ms: number) => depsOf(repository, {}, AT + ms);
    // Act
    const meanwhile = await answerOf(admitGateway(at(1000), 'u1', 'gw-c', LIMIT_2));
    const retried = await answerOf(admitGateway(at(1000), 'u1', 'gw-a', LIMIT_2));
    const afterRequests = await answerOf(admitGateway(at(REQUEST_BOUND_MS), 'u1', 'gw-c', LIMIT_2));
    const afterIndexLag = await answerOf(admitGateway(at(INDEX_LAG_BOUND_MS), 'u1', 'gw-d', LIMIT_2));
    // Assess
    expect(meanwhile?.body.error.code).toBe('QUOTA_EXCEEDED');
    expect(retried).toBeUndefined(); // an admitted id is admitted again, not counted twice
    expect(afterRequests).toBeUndefined(); // gw-b no longer counts; gw-a (written) and gw-c do
    expect(afterIndexLag).toBeUndefined(); // only gw-c's admission counts beside the (empty) list
  });

  it.each([
    ['its execution runs', { 'pcx-a': 'RUNNING' }, AT + 10 * REQUEST_BOUND_MS, 'TOO_MANY_OPERATIONS'],
    ['its execution has not started yet', {}, AT + 1000, 'TOO_MANY_OPERATIONS'],
    ['its execution never started', {}, AT + REQUEST_BOUND_MS, undefined],
    ['its execution failed before writing a peering', { 'pcx-a': 'FAILED' }, AT + 1000, undefined],
  ] as const)('an admitted create counts while %s', async (_case, runs, now, code) => {
    // Prepare: one create admitted, one listed in flight, limit 2
    const repository = repositoryHolding({ peerings: ['PROVISIONING'] });
    await admitOperation(depsOf(repository), 'u1', 'pcx-a', LIMIT_2);
    // Act
    const answer = await answerOf(admitOperation(depsOf(repository, runs, now), 'u1', 'pcx-b', LIMIT_2));
    // Assess
    expect(answer?.body.error.code).toBe(code);
  });
});

describe('peerings per gateway beside the entries', () => {
  const LIMIT_1 = { ...LIMITS, peeringsPerGateway: 1 };
  const WRITTEN_AT = AT + 1000;
  const written = (status: Peering['status']) => ({
    id: 'pcx-a',
    status,
    createdAt: new Date(WRITTEN_AT).toISOString(),
  });

  it.each([
    ['its execution runs', { 'pcx-a': 'RUNNING' }, undefined, AT + 10 * REQUEST_BOUND_MS, 'QUOTA_EXCEEDED'],
    ['its request may still start it', {}, undefined, AT + 1000, 'QUOTA_EXCEEDED'],
    ['its execution never started', {}, undefined, AT + REQUEST_BOUND_MS, undefined],
    ['its execution ended with no peering', { 'pcx-a': 'FAILED' }, undefined, AT + 1000, undefined],
    [
      'its entries may be newer than a list read',
      { 'pcx-a': 'SUCCEEDED' },
      written('ACTIVE'),
      WRITTEN_AT + ALLOCATE_BOUND_MS,
      'QUOTA_EXCEEDED',
    ],
    [
      'its entries surely show in every list read',
      { 'pcx-a': 'SUCCEEDED' },
      written('ACTIVE'),
      WRITTEN_AT + ALLOCATE_BOUND_MS + REQUEST_BOUND_MS,
      undefined,
    ],
    [
      'its peering failed (entries removed)',
      { 'pcx-a': 'FAILED' },
      written('FAILED'),
      WRITTEN_AT + 1000,
      undefined,
    ],
  ] as const)(
    'an admitted create, when %s, holds a place or not',
    async (_case, runs, peering, now, code) => {
      // Prepare: pcx-a admitted on gw-1 (limit 1); the entries list shows none.
      const repository = Object.assign(repositoryHolding({}), {
        getPeering: async (id: string) =>
          peering && id === peering.id ? (peering as unknown as Peering) : undefined,
      });
      await admitPeering(depsOf(repository), 'gw-1', 'pcx-a', LIMIT_1);
      // Act
      const answer = await answerOf(admitPeering(depsOf(repository, runs, now), 'gw-1', 'pcx-b', LIMIT_1));
      // Assess
      expect(answer?.body.error.code).toBe(code);
    },
  );
});

describe('per-caller throttling', () => {
  const event = (sub: string): APIGatewayProxyEvent =>
    ({
      httpMethod: 'GET',
      path: '/v1/gateways',
      headers: {},
      requestContext: { authorizer: { claims: { sub } } },
    }) as unknown as APIGatewayProxyEvent;

  function throttledHandler(now: () => number) {
    return middy<ApiEvent>()
      .use(httpErrors())
      .use(callerClaims({ publicPaths: [] }))
      .use(callerThrottle(() => ({ ratePerSecond: 1, burst: 2 }), now))
      .handler(async () => jsonResponse(200, { items: [] }));
  }

  it('answers 429 THROTTLED with Retry-After once a caller spent its burst, and never slows another caller', async () => {
    // Prepare
    let now = 0;
    const handler = throttledHandler(() => now);
    const call = (sub: string) => handler(event(sub), {} as Context);
    // Act
    const statuses = [(await call('alice')).statusCode, (await call('alice')).statusCode];
    const throttled = await call('alice');
    const other = await call('bob');
    now = 1000;
    const refilled = await call('alice');
    // Assess
    expect(statuses).toEqual([200, 200]);
    expect(throttled.statusCode).toBe(429);
    expect(JSON.parse(throttled.body)).toEqual({
      error: { code: 'THROTTLED', message: 'Too many requests from this caller; retry in 1 s' },
    });
    expect(throttled.headers?.['retry-after']).toBe('1');
    expect(other.statusCode).toBe(200);
    expect(refilled.statusCode).toBe(200);
  });

  it('forgets the least recently seen caller beyond its bound', () => {
    // Prepare
    const buckets = new TokenBuckets({ ratePerSecond: 1, burst: 1 }, 2);
    buckets.take('a', 0);
    buckets.take('b', 0);
    // Act: a third caller pushes out "a", whose budget starts full again
    buckets.take('c', 0);
    // Assess
    expect(buckets.take('a', 0)).toBe(0);
    expect(buckets.take('c', 0)).toBeGreaterThan(0);
  });
});
