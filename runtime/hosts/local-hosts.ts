/**
 * The embedded runtime's gateway instances. Each registered instance is a local host that runs the
 * same gateway script the SSM document carries (host-script.ts):
 *
 * - wireguard mode (Linux, root, wireguard-go/wg/nft/ip): the host is a gateway network namespace
 *   with a real `wg0` and an instance namespace behind it (network.ts).
 * - files mode (anywhere, or a gateway whose private key the control plane does not hold): the
 *   script writes its artifacts under the host's state directory without touching the network.
 *
 * This file keeps the hosts' lifecycle (create, restore, destroy, teardown) and their index
 * (host-index.ts); the command bus (command-bus.ts) drives them as SSM drives instances.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { InstanceReport } from '../../lambdas/core/types';
import { type RuntimeLog, silentLog } from '../runtime-log';
import {
  type ApplyArgs,
  type Host,
  type HostGateway,
  type HostInfo,
  type HostMode,
  hostDirectoryName,
  namespacesOf,
} from './host';
import { type HostIndexEntry, indexEntry, writeHostIndex } from './host-index';
import { HostScript, parseReport } from './host-script';
import { HostNetwork, resolveMode } from './network';
import { type RunResult, run } from './shell';

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
  /** Its notices (a host built, destroyed, a restore that failed); default: none. */
  log?: RuntimeLog;
}

export class LocalHosts {
  readonly mode: HostMode;
  /** Every namespace of this object starts with `<prefix>-` (recorded in DATA_DIR for crash clean-up). */
  readonly prefix: string;
  private readonly dataDir: string;
  private readonly log: RuntimeLog;
  private readonly network: HostNetwork;
  private readonly script: HostScript;
  private readonly hosts = new Map<string, Host>();
  /** In-flight ensureHost per instance, so concurrent callers share one creation. */
  private readonly ensuring = new Map<string, Promise<void>>();

  constructor(options: LocalHostsOptions) {
    this.mode = resolveMode(options.mode);
    this.prefix = options.prefix ?? `vpg${randomBytes(3).toString('hex')}`;
    this.dataDir = resolve(options.dataDir);
    const secretsDir = resolve(options.secretsDir);
    this.log = options.log ?? silentLog;
    this.network = new HostNetwork(this.prefix);
    this.script = new HostScript({
      dataDir: this.dataDir,
      secretsDirOf: options.secretsDirOf ?? (() => secretsDir),
      network: this.network,
    });
  }

  ensureHost(gateway: HostGateway): Promise<void> {
    if (this.hosts.has(gateway.instanceId)) return Promise.resolve();
    const pending = this.ensuring.get(gateway.instanceId);
    if (pending) return pending;
    const creation = this.createHost(gateway).finally(() => this.ensuring.delete(gateway.instanceId));
    this.ensuring.set(gateway.instanceId, creation);
    return creation;
  }

  apply(instanceId: string, args: ApplyArgs): Promise<RunResult> {
    return this.script.apply(this.host(instanceId), args);
  }

  /** Runs the script's `--teardown` on the host (a deleted gateway: gateway/lib/teardown.sh). */
  tearDownGateway(instanceId: string, args: { gatewayId: string; generation: number }): Promise<RunResult> {
    return this.script.teardown(this.host(instanceId), args);
  }

  /** The instances of every host created so far. */
  instanceIds(): string[] {
    return [...this.hosts.keys()];
  }

  /** Runs the script's `--report` on the host, as the report command does on an instance. */
  runReport(instanceId: string): Promise<RunResult> {
    return this.script.report(this.host(instanceId));
  }

  /** Runs the script's `--restore` on the host, as a rebooted instance's boot unit does. */
  runRestore(instanceId: string): Promise<RunResult> {
    return this.script.restore(this.host(instanceId));
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
    const internetNamespace = mode === 'wireguard' ? this.network.internetNamespace : undefined;
    return { mode, stateDir, gatewayNamespace, instanceNamespace, instanceIp, internetNamespace };
  }

  /** Runs argv in one of this object's namespaces (gateway namespaces get their /run/wireguard). */
  exec(namespace: string, argv: readonly string[]): Promise<RunResult> {
    return run(this.network.inNamespace(namespace, argv));
  }

  /** Starts a long-lived process in a namespace; stopped by destroyHost/teardown. */
  spawn(namespace: string, argv: readonly string[]): ChildProcess {
    return this.network.spawn(namespace, argv);
  }

  async destroyHost(instanceId: string): Promise<void> {
    await this.ensuring.get(instanceId)?.catch(() => {});
    const host = this.hosts.get(instanceId);
    if (!host) return;
    this.hosts.delete(instanceId);
    this.writeIndex();
    await this.network.deleteNamespaces(namespacesOf(host));
    rmSync(host.dir, { recursive: true, force: true });
    this.log.info('gateway host destroyed', { instanceId });
  }

  /** HostNetwork.addInternetHost: a namespace on the internet bridge, deleted by its caller. */
  addInternetHost(name: string, address: string): Promise<void> {
    return this.network.addInternetHost(name, address);
  }

  /** Stops every process and deletes every namespace of this prefix. Idempotent. */
  async teardown(): Promise<void> {
    await Promise.all([...this.ensuring.values()].map((p) => p.catch(() => {})));
    this.hosts.clear();
    this.writeIndex();
    await this.network.teardown({ namespaces: this.mode === 'wireguard' });
  }

  /** Gateway → host of every live host. */
  index(): HostIndexEntry[] {
    return [...this.hosts.values()].map(indexEntry);
  }

  private writeIndex(): void {
    writeHostIndex(this.dataDir, this.index());
  }

  private host(instanceId: string): Host {
    const host = this.hosts.get(instanceId);
    if (!host) throw new Error(`No local host for instance ${instanceId}`);
    return host;
  }

  private async createHost(gateway: HostGateway): Promise<void> {
    const dir = join(this.dataDir, 'hosts', hostDirectoryName(gateway.instanceId));
    const host: Host = {
      gateway,
      // Without the private key the control plane cannot configure a real interface.
      mode: this.mode === 'wireguard' && gateway.privateKeyParam !== null ? 'wireguard' : 'files',
      dir,
      stateDir: join(dir, 'state'),
      runDir: join(dir, 'run'),
    };
    mkdirSync(host.stateDir, { recursive: true, mode: 0o700 });
    if (host.mode === 'wireguard') Object.assign(host, await this.network.addGateway(gateway, host.runDir));
    this.hosts.set(gateway.instanceId, host);
    this.writeIndex();
    this.log.info('gateway host ready', {
      gatewayId: gateway.id,
      instanceId: gateway.instanceId,
      mode: host.mode,
    });
    if (host.mode === 'wireguard' && existsSync(join(host.stateDir, 'state.json'))) await this.restore(host);
  }

  /** A fresh namespace after a restart gets what the host had applied, as a rebooted gateway would. */
  private async restore(host: Host): Promise<void> {
    const result = await this.script.restore(host);
    if (result.exitCode !== 0)
      this.log.warn('gateway host not restored', {
        gatewayId: host.gateway.id,
        instanceId: host.gateway.instanceId,
        exitCode: result.exitCode,
        scriptError: result.stderr.trim(),
      });
  }
}
