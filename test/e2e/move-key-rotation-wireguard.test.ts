/**
 * A move on real WireGuard (docs/DECISIONS.md, "A move rotates the moved gateway's preshared keys",
 * "A rotated preshared key's name is never given twice"; docs/SECURITY.md, "A move rotates the
 * peerings' preshared keys, not the gateway's own key"): gateway A, peered with B, moves to another
 * instance through "VPN Gateway Updated" on the local bus. The tunnel comes back on the new
 * instance under a new preshared key, the old instance's host is torn down, and what that instance
 * held (A's private key and the old preshared key) no longer completes a handshake with B from
 * anywhere, while the same setup with the new key does. No secret value reaches the output: values
 * are only compared. Needs what test/support/wireguard-runtime.ts names.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { repository } from '../../lambdas/adapters/dynamodb';
import { secretPath } from '../../lambdas/adapters/local/file-secret-store';
import { toPublicGateway } from '../../lambdas/core/views';
import { GATEWAY_UPDATED } from '../../lambdas/shared/event-patterns';
import { ExtraHosts } from '../support/topology';
import { eventually, useWireguardRuntime } from '../support/wireguard-runtime';

const suite = useWireguardRuntime('move-rotation', { storage: 'memory' });
let extra: ExtraHosts;

afterAll(() => extra?.teardown());

const OLD_INSTANCE = 'i-gwa';
const NEW_INSTANCE = 'i-gwa-moved';
/** Where the old instance's keys are tried from: a host of its own on the internet bridge. */
const STALE_ADDRESS = '203.0.113.81';
/** How long a handshake that can complete takes at most: an initiation, then its retry 5 s later. */
const HANDSHAKE_BOUND_MS = 8000;

/** A secret as instance `instanceId` holds its delivered copy (DATA_DIR/instance-secrets). */
const instanceCopy = (instanceId: string, name: string) =>
  readFileSync(secretPath(join(suite.dataDir(), 'instance-secrets', instanceId), name), 'utf8');
/** A secret as the control plane's store holds it (DATA_DIR/secrets). */
const storedSecret = (name: string) =>
  readFileSync(secretPath(join(suite.dataDir(), 'secrets'), name), 'utf8');

/** The preshared-key names both entries of the peering hold (the store's view; names only). */
async function presharedKeyNames(peeringId: string): Promise<(string | null | undefined)[]> {
  const peerName = `vpc-peering-${peeringId}`;
  const entries = await Promise.all(['gwa', 'gwb'].map((id) => repository().getPeer(id, peerName)));
  return entries.map((entry) => entry?.presharedKeyParam);
}

/** The preshared key B's live interface holds for `publicKey` (compared, never printed). */
async function livePresharedKeyOfB(publicKey: string): Promise<string | undefined> {
  const { stdout } = await suite.inNamespace(suite.hostOf('gwb').gatewayNamespace, [
    'wg',
    'show',
    'wg0',
    'preshared-keys',
  ]);
  const line = stdout.split('\n').find((l) => l.startsWith(`${publicKey}\t`));
  return line?.split('\t')[1];
}

/** Whether B's endpoint for A starts with `prefix` within 2 s (endpoints are public). */
async function endpointOfAAtB(prefix: string): Promise<boolean> {
  const publicKeyA = (await repository().getGateway('gwa'))?.publicKey ?? '';
  for (const started = Date.now(); Date.now() - started < 2000; await sleep(100)) {
    const { stdout } = await suite.inNamespace(suite.hostOf('gwb').gatewayNamespace, [
      'wg',
      'show',
      'wg0',
      'endpoints',
    ]);
    if (stdout.split('\n').some((line) => line.startsWith(`${publicKeyA}\t${prefix}`))) return true;
  }
  return false;
}

/** What an instance of A holds, replayed from a namespace of its own on the internet bridge. */
interface Impostor {
  namespace: string;
  wg: (argv: string[]) => string;
  /** B's public key, its only peer. */
  peer: string;
}

/**
 * Starts wireguard-go in a fresh namespace at `address` with A's private key and `presharedKey`,
 * B as its only peer at B's endpoint; a keepalive every second starts the handshake at once.
 */
async function impostorOfA(
  name: string,
  address: string,
  keys: { privateKey: string; presharedKey: string },
): Promise<Impostor> {
  const b = (await suite.api('GET', '/v1/gateways/gwb')).json();
  const config = [
    '[Interface]',
    `PrivateKey = ${keys.privateKey.trim()}`,
    'Address = 100.64.0.250/32',
    '[Peer]',
    `PublicKey = ${b.publicKey}`,
    `PresharedKey = ${keys.presharedKey.trim()}`,
    `Endpoint = ${b.publicIp}:${b.listenPort}`,
    `AllowedIPs = ${b.vpcCidr}`,
    'PersistentKeepalive = 1',
    '',
  ].join('\n');
  const namespace = await extra.addInternetHost(name, address);
  const wg = await extra.startClient(namespace, config);
  return { namespace, wg, peer: b.publicKey };
}

/** Whether the impostor completes a handshake with B within HANDSHAKE_BOUND_MS. */
async function handshakesWithB(impostor: Impostor): Promise<boolean> {
  for (const started = Date.now(); Date.now() - started < HANDSHAKE_BOUND_MS; await sleep(250)) {
    if (extra.latestHandshake(impostor.namespace) > 0) return true;
  }
  return extra.latestHandshake(impostor.namespace) > 0;
}

describe('a gateway moved to another instance on real WireGuard', () => {
  let peeringId: string;
  /** What the old instance held before the move (read from its delivered copies). */
  let held: { privateKey: string; presharedKey: string; presharedKeyName: string };
  let presharedKeyAfter: string | undefined;

  it('peers A and B through the API: ACTIVE, and A reaches B', async () => {
    // Prepare
    await suite.registerGateway('gwa', '10.30.0.0/16', '100.64.8.0/24', '203.0.113.31');
    await suite.registerGateway('gwb', '172.30.0.0/16', '100.64.9.0/24', '203.0.113.32');
    extra = new ExtraHosts(suite.runtime().hosts);

    // Act
    const created = await suite.api('POST', '/v1/gateways/gwa/vpc-peerings', { remoteGatewayId: 'gwb' });

    // Assess
    expect(created.status).toBe(201);
    expect(created.json().status).toBe('ACTIVE');
    peeringId = created.json().id;
    await eventually(
      () => suite.ping(suite.hostOf('gwa').instanceNamespace, suite.hostOf('gwb').instanceIp),
      'instance A to reach instance B',
    );
    const [nameA, nameB] = await presharedKeyNames(peeringId);
    expect(nameA).toBe(nameB);
    const gatewayA = await repository().getGateway('gwa');
    held = {
      privateKey: instanceCopy(OLD_INSTANCE, gatewayA?.privateKeyParam ?? ''),
      presharedKey: instanceCopy(OLD_INSTANCE, nameA ?? ''),
      presharedKeyName: nameA ?? '',
    };
  });

  it('moves A to another instance: the tunnel comes back there under a new preshared key', async () => {
    // Prepare
    const teardowns = jest.spyOn(suite.runtime().commands, 'teardown');
    const record = await repository().getGateway('gwa');
    if (!record) throw new Error('gateway gwa is not registered');
    // The Gateway the product sends, as the registry holds it, on another instance.
    const gatewayA = toPublicGateway(record);
    const { publicKey } = gatewayA;

    // Act: the gateway product's "VPN Gateway Updated" naming another instance, on the local bus.
    const event = await suite.api(
      'POST',
      '/local/events',
      {
        Entries: [
          {
            Source: 'vpn.gateways',
            DetailType: GATEWAY_UPDATED,
            Detail: JSON.stringify({ ...gatewayA, instanceId: NEW_INSTANCE }),
          },
        ],
      },
      await suite.adminToken(),
    );

    // Assess: the event was taken, the tunnel is back on the new instance within the bound.
    expect(event.status).toBe(200);
    expect(event.json().Entries).toEqual([{ EventId: expect.any(String) }]);
    await eventually(
      () => suite.ping(suite.hostOf('gwa', NEW_INSTANCE).instanceNamespace, suite.hostOf('gwb').instanceIp),
      'instance A, moved, to reach instance B',
      15_000,
    );
    await suite.runtime().settled();
    // Both entries name one new key, which the store holds and B's live interface applied.
    const [nameA, nameB] = await presharedKeyNames(peeringId);
    expect(nameA).toBe(nameB);
    expect(nameA).toMatch(new RegExp(`/peerings/${peeringId}/psk-[0-9a-f]{16}$`));
    expect(nameA).not.toBe(held.presharedKeyName);
    const after = storedSecret(nameA ?? '');
    expect(after === held.presharedKey).toBe(false);
    expect((await livePresharedKeyOfB(publicKey)) === after.trim()).toBe(true);
    expect((await suite.wgPeers('gwb')).map((p) => p.publicKey)).toEqual([publicKey]);
    // The old instance: torn down clean by its teardown, its host destroyed, its copies withdrawn.
    expect(teardowns.mock.calls.map(([command]) => command.instanceId)).toContain(OLD_INSTANCE);
    expect(teardowns.mock.calls.every(([command]) => command.instanceId === OLD_INSTANCE)).toBe(true);
    const outputs = await Promise.all(
      teardowns.mock.results.map(async (result) => {
        const invocation = await suite.runtime().commands.get((await result.value) ?? '', OLD_INSTANCE);
        expect(invocation.status).toBe('Success');
        return invocation.output.trim().split('\n').pop() ?? '';
      }),
    );
    teardowns.mockRestore();
    expect(outputs.filter(Boolean).map((line) => JSON.parse(line))).toEqual([
      expect.objectContaining({ gatewayId: 'gwa', path: 'teardown', tornDown: true, peers: [] }),
    ]);
    expect(suite.runtime().hosts.hostInfo(OLD_INSTANCE)).toBeUndefined();
    expect(
      suite
        .runtime()
        .hosts.index()
        .map((host) => [host.gatewayId, host.instanceId]),
    ).toEqual(
      expect.arrayContaining([
        ['gwa', NEW_INSTANCE],
        ['gwb', 'i-gwb'],
      ]),
    );
    expect(suite.runtime().hosts.index()).toHaveLength(2);
    expect(() => instanceCopy(OLD_INSTANCE, held.presharedKeyName)).toThrow(/ENOENT/);
    presharedKeyAfter = after;
  });

  it('refuses what the old instance held: no handshake with B with the old preshared key', async () => {
    // Act: A's private key and the old preshared key, from a host that reaches B's endpoint.
    const stale = await impostorOfA('stale', STALE_ADDRESS, held);
    const diverted = await endpointOfAAtB(`${STALE_ADDRESS}:`);
    const completed = await handshakesWithB(stale);
    // Its initiations stop before the control case below.
    stale.wg(['wg', 'set', 'wg0', 'peer', stale.peer, 'remove']);

    // Assess: no handshake. Its initiation still moved B's endpoint for A (WireGuard authenticates
    // an initiation by the static keys alone; the preshared key enters with the response): what it
    // diverts it cannot read (docs/SECURITY.md, "A move rotates the peerings' preshared keys").
    expect(completed).toBe(false);
    expect(diverted).toBe(true);
  });

  it('completes a handshake with B from the same setup holding the new preshared key (the control case)', async () => {
    // Prepare
    if (presharedKeyAfter === undefined) throw new Error('the move test read no new preshared key');

    // Act
    const fresh = await impostorOfA('fresh', '203.0.113.82', {
      privateKey: held.privateKey,
      presharedKey: presharedKeyAfter,
    });

    // Assess
    expect(await handshakesWithB(fresh)).toBe(true);
  });

  it('leaves no namespace behind after teardown', () => {
    extra.teardown();
    expect(extra.leftovers()).toEqual([]);
  });
});
