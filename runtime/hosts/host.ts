/** What a local host is: the gateway it serves, its mode, its directories and, in wireguard mode, its namespaces. */

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

/** wireguard: namespaces and a real interface (runtime/hosts/network.ts); files: artifacts only. */
export type HostMode = 'wireguard' | 'files';

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

/** The namespaces of a wireguard-mode host (network.ts, HostNetwork.addGateway). */
export interface HostNamespaces {
  gatewayNamespace: string;
  instanceNamespace: string;
  instanceIp: string;
}

export interface Host extends Partial<HostNamespaces> {
  gateway: HostGateway;
  mode: HostMode;
  dir: string;
  stateDir: string;
  /** Bind-mounted over /run/wireguard in the gateway namespace. */
  runDir: string;
}

/** The WireGuard interface of every host, in its gateway namespace. */
export const WG_IF = 'wg0';

export class UnsafeInstanceIdError extends Error {
  override readonly name = 'UnsafeInstanceIdError';
  constructor(instanceId: string) {
    super(`Instance id ${JSON.stringify(instanceId)} cannot name a host directory`);
  }
}

/** One path component that is not `.`, `..` or hidden: the API's instance ids all are (core/schemas.ts). */
const HOST_DIRECTORY_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;

/**
 * The host directory's name under DATA_DIR/hosts: the instance id itself, or refused. A record is
 * read back from the table, which the API's checks do not guard on the way out, and root removes
 * this directory when the host goes (docs/SECURITY.md, "The local runtime"): an id of `..` would
 * have named DATA_DIR itself, and a `/` another directory.
 */
export function hostDirectoryName(instanceId: string): string {
  if (!HOST_DIRECTORY_NAME.test(instanceId)) throw new UnsafeInstanceIdError(instanceId);
  return instanceId;
}

export function namespacesOf(host: Host): string[] {
  return [host.gatewayNamespace, host.instanceNamespace].filter((n): n is string => n !== undefined);
}
