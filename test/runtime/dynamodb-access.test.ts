/**
 * The runtime's DynamoDB Local answers the runtime alone (docs/SECURITY.md, "The local runtime"):
 * another local account knows its port (`ps` shows it) and can sign requests with any key id, but
 * not with the one drawn at this start, so it can neither read the records nor delete a gateway
 * for the root runtime to cascade. The runtime's own clients (the handlers' and the stream
 * poller's) work. Files-mode hosts: runs anywhere with Java.
 */
import { DeleteItemCommand, DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { localClientConfig } from '../../runtime/dynamodb-local';
import { useRuntime } from '../support/runtime';

const { runtime, api } = useRuntime('dynamodb-access', {
  storage: 'dynamodb',
  waitMs: 50,
  statusReportIntervalMs: 0,
  sweepIntervalMs: 0,
});

const gateway = {
  id: 'gw-kept',
  ownerId: 'alice',
  vpcId: 'vpc-kept',
  vpcCidr: '10.43.0.0/16',
  tunnelSubnet: '100.64.43.0/24',
  publicIp: '203.0.113.43',
  instanceId: 'i-kept',
};

it('refuses a client with another access key id, while the runtime reads, writes and cascades', async () => {
  // Prepare: a gateway with a host (a road-warrior's push made it), and a client as another local
  // user makes it.
  expect((await api('POST', '/v1/gateways', gateway)).status).toBe(201);
  expect((await api('POST', `/v1/gateways/${gateway.id}/peers`, { name: 'laptop' })).status).toBe(201);
  await runtime().settled();
  expect(runtime().hosts.instanceIds()).toEqual([gateway.instanceId]);
  const endpoint = process.env.AWS_ENDPOINT_URL_DYNAMODB;
  expect(endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  const foreign = new DynamoDBClient({ ...localClientConfig('local'), endpoint, maxAttempts: 1 });

  try {
    // Act
    const scan = await foreign.send(new ScanCommand({ TableName: 'vpc-peering' })).catch((e: Error) => e);
    const deletion = await foreign
      .send(
        new DeleteItemCommand({
          TableName: 'vpc-peering',
          Key: { pk: { S: `GW#${gateway.id}` }, sk: { S: 'META' } },
        }),
      )
      .catch((e: Error) => e);
    await runtime().settled();

    // Assess: both refused; the gateway and its host are still there.
    for (const refused of [scan, deletion]) {
      expect(refused).toMatchObject({
        name: 'UnrecognizedClientException',
        $metadata: { httpStatusCode: 400 },
      });
    }
    expect((await api('GET', `/v1/gateways/${gateway.id}`)).status).toBe(200);
    expect(runtime().hosts.instanceIds()).toEqual([gateway.instanceId]);
  } finally {
    foreign.destroy();
  }

  // Act: the runtime's own delete, cascaded through the stream poller.
  const deleted = await fetch(`${runtime().url}/v1/gateways/${gateway.id}`, {
    method: 'DELETE',
    headers: { authorization: `Bearer ${runtime().adminToken}` },
  });
  await runtime().settled();

  // Assess
  expect(deleted.status).toBe(202);
  expect(runtime().hosts.instanceIds()).toEqual([]);
});
