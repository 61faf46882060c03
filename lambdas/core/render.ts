/**
 * Renders what a gateway must apply (the desired-state document of docs/ARCHITECTURE.md, with its
 * nftables ruleset) and the wg-quick config of a road-warrior client.
 *
 * Every value was validated when it entered the system; rendering checks each one again against its
 * strict pattern, because a single stray newline, '=' or '[' in a line-oriented format would add a
 * directive, a section or a rule. A value that does not match throws ValidationError; nothing is
 * escaped or repaired.
 */
import { cidrPrefixLength, parseCidr, parseIpAddress } from './cidr';
import { ValidationError } from './errors';
import { parseWireGuardKey } from './key-format';
import { isPeeringPeerName, isRoadWarriorName, parseResourceId } from './schemas';
import type { Gateway, GatewayRecord, PeerRecord, PeerType } from './types';

const INTERFACE_NAME = 'wg0';
const TUNNEL_MTU = 1420;
/** MSS = MTU minus the IPv4 (20) and TCP (20) headers. */
const TUNNEL_MSS = TUNNEL_MTU - 40;
const PERSISTENT_KEEPALIVE = 25;
/** Secret-store names: SSM's own charset, absolute, no empty segment. */
const SECRET_NAME = /^(\/[A-Za-z0-9_.-]+){1,15}$/;
const PORT = /^[1-9][0-9]{0,4}$/;

export interface DesiredInterface {
  name: typeof INTERFACE_NAME;
  /** The gateway's tunnel address with the tunnel subnet's prefix length, e.g. "100.64.0.1/24". */
  address: string;
  listenPort: number;
  mtu: typeof TUNNEL_MTU;
  /** null: the control plane does not hold the key; the instance keeps its current one. */
  privateKeyParam: string | null;
}

export interface DesiredPeer {
  name: string;
  type: PeerType;
  publicKey: string;
  /** vpc-peering: the peering's preshared key name; road-warrior: null. */
  presharedKeyParam: string | null;
  allowedIps: string[];
  endpoint: string | null;
  /** vpc-peering: 25 (keeps NAT mappings and the handshake warm); road-warrior: null. */
  persistentKeepalive: number | null;
}

export interface GatewayDesiredState {
  schema: 1;
  gatewayId: string;
  generation: number;
  interface: DesiredInterface;
  vpcCidr: string;
  tunnelSubnet: string;
  peers: DesiredPeer[];
  /** Prefixes to route into wg0: the peered VPCs and tunnel subnets (syncconf adds no routes). */
  routes: string[];
  nftables: string;
}

function assertCidr(value: string, field: string): string {
  return parseCidr(value, field);
}

function assertKey(value: string, field: string): string {
  return parseWireGuardKey(value, field);
}

function assertPort(value: number, field: string): number {
  if (!PORT.test(String(value)) || value > 65535) {
    throw new ValidationError('must be an integer between 1 and 65535', field);
  }
  return value;
}

function assertEndpoint(value: string, field: string): string {
  const separator = value.lastIndexOf(':');
  const port = value.slice(separator + 1);
  if (separator < 0 || !PORT.test(port)) throw new ValidationError('must be ip:port', field);
  return `${parseIpAddress(value.slice(0, separator), field)}:${assertPort(Number(port), field)}`;
}

function assertSecretName(value: string, field: string): string {
  if (!SECRET_NAME.test(value) || value.length > 1011) {
    throw new ValidationError('must be a secret-store name like /prefix/path/name', field);
  }
  return value;
}

function assertPeerName(peer: PeerRecord): string {
  const valid = peer.type === 'vpc-peering' ? isPeeringPeerName(peer.name) : isRoadWarriorName(peer.name);
  if (!valid) throw new ValidationError(`is not a valid ${peer.type} peer name`, 'peer.name');
  return peer.name;
}

const compareByName = (a: PeerRecord, b: PeerRecord): number =>
  a.name < b.name ? -1 : a.name > b.name ? 1 : 0;

const dedupe = (values: string[]): string[] => [...new Set(values)];

/** Every prefix the gateway routes into its tunnel: the allowedIps of its vpc-peering peers. */
function peeredPrefixes(peers: PeerRecord[]): string[] {
  return dedupe(
    [...peers]
      .sort(compareByName)
      .filter((peer) => peer.type === 'vpc-peering')
      .flatMap((peer) => peer.allowedIps.map((cidr) => assertCidr(cidr, 'peer.allowedIps'))),
  );
}

function renderPeer(peer: PeerRecord): DesiredPeer {
  const common = { name: assertPeerName(peer), publicKey: assertKey(peer.publicKey, 'peer.publicKey') };
  if (peer.type === 'road-warrior') {
    const host = parseIpAddress(peer.tunnelIp, 'peer.tunnelIp');
    return {
      ...common,
      type: 'road-warrior',
      presharedKeyParam: null,
      allowedIps: [`${host}/32`],
      endpoint: null,
      persistentKeepalive: null,
    };
  }
  if (peer.presharedKeyParam === null) {
    throw new ValidationError('is required for a vpc-peering peer', 'peer.presharedKeyParam');
  }
  return {
    ...common,
    type: 'vpc-peering',
    presharedKeyParam: assertSecretName(peer.presharedKeyParam, 'peer.presharedKeyParam'),
    allowedIps: peer.allowedIps.map((cidr) => assertCidr(cidr, 'peer.allowedIps')),
    endpoint: peer.endpoint === null ? null : assertEndpoint(peer.endpoint, 'peer.endpoint'),
    persistentKeepalive: PERSISTENT_KEEPALIVE,
  };
}

export function renderGatewayState(
  gateway: GatewayRecord,
  peers: PeerRecord[],
  generation: number,
): GatewayDesiredState {
  if (!Number.isSafeInteger(generation) || generation < 0) {
    throw new ValidationError('must be a non-negative integer', 'generation');
  }
  const tunnelSubnet = assertCidr(gateway.tunnelSubnet, 'tunnelSubnet');
  const tunnelIp = parseIpAddress(gateway.tunnelIp, 'tunnelIp');
  return {
    schema: 1,
    gatewayId: parseResourceId(gateway.id, 'gatewayId'),
    generation,
    interface: {
      name: INTERFACE_NAME,
      address: `${tunnelIp}/${cidrPrefixLength(tunnelSubnet)}`,
      listenPort: assertPort(gateway.listenPort, 'listenPort'),
      mtu: TUNNEL_MTU,
      privateKeyParam:
        gateway.privateKeyParam === null
          ? null
          : assertSecretName(gateway.privateKeyParam, 'privateKeyParam'),
    },
    vpcCidr: assertCidr(gateway.vpcCidr, 'vpcCidr'),
    tunnelSubnet,
    peers: [...peers].sort(compareByName).map(renderPeer),
    // Road-warrior /32s sit inside the connected tunnel subnet: they need no route.
    routes: peeredPrefixes(peers),
    nftables: renderNftables(gateway, peers),
  };
}

/** The named set of the peered prefixes, which the hub rules read (`@peered`). */
const PEERED_SET = 'peered';

/**
 * The set's declaration, on one line: its elements are the only part of the ruleset that a peering
 * change touches, so the gateway applies such a change as `add element` / `delete element` instead
 * of loading the whole table (docs/DECISIONS.md "A peering change adds and deletes set elements").
 * Without peerings it has no `elements` clause: nft refuses an empty one.
 */
const peeredSetLine = (peered: string[]): string =>
  `  set ${PEERED_SET} { type ipv4_addr; flags interval;${peered.length === 0 ? '' : ` elements = { ${peered.join(', ')} };`} }`;

/**
 * The gateway's forwarding policy, as proven in reference/wg-netns-demo.sh. `$wg_if`, `$vpc_if` and
 * `$wan_if` are defined by the gateway script from the interface it configures and the instance's own
 * settings, so the rules always name the interfaces actually in use (VPG_WG_IF may differ from wg0).
 */
export function renderNftables(
  gateway: Pick<Gateway, 'vpcCidr' | 'tunnelSubnet'>,
  peers: PeerRecord[],
): string {
  const vpcCidr = assertCidr(gateway.vpcCidr, 'vpcCidr');
  const tunnelSubnet = assertCidr(gateway.tunnelSubnet, 'tunnelSubnet');
  return [
    'table inet vpc_peering {',
    peeredSetLine(peeredPrefixes(peers)),
    // Nothing that arrives through the tunnel opens a connection to the gateway itself (its tunnel,
    // VPC or WAN address): on AWS a packet inside the tunnel never meets the instance's security
    // groups, so a peered VPC, a peer's road-warrior or a compromised peer gateway would reach every
    // service of the host (docs/SECURITY.md "What reaches the gateway host"). Replies to the host's
    // own connections still come in. Other interfaces are the instance's own affair: accept.
    '  chain input {',
    '    type filter hook input priority filter; policy accept;',
    '    iifname $wg_if ct state established,related accept',
    '    iifname $wg_if drop',
    '  }',
    '  chain mss_clamp {',
    '    type filter hook forward priority mangle; policy accept;',
    // Leaving through the tunnel: the route MTU is wg0's. Entering from it: rt mtu would be the VPC
    // link's, so clamp to the tunnel's MSS so replies fit even if the far end did not clamp.
    '    oifname $wg_if tcp flags syn / syn,rst tcp option maxseg size set rt mtu',
    `    iifname $wg_if tcp flags syn / syn,rst tcp option maxseg size set ${TUNNEL_MSS}`,
    '  }',
    '  chain forward {',
    '    type filter hook forward priority filter; policy drop;',
    // Only what was masqueraded leaves through the WAN: a flow that went into the tunnel keeps its
    // conntrack entry when its peering is removed, and would otherwise follow the default route
    // out with its private source, in cleartext (docs/DECISIONS.md "The gateway's firewall fails
    // closed"). New flows are masqueraded before their second packet, so this never drops them.
    '    oifname $wan_if ct state established,related ct status ! snat drop',
    '    ct state established,related accept',
    `    iifname $vpc_if oifname $wg_if ip saddr ${vpcCidr} accept`,
    `    iifname $wg_if oifname $vpc_if ip daddr ${vpcCidr} accept`,
    // The gateway is a hub for its road-warriors only: they reach peered VPCs through it. Peered
    // VPCs never transit to each other (peering is not transitive). Written with no peering too (an
    // empty set matches nothing), so the first peering and the last one change elements only.
    `    iifname $wg_if oifname $wg_if ip saddr ${tunnelSubnet} ip daddr @${PEERED_SET} accept`,
    `    iifname $wg_if oifname $wg_if ip saddr @${PEERED_SET} ip daddr ${tunnelSubnet} accept`,
    '    iifname $vpc_if oifname $wan_if accept',
    '  }',
    '  chain postrouting {',
    '    type nat hook postrouting priority srcnat; policy accept;',
    // Internet egress only: traffic through wg0 keeps its source IP (NAT-free peering).
    '    oifname $wan_if masquerade',
    '  }',
    '}',
    '',
  ].join('\n');
}

export function renderClientConfig(input: {
  gateway: Gateway;
  peer: PeerRecord;
  privateKey: string | null;
  peeredVpcCidrs: string[];
}): string {
  const { gateway, peer, privateKey, peeredVpcCidrs } = input;
  if (peer.type !== 'road-warrior') throw new ValidationError('must be a road-warrior peer', 'peer.type');
  assertPeerName(peer);
  const allowedIps = dedupe(
    [gateway.vpcCidr, gateway.tunnelSubnet, ...peeredVpcCidrs].map((cidr) => assertCidr(cidr, 'allowedIps')),
  );
  const endpoint = assertEndpoint(`${gateway.publicIp}:${gateway.listenPort}`, 'endpoint');
  return [
    '[Interface]',
    privateKey === null
      ? '# PrivateKey = <insert your private key>'
      : `PrivateKey = ${assertKey(privateKey, 'privateKey')}`,
    `Address = ${parseIpAddress(peer.tunnelIp, 'peer.tunnelIp')}/32`,
    '',
    '[Peer]',
    `PublicKey = ${assertKey(gateway.publicKey, 'gateway.publicKey')}`,
    `Endpoint = ${endpoint}`,
    `AllowedIPs = ${allowedIps.join(', ')}`,
    `PersistentKeepalive = ${PERSISTENT_KEEPALIVE}`,
    '',
  ].join('\n');
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
  );
}

/** The members the document holds before its peers, one line each, in this order. */
const HEADER_MEMBERS = ['interface', 'nftables', 'routes', 'tunnelSubnet', 'vpcCidr'] as const;

/**
 * Stable, line-structured JSON (docs/ARCHITECTURE.md "Desired-state document"): keys sorted inside
 * every value, one line per member and one per peer, peers last. Equal states give equal bytes, and
 * a change of one peer changes one line: the gateway script applies a change by diffing the lines
 * against the last document it applied.
 */
export function serialiseState(state: GatewayDesiredState): string {
  const line = (value: unknown) => JSON.stringify(sortKeys(value));
  return [
    `{"schema":${line(state.schema)},"gatewayId":${line(state.gatewayId)},"generation":${line(state.generation)},`,
    ...HEADER_MEMBERS.map((member) => `${line(member)}:${line(state[member])},`),
    '"peers":[',
    ...state.peers.map((peer, index) => (index < state.peers.length - 1 ? `${line(peer)},` : line(peer))),
    ']}',
    '',
  ].join('\n');
}
