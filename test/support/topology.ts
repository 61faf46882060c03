/**
 * Extra test hosts on the runtime's "internet" bridge: an external server (to see masquerade) and
 * a road-warrior client running wireguard-go with a downloaded wg-quick config. Everything is in
 * namespaces named by this file's prefix and removed by `teardown`.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LocalHosts } from '../../runtime/hosts';

const sh = (argv: string[]) => execFileSync(argv[0] as string, argv.slice(1), { encoding: 'utf8' });
/** As sh, with stderr dropped: for commands whose failure is expected and handled. */
const quietly = (argv: string[]) =>
  execFileSync(argv[0] as string, argv.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });

export class ExtraHosts {
  private readonly prefix = `vpe${Math.random().toString(16).slice(2, 7)}`;
  private readonly dir = mkdtempSync(join(tmpdir(), 'vpc-peering-e2e-'));
  private readonly namespaces: string[] = [];
  private readonly processes: ChildProcess[] = [];
  /** Each road-warrior client's `wg` runner and the file its peer was set from. */
  private readonly clients = new Map<string, { wg: (argv: string[]) => string; configFile: string }>();
  constructor(private readonly hosts: LocalHosts) {}

  /** A namespace with one leg on the runtime's internet bridge at `address/24`. */
  async addInternetHost(name: string, address: string): Promise<string> {
    const namespace = `${this.prefix}-${name}`;
    // Tracked first: teardown also removes a half-built one.
    this.namespaces.push(namespace);
    await this.hosts.addInternetHost(namespace, address);
    return namespace;
  }

  /** Starts a process in a namespace; stopped by teardown. */
  spawn(namespace: string, argv: string[]): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', namespace, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.processes.push(child);
    return child;
  }

  /**
   * A road-warrior client: wireguard-go `wg0` configured from a wg-quick file (Address and the
   * AllowedIPs routes applied by hand, as wg-quick would).
   */
  async startClient(namespace: string, clientConfig: string): Promise<(argv: string[]) => string> {
    const runDir = join(this.dir, `run-${namespace}`);
    mkdirSync(runDir, { recursive: true });
    // wg(8) finds the socket under /run/wireguard: each client gets its own directory there.
    const withRunDir = (argv: string[]) => [
      'netns',
      'exec',
      namespace,
      'sh',
      '-c',
      'mount --bind "$0" /run/wireguard && exec "$@"',
      runDir,
      ...argv,
    ];
    const inClient = (argv: string[]) => sh(['ip', ...withRunDir(argv)]);
    const wireguard = spawn('ip', withRunDir(['wireguard-go', 'wg0']), {
      env: { ...process.env, WG_PROCESS_FOREGROUND: '1' },
      stdio: 'ignore',
    });
    this.processes.push(wireguard);
    for (let i = 0; i < 100; i += 1) {
      if (sh(['ls', runDir]).includes('wg0.sock')) break;
      await sleep(50);
    }
    const address = /^Address = (.+)$/m.exec(clientConfig)?.[1] ?? '';
    const allowed = (/^AllowedIPs = (.+)$/m.exec(clientConfig)?.[1] ?? '').split(',').map((s) => s.trim());
    const wgConfig = join(this.dir, `${namespace}.conf`);
    writeFileSync(wgConfig, clientConfig.replace(/^Address = .*\n/m, ''), { mode: 0o600 });
    inClient(['wg', 'setconf', 'wg0', wgConfig]);
    sh(['ip', '-n', namespace, 'addr', 'add', address, 'dev', 'wg0']);
    sh(['ip', '-n', namespace, 'link', 'set', 'wg0', 'mtu', '1420', 'up']);
    for (const prefix of allowed) sh(['ip', '-n', namespace, 'route', 'replace', prefix, 'dev', 'wg0']);
    this.clients.set(namespace, { wg: inClient, configFile: wgConfig });
    return inClient;
  }

  /**
   * Removes a client's peer and sets it again from its config: the session is dropped,
   * `latest-handshake` is 0, and the next packet must complete a new handshake. (A `wg setconf`
   * alone keeps a peer whose key did not change, session included.)
   */
  forceNewHandshake(namespace: string): void {
    const client = this.client(namespace);
    for (const peer of client.wg(['wg', 'show', 'wg0', 'peers']).split('\n').filter(Boolean)) {
      client.wg(['wg', 'set', 'wg0', 'peer', peer, 'remove']);
    }
    client.wg(['wg', 'setconf', 'wg0', client.configFile]);
  }

  /** The client's latest handshake with its gateway, in epoch seconds (0: none since its peer was set). */
  latestHandshake(namespace: string): number {
    const line = this.client(namespace).wg(['wg', 'show', 'wg0', 'latest-handshakes']).trim();
    return Number(line.split('\t')[1] ?? 0);
  }

  private client(namespace: string) {
    const client = this.clients.get(namespace);
    if (!client) throw new Error(`no road-warrior client was started in ${namespace}`);
    return client;
  }

  teardown(): void {
    for (const child of this.processes) child.kill('SIGKILL');
    for (const namespace of this.namespaces) {
      try {
        quietly(['ip', 'netns', 'del', namespace]);
      } catch {
        // Already gone (ip prints "Cannot remove namespace file", which is noise here).
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Namespaces of this prefix still present (must be none after teardown). */
  leftovers(): string[] {
    return sh(['ip', 'netns', 'list'])
      .split('\n')
      .filter((line) => line.startsWith(this.prefix));
  }
}
