/**
 * The embedded runtime's HTTP front: plays API Gateway (REST proxy integration) and its Cognito
 * authorizer. Each request becomes a real APIGatewayProxyEvent for the same api handler that runs
 * on AWS; a valid HS256 token fills `requestContext.authorizer.claims`, an invalid or missing one
 * leaves them out and the handler answers 401 exactly as it would behind API Gateway.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { ValidationError } from '../lambdas/core/errors';
import { parseGroups } from '../lambdas/http/claims';
import { isPublicPath } from '../lambdas/http/handler';
import { isConsolePath, serveConsole } from './console-static';
import { errorFields, type NoticeFields, type RuntimeLog, runtimeLog } from './runtime-log';
import { tokenRejection, verifyToken } from './tokens';

export interface HttpFrontOptions {
  port: number;
  host?: string;
  authSecret: string;
  apiHandler: (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;
  postLocalEvents: (body: unknown) => Promise<unknown>;
  health: () => Promise<{ ok: boolean; components: Record<string, string> }>;
  /**
   * Where its lines go (README, "Logs"): one `http access` per answered request (method, path,
   * status, duration, request id, caller; never a header, a query or a body) and a request's
   * failure. Default: the runtime's log.
   */
  log?: RuntimeLog;
}

export interface HttpFront {
  url: string;
  close(): Promise<void>;
}

/** Transport cap; the API refuses bodies over 16 KiB itself. */
export const MAX_FRONT_BODY_BYTES = 1024 * 1024;
const API_GATEWAY_TIMEOUT_MS = 29_000;

class PayloadTooLargeError extends Error {}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_FRONT_BODY_BYTES) {
        reject(new PayloadTooLargeError());
        request.resume(); // drain without keeping it
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function send(
  response: ServerResponse,
  statusCode: number,
  headers: Record<string, string>,
  body: string,
): void {
  response.writeHead(statusCode, { ...headers, 'content-length': Buffer.byteLength(body) });
  response.end(body);
}

function sendJson(response: ServerResponse, statusCode: number, body: unknown): void {
  send(response, statusCode, { 'content-type': 'application/json' }, JSON.stringify(body));
}

const sendError = (response: ServerResponse, statusCode: number, code: string, message: string) =>
  sendJson(response, statusCode, { error: { code, message } });

function bearerToken(request: IncomingMessage): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
  return match?.[1];
}

/** Claims as the REST Cognito authorizer passes them: every value a string (arrays comma-joined). */
async function claimsOf(
  request: IncomingMessage,
  secret: string,
): Promise<{ claims?: Record<string, string>; rejected?: string }> {
  const token = bearerToken(request);
  if (!token) return {};
  try {
    const payload = await verifyToken(secret, token);
    return {
      claims: Object.fromEntries(
        Object.entries(payload).map(([key, value]) => [
          key,
          Array.isArray(value) ? value.join(',') : String(value),
        ]),
      ),
    };
  } catch (error) {
    return { rejected: tokenRejection(error) };
  }
}

function headerMaps(request: IncomingMessage): {
  headers: Record<string, string>;
  multiValueHeaders: Record<string, string[]>;
} {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    const values = Array.isArray(value) ? value : [value];
    headers[name] = values.join(',');
    multiValueHeaders[name] = values;
  }
  return { headers, multiValueHeaders };
}

function queryMaps(url: URL): {
  queryStringParameters: Record<string, string> | null;
  multiValueQueryStringParameters: Record<string, string[]> | null;
} {
  const names = [...new Set(url.searchParams.keys())];
  if (names.length === 0) return { queryStringParameters: null, multiValueQueryStringParameters: null };
  return {
    queryStringParameters: Object.fromEntries(
      names.map((name) => [name, url.searchParams.getAll(name).at(-1) ?? '']),
    ),
    multiValueQueryStringParameters: Object.fromEntries(
      names.map((name) => [name, url.searchParams.getAll(name)]),
    ),
  };
}

export function buildProxyEvent(
  request: IncomingMessage,
  url: URL,
  body: string,
  claims: Record<string, string> | undefined,
  requestId: string = randomUUID(),
): APIGatewayProxyEvent {
  const { headers, multiValueHeaders } = headerMaps(request);
  const method = request.method ?? 'GET';
  const requestTime = new Date();
  return {
    httpMethod: method,
    path: url.pathname,
    resource: '/{proxy+}',
    pathParameters: null,
    stageVariables: null,
    headers,
    multiValueHeaders,
    ...queryMaps(url),
    body: body.length > 0 ? body : null,
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      authorizer: claims ? { claims } : null,
      protocol: `HTTP/${request.httpVersion}`,
      httpMethod: method,
      path: url.pathname,
      stage: 'local',
      requestId,
      requestTimeEpoch: requestTime.getTime(),
      resourceId: 'local',
      resourcePath: '/{proxy+}',
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        user: null,
        userAgent: headers['user-agent'] ?? null,
        userArn: null,
      },
    },
  };
}

function lambdaContext(requestId: string): Context {
  const deadline = Date.now() + API_GATEWAY_TIMEOUT_MS;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'api',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:local:000000000000:function:api',
    memoryLimitInMB: '512',
    awsRequestId: requestId,
    logGroupName: '/aws/lambda/api',
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

function writeProxyResult(response: ServerResponse, result: APIGatewayProxyResult): void {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = String(value);
  for (const [name, values] of Object.entries(result.multiValueHeaders ?? {}))
    headers[name] = values.map(String);
  const body = result.isBase64Encoded
    ? Buffer.from(result.body, 'base64')
    : Buffer.from(result.body ?? '', 'utf8');
  response.writeHead(result.statusCode, { ...headers, 'content-length': body.length });
  response.end(body);
}

async function handleHealth(options: HttpFrontOptions, response: ServerResponse): Promise<void> {
  const { ok, components } = await options.health().catch((error: Error) => ({
    ok: false,
    components: { runtime: `error: ${error.message}` },
  }));
  sendJson(response, ok ? 200 : 503, { status: ok ? 'ok' : 'unavailable', components });
}

/** POST /local/events: an EventBridge PutEvents body, admins only (it can delete any gateway). */
async function handleLocalEvents(
  options: HttpFrontOptions,
  claims: Record<string, string> | undefined,
  body: string,
  response: ServerResponse,
): Promise<void> {
  if (!claims?.sub) return sendError(response, 401, 'UNAUTHORIZED', 'A valid bearer token is required');
  if (!parseGroups(claims['cognito:groups']).includes('admin')) {
    return sendError(response, 403, 'FORBIDDEN', 'This route requires the admin group');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return sendError(response, 400, 'VALIDATION_ERROR', 'Malformed JSON body');
  }
  try {
    sendJson(response, 200, (await options.postLocalEvents(parsed)) ?? {});
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    sendError(response, 400, 'VALIDATION_ERROR', error.message);
  }
}

/**
 * The request's URL. Its target is a path: `//v1//gateways` resolved as a URL reference would be
 * another host (`v1`), so the path is appended to the origin instead.
 */
function requestUrl(request: IncomingMessage): URL {
  const target = request.url ?? '/';
  return new URL(target.startsWith('/') ? `http://localhost${target}` : target, 'http://localhost');
}

async function route(
  options: HttpFrontOptions,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  // API Gateway's own header, on every answer (a refused token's included): the id the handler's
  // log lines and the access line carry (README, "Logs").
  const requestId = randomUUID();
  response.setHeader('x-amzn-requestid', requestId);
  let url: URL;
  try {
    url = requestUrl(request);
  } catch {
    // A target node:http passes on and no URL parser takes (`http://[x`): the client's error.
    sendError(response, 400, 'VALIDATION_ERROR', 'The request target is not a valid URL');
    return;
  }
  let body: string;
  try {
    body = await readBody(request);
  } catch (error) {
    if (error instanceof PayloadTooLargeError) {
      return sendError(
        response,
        413,
        'PAYLOAD_TOO_LARGE',
        `Bodies are limited to ${MAX_FRONT_BODY_BYTES} bytes`,
      );
    }
    throw error;
  }
  if (url.pathname === '/health' && request.method === 'GET') return handleHealth(options, response);
  if (isConsolePath(url.pathname)) return serveConsole(request.method ?? 'GET', url.pathname, response);
  const { claims, rejected } = await claimsOf(request, options.authSecret);
  // As the Cognito authorizer does, a refused token never reaches the handler; here the 401 says why.
  // A public route has no authorizer on AWS: its token, good or bad, is not looked at.
  const isPublic = isPublicPath(url.pathname);
  if (rejected && !isPublic) return sendError(response, 401, 'UNAUTHORIZED', rejected);
  if (claims?.sub && !isPublic) callerOfRequest.set(request, claims.sub);
  if (url.pathname === '/local/events') {
    if (request.method !== 'POST') return sendError(response, 405, 'METHOD_NOT_ALLOWED', 'Use POST');
    return handleLocalEvents(options, claims, body, response);
  }
  const event = buildProxyEvent(request, url, body, isPublic ? undefined : claims, requestId);
  writeProxyResult(response, await options.apiHandler(event, lambdaContext(event.requestContext.requestId)));
}

/**
 * The request's path, for its log lines; a target no URL parser takes (`http://[x`, which node:http
 * passes on) is not named: reading it again would throw where nothing catches it.
 */
function loggedPath(request: IncomingMessage): string {
  try {
    return requestUrl(request).pathname;
  } catch {
    return '(unparsable target)';
  }
}

/** The `sub` of the token accepted for a request, for its access line (README, "Logs"). */
const callerOfRequest = new WeakMap<IncomingMessage, string>();

function accessFields(request: IncomingMessage, response: ServerResponse, started: number): NoticeFields {
  const callerId = callerOfRequest.get(request);
  return {
    method: request.method,
    path: loggedPath(request),
    status: response.statusCode,
    durationMs: Math.round(performance.now() - started),
    requestId: response.getHeader('x-amzn-requestid'),
    // The api handler's lines carry it under this key too (the local context's awsRequestId).
    awsRequestId: response.getHeader('x-amzn-requestid'),
    ...(callerId !== undefined ? { callerId } : {}),
  };
}

export async function startHttpFront(options: HttpFrontOptions): Promise<HttpFront> {
  const host = options.host ?? '127.0.0.1';
  // The response in flight on each socket: bytes that follow a request without a length (a DELETE
  // whose client sent a body with neither content-length nor chunking) parse as a second, malformed
  // request; its 400 must not overtake the answer to the request that was read and acted on.
  const inFlight = new WeakMap<Socket, ServerResponse>();
  const log = options.log ?? runtimeLog;
  const server = createServer((request, response) => {
    const started = performance.now();
    inFlight.set(request.socket, response);
    response.once('close', () => inFlight.delete(request.socket));
    response.once('finish', () => log.info('http access', accessFields(request, response, started)));
    route(options, request, response).catch((error: unknown) => {
      // The path only: a query may carry what a log must not keep.
      log.error('http front failed', {
        method: request.method,
        path: loggedPath(request),
        requestId: response.getHeader('x-amzn-requestid'),
        ...errorFields(error),
      });
      if (response.headersSent) response.destroy();
      else sendError(response, 500, 'INTERNAL_ERROR', 'Internal error');
    });
  });
  // Requests node:http cannot parse get the API's error envelope too, not its bare 400.
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    if (!socket.writable) return socket.destroy();
    const pending = inFlight.get(socket as Socket);
    if (pending) {
      // Answer the request in flight, then close: the malformed rest gets no answer of its own.
      if (!pending.headersSent) pending.setHeader('connection', 'close');
      pending.once('finish', () => socket.end());
      return;
    }
    const body = JSON.stringify({ error: { code: 'BAD_REQUEST', message: 'Malformed HTTP request' } });
    const status =
      error.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
    socket.end(
      `HTTP/1.1 ${status}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
