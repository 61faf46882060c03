/**
 * The api handler's lines carry the request's ids (README, "Logs"): `requestId` is API Gateway's,
 * the `x-amzn-requestid` header a tenant quotes, `awsRequestId` the Lambda invocation's. So the
 * line of a 500 is found from the header, and a create or delete writes one line linking the request
 * to its workflow execution, which the steps' lines name too. Behind the real local HTTP front,
 * whose `http access` line carries the same id.
 */
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { MemoryRepository } from '../../lambdas/adapters/memory/repository';
import type { ApiDeps } from '../../lambdas/app/api/context';
import type { GatewayRecord } from '../../lambdas/core/types';
import { startHttpFront } from '../../runtime/http-front';
import { mintToken } from '../../runtime/tokens';
import { callJson, type JsonAnswer, memoryApiHandler } from '../support/api-front';
import { captureLogLines, type LogLine, recordingLog } from '../support/log-lines';
import { newPeering } from '../support/records';

const SECRET = 'request-log-secret-of-at-least-32-bytes!';

// The fake's executions never end: each create or delete answers 202 after this wait.
const apiHandler = (repository: ApiDeps['repository']) =>
  memoryApiHandler({ deps: { repository }, timing: { waitMs: 20, pollMs: 5 } });

const gatewayBody = (n: number) => ({
  id: `gw-log-${n}`,
  ownerId: 'alice',
  vpcId: `vpc-log-${n}`,
  vpcCidr: `10.${60 + n}.0.0/16`,
  tunnelSubnet: `100.64.${60 + n}.0/24`,
  publicIp: `203.0.113.${60 + n}`,
  instanceId: `i-log-${n}`,
});

const withMessage = (lines: LogLine[], message: string) => lines.filter((line) => line.message === message);

describe('the request id on the api handler lines', () => {
  it('is on the line of a 500: API Gateway id and the Lambda invocation id', async () => {
    // Prepare: a repository that fails as an outage would.
    const repository = new MemoryRepository();
    jest.spyOn(repository, 'pageGateways').mockRejectedValue(new Error('boom from the repository'));
    const handler = apiHandler(repository);
    const event = {
      httpMethod: 'GET',
      path: '/v1/gateways',
      headers: {},
      multiValueHeaders: {},
      queryStringParameters: null,
      multiValueQueryStringParameters: null,
      pathParameters: null,
      body: null,
      isBase64Encoded: false,
      requestContext: { requestId: 'apigw-req-1', authorizer: { claims: { sub: 'alice' } } },
    } as unknown as APIGatewayProxyEvent;

    // Act
    let status = 0;
    const lines = await captureLogLines(async () => {
      status = (await handler(event, { awsRequestId: 'lambda-req-1' } as Context)).statusCode;
    });

    // Assess
    expect(status).toBe(500);
    const [error] = withMessage(lines, 'Unhandled error in the API');
    expect(error).toMatchObject({ level: 'ERROR', requestId: 'apigw-req-1', awsRequestId: 'lambda-req-1' });
  });

  it('is on the line a create and a delete write as they start their workflow, and on the access line', async () => {
    // Prepare: two gateways, and a peering of theirs to delete.
    const repository = new MemoryRepository();
    const { log, lines: access } = recordingLog();
    const front = await startHttpFront({
      port: 0,
      authSecret: SECRET,
      apiHandler: apiHandler(repository),
      postLocalEvents: async () => ({}),
      health: async () => ({ ok: true, components: {} }),
      log,
    });
    try {
      const admin = await mintToken(SECRET, { sub: 'ops', groups: ['admin'] });
      for (const n of [1, 2]) {
        expect((await callJson(front, 'POST', '/v1/gateways', admin, gatewayBody(n))).status).toBe(201);
      }
      const [a, b] = (await Promise.all([
        repository.getGateway('gw-log-1'),
        repository.getGateway('gw-log-2'),
      ])) as [GatewayRecord, GatewayRecord];
      await repository.createPeering(newPeering(a, b, 'pcx-log-delete'));

      // Act
      let created: JsonAnswer | undefined;
      let deleted: JsonAnswer | undefined;
      const lines = await captureLogLines(async () => {
        created = await callJson(front, 'POST', '/v1/gateways/gw-log-1/vpc-peerings', admin, {
          remoteGatewayId: 'gw-log-2',
        });
        deleted = await callJson(front, 'DELETE', '/v1/vpc-peerings/pcx-log-delete', admin);
      });

      // Assess: each start line names its peering and execution, with the id its client was given.
      if (!created || !deleted) throw new Error('the calls did not run');
      expect([created.status, deleted.status]).toEqual([202, 202]);
      const createId = created.headers.get('x-amzn-requestid');
      const deleteId = deleted.headers.get('x-amzn-requestid');
      const started = withMessage(lines, 'peering workflow started');
      expect(started).toEqual([
        expect.objectContaining({
          level: 'INFO',
          workflow: 'create-peering',
          peeringId: created.body.id,
          executionName: created.body.id,
          requestId: createId,
          awsRequestId: createId,
        }),
        expect.objectContaining({
          level: 'INFO',
          workflow: 'delete-peering',
          peeringId: 'pcx-log-delete',
          executionName: 'delete-pcx-log-delete',
          requestId: deleteId,
          awsRequestId: deleteId,
        }),
      ]);
      for (const id of [createId, deleteId]) {
        expect(access.find((line) => line.requestId === id)).toMatchObject({
          message: 'http access',
          awsRequestId: id,
        });
      }
    } finally {
      await front.close();
    }
  });
});
