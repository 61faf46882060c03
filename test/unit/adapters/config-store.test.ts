/**
 * The config store's documents over signed fetch (lambdas/adapters/s3/index.ts): the PUT a push
 * publishes (tagged with the instance's ARN, which the instance policy matches: docs/SECURITY.md),
 * the GET that reads it back, a prune's one listing page and one DeleteObjects, and what S3's
 * failures become. Deleting under a prefix:
 * test/gateway/teardown-adapters.test.ts.
 */
import { S3ConfigStore, sha256Hex } from '../../../lambdas/adapters/s3';
import { TransientError } from '../../../lambdas/core/errors';
import {
  type Answer,
  deleteResult,
  keysToDelete,
  listing,
  objectsAnswering,
  ok,
  s3Error,
} from '../../support/s3-fetch';

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

describe('pruning', () => {
  const LIST_URL =
    'https://config-bucket.s3.eu-west-1.amazonaws.com/?list-type=2&max-keys=1000&prefix=gateways%2Fgw-a%2F';
  const WRITTEN_BEFORE = new Date('2026-12-05T11:00:00.000Z');
  const keyOf = (generation: number) => `gateways/gw-a/${String(generation).padStart(12, '0')}.json`;
  /** Generations 1 and 2 old, 3 young, 4 and 5 old. */
  const writtenAt = (key: string) =>
    new Date(key === keyOf(3) ? '2026-12-05T11:30:00.000Z' : '2026-12-05T10:00:00.000Z');

  test('lists one page from the gateway prefix and deletes the old documents below in one request', async () => {
    // Prepare
    const keys = [1, 2, 3, 4, 5].map(keyOf);
    const { store, requests } = storeAnswering([listing(keys, undefined, writtenAt), deleteResult()]);

    // Act
    const deleted = await store.pruneBelow('gw-a', 4, WRITTEN_BEFORE);

    // Assess
    expect(deleted).toBe(2);
    expect(requests.map((request) => [request.method, request.url])).toEqual([
      ['GET', LIST_URL],
      ['POST', 'https://config-bucket.s3.eu-west-1.amazonaws.com/?delete='],
    ]);
    expect(keysToDelete(requests[1] as (typeof requests)[number])).toEqual([keyOf(1), keyOf(2)]);
  });

  test('sends no DeleteObjects when nothing is due', async () => {
    // Prepare
    const { store, requests } = storeAnswering([listing([keyOf(3), keyOf(4)], undefined, writtenAt)]);

    // Act
    const deleted = await store.pruneBelow('gw-a', 4, WRITTEN_BEFORE);

    // Assess
    expect(deleted).toBe(0);
    expect(requests.map((request) => request.method)).toEqual(['GET']);
  });
});
