/**
 * The api Lambda's hand-made S3 GetObject signature (lambdas/adapters/s3/signed-get.ts) against the
 * SDK's own SigV4 signer, for the same request: equal Authorization headers.
 */
import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import type { SourceData } from '@smithy/types';
import { signGetObject } from '../../../lambdas/adapters/s3/signed-get';

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

async function sdkAuthorization(bucket: string, key: string, now: Date, withToken: boolean) {
  const signer = new SignatureV4({
    service: 's3',
    region: 'eu-west-1',
    credentials: withToken ? credentials : { ...credentials, sessionToken: undefined },
    sha256: NodeSha256,
    uriEscapePath: false,
    applyChecksum: false,
  });
  const signed = await signer.sign(
    {
      method: 'GET',
      protocol: 'https:',
      hostname: `${bucket}.s3.eu-west-1.amazonaws.com`,
      path: `/${key}`,
      query: {},
      headers: { host: `${bucket}.s3.eu-west-1.amazonaws.com`, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
    },
    { signingDate: now },
  );
  return signed.headers.authorization;
}

test.each([true, false])('the signature equals the SDK signer’s (session token: %s)', async (withToken) => {
  // Prepare
  const now = new Date('2026-12-03T22:30:05.123Z');
  const key = 'gateways/gw-a/000000000007.json';
  // Act
  const signed = signGetObject(
    'config-bucket',
    key,
    'eu-west-1',
    withToken ? credentials : { ...credentials, sessionToken: undefined },
    now,
  );
  // Assess
  expect(signed.url).toBe(`https://config-bucket.s3.eu-west-1.amazonaws.com/${key}`);
  expect(signed.headers.authorization).toBe(await sdkAuthorization('config-bucket', key, now, withToken));
});
