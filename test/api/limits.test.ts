/** Per-owner limits and per-caller throttling of the API, without I/O (fake repository, fixed clock). */
import middy from '@middy/core';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import type { OwnerLimits } from '../../lambdas/app/api/context';
import { assertGatewayRoom, assertOperationRoom, assertRoadWarriorRoom } from '../../lambdas/app/api/limits';
import type { Repository } from '../../lambdas/app/ports';
import { TokenBuckets } from '../../lambdas/core/token-bucket';
import type { GatewayRecord, Peering, PeerRecord } from '../../lambdas/core/types';
import { callerClaims } from '../../lambdas/http/claims';
import { httpErrors, toErrorResponse } from '../../lambdas/http/errors';
import type { ApiEvent } from '../../lambdas/http/event';
import { jsonResponse } from '../../lambdas/http/response';
import { callerThrottle } from '../../lambdas/http/throttle';

const LIMITS: OwnerLimits = { gatewaysPerOwner: 2, roadWarriorsPerGateway: 1, operationsInFlightPerOwner: 1 };

function repositoryHolding(held: {
  gateways?: number;
  peers?: PeerRecord['type'][];
  peerings?: Peering['status'][];
}): Pick<Repository, 'pageGateways' | 'listPeers' | 'pagePeerings'> {
  return {
    pageGateways: async () => ({
      items: Array.from({ length: held.gateways ?? 0 }, () => ({}) as GatewayRecord),
    }),
    listPeers: async () => (held.peers ?? []).map((type) => ({ type }) as PeerRecord),
    pagePeerings: async (filter) => ({
      items: (held.peerings ?? [])
        .filter((status) => filter.status === undefined || status === filter.status)
        .map((status) => ({ status }) as Peering),
    }),
  };
}

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
      () =>
        assertGatewayRoom(
          { repository: repositoryHolding({ gateways: 1 }) as unknown as Repository },
          'u1',
          LIMITS,
        ),
      undefined,
    ],
    [
      'a gateway at the limit',
      () =>
        assertGatewayRoom(
          { repository: repositoryHolding({ gateways: 2 }) as unknown as Repository },
          'u1',
          LIMITS,
        ),
      {
        status: 409,
        code: 'QUOTA_EXCEEDED',
        message: 'Owner u1 already has 2 gateways, the limit of this deployment (2)',
      },
    ],
    [
      'a road-warrior next to peerings only',
      () =>
        assertRoadWarriorRoom(
          {
            repository: repositoryHolding({ peers: ['vpc-peering', 'vpc-peering'] }) as unknown as Repository,
          },
          'gw',
          LIMITS,
        ),
      undefined,
    ],
    [
      'a road-warrior at the limit',
      () =>
        assertRoadWarriorRoom(
          { repository: repositoryHolding({ peers: ['road-warrior'] }) as unknown as Repository },
          'gw',
          LIMITS,
        ),
      {
        status: 409,
        code: 'QUOTA_EXCEEDED',
        message: 'This gateway already has 1 road-warriors, the limit of this deployment (1)',
      },
    ],
    [
      'an operation next to settled peerings',
      () =>
        assertOperationRoom(
          { repository: repositoryHolding({ peerings: ['ACTIVE', 'FAILED'] }) as unknown as Repository },
          'u1',
          LIMITS,
        ),
      undefined,
    ],
    [
      'an operation while one runs',
      () =>
        assertOperationRoom(
          { repository: repositoryHolding({ peerings: ['DELETING'] }) as unknown as Repository },
          'u1',
          LIMITS,
        ),
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
