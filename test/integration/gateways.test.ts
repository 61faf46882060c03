/** Gateway registry routes, health, routing errors and bad input (docs/CONTRACT.md#routes and #invariants 7). */
import {
  assertNoSecretLeaked,
  gatewayBody,
  listAll,
  RUN,
  registerGateway,
  useTarget,
} from '../support/integration';

const KEY_SHAPE = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;
const SOME_PUBLIC_KEY = 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=';

const { target, client, newGateway } = useTarget();

async function gatewayIdsSeenBy(token: string): Promise<string[]> {
  return (await listAll(client, token, '/v1/gateways')).map((gateway: { id: string }) => gateway.id);
}

describe('health and routing', () => {
  test('GET /health answers 200 without a token', async () => {
    const reply = await client.call('GET', '/health');

    expect(reply.status).toBe(200);
    expect(reply.json.status).toBe('ok');
  });

  test('an unknown route is 404 NOT_FOUND in the error envelope', async () => {
    const reply = await client.call('GET', '/v1/nothing-here', { token: target.tokens.alice });

    expect(reply.status).toBe(404);
    expect(reply.json.error.code).toBe('NOT_FOUND');
  });

  test('a known route with another method is 405 with Allow', async () => {
    const reply = await client.call('PUT', '/v1/gateways', { token: target.tokens.admin, body: {} });

    expect(reply.status).toBe(405);
    expect(reply.json.error.code).toBe('METHOD_NOT_ALLOWED');
    expect(reply.headers.get('allow')).toContain('GET');
  });
});

describe('POST /v1/gateways', () => {
  test('an admin registers a gateway: 201 with the public Gateway and defaults applied', async () => {
    const body = gatewayBody(target.users.alice, { name: undefined, location: undefined });

    const reply = await client.call('POST', '/v1/gateways', { token: target.tokens.admin, body });

    expect(reply.status).toBe(201);
    expect(reply.json).toEqual({
      id: body.id,
      name: body.id,
      ownerId: target.users.alice,
      vpcId: body.vpcId,
      vpcCidr: body.vpcCidr,
      location: '',
      tunnelSubnet: body.tunnelSubnet,
      tunnelIp: String(body.tunnelSubnet).replace('.0/24', '.1'),
      publicIp: body.publicIp,
      listenPort: 51820,
      publicKey: expect.stringMatching(KEY_SHAPE),
      instanceId: body.instanceId,
      status: 'ACTIVE',
    });
  });

  test('without an id one is generated; a given publicKey is kept', async () => {
    const { id: _id, ...body } = gatewayBody(target.users.alice, {
      publicKey: SOME_PUBLIC_KEY,
      listenPort: 51000,
    });

    const reply = await client.call('POST', '/v1/gateways', { token: target.tokens.admin, body });

    expect(reply.status).toBe(201);
    expect(reply.json.id).toMatch(/^gw-[0-9a-f]{16}$/);
    expect(reply.json.publicKey).toBe(SOME_PUBLIC_KEY);
    expect(reply.json.listenPort).toBe(51000);
  });

  test('a taken id is 409 GATEWAY_EXISTS', async () => {
    const body = gatewayBody(target.users.alice);
    await registerGateway(client, target.tokens.admin, body);

    const reply = await client.call('POST', '/v1/gateways', { token: target.tokens.admin, body });

    expect(reply.status).toBe(409);
    expect(reply.json.error).toEqual({
      code: 'GATEWAY_EXISTS',
      message: 'A gateway with this id already exists',
    });
  });

  test('a user is refused with 403 FORBIDDEN and nothing is stored', async () => {
    const body = gatewayBody(target.users.alice);

    const reply = await client.call('POST', '/v1/gateways', { token: target.tokens.alice, body });

    expect(reply.status).toBe(403);
    expect(reply.json.error.code).toBe('FORBIDDEN');
    expect(await gatewayIdsSeenBy(target.tokens.admin)).not.toContain(body.id);
  });

  test('the same Idempotency-Key and body returns the first result; another body is 409', async () => {
    const { id: _id, ...body } = gatewayBody(target.users.alice);
    const headers = { 'Idempotency-Key': `register-${RUN}` };

    const first = await client.call('POST', '/v1/gateways', { token: target.tokens.admin, body, headers });
    const repeat = await client.call('POST', '/v1/gateways', { token: target.tokens.admin, body, headers });
    const reused = await client.call('POST', '/v1/gateways', {
      token: target.tokens.admin,
      body: { ...body, name: 'another' },
      headers,
    });

    expect(first.status).toBe(201);
    expect(repeat.status).toBe(201);
    expect(repeat.json).toEqual(first.json);
    expect(reused.status).toBe(409);
    expect(reused.json.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    const ids = await gatewayIdsSeenBy(target.tokens.admin);
    expect(ids.filter((id) => id === first.json.id)).toHaveLength(1);
  });

  const badBodies: [string, () => string][] = [
    ['malformed JSON', () => '{"id": "gw-x",'],
    ['an array', () => '[]'],
    ['an empty body', () => ''],
    ['a wrong type', () => JSON.stringify(gatewayBody('alice', { listenPort: '51820' }))],
    ['an unknown field', () => JSON.stringify(gatewayBody('alice', { isAdmin: true }))],
    ['an invalid CIDR', () => JSON.stringify(gatewayBody('alice', { vpcCidr: '10.0.0.0/33' }))],
    ['host bits in a CIDR', () => JSON.stringify(gatewayBody('alice', { vpcCidr: '10.0.0.1/16' }))],
    [
      'a tunnel subnet inside the VPC',
      () => JSON.stringify(gatewayBody('alice', { tunnelSubnet: '10.250.0.0/24', vpcCidr: '10.250.0.0/16' })),
    ],
    ['a malformed public key', () => JSON.stringify(gatewayBody('alice', { publicKey: 'not-a-key' }))],
    [
      'a key carrying a config section',
      () => JSON.stringify(gatewayBody('alice', { publicKey: `${SOME_PUBLIC_KEY}\n[Peer]` })),
    ],
    [
      'a name carrying a config section',
      () => JSON.stringify(gatewayBody('alice', { name: 'a\n[Peer]\nAllowedIPs = 0.0.0.0/0' })),
    ],
    ['an id with a key separator', () => JSON.stringify(gatewayBody('alice', { id: 'gw#1' }))],
    ['a body over 16 KiB', () => JSON.stringify(gatewayBody('alice', { location: 'x'.repeat(20_000) }))],
  ];

  test.each(badBodies)('%s is 400 VALIDATION_ERROR and stores nothing', async (_what, body) => {
    const before = await gatewayIdsSeenBy(target.tokens.admin);

    const reply = await client.call('POST', '/v1/gateways', { token: target.tokens.admin, rawBody: body() });

    expect(reply.status).toBe(400);
    expect(reply.json.error.code).toBe('VALIDATION_ERROR');
    expect(reply.json.error.message.length).toBeGreaterThan(0);
    expect(await gatewayIdsSeenBy(target.tokens.admin)).toEqual(before);
  });

  test("a body over the front's 1 MiB cap is refused", async () => {
    const reply = await client.call('POST', '/v1/gateways', {
      token: target.tokens.admin,
      rawBody: JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024) }),
    });

    expect([400, 413]).toContain(reply.status);
  });
});

describe('reading gateways', () => {
  let alices: { id: string };
  let bobs: { id: string };

  beforeAll(async () => {
    alices = await newGateway('alice');
    bobs = await newGateway('bob');
  });

  test("GET /v1/gateways lists only the caller's gateways; an admin sees all", async () => {
    const seenByAlice = await gatewayIdsSeenBy(target.tokens.alice);
    const seenByBob = await gatewayIdsSeenBy(target.tokens.bob);
    const seenByAdmin = await gatewayIdsSeenBy(target.tokens.admin);

    expect(seenByAlice).toContain(alices.id);
    expect(seenByAlice).not.toContain(bobs.id);
    expect(seenByBob).toContain(bobs.id);
    expect(seenByBob).not.toContain(alices.id);
    expect(seenByAdmin).toEqual(expect.arrayContaining([alices.id, bobs.id]));
  });

  test('GET /v1/gateways/{id}: the owner and an admin get it with its peers, another user 404', async () => {
    const owner = await client.call('GET', `/v1/gateways/${alices.id}`, { token: target.tokens.alice });
    const admin = await client.call('GET', `/v1/gateways/${alices.id}`, { token: target.tokens.admin });
    const other = await client.call('GET', `/v1/gateways/${alices.id}`, { token: target.tokens.bob });

    expect(owner.status).toBe(200);
    expect(owner.json).toMatchObject({ id: alices.id, peers: [] });
    expect(admin.status).toBe(200);
    expect(other.status).toBe(404);
    expect(other.json.error.code).toBe('NOT_FOUND');
  });

  test('an absent gateway is 404', async () => {
    const reply = await client.call('GET', `/v1/gateways/gw-${RUN}-absent`, { token: target.tokens.admin });

    expect(reply.status).toBe(404);
  });

  test('GET status before any report: generation 0 and no peers', async () => {
    const fresh = await newGateway('alice');

    const reply = await client.call('GET', `/v1/gateways/${fresh.id}/status`, { token: target.tokens.alice });

    expect(reply.status).toBe(200);
    expect(reply.json).toMatchObject({ appliedGeneration: 0, desiredGeneration: 0, peers: [] });
  });
});

describe('GET /v1/gateways/{id}/peering-candidates', () => {
  test("lists the owner's other ACTIVE gateways in other VPCs with the reason a create would give", async () => {
    const local = await newGateway('alice');
    const eligible = await newGateway('alice');
    const overlapping = await newGateway('alice', { vpcCidr: local.vpcCidr });
    const sameVpc = await newGateway('alice', { vpcId: local.vpcId });
    const pending = await newGateway('alice', { status: 'PENDING' });
    const bobs = await newGateway('bob');

    const items = await listAll(client, target.tokens.alice, `/v1/gateways/${local.id}/peering-candidates`);

    const byId = new Map(items.map((item: { gateway: { id: string } }) => [item.gateway.id, item]));
    expect(byId.get(eligible.id)).toMatchObject({ eligible: true, reason: null });
    expect(byId.get(overlapping.id)).toMatchObject({
      eligible: false,
      reason: 'The VPC CIDRs of the two gateways overlap',
    });
    for (const excluded of [local, sameVpc, pending, bobs]) expect(byId.has(excluded.id)).toBe(false);
  });

  test('another user gets 404', async () => {
    const local = await newGateway('alice');

    const reply = await client.call('GET', `/v1/gateways/${local.id}/peering-candidates`, {
      token: target.tokens.bob,
    });

    expect(reply.status).toBe(404);
  });
});

describe('DELETE /v1/gateways/{id}', () => {
  test('another user gets 404 and the gateway stays; the owner deletes it', async () => {
    const gateway = await newGateway('alice');

    const byBob = await client.call('DELETE', `/v1/gateways/${gateway.id}`, { token: target.tokens.bob });
    const stillThere = await client.call('GET', `/v1/gateways/${gateway.id}`, { token: target.tokens.alice });
    const byOwner = await client.call('DELETE', `/v1/gateways/${gateway.id}`, { token: target.tokens.alice });
    const gone = await client.call('GET', `/v1/gateways/${gateway.id}`, { token: target.tokens.alice });

    expect(byBob.status).toBe(404);
    expect(stillThere.status).toBe(200);
    expect([202, 204]).toContain(byOwner.status);
    expect(gone.status).toBe(404);
  });
});

test('no secret appears in any JSON response of this file', async () => {
  await assertNoSecretLeaked(client, target);
});
