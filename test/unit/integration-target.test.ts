/**
 * The integration suite's remote target (test/support/target.ts, `API_URL` set): gateway events go
 * to the stack's own bus, GATEWAY_EVENT_BUS, and a run without it stops before any test instead of
 * putting them on the default bus, where no rule matches (README.md, "Integration suite against
 * LocalStack"). Requests keep API_URL's scheme and stage, its gateways are taken to apply no push
 * unless GATEWAYS_APPLY_PUSHES says so, and a file deletes what it registered there. EventBridge
 * and the API are local HTTP servers here; nothing reaches AWS.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiClient } from '../support/integration';
import { rawRequest, rawRequestTarget } from '../support/raw-request';
import { startTarget, targetAppliesPushes } from '../support/target';

const token = (sub: string) =>
  ['header', Buffer.from(JSON.stringify({ sub })).toString('base64url'), 'signature'].join('.');

const REMOTE_ENV = {
  API_URL: 'https://api.example.test/prod/',
  ADMIN_TOKEN: token('admin-sub'),
  ALICE_TOKEN: token('alice-sub'),
  BOB_TOKEN: token('bob-sub'),
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
};
const VARIABLES = [
  ...Object.keys(REMOTE_ENV),
  'GATEWAY_EVENT_BUS',
  'AWS_ENDPOINT_URL',
  'GATEWAYS_APPLY_PUSHES',
  'AWS_DEFAULT_REGION',
  'AWS_CONFIG_FILE',
  'AWS_PROFILE',
];

let saved: Record<string, string | undefined>;
beforeEach(() => {
  saved = Object.fromEntries(VARIABLES.map((name) => [name, process.env[name]]));
  Object.assign(process.env, REMOTE_ENV);
  delete process.env.GATEWAY_EVENT_BUS;
  delete process.env.GATEWAYS_APPLY_PUSHES;
});
afterEach(() => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

/** A local EventBridge answering every PutEvents with success; it keeps each request's body. */
async function eventBridge() {
  const bodies: Array<{ Entries: Array<{ EventBusName?: string }> }> = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString('utf8');
    });
    request.on('end', () => {
      bodies.push(JSON.parse(body));
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      response.end(JSON.stringify({ FailedEntryCount: 0, Entries: [{ EventId: 'event-1' }] }));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    bodies,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

describe('the remote integration target', () => {
  it('refuses to start with API_URL but no GATEWAY_EVENT_BUS, naming the variable', async () => {
    // Act
    const started = startTarget();

    // Assess
    await expect(started).rejects.toThrow(/GATEWAY_EVENT_BUS/);
  });

  it('puts gateway events on GATEWAY_EVENT_BUS', async () => {
    // Prepare
    const endpoint = await eventBridge();
    process.env.AWS_ENDPOINT_URL = endpoint.url;
    process.env.GATEWAY_EVENT_BUS = 'VpcPeeringGatewayEventsBus1234';
    const target = await startTarget();

    // Act
    try {
      await target.putEvents([
        { Source: 'vpn.gateways', DetailType: 'VPN Gateway Deleted', Detail: '{"gatewayId":"gw-a"}' },
      ]);
    } finally {
      await target.stop();
      await endpoint.close();
    }

    // Assess
    expect(target.apiUrl).toBe('https://api.example.test/prod');
    expect(endpoint.bodies.flatMap((body) => body.Entries.map((entry) => entry.EventBusName))).toEqual([
      'VpcPeeringGatewayEventsBus1234',
    ]);
  });

  it('takes its gateways to apply no push, unless GATEWAYS_APPLY_PUSHES says so, and is shared', async () => {
    // Prepare
    process.env.GATEWAY_EVENT_BUS = 'VpcPeeringGatewayEventsBus1234';

    // Act
    const byDefault = await startTarget();
    process.env.GATEWAYS_APPLY_PUSHES = 'true';
    const toldSo = await startTarget();
    await Promise.all([byDefault.stop(), toldSo.stop()]);

    // Assess
    expect([byDefault.appliesPushes, toldSo.appliesPushes]).toEqual([false, true]);
    expect([byDefault.shared, toldSo.shared]).toEqual([true, true]);
    expect(targetAppliesPushes({})).toBe(true);
    expect(() => targetAppliesPushes({ GATEWAYS_APPLY_PUSHES: 'yes' })).toThrow(/GATEWAYS_APPLY_PUSHES/);
  });

  it('refuses to start without AWS_REGION, naming it (SDK v3 reads no other variable for it)', async () => {
    // Prepare: no region from a profile either.
    process.env.GATEWAY_EVENT_BUS = 'VpcPeeringGatewayEventsBus1234';
    delete process.env.AWS_REGION;
    delete process.env.AWS_DEFAULT_REGION;
    delete process.env.AWS_PROFILE;
    process.env.AWS_CONFIG_FILE = '/nonexistent/aws-config';

    // Act
    const started = startTarget();

    // Assess
    await expect(started).rejects.toThrow(/AWS_REGION/);
  });
});

/** A local API behind a stage prefix, as API Gateway serves one: it keeps each request's method and path. */
async function stagedApi() {
  const requests: string[] = [];
  const server = createServer((request, response) => {
    requests.push(`${request.method} ${request.url}`);
    request.resume();
    request.on('end', () => {
      response.writeHead(204);
      response.end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/prod/`,
    requests,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

describe("the suite's requests to a remote target", () => {
  it("keep API_URL's stage in every path", async () => {
    // Prepare
    const api = await stagedApi();
    process.env.API_URL = api.url;
    process.env.GATEWAY_EVENT_BUS = 'VpcPeeringGatewayEventsBus1234';
    const target = await startTarget();
    const client = new ApiClient(target);

    // Act
    try {
      await client.call('GET', '/v1/gateways?limit=100');
    } finally {
      await target.stop();
      await api.close();
    }

    // Assess
    expect(api.requests).toEqual(['GET /prod/v1/gateways?limit=100']);
  });

  it("send the fuzz suite's raw paths under API_URL's stage, as generated", async () => {
    // Prepare
    const api = await stagedApi();

    // Act
    try {
      await rawRequest(api.url, 'HEAD', '/v1/gateways/%C0%AF//?limit=-1', {});
    } finally {
      await api.close();
    }

    // Assess
    expect(api.requests).toEqual(['HEAD /prod/v1/gateways/%C0%AF//?limit=-1']);
  });

  it("keep API_URL's scheme: https without a port is TLS to 443, not HTTP to 80", () => {
    // Act
    const where = rawRequestTarget('https://abc123.execute-api.us-east-1.amazonaws.com/prod', '/health');

    // Assess
    expect(where).toEqual({
      https: true,
      host: 'abc123.execute-api.us-east-1.amazonaws.com',
      port: '',
      path: '/prod/health',
    });
  });
});
