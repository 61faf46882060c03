/**
 * Listing and deleting many objects over signed fetch (lambdas/adapters/signed-s3/http-objects.ts):
 * ListObjectsV2's XML read back (keys decoded, the next page's token), DeleteObjects' request (its
 * XML body, Content-MD5), its per-key <Error> inside a 200, and throttling retried, then
 * TransientError. Fetch stubbed (test/support/s3-fetch.ts).
 */
import { createHash } from 'node:crypto';
import { TransientError } from '../../../lambdas/core/errors';
import {
  deleteResult,
  keysToDelete,
  listing,
  OBJECTS_REGION,
  objectsAnswering,
  ok,
  s3Error,
} from '../../support/s3-fetch';

const BUCKET_URL = `https://bucket.s3.${OBJECTS_REGION}.amazonaws.com/`;

test('a listing asks for one ListObjectsV2 page under the prefix, and gives the next page’s token', async () => {
  // Prepare
  const { objects, requests } = objectsAnswering('bucket', [listing(['p/a', 'p/b'], 'next/+=')]);

  // Act
  const page = await objects.list('p/', 'this/+=');

  // Assess
  expect(page).toEqual({ keys: ['p/a', 'p/b'], nextToken: 'next/+=' });
  expect(requests).toEqual([
    expect.objectContaining({
      method: 'GET',
      url: `${BUCKET_URL}?continuation-token=this%2F%2B%3D&list-type=2&prefix=p%2F`,
    }),
  ]);
});

test('the last page has no next token', async () => {
  // Prepare
  const { objects } = objectsAnswering('bucket', [listing(['p/a'])]);

  // Act
  const page = await objects.list('p/');

  // Assess
  expect(page).toEqual({ keys: ['p/a'], nextToken: undefined });
});

test('listed keys are XML-decoded: named and numeric entities', async () => {
  // Prepare: S3's XML as it escapes a key (the helper escapes only the named five).
  const { objects } = objectsAnswering('bucket', [
    ok(
      '<ListBucketResult><IsTruncated>false</IsTruncated>' +
        '<Contents><Key>p/a&amp;b&lt;c&gt;&quot;d&apos;&#233;&#x1F600;&amp;lt;</Key><Size>1</Size></Contents>' +
        '</ListBucketResult>',
    ),
  ]);

  // Act
  const page = await objects.list('p/');

  // Assess: decoded once: `&amp;lt;` is the text `&lt;`.
  expect(page.keys).toEqual(['p/a&b<c>"d\'é😀&lt;']);
});

test('deleteMany sends one quiet DeleteObjects, keys XML-escaped, with the Content-MD5 of its body', async () => {
  // Prepare
  const { objects, requests } = objectsAnswering('bucket', [deleteResult()]);

  // Act
  await objects.deleteMany(['p/a&b', 'p/<c>']);

  // Assess
  const [request] = requests;
  expect(request?.method).toBe('POST');
  expect(request?.url).toBe(`${BUCKET_URL}?delete=`);
  expect(request?.body).toBe(
    '<Delete><Quiet>true</Quiet><Object><Key>p/a&amp;b</Key></Object><Object><Key>p/&lt;c&gt;</Key></Object></Delete>',
  );
  expect(request?.headers['content-md5']).toBe(
    createHash('md5')
      .update(request?.body ?? '')
      .digest('base64'),
  );
  expect(request?.headers.authorization).toMatch(/SignedHeaders=content-md5;host;/);
});

test('deleteMany sends at most 1,000 keys a request, and nothing for no keys', async () => {
  // Prepare
  const keys = Array.from({ length: 1_001 }, (_, i) => `p/${i}`);
  const { objects, requests } = objectsAnswering('bucket', [deleteResult()]);

  // Act
  await objects.deleteMany(keys);
  await objects.deleteMany([]);

  // Assess
  expect(requests.map(keysToDelete)).toEqual([keys.slice(0, 1_000), keys.slice(1_000)]);
});

test('a key S3 could not delete, listed inside its 200 answer, throws naming the key', async () => {
  // Prepare
  const { objects } = objectsAnswering('bucket', [
    deleteResult([
      { key: 'p/a&b', code: 'AccessDenied' },
      { key: 'p/c', code: 'InternalError' },
    ]),
  ]);

  // Act
  const refused = await objects.deleteMany(['p/a&b', 'p/c']).catch((error: unknown) => error);

  // Assess: a permanent refusal is not retried as a throttled one would be
  expect(refused).toEqual(new Error('S3 DeleteObjects of p/a&b: AccessDenied'));
  expect(refused).not.toBeInstanceOf(TransientError);
});

test.each(['SlowDown', 'InternalError', 'ServiceUnavailable'])(
  'a key S3 could not delete for now (%s), inside its 200 answer, is a TransientError',
  async (code) => {
    // Prepare
    const { objects } = objectsAnswering('bucket', [deleteResult([{ key: 'p/c', code }])]);

    // Act
    const failed = await objects.deleteMany(['p/c']).catch((error: unknown) => error);

    // Assess
    expect(failed).toBeInstanceOf(TransientError);
    expect((failed as Error).message).toBe(`S3 DeleteObjects of p/c: ${code}`);
  },
);

describe.each([
  ['a listing', (objects: ReturnType<typeof objectsAnswering>['objects']) => objects.list('p/'), listing([])],
  [
    'a DeleteObjects',
    (objects: ReturnType<typeof objectsAnswering>['objects']) => objects.deleteMany(['p/a']),
    deleteResult(),
  ],
])('%s throttled by S3 (503 SlowDown)', (_request, send, success) => {
  test('is retried', async () => {
    // Prepare
    const { objects, requests } = objectsAnswering('bucket', [s3Error(503, 'SlowDown'), success]);

    // Act
    await send(objects);

    // Assess
    expect(requests).toHaveLength(2);
  });

  test('becomes TransientError after 3 attempts', async () => {
    // Prepare
    const { objects, requests } = objectsAnswering('bucket', [s3Error(503, 'SlowDown')]);

    // Act / Assess
    await expect(send(objects)).rejects.toBeInstanceOf(TransientError);
    expect(requests).toHaveLength(3);
  });
});
