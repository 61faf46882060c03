/**
 * The API handler behind the real local HTTP front (runtime/http-front.ts), with nothing else
 * wired (no local events, a healthy stub): for API tests that need the front's routing and token
 * check, and a JSON call against it.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { type HttpFront, startHttpFront } from '../../runtime/http-front';

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
  });
}

/** One JSON request to `front`, with `bearer` and `headers` when given; the body parsed when there is one. */
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
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}
