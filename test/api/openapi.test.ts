/**
 * The OpenAPI document (lambdas/openapi/openapi.json) and the route table stay in step: every route
 * is described and every described operation is routed; every `$ref` resolves; every request and
 * response example validates against its schema; the document is served without a token; and the
 * answers the runtime really gives (its HTTP front and api handler, on the in-memory repository) for
 * limits, throttling, revocation and refused tokens are documented and validate.
 */

import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { SignJWT } from 'jose';
import { MemoryRepository } from '../../lambdas/adapters/memory/repository';
import type { ApiDeps, ApiPolicy } from '../../lambdas/app/api/context';
import type { ExecutionResult, StartedExecution, WorkflowEngine } from '../../lambdas/app/ports';
import { TransientError } from '../../lambdas/core/errors';
import { createApiHandler } from '../../lambdas/http/handler';
import { apiRoutes } from '../../lambdas/http/routes';
import { OPENAPI_PATH, openApiDocument } from '../../lambdas/openapi';
import type { HttpFront } from '../../runtime/http-front';
import { mintToken } from '../../runtime/tokens';
import { callJson, memoryApiHandler, startApiFront } from '../support/api-front';
import { ownerLimits } from '../support/limits';
import {
  type DocumentedAnswer,
  deref,
  disagreements,
  doc,
  HTTP_METHODS,
  type Json,
  resolvePointer,
  schemaValidator,
} from '../support/openapi-document';
import { newPeering } from '../support/records';

/** Every `$ref` in the document, with where it sits. */
function refsOf(node: unknown, at = '#'): { at: string; ref: string }[] {
  if (Array.isArray(node)) return node.flatMap((item, index) => refsOf(item, `${at}/${index}`));
  if (typeof node !== 'object' || node === null) return [];
  return Object.entries(node).flatMap(([key, value]) =>
    key === '$ref' && typeof value === 'string' ? [{ at, ref: value }] : refsOf(value, `${at}/${key}`),
  );
}

interface Example {
  where: string;
  schema: Json;
  example: unknown;
}

/** Request and response examples of every operation, each with its media type's schema. */
function examples(): Example[] {
  const found: Example[] = [];
  const collect = (where: string, content: unknown) => {
    for (const [media, entry] of Object.entries((content ?? {}) as Record<string, Json>)) {
      if ('example' in entry)
        found.push({ where: `${where} ${media}`, schema: entry.schema as Json, example: entry.example });
      for (const [name, named] of Object.entries((entry.examples ?? {}) as Record<string, Json>)) {
        found.push({
          where: `${where} ${media} ${name}`,
          schema: entry.schema as Json,
          example: named.value,
        });
      }
    }
  };
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of HTTP_METHODS) {
      const operation = item[method] as Json | undefined;
      if (!operation) continue;
      const body = operation.requestBody as Json | undefined;
      if (body) collect(`${method.toUpperCase()} ${path} request`, deref(body).content);
      for (const [status, response] of Object.entries(operation.responses as Record<string, Json>)) {
        collect(`${method.toUpperCase()} ${path} ${status}`, deref(response).content);
      }
    }
  }
  return found;
}

describe('the OpenAPI document', () => {
  test('is OpenAPI 3.1 and describes exactly the routes the API serves', () => {
    // Prepare
    const routed = apiRoutes({} as ApiDeps, { waitMs: 0, pollMs: 0 }, {} as ApiPolicy).map(
      (route) => `${route.method} ${route.path}`,
    );
    // Act
    const described = Object.entries(doc.paths).flatMap(([path, item]) =>
      HTTP_METHODS.filter((method) => method in item).map((method) => `${method.toUpperCase()} ${path}`),
    );
    // Assess
    expect(doc.openapi).toMatch(/^3\.1\./);
    expect([...described].sort()).toEqual([...routed].sort());
  });

  test('every $ref resolves', () => {
    const dangling = refsOf(doc).filter(({ ref }) => resolvePointer(ref) === undefined);
    expect(dangling).toEqual([]);
  });

  test('every request and response example validates against its schema', () => {
    // Prepare
    const invalid = schemaValidator();
    const found = examples();
    // Act
    const failures = found.flatMap(({ where, schema, example }) => {
      const errors = invalid(schema, example);
      return errors ? [{ where, errors }] : [];
    });
    // Assess
    expect(found.length).toBeGreaterThan(15);
    expect(failures).toEqual([]);
  });

  test('an example that breaks its schema is caught (the check can fail)', () => {
    const ajv = new Ajv2020({ strict: false });
    addFormats(ajv);
    ajv.addSchema(doc, 'openapi.json');
    const validate = ajv.compile({ $ref: 'openapi.json#/components/schemas/Peering' });
    expect(validate({ id: 'pcx-1', gatewayIds: ['a'], status: 'DONE' })).toBe(false);
  });

  test(`is served at GET ${OPENAPI_PATH} without a token`, async () => {
    // Prepare
    const handler = createApiHandler(
      () => ({}) as ApiDeps,
      () => ({ waitMs: 0, pollMs: 0 }),
      () => ({}) as ApiPolicy,
    );
    const event = {
      httpMethod: 'GET',
      path: OPENAPI_PATH,
      headers: {},
      body: null,
      requestContext: { authorizer: null },
    } as unknown as APIGatewayProxyEvent;
    // Act
    const response = await handler(event, {} as Context);
    // Assess
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toEqual(openApiDocument);
  });
});

/** Every execution started, answering with the outcome the scenario set (pushes of a revocation). */
class ScriptedWorkflows implements WorkflowEngine {
  outcome: ExecutionResult['status'] = 'SUCCEEDED';
  async start(_workflow: string, name: string): Promise<StartedExecution> {
    return { executionId: name, mayHaveEnded: true };
  }
  async describe(): Promise<ExecutionResult> {
    return { status: this.outcome, ...(this.outcome === 'FAILED' ? { error: 'States.TaskFailed' } : {}) };
  }
  async find(): Promise<undefined> {
    return undefined;
  }
}

type Answer = DocumentedAnswer;

describe('answers the runtime gives, against the document', () => {
  const secret = 'openapi-answers-secret-of-at-least-32-bytes';
  const repository = new MemoryRepository();
  /** While `unavailable`, every repository call fails as DynamoDB throttling that outlasted the retries. */
  let unavailable = false;
  const served = new Proxy(repository, {
    get: (target, property) => {
      const value = Reflect.get(target, property);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (unavailable) throw new TransientError('DynamoDB ThrottlingException');
        return value.apply(target, args);
      };
    },
  });
  const workflows = new ScriptedWorkflows();
  const limits = ownerLimits({
    gatewaysPerOwner: 2,
    roadWarriorsPerGateway: 1,
    operationsInFlightPerOwner: 1,
  });
  const throttle = { ratePerSecond: 1, burst: 20 };
  let front: HttpFront;

  beforeAll(async () => {
    const handler = memoryApiHandler({
      deps: { repository: served, workflows },
      timing: { waitMs: 50, pollMs: 10 },
      policy: { limits, throttle },
    });
    front = await startApiFront(handler, secret);
  });
  afterAll(() => front?.close());

  const token = (sub: string, groups: string[] = []) => mintToken(secret, { sub, groups });
  const call = (method: string, path: string, bearer?: string, body?: unknown): Promise<Answer> =>
    callJson(front, method, path, bearer, body);
  const codeOf = (answer: Answer) => (answer.body as { error?: { code?: string } } | undefined)?.error?.code;
  const register = async (id: string, n: number, instanceId = `i-${id}`) =>
    call('POST', '/v1/gateways', await token('ops', ['admin']), {
      id,
      ownerId: 'alice',
      vpcId: `vpc-${id}`,
      vpcCidr: `10.${n}.0.0/16`,
      tunnelSubnet: `100.64.${n}.0/24`,
      publicIp: `203.0.113.${n}`,
      instanceId,
    });

  test.each([
    ['no token', /bearer token is required/, async () => undefined],
    ['an expired token', /expired/, () => mintToken(secret, { sub: 'alice' }, -60)],
    [
      'another issuer',
      /issuer/,
      () =>
        new SignJWT({})
          .setProtectedHeader({ alg: 'HS256' })
          .setSubject('alice')
          .setIssuer('someone-else')
          .setExpirationTime('1h')
          .sign(new TextEncoder().encode(secret)),
    ],
    ['another secret', /bad signature/, () => mintToken(`${secret}-but-another`, { sub: 'alice' })],
  ])('401 for %s, with its reason', async (_case, reason, bearer) => {
    // Act
    const answer = await call('GET', '/v1/gateways', await bearer());
    // Assess
    expect(answer.status).toBe(401);
    expect(codeOf(answer)).toBe('UNAUTHORIZED');
    expect((answer.body as { error: { message: string } }).error.message).toMatch(reason);
    expect(disagreements('GET', '/v1/gateways', answer)).toEqual([]);
  });

  test('409 INSTANCE_IN_USE and QUOTA_EXCEEDED when registering', async () => {
    // Prepare
    expect((await register('gw-1', 1)).status).toBe(201);
    // Act
    const sameInstance = await register('gw-x', 9, 'i-gw-1');
    expect((await register('gw-2', 2)).status).toBe(201);
    const overQuota = await register('gw-3', 3);
    // Assess
    expect([codeOf(sameInstance), codeOf(overQuota)]).toEqual(['INSTANCE_IN_USE', 'QUOTA_EXCEEDED']);
    expect(disagreements('POST', '/v1/gateways', sameInstance)).toEqual([]);
    expect(disagreements('POST', '/v1/gateways', overQuota)).toEqual([]);
  });

  test('409 QUOTA_EXCEEDED for a road-warrior past the limit', async () => {
    // Prepare
    const alice = await token('alice');
    expect((await call('POST', '/v1/gateways/gw-1/peers', alice, { name: 'laptop' })).status).toBe(201);
    // Act
    const answer = await call('POST', '/v1/gateways/gw-1/peers', alice, { name: 'phone' });
    // Assess
    expect(codeOf(answer)).toBe('QUOTA_EXCEEDED');
    expect(disagreements('POST', '/v1/gateways/{id}/peers', answer)).toEqual([]);
  });

  test.each([
    ['RUNNING', 202, undefined],
    ['FAILED', 502, 'PUSH_FAILED'],
    ['SUCCEEDED', 204, undefined],
  ] as const)('revoking a road-warrior whose push is %s: %i', async (outcome, status, code) => {
    // Prepare
    const alice = await token('alice');
    await call('POST', '/v1/gateways/gw-2/peers', alice, { name: 'tablet' });
    workflows.outcome = outcome;
    // Act
    const answer = await call('DELETE', '/v1/gateways/gw-2/peers/tablet', alice);
    workflows.outcome = 'SUCCEEDED';
    // Assess
    expect([answer.status, codeOf(answer)]).toEqual([status, code]);
    if (status === 202) expect(answer.headers.get('location')).toBe('/v1/gateways/gw-2/status');
    expect(disagreements('DELETE', '/v1/gateways/{id}/peers/{name}', answer)).toEqual([]);
  });

  test('429 TOO_MANY_OPERATIONS while the owner has as many peerings in flight as allowed', async () => {
    // Prepare: one peering PROVISIONING, the limit
    const [a, b] = await Promise.all([repository.getGateway('gw-1'), repository.getGateway('gw-2')]);
    if (!a || !b) throw new Error('the gateways of the earlier tests are missing');
    await repository.createPeering(newPeering(a, b));
    // Act
    const answer = await call('POST', '/v1/gateways/gw-1/vpc-peerings', await token('alice'), {
      remoteGatewayId: 'gw-2',
    });
    // Assess
    expect([answer.status, codeOf(answer)]).toEqual([429, 'TOO_MANY_OPERATIONS']);
    expect(disagreements('POST', '/v1/gateways/{id}/vpc-peerings', answer)).toEqual([]);
  });

  test('429 THROTTLED with Retry-After once a caller spent its burst', async () => {
    // Prepare
    const noisy = await token('noisy');
    const answers: Answer[] = [];
    // Act
    for (let i = 0; i <= throttle.burst; i += 1) answers.push(await call('GET', '/v1/gateways', noisy));
    // Assess
    const last = answers.at(-1) as Answer;
    expect(answers.slice(0, -1).every((answer) => answer.status === 200)).toBe(true);
    expect([last.status, codeOf(last), last.headers.get('retry-after')]).toEqual([429, 'THROTTLED', '1']);
    expect(disagreements('GET', '/v1/gateways', last)).toEqual([]);
  });

  /** Every operation of the document, and a path of its template that names existing things. */
  const operations = Object.entries(doc.paths).flatMap(([template, item]) =>
    HTTP_METHODS.filter((method) => method in item).map((method) => ({
      method: method.toUpperCase(),
      template,
      path: template
        .replace('{id}', template.startsWith('/v1/vpc-peerings') ? 'pcx-1' : 'gw-1')
        .replace('{name}', 'laptop'),
    })),
  );
  const BODIES: Record<string, unknown> = {
    'POST /v1/gateways': {
      id: 'gw-9',
      ownerId: 'alice',
      vpcId: 'vpc-9',
      vpcCidr: '10.9.0.0/16',
      tunnelSubnet: '100.64.9.0/24',
      publicIp: '203.0.113.9',
      instanceId: 'i-gw-9',
    },
    'POST /v1/gateways/{id}/vpc-peerings': { remoteGatewayId: 'gw-2' },
    'POST /v1/gateways/{id}/peers': { name: 'desktop' },
  };

  test.each([
    ['GET', '/v1/gateways/{id}'],
    ['DELETE', '/v1/gateways/{id}'],
    ['GET', '/v1/gateways/{id}/status'],
    ['GET', '/v1/vpc-peerings/{id}'],
    ['DELETE', '/v1/vpc-peerings/{id}'],
  ])('400 VALIDATION_ERROR for a malformed id: %s %s', async (method, template) => {
    // Act
    const answer = await call(method, template.replace('{id}', '-not-an-id'), await token('alice-ids'));
    // Assess
    expect([answer.status, codeOf(answer)]).toEqual([400, 'VALIDATION_ERROR']);
    expect(disagreements(method, template, answer)).toEqual([]);
  });

  test('405 METHOD_NOT_ALLOWED with Allow on every path, documented by each of its operations', async () => {
    // Prepare
    const admin = await token('ops-methods', ['admin']);
    // Act
    const answers = await Promise.all(
      operations.map(async (operation) => ({ operation, answer: await call('PUT', operation.path, admin) })),
    );
    // Assess
    for (const { operation, answer } of answers) {
      expect([operation.path, answer.status, codeOf(answer)]).toEqual([
        operation.path,
        405,
        'METHOD_NOT_ALLOWED',
      ]);
      expect(answer.headers.get('allow')).toContain(operation.method);
      expect(disagreements(operation.method, operation.template, answer)).toEqual([]);
    }
  });

  test('503 SERVICE_UNAVAILABLE with Retry-After from every operation that reads storage', async () => {
    // Prepare
    const admin = await token('ops-busy', ['admin']);
    const stored = operations.filter(({ template }) => template !== '/health' && template !== OPENAPI_PATH);
    // Act
    unavailable = true;
    const answers = await Promise.all(
      stored.map(async (operation) => ({
        operation,
        answer: await call(
          operation.method,
          operation.path,
          admin,
          BODIES[`${operation.method} ${operation.template}`],
        ),
      })),
    ).finally(() => {
      unavailable = false;
    });
    // Assess
    expect(stored.length).toBeGreaterThan(10);
    for (const { operation, answer } of answers) {
      const where = `${operation.method} ${operation.path}`;
      expect([where, answer.status, codeOf(answer)]).toEqual([where, 503, 'SERVICE_UNAVAILABLE']);
      expect(disagreements(operation.method, operation.template, answer)).toEqual([]);
    }
  });

  test('an undocumented answer is caught (the check can fail)', () => {
    const answer = { status: 418, headers: new Headers(), body: undefined };
    const wrongBody = { status: 409, headers: new Headers({ location: '/x' }), body: { error: {} } };
    expect(disagreements('GET', '/v1/gateways', answer)).toHaveLength(1);
    expect(disagreements('POST', '/v1/gateways', wrongBody)).toHaveLength(2);
  });
});
