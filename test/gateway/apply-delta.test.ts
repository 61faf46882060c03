/**
 * The gateway script's delta path on real WireGuard: a change is applied as that change (one
 * `wg set`, route and ruleset diffs) when the interface still holds the last applied document, and
 * the result is exactly what the full path (`wg syncconf` + reconciliation) makes of the same
 * document. Needs Linux, root and wireguard-go: when something is missing the suite fails and says
 * what.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { type GatewayDesiredState, serialiseState } from '../../lambdas/core/render';
import { parseReport } from '../../runtime/hosts';
import {
  type DocPeer,
  desiredState,
  GATEWAY_A,
  genKeyPair,
  genPsk,
  publish,
  startWireguardHost,
  type WireguardHost,
  writeSecret,
} from './fixtures';

const gateway = GATEWAY_A;
const EXTRA_RULE = 'ip daddr 192.0.2.99 drop';
const withExtraRule = (ruleset: string) =>
  ruleset.replace(
    'ct state established,related accept',
    `ct state established,related accept\n    ${EXTRA_RULE}`,
  );

describe('apply-config.sh delta path (real WireGuard)', () => {
  const prefix = `vpcd${randomBytes(3).toString('hex')}`;
  let wg: WireguardHost;
  let generation = 0;

  /** A vpc-peering-style peer with its own preshared key in the secret store. */
  const peer = (name: string, allowedIps: string[], endpoint: string | null): DocPeer => {
    const presharedKeyParam = `/vpc-peering/peerings/${name}/psk`;
    writeSecret(wg.secretsDir, presharedKeyParam, genPsk());
    return { name, publicKey: genKeyPair().publicKey, presharedKeyParam, allowedIps, endpoint };
  };

  /** Applies a state (next generation); `layout: compact` forces the full path. */
  const apply = async (
    peers: DocPeer[],
    edit: (state: GatewayDesiredState) => void = () => {},
    layout: 'canonical' | 'compact' = 'canonical',
  ) => {
    generation += 1;
    const state = desiredState(gateway, generation, peers);
    edit(state);
    const document = layout === 'canonical' ? serialiseState(state) : JSON.stringify(state);
    const result = await wg.hosts.apply(gateway.instanceId, {
      gatewayId: gateway.id,
      generation,
      stateUri: publish(wg.root, gateway.id, generation, document),
    });
    return { ...result, path: result.exitCode === 0 ? parseReport(result.stdout).path : undefined };
  };

  const inGateway = async (argv: string[]) => {
    const result = await wg.inGateway(argv);
    if (result.exitCode !== 0) throw new Error(`${argv.join(' ')}: ${result.stderr}`);
    return result.stdout;
  };

  /** What the kernel and the interface hold, without the session counters (they move on their own). */
  const configured = async () => ({
    peers: (await inGateway(['wg', 'show', 'wg0', 'dump']))
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => {
        const [publicKey, psk, endpoint, allowedIps, , , , keepalive] = line.split('\t');
        return { publicKey, psk, endpoint, allowedIps, keepalive };
      })
      .sort((a, b) => String(a.publicKey).localeCompare(String(b.publicKey))),
    routes: (await inGateway(['ip', 'route', 'show', 'dev', 'wg0', 'proto', 'static'])).split('\n').sort(),
    ruleset: await inGateway(['nft', 'list', 'table', 'inet', 'vpc_peering']),
  });

  beforeAll(async () => {
    wg = await startWireguardHost(gateway, 'delta', prefix);
  });

  afterAll(async () => {
    await wg?.hosts.teardown();
    if (wg) rmSync(wg.root, { recursive: true, force: true });
  });

  it('takes the full path first, then applies adds, updates, removals, routes and ruleset as deltas', async () => {
    // Prepare
    const east = peer('vpc-peering-east', ['172.16.0.0/16', '100.64.1.0/24'], '198.51.100.2:51820');
    const west = peer('vpc-peering-west', ['172.17.0.0/16', '100.64.2.0/24'], '198.51.100.3:51820');
    const north = peer('vpc-peering-north', ['172.18.0.0/16'], '198.51.100.4:51820');
    const first = await apply([east, west]);

    // Act: add north; move west's endpoint and widen its prefixes; drop east; a new ruleset.
    const added = await apply([east, west, north]);
    const movedWest = {
      ...west,
      endpoint: '198.51.100.33:51821',
      allowedIps: [...west.allowedIps, '172.19.0.0/16'],
    };
    const updated = await apply([east, movedWest, north], (state) => {
      state.nftables = withExtraRule(state.nftables);
    });
    const removed = await apply([movedWest, north], (state) => {
      state.nftables = withExtraRule(state.nftables);
    });

    // Assess: each change took the delta path, and the result is what the full path makes of it.
    expect([first.path, added.path, updated.path, removed.path]).toEqual(['full', 'delta', 'delta', 'delta']);
    for (const result of [added, updated, removed]) expect(result).toMatchObject({ exitCode: 0, stderr: '' });
    const viaDeltas = await configured();
    expect(viaDeltas.peers.map((p) => p.publicKey).sort()).toEqual(
      [movedWest.publicKey, north.publicKey].sort(),
    );
    expect(viaDeltas.peers.find((p) => p.publicKey === movedWest.publicKey)).toMatchObject({
      endpoint: '198.51.100.33:51821',
      allowedIps: movedWest.allowedIps.join(','),
      keepalive: '25',
    });
    expect(viaDeltas.ruleset).toContain(EXTRA_RULE);
    const full = await apply(
      [movedWest, north],
      (state) => {
        state.nftables = withExtraRule(state.nftables);
      },
      'compact',
    );
    expect(full.path).toBe('full');
    expect(await configured()).toEqual(viaDeltas);
  });

  it('leaves the delta path for what wg set cannot express, and for non-canonical documents', async () => {
    // Prepare
    const south = peer('vpc-peering-south', ['172.20.0.0/16'], '198.51.100.5:51820');
    await apply([south]);

    // Act
    const compact = await apply([south], () => {}, 'compact');
    const afterCompact = await apply([south]);
    const endpointCleared = await apply([{ ...south, endpoint: null }]);
    const portChanged = await apply([{ ...south, endpoint: null }], (state) => {
      state.interface.listenPort = 51999;
    });

    // Assess: the full path ran, and a canonical document after it is a delta base again.
    expect([compact.path, afterCompact.path, endpointCleared.path, portChanged.path]).toEqual([
      'full',
      'full',
      'full',
      'full',
    ]);
    expect(await inGateway(['wg', 'show', 'wg0', 'listen-port'])).toBe('51999\n');
    expect(
      (
        await apply([{ ...south, endpoint: null }], (state) => {
          state.interface.listenPort = 51999;
        })
      ).path,
    ).toBe('delta');
  });

  it('forgets its base when a delta is refused, so the next change reconciles in full', async () => {
    // Prepare
    const kept = peer('vpc-peering-kept', ['172.21.0.0/16'], '198.51.100.6:51820');
    await apply([kept]);
    const orphan: DocPeer = { ...peer('vpc-peering-orphan', ['172.22.0.0/16'], null) };
    rmSync(join(wg.secretsDir, orphan.presharedKeyParam ?? ''));

    // Act
    const refused = await apply([kept, orphan]);
    const next = await apply([kept]);

    // Assess
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toBe(`apply-config: secret not found: ${orphan.presharedKeyParam}\n`);
    expect(next).toMatchObject({ exitCode: 0, path: 'full' });
    expect((await configured()).peers.map((p) => p.publicKey)).toEqual([kept.publicKey]);
  });
});
