/**
 * The instance trusts no document (docs/SECURITY.md): each tampered or harmful document below is
 * refused (exit 1, the reason on stderr, so the command ends Failed and the control plane sees
 * it), and what the instance last applied stays as it was. Files mode; the same checks run on
 * the delta path (test/gateway/apply-delta.test.ts covers that path on real WireGuard).
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type GatewayDesiredState, serialiseState } from '../../lambdas/core/render';
import {
  type DocPeer,
  desiredState,
  filesInstance,
  GATEWAY_A,
  genKeyPair,
  genPsk,
  peeringP1Peer,
  publish,
  runScript,
  stateArgs,
  writeSecret,
} from '../support/gateway-script';

const gateway = GATEWAY_A;

describe('apply-config.sh refuses what it cannot verify or what would harm it', () => {
  let root: string;
  let stateDir: string;
  let env: Record<string, string>;
  let peer: DocPeer;

  const state = (generation: number): GatewayDesiredState => desiredState(gateway, generation, [peer]);
  const run = (generation: number, published: ReturnType<typeof publish>) =>
    runScript(['--gateway-id', gateway.id, '--generation', String(generation), ...stateArgs(published)], env);
  const applyState = (document: GatewayDesiredState) =>
    run(document.generation, publish(root, gateway.id, document.generation, serialiseState(document)));
  /** What the instance holds: the applied record and every files-mode artifact. */
  const applied = () =>
    ['applied.json', 'state.json', 'wg.conf', 'routes.txt', 'nftables.nft'].map((file) =>
      readFileSync(join(stateDir, file), 'utf8'),
    );

  beforeEach(async () => {
    const instance = filesInstance('refusals', { VPG_PROTECTED_IPS: '203.0.113.1' });
    ({ root, stateDir, env } = instance);
    const { secretsDir } = instance;
    writeSecret(secretsDir, '/vpc-peering/gateways/gw-a/private-key', genKeyPair().privateKey);
    writeSecret(secretsDir, '/vpc-peering/gateways/gw-b/private-key', genKeyPair().privateKey);
    writeSecret(secretsDir, '/vpc-peering/peerings/p1/psk', genPsk());
    writeSecret(secretsDir, '/vpc-peering/peerings/p2/psk', genPsk());
    writeSecret(secretsDir, '/vpc-peering/gateways/gw-a/peers/laptop/private-key', genKeyPair().privateKey);
    peer = peeringP1Peer();
    const first = await applyState(state(7));
    expect(first).toMatchObject({ exitCode: 0, stderr: '' });
  });

  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const tampered: [string, (document: GatewayDesiredState) => void, string][] = [
    [
      'a ruleset that flushes everything',
      (d) => (d.nftables = `flush ruleset\n${d.nftables}`),
      'must be table inet vpc_peering',
    ],
    [
      'a ruleset that includes a local file',
      (d) =>
        (d.nftables = d.nftables.replace('  chain forward {', '  include "/etc/shadow"\n  chain forward {')),
      'ruleset line outside the grammar:   include "/etc/shadow"',
    ],
    [
      'a ruleset that adds a DNAT',
      (d) =>
        (d.nftables = `${d.nftables}\ntable ip evil {\n  chain pre {\n    type nat hook prerouting priority dstnat;\n  }\n}`),
      'ruleset line outside the grammar: table ip evil',
    ],
    [
      'a set of the peered prefixes that is more than one',
      (d) => (d.nftables = d.nftables.replace('flags interval; }', 'flags interval, timeout; timeout 1s; }')),
      'ruleset line outside the grammar:   set peered { type ipv4_addr; flags interval, timeout;',
    ],
    [
      'a set element that is no prefix',
      (d) =>
        (d.nftables = d.nftables.replace(
          'flags interval; }',
          'flags interval; elements = { 10.0.0.0/8 accept }; }',
        )),
      'ruleset line outside the grammar:   set peered { type ipv4_addr; flags interval; elements = { 10.0.0.0/8 accept',
    ],
    [
      'a set element with host bits (nft would read it as another interval)',
      (d) =>
        (d.nftables = d.nftables.replace(
          'flags interval; }',
          'flags interval; elements = { 172.20.0.1/16 }; }',
        )),
      'refused: a set element that is not a canonical prefix: 172.20.0.1/16',
    ],
    [
      'a route with a leading zero (ip would read it as another route)',
      (d) => d.routes.push('172.18.0.00/16'),
      'refused: route 172.18.0.00/16 is not a canonical prefix',
    ],
    ['an IPv4 default route', (d) => d.routes.push('0.0.0.0/0'), 'default route 0.0.0.0/0'],
    ['an IPv6 default route', (d) => d.routes.push('::/0'), 'default route ::/0'],
    // The protected addresses are IPv4 and the control plane renders IPv4 only (core/cidr.ts).
    [
      'all of IPv6 in two halves',
      (d) => d.routes.push('::/1', '8000::/1'),
      'refused: IPv6 route ::/1 (the control plane renders IPv4 routes only)',
    ],
    [
      'an IPv6 prefix covering the metadata service and its resolver',
      (d) => d.routes.push('fd00:ec2::/32'),
      'refused: IPv6 route fd00:ec2::/32',
    ],
    [
      'a route that is no IPv4 prefix',
      (d) => d.routes.push('abc.0/8'),
      'route abc.0/8 is not an IPv4 prefix',
    ],
    [
      'a route covering its own endpoint',
      (d) => d.routes.push('203.0.113.0/24'),
      'covers protected address 203.0.113.1',
    ],
    [
      'a route covering the metadata service',
      (d) => d.routes.push('169.254.0.0/16'),
      'covers protected address 169.254.169.254',
    ],
    [
      'another gateway private key',
      (d) => (d.interface.privateKeyParam = '/vpc-peering/gateways/gw-b/private-key'),
      'interface.privateKeyParam (not the key of this gateway)',
    ],
    [
      'another peering preshared key',
      (d) =>
        ((d.peers[0] as { presharedKeyParam: string }).presharedKeyParam = '/vpc-peering/peerings/p2/psk'),
      'peers[0].presharedKeyParam (not the key of this peering)',
    ],
    [
      "another peering's rotated preshared key",
      (d) =>
        ((d.peers[0] as { presharedKeyParam: string }).presharedKeyParam =
          '/vpc-peering/peerings/p2/psk-0123456789abcdef'),
      'peers[0].presharedKeyParam (not the key of this peering)',
    ],
    [
      'a rotated preshared key name outside its grammar (16 lowercase hex characters)',
      (d) =>
        ((d.peers[0] as { presharedKeyParam: string }).presharedKeyParam =
          '/vpc-peering/peerings/p1/psk-0123456789ABCDEF'),
      'peers[0].presharedKeyParam (not the key of this peering)',
    ],
    [
      'a road-warrior private key as a preshared key',
      (d) =>
        ((d.peers[0] as { presharedKeyParam: string }).presharedKeyParam =
          '/vpc-peering/gateways/gw-a/peers/laptop/private-key'),
      'peers[0].presharedKeyParam (not the key of this peering)',
    ],
  ];

  it.each(tampered)('refuses %s and keeps what it applied', async (_label, tamper, message) => {
    // Prepare
    const before = applied();
    const document = state(8);
    tamper(document);

    // Act
    const result = await applyState(document);

    // Assess
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(message);
    expect(applied()).toEqual(before);
  });

  it('refuses a document whose bytes are not the digest the command carries', async () => {
    // Prepare: the object is replaced after the command was sent.
    const before = applied();
    const published = publish(root, gateway.id, 8, serialiseState(state(8)));
    const tamperedDocument = serialiseState({ ...state(8), routes: [...state(8).routes, '10.99.0.0/16'] });
    writeFileSync(published.stateUri.slice('file://'.length), tamperedDocument);

    // Act
    const result = await run(8, published);

    // Assess
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('refused: state document digest mismatch');
    expect(applied()).toEqual(before);
  });

  it('fails a command whose document is not there, and changes nothing', async () => {
    // Prepare: the command names a generation never published.
    const before = applied();
    const published = publish(root, gateway.id, 8, serialiseState(state(8)));
    rmSync(published.stateUri.slice('file://'.length));

    // Act
    const result = await run(8, published);

    // Assess
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`cannot fetch ${published.stateUri}`);
    expect(applied()).toEqual(before);
  });

  it('refuses a document outside its own gateway prefix, even with the right digest', async () => {
    // Prepare: another gateway's path, holding a document that names gw-a.
    const before = applied();
    const foreign = publish(root, 'gw-b', 8, serialiseState(state(8)));

    // Act
    const result = await run(8, foreign);

    // Assess
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('refused: state document outside gateways/gw-a/');
    expect(applied()).toEqual(before);
  });

  it('refuses a document from another bucket than the instance names', async () => {
    // Prepare
    env.VPG_STATE_BUCKET = 'config-bucket';
    const digest = publish(root, gateway.id, 8, serialiseState(state(8))).stateSha256;

    // Act: refused before anything is fetched (no AWS CLI call).
    const result = await run(8, {
      stateUri: 's3://other-bucket/gateways/gw-a/000000000008.json',
      stateSha256: digest,
    });

    // Assess
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('refused: state document outside bucket config-bucket');
  });

  it('refuses a command without a digest', async () => {
    // Act
    const result = await runScript(
      [
        '--gateway-id',
        gateway.id,
        '--generation',
        '8',
        '--state-uri',
        publish(root, gateway.id, 8, '{}').stateUri,
      ],
      env,
    );

    // Assess
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('--state-sha256 must be 64 lowercase hex digits');
  });
});
