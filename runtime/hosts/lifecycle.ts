/**
 * The local hosts across the runtime's life: rebuilt at start from what each gateway last applied
 * (the script's `--restore`, as a gateway instance runs at boot), and torn down when their gateway
 * is deleted (the stream's REMOVE of its item, after the cascade handled it).
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult, DynamoDBStreamEvent } from 'aws-lambda';
import type { HostGateway } from './host';
import type { LocalHosts } from './local-hosts';

/** How to look at a gateway's live interface (README, "Gateway hosts"). */
export const wgShowCommand = (gatewayId: string): string => `npm run wg -- ${gatewayId}`;

/** One line of the start banner: gateway → instance → namespace. */
export function hostLine(hosts: LocalHosts, gateway: HostGateway): string {
  const info = hosts.hostInfo(gateway.instanceId);
  if (!info) return `${gateway.id} → ${gateway.instanceId}: no host`;
  const where =
    info.mode === 'wireguard' ? `namespace ${info.gatewayNamespace} (${wgShowCommand(gateway.id)})` : 'files';
  return `${gateway.id} → ${gateway.instanceId}: ${where}`;
}

/**
 * Creates the host of every registered gateway; a host whose state directory holds an applied
 * document restores it (LocalHosts.ensureHost), so tunnels come back without any push. A host that
 * cannot be built is logged and left to the next push, which tries again.
 */
export async function rebuildHosts(
  hosts: LocalHosts,
  gateways: readonly HostGateway[],
  log: (line: string) => void,
): Promise<void> {
  for (const gateway of gateways) {
    try {
      await hosts.ensureHost(gateway);
    } catch (error) {
      log(`host of ${gateway.id} not rebuilt: ${(error as Error).message}`);
    }
  }
}

/** Instances of the gateways whose item a stream batch removed. */
export function removedGatewayInstances(event: DynamoDBStreamEvent): string[] {
  return event.Records.flatMap((record) => {
    const keys = record.dynamodb?.Keys;
    const instanceId = record.dynamodb?.OldImage?.instanceId?.S;
    const isGateway = keys?.pk?.S?.startsWith('GW#') && keys?.sk?.S === 'META';
    return record.eventName === 'REMOVE' && isGateway && instanceId ? [instanceId] : [];
  });
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
  const localHost = {
    instanceId: host.instanceId,
    mode: host.mode,
    ...(host.gatewayNamespace
      ? { namespace: host.gatewayNamespace, wgShow: wgShowCommand(host.gatewayId) }
      : {}),
  };
  return { ...result, body: JSON.stringify({ ...JSON.parse(result.body), localHost }) };
}
