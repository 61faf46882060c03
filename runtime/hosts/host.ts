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

export const safeName = (instanceId: string) => instanceId.replace(/[^A-Za-z0-9._-]/g, '_');

export function namespacesOf(host: Host): string[] {
  return [host.gatewayNamespace, host.instanceNamespace].filter((n): n is string => n !== undefined);
}
