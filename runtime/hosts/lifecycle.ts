/**
 * The local hosts across the runtime's life: rebuilt at start from what each gateway last applied
 * (the script's `--restore`, as a gateway instance runs at boot). A deleted gateway's host is torn
 * down and destroyed by the teardown command its cascade sends (command-bus.ts).
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { errorFields, type RuntimeLog } from '../runtime-log';
import type { HostGateway, HostMode } from './host';
import type { LocalHosts } from './local-hosts';

/** How to look at a gateway's live interface (README, "Gateway hosts"). */
export const wgShowCommand = (gatewayId: string): string => `npm run wg -- ${gatewayId}`;

/** Which host serves a gateway: its `/status` says it (`localHost`), and so does the start's notice. */
export interface LocalHostView {
  instanceId: string;
  mode: HostMode;
  /** Wireguard mode only: the gateway's namespace and the command that shows its live `wg`. */
  namespace?: string;
  wgShow?: string;
}

function localHostView(
  gatewayId: string,
  host: { instanceId: string; mode: HostMode; gatewayNamespace?: string | undefined },
): LocalHostView {
  return {
    instanceId: host.instanceId,
    mode: host.mode,
    ...(host.gatewayNamespace ? { namespace: host.gatewayNamespace, wgShow: wgShowCommand(gatewayId) } : {}),
  };
}

/** The host of a gateway (undefined when none was built), as the start's `gateway host` notice names it. */
export function hostOfGateway(hosts: LocalHosts, gateway: HostGateway): LocalHostView | undefined {
  const info = hosts.hostInfo(gateway.instanceId);
  return info && localHostView(gateway.id, { instanceId: gateway.instanceId, ...info });
}

/**
 * Creates the host of every registered gateway; a host whose state directory holds an applied
 * document restores it (LocalHosts.ensureHost), so tunnels come back without any push. A host that
 * cannot be built is logged and left to the next push, which tries again.
 */
export async function rebuildHosts(
  hosts: LocalHosts,
  gateways: readonly HostGateway[],
  log: RuntimeLog,
): Promise<void> {
  for (const gateway of gateways) {
    try {
      await hosts.ensureHost(gateway);
    } catch (error) {
      log.warn('gateway host not rebuilt', { gatewayId: gateway.id, ...errorFields(error) });
    }
  }
}

const STATUS_PATH = /^\/v1\/gateways\/([^/]+)\/status$/;

/**
 * Locally, a gateway's `/status` also says which host serves it (`localHost`: instance, mode,
 * namespace, and the command that shows its live `wg`); on AWS the instance is the gateway's own.
 */
export function withLocalHost(
  event: APIGatewayProxyEvent,
  result: APIGatewayProxyResult,
  hosts: LocalHosts,
): APIGatewayProxyResult {
  const gatewayId = STATUS_PATH.exec(event.path)?.[1];
  if (!gatewayId || event.httpMethod !== 'GET' || result.statusCode !== 200) return result;
  const host = hosts.index().find((entry) => entry.gatewayId === decodeURIComponent(gatewayId));
  if (!host) return result;
  const localHost = localHostView(host.gatewayId, host);
  return { ...result, body: JSON.stringify({ ...JSON.parse(result.body), localHost }) };
}
