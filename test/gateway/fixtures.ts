/** Hand-built desired-state documents and a throw-away secret store for the gateway script tests. */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { writeGatewayScript } from '../../gateway/assemble';
import { type GatewayDesiredState, serialiseState } from '../../lambdas/core/render';
import { type HostGateway, LocalHosts, missingForWireguard, type RunResult } from '../../runtime/hosts';

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

export interface DocPeer {
  name: string;
  publicKey: string;
  presharedKeyParam: string | null;
  allowedIps: string[];
  endpoint: string | null;
}

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
  privateKeyParam: '/vpc-peering/gateways/gw-a/private-key',
};

/** The demo's ruleset, written against $wg_if/$vpc_if/$wan_if as core/render.ts renders it. */
export function ruleset(vpcCidr: string): string {
  return `table inet vpc_peering {
  chain fwd_mangle {
    type filter hook forward priority mangle; policy accept;
    oifname $wg_if tcp flags syn / syn,rst tcp option maxseg size set rt mtu
  }
  chain forward {
    type filter hook forward priority filter; policy drop;
    ct state established,related accept
    iifname $vpc_if oifname $wg_if ip saddr ${vpcCidr} accept
    iifname $wg_if oifname $vpc_if ip daddr ${vpcCidr} accept
    iifname $vpc_if oifname $wan_if accept
  }
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    oifname $wan_if masquerade
  }
}`;
}

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
    nftables: ruleset(gateway.vpcCidr),
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

/** Writes a document as the config store would and returns its file:// URI. */
export function publish(dir: string, gatewayId: string, generation: number, document: string): string {
  const file = join(dir, `${gatewayId}-${generation}.json`);
  writeFileSync(file, document);
  return `file://${file}`;
}

export interface ScriptResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs the script; `pid` is reported as soon as it starts (for the lock test). */
export function runScript(
  args: string[],
  env: Record<string, string>,
  onStart?: (pid: number) => void,
): Promise<ScriptResult> {
  return new Promise((done, fail) => {
    const child = spawn('bash', [SCRIPT, ...args], { env: { ...process.env, ...env } });
    if (child.pid !== undefined) onStart?.(child.pid);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.on('error', fail);
    child.on('close', (code) => done({ exitCode: code ?? 1, stdout, stderr }));
  });
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
