/**
 * The embedded runtime's gateway instances. Each registered instance is a local host that runs the
 * same gateway script the SSM document carries (gateway/assemble.ts, written once under the data dir):
 *
 * - wireguard mode (Linux, root, wireguard-go/wg/nft/ip): the host is a network namespace with
 *   wireguard-go `wg0`, a public leg `inet` on a shared "internet" bridge and a VPC leg `vpc` to one
 *   instance namespace. All public IPs form one L2 segment: each gateway holds its publicIp/32 and
 *   a default route `dev inet` (on-link), so any public IP is reached by ARP over the bridge,
 *   whatever /24 it belongs to.
 * - files mode (anywhere, or a gateway whose private key the control plane does not hold): the
 *   script writes its artifacts under the host's state directory without touching the network.
 *
 * wireguard-go and wg find their control socket at the hard-coded, not netns-aware,
 * /run/wireguard/<if>.sock; every command in a gateway namespace therefore runs under
 * `ip netns exec`, which gives it a private mount namespace, with the host's own directory
 * bind-mounted over /run/wireguard. The mount dies with the command: nothing to unmount.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeGatewayScript } from '../../gateway/assemble';
import { parseInstanceReport } from '../../lambdas/core/status';
import type { InstanceReport } from '../../lambdas/core/types';
import { nthHost, prefixLength } from './addresses';
import { killAndDeleteNamespaces, namespacesWithPrefix } from './namespaces';
import { missingCommands, mustRun, ProcessGroup, type RunResult, run } from './shell';

export interface HostGateway {
  id: string;
  instanceId: string;
  vpcCidr: string;
  tunnelSubnet: string;
  tunnelIp: string;
  publicIp: string;
  listenPort: number;
  privateKeyParam: string | null;
}

export type HostMode = 'wireguard' | 'files';

export interface LocalHostsOptions {
  /** Per-host state directories go under `<dataDir>/hosts`. */
  dataDir: string;
  /**
   * Where a host reads its secrets (a secret `/a/b` is the file `<dir>/a/b`): `secretsDir`, or the
   * instance's own directory when `secretsDirOf` is given (FileInstanceSecrets.directoryOf: an
   * instance reads only what was delivered to it, docs/SECURITY.md).
   */
  secretsDir: string;
  secretsDirOf?: (instanceId: string) => string;
  mode: 'auto' | HostMode;
  /** Prefix of every namespace created; defaults to a random `vpg<hex>`. */
  prefix?: string;
  log?: (msg: string) => void;
}

export interface ApplyArgs {
  gatewayId: string;
  generation: number;
  stateUri: string;
  stateSha256: string;
}

export interface HostInfo {
  mode: HostMode;
  stateDir: string;
  /** wireguard-mode hosts only. */
  gatewayNamespace?: string;
  instanceNamespace?: string;
  instanceIp?: string;
  internetNamespace?: string;
}

interface Host {
  gateway: HostGateway;
  mode: HostMode;
  dir: string;
  stateDir: string;
  /** Bind-mounted over /run/wireguard in the gateway namespace. */
  runDir: string;
  gatewayNamespace?: string;
  instanceNamespace?: string;
  instanceIp?: string;
}

export const WIREGUARD_COMMANDS = ['wireguard-go', 'wg', 'nft', 'ip'] as const;
const WG_IF = 'wg0';
const INSTANCE_HOST_NUMBER = 10;
/** Bound of wireguard-go's start-up (its socket appearing). */
const SOCKET_WAIT_MS = 5000;
const BIND_RUN_DIR = 'mount --bind "$1" /run/wireguard && shift && exec "$@"';

/** What real WireGuard hosts need that this machine lacks (empty when they can run). */
export function missingForWireguard(): string[] {
  const missing: string[] = [];
  if (process.platform !== 'linux') missing.push(`Linux (platform is ${process.platform})`);
  if (process.getuid?.() !== 0) missing.push('root');
  return [...missing, ...missingCommands(WIREGUARD_COMMANDS)];
}

function resolveMode(requested: LocalHostsOptions['mode']): HostMode {
  if (requested === 'files') return 'files';
  const missing = missingForWireguard();
  if (requested === 'wireguard' && missing.length > 0) {
    throw new Error(`WireGuard hosts need: ${missing.join(', ')}`);
  }
  return missing.length === 0 ? 'wireguard' : 'files';
}

const safeName = (instanceId: string) => instanceId.replace(/[^A-Za-z0-9._-]/g, '_');
/** A veth pair: `name` in `namespace`, `peerName` in `peerNamespace`. */
const addVethPair = (namespace: string, name: string, peerNamespace: string, peerName: string) =>
  mustRun([
    'ip',
    '-n',
    namespace,
    'link',
    'add',
    name,
    'type',
    'veth',
    'peer',
    'name',
    peerName,
    'netns',
    peerNamespace,
  ]);

/** `DATA_DIR/hosts/index.json`: gateway → host, for `npm run wg` and the start banner. */
export interface HostIndexEntry {
  gatewayId: string;
  instanceId: string;
  mode: HostMode;
  gatewayNamespace?: string;
  /** Bind-mounted over /run/wireguard inside the gateway namespace (where `wg` finds the socket). */
  runDir: string;
  stateDir: string;
}

export const HOST_INDEX_FILE = 'index.json';

export class LocalHosts {
  readonly mode: HostMode;
  /** Every namespace of this object starts with `<prefix>-` (recorded in DATA_DIR for crash clean-up). */
  readonly prefix: string;
  private readonly dataDir: string;
  private readonly secretsDir: string;
  private readonly secretsDirOf: (instanceId: string) => string;
  private readonly log: (msg: string) => void;
  private readonly processes = new ProcessGroup();
  private readonly hosts = new Map<string, Host>();
  /** In-flight ensureHost per instance, so concurrent callers share one creation. */
  private readonly ensuring = new Map<string, Promise<void>>();
  /** Gateway namespace -> the directory bind-mounted over /run/wireguard in it. */
  private readonly runDirs = new Map<string, string>();
  private internet?: Promise<string>;
  private nextIndex = 1;
  /** Bridge ports of addInternetHost legs, x<n> beside the gateways' g<index>. */
  private extraLegs = 0;
  /** The assembled gateway script, written at the first run. */
  private script?: string;

  constructor(options: LocalHostsOptions) {
    this.mode = resolveMode(options.mode);
    this.prefix = options.prefix ?? `vpg${randomBytes(3).toString('hex')}`;
    this.dataDir = resolve(options.dataDir);
    this.secretsDir = resolve(options.secretsDir);
    this.secretsDirOf = options.secretsDirOf ?? (() => this.secretsDir);
    this.log = options.log ?? (() => {});
  }

  ensureHost(gateway: HostGateway): Promise<void> {
    if (this.hosts.has(gateway.instanceId)) return Promise.resolve();
    const pending = this.ensuring.get(gateway.instanceId);
    if (pending) return pending;
    const creation = this.createHost(gateway).finally(() => this.ensuring.delete(gateway.instanceId));
    this.ensuring.set(gateway.instanceId, creation);
    return creation;
  }

  async apply(instanceId: string, args: ApplyArgs): Promise<RunResult> {
    return this.runScript(this.host(instanceId), [
      '--gateway-id',
      args.gatewayId,
      '--generation',
      String(args.generation),
      '--state-uri',
      args.stateUri,
      '--state-sha256',
      args.stateSha256,
    ]);
  }

  /** Runs the script's `--teardown` on the host (a deleted gateway: gateway/lib/teardown.sh). */
  tearDownGateway(instanceId: string, args: { gatewayId: string; generation: number }): Promise<RunResult> {
    return this.runScript(this.host(instanceId), [
      '--teardown',
      '--gateway-id',
      args.gatewayId,
      '--generation',
      String(args.generation),
    ]);
  }

  /** The instances of every host created so far. */
  instanceIds(): string[] {
    return [...this.hosts.keys()];
  }

  /** Runs the script's `--report` on the host, as the report command does on an instance. */
  runReport(instanceId: string): Promise<RunResult> {
    return this.runScript(this.host(instanceId), ['--report']);
  }

  /** The host's current status as its script reports it; undefined for an unknown instance. */
  async report(instanceId: string): Promise<InstanceReport | undefined> {
    if (!this.hosts.has(instanceId)) return undefined;
    const result = await this.runReport(instanceId);
    if (result.exitCode !== 0) throw new Error(`report of ${instanceId} failed: ${result.stderr.trim()}`);
    return parseReport(result.stdout);
  }

  hostInfo(instanceId: string): HostInfo | undefined {
    const host = this.hosts.get(instanceId);
    if (!host) return undefined;
    const { mode, stateDir, gatewayNamespace, instanceNamespace, instanceIp } = host;
    const internetNamespace = mode === 'wireguard' ? this.internetNamespace() : undefined;
    return { mode, stateDir, gatewayNamespace, instanceNamespace, instanceIp, internetNamespace };
  }

  /** Runs argv in one of this object's namespaces (gateway namespaces get their /run/wireguard). */
  exec(namespace: string, argv: readonly string[]): Promise<RunResult> {
    return run(this.inNamespace(namespace, argv));
  }

  /** Starts a long-lived process in a namespace; stopped by destroyHost/teardown. */
  spawn(namespace: string, argv: readonly string[]): ChildProcess {
    return this.processes.spawn(namespace, this.inNamespace(namespace, argv));
  }

  async destroyHost(instanceId: string): Promise<void> {
    await this.ensuring.get(instanceId)?.catch(() => {});
    const host = this.hosts.get(instanceId);
    if (!host) return;
    this.hosts.delete(instanceId);
    this.writeIndex();
    await this.deleteNamespaces(namespacesOf(host));
    rmSync(host.dir, { recursive: true, force: true });
    this.log(`host ${instanceId} destroyed`);
  }

  /**
   * Adds namespace `name` with a leg on the internet bridge at `address/24`, for hosts beside the
   * gateways (an external server, a road-warrior client). Its caller deletes it: unless `name`
   * carries this object's prefix, teardown leaves it alone.
   */
  async addInternetHost(name: string, address: string): Promise<void> {
    const internet = await this.ensureInternet();
    await this.addNamespace(name);
    this.extraLegs += 1;
    await this.addBridgeLeg(name, internet, `x${this.extraLegs}`, `${address}/24`);
  }

  /** Stops every process and deletes every namespace of this prefix. Idempotent. */
  async teardown(): Promise<void> {
    await Promise.all([...this.ensuring.values()].map((p) => p.catch(() => {})));
    this.hosts.clear();
    this.writeIndex();
    await this.processes.stopAll();
    if (this.mode === 'wireguard') await this.deleteNamespaces(await this.ownNamespaces());
    this.internet = undefined;
  }

  /** Gateway → host of every live host. */
  index(): HostIndexEntry[] {
    return [...this.hosts.values()].map((host) => ({
      gatewayId: host.gateway.id,
      instanceId: host.gateway.instanceId,
      mode: host.mode,
      ...(host.gatewayNamespace ? { gatewayNamespace: host.gatewayNamespace } : {}),
      runDir: host.runDir,
      stateDir: host.stateDir,
    }));
  }

  private writeIndex(): void {
    const path = join(this.dataDir, 'hosts', HOST_INDEX_FILE);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(`${path}.tmp`, `${JSON.stringify(this.index(), null, 2)}\n`);
    renameSync(`${path}.tmp`, path);
  }

  private host(instanceId: string): Host {
    const host = this.hosts.get(instanceId);
    if (!host) throw new Error(`No local host for instance ${instanceId}`);
    return host;
  }

  private async createHost(gateway: HostGateway): Promise<void> {
    const dir = join(this.dataDir, 'hosts', safeName(gateway.instanceId));
    const host: Host = {
      gateway,
      // Without the private key the control plane cannot configure a real interface.
      mode: this.mode === 'wireguard' && gateway.privateKeyParam !== null ? 'wireguard' : 'files',
      dir,
      stateDir: join(dir, 'state'),
      runDir: join(dir, 'run'),
    };
    mkdirSync(host.stateDir, { recursive: true, mode: 0o700 });
    if (host.mode === 'wireguard') await this.createNamespaces(host, this.nextIndex++);
    this.hosts.set(gateway.instanceId, host);
    this.writeIndex();
    this.log(`host ${gateway.instanceId} (${gateway.id}) ready in ${host.mode} mode`);
    if (host.mode === 'wireguard' && existsSync(join(host.stateDir, 'state.json'))) await this.restore(host);
  }

  /** A fresh namespace after a restart gets what the host had applied, as a rebooted gateway would. */
  private async restore(host: Host): Promise<void> {
    const result = await this.runScript(host, ['--restore']);
    if (result.exitCode !== 0)
      this.log(`restore of ${host.gateway.instanceId} failed: ${result.stderr.trim()}`);
  }

  private async createNamespaces(host: Host, index: number): Promise<void> {
    const { gateway } = host;
    const internet = await this.ensureInternet();
    const gw = `${this.prefix}-gw${index}`;
    const vm = `${this.prefix}-vm${index}`;
    const gatewayVpcIp = nthHost(gateway.vpcCidr, 1);
    const instanceIp = nthHost(gateway.vpcCidr, INSTANCE_HOST_NUMBER);
    const bits = prefixLength(gateway.vpcCidr);
    Object.assign(host, { gatewayNamespace: gw, instanceNamespace: vm, instanceIp });
    this.runDirs.set(gw, host.runDir);
    try {
      await this.addNamespace(gw);
      await this.addNamespace(vm);
      await this.addBridgeLeg(gw, internet, `g${index}`, `${gateway.publicIp}/32`);
      await mustRun(['ip', '-n', gw, 'route', 'add', 'default', 'dev', 'inet']);
      // VPC leg: gw:vpc (first host) <-> instance:eth0 (10th host), default route via the gateway.
      await addVethPair(gw, 'vpc', vm, 'eth0');
      await mustRun(['ip', '-n', gw, 'addr', 'add', `${gatewayVpcIp}/${bits}`, 'dev', 'vpc']);
      await mustRun(['ip', '-n', gw, 'link', 'set', 'vpc', 'up']);
      await mustRun(['ip', '-n', vm, 'addr', 'add', `${instanceIp}/${bits}`, 'dev', 'eth0']);
      await mustRun(['ip', '-n', vm, 'link', 'set', 'eth0', 'up']);
      await mustRun(['ip', '-n', vm, 'route', 'add', 'default', 'via', gatewayVpcIp]);
      await this.startWireguard(host, gw);
    } catch (error) {
      await this.deleteNamespaces([gw, vm]);
      throw error;
    }
  }

  /** Public leg: namespace:inet <-> internet:bridgePort on the bridge, one L2 segment for every public IP. */
  private async addBridgeLeg(namespace: string, internet: string, bridgePort: string, address: string) {
    await addVethPair(namespace, 'inet', internet, bridgePort);
    await mustRun(['ip', '-n', internet, 'link', 'set', bridgePort, 'master', 'br0', 'up']);
    await mustRun(['ip', '-n', namespace, 'addr', 'add', address, 'dev', 'inet']);
    await mustRun(['ip', '-n', namespace, 'link', 'set', 'inet', 'up']);
  }

  private async startWireguard(host: Host, namespace: string): Promise<void> {
    mkdirSync('/run/wireguard', { recursive: true });
    mkdirSync(host.runDir, { recursive: true, mode: 0o700 });
    const socket = join(host.runDir, `${WG_IF}.sock`);
    rmSync(socket, { force: true });
    const child = this.processes.spawn(namespace, this.inNamespace(namespace, ['wireguard-go', WG_IF]), {
      ...process.env,
      WG_PROCESS_FOREGROUND: '1',
    });
    let output = '';
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-2000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    for (let waited = 0; !existsSync(socket); waited += 20) {
      if (child.exitCode !== null || waited >= SOCKET_WAIT_MS) {
        await this.processes.stop(child);
        throw new Error(`wireguard-go did not start in ${namespace}: ${output.trim()}`);
      }
      await sleep(20);
    }
  }

  private ensureInternet(): Promise<string> {
    this.internet ??= (async () => {
      const name = this.internetNamespace();
      // Leftovers of an aborted run with the same prefix (a fixed prefix makes them findable).
      await this.deleteNamespaces(await this.ownNamespaces());
      await this.addNamespace(name);
      await mustRun(['ip', '-n', name, 'link', 'add', 'br0', 'type', 'bridge']);
      await mustRun(['ip', '-n', name, 'link', 'set', 'br0', 'up']);
      return name;
    })();
    this.internet.catch(() => {
      this.internet = undefined;
    });
    return this.internet;
  }

  private internetNamespace(): string {
    return `${this.prefix}-inet`;
  }

  private async addNamespace(name: string): Promise<void> {
    await mustRun(['ip', 'netns', 'add', name]);
    await mustRun(['ip', '-n', name, 'link', 'set', 'lo', 'up']);
  }

  private ownNamespaces(): Promise<string[]> {
    return namespacesWithPrefix(this.prefix);
  }

  /** Stops the processes inside (ours, then any stray), then deletes the namespaces and their links. */
  private async deleteNamespaces(names: readonly string[]): Promise<void> {
    await this.processes.stopAll(names);
    await killAndDeleteNamespaces(names);
    for (const name of names) this.runDirs.delete(name);
  }

  private runScript(host: Host, args: readonly string[]): Promise<RunResult> {
    const env = {
      ...process.env,
      VPG_MODE: host.mode,
      VPG_STATE_DIR: host.stateDir,
      VPG_SECRET_SOURCE: `dir:${resolve(this.secretsDirOf(host.gateway.instanceId))}`,
      VPG_VPC_IF: 'vpc',
      VPG_WAN_IF: 'inet',
      VPG_WG_IF: WG_IF,
    };
    this.script ??= writeGatewayScript(this.dataDir);
    const argv = ['bash', this.script, ...args];
    return run(host.gatewayNamespace ? this.inNamespace(host.gatewayNamespace, argv) : argv, env);
  }

  private inNamespace(namespace: string, argv: readonly string[]): string[] {
    const runDir = this.runDirs.get(namespace);
    if (runDir) return ['ip', 'netns', 'exec', namespace, 'sh', '-c', BIND_RUN_DIR, 'sh', runDir, ...argv];
    return ['ip', 'netns', 'exec', namespace, ...argv];
  }
}

function namespacesOf(host: Host): string[] {
  return [host.gatewayNamespace, host.instanceNamespace].filter((n): n is string => n !== undefined);
}

/** The report on the script's last stdout line, read as the control plane reads it (core/status.ts). */
export function parseReport(stdout: string): InstanceReport {
  const report = parseInstanceReport(stdout);
  if (!report)
    throw new Error(`The gateway script printed no report: ${stdout.trim().split('\n').pop() ?? ''}`);
  return report;
}
