/**
 * End to end on real WireGuard: the embedded runtime with wireguard-go gateways in network
 * namespaces, driven only through the HTTP API and the local event bus. Needs Linux, root,
 * wireguard-go, wireguard-tools, nftables and iproute2 (CI installs them); without them the suite
 * fails and names what is missing.
 */
import { join } from 'node:path';
import { ExtraHosts } from '../support/topology';
import { eventually, useWireguardRuntime } from '../support/wireguard-runtime';

const WHOAMI = join(__dirname, '../support/whoami.js');
const PORT = '7000';

const { runtime, api, adminToken, registerGateway, hostOf, inNamespace, wgPeers, ping } =
  useWireguardRuntime('e2e');
let extra: ExtraHosts;

afterAll(() => extra?.teardown());

async function startWhoami(namespace: string): Promise<void> {
  const child = runtime().hosts.spawn(namespace, ['node', WHOAMI, 'server', PORT]);
  await new Promise<void>((ready, fail) => {
    child.stdout?.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && ready());
    child.once('exit', () => fail(new Error(`whoami server in ${namespace} exited`)));
  });
}

describe('two VPCs peered through real WireGuard gateways', () => {
  let peeringId: string;

  it('creates the peering through the API: 201 ACTIVE with both sides applied', async () => {
    await registerGateway('gwa', '10.10.0.0/16', '100.64.0.0/24', '203.0.113.1');
    await registerGateway('gwb', '172.16.0.0/16', '100.64.1.0/24', '203.0.113.2');
    const created = await api('POST', '/v1/gateways/gwa/vpc-peerings', { remoteGatewayId: 'gwb' });
    expect(created.status).toBe(201);
    expect(created.json().status).toBe('ACTIVE');
    peeringId = created.json().id;
  });

  it('lets instance A reach instance B over TCP and UDP with its own source IP (no NAT)', async () => {
    const a = hostOf('gwa');
    const b = hostOf('gwb');
    await startWhoami(b.instanceNamespace);
    // The tunnel's first handshake: WireGuard re-sends a lost initiation only after 5 s, longer
    // than one ping waits, and a loaded CI machine can lose or delay one (a one-shot ping failed
    // here once while the infra suites bundled beside it).
    await eventually(() => ping(a.instanceNamespace, b.instanceIp), 'instance A to reach instance B');
    const tcp = await inNamespace(a.instanceNamespace, ['node', WHOAMI, 'tcp', b.instanceIp, PORT]);
    expect(tcp.stdout.trim()).toBe(`tcp ${a.instanceIp}`);
    const udp = await inNamespace(a.instanceNamespace, ['node', WHOAMI, 'udp', b.instanceIp, PORT]);
    expect(udp.stdout.trim()).toBe(`udp ${a.instanceIp}`);
  });

  it('masquerades internet egress to the gateway public IP', async () => {
    const a = hostOf('gwa');
    extra = new ExtraHosts(runtime().hosts);
    const external = await extra.addInternetHost('ext', '203.0.113.100');
    const server = extra.spawn(external, ['node', WHOAMI, 'server', PORT]);
    await new Promise<void>((ready) =>
      server.stdout?.on('data', (c: Buffer) => c.toString().includes('ready') && ready()),
    );
    const tcp = await inNamespace(a.instanceNamespace, ['node', WHOAMI, 'tcp', '203.0.113.100', PORT]);
    expect(tcp.stdout.trim()).toBe('tcp 203.0.113.1');
  });

  it('clamps TCP MSS on the tunnel in the live ruleset', async () => {
    const { stdout } = await inNamespace(hostOf('gwa').gatewayNamespace, [
      'nft',
      'list',
      'table',
      'inet',
      'vpc_peering',
    ]);
    expect(stdout).toMatch(/oifname "wg0".*maxseg size set rt mtu/);
    expect(stdout).toMatch(/masquerade/);
    expect(stdout).not.toMatch(/oifname "wg0"[^\n]*masquerade/);
  });

  it('reports the real interface in /status after a status period (handshake, bytes, no secret)', async () => {
    // The peering's push was a delta apply, which lists no peers; the periodic report does.
    await runtime().reportStatus();
    const status = await api('GET', '/v1/gateways/gwa/status');
    expect(status.status).toBe(200);
    const body = status.json();
    expect(body.mode).toBe('wireguard');
    expect(body.appliedGeneration).toBe(body.desiredGeneration);
    expect(body.peers).toHaveLength(1);
    expect(body.peers[0]).toMatchObject({ type: 'vpc-peering', online: true });
    expect(body.peers[0].name).toMatch(/^vpc-peering-pcx-/);
    expect(Date.parse(body.peers[0].latestHandshake)).toBeGreaterThan(Date.now() - 180_000);
    expect(body.peers[0].rxBytes).toBeGreaterThan(0);
    expect(body.stale).toBe(false);
    expect(status.text).not.toMatch(/private/i);
  });

  it('gives a road-warrior of A a config that reaches both VPCs, without resetting the peering session', async () => {
    const a = hostOf('gwa');
    const b = hostOf('gwb');
    const before = (await wgPeers('gwa')).find((p) => p.handshake > 0);
    expect(before).toBeDefined();
    const added = await api('POST', '/v1/gateways/gwa/peers', { name: 'laptop' });
    expect(added.status).toBe(201);
    const config = await api('GET', '/v1/gateways/gwa/peers/laptop/config');
    expect(config.text).toContain('AllowedIPs = 10.10.0.0/16, 100.64.0.0/24, 172.16.0.0/16');
    const laptop = await extra.addInternetHost('laptop', '203.0.113.50');
    await extra.startClient(laptop, config.text);
    await eventually(() => ping(laptop, a.instanceIp), 'laptop → instance A');
    await eventually(() => ping(laptop, b.instanceIp), 'laptop → instance B through the peering');
    const after = (await wgPeers('gwa')).find((p) => p.publicKey === before?.publicKey);
    expect(after?.handshake).toBe(before?.handshake);
    expect(after?.rx ?? 0).toBeGreaterThanOrEqual(before?.rx ?? 0);
  });

  it('stops traffic and removes the peer on both interfaces when the remote side deletes it', async () => {
    const a = hostOf('gwa');
    const b = hostOf('gwb');
    const deleted = await api('DELETE', `/v1/gateways/gwb/peers/vpc-peering-${peeringId}`);
    expect(deleted.status).toBe(204);
    const keysA = (await wgPeers('gwa')).map((p) => p.publicKey);
    const keysB = await wgPeers('gwb');
    expect(keysB).toEqual([]);
    expect(keysA).toHaveLength(1); // only the laptop is left
    expect(await ping(a.instanceNamespace, b.instanceIp)).toBe(false);
  });

  /** The teardown the cascade sends when gwa is deleted (its command id, then its command). */
  let teardown: { commandId: string | undefined; generation: number } | undefined;

  it('cleans the remote interface when a gateway-deleted event arrives', async () => {
    const sent = jest.spyOn(runtime().commands, 'teardown');
    const recreated = await api('POST', '/v1/gateways/gwa/vpc-peerings', { remoteGatewayId: 'gwb' });
    expect(recreated.status).toBe(201);
    expect((await wgPeers('gwb')).length).toBe(1);
    const admin = await adminToken();
    const event = await api(
      'POST',
      '/local/events',
      {
        Entries: [
          {
            Source: 'vpn.gateways',
            DetailType: 'VPN Gateway Deleted',
            Detail: JSON.stringify({ gatewayId: 'gwa' }),
          },
        ],
      },
      admin,
    );
    expect(event.status).toBe(200);
    await eventually(async () => (await wgPeers('gwb')).length === 0, 'gateway B to lose its peer');
    await eventually(
      async () => (await api('GET', '/v1/vpc-peerings')).json().items.length === 0,
      'the peering record to be deleted',
    );
    expect(await api('GET', '/v1/gateways/gwa')).toMatchObject({ status: 404 });
    await runtime().settled();
    expect(sent).toHaveBeenCalledTimes(1);
    teardown = {
      commandId: await sent.mock.results[0]?.value,
      generation: sent.mock.calls[0]?.[0].generation ?? -1,
    };
    sent.mockRestore();
  });

  it('tears the deleted gateway host down clean, then destroys it', async () => {
    // Assess: the script's own checks passed (no peers, no static routes left), and the host is gone.
    const invocation = await runtime().commands.get(teardown?.commandId ?? '', 'i-gwa');
    expect(invocation.status).toBe('Success');
    expect(JSON.parse(invocation.output.trim().split('\n').pop() ?? '')).toMatchObject({
      gatewayId: 'gwa',
      mode: 'wireguard',
      path: 'teardown',
      tornDown: true,
      peers: [],
    });
    expect(runtime().hosts.hostInfo('i-gwa')).toBeUndefined();
    expect(
      runtime()
        .hosts.index()
        .map((host) => host.gatewayId),
    ).toEqual(['gwb']);
  });

  it('registers the deleted id again on the same instance and peers it: ACTIVE, applied on the interface', async () => {
    // Act
    await registerGateway('gwa', '10.10.0.0/16', '100.64.0.0/24', '203.0.113.1');
    const created = await api('POST', '/v1/gateways/gwa/vpc-peerings', { remoteGatewayId: 'gwb' });

    // Assess
    expect(created.status).toBe(201);
    expect(created.json()).toMatchObject({ status: 'ACTIVE' });
    const a = (await api('GET', '/v1/gateways/gwa')).json();
    const b = (await api('GET', '/v1/gateways/gwb')).json();
    expect((await wgPeers('gwa')).map((p) => p.publicKey)).toEqual([b.publicKey]);
    expect((await wgPeers('gwb')).map((p) => p.publicKey)).toEqual([a.publicKey]);
    const status = (await api('GET', '/v1/gateways/gwa/status')).json();
    expect(status.appliedGeneration).toBe(status.desiredGeneration);
    expect(status.appliedGeneration).toBeGreaterThan(teardown?.generation ?? Number.POSITIVE_INFINITY);
    await eventually(
      async () => ping(hostOf('gwa').instanceNamespace, hostOf('gwb').instanceIp),
      'instance A to reach instance B again',
    );
  });

  it('leaves no namespace behind after teardown', async () => {
    extra.teardown();
    expect(extra.leftovers()).toEqual([]);
  });
});
