/**
 * The API handler behind the real local HTTP front (runtime/http-front.ts), with nothing else
 * wired (no local events, a healthy stub): for API tests that need the front's routing and token
 * check, and a JSON call against it. `memoryApiHandler` builds the handler over in-memory stores.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { MemoryRepository } from '../../lambdas/adapters/memory/repository';
import type { ApiDeps, ApiPolicy, ApiTiming } from '../../lambdas/app/api/context';
import { DEFAULT_ADDRESS_POLICY } from '../../lambdas/core/address-rules';
import { createApiHandler } from '../../lambdas/http/handler';
import { type HttpFront, startHttpFront } from '../../runtime/http-front';
import { silentLog } from '../../runtime/runtime-log';
import { MemorySecrets, RecordingWorkflows } from './fakes';
import { ownerLimits } from './limits';

export interface MemoryApiOptions {
  /** Replaces the in-memory default of each port given. */
  deps?: Partial<ApiDeps>;
  /** How long a request waits for its workflow; the fakes' executions never end unless told. */
  timing?: ApiTiming;
  /** Replaces the default address rules, limits (test/support/limits.ts) or throttle (off). */
  policy?: Partial<ApiPolicy>;
}

/** The API handler as deployed, over in-memory stores and a recording workflow engine. */
export function memoryApiHandler({ deps = {}, timing, policy = {} }: MemoryApiOptions = {}) {
  const resolved: ApiDeps = {
    repository: new MemoryRepository(),
    secrets: new MemorySecrets(),
    workflows: new RecordingWorkflows(),
    clock: () => new Date(),
    configStore: { get: async () => undefined },
    ...deps,
  };
  const resolvedPolicy: ApiPolicy = {
    addresses: DEFAULT_ADDRESS_POLICY,
    limits: ownerLimits(),
    throttle: { ratePerSecond: 0, burst: 1 }, // off
    ...policy,
  };
  return createApiHandler(
    () => resolved,
    () => timing ?? { waitMs: 0, pollMs: 0 },
    () => resolvedPolicy,
  );
}

export interface JsonAnswer {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: each test asserts the fields it reads
  body: any;
}

export function startApiFront(
  apiHandler: (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>,
  authSecret: string,
): Promise<HttpFront> {
  return startHttpFront({
    port: 0,
    authSecret,
    apiHandler,
    postLocalEvents: async () => ({}),
    health: async () => ({ ok: true, components: {} }),
    log: silentLog,
  });
}

/**
 * One JSON request to `front`, with `bearer` and `headers` when given; a JSON answer's body parsed,
 * another media type's kept as its text (a config download), none undefined.
 */
export async function callJson(
  front: HttpFront,
  method: string,
  path: string,
  bearer?: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<JsonAnswer> {
  const response = await fetch(`${front.url}${path}`, {
    method,
    headers: {
      ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
      'content-type': 'application/json',
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const json = response.headers.get('content-type')?.startsWith('application/json');
  return {
    status: response.status,
    headers: response.headers,
    body: text && json ? JSON.parse(text) : text || undefined,
  };
}
