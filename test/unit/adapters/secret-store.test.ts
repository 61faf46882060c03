/**
 * The S3 secret store (lambdas/adapters/s3/secret-store.ts) over signed fetch
 * (lambdas/adapters/signed-s3/http-objects.ts), fetch stubbed: which request each call sends, and
 * what each S3 answer becomes. A refused conditional write (412, 409) means the first writer won; a
 * GET's 404 means no secret; throttling, 5xx and failures below HTTP are retried, then become
 * TransientError; anything else is thrown as S3 named it, without S3's message text.
 */
import { S3SecretStore } from '../../../lambdas/adapters/s3/secret-store';
import { TransientError } from '../../../lambdas/core/errors';
import {
  type Answer,
  bodyCut,
  deleteResult,
  keysToDelete,
  listing,
  objectsAnswering,
  ok,
  type RecordedRequest,
  s3Error,
  socketFailure,
  stalled,
} from '../../support/s3-fetch';

const KMS_KEY = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd';
const SECRET = 'the-secret-value=';
/** S3's <Message> of a denial names the caller: it must not reach the error's message. */
const DENIAL_TEXT = 'User: arn:aws:sts::123456789012:assumed-role/peering-api is not authorized';

/** A store whose fetch gives `answers` in turn, recording requests; `kmsKeyId` null: no key named. */
function storeAnswering(answers: Answer[], kmsKeyId: string | null = KMS_KEY) {
  // A short attempt bound: a stalled answer is aborted at once; every other answer comes first.
  const { objects, requests } = objectsAnswering('secrets-bucket', answers, { timeoutMs: 20 });
  return { store: new S3SecretStore(objects, kmsKeyId ?? undefined), requests };
}

const failureOf = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

describe('putIfAbsent', () => {
  test('sends one signed conditional PUT with SSE-KMS under the secrets key', async () => {
    // Prepare
    const { store, requests } = storeAnswering([ok()]);

    // Act
    await store.putIfAbsent('/vpc-peering/peerings/p1/psk', SECRET);

    // Assess
    expect(requests).toHaveLength(1);
    const [put] = requests;
    expect(put?.method).toBe('PUT');
    expect(put?.url).toBe(
      'https://secrets-bucket.s3.eu-west-1.amazonaws.com/secrets/vpc-peering/peerings/p1/psk',
    );
    expect(put?.body).toBe(SECRET);
    expect(put?.headers).toMatchObject({
      'if-none-match': '*',
      'x-amz-server-side-encryption': 'aws:kms',
      'x-amz-server-side-encryption-aws-kms-key-id': KMS_KEY,
      'x-amz-server-side-encryption-bucket-key-enabled': 'false',
      'x-amz-security-token': 'token',
    });
    expect(put?.headers.authorization).toMatch(/SignedHeaders=.*if-none-match.*x-amz-server-side-encryption/);
  });

  test('names no key id when the bucket’s default key is meant', async () => {
    // Prepare
    const { store, requests } = storeAnswering([ok()], null);

    // Act
    await store.putIfAbsent('/vpc-peering/peerings/p1/psk', SECRET);

    // Assess
    expect(requests[0]?.headers).toMatchObject({ 'x-amz-server-side-encryption': 'aws:kms' });
    expect(requests[0]?.headers).not.toHaveProperty('x-amz-server-side-encryption-aws-kms-key-id');
  });

  test.each([
    [412, 'PreconditionFailed'],
    [409, 'ConditionalRequestConflict'],
  ])('takes %s (%s) as the first writer having won', async (status, code) => {
    // Prepare
    const { store, requests } = storeAnswering([s3Error(status, code)]);

    // Act
    const failure = await failureOf(store.putIfAbsent('/vpc-peering/peerings/p1/psk', SECRET));

    // Assess
    expect(failure).toBeUndefined();
    expect(requests).toHaveLength(1);
  });

  test('throws a denial as S3 names it, once, without S3’s text or the value', async () => {
    // Prepare
    const { store, requests } = storeAnswering([s3Error(403, 'AccessDenied', DENIAL_TEXT)]);

    // Act
    const failure = await failureOf(store.putIfAbsent('/vpc-peering/peerings/p1/psk', SECRET));

    // Assess
    expect(failure).toMatchObject({ name: 'AccessDenied', status: 403 });
    expect(failure).not.toBeInstanceOf(TransientError);
    expect((failure as Error).message).not.toContain('123456789012');
    expect((failure as Error).message).not.toContain(SECRET);
    expect(requests).toHaveLength(1);
  });

  test('retries a slow-down and succeeds when S3 then takes the write', async () => {
    // Prepare
    const { store, requests } = storeAnswering([s3Error(503, 'SlowDown'), ok()]);

    // Act
    await store.putIfAbsent('/vpc-peering/peerings/p1/psk', SECRET);

    // Assess
    expect(requests).toHaveLength(2);
  });
});

describe('get', () => {
  test('returns the object’s text', async () => {
    // Prepare
    const { store, requests } = storeAnswering([ok(SECRET)]);

    // Act
    const value = await store.get('/vpc-peering/peerings/p1/psk');

    // Assess
    expect(value).toBe(SECRET);
    expect(requests[0]).toMatchObject({
      method: 'GET',
      url: 'https://secrets-bucket.s3.eu-west-1.amazonaws.com/secrets/vpc-peering/peerings/p1/psk',
    });
    expect(requests[0]).not.toHaveProperty('body');
  });

  test('returns undefined for 404 (no such key)', async () => {
    // Prepare
    const { store } = storeAnswering([s3Error(404, 'NoSuchKey')]);

    // Act
    const value = await store.get('/vpc-peering/peerings/p1/psk');

    // Assess
    expect(value).toBeUndefined();
  });

  test('throws a denial as S3 names it', async () => {
    // Prepare
    const { store } = storeAnswering([s3Error(403, 'AccessDenied', DENIAL_TEXT)]);

    // Act / Assess
    await expect(store.get('/vpc-peering/peerings/p1/psk')).rejects.toMatchObject({ name: 'AccessDenied' });
  });

  test('refuses a name outside the secret namespace before any request', async () => {
    // Prepare
    const { store, requests } = storeAnswering([ok(SECRET)]);

    // Act
    const failure = await failureOf(store.get('../other'));

    // Assess
    expect(failure).toBeInstanceOf(Error);
    expect(requests).toHaveLength(0);
  });
});

describe('delete', () => {
  test('sends one signed DELETE of the secrets key', async () => {
    // Prepare
    const { store, requests } = storeAnswering([ok(null, 204)]);

    // Act
    await store.delete('/vpc-peering/peerings/p1/psk');

    // Assess
    expect(requests).toEqual([
      expect.objectContaining({
        method: 'DELETE',
        url: 'https://secrets-bucket.s3.eu-west-1.amazonaws.com/secrets/vpc-peering/peerings/p1/psk',
      }),
    ]);
  });
});

describe('deleteUnder', () => {
  const folder = '/vpc-peering/gateways/gw-1/';
  const objectKey = (rest: string) => `secrets/vpc-peering/gateways/gw-1/${rest}`;

  test('lists the folder a page at a time and deletes each page in one request, orphans included', async () => {
    // Prepare: two pages; the second holds a key no peer entry names any more.
    const firstPage = Array.from({ length: 3 }, (_, i) => objectKey(`peers/rw-${i}/k${i}/private-key`));
    const { store, requests } = storeAnswering([
      listing([objectKey('private-key'), ...firstPage], 'next'),
      deleteResult(),
      listing([objectKey('peers/gone/k9/private-key')]),
      deleteResult(),
    ]);

    // Act
    await store.deleteUnder(folder);

    // Assess: `gw-1/`, not `gw-1`, so gw-10's folder is not listed.
    expect(requests.map((request) => request.method)).toEqual(['GET', 'POST', 'GET', 'POST']);
    expect(new URL(requests[0]?.url ?? '').searchParams.get('prefix')).toBe(objectKey(''));
    expect(new URL(requests[2]?.url ?? '').searchParams.get('continuation-token')).toBe('next');
    expect(keysToDelete(requests[1] as RecordedRequest)).toEqual([objectKey('private-key'), ...firstPage]);
    expect(keysToDelete(requests[3] as RecordedRequest)).toEqual([objectKey('peers/gone/k9/private-key')]);
  });

  test.each(['/vpc-peering/gateways/gw-1', 'vpc-peering/', '/'])(
    'refuses %s, which is no folder of secret names, before any request',
    async (notAFolder) => {
      // Prepare
      const { store, requests } = storeAnswering([]);

      // Act
      const failure = await failureOf(store.deleteUnder(notAFolder));

      // Assess
      expect(failure).toBeInstanceOf(Error);
      expect(requests).toHaveLength(0);
    },
  );
});

type Call = (store: S3SecretStore) => Promise<unknown>;
const CALLS: ReadonlyArray<[string, Call]> = [
  ['putIfAbsent', (store) => store.putIfAbsent('/vpc-peering/peerings/p1/psk', SECRET)],
  ['get', (store) => store.get('/vpc-peering/peerings/p1/psk')],
  ['delete', (store) => store.delete('/vpc-peering/peerings/p1/psk')],
];

describe.each(CALLS)('%s', (_call, act) => {
  test.each<[string, Answer]>([
    ['a slow-down (503)', s3Error(503, 'SlowDown', DENIAL_TEXT)],
    ['a 500', s3Error(500, 'InternalError')],
    ['a 429 without a body', ok(null, 429)],
    ['a connection reset', socketFailure('ECONNRESET')],
    ['a closed socket', socketFailure('UND_ERR_SOCKET')],
    ['an answer cut while it is read', bodyCut('UND_ERR_SOCKET')],
    ['a connection that stalls past the attempt bound', stalled],
  ])('turns %s that outlasts 3 attempts into TransientError', async (_what, answer) => {
    // Prepare
    const { store, requests } = storeAnswering([answer]);

    // Act
    const failure = await failureOf(act(store));

    // Assess
    expect(failure).toBeInstanceOf(TransientError);
    expect((failure as Error).message).toMatch(/^S3 /);
    expect((failure as Error).message).not.toContain('123456789012');
    expect(requests).toHaveLength(3);
  });

  test('aborts a stalled attempt and succeeds when the next one is answered', async () => {
    // Prepare
    const { store, requests } = storeAnswering([stalled, ok('value')]);

    // Act
    const failure = await failureOf(act(store));

    // Assess
    expect(failure).toBeUndefined();
    expect(requests).toHaveLength(2);
  });

  test('keeps a fetch failure that is no network failure as it is, unretried', async () => {
    // Prepare
    const { store, requests } = storeAnswering([
      () => {
        throw new TypeError('fetch failed', { cause: new Error('bad port') });
      },
    ]);

    // Act
    const failure = await failureOf(act(store));

    // Assess
    expect(failure).not.toBeInstanceOf(TransientError);
    expect(failure).toMatchObject({ message: 'bad port' });
    expect(requests).toHaveLength(1);
  });
});
