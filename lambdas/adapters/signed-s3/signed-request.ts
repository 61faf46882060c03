/**
 * One S3 object request (GET, PUT, DELETE) signed with SigV4 by hand (node:crypto), for fetch. The
 * api Lambda reads documents and keeps its secrets this way: the S3 client would put the api
 * bundle past the 500 KB budget (docs/DECISIONS.md, "Lambda bundles").
 */
import { createHash, createHmac } from 'node:crypto';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string | undefined;
}

export type ObjectMethod = 'GET' | 'PUT' | 'DELETE';

export interface ObjectRequest {
  method: ObjectMethod;
  bucket: string;
  key: string;
  /** Headers to send and sign besides the SigV4 ones, e.g. `if-none-match` or SSE-KMS's. */
  headers?: Readonly<Record<string, string>>;
  /** A PUT's body: its SHA-256 is signed, so S3 refuses a body changed on the way. */
  body?: string;
}

export interface SignedRequest {
  url: string;
  /** Lowercase names; `authorization` included. */
  headers: Record<string, string>;
}

/** The payload hash of a request without a body, as the SDK sends for GetObject over HTTPS. */
const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
const hmac = (key: Buffer | string, text: string): Buffer => createHmac('sha256', key).update(text).digest();
const sha256Hex = (text: string): string => createHash('sha256').update(text).digest('hex');
/** RFC 3986 encoding of one path segment, as S3's canonical URI wants it. */
const encodeSegment = (segment: string): string =>
  encodeURIComponent(segment).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
/** A canonical header value: trimmed, inner runs of spaces as one (SigV4's rule). */
const canonicalValue = (value: string): string => value.trim().replace(/\s+/g, ' ');

/**
 * The URL and headers of `request` on `bucket`, signed for `region`: virtual-hosted style on AWS,
 * or path style under `endpoint` (LocalStack: what AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL give
 * the SDK clients beside these requests).
 */
export function signObjectRequest(
  request: ObjectRequest,
  region: string,
  credentials: AwsCredentials,
  now: Date,
  endpoint?: URL,
): SignedRequest {
  const objectPath = `/${request.key.split('/').map(encodeSegment).join('/')}`;
  const host = endpoint ? endpoint.host : `${request.bucket}.s3.${region}.amazonaws.com`;
  const path = endpoint ? `/${encodeSegment(request.bucket)}${objectPath}` : objectPath;
  const origin = endpoint ? endpoint.origin : `https://${host}`;
  const amzDate = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const payloadHash = request.body === undefined ? UNSIGNED_PAYLOAD : sha256Hex(request.body);
  const headers: Record<string, string> = {
    ...Object.fromEntries(
      Object.entries(request.headers ?? {}).map(([name, value]) => [
        name.toLowerCase(),
        canonicalValue(value),
      ]),
    ),
    host,
    'x-amz-content-sha256': payloadHash,
    'x-amz-date': amzDate,
    ...(credentials.sessionToken ? { 'x-amz-security-token': credentials.sessionToken } : {}),
  };
  const names = Object.keys(headers).sort();
  const canonicalRequest = [
    request.method,
    path,
    '',
    ...names.map((name) => `${name}:${headers[name]}`),
    '',
    names.join(';'),
    payloadHash,
  ].join('\n');
  const scope = `${day}/${region}/s3/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  const signingKey = ['s3', 'aws4_request'].reduce(
    (signing, part) => hmac(signing, part),
    hmac(hmac(`AWS4${credentials.secretAccessKey}`, day), region),
  );
  const signature = createHmac('sha256', signingKey).update(stringToSign).digest('hex');
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`;
  return { url: `${origin}${path}`, headers };
}
