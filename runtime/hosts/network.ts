/**
 * The network of wireguard-mode hosts: network namespaces named `<prefix>-…`, the processes inside
 * them, and the /run/wireguard each gateway namespace needs.
 *
 * Each gateway is a namespace with wireguard-go `wg0`, a public leg `inet` on a shared "internet"
 * bridge and a VPC leg `vpc` to one instance namespace. All public IPs form one L2 segment: each
 * gateway holds its publicIp/32 and a default route `dev inet` (on-link), so any public IP is
 * reached by ARP over the bridge, whatever /24 it belongs to.
 *
 * wireguard-go and wg find their control socket at the hard-coded, not netns-aware,
 * /run/wireguard/<if>.sock; every command in a gateway namespace therefore runs under
 * `ip netns exec`, which gives it a private mount namespace, with the host's own directory
 * bind-mounted over /run/wireguard. The mount dies with the command: nothing to unmount.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { nthHost, prefixLength } from './addresses';
import { type HostGateway, type HostMode, type HostNamespaces, WG_IF } from './host';
import { killAndDeleteNamespaces, namespacesWithPrefix } from './namespaces';
import { missingCommands, mustRun, ProcessGroup } from './shell';

const WIREGUARD_COMMANDS = ['wireguard-go', 'wg', 'nft', 'ip'] as const;
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

/** `auto` is wireguard where it can run, else files; `wireguard` where it cannot is an error. */
export function resolveMode(requested: 'auto' | HostMode): HostMode {
  if (requested === 'files') return 'files';
  const missing = missingForWireguard();
  if (requested === 'wireguard' && missing.length > 0) {
    throw new Error(`WireGuard hosts need: ${missing.join(', ')}`);
  }
  return missing.length === 0 ? 'wireguard' : 'files';
}

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

export class HostNetwork {
  private readonly processes = new ProcessGroup();
  /** Gateway namespace -> the directory bind-mounted over /run/wireguard in it. */
  private readonly runDirs = new Map<string, string>();
  private internet?: Promise<string>;
  private nextIndex = 1;
  /** Bridge ports of addInternetHost legs, x<n> beside the gateways' g<index>. */
  private extraLegs = 0;

  /** Every namespace starts with `<prefix>-`. */
  constructor(readonly prefix: string) {}

  get internetNamespace(): string {
    return `${this.prefix}-inet`;
  }

  /**
   * The gateway's namespace (its `wg0` up, wireguard-go's socket in `runDir`) and its instance's,
   * joined by the VPC leg. A failure deletes both.
   */
  async addGateway(gateway: HostGateway, runDir: string): Promise<HostNamespaces> {
    const index = this.nextIndex++;
    const internet = await this.ensureInternet();
    const gw = `${this.prefix}-gw${index}`;
    const vm = `${this.prefix}-vm${index}`;
    const gatewayVpcIp = nthHost(gateway.vpcCidr, 1);
    const instanceIp = nthHost(gateway.vpcCidr, INSTANCE_HOST_NUMBER);
    const bits = prefixLength(gateway.vpcCidr);
    this.runDirs.set(gw, runDir);
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
      await this.startWireguard(runDir, gw);
    } catch (error) {
      await this.deleteNamespaces([gw, vm]);
      throw error;
    }
    return { gatewayNamespace: gw, instanceNamespace: vm, instanceIp };
  }

  /**
   * Adds namespace `name` with a leg on the internet bridge at `address/24`, for hosts beside the
   * gateways (an external server, a road-warrior client). Its caller deletes it: unless `name`
   * carries this prefix, teardown leaves it alone.
   */
  async addInternetHost(name: string, address: string): Promise<void> {
    const internet = await this.ensureInternet();
    await this.addNamespace(name);
    this.extraLegs += 1;
    await this.addBridgeLeg(name, internet, `x${this.extraLegs}`, `${address}/24`);
  }

  /** argv as run inside `namespace` (gateway namespaces get their /run/wireguard). */
  inNamespace(namespace: string, argv: readonly string[]): string[] {
    const runDir = this.runDirs.get(namespace);
    if (runDir) return ['ip', 'netns', 'exec', namespace, 'sh', '-c', BIND_RUN_DIR, 'sh', runDir, ...argv];
    return ['ip', 'netns', 'exec', namespace, ...argv];
  }

  /** Starts a long-lived process in a namespace; stopped with its namespace or by teardown. */
  spawn(namespace: string, argv: readonly string[], env?: NodeJS.ProcessEnv): ChildProcess {
    return this.processes.spawn(namespace, this.inNamespace(namespace, argv), env);
  }

  /** Stops the processes inside (ours, then any stray), then deletes the namespaces and their links. */
  async deleteNamespaces(names: readonly string[]): Promise<void> {
    await this.processes.stopAll(names);
    await killAndDeleteNamespaces(names);
    for (const name of names) this.runDirs.delete(name);
  }

  /** Stops every process; with `namespaces`, deletes every namespace of this prefix too. */
  async teardown({ namespaces }: { namespaces: boolean }): Promise<void> {
    await this.processes.stopAll();
    if (namespaces) await this.deleteNamespaces(await namespacesWithPrefix(this.prefix));
    this.internet = undefined;
  }

  /** Public leg: namespace:inet <-> internet:bridgePort on the bridge, one L2 segment for every public IP. */
  private async addBridgeLeg(namespace: string, internet: string, bridgePort: string, address: string) {
    await addVethPair(namespace, 'inet', internet, bridgePort);
    await mustRun(['ip', '-n', internet, 'link', 'set', bridgePort, 'master', 'br0', 'up']);
    await mustRun(['ip', '-n', namespace, 'addr', 'add', address, 'dev', 'inet']);
    await mustRun(['ip', '-n', namespace, 'link', 'set', 'inet', 'up']);
  }

  private async startWireguard(runDir: string, namespace: string): Promise<void> {
    mkdirSync('/run/wireguard', { recursive: true });
    mkdirSync(runDir, { recursive: true, mode: 0o700 });
    const socket = join(runDir, `${WG_IF}.sock`);
    rmSync(socket, { force: true });
    const child = this.spawn(namespace, ['wireguard-go', WG_IF], {
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
      const name = this.internetNamespace;
      // Leftovers of an aborted run with the same prefix (a fixed prefix makes them findable).
      await this.deleteNamespaces(await namespacesWithPrefix(this.prefix));
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

  private async addNamespace(name: string): Promise<void> {
    await mustRun(['ip', 'netns', 'add', name]);
    await mustRun(['ip', '-n', name, 'link', 'set', 'lo', 'up']);
  }
}
