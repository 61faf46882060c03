/**
 * `--teardown` on real WireGuard (gateway/lib/teardown.sh): after a gateway delete its host has no
 * peers, no private key of the control plane's, no addresses or static routes on wg0, no
 * vpc_peering table, no cached keys and no state; the same id registered again (generations
 * continue above the deleted one's) then applies on the same interface. Needs Linux, root and
 * wireguard-go: when something is missing the suite fails and says what.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  type DocPeer,
  GATEWAY_A,
  genKeyPair,
  genPsk,
  publish,
  removeWireguardHost,
  startWireguardHost,
  stateDocument,
  type WireguardHost,
  writeSecret,
} from '../support/gateway-script';

const gateway = GATEWAY_A;
const peerOf = (peeringId: string, publicKey: string, cidr: string): DocPeer => ({
  name: `vpc-peering-${peeringId}`,
  publicKey,
  presharedKeyParam: `/vpc-peering/peerings/${peeringId}/psk`,
  allowedIps: [cidr],
  endpoint: '198.51.100.7:51820',
});

describe('apply-config.sh --teardown on real WireGuard', () => {
  const prefix = `vptd${randomBytes(3).toString('hex')}`;
  let wg: WireguardHost;
  let stateDir: string;

  const apply = (generation: number, peers: DocPeer[]) =>
    wg.hosts.apply(gateway.instanceId, {
      gatewayId: gateway.id,
      generation,
      ...publish(wg.root, gateway.id, generation, stateDocument(gateway, generation, peers)),
    });
  const inGateway = async (argv: string[]) => (await wg.inGateway(argv)).stdout.trim();

  beforeAll(async () => {
    wg = await startWireguardHost(gateway, 'teardown-wg', prefix);
    stateDir = wg.hosts.hostInfo(gateway.instanceId)?.stateDir ?? '';
  });

  afterAll(() => removeWireguardHost(wg));

  it('leaves no peers, key, routes, table, cached keys or state, then takes the id registered again', async () => {
    // Prepare: two peerings applied, and a cached key (an s3:// source caches what it fetches).
    const peers = [
      peerOf('p1', genKeyPair().publicKey, '172.16.0.0/16'),
      peerOf('p2', genKeyPair().publicKey, '192.168.0.0/16'),
    ];
    for (const peer of peers) writeSecret(wg.secretsDir, peer.presharedKeyParam ?? '', genPsk());
    expect(await apply(6, peers)).toMatchObject({ exitCode: 0 });
    writeSecret(join(stateDir, 'secrets'), '/vpc-peering%peerings%p1%psk', 'cached');
    expect((await inGateway(['wg', 'show', 'wg0', 'peers'])).split('\n')).toHaveLength(2);
    expect(await inGateway(['ip', 'route', 'show', 'dev', 'wg0', 'proto', 'static'])).not.toBe('');

    // Act
    const result = await wg.hosts.tearDownGateway(gateway.instanceId, {
      gatewayId: gateway.id,
      generation: 6,
    });

    // Assess
    expect(result).toMatchObject({ exitCode: 0 });
    expect(JSON.parse(result.stdout.trim().split('\n').pop() ?? '')).toMatchObject({
      gatewayId: gateway.id,
      path: 'teardown',
      tornDown: true,
      peers: [],
    });
    expect(await inGateway(['wg', 'show', 'wg0', 'peers'])).toBe('');
    expect(await inGateway(['wg', 'show', 'wg0', 'private-key'])).toBe('(none)');
    expect(await inGateway(['ip', 'route', 'show', 'dev', 'wg0', 'proto', 'static'])).toBe('');
    expect(await inGateway(['ip', '-o', 'address', 'show', 'dev', 'wg0', 'scope', 'global'])).toBe('');
    const table = await wg.inGateway(['nft', 'list', 'table', 'inet', 'vpc_peering']);
    expect(table.exitCode).not.toBe(0);
    expect(readdirSync(join(stateDir, 'secrets'))).toEqual([]);
    for (const file of ['state.json', 'applied.json', 'delta.base', 'nftables.applied']) {
      expect(existsSync(join(stateDir, file))).toBe(false);
    }

    // Act: the id registered again on the same instance (its generations continue above 6), peered anew.
    const renewed = peerOf('p3', genKeyPair().publicKey, '10.99.0.0/16');
    writeSecret(wg.secretsDir, renewed.presharedKeyParam ?? '', genPsk());
    const late = await apply(6, peers);
    const again = await apply(7, [renewed]);

    // Assess
    expect(late.exitCode).toBe(1);
    expect(late.stderr).toContain('was torn down');
    expect(again).toMatchObject({ exitCode: 0 });
    expect(await inGateway(['wg', 'show', 'wg0', 'peers'])).toBe(renewed.publicKey);
    expect(await inGateway(['ip', 'route', 'show', 'dev', 'wg0', 'proto', 'static'])).toContain(
      '10.99.0.0/16',
    );
  });
});
