/**
 * An embedded runtime with real WireGuard gateway hosts (wireguard-go in network namespaces), for
 * the end-to-end suites: the runtime's lifecycle comes from `useRuntime`, and this adds what those
 * suites do against it (API calls as the gateways' owner, registration, the hosts' namespaces,
 * `wg show` of a gateway, ping). Needs Linux, root, wireguard-go, wireguard-tools, nftables and
 * iproute2; without them the suite fails in its first hook and names what is missing.
 */

import { missingForWireguard } from '../../runtime/hosts';
import type { Runtime, RuntimeOptions } from '../../runtime/main';
import { mintToken } from '../../runtime/tokens';
import { eventually as eventuallyDefined } from './integration';
import { useRuntime } from './runtime';

/** The user every suite's gateways belong to. */
export const OWNER = 'alice';

export interface ApiAnswer {
  status: number;
  text: string;
  headers: Headers;
  /** The body as JSON.parse gives it: the suites read it field by field. */
  json(): ReturnType<typeof JSON.parse>;
}

export interface WireguardPeer {
  publicKey: string;
  handshake: number;
  rx: number;
  tx: number;
}

export interface WireguardSuite {
  runtime(): Runtime;
  /** The runtime's DATA_DIR (its secret store and the instances' delivered copies live there). */
  dataDir(): string;
  /** A call as the owner (`OWNER`) unless another bearer token is given. */
  api(method: string, path: string, body?: unknown, bearer?: string): Promise<ApiAnswer>;
  adminToken(): Promise<string>;
  /** Registers a gateway of `OWNER` on instance `i-<id>` (201 expected). */
  registerGateway(id: string, vpcCidr: string, tunnelSubnet: string, publicIp: string): Promise<void>;
  /**
   * The namespaces and instance address of gateway `id`'s host on `instanceId` (default
   * `i-<id>`, as registerGateway names it; another after a move).
   */
  hostOf(
    gatewayId: string,
    instanceId?: string,
  ): {
    gatewayNamespace: string;
    instanceNamespace: string;
    instanceIp: string;
    internetNamespace: string;
  };
  /** Runs in a namespace of the runtime's hosts. */
  inNamespace(namespace: string, argv: string[]): ReturnType<Runtime['hosts']['exec']>;
  /**
   * The live peers of a gateway's interface (`wg show wg0 dump`, without the interface line), on
   * the host hostOf names.
   */
  wgPeers(gatewayId: string, instanceId?: string): Promise<WireguardPeer[]>;
  ping(namespace: string, address: string): Promise<boolean>;
}

export function useWireguardRuntime(name: string, options: RuntimeOptions = {}): WireguardSuite {
  // Registered before useRuntime's own hook, so a machine without WireGuard fails here, saying why.
  beforeAll(() => {
    const missing = missingForWireguard();
    if (missing.length > 0) {
      throw new Error(`The WireGuard suites need: ${missing.join(', ')} (CI installs them; see .ci/run)`);
    }
  });
  // The first applies on real WireGuard take the script's full path on both gateways (jq, wg
  // syncconf, routes, nftables); on a loaded 2-core machine a create can outlast the API's default
  // 8 s wait and answer 202, while these suites assert the synchronous answer. Within API Gateway's
  // 29 s, as a deployment may set it; restored for the worker's next suites.
  const apiWaitMs = process.env.API_WAIT_MS;
  beforeAll(() => {
    process.env.API_WAIT_MS = '25000';
  });
  afterAll(() => {
    if (apiWaitMs === undefined) delete process.env.API_WAIT_MS;
    else process.env.API_WAIT_MS = apiWaitMs;
  });
  const { runtime, dataDir } = useRuntime(name, { hostMode: 'wireguard', waitMs: 100, ...options });
  const tokens = new Map<string, Promise<string>>();
  const tokenOf = (sub: string, groups: string[] = []) => {
    const key = `${sub}:${groups.join(',')}`;
    const token = tokens.get(key) ?? mintToken(runtime().authSecret, { sub, groups });
    tokens.set(key, token);
    return token;
  };
  const adminToken = () => tokenOf('ops', ['admin']);

  async function api(method: string, path: string, body?: unknown, bearer?: string): Promise<ApiAnswer> {
    const response = await fetch(`${runtime().url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${bearer ?? (await tokenOf(OWNER))}`,
        'content-type': 'application/json',
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, text, headers: response.headers, json: () => JSON.parse(text) };
  }

  const hostOf: WireguardSuite['hostOf'] = (gatewayId, instanceId = `i-${gatewayId}`) => {
    const info = runtime().hosts.hostInfo(instanceId);
    if (!info?.gatewayNamespace || !info.instanceNamespace || !info.instanceIp || !info.internetNamespace) {
      throw new Error(`gateway ${gatewayId} has no wireguard host on ${instanceId}`);
    }
    return info as ReturnType<WireguardSuite['hostOf']>;
  };
  const inNamespace = (namespace: string, argv: string[]) => runtime().hosts.exec(namespace, argv);

  return {
    runtime,
    dataDir,
    api,
    adminToken,
    async registerGateway(id, vpcCidr, tunnelSubnet, publicIp) {
      const response = await api(
        'POST',
        '/v1/gateways',
        { id, ownerId: OWNER, vpcId: `vpc-${id}`, vpcCidr, tunnelSubnet, publicIp, instanceId: `i-${id}` },
        await adminToken(),
      );
      expect(response.status).toBe(201);
    },
    hostOf,
    inNamespace,
    async wgPeers(gatewayId, instanceId) {
      const { gatewayNamespace } = hostOf(gatewayId, instanceId);
      const { stdout } = await inNamespace(gatewayNamespace, ['wg', 'show', 'wg0', 'dump']);
      return stdout
        .trim()
        .split('\n')
        .slice(1) // the interface line carries the private key
        .filter(Boolean)
        .map((line) => {
          const f = line.split('\t');
          return { publicKey: f[0] ?? '', handshake: Number(f[4]), rx: Number(f[5]), tx: Number(f[6]) };
        });
    },
    async ping(namespace, address) {
      const result = await inNamespace(namespace, ['ping', '-c', '2', '-i', '0.2', '-W', '2', address]);
      return result.exitCode === 0;
    },
  };
}

/** Polls `check` until it holds; fails naming `what` after `timeoutMs` (integration.ts's loop). */
export async function eventually(
  check: () => Promise<boolean>,
  what: string,
  timeoutMs = 20_000,
): Promise<void> {
  await eventuallyDefined(what, async () => ((await check()) ? true : undefined), { timeoutMs });
}
