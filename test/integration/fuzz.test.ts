/**
 * Property-based fuzzing of the whole API over HTTP (fast-check): random methods, paths (every
 * route, odd encodings), headers, tokens and bodies (deep nesting, huge numbers, injection strings,
 * prototype keys, 70 KB). Whatever is sent: no 5xx, no dropped connection, every 4xx keeps the
 * `{"error":{"code","message"}}` envelope, and a refused change stores nothing. Bounded runs; the
 * number of cases run is printed. The caller throttle is off here (it has its own 429 test in
 * test/api/limits.test.ts) so that the state snapshots are never throttled themselves.
 */
import fc from 'fast-check';
import { type GatewayJson, isThisFilesGateway, isThisFilesPeering, useTarget } from '../support/integration';
import { type RawReply, rawRequest } from '../support/raw-request';

process.env.CALLER_RATE_PER_SECOND = '0';

const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const { target, client, newGateway } = useTarget();

/** node:http(s), not fetch: the path goes out exactly as generated (no URL normalisation). */
async function send(
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<RawReply> {
  const reply = await rawRequest(target.apiUrl, method, path, headers, body);
  // A registration the fuzz made is deleted after the file, like the client's own.
  if (reply.status === 201) client.registered(parsedOrUndefined(reply.body));
  return reply;
}

function parsedOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const ROUTES = [
  '/health',
  '/v1/gateways',
  '/v1/gateways/{id}',
  '/v1/gateways/{id}/peering-candidates',
  '/v1/gateways/{id}/vpc-peerings',
  '/v1/gateways/{id}/status',
  '/v1/gateways/{id}/peers',
  '/v1/gateways/{id}/peers/{name}',
  '/v1/gateways/{id}/peers/{name}/config',
  '/v1/vpc-peerings',
  '/v1/vpc-peerings/{id}',
  '/v1/openapi.json',
  '/local/events',
  // Anything outside /v1, /health and /local is the console's static site (runtime/console-static.ts).
  '/v1/nope',
];

const INJECTIONS = [
  "' OR 1=1 --",
  '"; DROP TABLE x; --',
  '$(reboot)',
  '`id`',
  'laptop\n[Peer]\nAllowedIPs = 0.0.0.0/0',
  '<script>alert(1)</script>',
  '../../etc/passwd',
  '%00',
  '\u0000',
  '#',
  '{"$ne":null}',
  'vpc-peering-',
  'a'.repeat(300),
];

const PROTO_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty'];

const segment = (known: string[]) =>
  fc.oneof(
    fc.constantFrom(...known),
    fc.constantFrom(...INJECTIONS).map(encodeURIComponent),
    fc.constantFrom('%', '%zz', '%2F', '%2e%2e', '..', '.', '%00', '%C0%AF', '%E2%80%AE'),
    fc.string({ maxLength: 40 }).map(encodeURIComponent),
    fc.string({ unit: 'binary', maxLength: 20 }).map(encodeURIComponent),
  );

const path = (known: string[]) =>
  fc
    .tuple(
      fc.constantFrom(...ROUTES),
      segment(known),
      segment(['laptop', 'vpc-peering-pcx-0000', 'x']),
      fc.constantFrom('', '/', '//', '?limit=-1', '?nextToken=%FF', '?ownerId[]=x', '#frag'),
    )
    .map(([route, id, name, suffix]) => route.replace('{id}', id).replace('{name}', name) + suffix);

const hugeNumbers = fc.constantFrom(1e308, -1e308, 2 ** 53 + 1, -0, 1e-320);
const hugeNumberText = `{"listenPort":123456789012345678901234567890,"name":1e400}`;

const leaf = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.constantFrom(...INJECTIONS),
  hugeNumbers,
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
);

const deepNesting = fc
  .integer({ min: 50, max: 5000 })
  .map((depth) => `${'['.repeat(depth)}${']'.repeat(depth)}`);

const protoBody = fc
  .tuple(fc.constantFrom(...PROTO_KEYS), leaf)
  .map(([key, value]) => `{"${key}":${JSON.stringify(value)},"name":"laptop","remoteGatewayId":"gw"}`);

const fieldBody = (gatewayFields: Record<string, unknown>) =>
  fc
    .tuple(fc.constantFrom(...Object.keys(gatewayFields), 'name', 'publicKey', 'remoteGatewayId'), leaf)
    .map(([field, value]) => JSON.stringify({ ...gatewayFields, [field]: value }));

const body = (gatewayFields: Record<string, unknown>) =>
  fc.oneof(
    fc.constant(undefined),
    fc.json({ maxDepth: 4 }),
    fieldBody(gatewayFields),
    protoBody,
    deepNesting,
    fc.constant(`{"name":"${'x'.repeat(70 * 1024)}"}`),
    fc.constant('{"name": "laptop"'),
    fc.string({ maxLength: 200 }),
    fc.constantFrom('null', '[]', '"str"', '1e999', '{"name":"a","name":"b"}', hugeNumberText),
  );

const headers = fc.record(
  {
    'content-type': fc.constantFrom('application/json', 'text/plain', 'application/json; charset=utf-16', ''),
    'idempotency-key': fc.oneof(
      fc.string({ maxLength: 300 }).filter((k) => /^[\x20-\x7e]*$/.test(k)),
      fc.constant('k'),
    ),
    'content-encoding': fc.constantFrom('gzip', 'identity'),
  },
  { requiredKeys: [] },
);

type TokenKind = 'none' | 'garbage' | 'alice' | 'admin' | 'tampered' | 'basic';

function authorization(kind: TokenKind): Record<string, string> {
  const { alice, admin } = target.tokens;
  switch (kind) {
    case 'none':
      return {};
    case 'garbage':
      return { authorization: 'Bearer not.a.jwt' };
    case 'tampered':
      return { authorization: `Bearer ${alice.slice(0, -4)}AAAA` };
    case 'basic':
      return { authorization: 'Basic YWRtaW46YWRtaW4=' };
    default:
      return { authorization: `Bearer ${kind === 'alice' ? alice : admin}` };
  }
}

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

test(`the API survives ${RUNS} random requests`, async () => {
  // Prepare
  const own: GatewayJson = await newGateway('alice');
  const others: GatewayJson = await newGateway('bob');
  // This file's gateways and peerings only (a registration the fuzz makes carries its RUN: its body
  // is `own`'s with one field changed), so other files' work on a shared deployment cannot move it.
  const snapshot = async (): Promise<string> => {
    const admin = authorization('admin');
    const [gateways, peerings, ...views] = await Promise.all(
      [
        '/v1/gateways?limit=100',
        '/v1/vpc-peerings?limit=100',
        `/v1/gateways/${own.id}`,
        `/v1/gateways/${others.id}`,
      ].map((p) => send('GET', p, admin)),
    );
    const items = (reply: RawReply | undefined) =>
      (JSON.parse(reply?.body ?? '{}') as { items?: unknown[] }).items ?? [];
    return JSON.stringify([
      items(gateways).filter((g) => isThisFilesGateway(g as GatewayJson)),
      items(peerings).filter((p) => isThisFilesPeering(p as { gatewayIds: string[] })),
      ...views.map((reply) => reply.body),
    ]);
  };
  const { id: _id, name: _name, ...gatewayFields } = own;
  let cases = 0;
  // Act / Assess
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom('GET', 'POST', 'DELETE', 'PUT', 'PATCH', 'OPTIONS', 'HEAD'),
      path([own.id, others.id, 'gw-none']),
      fc.constantFrom<TokenKind>('none', 'garbage', 'alice', 'admin', 'tampered', 'basic'),
      headers,
      body({ ...gatewayFields, ownerId: target.users.alice }),
      async (method, requestPath, token, extraHeaders, requestBody) => {
        cases += 1;
        const before = MUTATING.has(method) ? await snapshot() : '';
        // A HEAD answer has no body, so node:http cannot read an envelope after one it refused.
        const sent = method === 'HEAD' ? undefined : requestBody;
        const reply = await send(method, requestPath, { ...extraHeaders, ...authorization(token) }, sent);
        expect(reply.status).toBeGreaterThanOrEqual(200);
        expect(reply.status).toBeLessThan(500);
        if (reply.status >= 400 && method !== 'HEAD') {
          const parsed = JSON.parse(reply.body) as { error?: { code?: unknown; message?: unknown } };
          expect(Object.keys(parsed)).toEqual(['error']);
          expect(typeof parsed.error?.code).toBe('string');
          expect(typeof parsed.error?.message).toBe('string');
        }
        if (reply.status >= 400 && MUTATING.has(method)) expect(await snapshot()).toBe(before);
      },
    ),
    { numRuns: RUNS, interruptAfterTimeLimit: 240_000 },
  );
  process.stdout.write(`fuzz: ${cases} requests sent, every property held\n`);
  expect(cases).toBeGreaterThan(0);
}, 300_000);

/**
 * Embedded only: it tests how the embedded runtime's own HTTP server (runtime/http-front.ts) frames
 * requests; a deployment's front is API Gateway's, which this test cannot reach in the same way
 * (README.md, "Integration suite against LocalStack").
 */
const embeddedOnly = process.env.API_URL ? test.skip : test;

embeddedOnly(
  'a DELETE followed by unframed bytes is answered for what was done, not with the 400 of the rest',
  async () => {
    // Prepare: node:http sends a DELETE's body with neither content-length nor chunking, so the server
    // reads a bodiless DELETE and then the body as a second, malformed request (found by the fuzz).
    const gateway: GatewayJson = await newGateway('alice');

    // Act
    const reply = await send('DELETE', `/v1/gateways/${gateway.id}`, authorization('alice'), `['nxM7s"lM`);

    // Assess: the delete was done, and its answer says so.
    expect(reply.status).toBe(202);
    const after = await send('GET', `/v1/gateways/${gateway.id}`, authorization('admin'));
    expect(after.status).toBe(404);
  },
);
