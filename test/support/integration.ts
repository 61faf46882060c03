/**
 * Helpers of the integration suite: an HTTP client that keeps every response (for the secret scan),
 * gateway bodies with distinct ranges, bounded polling for the asynchronous parts.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTarget, type Target, type TargetOptions, targetAppliesPushes } from './target';

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are asserted field by field
  json: any;
}

export interface CallOptions {
  token?: string;
  body?: unknown;
  /** Sent as is instead of JSON.stringify(body). */
  rawBody?: string;
  headers?: Record<string, string>;
}

export class ApiClient {
  readonly replies: { method: string; path: string; reply: Reply }[] = [];
  /** The id of every gateway registered through this client (or told with `registered`). */
  readonly registeredGateways = new Set<string>();

  constructor(private readonly target: Target) {}

  async call(method: string, path: string, options: CallOptions = {}): Promise<Reply> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
    const body = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
    if (body !== undefined) headers['content-type'] ??= 'application/json';
    const response = await fetch(`${this.target.apiUrl}${path}`, { method, headers, body });
    const text = await response.text();
    let json: unknown;
    try {
      json = text.length > 0 ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    const reply: Reply = { status: response.status, headers: response.headers, text, json };
    this.replies.push({ method, path, reply });
    if (method === 'POST' && reply.status === 201) this.registered(json);
    return reply;
  }

  /** Keeps the id of a 201's body when it is a gateway (a registration), to delete it after the file. */
  registered(body: unknown): void {
    const gateway = body as { id?: unknown; vpcCidr?: unknown } | undefined;
    if (typeof gateway?.id === 'string' && typeof gateway.vpcCidr === 'string')
      this.registeredGateways.add(gateway.id);
  }

  /** Every JSON response body seen so far (config downloads are text/plain and excluded). */
  jsonBodies(): string[] {
    return this.replies
      .filter(({ reply }) => (reply.headers.get('content-type') ?? '').includes('json'))
      .map(({ reply }) => reply.text);
  }
}

/** A gateway as the API returns it, with the fields tests derive other bodies from. */
export type GatewayJson = Record<string, unknown> & {
  id: string;
  vpcCidr: string;
  tunnelSubnet: string;
  vpcId: string;
};

export interface Suite {
  /** Valid inside tests and hooks: the target itself starts in beforeAll. */
  target: Target;
  client: ApiClient;
  /** Registers, as admin, a gateway owned by `user` with ranges of its own. */
  newGateway(user: 'alice' | 'bob', overrides?: Record<string, unknown>): Promise<GatewayJson>;
}

/**
 * The target of one test file: started before its tests, stopped after them, and its secrets
 * recorded after each test so that a secret deleted later is still scanned for. On a shared
 * deployment (API_URL), the gateways the file registered are deleted after it.
 */
export function useTarget(options: TargetOptions = {}): Suite {
  let started: Target | undefined;
  const current = (): Target => {
    if (!started) throw new Error('The target is not started: use it inside tests and hooks');
    return started;
  };
  // Handed out before beforeAll runs, so it forwards to the target once that one exists.
  const target: Target = {
    get apiUrl() {
      return current().apiUrl;
    },
    get appliesPushes() {
      return current().appliesPushes;
    },
    get shared() {
      return current().shared;
    },
    get tokens() {
      return current().tokens;
    },
    get users() {
      return current().users;
    },
    putEvents: (entries) => current().putEvents(entries),
    secretValues: () => current().secretValues(),
    stop: () => current().stop(),
  };
  const client = new ApiClient(target);
  beforeAll(async () => {
    started = await startTarget(options);
  }, 180_000);
  afterAll(async () => {
    if (started?.shared) await deleteRegistered(client, started.tokens.admin);
    await started?.stop();
  }, 120_000);
  afterEach(async () => {
    await rememberSecrets(target);
  });
  const newGateway = async (user: 'alice' | 'bob', overrides: Record<string, unknown> = {}) =>
    (await registerGateway(
      client,
      target.tokens.admin,
      gatewayBody(target.users[user], overrides),
    )) as GatewayJson;
  return { target, client, newGateway };
}

/**
 * Deletes, as admin, every gateway the file registered (the cascade removes their peerings), so a
 * long-lived deployment's per-owner gateway quota (100 by default) is free for the next run. One
 * already gone is 404; anything else is reported, after every deletion was tried.
 */
async function deleteRegistered(client: ApiClient, adminToken: string): Promise<void> {
  const refused: string[] = [];
  for (const id of client.registeredGateways) {
    const reply = await client.call('DELETE', `/v1/gateways/${encodeURIComponent(id)}`, {
      token: adminToken,
    });
    if (![202, 204, 404].includes(reply.status)) refused.push(`${id}: ${reply.status} ${reply.text}`);
  }
  if (refused.length > 0) throw new Error(`Gateways of this file not deleted:\n${refused.join('\n')}`);
}

/**
 * Distinct per test file (each has its own module registry) and per run: every id and range this
 * file registers carries it, so a list on a shared deployment can be narrowed to this file's items.
 */
export const RUN = randomBytes(3).toString('hex');

/** A gateway this file registered: its id, VPC or instance carries the file's RUN (gatewayBody). */
export function isThisFilesGateway(gateway: { id: string; vpcId?: unknown; instanceId?: unknown }): boolean {
  return [gateway.id, gateway.vpcId, gateway.instanceId].some(
    (value) => typeof value === 'string' && value.includes(`-${RUN}-`),
  );
}

/** A peering of a gateway this file registered. */
export function isThisFilesPeering(peering: { gatewayIds: string[] }): boolean {
  return peering.gatewayIds.some((id) => id.startsWith(`gw-${RUN}-`));
}

/**
 * `test` when the target's gateways apply pushes, else `test.skip`: for tests whose subject is an
 * applied push and which no failure outcome could stand in for. The only switch is
 * GATEWAYS_APPLY_PUSHES (README.md, "Integration suite against LocalStack").
 */
export const whenPushesApply: jest.It = targetAppliesPushes() ? test : test.skip;

let counter = 0;

/** A gateway registration body with ranges no other call of this file uses (n ≤ 250). */
export function gatewayBody(
  ownerId: string,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  counter += 1;
  const n = counter;
  return {
    id: `gw-${RUN}-${n}`,
    name: `gateway-${n}`,
    ownerId,
    vpcId: `vpc-${RUN}-${n}`,
    vpcCidr: `10.${n}.0.0/16`,
    location: 'eu-local-1',
    tunnelSubnet: `100.64.${n}.0/24`,
    publicIp: `198.51.100.${n}`,
    instanceId: `i-${RUN}-${n}`,
    ...overrides,
  };
}

export async function registerGateway(
  client: ApiClient,
  adminToken: string,
  body: Record<string, unknown>,
): Promise<Record<string, unknown> & { id: string }> {
  const reply = await client.call('POST', '/v1/gateways', { token: adminToken, body });
  if (reply.status !== 201)
    throw new Error(`Registering ${String(body.id)} answered ${reply.status}: ${reply.text}`);
  return reply.json;
}

/** Polls `probe` until it returns a value other than undefined; fails with `what` after the bound. */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  options: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `Timed out waiting for ${what}${last instanceof Error ? ` (last error: ${last.message})` : ''}`,
      );
    }
    await sleep(options.intervalMs ?? 250);
  }
}

/**
 * Creates a peering and follows a 202 to its end; returns the final Peering. A create whose push
 * failed within the wait window answers 502 PEERING_FAILED without the peering (docs/CONTRACT.md):
 * the FAILED peering of the pair is then read from the caller's list.
 */
export async function peer(
  client: ApiClient,
  token: string,
  gatewayId: string,
  remoteGatewayId: string,
): Promise<Record<string, unknown> & { id: string; status: string }> {
  const reply = await client.call('POST', `/v1/gateways/${gatewayId}/vpc-peerings`, {
    token,
    body: { remoteGatewayId },
  });
  if (reply.status === 201) return reply.json;
  if (reply.status === 502 && reply.json?.error?.code === 'PEERING_FAILED')
    return failedPeeringOf(client, token, [gatewayId, remoteGatewayId]);
  if (reply.status !== 202)
    throw new Error(`Peering ${gatewayId} ↔ ${remoteGatewayId} answered ${reply.status}: ${reply.text}`);
  return settledPeering(client, token, reply.json.id);
}

/** The latest FAILED peering of the pair in the caller's list. */
async function failedPeeringOf(
  client: ApiClient,
  token: string,
  pair: [string, string],
): Promise<Record<string, unknown> & { id: string; status: string }> {
  const failed = (await listAll(client, token, '/v1/vpc-peerings'))
    .filter(
      (p: { gatewayIds: string[]; status: string }) =>
        p.status === 'FAILED' && pair.every((id) => p.gatewayIds.includes(id)),
    )
    .sort((x: { createdAt: string }, y: { createdAt: string }) => x.createdAt.localeCompare(y.createdAt));
  const latest = failed.at(-1);
  if (!latest) throw new Error(`No FAILED peering of ${pair.join(' ↔ ')} after a 502 PEERING_FAILED`);
  return latest;
}

export async function settledPeering(
  client: ApiClient,
  token: string,
  peeringId: string,
): Promise<Record<string, unknown> & { id: string; status: string }> {
  return eventually(`peering ${peeringId} to settle`, async () => {
    const reply = await client.call('GET', `/v1/vpc-peerings/${peeringId}`, { token });
    return reply.status === 200 && (reply.json.status === 'ACTIVE' || reply.json.status === 'FAILED')
      ? reply.json
      : undefined;
  });
}

/** Follows a 202 of a deletion until the peering is gone. */
export async function peeringGone(client: ApiClient, token: string, peeringId: string): Promise<void> {
  await eventually(`peering ${peeringId} to be deleted`, async () => {
    const reply = await client.call('GET', `/v1/vpc-peerings/${peeringId}`, { token });
    return reply.status === 404 ? true : undefined;
  });
}

export async function peersOf(
  client: ApiClient,
  token: string,
  gatewayId: string,
): Promise<Record<string, unknown>[]> {
  const reply = await client.call('GET', `/v1/gateways/${gatewayId}`, { token });
  if (reply.status !== 200)
    throw new Error(`GET gateway ${gatewayId} answered ${reply.status}: ${reply.text}`);
  return reply.json.peers;
}

/** How often a list walk waits out a 429 for one page before it fails. */
const THROTTLED_PAGE_ATTEMPTS = 10;

/**
 * One GET, waiting out the caller throttle (429 `Retry-After`, seconds): on a deployment whose
 * throttle is on (docs/CONTRACT.md#errors), a walk is not the subject of the test that walks.
 */
async function getWaitingOutThrottle(client: ApiClient, token: string, path: string): Promise<Reply> {
  for (let attempt = 1; ; attempt += 1) {
    const reply = await client.call('GET', path, { token });
    if (reply.status !== 429 || attempt >= THROTTLED_PAGE_ATTEMPTS) return reply;
    const seconds = Number(reply.headers.get('retry-after') ?? '1');
    await sleep(Math.max(1, Number.isFinite(seconds) ? seconds : 1) * 1000);
  }
}

/** Every item of a list route, page after page (limit 100); fails on any answer but 200. */
// biome-ignore lint/suspicious/noExplicitAny: items are asserted field by field
export async function listAll(client: ApiClient, token: string, path: string): Promise<any[]> {
  const items: unknown[] = [];
  let nextToken: string | undefined;
  do {
    const query = `limit=100${nextToken ? `&nextToken=${encodeURIComponent(nextToken)}` : ''}`;
    const reply = await getWaitingOutThrottle(
      client,
      token,
      `${path}${path.includes('?') ? '&' : '?'}${query}`,
    );
    if (reply.status !== 200) throw new Error(`GET ${path} answered ${reply.status}: ${reply.text}`);
    items.push(...reply.json.items);
    nextToken = reply.json.nextToken;
  } while (nextToken);
  return items;
}

const knownSecrets = new Set<string>();

/** Secrets deleted later (a removed road-warrior's key) are still scanned for. */
async function rememberSecrets(target: Target): Promise<void> {
  for (const secret of await target.secretValues()) knownSecrets.add(secret);
}

/** docs/CONTRACT.md#invariants 5: no secret value, and no private-key field, in any JSON response. */
export async function assertNoSecretLeaked(client: ApiClient, target: Target): Promise<void> {
  await rememberSecrets(target);
  const bodies = client.jsonBodies();
  expect(bodies.length).toBeGreaterThan(0);
  for (const body of bodies) {
    // A field named like a key, or a wg-quick key line: either would mean a secret went out.
    expect(body).not.toMatch(/"\w*(privateKey|PrivateKey|presharedKey|PresharedKey)\w*"\s*:|PrivateKey\s*=/);
    for (const secret of knownSecrets) expect(body.includes(secret)).toBe(false);
  }
}
