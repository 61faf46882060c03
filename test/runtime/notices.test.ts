/**
 * The embedded runtime's own notices (runtime/runtime-log.ts, README "Logs"): one JSON line each,
 * in the handlers' shape (level, message, timestamp, service), `component: "runtime"`, and their
 * facts as fields; nothing else reaches the log stream while the runtime starts and runs. Read from
 * what is really written to stdout and stderr. Files-mode hosts: runs anywhere.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { MemoryBookkeeping } from '../../lambdas/adapters/memory/bookkeeping';
import { startDynamoDbLocal } from '../../runtime/dynamodb-local';
import { startHttpFront } from '../../runtime/http-front';
import { type Runtime, type RuntimeOptions, startRuntime } from '../../runtime/main';
import { silentLog } from '../../runtime/runtime-log';
import { captureOutputLines, type LogLine } from '../support/log-lines';

const SECRET = 'notices-secret-of-at-least-32-bytes-long!';

/** Every line written is JSON: the notices parsed, after checking that none is plain text. */
function jsonLines(output: string[]): LogLine[] {
  expect(output.filter((line) => !line.startsWith('{'))).toEqual([]);
  return output.map((line) => JSON.parse(line) as LogLine);
}

const registerGateway = (runtime: Runtime) =>
  fetch(`${runtime.url}/v1/gateways`, {
    method: 'POST',
    headers: { authorization: `Bearer ${runtime.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      id: 'gw-notice',
      ownerId: 'alice',
      vpcId: 'vpc-notice',
      vpcCidr: '10.70.0.0/16',
      tunnelSubnet: '100.64.70.0/24',
      publicIp: '203.0.113.70',
      instanceId: 'i-notice',
    }),
  });

const theShape = { timestamp: expect.any(String), service: expect.any(String), component: 'runtime' };

describe('the runtime notices', () => {
  let dataDir: string;
  const options = (): RuntimeOptions => ({
    port: 0,
    dataDir,
    hostMode: 'files',
    waitMs: 20,
    statusReportIntervalMs: 0,
    sweepIntervalMs: 0,
  });

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'vpc-peering-notices-'));
  });

  afterEach(() => {
    jest.restoreAllMocks();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('name the host of each registered gateway at start, as fields', async () => {
    // Prepare: a runtime with one gateway, stopped. Both runtimes share one DynamoDB Local, which
    // outlives them: the handler modules keep the endpoint they were first loaded with.
    const dynamo = await startDynamoDbLocal();
    try {
      const shared: RuntimeOptions = {
        storage: 'dynamodb',
        dynamoDbLocal: Promise.resolve({ ...dynamo, stop: async () => {} }),
      };
      const first = await startRuntime({ ...options(), ...shared, log: silentLog });
      try {
        expect((await registerGateway(first)).status).toBe(201);
      } finally {
        await first.stop();
      }

      // Act: a start on the same DATA_DIR, with the runtime's own log.
      const output = await captureOutputLines(async () => {
        const second = await startRuntime({ ...options(), ...shared });
        await second.stop();
      });

      // Assess
      expect(jsonLines(output)).toContainEqual({
        level: 'INFO',
        message: 'gateway host',
        ...theShape,
        sampling_rate: expect.any(Number),
        gatewayId: 'gw-notice',
        host: { instanceId: 'i-notice', mode: 'files' },
      });
    } finally {
      await dynamo.stop();
    }
  }, 120_000);

  it("write the sweep's failure with its error's name and message", async () => {
    // Prepare: a sweep that cannot read its work.
    const unreadable = jest
      .spyOn(MemoryBookkeeping.prototype, 'findSweepWork')
      .mockRejectedValue(new RangeError('sweep work unreadable'));

    // Act: a few periods of the sweep's timer.
    const output = await captureOutputLines(async () => {
      const runtime = await startRuntime({ ...options(), storage: 'memory', sweepIntervalMs: 20 });
      try {
        for (let waited = 0; unreadable.mock.calls.length === 0 && waited < 10_000; waited += 20) {
          await new Promise((done) => setTimeout(done, 20));
        }
      } finally {
        await runtime.stop();
      }
    });

    // Assess
    expect(unreadable).toHaveBeenCalled();
    expect(jsonLines(output)).toContainEqual(
      expect.objectContaining({
        level: 'ERROR',
        message: 'sweep failed',
        ...theShape,
        errorName: 'RangeError',
        errorMessage: 'sweep work unreadable',
      }),
    );
  });
});

describe("the HTTP front's lines", () => {
  const failingFront = () =>
    startHttpFront({
      port: 0,
      authSecret: SECRET,
      apiHandler: async (): Promise<APIGatewayProxyResult> => {
        throw new TypeError('api handler crashed');
      },
      postLocalEvents: async () => ({}),
      health: async () => ({ ok: true, components: {} }),
    });

  it("write a request's failure and its access line as JSON, without its query", async () => {
    // Prepare
    const front = await failingFront();
    let requestId: string | null = null;
    let status = 0;

    // Act
    const output = await captureOutputLines(async () => {
      const answer = await fetch(`${front.url}/v1/gateways?nextToken=secret-looking-query`);
      requestId = answer.headers.get('x-amzn-requestid');
      status = answer.status;
      await answer.text();
      await front.close();
    });

    // Assess
    expect(status).toBe(500);
    const lines = jsonLines(output);
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 'ERROR',
        message: 'http front failed',
        ...theShape,
        method: 'GET',
        path: '/v1/gateways',
        requestId,
        errorName: 'TypeError',
        errorMessage: 'api handler crashed',
      }),
    );
    expect(lines).toContainEqual(
      expect.objectContaining({ level: 'INFO', message: 'http access', ...theShape, status: 500, requestId }),
    );
    expect(output.join('\n')).not.toContain('secret-looking-query');
  });

  it('survive a request target no URL parser takes, and keep serving', async () => {
    // Prepare
    const front = await failingFront();
    const { port } = new URL(front.url);

    // Act: a target node:http passes on, which `new URL` refuses.
    let statusLine = '';
    let health = 0;
    const output = await captureOutputLines(async () => {
      statusLine = await new Promise<string>((answered, failed) => {
        const socket = connect(Number(port), '127.0.0.1', () =>
          socket.write('GET http://[x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n'),
        );
        let received = '';
        socket.on('data', (chunk) => {
          received += String(chunk);
        });
        socket.on('end', () => answered(received.split('\r\n')[0] ?? ''));
        socket.on('error', failed);
      });
      health = (await fetch(`${front.url}/health`)).status;
      await front.close();
    });

    // Assess
    expect(statusLine).toBe('HTTP/1.1 400 Bad Request');
    expect(health).toBe(200);
    expect(jsonLines(output)).toContainEqual(
      expect.objectContaining({ message: 'http access', status: 400, path: '(unparsable target)' }),
    );
  });
});
