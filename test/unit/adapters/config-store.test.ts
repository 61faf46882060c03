/**
 * The config store's documents over signed fetch (lambdas/adapters/s3/index.ts): the PUT a push
 * publishes (tagged with the instance's ARN, which the instance policy matches: docs/SECURITY.md),
 * the GET that reads it back, and what S3's failures become. Deleting under a prefix:
 * test/gateway/teardown-adapters.test.ts.
 */
import { S3ConfigStore, sha256Hex } from '../../../lambdas/adapters/s3';
import { TransientError } from '../../../lambdas/core/errors';
import { type Answer, objectsAnswering, ok, s3Error } from '../../support/s3-fetch';

process.env.GATEWAY_INSTANCE_ARN_PREFIX ??= 'arn:aws:ec2:eu-west-1:111122223333:instance/';
const DOCUMENT = '{"peers":[]}';
const TARGET = { gatewayId: 'gw-a', instanceId: 'i-0abc' };
const KEY_URL = 'https://config-bucket.s3.eu-west-1.amazonaws.com/gateways/gw-a/000000000007.json';

function storeAnswering(answers: Answer[]) {
  const { objects, requests } = objectsAnswering('config-bucket', answers);
  return { store: new S3ConfigStore(objects), requests };
}

test('publishes a document as one signed PUT, tagged for its instance', async () => {
  // Prepare
  const { store, requests } = storeAnswering([ok()]);

  // Act
  const published = await store.put(TARGET, 7, DOCUMENT);

  // Assess
  expect(published).toEqual({
    uri: 's3://config-bucket/gateways/gw-a/000000000007.json',
    sha256: sha256Hex(DOCUMENT),
  });
  expect(requests).toEqual([expect.objectContaining({ method: 'PUT', url: KEY_URL, body: DOCUMENT })]);
  expect(requests[0]?.headers).toMatchObject({
    'content-type': 'application/json',
    'x-amz-tagging': `vpc-peering-instance=${encodeURIComponent(`${process.env.GATEWAY_INSTANCE_ARN_PREFIX}i-0abc`)}`,
  });
  expect(requests[0]?.headers.authorization).toMatch(/SignedHeaders=content-type;host;.*x-amz-tagging/);
});

test('reads a document back, and nothing for 404', async () => {
  // Prepare
  const { store, requests } = storeAnswering([ok(DOCUMENT), s3Error(404, 'NoSuchKey')]);

  // Act
  const found = await store.get('gw-a', 7);
  const missing = await store.get('gw-a', 8);

  // Assess
  expect(found).toBe(DOCUMENT);
  expect(missing).toBeUndefined();
  expect(requests.map((request) => [request.method, request.url])).toEqual([
    ['GET', KEY_URL],
    ['GET', KEY_URL.replace('07.json', '08.json')],
  ]);
});

test('turns throttling that outlasts 3 attempts into TransientError', async () => {
  // Prepare
  const { store, requests } = storeAnswering([s3Error(503, 'SlowDown')]);

  // Act / Assess
  await expect(store.put(TARGET, 7, DOCUMENT)).rejects.toBeInstanceOf(TransientError);
  expect(requests).toHaveLength(3);
});

test('keeps a denial as S3 names it', async () => {
  // Prepare
  const { store } = storeAnswering([s3Error(403, 'AccessDenied')]);

  // Act / Assess
  await expect(store.put(TARGET, 7, DOCUMENT)).rejects.toMatchObject({ name: 'AccessDenied', status: 403 });
});
