/**
 * Real WireGuard: two gateways as LocalHosts network namespaces (wireguard-go), peered by hand-built
 * state documents applied through gateway/apply-config.sh. Needs Linux, root and wireguard-go: when
 * something is missing the suite fails and says what.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { InstanceReport } from '../../lambdas/core/types';
import { type HostGateway, LocalHosts, missingForWireguard, parseReport } from '../../runtime/hosts';
import { run } from '../../runtime/hosts/shell';
import { isAlive } from '../../runtime/run-record';
import {
  type DocPeer,
  GATEWAY_A,
  genKeyPair,
  genPsk,
  publish,
  stateDocument,
  tempDir,
  writeSecret,
} from '../support/gateway-script';

const PSK_PARAM = '/vpc-peering/peerings/p1/psk';
const gatewayA = GATEWAY_A;
// Another /24 on purpose: all public IPs share one L2 segment.
const gatewayB: HostGateway = {
  id: 'gw-b',
  instanceId: 'i-bbbb',
  vpcCidr: '172.16.0.0/16',
  tunnelSubnet: '100.64.1.0/24',
  tunnelIp: '100.64.1.1',
  publicIp: '198.51.100.2',
  listenPort: 51820,
  privateKeyParam: '/vpc-peering/gateways/gw-b/private-key',
};
const unrelatedPeer: DocPeer = {
  name: 'vpc-peering-p2',
  publicKey: genKeyPair().publicKey,
  presharedKeyParam: null,
  allowedIps: ['192.168.50.0/24'],
  endpoint: '192.0.2.9:51820',
};

/** The peer entry a gateway holds for the other side of peering p1. */
function peerFor(remote: HostGateway, publicKey: string): DocPeer {
  return {
    name: 'vpc-peering-p1',
    publicKey,
    presharedKeyParam: PSK_PARAM,
    allowedIps: [remote.vpcCidr, remote.tunnelSubnet],
    endpoint: `${remote.publicIp}:${remote.listenPort}`,
  };
}

describe('LocalHosts with real WireGuard', () => {
  const prefix = `vpct${randomBytes(3).toString('hex')}`;
  let root: string;
  let hosts: LocalHosts;
  let peerOfA: DocPeer;
  let peerOfB: DocPeer;
  let secrets: string[];

  const apply = (gateway: HostGateway, generation: number, peers: DocPeer[]) =>
    hosts.apply(gateway.instanceId, {
      gatewayId: gateway.id,
      generation,
      ...publish(root, gateway.id, generation, stateDocument(gateway, generation, peers)),
    });
  const info = (gateway: HostGateway) => {
    const found = hosts.hostInfo(gateway.instanceId);
    if (!found?.gatewayNamespace || !found.instanceNamespace || !found.instanceIp) {
      throw new Error(`no namespaces for ${gateway.instanceId}`);
    }
    return { gateway: found.gatewayNamespace, instance: found.instanceNamespace, ip: found.instanceIp };
  };
  const peerStatus = async (gateway: HostGateway, publicKey: string) => {
    const report = (await hosts.report(gateway.instanceId)) as InstanceReport;
    return report.peers?.find((p) => p.publicKey === publicKey);
  };

  beforeAll(async () => {
    const missing = missingForWireguard();
    if (missing.length > 0)
      throw new Error(`This suite needs real WireGuard hosts; missing: ${missing.join(', ')}`);
    root = tempDir('wg');
    const secretsDir = join(root, 'secrets');
    hosts = new LocalHosts({ dataDir: join(root, 'data'), secretsDir, mode: 'wireguard', prefix });
    const a = genKeyPair();
    const b = genKeyPair();
    const psk = genPsk();
    secrets = [a.privateKey, b.privateKey, psk];
    writeSecret(secretsDir, gatewayA.privateKeyParam ?? '', a.privateKey);
    writeSecret(secretsDir, gatewayB.privateKeyParam ?? '', b.privateKey);
    writeSecret(secretsDir, PSK_PARAM, psk);
    peerOfA = peerFor(gatewayB, b.publicKey);
    peerOfB = peerFor(gatewayA, a.publicKey);
    await Promise.all([hosts.ensureHost(gatewayA), hosts.ensureHost(gatewayB)]);
  });

  afterAll(async () => {
    await hosts?.teardown();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('peers two gateways: instance A reaches instance B through the tunnel with its own source IP', async () => {
    // Act
    const results = await Promise.all([apply(gatewayA, 1, [peerOfA]), apply(gatewayB, 1, [peerOfB])]);

    // Assess
    expect(results.map((r) => r.exitCode)).toEqual([0, 0]);
    const a = info(gatewayA);
    const b = info(gatewayB);
    const ping = await hosts.exec(a.instance, ['ping', '-c', '3', '-i', '0.2', '-W', '2', b.ip]);
    expect(ping.exitCode).toBe(0);
    const server = hosts.spawn(b.instance, ['node', '-e', ECHO_SERVER]);
    await new Promise<void>((ready) => server.stdout?.on('data', () => ready()));
    const seen = await hosts.exec(a.instance, ['node', '-e', ECHO_CLIENT, b.ip]);
    expect(seen.stdout.trim()).toBe(a.ip);
  });

  it('reports the live peer without any secret', async () => {
    // Act
    const report = await hosts.report(gatewayA.instanceId);

    // Assess
    expect(report).toMatchObject({ gatewayId: 'gw-a', appliedGeneration: 1, mode: 'wireguard' });
    expect(report?.peers).toEqual([
      expect.objectContaining({
        publicKey: peerOfA.publicKey,
        allowedIps: peerOfA.allowedIps,
        endpoint: peerOfA.endpoint,
      }),
    ]);
    expect(report?.peers?.[0]?.latestHandshake).toBeGreaterThan(0);
    for (const secret of secrets) expect(JSON.stringify(report)).not.toContain(secret);
  });

  it('installs the nftables table with masquerade only towards the internet leg', async () => {
    // Act
    const table = await hosts.exec(info(gatewayA).gateway, ['nft', 'list', 'table', 'inet', 'vpc_peering']);

    // Assess
    expect(table.exitCode).toBe(0);
    const masquerades = table.stdout.split('\n').filter((line) => line.includes('masquerade'));
    expect(masquerades).toHaveLength(1);
    expect(masquerades[0]).toContain('oifname "inet"');
  });

  it('adds an unrelated peer without resetting the first one (syncconf)', async () => {
    // Prepare
    const before = await peerStatus(gatewayA, peerOfA.publicKey);

    // Act
    const result = await apply(gatewayA, 2, [peerOfA, unrelatedPeer]);

    // Assess
    expect(result).toMatchObject({ exitCode: 0, stderr: '' });
    const after = await peerStatus(gatewayA, peerOfA.publicKey);
    expect(before?.latestHandshake).toBeGreaterThan(0);
    expect(after?.latestHandshake).toBeGreaterThanOrEqual(
      before?.latestHandshake ?? Number.POSITIVE_INFINITY,
    );
    expect(after?.rxBytes).toBeGreaterThanOrEqual(before?.rxBytes ?? Number.POSITIVE_INFINITY);
    expect(await peerStatus(gatewayA, unrelatedPeer.publicKey)).toBeDefined();
  });

  it('removes a peer from the interface together with its routes', async () => {
    // Act
    const result = await apply(gatewayA, 3, [unrelatedPeer]);

    // Assess
    expect(result).toMatchObject({ exitCode: 0, stderr: '' });
    const gw = info(gatewayA).gateway;
    const peers = await hosts.exec(gw, ['wg', 'show', 'wg0', 'peers']);
    expect(peers.stdout.trim().split('\n')).toEqual([unrelatedPeer.publicKey]);
    const routes = await hosts.exec(gw, ['ip', 'route', 'show', 'dev', 'wg0', 'proto', 'static']);
    expect(routes.stdout.trim().split('\n')).toEqual([expect.stringMatching(/^192\.168\.50\.0\/24 /)]);
  });

  it('refuses an older generation', async () => {
    // Act
    const result = await apply(gatewayA, 1, [peerOfA]);

    // Assess
    expect(result.exitCode).toBe(0);
    expect(parseReport(result.stdout)).toMatchObject({ appliedGeneration: 3, skipped: 'stale' });
  });

  it('makes a files-only host for a gateway whose private key the control plane does not hold', async () => {
    // Prepare
    const keyless: HostGateway = { ...gatewayB, id: 'gw-c', instanceId: 'i-cccc', privateKeyParam: null };

    // Act
    await hosts.ensureHost(keyless);
    const result = await apply(keyless, 1, []);

    // Assess
    expect(result).toMatchObject({ exitCode: 0, stderr: '' });
    expect(hosts.hostInfo('i-cccc')).toMatchObject({ mode: 'files', gatewayNamespace: undefined });
    expect(parseReport(result.stdout)).toMatchObject({ mode: 'files', appliedGeneration: 1 });
  });

  it('tears everything down, twice if asked: no namespace, process or mount left', async () => {
    // Prepare
    const pids = await namespacePids([info(gatewayA).gateway, info(gatewayB).gateway]);

    // Act
    await hosts.teardown();
    await hosts.teardown();

    // Assess
    expect(pids.length).toBeGreaterThanOrEqual(2);
    expect(pids.filter(isAlive)).toEqual([]);
    expect(await listNamespaces()).not.toContain(prefix);
    expect(readFileSync('/proc/mounts', 'utf8')).not.toContain(prefix);
    expect(readFileSync('/proc/mounts', 'utf8')).not.toContain(root);
  });

  it('restores what a host had applied when a new runtime recreates it (reboot)', async () => {
    // Prepare
    hosts = new LocalHosts({
      dataDir: join(root, 'data'),
      secretsDir: join(root, 'secrets'),
      mode: 'wireguard',
      prefix,
    });

    // Act
    await hosts.ensureHost(gatewayA);

    // Assess
    const peers = await hosts.exec(info(gatewayA).gateway, ['wg', 'show', 'wg0', 'peers']);
    expect(peers.stdout.trim()).toBe(unrelatedPeer.publicKey);
    expect(await hosts.report(gatewayA.instanceId)).toMatchObject({ appliedGeneration: 3 });
  });
});

const ECHO_SERVER = `require('node:net')
  .createServer((s) => s.end(s.remoteAddress + '\\n'))
  .listen(7000, '0.0.0.0', () => console.log('listening'));`;
const ECHO_CLIENT = `const s = require('node:net').connect(7000, process.argv[1]);
s.setTimeout(5000, () => { console.error('timeout'); process.exit(1); });
s.on('data', (c) => process.stdout.write(c));
s.on('error', (e) => { console.error(e.message); process.exit(1); });`;

async function namespacePids(namespaces: string[]): Promise<number[]> {
  const lists = await Promise.all(namespaces.map((ns) => run(['ip', 'netns', 'pids', ns])));
  return lists.flatMap((l) => l.stdout.split('\n').filter(Boolean).map(Number));
}

async function listNamespaces(): Promise<string> {
  return (await run(['ip', 'netns', 'list'])).stdout;
}
