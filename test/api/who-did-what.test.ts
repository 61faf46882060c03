/**
 * Who did what (README, "Logs"): every request that changes something, and every road-warrior
 * config download, writes one `api request` line once answered: route, ids, status, the caller,
 * and `actingFor` when an admin acted on another owner's resource. Ids only: no body, key or
 * token. The local front's `http access` line names the caller too. Behind the real local front.
 */
import { MemoryRepository } from '../../lambdas/adapters/memory/repository';
import type { GatewayRecord } from '../../lambdas/core/types';
import { type HttpFront, startHttpFront } from '../../runtime/http-front';
import { mintToken } from '../../runtime/tokens';
import { callJson, type JsonAnswer, memoryApiHandler } from '../support/api-front';
import { MemorySecrets, RecordingWorkflows } from '../support/fakes';
import { captureLogLines, type LogLine, recordingLog } from '../support/log-lines';
import { newPeering } from '../support/records';

const SECRET = 'who-did-what-secret-of-at-least-32-bytes';

const gatewayBody = (id: string, n: number) => ({
  id,
  ownerId: 'alice',
  vpcId: `vpc-${id}`,
  vpcCidr: `10.${80 + n}.0.0/16`,
  tunnelSubnet: `100.64.${80 + n}.0/24`,
  publicIp: `203.0.113.${80 + n}`,
  instanceId: `i-${id}`,
});

let repository: MemoryRepository;
let front: HttpFront;
let access: LogLine[];
let admin: string;
let alice: string;
let bob: string;

beforeEach(async () => {
  repository = new MemoryRepository();
  const secrets = new MemorySecrets();
  const workflows = new RecordingWorkflows();
  const recorded = recordingLog();
  access = recorded.lines;
  front = await startHttpFront({
    port: 0,
    authSecret: SECRET,
    // The fake's executions never end: a create or delete answers 202 after this wait.
    apiHandler: memoryApiHandler({
      deps: { repository, secrets, workflows },
      timing: { waitMs: 20, pollMs: 5 },
    }),
    postLocalEvents: async () => ({}),
    health: async () => ({ ok: true, components: {} }),
    log: recorded.log,
  });
  admin = await mintToken(SECRET, { sub: 'admin-mallory', groups: ['admin'] });
  alice = await mintToken(SECRET, { sub: 'alice' });
  bob = await mintToken(SECRET, { sub: 'bob' });
});

afterEach(async () => {
  await front.close();
});

const requestLines = (lines: LogLine[]) => lines.filter((line) => line.message === 'api request');

async function download(
  path: string,
  token: string,
): Promise<{ status: number; text: string; requestId: string }> {
  const response = await fetch(`${front.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  return {
    status: response.status,
    text: await response.text(),
    requestId: response.headers.get('x-amzn-requestid') ?? '',
  };
}

describe('the api request line', () => {
  it("names the admin and the tenant on each step of adding a road-warrior to the tenant's gateway, taking its key and deleting everything", async () => {
    // Prepare
    const answers: JsonAnswer[] = [];
    let config = { status: 0, text: '', requestId: '' };

    // Act: the sequence the tenant could not otherwise see afterwards.
    const lines = await captureLogLines(async () => {
      answers.push(await callJson(front, 'POST', '/v1/gateways', admin, gatewayBody('gw-alice', 1)));
      answers.push(await callJson(front, 'POST', '/v1/gateways/gw-alice/peers', admin, { name: 'backdoor' }));
      config = await download('/v1/gateways/gw-alice/peers/backdoor/config', admin);
      answers.push(await callJson(front, 'DELETE', '/v1/gateways/gw-alice/peers/backdoor', admin));
      answers.push(await callJson(front, 'DELETE', '/v1/gateways/gw-alice', admin));
    });

    // Assess: one line per call, in order, each with its request's id.
    const [registered, added, removed, deleted] = answers;
    if (!registered || !added || !removed || !deleted) throw new Error('the calls did not run');
    expect([registered.status, added.status, config.status]).toEqual([201, 201, 200]);
    const privateKey = /PrivateKey = (\S{44})/.exec(config.text)?.[1];
    expect(privateKey).toBeDefined();
    const who = { level: 'INFO', callerId: 'admin-mallory', admin: true, actingFor: 'alice' };
    expect(requestLines(lines)).toEqual([
      expect.objectContaining({
        ...who,
        method: 'POST',
        route: '/v1/gateways',
        ids: { gatewayId: 'gw-alice', ownerId: 'alice' },
        status: 201,
        requestId: registered.headers.get('x-amzn-requestid'),
      }),
      expect.objectContaining({
        ...who,
        method: 'POST',
        route: '/v1/gateways/{id}/peers',
        ids: { id: 'gw-alice', name: 'backdoor' },
        status: 201,
        requestId: added.headers.get('x-amzn-requestid'),
      }),
      expect.objectContaining({
        ...who,
        method: 'GET',
        route: '/v1/gateways/{id}/peers/{name}/config',
        ids: { id: 'gw-alice', name: 'backdoor' },
        status: 200,
        requestId: config.requestId,
      }),
      expect.objectContaining({
        ...who,
        method: 'DELETE',
        route: '/v1/gateways/{id}/peers/{name}',
        ids: { id: 'gw-alice', name: 'backdoor' },
        status: removed.status,
        requestId: removed.headers.get('x-amzn-requestid'),
      }),
      expect.objectContaining({
        ...who,
        method: 'DELETE',
        route: '/v1/gateways/{id}',
        ids: { id: 'gw-alice' },
        status: deleted.status,
        requestId: deleted.headers.get('x-amzn-requestid'),
      }),
    ]);
    // Ids only: the key handed out and the bearer token are on no line.
    const written = JSON.stringify([...lines, ...access]);
    expect(written).not.toContain(privateKey);
    expect(written).not.toContain('PrivateKey');
    expect(written).not.toContain(admin);
  });

  it('names the owner an admin deleted a peering for, read before the deletion removed it', async () => {
    // Prepare
    for (const [id, n] of [
      ['gw-pa', 2],
      ['gw-pb', 3],
    ] as const) {
      expect((await callJson(front, 'POST', '/v1/gateways', admin, gatewayBody(id, n))).status).toBe(201);
    }
    const [a, b] = (await Promise.all([repository.getGateway('gw-pa'), repository.getGateway('gw-pb')])) as [
      GatewayRecord,
      GatewayRecord,
    ];
    await repository.createPeering(newPeering(a, b, 'pcx-who'));

    // Act
    const lines = await captureLogLines(() => callJson(front, 'DELETE', '/v1/vpc-peerings/pcx-who', admin));

    // Assess
    expect(requestLines(lines)).toEqual([
      expect.objectContaining({
        route: '/v1/vpc-peerings/{id}',
        ids: { id: 'pcx-who' },
        callerId: 'admin-mallory',
        actingFor: 'alice',
      }),
    ]);
  });

  it('names the gateway a registration without an id was given', async () => {
    // Prepare: no `id` in the body: the API generates one
    const { id: _none, ...withoutId } = gatewayBody('unused', 7);

    // Act
    let answer: JsonAnswer | undefined;
    const lines = await captureLogLines(async () => {
      answer = await callJson(front, 'POST', '/v1/gateways', admin, withoutId);
    });

    // Assess
    expect(answer?.status).toBe(201);
    expect(requestLines(lines)).toEqual([
      expect.objectContaining({
        route: '/v1/gateways',
        status: 201,
        ids: { gatewayId: answer?.body.id, ownerId: 'alice' },
        actingFor: 'alice',
      }),
    ]);
  });

  it('names an owner acting on their own resource without actingFor, and writes nothing for reads', async () => {
    // Prepare
    expect((await callJson(front, 'POST', '/v1/gateways', admin, gatewayBody('gw-own', 4))).status).toBe(201);

    // Act
    const lines = await captureLogLines(async () => {
      await callJson(front, 'GET', '/v1/gateways', alice);
      await callJson(front, 'GET', '/v1/gateways/gw-own', alice);
      await callJson(front, 'POST', '/v1/gateways/gw-own/peers', alice, { name: 'laptop' });
    });

    // Assess
    const [line, ...others] = requestLines(lines);
    expect(others).toEqual([]);
    expect(line).toMatchObject({
      route: '/v1/gateways/{id}/peers',
      status: 201,
      callerId: 'alice',
      admin: false,
    });
    expect(line).not.toHaveProperty('actingFor');
  });

  it("records refused attempts with their status, and a refused body's ids not at all", async () => {
    // Prepare
    expect((await callJson(front, 'POST', '/v1/gateways', admin, gatewayBody('gw-ref', 5))).status).toBe(201);
    const badName = `x${'!'.repeat(300)}`;

    // Act
    const lines = await captureLogLines(async () => {
      await callJson(front, 'POST', '/v1/gateways', bob, gatewayBody('gw-bob', 6));
      await callJson(front, 'DELETE', '/v1/gateways/gw-ref', bob);
      await callJson(front, 'POST', '/v1/gateways/gw-ref/peers', admin, { name: badName });
    });

    // Assess: a user trying the admin route (403) or another's gateway (404) is on record.
    expect(requestLines(lines)).toEqual([
      expect.objectContaining({ route: '/v1/gateways', ids: {}, status: 403, callerId: 'bob', admin: false }),
      expect.objectContaining({
        route: '/v1/gateways/{id}',
        ids: { id: 'gw-ref' },
        status: 404,
        callerId: 'bob',
      }),
      expect.objectContaining({
        route: '/v1/gateways/{id}/peers',
        ids: { id: 'gw-ref' },
        status: 400,
        actingFor: 'alice',
      }),
    ]);
    expect(JSON.stringify(lines)).not.toContain(badName);
  });
});

describe("the local front's access line", () => {
  it('names the caller whose token it accepted, and no one when there was none', async () => {
    // Act
    const named = await callJson(front, 'GET', '/v1/gateways', bob);
    const anonymous = await callJson(front, 'GET', '/v1/gateways');

    // Assess
    expect([named.status, anonymous.status]).toEqual([200, 401]);
    const lineOf = (answer: JsonAnswer) =>
      access.find((line) => line.requestId === answer.headers.get('x-amzn-requestid'));
    expect(lineOf(named)).toMatchObject({ message: 'http access', status: 200, callerId: 'bob' });
    const unnamed = access.find((line) => line.status === 401);
    expect(unnamed).toBeDefined();
    expect(unnamed).not.toHaveProperty('callerId');
  });

  it("gives a refused token's 401 a request id, its access line the same one", async () => {
    // Act: a token the front refuses before any handler runs
    const refused = await callJson(front, 'GET', '/v1/gateways', `${bob}tampered`);

    // Assess
    expect(refused.status).toBe(401);
    const requestId = refused.headers.get('x-amzn-requestid');
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(access.find((line) => line.status === 401)).toMatchObject({ requestId, awsRequestId: requestId });
  });
});
