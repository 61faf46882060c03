/**
 * The OpenAPI document says what the API takes and answers, not less: each route declares exactly
 * the query parameters the code accepts for it (lambdas/app/api/lists.ts, LIST_QUERY_PARAMETERS;
 * any other is 400), with the code's own status values; and the status answer, whose schemas
 * forbid undeclared fields, validates as the api handler gives it, on AWS and with the embedded
 * runtime's `localHost`.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { MemoryRepository } from '../../lambdas/adapters/memory/repository';
import type { ApiDeps, ApiPolicy } from '../../lambdas/app/api/context';
import { LIST_QUERY_PARAMETERS } from '../../lambdas/app/api/lists';
import { GATEWAY_STATUSES, PEERING_STATUSES } from '../../lambdas/core/schemas';
import { createApiHandler } from '../../lambdas/http/handler';
import { apiRoutes } from '../../lambdas/http/routes';
import { env } from '../../lambdas/shared/env';
import type { LocalHosts } from '../../runtime/hosts';
import { withLocalHost } from '../../runtime/hosts';
import type { HttpFront } from '../../runtime/http-front';
import { mintToken } from '../../runtime/tokens';
import { callJson, startApiFront } from '../support/api-front';
import { MemorySecrets, RecordingWorkflows } from '../support/fakes';
import { answerSchema, deref, doc, type Json, schemaValidator } from '../support/openapi-document';

const routeKeys = apiRoutes({} as ApiDeps, { waitMs: 0, pollMs: 0 }, {} as ApiPolicy).map(
  (route) => `${route.method} ${route.path}`,
);
const accepted = LIST_QUERY_PARAMETERS as Record<string, readonly string[]>;
const PUBLIC_KEY = `${'K'.repeat(43)}=`;

/** The api handler behind the local front, on `repository`, with `document` as every applied one. */
function startApi(secret: string, repository: MemoryRepository, clock: () => Date, document?: string) {
  const handler = createApiHandler(
    () => ({
      repository,
      secrets: new MemorySecrets(),
      workflows: new RecordingWorkflows(),
      clock,
      configStore: { get: async () => document },
    }),
    () => ({ waitMs: 0, pollMs: 0, statusReportPeriodSeconds: 60 }),
    () => ({
      addresses: env.addressPolicy(),
      limits: env.ownerLimits(),
      throttle: { ratePerSecond: 0, burst: 1 },
    }),
  );
  return startApiFront(handler, secret);
}

/** The query parameters the document declares for `key` (`GET /v1/gateways`), path-level ones too. */
function declaredQuery(key: string): Json[] {
  const [method = '', path = ''] = key.split(' ');
  const item = doc.paths[path] ?? {};
  const operation = (item[method.toLowerCase()] ?? {}) as Json;
  const parameters = [...((item.parameters ?? []) as Json[]), ...((operation.parameters ?? []) as Json[])];
  return parameters.map(deref).filter((parameter) => parameter.in === 'query');
}

describe('query parameters: the document against the code', () => {
  test.each(routeKeys)('%s declares exactly the query parameters the code accepts', (key) => {
    // Act
    const declared = declaredQuery(key).map((parameter) => parameter.name);
    // Assess
    expect([...declared].sort()).toEqual([...(accepted[key] ?? [])].sort());
  });

  test('every route of the code’s list is routed', () => {
    expect(Object.keys(accepted).filter((key) => !routeKeys.includes(key))).toEqual([]);
  });

  test.each([
    ['GET /v1/gateways', GATEWAY_STATUSES],
    ['GET /v1/vpc-peerings', PEERING_STATUSES],
  ])('%s: status takes the values the code takes', (key, statuses) => {
    // Act
    const status = declaredQuery(key).find((parameter) => parameter.name === 'status');
    // Assess
    expect(deref((status?.schema ?? {}) as Json).enum).toEqual([...statuses]);
  });
});

describe('the list routes enforce the code’s list', () => {
  const secret = 'openapi-conformance-secret-of-at-least-32-bytes';
  let front: HttpFront;
  beforeAll(async () => {
    front = await startApi(secret, new MemoryRepository(), () => new Date());
  });
  afterAll(() => front?.close());

  const listed = Object.entries(accepted).flatMap(([key, names]) =>
    names.map((name) => [key, name] as const),
  );
  test.each(listed)('%s takes %s', async (key, name) => {
    // Prepare
    const path = (key.split(' ')[1] ?? '').replace('{id}', 'gw-none');
    const admin = await mintToken(secret, { sub: 'ops', groups: ['admin'] });
    // Act
    const answer = await callJson(front, 'GET', `${path}?${name}=x`, admin);
    // Assess: refused for its value or the gateway, never as an unknown parameter
    expect(answer.body?.error?.message ?? '').not.toMatch(/unknown query parameter/);
  });

  test.each(Object.keys(accepted))('%s refuses a parameter not on its list', async (key) => {
    // Prepare
    const path = (key.split(' ')[1] ?? '').replace('{id}', 'gw-none');
    const admin = await mintToken(secret, { sub: 'ops', groups: ['admin'] });
    // Act
    const answer = await callJson(front, 'GET', `${path}?sort=id`, admin);
    // Assess
    expect([answer.status, answer.body?.error?.message]).toEqual([400, 'sort: unknown query parameter']);
  });
});

describe('the status answer validates, with no undeclared field', () => {
  const secret = 'openapi-status-secret-of-at-least-32-bytes';
  const repository = new MemoryRepository();
  const now = new Date('2026-12-05T10:01:50.000Z');
  const document = JSON.stringify({
    peers: [
      {
        name: 'laptop',
        type: 'road-warrior',
        publicKey: PUBLIC_KEY,
        allowedIps: ['100.64.7.2/32'],
        endpoint: null,
      },
    ],
  });
  let front: HttpFront;
  let alice: string;
  const validate = schemaValidator();
  const schema = answerSchema('GET', '/v1/gateways/{id}/status', 200);

  beforeAll(async () => {
    front = await startApi(secret, repository, () => now, document);
    alice = await mintToken(secret, { sub: 'alice' });
    const registered = await callJson(
      front,
      'POST',
      '/v1/gateways',
      await mintToken(secret, { sub: 'ops', groups: ['admin'] }),
      {
        id: 'gw-s',
        ownerId: 'alice',
        vpcId: 'vpc-s',
        vpcCidr: '10.7.0.0/16',
        tunnelSubnet: '100.64.7.0/24',
        publicIp: '203.0.113.7',
        instanceId: 'i-s',
      },
    );
    expect(registered.status).toBe(201);
  });
  afterAll(() => front?.close());

  test('before any report: stale, no age, no peers', async () => {
    // Act
    const answer = await callJson(front, 'GET', '/v1/gateways/gw-s/status', alice);
    // Assess
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ reportAgeSeconds: null, stale: true, peers: [] });
    expect(validate(schema, answer.body)).toBeUndefined();
  });

  test('after a report: its age, fresh, the applied peers with their figures', async () => {
    // Prepare
    await repository.recordApplied({
      gatewayId: 'gw-s',
      appliedGeneration: 1,
      appliedAt: '2026-12-05T10:00:00.000Z',
    });
    await repository.putStatusReport({
      gatewayId: 'gw-s',
      appliedGeneration: 1,
      mode: 'wireguard',
      reportedAt: '2026-12-05T10:01:00.000Z',
      peers: [
        {
          publicKey: PUBLIC_KEY,
          allowedIps: ['100.64.7.2/32'],
          endpoint: '198.51.100.4:40000',
          latestHandshake: 1_796_464_840,
          rxBytes: 10,
          txBytes: 20,
        },
      ],
    });
    // Act
    const answer = await callJson(front, 'GET', '/v1/gateways/gw-s/status', alice);
    // Assess
    expect(answer.body).toMatchObject({ reportAgeSeconds: 50, stale: false });
    expect(answer.body.peers[0]).toMatchObject({ name: 'laptop', type: 'road-warrior', rxBytes: 10 });
    expect(validate(schema, answer.body)).toBeUndefined();
  });

  test('with the embedded runtime’s localHost', async () => {
    // Prepare
    const answer = await callJson(front, 'GET', '/v1/gateways/gw-s/status', alice);
    const hosts = {
      index: () => [
        {
          gatewayId: 'gw-s',
          instanceId: 'i-s',
          mode: 'wireguard',
          gatewayNamespace: 'vpg1-gw1',
          runDir: '/r',
          stateDir: '/s',
        },
      ],
    } as unknown as LocalHosts;
    const result: APIGatewayProxyResult = { statusCode: 200, body: JSON.stringify(answer.body) };
    const event = { httpMethod: 'GET', path: '/v1/gateways/gw-s/status' } as APIGatewayProxyEvent;
    // Act
    const local = JSON.parse(withLocalHost(event, result, hosts).body);
    // Assess
    expect(local.localHost).toEqual({
      instanceId: 'i-s',
      mode: 'wireguard',
      namespace: 'vpg1-gw1',
      wgShow: 'npm run wg -- gw-s',
    });
    expect(validate(schema, local)).toBeUndefined();
  });

  test('a field the document does not declare is refused (the check can fail)', async () => {
    // Prepare
    const answer = await callJson(front, 'GET', '/v1/gateways/gw-s/status', alice);
    const peer = answer.body.peers[0];
    // Act
    const extraField = validate(schema, { ...answer.body, lastError: 'x' });
    const extraPeerField = validate(schema, { ...answer.body, peers: [{ ...peer, presharedKey: 'x' }] });
    const extraHostField = validate(schema, {
      ...answer.body,
      localHost: { instanceId: 'i-s', mode: 'files', dataDir: '/x' },
    });
    // Assess
    expect(extraField).toMatch(/additional properties/);
    expect(extraPeerField).toMatch(/additional properties/);
    expect(extraHostField).toMatch(/additional properties/);
  });
});
