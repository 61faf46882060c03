/** Hand-built desired-state documents and a throw-away secret store for the gateway script tests. */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { writeGatewayScript } from '../../gateway/assemble';
import { type GatewayDesiredState, renderNftables, serialiseState } from '../../lambdas/core/render';
import { type HostGateway, LocalHosts, missingForWireguard, type RunResult } from '../../runtime/hosts';
import { run } from '../../runtime/hosts/shell';

/** The gateway script as instances get it: assembled from its parts, once per test file. */
export const SCRIPT = writeGatewayScript(mkdtempSync(join(tmpdir(), 'vpg-script-')));

export interface KeyPair {
  privateKey: string;
  publicKey: string;
}

export function genKeyPair(): KeyPair {
  const privateKey = execFileSync('wg', ['genkey']).toString().trim();
  const publicKey = execFileSync('wg', ['pubkey'], { input: privateKey }).toString().trim();
  return { privateKey, publicKey };
}

export const genPsk = (): string => execFileSync('wg', ['genpsk']).toString().trim();

export function tempDir(label: string): string {
  return mkdtempSync(join(tmpdir(), `vpg-${label}-`));
}

/** The local secret store layout: `/a/b` is `<dir>/a/b`, 0600, no trailing newline. */
export function writeSecret(secretsDir: string, name: string, value: string): void {
  const file = join(secretsDir, name);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, value, { mode: 0o600 });
}

/** The private key name of gateway `gatewayId`: the only one the script accepts for its interface. */
export const gatewayKeyParam = (gatewayId: string): string =>
  `/vpc-peering/gateways/${gatewayId}/private-key`;

/**
 * The preshared key name of peer entry `peerName` (`vpc-peering-<peeringId>`), as core/render.ts
 * names it: `/vpc-peering/peerings/<peeringId>/psk`. The script refuses any other name for that
 * peer (own_psk: a gateway only receives its own peerings' keys).
 */
export function peeringPskParam(peerName: string): string {
  if (!peerName.startsWith('vpc-peering-')) throw new Error(`not a vpc-peering peer entry: ${peerName}`);
  return `/vpc-peering/peerings/${peerName.slice('vpc-peering-'.length)}/psk`;
}

export interface DocPeer {
  name: string;
  publicKey: string;
  presharedKeyParam: string | null;
  allowedIps: string[];
  endpoint: string | null;
}

/** A WireGuard public key; numberedPeer's keys are it with their number in front. */
export const NUMBERED_KEY = 'yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=';

/** Peer `n` of a document, with a fixed key and one allowed IP (for tests that run no WireGuard). */
export const numberedPeer = (n: number, allowedIp = `100.64.0.${n}/32`): DocPeer => ({
  name: `peer-${n}`,
  publicKey: `${String(n).padStart(2, '0')}${NUMBERED_KEY.slice(2)}`,
  presharedKeyParam: null,
  allowedIps: [allowedIp],
  endpoint: null,
});

export interface DocGateway {
  id: string;
  vpcCidr: string;
  tunnelSubnet: string;
  tunnelIp: string;
  listenPort: number;
  privateKeyParam: string | null;
}

/** The gateway most tests apply documents to (a HostGateway is also a DocGateway). */
export const GATEWAY_A: HostGateway = {
  id: 'gw-a',
  instanceId: 'i-aaaa',
  vpcCidr: '10.10.0.0/16',
  tunnelSubnet: '100.64.0.0/24',
  tunnelIp: '100.64.0.1',
  publicIp: '203.0.113.1',
  listenPort: 51820,
  privateKeyParam: gatewayKeyParam('gw-a'),
};

/** The desired state of a gateway holding `peers` (vpc-peering entries routed through wg0). */
export function desiredState(gateway: DocGateway, generation: number, peers: DocPeer[]): GatewayDesiredState {
  const prefixLength = gateway.tunnelSubnet.split('/')[1];
  return {
    schema: 1,
    gatewayId: gateway.id,
    generation,
    interface: {
      name: 'wg0',
      address: `${gateway.tunnelIp}/${prefixLength}`,
      listenPort: gateway.listenPort,
      mtu: 1420,
      privateKeyParam: gateway.privateKeyParam,
    },
    vpcCidr: gateway.vpcCidr,
    tunnelSubnet: gateway.tunnelSubnet,
    peers: peers.map((peer) => ({ ...peer, type: 'vpc-peering', persistentKeepalive: 25 })),
    routes: peers.flatMap((peer) => peer.allowedIps),
    // The control plane's own ruleset (no road-warriors here, so no hub rules).
    nftables: renderNftables(gateway, []),
  };
}

/**
 * A desired-state document as the control plane writes it (`canonical`, one line per member and per
 * peer), or as one compact JSON line: valid, but not a layout the script's delta path accepts.
 */
export function stateDocument(
  gateway: DocGateway,
  generation: number,
  peers: DocPeer[],
  layout: 'canonical' | 'compact' = 'canonical',
): string {
  const state = desiredState(gateway, generation, peers);
  return layout === 'canonical' ? serialiseState(state) : JSON.stringify(state);
}

export interface Published {
  stateUri: string;
  stateSha256: string;
}

/** Writes a document where the config store would (`gateways/<id>/<generation>.json`): its URI and digest. */
export function publish(dir: string, gatewayId: string, generation: number, document: string): Published {
  const file = join(dir, 'gateways', gatewayId, `${String(generation).padStart(12, '0')}.json`);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, document);
  return { stateUri: `file://${file}`, stateSha256: createHash('sha256').update(document).digest('hex') };
}

/** The script's arguments naming a published document. */
export const stateArgs = (published: Published): string[] => [
  '--state-uri',
  published.stateUri,
  '--state-sha256',
  published.stateSha256,
];

/** Runs the script with `env` added to this process's environment. */
export function runScript(args: string[], env: Record<string, string>): Promise<RunResult> {
  return run(['bash', SCRIPT, ...args], { ...process.env, ...env });
}

/** A files-mode instance in a fresh temporary folder: where its state and secrets live, and the script's environment. */
export interface FilesInstance {
  root: string;
  stateDir: string;
  secretsDir: string;
  env: Record<string, string>;
}

/** A files-mode instance; `env` adds to (or overrides) the script's environment. */
export function filesInstance(label: string, env: Record<string, string> = {}): FilesInstance {
  const root = tempDir(label);
  const stateDir = join(root, 'state');
  const secretsDir = join(root, 'secrets');
  return {
    root,
    stateDir,
    secretsDir,
    env: {
      VPG_MODE: 'files',
      VPG_STATE_DIR: stateDir,
      VPG_SECRET_SOURCE: `dir:${secretsDir}`,
      // Never the machine's own /etc/vpc-peering/gateway.env.
      VPG_ENV_FILE: join(root, 'gateway.env'),
      ...env,
    },
  };
}

/**
 * GATEWAY_A as a files-mode instance holding peering p1: its keys written to the instance's secret
 * store, and `apply` of a generation (by default with p1 only) as the control plane publishes it,
 * in the instance's environment or `env`.
 */
export function filesGatewayA(label: string) {
  const instance = filesInstance(label);
  const privateKey = genKeyPair().privateKey;
  const psk = genPsk();
  writeSecret(instance.secretsDir, '/vpc-peering/gateways/gw-a/private-key', privateKey);
  writeSecret(instance.secretsDir, '/vpc-peering/peerings/p1/psk', psk);
  const peer = peeringP1Peer();
  const apply = (
    generation: number,
    peers: DocPeer[] = [peer],
    target: DocGateway = GATEWAY_A,
    env: Record<string, string> = instance.env,
  ) =>
    runScript(
      [
        '--gateway-id',
        target.id,
        '--generation',
        String(generation),
        ...stateArgs(publish(instance.root, target.id, generation, stateDocument(target, generation, peers))),
      ],
      env,
    );
  /** The generation applied.json records. */
  const appliedGeneration = () =>
    (JSON.parse(readFileSync(join(instance.stateDir, 'applied.json'), 'utf8')) as { generation: number })
      .generation;
  return { ...instance, privateKey, psk, peer, apply, appliedGeneration };
}

/** GATEWAY_A's peer entry for peering p1 (the VPC 172.16.0.0/16 behind 203.0.113.2), with a fresh key. */
export function peeringP1Peer(): DocPeer {
  return {
    name: 'vpc-peering-p1',
    publicKey: genKeyPair().publicKey,
    presharedKeyParam: '/vpc-peering/peerings/p1/psk',
    allowedIps: ['172.16.0.0/16', '100.64.1.0/24'],
    endpoint: '203.0.113.2:51820',
  };
}

export interface WireguardHost {
  /** Temporary folder of the host's data, secrets and published documents. */
  root: string;
  secretsDir: string;
  hosts: LocalHosts;
  /** Runs argv in the gateway's namespace. */
  inGateway(argv: string[]): Promise<RunResult>;
}

/**
 * A real WireGuard host for `gateway` (wireguard-go in namespaces named `<prefix>-…`), its private
 * key in a fresh secret store. Throws, naming what is missing, where real hosts cannot run.
 */
export async function startWireguardHost(
  gateway: HostGateway,
  label: string,
  prefix: string,
): Promise<WireguardHost> {
  const missing = missingForWireguard();
  if (missing.length > 0)
    throw new Error(`This suite needs real WireGuard hosts; missing: ${missing.join(', ')}`);
  const root = tempDir(label);
  const secretsDir = join(root, 'secrets');
  writeSecret(secretsDir, gateway.privateKeyParam ?? '', genKeyPair().privateKey);
  return wireguardHostIn(root, gateway, prefix);
}

/** Stops `wg`'s host and removes its folder (an afterAll: `wg` is undefined when it never started). */
export async function removeWireguardHost(wg: WireguardHost | undefined): Promise<void> {
  if (!wg) return;
  await wg.hosts.teardown();
  rmSync(wg.root, { recursive: true, force: true });
}

/** The output of argv run in `wg`'s gateway namespace; a failure throws with its stderr. */
export async function outputInGateway(wg: WireguardHost, argv: string[]): Promise<string> {
  const result = await wg.inGateway(argv);
  if (result.exitCode !== 0) throw new Error(`${argv.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

/**
 * The host of `wg` rebooted: its namespaces and processes go, then a new host over the same state
 * directory comes up and restores what it had applied (`--restore`), as a rebooted instance does.
 */
export async function rebootWireguardHost(
  wg: WireguardHost,
  gateway: HostGateway,
  prefix: string,
): Promise<WireguardHost> {
  await wg.hosts.teardown();
  return wireguardHostIn(wg.root, gateway, prefix);
}

async function wireguardHostIn(root: string, gateway: HostGateway, prefix: string): Promise<WireguardHost> {
  const secretsDir = join(root, 'secrets');
  const hosts = new LocalHosts({ dataDir: join(root, 'data'), secretsDir, mode: 'wireguard', prefix });
  await hosts.ensureHost(gateway);
  const inGateway = (argv: string[]) => {
    const namespace = hosts.hostInfo(gateway.instanceId)?.gatewayNamespace;
    if (!namespace) throw new Error('no gateway namespace');
    return hosts.exec(namespace, argv);
  };
  return { root, secretsDir, hosts, inGateway };
}
