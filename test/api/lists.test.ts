/**
 * Every list is a page (README "API", docs/ARCHITECTURE.md "Lists"): the API handler on DynamoDB
 * Local. Walks with small limits while items come and go return every item present throughout
 * exactly once; tampered, foreign and expired tokens and bad limits are 400 VALIDATION_ERROR; the
 * gateway view holds the first page of its peers and the peers route pages to the end.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { ApiDeps } from '../../lambdas/app/api/context';
import type { SecretStore, WorkflowEngine } from '../../lambdas/app/ports';
import { DEFAULT_SECRET_PREFIX, secretNamesUnder } from '../../lambdas/app/secret-names';
import type { GatewayRecord } from '../../lambdas/core/types';
import { createApiHandler } from '../../lambdas/http/handler';
import { env } from '../../lambdas/shared/env';
import { useDynamoDb } from '../support/dynamodb';
import { gatewayRecord } from '../support/gateways';
import { newPeering, roadWarrior, uniqueId } from '../support/records';

const db = useDynamoDb();

interface Caller {
  sub: string;
  admin?: boolean;
}

const unused = (what: string) => () => {
  throw new Error(`${what} is not used by list routes`);
};

let now = new Date('2026-01-01T00:00:00.000Z');

function api(): (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult> {
  const deps: ApiDeps = {
    repository: db.repository({ clock: () => now }),
    secrets: {
      putIfAbsent: unused('secrets'),
      get: unused('secrets'),
      delete: unused('secrets'),
      deleteUnder: unused('secrets'),
      names: secretNamesUnder(DEFAULT_SECRET_PREFIX),
    } as SecretStore,
    workflows: {
      start: unused('workflows'),
      describe: unused('workflows'),
      find: unused('workflows'),
    } as WorkflowEngine,
    configStore: { get: unused('configStore') },
    clock: () => now,
  };
  return createApiHandler(
    () => deps,
    () => ({ waitMs: 0, pollMs: 0 }),
    () => ({
      addresses: env.addressPolicy(),
      limits: env.ownerLimits(),
      throttle: { ratePerSecond: 0, burst: 1 },
    }),
  );
}

interface Reply {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are asserted field by field
  json: any;
  bytes: number;
}

async function get(caller: Caller, path: string, query: Record<string, string> = {}): Promise<Reply> {
  const event = {
    httpMethod: 'GET',
    path,
    resource: '/{proxy+}',
    pathParameters: null,
    stageVariables: null,
    headers: {},
    multiValueHeaders: {},
    queryStringParameters: Object.keys(query).length > 0 ? query : null,
    multiValueQueryStringParameters: null,
    body: null,
    isBase64Encoded: false,
    requestContext: {
      authorizer: { claims: { sub: caller.sub, 'cognito:groups': caller.admin ? 'admin' : '' } },
    } as unknown as APIGatewayProxyEvent['requestContext'],
  } as APIGatewayProxyEvent;
  const result = await api()(event, { awsRequestId: 'test' } as Context);
  return { status: result.statusCode, json: JSON.parse(result.body || 'null'), bytes: result.body.length };
}

/** Every page of a list route; `between` runs after each page (changes during the walk). */
async function walk(
  caller: Caller,
  path: string,
  query: Record<string, string>,
  between: (page: number) => Promise<void> = async () => {},
): Promise<{ items: { id?: string; name?: string; gateway?: { id: string } }[]; pages: number }> {
  const items = [];
  let nextToken: string | undefined;
  let pages = 0;
  do {
    const reply = await get(caller, path, { ...query, ...(nextToken ? { nextToken } : {}) });
    expect(reply.status).toBe(200);
    expect(reply.json.items.length).toBeLessThanOrEqual(Number(query.limit ?? 50));
    items.push(...reply.json.items);
    nextToken = reply.json.nextToken;
    pages += 1;
    await between(pages);
  } while (nextToken);
  return { items, pages };
}

async function gatewaysOf(ownerId: string, count: number, overrides: Partial<GatewayRecord> = {}) {
  const gateways = Array.from({ length: count }, (_, i) =>
    gatewayRecord({ ownerId, id: uniqueId(`gw${String(i).padStart(3, '0')}`), ...overrides }),
  );
  for (const gateway of gateways) await db.repository().createGateway(gateway);
  return gateways;
}

const countBy = (values: string[]) =>
  values.reduce(
    (counts, value) => counts.set(value, (counts.get(value) ?? 0) + 1),
    new Map<string, number>(),
  );

describe('GET /v1/gateways', () => {
  it('walks a user’s gateways with limit 3 while others are added and removed: each one present throughout exactly once, in id order', async () => {
    // Prepare
    const owner = { sub: uniqueId('owner') };
    const stable = await gatewaysOf(owner.sub, 10);
    const removed = await gatewaysOf(owner.sub, 3);
    let added: GatewayRecord[] = [];

    // Act: after each page, one gateway leaves and one arrives.
    const { items, pages } = await walk(owner, '/v1/gateways', { limit: '3' }, async (page) => {
      const leaving = removed[page - 1];
      if (leaving) await db.repository().deleteGateway(leaving.id);
      if (page <= 3) added = [...added, ...(await gatewaysOf(owner.sub, 1))];
    });

    // Assess
    const ids = items.map((item) => String(item.id));
    const counts = countBy(ids);
    for (const gateway of stable) expect(counts.get(gateway.id)).toBe(1);
    expect([...counts.values()].every((count) => count === 1)).toBe(true);
    expect(ids).toEqual([...ids].sort());
    expect(pages).toBeGreaterThanOrEqual(4);
  });

  it('lets an admin list everyone’s gateways from the entity index, and filter by owner and status', async () => {
    // Prepare
    const alice = uniqueId('alice');
    const bob = uniqueId('bob');
    const alices = await gatewaysOf(alice, 4);
    const bobs = await gatewaysOf(bob, 2, { status: 'ERROR' });
    const admin = { sub: 'root', admin: true };

    // Act
    const everyone = await walk(admin, '/v1/gateways', { limit: '2' });
    const bobsOnly = await walk(admin, '/v1/gateways', { limit: '2', ownerId: bob });
    const erroring = await walk(admin, '/v1/gateways', { limit: '2', status: 'ERROR' });

    // Assess
    const everyId = everyone.items.map((item) => item.id);
    for (const gateway of [...alices, ...bobs]) expect(everyId).toContain(gateway.id);
    expect(bobsOnly.items.map((item) => item.id)).toEqual(bobs.map((g) => g.id).sort());
    const erroringIds = erroring.items.map((item) => item.id);
    for (const gateway of bobs) expect(erroringIds).toContain(gateway.id);
    for (const gateway of alices) expect(erroringIds).not.toContain(gateway.id);
  });

  it('refuses a user’s ownerId filter naming someone else, and unknown parameters', async () => {
    const user = { sub: uniqueId('user') };

    const foreign = await get(user, '/v1/gateways', { ownerId: 'someone-else' });
    const unknown = await get(user, '/v1/gateways', { sort: 'name' });

    expect(foreign.status).toBe(400);
    expect(foreign.json.error.code).toBe('VALIDATION_ERROR');
    expect(unknown.status).toBe(400);
    expect(unknown.json.error.message).toContain('sort');
  });
});

describe('tokens and limits', () => {
  it.each(['0', '101', '-1', '1.5', 'ten', ''])('limit=%j is 400 VALIDATION_ERROR', async (limit) => {
    const reply = await get({ sub: uniqueId('user') }, '/v1/gateways', { limit });

    expect(reply.status).toBe(400);
    expect(reply.json.error).toEqual({ code: 'VALIDATION_ERROR', message: expect.stringContaining('limit') });
  });

  it('limit 1 and 100 are accepted; no limit means 50', async () => {
    // Prepare
    const owner = { sub: uniqueId('owner') };
    await gatewaysOf(owner.sub, 51);

    // Act
    const one = await get(owner, '/v1/gateways', { limit: '1' });
    const hundred = await get(owner, '/v1/gateways', { limit: '100' });
    const unset = await get(owner, '/v1/gateways');

    // Assess
    expect(one.json.items).toHaveLength(1);
    expect(one.json.nextToken).toEqual(expect.any(String));
    expect(hundred.json.items).toHaveLength(51);
    expect(hundred.json.nextToken).toBeUndefined();
    expect(unset.json.items).toHaveLength(50);
    expect(unset.json.nextToken).toEqual(expect.any(String));
  });

  it('refuses a tampered, a foreign, another query’s and an expired token with 400, and returns no items', async () => {
    // Prepare
    const alice = { sub: uniqueId('alice') };
    const bob = { sub: uniqueId('bob') };
    await gatewaysOf(alice.sub, 3);
    const first = await get(alice, '/v1/gateways', { limit: '1' });
    const token: string = first.json.nextToken;
    const flipped = `${token.slice(0, 20)}${token[20] === 'A' ? 'B' : 'A'}${token.slice(21)}`;

    // Act
    const tampered = await get(alice, '/v1/gateways', { nextToken: flipped });
    const foreign = await get(bob, '/v1/gateways', { nextToken: token });
    const otherQuery = await get(alice, '/v1/gateways', { nextToken: token, status: 'ACTIVE' });
    const otherRoute = await get(alice, '/v1/vpc-peerings', { nextToken: token });
    const garbage = await get(alice, '/v1/gateways', { nextToken: 'not a token!' });
    const valid = await get(alice, '/v1/gateways', { nextToken: token, limit: '1' });
    now = new Date(now.getTime() + 2 * 60 * 60 * 1000);
    const expired = await get(alice, '/v1/gateways', { nextToken: token });

    // Assess
    for (const reply of [tampered, foreign, otherQuery, otherRoute, garbage, expired]) {
      expect(reply.status).toBe(400);
      expect(reply.json.error.code).toBe('VALIDATION_ERROR');
      expect(reply.json.error.message).toContain('nextToken');
      expect(reply.json.items).toBeUndefined();
    }
    expect(expired.json.error.message).toContain('expired');
    expect(valid.status).toBe(200);
    expect(valid.json.items).toHaveLength(1);
  });
});

describe('GET /v1/vpc-peerings', () => {
  it('walks with limit 2 while peerings are added and removed, and filters by status', async () => {
    // Prepare: 6 gateways, peerings on disjoint pairs.
    const owner = { sub: uniqueId('owner') };
    const g = await gatewaysOf(owner.sub, 8);
    const pair = (i: number, j: number) => newPeering(g[i] as GatewayRecord, g[j] as GatewayRecord);
    const stable = [pair(0, 1), pair(2, 3), pair(4, 5)];
    for (const peering of stable) await db.repository().createPeering(peering);
    const leaving = pair(6, 7);
    await db.repository().createPeering(leaving);
    await db.repository().setPeeringStatus(stable[0]?.id ?? '', 'ACTIVE', null, ['PROVISIONING']);

    // Act
    const walked = await walk(owner, '/v1/vpc-peerings', { limit: '2' }, async (page) => {
      if (page === 1) await db.repository().releasePeering(leaving.id, { deleteRecord: true });
      if (page === 1) await db.repository().createPeering(pair(1, 2));
    });
    const active = await walk(owner, '/v1/vpc-peerings', { status: 'ACTIVE' });
    const badStatus = await get(owner, '/v1/vpc-peerings', { status: 'RUNNING' });

    // Assess
    const counts = countBy(walked.items.map((item) => String(item.id)));
    for (const peering of stable) expect(counts.get(peering.id)).toBe(1);
    expect([...counts.values()].every((count) => count === 1)).toBe(true);
    expect(active.items.map((item) => item.id)).toEqual([stable[0]?.id]);
    expect(badStatus.status).toBe(400);
  });
});

describe('the gateway view and GET /v1/gateways/{id}/peers', () => {
  it('a gateway with 150 road-warriors: the view holds the first 100 and peersNextToken; the peers route pages to all 150', async () => {
    // Prepare
    const owner = { sub: uniqueId('owner') };
    const [gateway] = await gatewaysOf(owner.sub, 1, {
      tunnelSubnet: '100.99.0.0/24',
      tunnelIp: '100.99.0.1',
    });
    const id = gateway?.id ?? '';
    const names = Array.from({ length: 150 }, (_, i) => `rw-${String(i).padStart(3, '0')}`);
    for (const name of names) await db.repository().addRoadWarrior(roadWarrior(id, name));

    // Act
    const view = await get(owner, `/v1/gateways/${encodeURIComponent(id)}`);
    const rest = await get(owner, `/v1/gateways/${encodeURIComponent(id)}/peers`, {
      nextToken: view.json.peersNextToken,
    });
    const walked = await walk(owner, `/v1/gateways/${encodeURIComponent(id)}/peers`, { limit: '40' });
    const someoneElse = await get({ sub: uniqueId('other') }, `/v1/gateways/${encodeURIComponent(id)}/peers`);

    // Assess
    expect(view.status).toBe(200);
    expect(view.json.peers).toHaveLength(100);
    expect(view.json.peersNextToken).toEqual(expect.any(String));
    expect(rest.json.items.map((peer: { name: string }) => peer.name)).toEqual(names.slice(100));
    expect(rest.json.nextToken).toBeUndefined();
    expect(walked.items.map((peer) => peer.name)).toEqual(names);
    expect(walked.pages).toBe(4);
    expect(someoneElse.status).toBe(404);
  });
});

describe('GET /v1/gateways/{id}/peering-candidates', () => {
  it('pages through the owner’s other gateways with their eligibility', async () => {
    // Prepare: a hub peered with one spoke; another spoke overlaps that spoke's VPC.
    const owner = { sub: uniqueId('owner') };
    const hub = gatewayRecord({ ownerId: owner.sub, id: uniqueId('a-hub'), vpcCidr: '10.200.0.0/16' });
    const peered = gatewayRecord({ ownerId: owner.sub, id: uniqueId('b-peered'), vpcCidr: '10.201.0.0/16' });
    const overlapping = gatewayRecord({
      ownerId: owner.sub,
      id: uniqueId('c-overlap'),
      vpcCidr: '10.201.0.0/16',
    });
    for (const gateway of [hub, peered, overlapping]) await db.repository().createGateway(gateway);
    const free = await gatewaysOf(owner.sub, 4);
    await db.repository().createPeering(newPeering(hub, peered));

    // Act
    const walked = await walk(owner, `/v1/gateways/${encodeURIComponent(hub.id)}/peering-candidates`, {
      limit: '2',
    });

    // Assess
    const byId = new Map(
      walked.items.map((item) => [item.gateway?.id, item as { eligible: boolean; reason: string | null }]),
    );
    expect(byId.has(hub.id)).toBe(false);
    expect(byId.get(peered.id)).toMatchObject({
      eligible: false,
      reason: 'A peering already exists between these gateways',
    });
    expect(byId.get(overlapping.id)?.eligible).toBe(false);
    for (const gateway of free) expect(byId.get(gateway.id)).toMatchObject({ eligible: true, reason: null });
    expect(walked.items).toHaveLength(6);
  });
});
