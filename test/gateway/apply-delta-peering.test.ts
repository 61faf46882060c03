/**
 * The gateway script's delta path for a peering change on real WireGuard: the ruleset's set elements
 * and the routes are diffed by the awk pass, only what came is checked, the set's elements alone
 * change in the kernel, and the result is what the full path makes of the same document
 * (docs/DECISIONS.md "A peering change costs what it changes", "A peering change adds and deletes
 * set elements"). Needs Linux, root and wireguard-go: when something is missing the suite fails and says
 * what.
 */
import { randomBytes } from 'node:crypto';
import { type GatewayDesiredState, renderNftables, serialiseState } from '../../lambdas/core/render';
import type { PeerRecord } from '../../lambdas/core/types';
import { parseReport } from '../../runtime/hosts';
import {
  type DocPeer,
  desiredState,
  GATEWAY_A,
  genKeyPair,
  genPsk,
  outputInGateway,
  peeringPskParam,
  publish,
  removeWireguardHost,
  startWireguardHost,
  type WireguardHost,
  writeSecret,
} from '../support/gateway-script';

const gateway = GATEWAY_A;

describe('apply-config.sh delta path for peerings (real WireGuard)', () => {
  const prefix = `vpcp${randomBytes(3).toString('hex')}`;
  let wg: WireguardHost;
  let generation = 0;

  /** Peering `i`: its own preshared key, a /16 VPC and a /24 tunnel subnet (no two overlap or touch:
   * nft lists touching intervals merged). */
  const peering = (i: number): DocPeer => {
    const name = `vpc-peering-p${i}`;
    const presharedKeyParam = peeringPskParam(name);
    writeSecret(wg.secretsDir, presharedKeyParam, genPsk());
    const allowedIps = [`172.${16 + 2 * i}.0.0/16`, `100.65.${2 * i}.0/24`];
    return { name, publicKey: genKeyPair().publicKey, presharedKeyParam, allowedIps, endpoint: null };
  };

  /** The state the control plane renders: the ruleset's hub rules name every peered prefix. */
  const stateOf = (peers: DocPeer[]): GatewayDesiredState => {
    const state = desiredState(gateway, generation, peers);
    state.nftables = renderNftables(gateway, state.peers as unknown as PeerRecord[]);
    return state;
  };

  /**
   * Pushes the next generation of `peers` (`edit` may change its ruleset, `editRoutes` its routes);
   * `compact` forces the full path.
   */
  const apply = async (
    peers: DocPeer[],
    edit: (nftables: string) => string = (nftables) => nftables,
    layout: 'canonical' | 'compact' = 'canonical',
    editRoutes: (routes: string[]) => string[] = (routes) => routes,
  ) => {
    generation += 1;
    const state = stateOf(peers);
    state.nftables = edit(state.nftables);
    state.routes = editRoutes(state.routes);
    const document = layout === 'canonical' ? serialiseState(state) : JSON.stringify(state);
    const published = publish(wg.root, gateway.id, generation, document);
    const result = await wg.hosts.apply(gateway.instanceId, {
      gatewayId: gateway.id,
      generation,
      ...published,
    });
    return { ...result, path: result.exitCode === 0 ? parseReport(result.stdout).path : undefined };
  };

  const inGateway = (argv: string[]) => outputInGateway(wg, argv);

  /** What the kernel and the interface hold (peers without their counters). */
  const configured = async () => ({
    peers: (await inGateway(['wg', 'show', 'wg0', 'allowed-ips'])).split('\n').sort(),
    routes: (await inGateway(['ip', 'route', 'show', 'dev', 'wg0', 'proto', 'static'])).split('\n').sort(),
    ruleset: await inGateway(['nft', 'list', 'table', 'inet', 'vpc_peering']),
  });

  /** The handle of the table: loading it whole makes another one, an element change keeps it. */
  const tableHandle = async () =>
    /^table inet vpc_peering \{ # handle (\d+)$/m.exec(
      await inGateway(['nft', '-a', 'list', 'table', 'inet', 'vpc_peering']),
    )?.[1];

  beforeAll(async () => {
    wg = await startWireguardHost(gateway, 'peering', prefix);
  });

  afterAll(() => removeWireguardHost(wg));

  it("applies a peering added and one removed as a delta of the sets' elements, as the full path would", async () => {
    // Prepare
    const [p1, p2, p3, p4] = [peering(1), peering(2), peering(3), peering(4)];
    const first = await apply([p1, p2, p3]);
    const table = await tableHandle();

    // Act
    const changed = await apply([p2, p3, p4]);

    // Assess
    expect([first.path, changed.path]).toEqual(['full', 'delta']);
    expect(changed).toMatchObject({ exitCode: 0, stderr: '' });
    expect(await tableHandle()).toBe(table);
    const set = await inGateway(['nft', 'list', 'set', 'inet', 'vpc_peering', 'peered']);
    expect(
      /elements = \{([^}]*)\}/
        .exec(set)?.[1]
        ?.split(',')
        .map((element) => element.trim()),
    ).toEqual([
      '100.65.4.0/24',
      '100.65.6.0/24',
      '100.65.8.0/24',
      '172.20.0.0/16',
      '172.22.0.0/16',
      '172.24.0.0/16',
    ]);
    const viaDelta = await configured();
    expect(viaDelta.ruleset).not.toContain('172.18.0.0/16');
    expect((await apply([p2, p3, p4], undefined, 'compact')).path).toBe('full');
    expect(await configured()).toEqual(viaDelta);
  });

  it('refuses a set element outside the grammar before anything changes', async () => {
    // Prepare
    const [p5, p6] = [peering(5), peering(6)];
    await apply([p5]);
    await apply([p5, p6]);
    const before = await configured();

    // Act: the new element carries a rule of its own (no brace: the frame around the sets is the same).
    const refused = await apply([p5, p6, peering(7)], (nftables) =>
      nftables.replaceAll('100.65.14.0/24 }', '100.65.14.0/24 ip saddr 0.0.0.0/0 }'),
    );

    // Assess
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toMatch(
      /refused: a set element that is not a canonical prefix: 100\.65\.14\.0\/24 ip/,
    );
    expect(await configured()).toEqual(before);
  });

  it('refuses a set element that nft would read as another interval, before anything changes', async () => {
    // Prepare
    const [p8, p9] = [peering(8), peering(9)];
    await apply([p8]);
    const before = await configured();

    // Act: p9's VPC spelled with host bits (172.20.0.1/16 is 172.20.0.0/16 to nft): adding it would
    // add nothing, and a later delete of the alias would delete the interval (review s19i).
    const refused = await apply([p8, p9], (nftables) => nftables.replaceAll('.0.0/16', '.0.1/16'));

    // Assess
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toMatch(
      /refused: a set element that is not a canonical prefix: \d+\.\d+\.0\.1\/16/,
    );
    expect(await configured()).toEqual(before);
  });

  it('refuses a route that ip would read as another, before anything changes', async () => {
    // Prepare
    const p10 = peering(10);
    await apply([p10]);
    const before = await configured();

    // Act: p10's VPC route again, spelled 172.36.0.00/16: deleting that alias later would delete
    // 172.36.0.0/16, which the document still holds (review s19k).
    const refused = await apply([p10], undefined, 'canonical', (routes) => [...routes, '172.36.0.00/16']);

    // Assess
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toMatch(/refused: route 172\.36\.0\.00\/16 is not a canonical prefix/);
    expect(await configured()).toEqual(before);
  });

  it('puts a table flushed from outside back at a peering delta, which then takes the full path', async () => {
    // Prepare
    const [p8, p9] = [peering(8), peering(9)];
    await apply([p8]);
    await apply([p8, p9]);
    await inGateway(['nft', 'flush', 'ruleset']);

    // Act: `add element` finds no table; nothing changed, so the full path runs.
    const changed = await apply([p8, p9, peering(10)]);

    // Assess
    expect(changed).toMatchObject({ exitCode: 0, path: 'full' });
    expect(changed.stderr).toMatch(/the set elements did not apply to table inet vpc_peering/);
    const ruleset = await inGateway(['nft', 'list', 'table', 'inet', 'vpc_peering']);
    expect(ruleset).toContain('policy drop');
    expect(ruleset).toContain('172.36.0.0/16');
  });
});
