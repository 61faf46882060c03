/** The API's HTTP layer without I/O: claims, router, error envelope, idempotency, workflow causes. */

import middy from '@middy/core';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { MemoryRepository } from '../../lambdas/adapters/memory/repository';
import type { ApiDeps, ApiPolicy } from '../../lambdas/app/api/context';
import { causeMessage } from '../../lambdas/app/api/peerings';
import type { Repository } from '../../lambdas/app/ports';
import {
  ConflictError,
  GatewayGoneError,
  GatewayUpdateInProgressError,
  NotFoundError,
  TooManyOperationsError,
  TransientError,
  ValidationError,
} from '../../lambdas/core/errors';
import { callerClaims, callerFromClaims, parseGroups } from '../../lambdas/http/claims';
import { httpErrors, toErrorResponse } from '../../lambdas/http/errors';
import type { ApiEvent } from '../../lambdas/http/event';
import { createApiHandler } from '../../lambdas/http/handler';
import { IDEMPOTENCY_LEASE_MS, withIdempotency } from '../../lambdas/http/idempotency';
import { jsonResponse } from '../../lambdas/http/response';
import { createRouter, type RouteRequest } from '../../lambdas/http/router';
import { logger } from '../../lambdas/shared/logger';

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
    [
      'GatewayUpdateInProgressError',
      new GatewayUpdateInProgressError('gw-1'),
      503,
      'SERVICE_UNAVAILABLE',
      'The gateway is being updated, retry the request',
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

describe('the API refuses by route and access before it reads the body', () => {
  // Routing and access checks touch no dependency: none is given.
  const handler = createApiHandler(
    () => ({}) as ApiDeps,
    () => ({ waitMs: 0, pollMs: 0 }),
    () => ({ throttle: { ratePerSecond: 0, burst: 0 } }) as ApiPolicy,
  );
  const invoke = async (e: ApiEvent) => {
    const response = await handler(e, {} as Context);
    return {
      status: response.statusCode,
      headers: response.headers,
      code: JSON.parse(response.body).error?.code,
    };
  };

  test.each([
    ['an unknown path, no body', '/v1/nothing-here', null, { sub: 'alice' }, 404, 'NOT_FOUND'],
    ['another method, no body', '/v1/gateways/gw-a', null, { sub: 'alice' }, 405, 'METHOD_NOT_ALLOWED'],
    ['a user on an admin route, a bad body', '/v1/gateways', '{"id":', { sub: 'alice' }, 403, 'FORBIDDEN'],
    [
      'an admin on it, the same body',
      '/v1/gateways',
      '{"id":',
      { sub: 'ops', 'cognito:groups': 'admin' },
      400,
      'VALIDATION_ERROR',
    ],
  ])('POST to %s: refused for that, not for the body', async (_case, path, body, claims, status, code) => {
    // Act
    const reply = await invoke(event({ httpMethod: 'POST', path, body, claims }));
    // Assess
    expect([reply.status, reply.code]).toEqual([status, code]);
    if (status === 405) expect(reply.headers?.allow).toBe('GET, DELETE');
  });
});

describe('idempotency', () => {
  /** A route behind the API's chain whose handling the test holds open until it says so. */
  function idempotentApi(
    repository: Pick<Repository, 'claimIdempotencyKey' | 'retakeIdempotencyKey' | 'completeIdempotencyKey'>,
  ) {
    const clock = { now: 0 };
    const runs: { id: string; finish: () => void }[] = [];
    let holdOpen = false;
    const d = { repository: repository as Repository, clock: () => new Date(clock.now) };
    const handler = middy<ApiEvent>()
      .use(httpErrors())
      .use(callerClaims({ publicPaths: [] }))
      .handler((e: ApiEvent) =>
        createRouter([
          {
            method: 'POST',
            path: '/v1/things/{id}/items',
            access: 'user',
            handle: (request) =>
              withIdempotency(d, request, async () => {
                let finish = () => {};
                const finished = new Promise<void>((resolve) => {
                  finish = resolve;
                });
                runs.push({ id: request.params.id ?? '', finish });
                if (holdOpen) await finished;
                return jsonResponse(201, { run: runs.length });
              }),
          },
        ])(e),
      );
    const post = async (path: string, body: unknown, key = 'k1') => {
      const response = await handler(
        event({
          httpMethod: 'POST',
          path,
          body: JSON.stringify(body),
          headers: { 'Idempotency-Key': key },
          claims: { sub: 'alice' },
        }),
        {} as Context,
      );
      return {
        status: response.statusCode,
        retryAfter: response.headers?.['retry-after'],
        body: JSON.parse(response.body),
      };
    };
    /** Resolves once `condition` holds; fails rather than waiting forever. */
    const until = async (condition: () => boolean) => {
      for (let turn = 0; turn < 100 && !condition(); turn += 1) {
        await new Promise((resolve) => setImmediate(resolve));
      }
      if (!condition()) throw new Error('the awaited request never got there');
    };
    return { clock, runs, post, until, holdOpen: (on: boolean) => (holdOpen = on) };
  }
  const codeOf = (reply: { body: { error?: { code?: string } } }) => reply.body.error?.code;
  /** A POST with key k1 as the router hands it to a route. */
  const thingRequest = (body: string): RouteRequest => ({
    event: event({ httpMethod: 'POST', path: '/v1/things', body, headers: { 'Idempotency-Key': 'k1' } }),
    caller: { userId: 'alice', isAdmin: false },
    path: '/v1/things',
    params: {},
    body: JSON.parse(body),
  });

  test('a repeat replays the stored response without running again', async () => {
    // Prepare
    const api = idempotentApi(new MemoryRepository());
    // Act
    const first = await api.post('/v1/things/a/items', { x: 1 });
    const repeat = await api.post('/v1/things/a/items', { x: 1 });
    // Assess
    expect(api.runs).toHaveLength(1);
    expect(repeat).toEqual(first);
  });

  test('the same key with another body is 409 IDEMPOTENCY_KEY_REUSED', async () => {
    // Prepare
    const api = idempotentApi(new MemoryRepository());
    await api.post('/v1/things/a/items', { x: 1 });
    // Act
    const reuse = await api.post('/v1/things/a/items', { x: 2 });
    // Assess
    expect([reuse.status, codeOf(reuse)]).toEqual([409, 'IDEMPOTENCY_KEY_REUSED']);
  });

  test('every spelling of a path shares one key scope: trailing and doubled slashes, %-escapes', async () => {
    // Prepare
    const api = idempotentApi(new MemoryRepository());
    const first = await api.post('/v1/things/a.b/items', { x: 1 });
    const spellings = ['/v1/things/a.b/items/', '//v1/things//a.b/items', '/v1/things/a%2Eb/items'];
    // Act
    const repeats = await Promise.all(spellings.map((path) => api.post(path, { x: 1 })));
    const reuses = await Promise.all(spellings.map((path) => api.post(path, { x: 2 })));
    const otherThing = await api.post('/v1/things/c/items', { x: 2 });
    // Assess
    expect(repeats).toEqual(spellings.map(() => first));
    expect(reuses.map(codeOf)).toEqual(spellings.map(() => 'IDEMPOTENCY_KEY_REUSED'));
    expect(otherThing.status).toBe(201);
    expect(api.runs.map((run) => run.id)).toEqual(['a.b', 'c']);
  });

  test('a repeat while the first request runs is 409 IDEMPOTENCY_KEY_IN_PROGRESS with Retry-After', async () => {
    // Prepare
    const api = idempotentApi(new MemoryRepository());
    api.holdOpen(true);
    const first = api.post('/v1/things/a/items', { x: 1 });
    await api.until(() => api.runs.length > 0);
    // Act: the repeat answers while the first is held (a rerun would be held too: all are let go)
    let repeatAnswered = false;
    const repeat = api.post('/v1/things/a/items', { x: 1 }).finally(() => {
      repeatAnswered = true;
    });
    await api.until(() => repeatAnswered || api.runs.length > 1);
    for (const run of api.runs) run.finish();
    const [answered, concurrent] = await Promise.all([first, repeat]);
    const afterwards = await api.post('/v1/things/a/items', { x: 1 });
    // Assess
    expect(answered.status).toBe(201);
    expect([concurrent.status, codeOf(concurrent)]).toEqual([409, 'IDEMPOTENCY_KEY_IN_PROGRESS']);
    expect(Number(concurrent.retryAfter)).toBeGreaterThan(0);
    expect(afterwards).toEqual(answered);
    expect(api.runs).toHaveLength(1);
  });

  test('a claim left unanswered past the lease (its request died) runs again', async () => {
    // Prepare: the first request never answers
    const repository = new MemoryRepository();
    const api = idempotentApi(repository);
    api.holdOpen(true);
    void api.post('/v1/things/a/items', { x: 1 });
    await api.until(() => api.runs.length > 0);
    api.holdOpen(false);
    // Act
    api.clock.now = 10_000;
    const whileItMayRun = await api.post('/v1/things/a/items', { x: 1 });
    api.clock.now = 35_000;
    const afterItDied = await api.post('/v1/things/a/items', { x: 1 });
    api.clock.now = IDEMPOTENCY_LEASE_MS - 1;
    const withinLease = await api.post('/v1/things/a/items', { x: 1 });
    api.clock.now = IDEMPOTENCY_LEASE_MS + 1;
    const pastLease = await api.post('/v1/things/a/items', { x: 1 });
    const repeat = await api.post('/v1/things/a/items', { x: 1 });
    // Assess: within 29 s (no request runs longer) the request may answer soon; past it, the
    // retry is told to come back when the lease lapses, not refused every 2 s until then.
    expect([codeOf(whileItMayRun), whileItMayRun.retryAfter]).toEqual(['IDEMPOTENCY_KEY_IN_PROGRESS', '2']);
    expect([codeOf(afterItDied), afterItDied.retryAfter]).toEqual(['IDEMPOTENCY_KEY_IN_PROGRESS', '25']);
    expect([codeOf(withinLease), withinLease.retryAfter]).toEqual(['IDEMPOTENCY_KEY_IN_PROGRESS', '1']);
    expect(pastLease).toEqual({ status: 201, retryAfter: undefined, body: { run: 2 } });
    expect(repeat).toEqual(pastLease);
  });

  test('an answer that could not be recorded is still given (a throttled completion write)', async () => {
    // Prepare
    const memory = new MemoryRepository();
    let failures = 1;
    const repository = new Proxy(memory, {
      get: (target, property, receiver) =>
        property === 'completeIdempotencyKey' && failures-- > 0
          ? async () => {
              throw new TransientError('DynamoDB ThrottlingException');
            }
          : Reflect.get(target, property, receiver),
    });
    const warn = jest.spyOn(logger, 'warn').mockImplementation(() => {});
    const api = idempotentApi(repository);
    // Act
    const answer = await api.post('/v1/things/a/items', { x: 1 });
    // Assess
    expect(answer).toEqual({ status: 201, retryAfter: undefined, body: { run: 1 } });
    expect(warn).toHaveBeenCalledWith('Idempotency answer not recorded', expect.anything());
    expect(JSON.stringify(warn.mock.calls)).not.toContain('"x"');
    warn.mockRestore();
  });

  test.each([
    ['429', new TooManyOperationsError('Too many peerings in flight'), 429],
    ['503', new TransientError('DynamoDB ThrottlingException'), 503],
    ['500', new Error('boom'), 500],
    ['409 GATEWAY_BEING_DELETED', new ConflictError('GATEWAY_BEING_DELETED'), 409],
  ])(
    'a %s asks for a retry: the retry with the same key runs instead of replaying it',
    async (_answer, refusal, status) => {
      // Prepare
      const d = { repository: new MemoryRepository() as Repository, clock: () => new Date(0) };
      const request = thingRequest('{"x":1}');
      const refused = await withIdempotency(d, request, async () => {
        throw refusal;
      });
      // Act
      const retry = await withIdempotency(d, request, async () => jsonResponse(201, { created: true }));
      const repeat = await withIdempotency(d, request, async () => jsonResponse(201, { twice: true }));
      // Assess
      expect(refused.statusCode).toBe(status);
      expect([retry.statusCode, JSON.parse(retry.body)]).toEqual([201, { created: true }]);
      expect(repeat).toEqual(retry);
    },
  );

  test('of two retries arriving together after a retry-later answer, one runs', async () => {
    // Prepare: the first answer asked for a retry.
    const d = { repository: new MemoryRepository() as Repository, clock: () => new Date(0) };
    const request = thingRequest('{"x":1}');
    await withIdempotency(d, request, async () => {
      throw new TransientError('DynamoDB ThrottlingException');
    });
    let runs = 0;
    // The router turns a thrown HttpError into its answer; here toErrorResponse does.
    const retry = () =>
      withIdempotency(d, request, async () => {
        runs++;
        return jsonResponse(201, { created: true });
      }).catch(toErrorResponse);
    // Act
    const answers = await Promise.all([retry(), retry()]);
    // Assess
    expect(answers.map((answer) => answer.statusCode).sort()).toEqual([201, 409]);
    expect(runs).toBe(1);
  });

  test('a conflict that will not pass is replayed', async () => {
    // Prepare
    const d = { repository: new MemoryRepository() as Repository, clock: () => new Date(0) };
    const request = thingRequest('{}');
    const conflict = await withIdempotency(d, request, async () => {
      throw new ConflictError('PEER_EXISTS');
    });
    // Act
    const repeat = await withIdempotency(d, request, async () => jsonResponse(201, {}));
    // Assess
    expect(conflict.statusCode).toBe(409);
    expect(repeat).toEqual(conflict);
  });

  test('without a key the request simply runs', async () => {
    // Prepare
    const repository = new MemoryRepository();
    const claim = jest.spyOn(repository, 'claimIdempotencyKey');
    const d = { repository: repository as Repository, clock: () => new Date(0) };
    // Act
    const reply = await withIdempotency(
      d,
      { ...thingRequest('{}'), event: event({ httpMethod: 'POST' }) },
      async () => jsonResponse(200, {}),
    );
    // Assess
    expect(reply.statusCode).toBe(200);
    expect(claim).not.toHaveBeenCalled();
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
