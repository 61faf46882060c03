/**
 * Every operation of the OpenAPI document, its success answers and its error answers, as the API
 * gives them on the workflow bench (the real ASL and step handlers, the in-memory repository,
 * gateway hosts in files mode), against the document held closed: each answer's status is
 * documented for its operation, its headers and body agree, and a field the document does not
 * declare fails (test/support/openapi-document.ts, `disagreements`). The last test checks that every
 * documented success status of every operation was seen, and an error of each.
 */
import { CommandFailedError } from '../../lambdas/core/errors';
import { generateKeyPair } from '../../lambdas/core/keys';
import { OPENAPI_PATH } from '../../lambdas/openapi';
import { type HttpFront, MAX_FRONT_BODY_BYTES } from '../../runtime/http-front';
import { mintToken } from '../../runtime/tokens';
import { callJson, memoryApiHandler, startApiFront } from '../support/api-front';
import {
  type DocumentedAnswer,
  disagreements,
  doc,
  HTTP_METHODS,
  type Json,
} from '../support/openapi-document';
import { rawRequest } from '../support/raw-request';
import { useWorkflowBench } from '../support/workflow-bench';

const bench = useWorkflowBench();
const secret = 'openapi-answers-bench-secret-of-32-bytes';

/** `METHOD template status` of every answer checked. */
const seen = new Set<string>();

/** One request (callJson: a JSON body parsed, any other kept as its text). */
const send = (...args: Parameters<typeof callJson>): Promise<DocumentedAnswer> => callJson(...args);

/** The statuses of `answers` to `method template`, and every way they disagree with the document. */
function checked(method: string, template: string, answers: DocumentedAnswer[]) {
  for (const answer of answers) seen.add(`${method} ${template} ${answer.status}`);
  return {
    statuses: answers.map((answer) => answer.status),
    problems: answers.flatMap((answer) => disagreements(method, template, answer)),
  };
}

const codeOf = (answer: DocumentedAnswer) => (answer.body as { error?: { code?: string } })?.error?.code;
/** A peering's id from its create's answer. */
const idOf = (answer: DocumentedAnswer) => (answer.body as { id: string }).id;

/** Every operation of the document. */
const operations = Object.entries(doc.paths).flatMap(([template, item]) =>
  HTTP_METHODS.filter((method) => method in item).map((method) => ({
    method: method.toUpperCase(),
    template,
    responses: Object.keys((item[method] as Json).responses as Json),
  })),
);

describe('every operation’s answers, against the closed document', () => {
  let engine: ReturnType<typeof bench.engine>;
  let front: HttpFront;
  /** Answers without waiting for a workflow: the 202s. */
  let quick: HttpFront;
  let admin: string;
  let alice: string;
  let bob: string;
  const register = (id: string, n: number, ownerId = 'alice', extra: Json = {}) =>
    send(front, 'POST', '/v1/gateways', admin, {
      id,
      ownerId,
      vpcId: `vpc-${id}`,
      vpcCidr: `10.${n}.0.0/16`,
      tunnelSubnet: `100.64.${n}.0/24`,
      publicIp: `203.0.113.${n}`,
      instanceId: `i-${id}`,
      ...extra,
    });

  // Once, after the bench's own beforeEach has provided the step handlers' dependencies.
  beforeEach(async () => {
    if (front) return;
    engine = bench.engine();
    front = await startApiFront(
      // AWS's API_WAIT_MS: long enough for any run here; a refusal, which writes nothing, is
      // answered at a create's sparse looks (docs/DECISIONS.md, "A settled wait describes nothing")
      memoryApiHandler({ deps: bench.apiDeps(engine), timing: { waitMs: 8_000, pollMs: 10 } }),
      secret,
    );
    quick = await startApiFront(
      memoryApiHandler({ deps: bench.apiDeps(engine), timing: { waitMs: 0, pollMs: 10 } }),
      secret,
    );
    [admin, alice, bob] = await Promise.all([
      mintToken(secret, { sub: 'ops', groups: ['admin'] }),
      mintToken(secret, { sub: 'alice' }),
      mintToken(secret, { sub: 'bob' }),
    ]);
  });
  afterAll(() => {
    front?.close();
    quick?.close();
  });

  test('POST /v1/gateways: 201 with a generated or a given key; 400, 403, 409', async () => {
    // Act
    const answers = [
      await register('gw-a', 1),
      await register('gw-b', 2),
      await register('gw-c', 3, 'bob'),
      await register('gw-d', 4),
      await register('gw-k', 5, 'alice', {
        publicKey: generateKeyPair().publicKey,
        name: 'k',
        location: 'x',
      }),
      await register('gw-a', 1),
      await send(front, 'POST', '/v1/gateways', admin, { id: '-x', extra: 1 }),
      await send(front, 'POST', '/v1/gateways', alice, {}),
    ];
    // Assess
    const { statuses, problems } = checked('POST', '/v1/gateways', answers);
    expect(statuses).toEqual([201, 201, 201, 201, 201, 409, 400, 403]);
    expect(problems).toEqual([]);
  });

  test('GET /v1/gateways: 200 pages; 400 for a token tampered with or issued to another caller', async () => {
    // Prepare
    const first = await send(front, 'GET', '/v1/gateways?limit=2', admin);
    const token = (first.body as { nextToken: string }).nextToken;
    // Act
    const answers = [
      first,
      await send(front, 'GET', `/v1/gateways?limit=2&nextToken=${token}`, admin),
      await send(front, 'GET', '/v1/gateways?status=ACTIVE', alice),
      await send(front, 'GET', `/v1/gateways?limit=2&nextToken=${token}`, alice),
      await send(front, 'GET', `/v1/gateways?nextToken=${token}x`, admin),
      await send(front, 'GET', '/v1/gateways?ownerId=bob', alice),
    ];
    // Assess
    const { statuses, problems } = checked('GET', '/v1/gateways', answers);
    expect(statuses).toEqual([200, 200, 200, 400, 400, 400]);
    expect(problems).toEqual([]);
  });

  test.each([
    ['/v1/gateways/{id}'],
    ['/v1/gateways/{id}/peering-candidates'],
    ['/v1/gateways/{id}/peers'],
    ['/v1/gateways/{id}/status'],
  ])('GET %s: 200 to its owner, 404 to another tenant', async (template) => {
    // Act
    const answers = [
      await send(front, 'GET', template.replace('{id}', 'gw-a'), alice),
      await send(front, 'GET', template.replace('{id}', 'gw-c'), alice),
    ];
    // Assess
    const { statuses, problems } = checked('GET', template, answers);
    expect(statuses).toEqual([200, 404]);
    expect(problems).toEqual([]);
  });

  test('POST /v1/gateways/{id}/vpc-peerings: 201 and its replay; 400, 404, 409', async () => {
    // Prepare
    const create = (from: string, to: string, bearer = alice, headers: Record<string, string> = {}) =>
      send(front, 'POST', `/v1/gateways/${from}/vpc-peerings`, bearer, { remoteGatewayId: to }, headers);
    const key = { 'Idempotency-Key': 'create-a-b' };
    // Act
    const answers = [
      await create('gw-a', 'gw-b', alice, key),
      await create('gw-a', 'gw-b', alice, key),
      await create('gw-a', 'gw-d', alice, key),
      await create('gw-b', 'gw-a'),
      await create('gw-a', 'gw-c'),
      await create('gw-a', 'gw-c', admin),
      await send(front, 'POST', '/v1/gateways/gw-a/vpc-peerings', alice, { remoteGatewayId: 'gw-b', x: 1 }),
      await create('gw-a', 'gw-d', alice, { 'Idempotency-Key': 'a b' }),
    ];
    // Assess
    const { statuses, problems } = checked('POST', '/v1/gateways/{id}/vpc-peerings', answers);
    expect(statuses).toEqual([201, 201, 409, 409, 404, 409, 400, 400]);
    expect(answers.map(codeOf).slice(2, 6)).toEqual([
      'IDEMPOTENCY_KEY_REUSED',
      'PEERING_ALREADY_EXISTS',
      'NOT_FOUND',
      'OWNER_MISMATCH',
    ]);
    expect(problems).toEqual([]);
  });

  test('GET /v1/vpc-peerings and /v1/vpc-peerings/{id}: 200; 400, 404', async () => {
    // Prepare
    const listed = await send(front, 'GET', '/v1/vpc-peerings', alice);
    const peeringId = (listed.body as { items: { id: string }[] }).items[0]?.id;
    // Act
    const lists = [
      listed,
      await send(front, 'GET', '/v1/vpc-peerings?ownerId=alice&status=ACTIVE', admin),
      await send(front, 'GET', '/v1/vpc-peerings?limit=0', alice),
    ];
    const gets = [
      await send(front, 'GET', `/v1/vpc-peerings/${peeringId}`, alice),
      await send(front, 'GET', `/v1/vpc-peerings/${peeringId}`, bob),
    ];
    // Assess
    const list = checked('GET', '/v1/vpc-peerings', lists);
    const get = checked('GET', '/v1/vpc-peerings/{id}', gets);
    expect([list.statuses, get.statuses]).toEqual([
      [200, 200, 400],
      [200, 404],
    ]);
    expect([...list.problems, ...get.problems]).toEqual([]);
  });

  test('road-warriors: 201 with a generated or a given key, 200 lists and configs; 400, 404, 409', async () => {
    // Act
    const added = [
      await send(front, 'POST', '/v1/gateways/gw-a/peers', alice, { name: 'laptop' }),
      await send(front, 'POST', '/v1/gateways/gw-a/peers', alice, {
        name: 'phone',
        publicKey: generateKeyPair().publicKey,
      }),
      await send(front, 'POST', '/v1/gateways/gw-a/peers', alice, { name: 'laptop' }),
      await send(front, 'POST', '/v1/gateways/gw-a/peers', alice, { name: 'Bad Name' }),
      await send(front, 'POST', '/v1/gateways/gw-c/peers', alice, { name: 'x' }),
    ];
    const configs = [
      await send(front, 'GET', '/v1/gateways/gw-a/peers/laptop/config', alice),
      await send(front, 'GET', '/v1/gateways/gw-a/peers/vpc-peering-pcx-1/config', alice),
      await send(front, 'GET', '/v1/gateways/gw-a/peers/nobody/config', alice),
    ];
    const lists = [
      await send(front, 'GET', '/v1/gateways/gw-a/peers?limit=1', alice),
      await send(front, 'GET', '/v1/gateways/gw-a', alice),
    ];
    // Assess
    const add = checked('POST', '/v1/gateways/{id}/peers', added);
    const config = checked('GET', '/v1/gateways/{id}/peers/{name}/config', configs);
    const peers = checked('GET', '/v1/gateways/{id}/peers', lists.slice(0, 1));
    const detail = checked('GET', '/v1/gateways/{id}', lists.slice(1));
    expect([add.statuses, config.statuses]).toEqual([
      [201, 201, 409, 400, 404],
      [200, 400, 404],
    ]);
    expect(configs[0]?.body).toMatch(/^\[Interface\]/);
    expect([...add.problems, ...config.problems, ...peers.problems, ...detail.problems]).toEqual([]);
  });

  test('DELETE of a road-warrior and of a vpc-peering peer: 204 once applied; 404', async () => {
    // Prepare
    const created = await send(front, 'POST', '/v1/gateways/gw-a/vpc-peerings', alice, {
      remoteGatewayId: 'gw-d',
    });
    // Act
    const answers = [
      await send(front, 'DELETE', '/v1/gateways/gw-a/peers/laptop', alice),
      await send(front, 'DELETE', '/v1/gateways/gw-a/peers/laptop', alice),
      await send(front, 'DELETE', `/v1/gateways/gw-a/peers/vpc-peering-${idOf(created)}`, alice),
    ];
    // Assess
    const { statuses, problems } = checked('DELETE', '/v1/gateways/{id}/peers/{name}', answers);
    expect(statuses).toEqual([204, 404, 204]);
    expect(problems).toEqual([]);
  });

  test('DELETE /v1/vpc-peerings/{id}: 204 once applied on both gateways; 404', async () => {
    // Prepare: the peering of gw-a and gw-b, created above
    const listed = await send(front, 'GET', '/v1/vpc-peerings?status=ACTIVE', alice);
    const { id } = (listed.body as { items: { id: string; gatewayIds: string[] }[] }).items.find((item) =>
      item.gatewayIds.includes('gw-b'),
    ) as { id: string };
    // Act
    const answers = [
      await send(front, 'DELETE', `/v1/vpc-peerings/${id}`, alice),
      await send(front, 'DELETE', `/v1/vpc-peerings/${id}`, alice),
    ];
    // Assess
    const { statuses, problems } = checked('DELETE', '/v1/vpc-peerings/{id}', answers);
    expect(statuses).toEqual([204, 404]);
    expect(problems).toEqual([]);
  });

  test('answers before the workflow ends: the 202s of a create and of every deletion', async () => {
    // Prepare
    const peering = await send(front, 'POST', '/v1/gateways/gw-b/vpc-peerings', alice, {
      remoteGatewayId: 'gw-d',
    });
    const another = await send(front, 'POST', '/v1/gateways/gw-k/vpc-peerings', alice, {
      remoteGatewayId: 'gw-d',
    });
    await send(front, 'POST', '/v1/gateways/gw-b/peers', alice, { name: 'tablet' });
    // Act
    const create = await send(quick, 'POST', '/v1/gateways/gw-k/vpc-peerings', alice, {
      remoteGatewayId: 'gw-b',
    });
    const revocation = await send(quick, 'DELETE', '/v1/gateways/gw-b/peers/tablet', alice);
    const peerDeletion = await send(
      quick,
      'DELETE',
      `/v1/gateways/gw-b/peers/vpc-peering-${idOf(peering)}`,
      alice,
    );
    const peeringDeletion = await send(quick, 'DELETE', `/v1/vpc-peerings/${idOf(another)}`, alice);
    const gatewayDeletions = [
      await send(quick, 'DELETE', '/v1/gateways/gw-k', alice),
      await send(quick, 'DELETE', '/v1/gateways/gw-c', alice),
    ];
    await engine.idle();
    // Assess
    const results = [
      checked('POST', '/v1/gateways/{id}/vpc-peerings', [create]),
      checked('DELETE', '/v1/gateways/{id}/peers/{name}', [revocation, peerDeletion]),
      checked('DELETE', '/v1/vpc-peerings/{id}', [peeringDeletion]),
      checked('DELETE', '/v1/gateways/{id}', gatewayDeletions),
    ];
    expect(results.map((result) => result.statuses)).toEqual([[202], [202, 202], [202], [202, 404]]);
    expect(peerDeletion.body).toEqual({ gatewayId: 'gw-b', name: `vpc-peering-${idOf(peering)}` });
    expect(results.flatMap((result) => result.problems)).toEqual([]);
  });

  test('502 PEERING_FAILED when a gateway does not apply a create', async () => {
    // Prepare
    const failing = bench.engine({
      PushConfigFunctionArn: () => async () => {
        throw new CommandFailedError('Config push ended Failed');
      },
    });
    const failFront = await startApiFront(
      memoryApiHandler({ deps: bench.apiDeps(failing), timing: { waitMs: 60_000, pollMs: 10 } }),
      secret,
    );
    await register('gw-e', 6);
    // Act
    const answer = await send(failFront, 'POST', '/v1/gateways/gw-a/vpc-peerings', alice, {
      remoteGatewayId: 'gw-e',
    }).finally(() => failFront.close());
    await failing.idle();
    // Assess
    const { statuses, problems } = checked('POST', '/v1/gateways/{id}/vpc-peerings', [answer]);
    expect([statuses, codeOf(answer)]).toEqual([[502], 'PEERING_FAILED']);
    expect(problems).toEqual([]);
  });

  test('the public routes: 200', async () => {
    // Act
    const health = await send(front, 'GET', '/health');
    const document = await send(front, 'GET', OPENAPI_PATH);
    // Assess
    const results = [checked('GET', '/health', [health]), checked('GET', OPENAPI_PATH, [document])];
    expect(results.map((result) => result.statuses)).toEqual([[200], [200]]);
    expect(results.flatMap((result) => result.problems)).toEqual([]);
  });

  test('413 PAYLOAD_TOO_LARGE from every operation, whatever its method', async () => {
    // Prepare: node:http, as fetch sends no body with a GET; its length given, as node:http does
    // not frame a GET's or a DELETE's body by itself
    const tooLarge = 'x'.repeat(MAX_FRONT_BODY_BYTES + 1);
    const headers = { authorization: `Bearer ${alice}`, 'content-length': String(tooLarge.length) };
    // Act
    const answers = await Promise.all(
      operations.map(async ({ method, template }) => {
        const path = template.replace('{id}', 'gw-a').replace('{name}', 'laptop');
        const reply = await rawRequest(front.url, method, path, headers, tooLarge);
        const answer = {
          status: reply.status,
          headers: new Headers(),
          body: reply.body ? JSON.parse(reply.body) : undefined,
        };
        answer.headers.set('content-type', String(reply.headers['content-type']));
        return {
          where: `${method} ${template}`,
          code: codeOf(answer),
          ...checked(method, template, [answer]),
        };
      }),
    );
    // Assess
    for (const { where, code, statuses, problems } of answers) {
      expect([where, statuses, code, problems]).toEqual([where, [413], 'PAYLOAD_TOO_LARGE', []]);
    }
  });

  test('every documented success of every operation was answered, and an error of each', () => {
    // Act
    const missing = operations.flatMap(({ method, template, responses }) => {
      const successes = responses.filter((status) => status.startsWith('2'));
      const errors = responses.filter((status) => status.startsWith('4'));
      const key = (status: string) => `${method} ${template} ${status}`;
      return [
        ...successes.filter((status) => !seen.has(key(status))).map(key),
        ...(errors.some((status) => seen.has(key(status))) ? [] : [`${method} ${template} 4xx`]),
      ];
    });
    // Assess
    expect(operations.length).toBe(16);
    expect(missing).toEqual([]);
  });
});
