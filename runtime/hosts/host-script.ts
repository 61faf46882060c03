/**
 * The gateway script on a local host, run as the SSM documents run it on an instance (the same
 * assembled gateway/apply-config.sh, written once under the data dir), and its report read as the
 * control plane reads it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeGatewayScript } from '../../gateway/assemble';
import { parseInstanceReport } from '../../lambdas/core/status';
import type { InstanceReport } from '../../lambdas/core/types';
import { type ApplyArgs, type Host, WG_IF } from './host';
import type { HostNetwork } from './network';
import { type RunResult, run } from './shell';

export interface HostScriptOptions {
  /** The assembled script is written here at the first run. */
  dataDir: string;
  /** Where an instance reads its secrets (LocalHostsOptions). */
  secretsDirOf: (instanceId: string) => string;
  /** Runs the script inside a wireguard-mode host's gateway namespace. */
  network: HostNetwork;
}

export class HostScript {
  private path?: string;

  constructor(private readonly options: HostScriptOptions) {}

  /** The apply document's command line. */
  apply(host: Host, args: ApplyArgs): Promise<RunResult> {
    return this.run(host, [
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

  /** The report document's command line: the live status report. */
  report(host: Host): Promise<RunResult> {
    return this.run(host, ['--report']);
  }

  /** The teardown document's command line: a deleted gateway (gateway/lib/teardown.sh). */
  teardown(host: Host, args: { gatewayId: string; generation: number }): Promise<RunResult> {
    return this.run(host, [
      '--teardown',
      '--gateway-id',
      args.gatewayId,
      '--generation',
      String(args.generation),
    ]);
  }

  /**
   * What a gateway runs at boot: the document of the applied generation, again. Without
   * VPG_SECRET_SOURCE, as the boot unit runs it (gateway/README.md "After a reboot"): the script
   * reads from the source its last full apply persisted. Unless that is not this host's source: an
   * older script's state has none (review s19h), and a DATA_DIR moved since names a path gone
   * (review s19j); such a restore gets the source, as before, since here a restore that failed
   * would not say so in its reports (the machine's boot id stays the same).
   */
  restore(host: Host): Promise<RunResult> {
    return this.run(host, ['--restore'], this.persistedSource(host) !== this.secretSource(host));
  }

  /** The source the host's last full apply persisted, if any. */
  private persistedSource(host: Host): string | undefined {
    const file = join(host.stateDir, 'secret-source');
    return existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
  }

  private secretSource(host: Host): string {
    return `dir:${resolve(this.options.secretsDirOf(host.gateway.instanceId))}`;
  }

  private run(host: Host, args: readonly string[], withSecretSource = true): Promise<RunResult> {
    const { VPG_SECRET_SOURCE: _inherited, ...inherited } = process.env;
    const env = {
      ...inherited,
      VPG_MODE: host.mode,
      VPG_STATE_DIR: host.stateDir,
      ...(withSecretSource ? { VPG_SECRET_SOURCE: this.secretSource(host) } : {}),
      VPG_VPC_IF: 'vpc',
      VPG_WAN_IF: 'inet',
      VPG_WG_IF: WG_IF,
    };
    this.path ??= writeGatewayScript(this.options.dataDir);
    const argv = ['bash', this.path, ...args];
    return run(
      host.gatewayNamespace ? this.options.network.inNamespace(host.gatewayNamespace, argv) : argv,
      env,
    );
  }
}

/** The report on the script's last stdout line, read as the control plane reads it (core/status.ts). */
export function parseReport(stdout: string): InstanceReport {
  const report = parseInstanceReport(stdout);
  if (!report)
    throw new Error(`The gateway script printed no report: ${stdout.trim().split('\n').pop() ?? ''}`);
  return report;
}
