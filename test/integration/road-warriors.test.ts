/**
 * Road-warrior peers: keys, distinct addresses, config downloads with peered VPCs, injection refused.
 * A removal answers 204 only once applied, and peered VPCs need an ACTIVE peering: those tests run
 * where the target's gateways apply pushes (whenPushesApply); elsewhere unapplied-pushes.test.ts
 * asserts what a removal answers then.
 */
import { publicKeyFromPrivateKey } from '../../lambdas/core/keys';
import {
  assertNoSecretLeaked,
  eventually,
  peer,
  peeringGone,
  peersOf,
  useTarget,
  whenPushesApply,
} from '../support/integration';

const CLIENT_PUBLIC_KEY = 'HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=';

const { target, client, newGateway } = useTarget();

const addPeer = (gatewayId: string, body: unknown, token = target.tokens.alice) =>
  client.call('POST', `/v1/gateways/${gatewayId}/peers`, { token, body });

const configOf = (gatewayId: string, name: string, token = target.tokens.alice) =>
  client.call('GET', `/v1/gateways/${gatewayId}/peers/${name}/config`, { token });

function configValue(config: string, key: string): string | undefined {
  return new RegExp(`^${key} = (.*)$`, 'm').exec(config)?.[1];
}

test('a generated key pair: 201 without the private key; the config download holds the matching one', async () => {
  const gateway = await newGateway('alice');

  const created = await addPeer(gateway.id, { name: 'laptop' });
  const config = await configOf(gateway.id, 'laptop');

  expect(created.status).toBe(201);
  expect(created.json).toEqual({
    name: 'laptop',
    type: 'road-warrior',
    publicKey: expect.any(String),
    tunnelIp: expect.stringMatching(/^100\.64\.\d+\.\d+$/),
    allowedIps: [`${created.json.tunnelIp}/32`],
    endpoint: null,
    configDownloadedAt: null,
    configOutdated: false,
  });
  expect(config.status).toBe(200);
  expect(config.headers.get('content-type')).toContain('text/plain');
  const privateKey = configValue(config.text, 'PrivateKey') ?? '';
  expect(publicKeyFromPrivateKey(privateKey)).toBe(created.json.publicKey);
  expect(configValue(config.text, 'Address')).toBe(`${created.json.tunnelIp}/32`);
  expect(configValue(config.text, 'PublicKey')).toBe(gateway.publicKey);
  expect(configValue(config.text, 'Endpoint')).toBe(`${gateway.publicIp}:51820`);
  expect(configValue(config.text, 'AllowedIPs')).toBe(`${gateway.vpcCidr}, ${gateway.tunnelSubnet}`);
});

test("a client's own public key: its config carries no private key", async () => {
  const gateway = await newGateway('alice');

  const created = await addPeer(gateway.id, { name: 'phone', publicKey: CLIENT_PUBLIC_KEY });
  const config = await configOf(gateway.id, 'phone');

  expect(created.status).toBe(201);
  expect(created.json.publicKey).toBe(CLIENT_PUBLIC_KEY);
  expect(configValue(config.text, 'PrivateKey')).toBeUndefined();
});

test('a taken name is 409 PEER_EXISTS', async () => {
  const gateway = await newGateway('alice');
  await addPeer(gateway.id, { name: 'desk' });

  const reply = await addPeer(gateway.id, { name: 'desk', publicKey: CLIENT_PUBLIC_KEY });

  expect(reply.status).toBe(409);
  expect(reply.json.error.code).toBe('PEER_EXISTS');
});

test('parallel road-warriors get distinct tunnel addresses', async () => {
  const gateway = await newGateway('alice');
  const names = Array.from({ length: 12 }, (_, i) => `client-${i}`);

  const replies = await Promise.all(names.map((name) => addPeer(gateway.id, { name })));

  expect(replies.map((reply) => reply.status)).toEqual(names.map(() => 201));
  const addresses = replies.map((reply) => reply.json.tunnelIp);
  expect(new Set(addresses).size).toBe(names.length);
  expect(addresses).not.toContain(gateway.tunnelIp);
});

test.each([
  ['a name with a newline and a [Peer] section', { name: 'a\n[Peer]' }],
  ['an uppercase name', { name: 'Laptop' }],
  ['a name reserved for peerings', { name: 'vpc-peering-pcx-1' }],
  ['a name too long', { name: 'a'.repeat(64) }],
  [
    'a key with an injected section',
    { name: 'inj', publicKey: `${CLIENT_PUBLIC_KEY}\n[Peer]\nAllowedIPs = 0.0.0.0/0` },
  ],
  ['a key of the wrong length', { name: 'inj', publicKey: 'AAAA' }],
  ['a wrong type', { name: 42 }],
  ['an unknown field', { name: 'inj', allowedIps: ['0.0.0.0/0'] }],
])('%s is 400 and nothing is stored', async (_what, body) => {
  const gateway = await newGateway('alice');

  const reply = await addPeer(gateway.id, body);

  expect(reply.status).toBe(400);
  expect(reply.json.error.code).toBe('VALIDATION_ERROR');
  expect(await peersOf(client, target.tokens.alice, gateway.id)).toEqual([]);
});

test('another user gets 404 on every peer route of a gateway not theirs', async () => {
  const gateway = await newGateway('alice');
  await addPeer(gateway.id, { name: 'mine' });

  const add = await addPeer(gateway.id, { name: 'theirs' }, target.tokens.bob);
  const config = await configOf(gateway.id, 'mine', target.tokens.bob);
  const remove = await client.call('DELETE', `/v1/gateways/${gateway.id}/peers/mine`, {
    token: target.tokens.bob,
  });

  expect([add.status, config.status, remove.status]).toEqual([404, 404, 404]);
  expect((await peersOf(client, target.tokens.alice, gateway.id)).map((p) => p.name)).toEqual(['mine']);
});

whenPushesApply('deleting a road-warrior: 204, gone from the list, its config 404', async () => {
  const gateway = await newGateway('alice');
  await addPeer(gateway.id, { name: 'old-laptop' });

  const reply = await client.call('DELETE', `/v1/gateways/${gateway.id}/peers/old-laptop`, {
    token: target.tokens.alice,
  });

  expect(reply.status).toBe(204);
  expect(await peersOf(client, target.tokens.alice, gateway.id)).toEqual([]);
  expect((await configOf(gateway.id, 'old-laptop')).status).toBe(404);
  const again = await client.call('DELETE', `/v1/gateways/${gateway.id}/peers/old-laptop`, {
    token: target.tokens.alice,
  });
  expect(again.status).toBe(404);
});

/** The gateway's status once its instance reports having applied `generation`. */
const appliedStatus = (gatewayId: string, generation: number) =>
  eventually(`gateway ${gatewayId} applying generation ${generation}`, async () => {
    const reply = await client.call('GET', `/v1/gateways/${gatewayId}/status`, {
      token: target.tokens.alice,
    });
    return reply.json.appliedGeneration >= generation ? reply.json : undefined;
  });

whenPushesApply('an added and then deleted road-warrior reaches the gateway both times', async () => {
  const gateway = await newGateway('alice');

  const added = await addPeer(gateway.id, { name: 'tablet', publicKey: CLIENT_PUBLIC_KEY });
  const afterAdd = await appliedStatus(gateway.id, 1);
  const removed = await client.call('DELETE', `/v1/gateways/${gateway.id}/peers/tablet`, {
    token: target.tokens.alice,
  });
  const afterDelete = await appliedStatus(gateway.id, 2);

  expect([added.status, removed.status]).toEqual([201, 204]);
  expect(afterAdd.peers.map((p: { publicKey: string }) => p.publicKey)).toEqual([CLIENT_PUBLIC_KEY]);
  expect(afterDelete.peers).toEqual([]);
});

whenPushesApply("the config's AllowedIPs follow the gateway's ACTIVE peerings", async () => {
  const gateway = await newGateway('alice');
  const remote = await newGateway('alice');
  await addPeer(gateway.id, { name: 'roamer' });
  const peering = await peer(client, target.tokens.alice, gateway.id, remote.id);

  const whilePeered = configValue((await configOf(gateway.id, 'roamer')).text, 'AllowedIPs');
  const removal = await client.call('DELETE', `/v1/vpc-peerings/${peering.id}`, {
    token: target.tokens.alice,
  });
  await peeringGone(client, target.tokens.alice, peering.id);
  const afterDeletion = configValue((await configOf(gateway.id, 'roamer')).text, 'AllowedIPs');

  expect(peering.status).toBe('ACTIVE');
  expect(whilePeered).toBe(`${gateway.vpcCidr}, ${gateway.tunnelSubnet}, ${remote.vpcCidr}`);
  expect([202, 204]).toContain(removal.status);
  expect(afterDeletion).toBe(`${gateway.vpcCidr}, ${gateway.tunnelSubnet}`);
});

/** A "VPN Gateway Updated" event carrying `gateway`, as the provisioning system sends it. */
const gatewayUpdated = (gateway: Record<string, unknown>) =>
  target.putEvents([
    { Source: 'vpn.gateways', DetailType: 'VPN Gateway Updated', Detail: JSON.stringify(gateway) },
  ]);

/** The road-warrior `name` as the gateway's peer list (GET /v1/gateways/{id}/peers) shows it. */
async function listedPeer(gatewayId: string, name: string) {
  const reply = await client.call('GET', `/v1/gateways/${gatewayId}/peers`, { token: target.tokens.alice });
  return reply.json.items.find((peer: { name: string }) => peer.name === name);
}

/** The road-warrior `name` once its view says configOutdated (the change is marked asynchronously). */
const flaggedOutdated = (gatewayId: string, name: string) =>
  eventually(`the ${name} config outdated`, async () => {
    const listed = (await peersOf(client, target.tokens.alice, gatewayId)).find((p) => p.name === name);
    return listed?.configOutdated === true ? listed : undefined;
  });

test('a config downloaded before the gateway moved is outdated until downloaded again; a rename changes nothing', async () => {
  // Prepare: a laptop that downloaded its config, a phone that never did.
  const gateway = await newGateway('alice');
  await addPeer(gateway.id, { name: 'laptop' });
  await addPeer(gateway.id, { name: 'phone' });
  const before = await configOf(gateway.id, 'laptop');
  const downloaded = await listedPeer(gateway.id, 'laptop');
  const moved = { ...gateway, publicIp: '198.51.100.251' };

  // Act: the endpoint moves; the laptop downloads again; then a rename.
  await gatewayUpdated(moved);
  const outdated = await flaggedOutdated(gateway.id, 'laptop');
  const phone = await listedPeer(gateway.id, 'phone');
  const after = await configOf(gateway.id, 'laptop');
  const refreshed = await listedPeer(gateway.id, 'laptop');
  await gatewayUpdated({ ...moved, name: 'renamed' });
  await eventually('the rename', async () => {
    const reply = await client.call('GET', `/v1/gateways/${gateway.id}`, { token: target.tokens.alice });
    return reply.json.name === 'renamed' ? true : undefined;
  });
  const renamed = await listedPeer(gateway.id, 'laptop');

  // Assess
  expect(configValue(before.text, 'Endpoint')).toBe(`${gateway.publicIp}:51820`);
  expect(downloaded).toMatchObject({ configDownloadedAt: expect.any(String), configOutdated: false });
  expect(outdated.configDownloadedAt).toBe(downloaded.configDownloadedAt);
  expect(phone).toMatchObject({ configDownloadedAt: null, configOutdated: false });
  expect(configValue(after.text, 'Endpoint')).toBe('198.51.100.251:51820');
  expect(refreshed.configOutdated).toBe(false);
  expect(Date.parse(refreshed.configDownloadedAt)).toBeGreaterThanOrEqual(
    Date.parse(downloaded.configDownloadedAt),
  );
  expect(renamed).toEqual(refreshed);
});

whenPushesApply(
  'a config downloaded before a peering is made or deleted is outdated until downloaded again',
  async () => {
    // Prepare: a roamer that downloaded its config before the gateway had any peering.
    const gateway = await newGateway('alice');
    const remote = await newGateway('alice');
    await addPeer(gateway.id, { name: 'roamer' });
    const unpeered = await configOf(gateway.id, 'roamer');
    const downloaded = await listedPeer(gateway.id, 'roamer');

    // Act: a peering made, the config downloaded again, then the peering deleted.
    const peering = await peer(client, target.tokens.alice, gateway.id, remote.id);
    const afterPeering = await flaggedOutdated(gateway.id, 'roamer');
    const peered = await configOf(gateway.id, 'roamer');
    const refreshed = await listedPeer(gateway.id, 'roamer');
    await client.call('DELETE', `/v1/vpc-peerings/${peering.id}`, { token: target.tokens.alice });
    await peeringGone(client, target.tokens.alice, peering.id);
    const afterDeletion = await listedPeer(gateway.id, 'roamer');

    // Assess
    expect(configValue(unpeered.text, 'AllowedIPs')).not.toContain(remote.vpcCidr);
    expect(downloaded.configOutdated).toBe(false);
    expect(peering.status).toBe('ACTIVE');
    expect(afterPeering.configDownloadedAt).toBe(downloaded.configDownloadedAt);
    expect(configValue(peered.text, 'AllowedIPs')).toContain(remote.vpcCidr);
    expect(refreshed.configOutdated).toBe(false);
    expect(afterDeletion.configOutdated).toBe(true);
  },
);

test('no secret appears in any JSON response of this file', async () => {
  await assertNoSecretLeaked(client, target);
});
