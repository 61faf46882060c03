/**
 * One S3 GetObject as a SigV4-signed HTTPS GET (node:crypto and fetch). The api Lambda reads the
 * applied generation's document for the status route; the S3 client would add about 108 KiB to its
 * bundle and push it past the 500 KB budget (docs/DECISIONS.md, "Status shows the applied peers").
 */
import { createHash, createHmac } from 'node:crypto';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface SignedRequest {
  url: string;
  headers: Record<string, string>;
}

const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
const hmac = (key: Buffer | string, text: string): Buffer => createHmac('sha256', key).update(text).digest();
const sha256Hex = (text: string): string => createHash('sha256').update(text).digest('hex');
/** RFC 3986 encoding of one path segment, as S3's canonical URI wants it. */
const encodeSegment = (segment: string): string =>
  encodeURIComponent(segment).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** The URL and headers of a signed GetObject of `bucket`/`key` (virtual-hosted style). */
export function signGetObject(
  bucket: string,
  key: string,
  region: string,
  credentials: AwsCredentials,
  now: Date,
): SignedRequest {
  const host = `${bucket}.s3.${region}.amazonaws.com`;
  const path = `/${key.split('/').map(encodeSegment).join('/')}`;
  const amzDate = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const headers: Record<string, string> = {
    host,
    'x-amz-content-sha256': UNSIGNED_PAYLOAD,
    'x-amz-date': amzDate,
    ...(credentials.sessionToken ? { 'x-amz-security-token': credentials.sessionToken } : {}),
  };
  const names = Object.keys(headers).sort();
  const canonicalRequest = [
    'GET',
    path,
    '',
    ...names.map((name) => `${name}:${headers[name]}`),
    '',
    names.join(';'),
    UNSIGNED_PAYLOAD,
  ].join('\n');
  const scope = `${day}/${region}/s3/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  const signingKey = ['s3', 'aws4_request'].reduce(
    (signing, part) => hmac(signing, part),
    hmac(hmac(`AWS4${credentials.secretAccessKey}`, day), region),
  );
  const signature = createHmac('sha256', signingKey).update(stringToSign).digest('hex');
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`;
  return { url: `https://${host}${path}`, headers };
}
