import { ValidationError } from '../../../lambdas/core/errors';
import {
  renderClientConfig,
  renderGatewayState,
  renderNftables,
  serialiseState,
} from '../../../lambdas/core/render';
import type { PeerRecord } from '../../../lambdas/core/types';
import { gateway, hubRecord, KEY_PAIRS, peeringPeer, roadWarriorPeer } from '../../support/core';

type Section = { name: string; entries: [string, string][] };

/** A tiny wg-quick INI reader: sections, `Key = Value` lines, `#` comments. Refuses anything else. */
function parseIni(text: string): Section[] {
  const sections: Section[] = [];
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const header = /^\[(\w+)\]$/.exec(trimmed);
    if (header?.[1]) {
      sections.push({ name: header[1], entries: [] });
      continue;
    }
    const entry = /^(\w+) = (.+)$/.exec(trimmed);
    const current = sections.at(-1);
    if (!entry?.[1] || !entry[2] || !current) throw new Error(`unparseable line: ${line}`);
    current.entries.push([entry[1], entry[2]]);
  }
  return sections;
}

const valuesOf = (section: Section | undefined, key: string): string[] =>
  (section?.entries ?? []).filter(([k]) => k === key).map(([, v]) => v);

const gatewayKey = KEY_PAIRS[0]?.publicKey ?? '';
const clientPrivateKey = KEY_PAIRS[2]?.privateKey ?? '';

describe('renderGatewayState', () => {
  it('renders the desired-state document of docs/ARCHITECTURE.md', () => {
    // Prepare
    const peers = [roadWarriorPeer(), peeringPeer()];
    // Act
    const state = renderGatewayState(hubRecord(), peers, 7);
    // Assess
    expect(state).toEqual({
      schema: 1,
      gatewayId: 'gw-a',
      generation: 7,
      interface: {
        name: 'wg0',
        address: '100.64.0.1/24',
        listenPort: 51820,
        mtu: 1420,
        privateKeyParam: '/vpc-peering/gateways/gw-a/private-key',
      },
      vpcCidr: '10.10.0.0/16',
      tunnelSubnet: '100.64.0.0/24',
      peers: [
        {
          name: 'laptop',
          type: 'road-warrior',
          publicKey: KEY_PAIRS[2]?.publicKey,
          presharedKeyParam: null,
          allowedIps: ['100.64.0.9/32'],
          endpoint: null,
          persistentKeepalive: null,
        },
        {
          name: 'vpc-peering-p1',
          type: 'vpc-peering',
          publicKey: KEY_PAIRS[1]?.publicKey,
          presharedKeyParam: '/vpc-peering/peerings/p1/psk',
          allowedIps: ['172.16.0.0/16', '100.64.1.0/24'],
          endpoint: '203.0.113.2:51820',
          persistentKeepalive: 25,
        },
      ],
      routes: ['172.16.0.0/16', '100.64.1.0/24'],
      nftables: renderNftables(gateway(), peers),
    });
  });

  it('routes only vpc-peering prefixes, in peer-name order, and keeps a null private key param', () => {
    // Prepare
    const second = peeringPeer({ name: 'vpc-peering-p2', allowedIps: ['192.168.0.0/16', '100.64.2.0/24'] });
    const first = peeringPeer();
    // Act
    const state = renderGatewayState(
      hubRecord({ privateKeyParam: null }),
      [second, roadWarriorPeer(), first],
      3,
    );
    // Assess
    expect(state.routes).toEqual(['172.16.0.0/16', '100.64.1.0/24', '192.168.0.0/16', '100.64.2.0/24']);
    expect(state.peers.map((peer) => peer.name)).toEqual(['laptop', 'vpc-peering-p1', 'vpc-peering-p2']);
    expect(state.interface.privateKeyParam).toBeNull();
  });

  it('is deterministic whatever the input order', () => {
    // Prepare
    const peers = [
      peeringPeer(),
      roadWarriorPeer(),
      roadWarriorPeer({ name: 'phone', tunnelIp: '100.64.0.10' }),
    ];
    // Act
    const forward = serialiseState(renderGatewayState(hubRecord(), peers, 1));
    const backward = serialiseState(renderGatewayState(hubRecord(), [...peers].reverse(), 1));
    // Assess
    expect(backward).toBe(forward);
  });

  it.each<[string, Partial<PeerRecord>]>([
    ['a name with a newline', { name: 'vpc-peering-p1\n[Peer]' }],
    ['a road-warrior style name on a peering peer', { name: 'laptop' }],
    ['a key carrying a directive', { publicKey: `${gatewayKey}\nEndpoint = 6.6.6.6:1` }],
    ['an AllowedIPs entry with a trailing line', { allowedIps: ['172.16.0.0/16\nPostUp = rm -rf /'] }],
    ['an endpoint without a port', { endpoint: '203.0.113.2' }],
    ['an endpoint with an extra "="', { endpoint: '203.0.113.2:51820=1' }],
    ['an endpoint port out of range', { endpoint: '203.0.113.2:65536' }],
    ['a preshared key param with a space', { presharedKeyParam: '/vpc-peering/peerings/p1/psk x' }],
    ['no preshared key param', { presharedKeyParam: null }],
  ])('refuses a vpc-peering peer with %s', (_case, overrides) => {
    // Act / Assess
    expect(() => renderGatewayState(hubRecord(), [peeringPeer(overrides)], 1)).toThrow(ValidationError);
  });

  it.each<[string, Partial<PeerRecord>]>([
    ['a name with "="', { name: 'a=b' }],
    ['a name taking the peering prefix', { name: 'vpc-peering-x' }],
    ['a tunnel IP with a newline', { tunnelIp: '100.64.0.9\n' }],
  ])('refuses a road-warrior peer with %s', (_case, overrides) => {
    // Act / Assess
    expect(() => renderGatewayState(hubRecord(), [roadWarriorPeer(overrides)], 1)).toThrow(ValidationError);
  });

  it.each([[-1], [1.5], [Number.NaN]])('refuses generation %p', (generation) => {
    // Act / Assess
    expect(() => renderGatewayState(hubRecord(), [], generation)).toThrow(ValidationError);
  });
});

describe('renderNftables', () => {
  const lines = (text: string): string[] => text.split('\n').map((line) => line.trim());

  it('is one table with forward filter, MSS clamp and masquerade only to the internet', () => {
    // Act
    const text = renderNftables(gateway(), [peeringPeer(), roadWarriorPeer()]);
    // Assess
    expect(text.match(/^table /gm)).toEqual(['table ']);
    expect(text.startsWith('table inet vpc_peering {')).toBe(true);
    expect(lines(text)).toEqual(
      expect.arrayContaining([
        'type filter hook forward priority mangle; policy accept;',
        'oifname $wg_if tcp flags syn / syn,rst tcp option maxseg size set rt mtu',
        'iifname $wg_if tcp flags syn / syn,rst tcp option maxseg size set 1380',
        'type filter hook forward priority filter; policy drop;',
        'ct state established,related accept',
        'iifname $vpc_if oifname $wg_if ip saddr 10.10.0.0/16 accept',
        'iifname $wg_if oifname $vpc_if ip daddr 10.10.0.0/16 accept',
        'iifname $wg_if oifname $wg_if ip saddr 100.64.0.0/24 ip daddr @peered accept',
        'iifname $wg_if oifname $wg_if ip saddr @peered ip daddr 100.64.0.0/24 accept',
        'iifname $vpc_if oifname $wan_if accept',
        'type nat hook postrouting priority srcnat; policy accept;',
      ]),
    );
  });

  it('masquerades on $wan_if and nowhere else', () => {
    // Act
    const text = renderNftables(gateway(), [peeringPeer()]);
    // Assess
    expect(lines(text).filter((line) => line.includes('masquerade') || / snat$/.test(line))).toEqual([
      'oifname $wan_if masquerade',
    ]);
  });

  it('drops what arrives through the tunnel for the gateway itself, replies to its own connections apart', () => {
    // Act
    const text = renderNftables(gateway(), [peeringPeer(), roadWarriorPeer()]);
    // Assess: the input chain is the table's first, and holds only these rules.
    const chains = text.split('\n  chain ').slice(1);
    expect(chains[0]?.split('\n').map((line) => line.trim())).toEqual([
      'input {',
      'type filter hook input priority filter; policy accept;',
      'iifname $wg_if ct state established,related accept',
      'iifname $wg_if drop',
      '}',
    ]);
  });

  it('lets nothing leave through the WAN that was not masqueraded, before any established flow is accepted', () => {
    // Act
    const forward = lines(renderNftables(gateway(), [peeringPeer()]));
    // Assess
    const guard = forward.indexOf('oifname $wan_if ct state established,related ct status ! snat drop');
    expect(guard).toBeGreaterThan(forward.indexOf('type filter hook forward priority filter; policy drop;'));
    expect(guard).toBeLessThan(forward.indexOf('ct state established,related accept'));
  });

  it('holds the peered prefixes in one named set, declared first, which the hub rules read', () => {
    // Act
    const text = renderNftables(gateway(), [peeringPeer(), roadWarriorPeer()]);
    // Assess
    expect(text.split('\n')[1]).toBe(
      '  set peered { type ipv4_addr; flags interval; elements = { 172.16.0.0/16, 100.64.1.0/24 }; }',
    );
    expect(text.match(/\{ [^{}]* \}/g)).toEqual(['{ 172.16.0.0/16, 100.64.1.0/24 }']);
  });

  it('declares the set without elements when there is no peering (nft refuses an empty list)', () => {
    // Act
    const text = renderNftables(gateway(), [roadWarriorPeer()]);
    // Assess
    expect(text.split('\n')[1]).toBe('  set peered { type ipv4_addr; flags interval; }');
    expect(text).not.toContain('{ }');
    expect(text).toContain('iifname $wg_if oifname $wg_if ip saddr @peered ip daddr 100.64.0.0/24 accept');
  });

  it.each([
    ['the first peering', [roadWarriorPeer()]],
    ['a second peering', [peeringPeer()]],
  ])('changes only the set line when %s comes', (_label, before) => {
    // Prepare
    const second = peeringPeer({ name: 'vpc-peering-p2', peeringId: 'p2', allowedIps: ['10.20.0.0/16'] });
    const setLine = /^ {2}set peered .*$/m;

    // Act
    const [was, now] = [renderNftables(gateway(), before), renderNftables(gateway(), [...before, second])];

    // Assess
    expect(now).not.toBe(was);
    expect(now.replace(setLine, '')).toBe(was.replace(setLine, ''));
  });

  it('balances its braces', () => {
    // Act
    const text = renderNftables(gateway(), [peeringPeer()]);
    // Assess
    expect(text.split('{').length).toBe(text.split('}').length);
  });

  it('refuses a VPC CIDR that would add a rule', () => {
    // Act / Assess
    expect(() => renderNftables(gateway({ vpcCidr: '10.10.0.0/16 accept\n}' }), [])).toThrow(ValidationError);
  });
});

describe('renderClientConfig', () => {
  const input = {
    gateway: gateway({ publicKey: gatewayKey }),
    peer: roadWarriorPeer(),
    privateKey: clientPrivateKey,
    peeredVpcCidrs: ['172.16.0.0/16', '192.168.0.0/16', '172.16.0.0/16'],
  };

  it('round-trips through an INI parser with the expected Interface and Peer', () => {
    // Act
    const sections = parseIni(renderClientConfig(input));
    // Assess
    expect(sections.map((section) => section.name)).toEqual(['Interface', 'Peer']);
    const [iface, peer] = sections;
    expect(iface?.entries).toEqual([
      ['PrivateKey', clientPrivateKey],
      ['Address', '100.64.0.9/32'],
    ]);
    expect(peer?.entries).toEqual([
      ['PublicKey', gatewayKey],
      ['Endpoint', '203.0.113.1:51820'],
      ['AllowedIPs', '10.10.0.0/16, 100.64.0.0/24, 172.16.0.0/16, 192.168.0.0/16'],
      ['PersistentKeepalive', '25'],
    ]);
  });

  it('leaves a placeholder comment when the private key is not held', () => {
    // Act
    const text = renderClientConfig({ ...input, privateKey: null });
    // Assess
    expect(text).toContain('\n# PrivateKey = <insert your private key>\n');
    expect(valuesOf(parseIni(text)[0], 'PrivateKey')).toEqual([]);
  });

  it('uses the listen port in the endpoint', () => {
    // Act
    const text = renderClientConfig({ ...input, gateway: gateway({ listenPort: 443 }) });
    // Assess
    expect(valuesOf(parseIni(text)[1], 'Endpoint')).toEqual(['203.0.113.1:443']);
  });

  it.each<[string, Partial<typeof input>]>([
    ['a peered CIDR carrying a section', { peeredVpcCidrs: ['172.16.0.0/16\n[Peer]'] }],
    ['a peered CIDR carrying a directive', { peeredVpcCidrs: ['0.0.0.0/0, 1.0.0.0/8'] }],
    ['a private key carrying a directive', { privateKey: `${clientPrivateKey}\nDNS = 6.6.6.6` }],
    ['a peer name with a newline', { peer: roadWarriorPeer({ name: 'laptop\n[Peer]' }) }],
    ['a vpc-peering peer', { peer: peeringPeer() }],
    ['a gateway key with "="-padding tricks', { gateway: gateway({ publicKey: `${gatewayKey}=` }) }],
    ['a public IP with a port', { gateway: gateway({ publicIp: '203.0.113.1:1' }) }],
  ])('refuses %s', (_case, overrides) => {
    // Act / Assess
    expect(() => renderClientConfig({ ...input, ...overrides })).toThrow(ValidationError);
  });
});

describe('serialiseState', () => {
  it('sorts keys at every level and parses back to the same state', () => {
    // Prepare
    const state = renderGatewayState(hubRecord(), [peeringPeer()], 2);
    // Act
    const text = serialiseState(state);
    // Assess
    expect(JSON.parse(text)).toEqual(state);
    expect(text.indexOf('"generation"')).toBeLessThan(text.indexOf('"interface"'));
    expect(text.indexOf('"address"')).toBeLessThan(text.indexOf('"listenPort"'));
  });

  it('writes one line per member and per peer, so one more peer changes only its own lines', () => {
    // Prepare
    const before = renderGatewayState(hubRecord(), [peeringPeer()], 2);
    const after = renderGatewayState(hubRecord(), [peeringPeer(), roadWarriorPeer()], 3);

    // Act
    const oldLines = serialiseState(before).split('\n');
    const newLines = serialiseState(after).split('\n');

    // Assess: header, 5 members, "peers":[, the peers, ]}, and the final newline.
    expect(newLines).toHaveLength(1 + 5 + 1 + 2 + 1 + 1);
    expect(newLines[6]).toBe('"peers":[');
    expect(newLines.slice(-2)).toEqual([']}', '']);
    const changed = newLines.filter((line) => !oldLines.includes(line));
    // "laptop" sorts before "vpc-peering-p1": the old peer's line stays as it was.
    expect(changed).toEqual([
      '{"schema":1,"gatewayId":"gw-a","generation":3,',
      expect.stringMatching(/^\{"allowedIps":\["100\.64\.0\.9\/32"\],.*"type":"road-warrior"\},$/),
    ]);
  });
});
