/**
 * One repository call, and one SDK call, end within a bounded number of requests when the service
 * throttles or hangs: the api Lambda (29 s) must answer 503 itself, before API Gateway answers a
 * bare 504 (lambdas/adapters/sdk-client.ts, dynamodb/table.ts repositoryCallBoundMs). Real SDK
 * clients with the adapters' configuration, against a local HTTP server (no AWS); the request count
 * proves the budget, so no test here asserts a duration.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { createDocumentClient, dynamoDBClient } from '../../lambdas/adapters/dynamodb/client';
import { DynamoRepository } from '../../lambdas/adapters/dynamodb/repository';
import { TRANSIENT_ATTEMPTS } from '../../lambdas/adapters/dynamodb/retry';
import { repositoryCallBoundMs } from '../../lambdas/adapters/dynamodb/table';
import { boundedClientConfig, SDK_MAX_ATTEMPTS } from '../../lambdas/adapters/sdk-client';
import { TransientError } from '../../lambdas/core/errors';
import { gatewayRecord } from '../support/gateways';
import { roadWarrior } from '../support/records';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const API_LAMBDA_TIMEOUT_MS = 29_000;

/** DynamoDB's read operations; every other one writes. */
const READS = new Set(['GetItem', 'BatchGetItem', 'Query', 'Scan']);
const THROTTLED = JSON.stringify({
  __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
  message: 'throttled',
});

/** A local endpoint answering with `answer` (or never, when it does not end the response); it counts requests by operation. */
async function endpoint(answer: (operation: string, response: ServerResponse) => void) {
  const operations: string[] = [];
  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    // DynamoDB_20120810.PutItem, AWSStepFunctions.DescribeExecution: the operation follows the dot.
    const operation = String(request.headers['x-amz-target']).split('.').at(-1) ?? '';
    operations.push(operation);
    request.resume();
    request.on('end', () => answer(operation, response));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    operations,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

/** Writes refused as throttled, reads answered empty. */
const throttlingWrites = (operation: string, response: ServerResponse) => {
  response.writeHead(READS.has(operation) ? 200 : 400, {
    'content-type': 'application/x-amz-json-1.0',
  });
  response.end(READS.has(operation) ? '{}' : THROTTLED);
};

/** Takes every request and never answers it. */
const hanging = () => {};

const repositoryAt = (url: string) =>
  new DynamoRepository(
    createDocumentClient(dynamoDBClient({ endpoint: url, region: 'local', credentials })),
    'table',
    { random: () => 0 },
  );

let server: Awaited<ReturnType<typeof endpoint>> | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('a repository call while DynamoDB throttles every write', () => {
  it('gives up with TransientError after TRANSIENT_ATTEMPTS attempts of the SDK call, not 30', async () => {
    // Prepare
    server = await endpoint(throttlingWrites);
    const gateway = gatewayRecord();

    // Act
    const add = repositoryAt(server.url).addRoadWarrior({ ...roadWarrior(gateway.id, 'rw'), gateway });

    // Assess: each attempt is one write the SDK sends twice; then the repository gives up.
    await expect(add).rejects.toBeInstanceOf(TransientError);
    expect(server.operations).toEqual(Array(TRANSIENT_ATTEMPTS * SDK_MAX_ATTEMPTS).fill('PutItem'));
  });
});

describe('a repository call while DynamoDB never answers', () => {
  it('gives up with TransientError once the SDK has timed out its attempts', async () => {
    // Prepare
    server = await endpoint(hanging);

    // Act
    const read = repositoryAt(server.url).getGateway('gw-1');

    // Assess
    await expect(read).rejects.toBeInstanceOf(TransientError);
    expect(server.operations).toEqual(Array(SDK_MAX_ATTEMPTS).fill('GetItem'));
  });

  it('is bounded well under the api Lambda timeout', () => {
    // Assess: half of it leaves the handler its other calls and its 503 answer.
    expect(repositoryCallBoundMs()).toBeLessThan(API_LAMBDA_TIMEOUT_MS / 2);
  });
});

describe('the other services’ clients', () => {
  it('time out a request that is never answered, and stop after SDK_MAX_ATTEMPTS', async () => {
    // Prepare
    server = await endpoint(hanging);
    const sfn = new SFNClient({
      ...boundedClientConfig('SFN'),
      endpoint: server.url,
      region: 'local',
      credentials,
    });

    // Act
    const describe = sfn.send(
      new DescribeExecutionCommand({ executionArn: 'arn:aws:states:local:1:execution:m:e' }),
    );

    // Assess
    await expect(describe).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(server.operations).toEqual(Array(SDK_MAX_ATTEMPTS).fill('DescribeExecution'));
  });
});

describe('against an emulator', () => {
  const variable = 'AWS_ENDPOINT_URL_DYNAMODB';
  const saved = process.env[variable];
  afterEach(() => {
    if (saved === undefined) delete process.env[variable];
    else process.env[variable] = saved;
  });

  it('waits longer to connect and for an answer, as a busy DynamoDB Local needs', () => {
    // Prepare
    delete process.env[variable];
    const onAws = boundedClientConfig('DYNAMODB').requestHandler;
    process.env[variable] = 'http://127.0.0.1:8000';
    // Act
    const onEmulator = boundedClientConfig('DYNAMODB').requestHandler;
    // Assess
    expect(onEmulator.connectionTimeout).toBeGreaterThan(onAws.connectionTimeout);
    expect(onEmulator.requestTimeout).toBeGreaterThan(onAws.requestTimeout);
  });
});
