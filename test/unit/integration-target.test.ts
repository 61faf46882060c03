/**
 * The integration suite's remote target (test/support/target.ts, `API_URL` set): gateway events go
 * to the stack's own bus, GATEWAY_EVENT_BUS, and a run without it stops before any test instead of
 * putting them on the default bus, where no rule matches (README.md, "Integration suite against
 * LocalStack"). EventBridge is a local HTTP server here; nothing reaches AWS.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTarget } from '../support/target';

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
const VARIABLES = [...Object.keys(REMOTE_ENV), 'GATEWAY_EVENT_BUS', 'AWS_ENDPOINT_URL'];

let saved: Record<string, string | undefined>;
beforeEach(() => {
  saved = Object.fromEntries(VARIABLES.map((name) => [name, process.env[name]]));
  Object.assign(process.env, REMOTE_ENV);
  delete process.env.GATEWAY_EVENT_BUS;
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
});
