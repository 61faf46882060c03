/** The API's HTTP layer without I/O: claims, router, error envelope, idempotency, workflow causes. */

import middy from '@middy/core';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { causeMessage } from '../../lambdas/app/api/peerings';
import type { IdempotencyRecord, Repository } from '../../lambdas/app/ports';
import {
  ConflictError,
  GatewayGoneError,
  NotFoundError,
  TooManyOperationsError,
  TransientError,
  ValidationError,
} from '../../lambdas/core/errors';
import { callerClaims, callerFromClaims, parseGroups } from '../../lambdas/http/claims';
import { httpErrors, toErrorResponse } from '../../lambdas/http/errors';
import type { ApiEvent } from '../../lambdas/http/event';
import { withIdempotency } from '../../lambdas/http/idempotency';
import { jsonBody } from '../../lambdas/http/json-body';
import { jsonResponse } from '../../lambdas/http/response';
import { createRouter } from '../../lambdas/http/router';

function event(
  overrides: Partial<APIGatewayProxyEvent> & { claims?: Record<string, unknown> } = {},
): ApiEvent {
  const { claims, ...rest } = overrides;
  return {
    httpMethod: 'GET',
    path: '/v1/things',
    resource: '/{proxy+}',
    pathParameters: null,
    stageVariables: null,
    headers: {},
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    body: null,
    isBase64Encoded: false,
    requestContext: { authorizer: claims ? { claims } : null } as APIGatewayProxyEvent['requestContext'],
    ...rest,
  };
}

describe('claims', () => {
  test.each([
    ['an array holds exact names', ['admin', 'ops'], ['admin', 'ops']],
    ['array elements are never split', ['ops,admin'], ['ops,admin']],
    ['a string splits on commas', 'admin,ops', ['admin', 'ops']],
    ['nothing around a name is stripped', '[admin, ops]', ['[admin', ' ops]']],
    ['quotes stay', '"admin"', ['"admin"']],
    ['spaces do not separate', 'ops admin', ['ops admin']],
    ['empty string', '', []],
    ['absent', undefined, []],
  ])('%s: %j parses to %j', (_rule, value, expected) => {
    // Act
    const groups = parseGroups(value);
    // Assess
    expect(groups).toEqual(expected);
  });

  test.each([
    ['admin,ops', true],
    [['admin'], true],
    [['ops,admin'], false],
    ['[admin]', false],
    [' admin', false],
    ['administrators', false],
  ])('groups %j make an admin: %s', (groups, isAdmin) => {
    // Act
    const caller = callerFromClaims({ sub: 'u1', 'cognito:groups': groups });
    // Assess
    expect(caller).toEqual({ userId: 'u1', isAdmin });
  });

  test('no sub means no caller', () => {
    expect(callerFromClaims({ 'cognito:groups': 'admin' })).toBeUndefined();
    expect(callerFromClaims(null)).toBeUndefined();
  });
});

describe('error envelope', () => {
  test.each([
    [
      'ValidationError',
      new ValidationError('must be a string', 'name'),
      400,
      'VALIDATION_ERROR',
      'name: must be a string',
    ],
    ['NotFoundError', new NotFoundError('Gateway gw-1'), 404, 'NOT_FOUND', 'Gateway gw-1 not found'],
    ['ConflictError', new ConflictError('SAME_VPC'), 409, 'SAME_VPC', 'Cannot peer gateways in the same VPC'],
    ['an untyped Error', new Error('connection reset to 10.0.0.1'), 500, 'INTERNAL_ERROR', 'Internal error'],
    ['GatewayGoneError', new GatewayGoneError('gw-1'), 404, 'NOT_FOUND', 'Gateway gw-1 no longer exists'],
    [
      'TransientError',
      new TransientError('DynamoDB ThrottlingException: table vpc-peering'),
      503,
      'SERVICE_UNAVAILABLE',
      'The service is busy, retry the request',
    ],
  ])('%s maps to its status, code and message', (_name, error, status, code, message) => {
    const response = toErrorResponse(error);

    expect(response.statusCode).toBe(status);
    expect(JSON.parse(response.body)).toEqual({ error: { code, message } });
  });
});

describe('router behind the middy chain', () => {
  const handler = middy<ApiEvent>()
    .use(httpErrors())
    .use(callerClaims({ publicPaths: ['/health'] }))
    .use(jsonBody())
    .handler((e: ApiEvent) =>
      createRouter([
        {
          method: 'GET',
          path: '/health',
          access: 'public',
          handle: async () => jsonResponse(200, { status: 'ok' }),
        },
        {
          method: 'GET',
          path: '/v1/things/{id}',
          access: 'user',
          handle: async ({ params, caller }) => jsonResponse(200, { id: params.id, by: caller.userId }),
        },
        {
          method: 'POST',
          path: '/v1/things',
          access: 'admin',
          handle: async ({ body }) => jsonResponse(201, body),
        },
      ])(e),
    );
  const invoke = async (e: ApiEvent) => {
    const response = await handler(e, {} as Context);
    return { status: response.statusCode, body: response.body ? JSON.parse(response.body) : undefined };
  };
  const user = { sub: 'alice' };
  const admin = { sub: 'root', 'cognito:groups': 'admin' };

  test('a public path needs no caller', async () => {
    expect(await invoke(event({ path: '/health' }))).toEqual({ status: 200, body: { status: 'ok' } });
  });

  test('no caller is 401 before anything else, even on unknown paths', async () => {
    expect((await invoke(event({ path: '/v1/things/1' }))).status).toBe(401);
    expect((await invoke(event({ path: '/nowhere' }))).status).toBe(401);
  });

  test('path parameters are decoded; a trailing slash is tolerated', async () => {
    const reply = await invoke(event({ path: '/v1/things/a%2Eb/', claims: user }));

    expect(reply).toEqual({ status: 200, body: { id: 'a.b', by: 'alice' } });
  });

  test('unknown path 404, known path with another method 405, user on admin route 403', async () => {
    expect((await invoke(event({ path: '/v1/others', claims: user }))).body.error.code).toBe('NOT_FOUND');
    expect((await invoke(event({ path: '/v1/things/%E0%A4%A', claims: user }))).status).toBe(404);
    expect((await invoke(event({ httpMethod: 'DELETE', path: '/v1/things/1', claims: user }))).status).toBe(
      405,
    );
    const forbidden = await invoke(
      event({ httpMethod: 'POST', path: '/v1/things', body: '{}', claims: user }),
    );
    expect(forbidden.body.error.code).toBe('FORBIDDEN');
  });

  test('JSON bodies are parsed, base64 too; malformed or oversize bodies are 400', async () => {
    const post = (body: string, isBase64Encoded = false) =>
      invoke(event({ httpMethod: 'POST', path: '/v1/things', body, isBase64Encoded, claims: admin }));

    expect(await post('{"a":1}')).toEqual({ status: 201, body: { a: 1 } });
    expect(await post(Buffer.from('{"b":2}').toString('base64'), true)).toEqual({
      status: 201,
      body: { b: 2 },
    });
    expect((await post('{"a":')).body.error.code).toBe('VALIDATION_ERROR');
    expect((await post(JSON.stringify({ a: 'x'.repeat(17 * 1024) }))).status).toBe(400);
  });
});

describe('idempotency', () => {
  function memoryRepository(): Pick<Repository, 'claimIdempotencyKey' | 'completeIdempotencyKey'> & {
    records: Map<string, IdempotencyRecord>;
  } {
    const records = new Map<string, IdempotencyRecord>();
    return {
      records,
      async claimIdempotencyKey(record) {
        const existing = records.get(record.key);
        if (existing) return existing;
        records.set(record.key, record);
        return undefined;
      },
      async completeIdempotencyKey(key, response) {
        const record = records.get(key);
        if (record) records.set(key, { ...record, response });
      },
    };
  }
  const caller = { userId: 'alice', isAdmin: false };
  const post = (body: string, key?: string) =>
    event({ httpMethod: 'POST', path: '/v1/things', body, headers: key ? { 'Idempotency-Key': key } : {} });

  test('a repeat replays the stored response without running again', async () => {
    const repository = memoryRepository();
    const d = { repository: repository as unknown as Repository, clock: () => new Date(0) };
    let runs = 0;
    const run = async () => jsonResponse(201, { run: ++runs });

    const first = await withIdempotency(d, caller, post('{"x":1}', 'k1'), run);
    const repeat = await withIdempotency(d, caller, post('{"x":1}', 'k1'), run);

    expect(runs).toBe(1);
    expect(repeat).toEqual(first);
  });

  test('the same key with another body is 409 IDEMPOTENCY_KEY_REUSED', async () => {
    const repository = memoryRepository();
    const d = { repository: repository as unknown as Repository, clock: () => new Date(0) };
    await withIdempotency(d, caller, post('{"x":1}', 'k1'), async () => jsonResponse(201, {}));

    const reuse = withIdempotency(d, caller, post('{"x":2}', 'k1'), async () => jsonResponse(201, {}));

    await expect(reuse).rejects.toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED' });
  });

  test('conflicts are stored for replay; 5xx results are not', async () => {
    const repository = memoryRepository();
    const d = { repository: repository as unknown as Repository, clock: () => new Date(0) };

    const conflict = await withIdempotency(d, caller, post('{}', 'k-conflict'), async () => {
      throw new ConflictError('PEER_EXISTS');
    });
    const failure = await withIdempotency(d, caller, post('{}', 'k-fail'), async () => {
      throw new Error('boom');
    });

    expect(conflict.statusCode).toBe(409);
    expect(failure.statusCode).toBe(500);
    const stored = [...repository.records.values()].map((record) => record.response?.statusCode);
    expect(stored.sort()).toEqual([409, undefined]);
  });

  test('a 429 is not stored: a retry with the same key runs instead of replaying it', async () => {
    // Prepare
    const repository = memoryRepository();
    const d = { repository: repository as unknown as Repository, clock: () => new Date(0) };
    const refused = await withIdempotency(d, caller, post('{"x":1}', 'k-busy'), async () => {
      throw new TooManyOperationsError('Too many peerings in flight');
    });

    // Act
    const retry = await withIdempotency(d, caller, post('{"x":1}', 'k-busy'), async () =>
      jsonResponse(201, { created: true }),
    );

    // Assess
    expect(refused.statusCode).toBe(429);
    expect(retry.statusCode).toBe(201);
    expect(JSON.parse(retry.body)).toEqual({ created: true });
    expect([...repository.records.values()].map((record) => record.response)).toEqual([undefined]);
  });

  test('without a key the request simply runs', async () => {
    const repository = memoryRepository();
    const d = { repository: repository as unknown as Repository, clock: () => new Date(0) };

    const reply = await withIdempotency(d, caller, post('{}'), async () => jsonResponse(200, {}));

    expect(reply.statusCode).toBe(200);
    expect(repository.records.size).toBe(0);
  });
});

describe('causeMessage', () => {
  test('reads errorMessage from a Lambda error cause, or takes plain text as is', () => {
    expect(
      causeMessage(
        JSON.stringify({
          errorType: 'ConflictError',
          errorMessage: 'A peering already exists between these gateways',
        }),
      ),
    ).toBe('A peering already exists between these gateways');
    expect(causeMessage('plain words')).toBe('plain words');
    expect(causeMessage(undefined)).toBe('');
  });
});
