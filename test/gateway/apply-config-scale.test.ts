/**
 * gateway/apply-config.sh at 1000 peers: files mode (no argv limit on the report), and real WireGuard
 * (LocalHosts, wireguard-go) where a change adds one peer through the secret cache. The WireGuard
 * suite needs Linux, root and wireguard-go: when something is missing it fails and says what.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { type HostGateway, parseReport } from '../../runtime/hosts';
import {
  type DocPeer,
  GATEWAY_A,
  gatewayKeyParam,
  genKeyPair,
  peeringPskParam,
  publish,
  removeWireguardHost,
  runScript,
  startWireguardHost,
  stateArgs,
  stateDocument,
  tempDir,
  type WireguardHost,
  writeSecret,
} from '../support/gateway-script';

const PEERS = 1000;
const SLOW_MS = 60_000;
/** Any 32 random bytes are a valid WireGuard public or preshared key. */
const randomKey = () => randomBytes(32).toString('base64');
/** Peer i is the peer entry of peering `scale-<i>`, its preshared key that peering's own. */
const peerName = (i: number) => `vpc-peering-scale-${i}`;
const pskParam = (i: number) => peeringPskParam(peerName(i));
/** Room for PEERS + a few host addresses beside the gateway's own .1. */
const gateway: HostGateway = {
  ...GATEWAY_A,
  id: 'gw-scale',
  instanceId: 'i-scale',
  privateKeyParam: gatewayKeyParam('gw-scale'),
  tunnelSubnet: '100.64.0.0/20',
};

/** Peer i with a preshared key whose secret is written to `secretsDir` (unless told not to). */
function scalePeer(secretsDir: string, i: number, withSecret = true): DocPeer {
  const tunnelIp = `100.64.${Math.floor((i + 2) / 256)}.${(i + 2) % 256}`;
  if (withSecret) writeSecret(secretsDir, pskParam(i), randomKey());
  return {
    name: peerName(i),
    publicKey: randomKey(),
    presharedKeyParam: pskParam(i),
    allowedIps: [`${tunnelIp}/32`],
    endpoint: null,
  };
}

function scalePeers(secretsDir: string, count: number): DocPeer[] {
  return Array.from({ length: count }, (_, i) => scalePeer(secretsDir, i));
}

describe('apply-config.sh at 1000 peers (files mode)', () => {
  let root: string;

  beforeEach(() => {
    root = tempDir('scale-files');
  });

  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('applies and reports 1000 peers', async () => {
    // Prepare
    const secretsDir = join(root, 'secrets');
    const stateDir = join(root, 'state');
    writeSecret(secretsDir, gateway.privateKeyParam ?? '', genKeyPair().privateKey);
    const peers = scalePeers(secretsDir, PEERS);
    const published = publish(root, gateway.id, 1, stateDocument(gateway, 1, peers));

    // Act
    const result = await runScript(
      ['--gateway-id', gateway.id, '--generation', '1', ...stateArgs(published)],
      {
        VPG_MODE: 'files',
        VPG_STATE_DIR: stateDir,
        VPG_SECRET_SOURCE: `dir:${secretsDir}`,
      },
    );

    // Assess
    expect(result).toMatchObject({ exitCode: 0, stderr: '' });
    const report = parseReport(result.stdout);
    expect(report.peers).toHaveLength(PEERS);
    expect(report.peers?.map((p) => p.publicKey)).toEqual(peers.map((p) => p.publicKey));
    expect(readFileSync(join(stateDir, 'wg.conf'), 'utf8').match(/^PresharedKey = /gm)).toHaveLength(PEERS);
    // A dir: source is read on every apply, never cached (lib/secrets.sh): nothing lands in the cache.
    expect(readdirSync(join(stateDir, 'secrets'))).toEqual([]);
  });
});

describe('apply-config.sh at 1000 peers (real WireGuard)', () => {
  const prefix = `vpcs${randomBytes(3).toString('hex')}`;
  let wg: WireguardHost;
  let peers: DocPeer[];

  const apply = (generation: number, list: DocPeer[]) =>
    wg.hosts.apply(gateway.instanceId, {
      gatewayId: gateway.id,
      generation,
      ...publish(wg.root, gateway.id, generation, stateDocument(gateway, generation, list)),
    });
  /** Public key -> preshared key, as the interface holds them. */
  const interfacePsks = async () => {
    const dump = await wg.inGateway(['wg', 'show', 'wg0', 'preshared-keys']);
    return new Map(
      dump.stdout
        .trim()
        .split('\n')
        .map((line) => line.split('\t') as [string, string]),
    );
  };
  const staticRoutes = async () =>
    (await wg.inGateway(['ip', 'route', 'show', 'dev', 'wg0', 'proto', 'static'])).stdout;

  beforeAll(async () => {
    wg = await startWireguardHost(gateway, 'scale-wg', prefix);
    peers = scalePeers(wg.secretsDir, PEERS);
  }, SLOW_MS);

  afterAll(() => removeWireguardHost(wg));

  it(
    'applies 1000 peers with their preshared keys and routes',
    async () => {
      // Act
      const result = await apply(1, peers);

      // Assess
      expect(result).toMatchObject({ exitCode: 0, stderr: '' });
      expect(parseReport(result.stdout).peers).toHaveLength(PEERS);
      const psks = await interfacePsks();
      expect(psks.size).toBe(PEERS);
      expect(psks.get(peers[0]?.publicKey ?? '')).toBe(
        readFileSync(join(wg.secretsDir, pskParam(0)), 'utf8'),
      );
      expect((await staticRoutes()).trim().split('\n')).toHaveLength(PEERS);
    },
    SLOW_MS,
  );

  it(
    'adds one peer reading only its secret: the others come from the cache',
    async () => {
      // Prepare: an old peer's secret leaves the store; only the cache still holds it.
      const oldPsk = readFileSync(join(wg.secretsDir, pskParam(0)), 'utf8');
      rmSync(join(wg.secretsDir, pskParam(0)));
      const added = scalePeer(wg.secretsDir, PEERS);
      peers.push(added);

      // Act
      const result = await apply(2, peers);

      // Assess
      expect(result).toMatchObject({ exitCode: 0, stderr: '' });
      const psks = await interfacePsks();
      expect(psks.size).toBe(PEERS + 1);
      expect(psks.get(peers[0]?.publicKey ?? '')).toBe(oldPsk);
      expect(psks.get(added.publicKey)).toBe(readFileSync(join(wg.secretsDir, pskParam(PEERS)), 'utf8'));
      expect(await staticRoutes()).toContain(`${added.allowedIps[0]?.replace('/32', '')} scope link`);
    },
    SLOW_MS,
  );

  it(
    'refuses a new peer whose secret is neither in the store nor cached, and changes nothing',
    async () => {
      // Prepare
      const orphan = scalePeer(wg.secretsDir, PEERS + 1, false);

      // Act
      const result = await apply(3, [...peers, orphan]);

      // Assess
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toBe(`apply-config: secret not found: ${pskParam(PEERS + 1)}\n`);
      expect((await interfacePsks()).size).toBe(PEERS + 1);
      expect((await wg.hosts.report(gateway.instanceId))?.appliedGeneration).toBe(2);
    },
    SLOW_MS,
  );
});
