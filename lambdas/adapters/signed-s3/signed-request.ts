/**
 * One S3 request signed with SigV4 by hand (node:crypto), for fetch: an object's GET, PUT or DELETE,
 * or a bucket-level request with a query (ListObjectsV2's GET, DeleteObjects' POST). The S3 client
 * would put the bundles past the 500 KB budget (docs/DECISIONS.md, "Lambda bundles").
 */
import { createHash, createHmac } from 'node:crypto';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string | undefined;
}

export type S3Method = 'GET' | 'PUT' | 'DELETE' | 'POST';

export interface S3Request {
  method: S3Method;
  bucket: string;
  /** The object's key; none for a request on the bucket itself (a listing, DeleteObjects). */
  key?: string;
  /** Query parameters, sent and signed; `{ delete: '' }` is sent `?delete=`, which S3 reads as `?delete`. */
  query?: Readonly<Record<string, string>>;
  /** Headers to send and sign besides the SigV4 ones, e.g. `if-none-match` or SSE-KMS's. */
  headers?: Readonly<Record<string, string>>;
  /** A PUT's or POST's body: its SHA-256 is signed, so S3 refuses a body changed on the way. */
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
/**
 * RFC 3986 encoding (all but letters, digits and `-_.~`), as SigV4 wants a path segment and each
 * query name and value.
 */
const uriEncode = (text: string): string =>
  encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
/**
 * SigV4's canonical query string: encoded `name=value` pairs sorted by encoded name, by code unit
 * (sorting the joined pairs would put `a-b=` before `a=`).
 */
const canonicalQuery = (query: Readonly<Record<string, string>>): string =>
  Object.entries(query)
    .map(([name, value]) => [uriEncode(name), uriEncode(value)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
/** A canonical header value: trimmed, inner runs of spaces as one (SigV4's rule). */
const canonicalValue = (value: string): string => value.trim().replace(/\s+/g, ' ');

/**
 * The URL and headers of `request` on `bucket`, signed for `region`: virtual-hosted style on AWS,
 * or path style under `endpoint` (LocalStack: what AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL give
 * the SDK clients beside these requests).
 */
export function signS3Request(
  request: S3Request,
  region: string,
  credentials: AwsCredentials,
  now: Date,
  endpoint?: URL,
): SignedRequest {
  const objectPath = request.key === undefined ? '' : `/${request.key.split('/').map(uriEncode).join('/')}`;
  const host = endpoint ? endpoint.host : `${request.bucket}.s3.${region}.amazonaws.com`;
  const path = endpoint ? `/${uriEncode(request.bucket)}${objectPath}` : objectPath || '/';
  const origin = endpoint ? endpoint.origin : `https://${host}`;
  const query = canonicalQuery(request.query ?? {});
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
    query,
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
  return { url: `${origin}${path}${query ? `?${query}` : ''}`, headers };
}
