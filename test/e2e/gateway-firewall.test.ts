/**
 * End to end on real WireGuard: the gateway's firewall fails closed (docs/DECISIONS.md "The
 * gateway's firewall fails closed", review s17b). Gateways A and B are peered through the API;
 * "root on B" is what a compromised peer gateway can do to its own interface (widen A's allowed IPs
 * on it, route through the tunnel). Two probes say whether A forwards what it must not:
 * - relay: root on B sends from B's VPC address through the tunnel to a WAN address behind A;
 * - spoof: a stranger on A's WAN segment sends with a source of A's VPC towards instance B.
 * Each is counted where it would arrive (an nft counter in that namespace). Needs what the other
 * WireGuard suites need (test/support/wireguard-runtime.ts).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RunResult } from '../../runtime/hosts';
import { ExtraHosts } from '../support/topology';
import { eventually, useWireguardRuntime } from '../support/wireguard-runtime';

const WHOAMI = join(__dirname, '../support/whoami.js');
/** A WAN address behind A (on the stranger's host) that root on B routes into the tunnel. */
const WAN_TARGET = '198.51.100.7';
/** A source inside A's VPC that the stranger on the WAN segment spoofs. */
const SPOOFED = '10.10.0.99';

const { runtime, api, registerGateway, hostOf, inNamespace, ping } = useWireguardRuntime('firewall');
let extra: ExtraHosts;
/** The stranger on A's WAN segment: the relay's target and the spoofer. */
let stranger = '';
let peeringId = '';
const shimDir = mkdtempSync(join(tmpdir(), 'vpc-peering-firewall-'));

afterAll(() => {
  extra?.teardown();
  rmSync(shimDir, { recursive: true, force: true });
});

const sh = (namespace: string, command: string) => inNamespace(namespace, ['sh', '-c', command]);

/** Packets matching `match` that reach `namespace` while `send` runs (a fresh counter each time). */
async function arrivals(namespace: string, match: string, send: () => Promise<unknown>): Promise<number> {
  await sh(
    namespace,
    `nft add table ip probe && nft add chain ip probe in '{ type filter hook prerouting priority -300; }' && nft add rule ip probe in ${match} counter`,
  );
  try {
    await send();
    const { stdout } = await inNamespace(namespace, ['nft', 'list', 'table', 'ip', 'probe']);
    return Number(/packets (\d+)/.exec(stdout)?.[1] ?? Number.NaN);
  } finally {
    await inNamespace(namespace, ['nft', 'delete', 'table', 'ip', 'probe']);
  }
}

/** [relay packets at the stranger, spoofed packets at instance B]: [0, 0] when A forwards neither. */
async function probes(): Promise<[number, number]> {
  const relay = await arrivals(stranger, 'ip saddr 172.16.0.1', () =>
    sh(hostOf('gwb').gatewayNamespace, `ping -c 5 -i 0.2 -W 1 -I 172.16.0.1 ${WAN_TARGET}`),
  );
  const spoof = await arrivals(hostOf('gwb').instanceNamespace, `ip saddr ${SPOOFED}`, () =>
    sh(stranger, `ping -c 5 -i 0.2 -W 1 -I ${SPOOFED} ${hostOf('gwb').instanceIp}`),
  );
  return [relay, spoof];
}

/** A whoami server in a namespace of the runtime's hosts, or of `extra` when `ofExtra`. */
async function startWhoami(namespace: string, port: string, ofExtra = false): Promise<void> {
  const argv = ['node', WHOAMI, 'server', port];
  const server = ofExtra ? extra.spawn(namespace, argv) : runtime().hosts.spawn(namespace, argv);
  await new Promise<void>((ready) =>
    server.stdout?.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && ready()),
  );
}

const tcpFrom = async (namespace: string, address: string, port: string): Promise<string> =>
  (await inNamespace(namespace, ['node', WHOAMI, 'tcp', address, port])).stdout.trim();

const tableOfA = () =>
  inNamespace(hostOf('gwa').gatewayNamespace, ['nft', 'list', 'table', 'inet', 'vpc_peering']);

describe("the gateway's firewall fails closed", () => {
  it('peers A and B; with its ruleset A forwards neither the relay nor the spoof', async () => {
    // Prepare
    await registerGateway('gwa', '10.10.0.0/16', '100.64.0.0/24', '203.0.113.1');
    await registerGateway('gwb', '172.16.0.0/16', '100.64.1.0/24', '203.0.113.2');
    const created = await api('POST', '/v1/gateways/gwa/vpc-peerings', { remoteGatewayId: 'gwb' });
    expect(created.status).toBe(201);
    peeringId = created.json().id;
    await eventually(() => ping(hostOf('gwb').instanceNamespace, hostOf('gwa').instanceIp), 'B → A');
    extra = new ExtraHosts(runtime().hosts);
    stranger = await extra.addInternetHost('stranger', '203.0.113.100');
    await sh(
      stranger,
      `ip addr add ${WAN_TARGET}/32 dev lo && ip addr add ${SPOOFED}/32 dev lo && ip route add 172.16.0.0/16 via 203.0.113.1`,
    );
    const a = (await api('GET', '/v1/gateways/gwa')).json();
    await sh(
      hostOf('gwb').gatewayNamespace,
      `wg set wg0 peer ${a.publicKey} allowed-ips 10.10.0.0/16,100.64.0.0/24,${WAN_TARGET}/32 && ip route replace ${WAN_TARGET}/32 dev wg0`,
    );

    // Act
    const counted = await probes();

    // Assess
    expect(counted).toEqual([0, 0]);
  });

  it('lets nothing from the tunnel open a connection to the gateway host; the tunnel still carries', async () => {
    // Prepare: a service on A's host, one on each instance.
    const a = hostOf('gwa');
    const b = hostOf('gwb');
    await startWhoami(a.gatewayNamespace, '7001');
    await startWhoami(a.instanceNamespace, '7000');
    await startWhoami(b.instanceNamespace, '7000');

    // Act: instance B to A's tunnel and VPC addresses, and the traffic the tunnel is for.
    const toHost = [await tcpFrom(b.instanceNamespace, '100.64.0.1', '7001')];
    toHost.push(await tcpFrom(b.instanceNamespace, '10.10.0.1', '7001'));
    const acrossTheTunnel = await tcpFrom(b.instanceNamespace, a.instanceIp, '7000');
    const fromTheHost = await tcpFrom(a.gatewayNamespace, b.instanceIp, '7000');

    // Assess: no answer from the host; instances as before; the host's own connections answered.
    expect(toHost).toEqual(['', '']);
    expect(acrossTheTunnel).toBe(`tcp ${b.instanceIp}`);
    expect(fromTheHost).toBe('tcp 100.64.0.1');
  });

  it('puts a table flushed from outside back at the next periodic report', async () => {
    // Prepare: what a restart of the distribution's nftables unit does.
    await sh(hostOf('gwa').gatewayNamespace, 'nft flush ruleset');

    // Act
    await runtime().reportStatus();

    // Assess
    expect((await tableOfA()).exitCode).toBe(0);
    expect(await probes()).toEqual([0, 0]);
  });

  it('puts a table flushed from outside back at the next full apply, even with the same ruleset', async () => {
    // Prepare: a flush, and a push on the full path (an empty delta base) that changes no rule.
    await sh(hostOf('gwa').gatewayNamespace, 'nft flush ruleset');
    writeFileSync(join(runtime().hosts.hostInfo('i-gwa')?.stateDir ?? '', 'delta.base'), '');

    // Act
    const added = await api('POST', '/v1/gateways/gwa/peers', { name: 'laptop' });

    // Assess
    expect(added.status).toBe(201);
    expect((await tableOfA()).exitCode).toBe(0);
    expect(await probes()).toEqual([0, 0]);
  });

  it('puts a table flushed from outside back at a peering change applied as a delta', async () => {
    // Prepare: a flush, then a peering with a third gateway: on A a delta that adds set elements,
    // which finds no table and leaves it to the full path (docs/DECISIONS.md "A peering change
    // adds and deletes set elements").
    await registerGateway('gwc', '192.168.0.0/16', '100.64.2.0/24', '203.0.113.3');
    await sh(hostOf('gwa').gatewayNamespace, 'nft flush ruleset');

    // Act
    const created = await api('POST', '/v1/gateways/gwa/vpc-peerings', { remoteGatewayId: 'gwc' });

    // Assess
    expect(created.status).toBe(201);
    const table = await tableOfA();
    expect(table.exitCode).toBe(0);
    expect(table.stdout).toContain('192.168.0.0/16');
    expect(await probes()).toEqual([0, 0]);
  });

  it('forwards nothing after a boot whose restore could not load the ruleset, and restores after', async () => {
    // Prepare: a reboot empties wg0, the static routes and nftables (ip_forward stays 1), and
    // nft -f fails at the restore (a full disk, a kernel refusal, …). runRestore runs as the boot
    // unit does, without VPG_SECRET_SOURCE: the script reads the source its last apply recorded.
    const a = hostOf('gwa');
    await sh(
      a.gatewayNamespace,
      'for p in $(wg show wg0 peers); do wg set wg0 peer "$p" remove; done; ip route flush dev wg0 proto static; nft delete table inet vpc_peering',
    );
    const nft = execFileSync('sh', ['-c', 'command -v nft'], { encoding: 'utf8' }).trim();
    writeFileSync(
      join(shimDir, 'nft'),
      `#!/bin/sh\ncase "$1" in -f) echo "nft: refused by the test" >&2; exit 1 ;; esac\nexec ${nft} "$@"\n`,
    );
    chmodSync(join(shimDir, 'nft'), 0o755);
    const path = process.env.PATH;
    process.env.PATH = `${shimDir}:${path}`;

    // Act
    let failed: RunResult | undefined;
    try {
      failed = await runtime().hosts.runRestore('i-gwa');
    } finally {
      process.env.PATH = path;
    }
    const counted = await probes();
    const restored = await runtime().hosts.runRestore('i-gwa');

    // Assess
    expect(failed?.exitCode).toBe(1);
    expect(failed?.stderr).toMatch(/nft -f failed/);
    expect(counted).toEqual([0, 0]);
    expect(restored.exitCode).toBe(0);
    await eventually(() => ping(hostOf('gwb').instanceNamespace, a.instanceIp), 'B → A after the restore');
    expect(await probes()).toEqual([0, 0]);
  });

  it("sends none of a removed peering's live flow out of the WAN with its private source", async () => {
    // Prepare: a host on A's WAN segment that holds instance B's address, and a flow to instance
    // B that runs while the peering is deleted.
    const a = hostOf('gwa');
    const b = hostOf('gwb');
    const lookalike = await extra.addInternetHost('lookalike', '203.0.113.101');
    await sh(lookalike, `ip addr add ${b.instanceIp}/32 dev inet`);
    const flow = runtime().hosts.spawn(a.instanceNamespace, ['ping', '-i', '0.2', '-c', '50', b.instanceIp]);
    await sleep(1000);

    // Act
    const unNated = await arrivals(lookalike, `ip saddr ${a.instanceIp}`, async () => {
      expect((await api('DELETE', `/v1/vpc-peerings/${peeringId}`)).status).toBe(204);
      await eventually(
        async () =>
          (await inNamespace(a.gatewayNamespace, ['ip', 'route', 'show', '172.16.0.0/16'])).stdout === '',
        'the route to B to go',
      );
      await sleep(3000);
    });
    flow.kill();
    await startWhoami(lookalike, '7002', true);
    const newFlow = await tcpFrom(a.instanceNamespace, b.instanceIp, '7002');

    // Assess: the live flow is dropped; a new one is internet egress like any unpeered address.
    expect(unNated).toBe(0);
    expect(newFlow).toBe('tcp 203.0.113.1');
  });

  it('leaves no namespace behind', () => {
    extra.teardown();
    expect(extra.leftovers()).toEqual([]);
  });
});
