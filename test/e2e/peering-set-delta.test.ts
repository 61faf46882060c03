/**
 * End to end on real WireGuard: a peering created or deleted on a gateway that holds others
 * changes the elements of its ruleset's named set `peered` and nothing else of the table
 * (docs/DECISIONS.md "A peering change adds and deletes set elements"), and the hub forwards as
 * before: A's road-warrior reaches every peered VPC, a peered VPC never transits A to another.
 * Needs what the other WireGuard suites need (test/support/wireguard-runtime.ts).
 */
import { ExtraHosts } from '../support/topology';
import { eventually, useWireguardRuntime } from '../support/wireguard-runtime';

const { runtime, api, registerGateway, hostOf, inNamespace, ping } = useWireguardRuntime('setdelta');
let extra: ExtraHosts;
/** The road-warrior of A, started once A holds its peerings (its config names their VPCs). */
let laptop = '';
const peeringIds = new Map<string, string>();

afterAll(() => extra?.teardown());

const onA = (argv: string[]) => inNamespace(hostOf('gwa').gatewayNamespace, argv);

/** The elements of A's set, as nft lists them. */
const elementsOfA = async (): Promise<string[]> => {
  const { stdout } = await onA(['nft', 'list', 'set', 'inet', 'vpc_peering', 'peered']);
  return (/elements = \{([^}]*)\}/.exec(stdout)?.[1] ?? '')
    .split(',')
    .map((element) => element.trim())
    .filter(Boolean)
    .sort();
};

/** The handle of A's table: loading the whole table makes another one, an element change keeps it. */
const tableHandleOfA = async (): Promise<string | undefined> =>
  /^table inet vpc_peering \{ # handle (\d+)$/m.exec(
    (await onA(['nft', '-a', 'list', 'table', 'inet', 'vpc_peering'])).stdout,
  )?.[1];

async function peerWithA(remote: string): Promise<void> {
  const created = await api('POST', '/v1/gateways/gwa/vpc-peerings', { remoteGatewayId: remote });
  expect(created.status).toBe(201);
  peeringIds.set(remote, created.json().id);
}

/** Packets from `from` to `to` that A's forward hook let through (counted after its filter). */
async function forwardedByA(from: string, to: string, send: () => Promise<unknown>): Promise<number> {
  await onA([
    'sh',
    '-c',
    `nft add table ip probe && nft add chain ip probe after '{ type filter hook forward priority 10; }' && nft add rule ip probe after ip saddr ${from} ip daddr ${to} counter`,
  ]);
  try {
    await send();
    return Number(/packets (\d+)/.exec((await onA(['nft', 'list', 'table', 'ip', 'probe'])).stdout)?.[1]);
  } finally {
    await onA(['nft', 'delete', 'table', 'ip', 'probe']);
  }
}

describe("a peering change on a gateway of several peerings changes its set's elements", () => {
  it('adds each peering to the set of the same table, first, second and third', async () => {
    // Prepare: A's road-warrior first, so A's host holds the table of no peering.
    await registerGateway('gwa', '10.10.0.0/16', '100.64.0.0/24', '203.0.113.1');
    await registerGateway('gwb', '172.16.0.0/16', '100.64.1.0/24', '203.0.113.2');
    await registerGateway('gwc', '192.168.0.0/16', '100.64.2.0/24', '203.0.113.3');
    await registerGateway('gwd', '10.20.0.0/16', '100.64.3.0/24', '203.0.113.4');
    expect((await api('POST', '/v1/gateways/gwa/peers', { name: 'laptop' })).status).toBe(201);
    const table = await tableHandleOfA();

    // Act
    await peerWithA('gwb');
    const afterFirst = await elementsOfA();
    await peerWithA('gwc');
    await peerWithA('gwd');

    // Assess
    expect(table).toBeDefined();
    expect(afterFirst).toEqual(['100.64.1.0/24', '172.16.0.0/16']);
    expect(await elementsOfA()).toEqual(
      [
        '10.20.0.0/16',
        '100.64.1.0/24',
        '100.64.2.0/24',
        '100.64.3.0/24',
        '172.16.0.0/16',
        '192.168.0.0/16',
      ].sort(),
    );
    expect(await tableHandleOfA()).toBe(table);
  });

  it('lets the road-warrior of A reach every peered VPC through it', async () => {
    // Prepare
    extra = new ExtraHosts(runtime().hosts);
    const config = await api('GET', '/v1/gateways/gwa/peers/laptop/config');
    laptop = await extra.addInternetHost('laptop', '203.0.113.50');

    // Act
    await extra.startClient(laptop, config.text);

    // Assess
    for (const remote of ['gwb', 'gwc', 'gwd']) {
      await eventually(() => ping(laptop, hostOf(remote).instanceIp), `laptop → instance of ${remote}`);
    }
  });

  it('forwards nothing from one peered VPC to another, whatever the peer routes into the tunnel', async () => {
    // Prepare: root on B routes C's VPC to A.
    const a = (await api('GET', '/v1/gateways/gwa')).json();
    await inNamespace(hostOf('gwb').gatewayNamespace, [
      'sh',
      '-c',
      `wg set wg0 peer ${a.publicKey} allowed-ips 10.10.0.0/16,100.64.0.0/24,192.168.0.0/16 && ip route replace 192.168.0.0/16 dev wg0`,
    ]);
    const [b, c] = [hostOf('gwb').instanceIp, hostOf('gwc').instanceIp];

    // Act
    const transit = await forwardedByA(b, c, () =>
      inNamespace(hostOf('gwb').instanceNamespace, ['ping', '-c', '5', '-i', '0.2', '-W', '1', c]),
    );
    const fromLaptop = await forwardedByA('100.64.0.0/24', c, () => ping(laptop, c));

    // Assess
    expect(transit).toBe(0);
    expect(fromLaptop).toBeGreaterThan(0);
  });

  it('deletes a peering from the set of the same table; the others still carry', async () => {
    // Prepare
    const table = await tableHandleOfA();

    // Act
    expect((await api('DELETE', `/v1/vpc-peerings/${peeringIds.get('gwc')}`)).status).toBe(204);

    // Assess
    expect(await elementsOfA()).toEqual(
      ['10.20.0.0/16', '100.64.1.0/24', '100.64.3.0/24', '172.16.0.0/16'].sort(),
    );
    expect(await tableHandleOfA()).toBe(table);
    expect(await ping(laptop, hostOf('gwc').instanceIp)).toBe(false);
    await eventually(() => ping(laptop, hostOf('gwb').instanceIp), 'laptop → instance of gwb');
    await eventually(() => ping(laptop, hostOf('gwd').instanceIp), 'laptop → instance of gwd');
  });

  it('leaves no namespace behind', () => {
    extra.teardown();
    expect(extra.leftovers()).toEqual([]);
  });
});
