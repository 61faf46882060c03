/**
 * Authentication and visibility on every route (docs/CONTRACT.md#authentication-and-visibility): anonymous and forged tokens 401,
 * another user 404 (never 403, nothing to enumerate; 403 only on the admin-only route), the owner
 * and an admin allowed. Refused calls must leave everything as it was. The caller throttle is off
 * here (its 429 is tested in test/api/limits.test.ts): the state snapshots walk every list page. A
 * deployment's throttle is its own (README.md, "Integration suite against LocalStack"); list walks
 * wait out its 429s.
 */
import { randomBytes } from 'node:crypto';
import { mintToken } from '../../runtime/tokens';
import {
  assertNoSecretLeaked,
  gatewayBody,
  isThisFilesGateway,
  isThisFilesPeering,
  listAll,
  peer,
  peersOf,
  useTarget,
} from '../support/integration';

process.env.CALLER_RATE_PER_SECOND = '0';

const { target, client, newGateway } = useTarget();
let gatewayId: string;
let peeringId: string;
let forged: string;
let unsigned: string;

beforeAll(async () => {
  const gateway = await newGateway('alice');
  const remote = await newGateway('alice');
  gatewayId = gateway.id;
  const added = await client.call('POST', `/v1/gateways/${gatewayId}/peers`, {
    token: target.tokens.alice,
    body: { name: 'rw' },
  });
  expect(added.status).toBe(201);
  peeringId = (await peer(client, target.tokens.alice, gatewayId, remote.id)).id;
  forged = await mintToken(randomBytes(32).toString('base64url'), {
    sub: target.users.alice,
    groups: ['admin'],
  });
  const claims = Buffer.from(
    JSON.stringify({ sub: target.users.alice, 'cognito:groups': ['admin'] }),
  ).toString('base64url');
  unsigned = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${claims}.`;
}, 60_000);

interface RouteCase {
  method: string;
  path: () => string;
  body?: () => unknown;
  /** What the owner (and an admin) get, for routes safe to call in this matrix. */
  allowed?: number;
  /** What another user gets. */
  otherUser: number;
}

const ROUTES: Record<string, RouteCase> = {
  'POST /v1/gateways': {
    method: 'POST',
    path: () => '/v1/gateways',
    body: () => gatewayBody(target.users.alice),
    otherUser: 403,
  },
  'GET /v1/gateways': { method: 'GET', path: () => '/v1/gateways', allowed: 200, otherUser: 200 },
  'GET /v1/gateways/{id}': {
    method: 'GET',
    path: () => `/v1/gateways/${gatewayId}`,
    allowed: 200,
    otherUser: 404,
  },
  'DELETE /v1/gateways/{id}': { method: 'DELETE', path: () => `/v1/gateways/${gatewayId}`, otherUser: 404 },
  'GET peering-candidates': {
    method: 'GET',
    path: () => `/v1/gateways/${gatewayId}/peering-candidates`,
    allowed: 200,
    otherUser: 404,
  },
  'POST vpc-peerings': {
    method: 'POST',
    path: () => `/v1/gateways/${gatewayId}/vpc-peerings`,
    body: () => ({ remoteGatewayId: gatewayId }),
    otherUser: 404,
  },
  'GET /v1/vpc-peerings': { method: 'GET', path: () => '/v1/vpc-peerings', allowed: 200, otherUser: 200 },
  'GET /v1/vpc-peerings/{id}': {
    method: 'GET',
    path: () => `/v1/vpc-peerings/${peeringId}`,
    allowed: 200,
    otherUser: 404,
  },
  'DELETE /v1/vpc-peerings/{id}': {
    method: 'DELETE',
    path: () => `/v1/vpc-peerings/${peeringId}`,
    otherUser: 404,
  },
  'DELETE vpc-peering peer': {
    method: 'DELETE',
    path: () => `/v1/gateways/${gatewayId}/peers/vpc-peering-${peeringId}`,
    otherUser: 404,
  },
  'DELETE road-warrior peer': {
    method: 'DELETE',
    path: () => `/v1/gateways/${gatewayId}/peers/rw`,
    otherUser: 404,
  },
  'POST peers': {
    method: 'POST',
    path: () => `/v1/gateways/${gatewayId}/peers`,
    body: () => ({ name: 'intruder' }),
    otherUser: 404,
  },
  'GET peer config': {
    method: 'GET',
    path: () => `/v1/gateways/${gatewayId}/peers/rw/config`,
    allowed: 200,
    otherUser: 404,
  },
  'GET status': {
    method: 'GET',
    path: () => `/v1/gateways/${gatewayId}/status`,
    allowed: 200,
    otherUser: 404,
  },
};

const ROUTE_NAMES = Object.keys(ROUTES);
const route = (name: string): RouteCase => {
  const found = ROUTES[name];
  if (!found) throw new Error(`no route case ${name}`);
  return found;
};
const call = (name: string, token?: string) => {
  const { method, path, body } = route(name);
  return client.call(method, path(), { token, body: body?.() });
};

/**
 * The state every refused call must leave untouched: this file's gateways and peerings only, so
 * other files' work on a shared deployment cannot move it (a refused registration would still show:
 * its body is this file's, gatewayBody).
 */
async function snapshot(): Promise<unknown> {
  const gateways = (await listAll(client, target.tokens.admin, '/v1/gateways')).filter(isThisFilesGateway);
  const peerings = (await listAll(client, target.tokens.admin, '/v1/vpc-peerings')).filter(
    isThisFilesPeering,
  );
  return {
    gateways: gateways.map((g: { id: string }) => g.id).sort(),
    peerings: peerings.map((p: { id: string; status: string }) => `${p.id}:${p.status}`).sort(),
    peers: (await peersOf(client, target.tokens.admin, gatewayId)).map((p) => p.name).sort(),
  };
}

describe.each(ROUTE_NAMES)('%s', (name) => {
  test.each([
    ['no token', () => undefined],
    ['a token signed with another secret', () => forged],
    ['an unsigned token', () => unsigned],
    ['a malformed token', () => 'not-a-jwt'],
  ])('%s is 401 and changes nothing', async (_who, token) => {
    const before = await snapshot();

    const reply = await call(name, token());

    expect(reply.status).toBe(401);
    expect(reply.json.error.code).toBe('UNAUTHORIZED');
    expect(await snapshot()).toEqual(before);
  });

  test('another user is refused and changes nothing', async () => {
    const before = await snapshot();

    const reply = await call(name, target.tokens.bob);

    expect(reply.status).toBe(route(name).otherUser);
    if (reply.status !== 200)
      expect(reply.json.error.code).toBe(reply.status === 403 ? 'FORBIDDEN' : 'NOT_FOUND');
    if (reply.status === 200) expect(JSON.stringify(reply.json)).not.toContain(gatewayId);
    expect(await snapshot()).toEqual(before);
  });
});

describe.each(ROUTE_NAMES.filter((name) => route(name).allowed !== undefined))('%s', (name) => {
  test.each([
    ['the owner', () => target.tokens.alice],
    ['an admin', () => target.tokens.admin],
  ])('%s is allowed', async (_who, token) => {
    const reply = await call(name, token());

    expect(reply.status).toBe(route(name).allowed);
  });
});

test('GET /health needs no token', async () => {
  const reply = await client.call('GET', '/health');

  expect(reply.status).toBe(200);
});

test('no secret appears in any JSON response of this file', async () => {
  await assertNoSecretLeaked(client, target);
});
