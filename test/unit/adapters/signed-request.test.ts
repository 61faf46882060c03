/**
 * The hand-made S3 request signature (lambdas/adapters/signed-s3/signed-request.ts) against the
 * SDK's own SigV4 signer, for the same request: equal Authorization headers, for each method, with
 * and without a session token, with and without extra signed headers, a body and a query, on an
 * object and on the bucket (ListObjectsV2, DeleteObjects), virtual-hosted and path style.
 */
import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import type { SourceData } from '@smithy/types';
import { signedObjects } from '../../../lambdas/adapters/signed-s3/http-objects';
import { type S3Request, signS3Request } from '../../../lambdas/adapters/signed-s3/signed-request';

/** The SDK's Checksum interface over node:crypto (what @smithy/hash-node does). */
const bytes = (data: SourceData): string | Buffer =>
  typeof data === 'string'
    ? data
    : data instanceof ArrayBuffer
      ? Buffer.from(data)
      : Buffer.from(data.buffer, data.byteOffset, data.byteLength);

class NodeSha256 {
  private readonly hash;
  constructor(secret?: SourceData) {
    this.hash = secret ? createHmac('sha256', bytes(secret)) : createHash('sha256');
  }
  update(data: SourceData): void {
    this.hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {}
}

const credentials = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  sessionToken: 'session-token/with+odd=chars',
};

const REGION = 'eu-west-1';
const HOST = `bucket.s3.${REGION}.amazonaws.com`;
const NOW = new Date('2026-12-03T22:30:05.123Z');
/** What S3SecretStore.putIfAbsent sends besides the body. */
const PUT_IF_ABSENT_HEADERS = {
  'if-none-match': '*',
  'x-amz-server-side-encryption': 'aws:kms',
  'x-amz-server-side-encryption-aws-kms-key-id': 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd',
  'x-amz-server-side-encryption-bucket-key-enabled': 'false',
};

/** The SDK signer's Authorization for `request`, given the payload hash S3 requests carry. */
async function sdkAuthorization(
  request: S3Request,
  withToken: boolean,
  at: { hostname: string; path: string } = { hostname: HOST, path: `/${request.key ?? ''}` },
) {
  const signer = new SignatureV4({
    service: 's3',
    region: REGION,
    credentials: withToken ? credentials : { ...credentials, sessionToken: undefined },
    sha256: NodeSha256,
    uriEscapePath: false,
    applyChecksum: false,
  });
  const payloadHash =
    request.body === undefined ? 'UNSIGNED-PAYLOAD' : createHash('sha256').update(request.body).digest('hex');
  const signed = await signer.sign(
    {
      method: request.method,
      protocol: 'https:',
      hostname: at.hostname,
      path: at.path,
      query: { ...request.query },
      headers: { ...request.headers, host: at.hostname, 'x-amz-content-sha256': payloadHash },
      ...(request.body === undefined ? {} : { body: request.body }),
    },
    { signingDate: NOW },
  );
  return signed.headers.authorization;
}

/** What S3HttpObjects.list and deleteMany send: odd characters in the prefix and the token. */
const LIST: S3Request = {
  method: 'GET',
  bucket: 'bucket',
  query: {
    'list-type': '2',
    prefix: "gateways/gw a+b/secrets/ü~*'()!",
    'continuation-token': '1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=+x',
  },
};
const DELETE_BODY = '<Delete><Quiet>true</Quiet><Object><Key>gateways/gw-a/a&amp;b</Key></Object></Delete>';
const DELETE_OBJECTS: S3Request = {
  method: 'POST',
  bucket: 'bucket',
  query: { delete: '' },
  headers: { 'content-md5': createHash('md5').update(DELETE_BODY).digest('base64') },
  body: DELETE_BODY,
};

const REQUESTS: ReadonlyArray<[string, S3Request]> = [
  ['GET', { method: 'GET', bucket: 'bucket', key: 'gateways/gw-a/000000000007.json' }],
  ['DELETE', { method: 'DELETE', bucket: 'bucket', key: 'secrets/vpc-peering/peerings/p1/psk' }],
  [
    'PUT with a body',
    { method: 'PUT', bucket: 'bucket', key: 'secrets/vpc-peering/peerings/p1/psk', body: 'a secret value=' },
  ],
  [
    'PUT with a body and the conditional SSE-KMS headers',
    {
      method: 'PUT',
      bucket: 'bucket',
      key: 'secrets/vpc-peering/gateways/gw-a/private-key',
      body: 'a secret value=',
      headers: PUT_IF_ABSENT_HEADERS,
    },
  ],
  [
    'GET with a header',
    { method: 'GET', bucket: 'bucket', key: 'secrets/x', headers: { 'if-none-match': '*' } },
  ],
  ['ListObjectsV2 (a bucket-level GET with a query)', LIST],
  ['DeleteObjects (a bucket-level POST with a body)', DELETE_OBJECTS],
];

/** That `url` is `origin` + `path`, with exactly the request's query once decoded as S3 decodes it. */
function expectSentTo(url: string, origin: string, path: string, request: S3Request) {
  const sent = new URL(url);
  expect(`${sent.origin}${sent.pathname}`).toBe(`${origin}${path}`);
  expect(Object.fromEntries(sent.searchParams)).toEqual(request.query ?? {});
}

describe.each(REQUESTS)('%s', (_case, request) => {
  test.each([true, false])('the signature equals the SDK signer’s (session token: %s)', async (withToken) => {
    // Act
    const signed = signS3Request(
      request,
      REGION,
      withToken ? credentials : { ...credentials, sessionToken: undefined },
      NOW,
    );

    // Assess
    expectSentTo(signed.url, `https://${HOST}`, `/${request.key ?? ''}`, request);
    expect(signed.headers.authorization).toBe(await sdkAuthorization(request, withToken));
    expect(signed.headers['x-amz-security-token']).toBe(withToken ? credentials.sessionToken : undefined);
  });

  test.each([true, false])(
    'path style under a custom endpoint, the signature equals the SDK signer’s (session token: %s)',
    async (withToken) => {
      // Prepare
      const path = `/bucket${request.key === undefined ? '' : `/${request.key}`}`;

      // Act
      const signed = signS3Request(
        request,
        REGION,
        withToken ? credentials : { ...credentials, sessionToken: undefined },
        NOW,
        new URL('http://localhost:4566'),
      );

      // Assess
      expectSentTo(signed.url, 'http://localhost:4566', path, request);
      expect(signed.headers.authorization).toBe(
        await sdkAuthorization(request, withToken, { hostname: 'localhost:4566', path }),
      );
    },
  );
});

test('a query is encoded as SigV4 wants (RFC 3986) and sorted by name', () => {
  // Act
  const signed = signS3Request(
    { method: 'GET', bucket: 'bucket', query: { prefix: "a b/+=*'", 'list-type': '2', 'a-b': '~' } },
    REGION,
    credentials,
    NOW,
  );

  // Assess
  expect(signed.url).toBe(`https://${HOST}/?a-b=~&list-type=2&prefix=a%20b%2F%2B%3D%2A%27`);
});

test('every header given is sent and signed', () => {
  // Act
  const signed = signS3Request(
    { method: 'PUT', bucket: 'bucket', key: 'k', body: 'v', headers: PUT_IF_ABSENT_HEADERS },
    REGION,
    credentials,
    NOW,
  );

  // Assess
  expect(signed.headers).toMatchObject(PUT_IF_ABSENT_HEADERS);
  const signedNames = /SignedHeaders=([^,]+),/.exec(signed.headers.authorization ?? '')?.[1]?.split(';');
  expect(signedNames).toEqual(expect.arrayContaining(Object.keys(PUT_IF_ABSENT_HEADERS)));
});

test('a key is encoded segment by segment as S3 wants it', () => {
  // Act
  const signed = signS3Request(
    { method: 'GET', bucket: 'bucket', key: "a b/c'(d)*" },
    REGION,
    credentials,
    NOW,
  );

  // Assess
  expect(signed.url).toBe(`https://${HOST}/a%20b/c%27%28d%29%2A`);
});

describe('signedObjects (the adapters’ factory)', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
    jest.restoreAllMocks();
  });

  test.each([
    ['AWS_ENDPOINT_URL_S3', 'http://localhost:4566', 'http://localhost:4566/bucket/secrets/x'],
    ['AWS_ENDPOINT_URL', 'http://localstack:4566', 'http://localstack:4566/bucket/secrets/x'],
    ['neither variable (AWS)', '', `https://${HOST}/secrets/x`],
  ])('sends where %s says, as the SDK clients beside it do', async (variable, endpoint, url) => {
    // Prepare
    Object.assign(process.env, {
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    });
    delete process.env.AWS_ENDPOINT_URL_S3;
    delete process.env.AWS_ENDPOINT_URL;
    if (endpoint) process.env[variable] = endpoint;
    const sent = jest.spyOn(globalThis, 'fetch').mockResolvedValue(new Response('value'));

    // Act
    const value = await signedObjects('bucket').get('secrets/x');

    // Assess
    expect(value).toBe('value');
    expect(sent.mock.calls.map(([target]) => String(target))).toEqual([url]);
  });
});
