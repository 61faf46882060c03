/**
 * A bucket's objects over SigV4-signed fetch, without the S3 client (docs/DECISIONS.md, "Lambda
 * bundles"): one object's GET, PUT and DELETE, a listing under a prefix (whole, or its first page
 * with the objects' times), and DeleteObjects. It fails the way the client does, so `transientOn`
 * maps it unchanged: an S3 error answer becomes an error named by S3's `<Code>` carrying
 * `$metadata.httpStatusCode`, and a failure below HTTP surfaces as its socket error (with `code`,
 * e.g. ECONNRESET). Throttling, 5xx and network failures are retried as the client's standard mode
 * does (3 attempts, jittered back-off) before they become TransientError. An attempt that has no
 * full answer within `timeoutMs` is aborted (a TimeoutError) and retried the same way: a stalled
 * connection costs a few seconds, never the rest of the Lambda's time. It grants nothing itself:
 * the adapters sending through it (s3, ssm) hold the access (lib/access.ts).
 */
import { createHash } from 'node:crypto';
import { TransientError } from '../../core/errors';
import { env } from '../../shared/env';
import { type RetryOptions, retry } from '../../shared/retry';
import { isTransientAwsError, transientOn } from '../transient';
import { type AwsCredentials, type S3Method, type S3Request, signS3Request } from './signed-request';

/** S3's answer other than success (and other than 404 to a GET), shaped as the SDK's errors are. */
export class S3ResponseError extends Error {
  readonly $metadata: { httpStatusCode: number };

  constructor(
    /** S3's error code (`PreconditionFailed`, `SlowDown`, `AccessDenied`…), the error's name. */
    code: string,
    readonly status: number,
    method: S3Method,
  ) {
    // S3's <Message> can name the caller's role and account: it is left out.
    super(`S3 ${method} answered HTTP ${status} ${code}`);
    this.name = code;
    this.$metadata = { httpStatusCode: status };
  }
}

/**
 * An object larger than the bound its reader set (`get`'s `maxBytes`): only the first bytes were
 * read, so its text is not returned at all. Not transient: a retry finds the same object.
 */
export class ObjectTooLargeError extends Error {
  override readonly name = 'ObjectTooLargeError';

  constructor(readonly maxBytes: number) {
    super(`S3 object is larger than ${maxBytes} bytes`);
  }
}

export interface GetOptions {
  /**
   * Read at most this many bytes: the GET asks for a Range of one byte more, and an object that
   * fills it throws ObjectTooLargeError. For objects whose writer is not trusted with their size
   * (a command's output, written by the instance).
   */
  maxBytes?: number;
}

export interface HttpObjectsOptions {
  fetch?: typeof fetch;
  now?: () => Date;
  /** Back-off draws and pauses between attempts (tests make them instant). */
  random?: RetryOptions['random'];
  wait?: RetryOptions['wait'];
  /** An attempt's bound, answer and body read included (default ATTEMPT_TIMEOUT_MS). */
  timeoutMs?: number;
}

/** The SDK's standard retry mode: 3 attempts in all, full jitter over 100 ms × 2^attempt. */
const ATTEMPTS = 3;
const BASE_DELAY_MS = 100;
/**
 * The objects are small (a document, a key, a command output read up to a bound of a few MB): an
 * attempt that takes longer than this has stalled, and three of them still end well inside the
 * handlers' timeouts (lib/constructs/peering-function.ts).
 */
const ATTEMPT_TIMEOUT_MS = 5_000;
/** S3's bound on the keys of one DeleteObjects request (and of one listing page). */
const MAX_KEYS_PER_DELETE = 1_000;

/** One page of a listing; `nextToken` asks for the next page, none after the last. */
export interface ListedKeys {
  keys: string[];
  nextToken: string | undefined;
}

/** An object of a listing and when it was last written (S3's `LastModified`). */
export interface ListedObject {
  key: string;
  lastModified: Date;
}

export class S3HttpObjects {
  constructor(
    readonly bucket: string,
    private readonly region: string,
    /** Read at each request: the function's role credentials (lambdas/shared/env.ts). */
    private readonly credentials: () => AwsCredentials,
    private readonly options: HttpObjectsOptions = {},
    /** A custom S3 endpoint (LocalStack), addressed path style; undefined on AWS. */
    private readonly endpoint?: URL,
  ) {}

  /**
   * The object's text, or undefined when there is none (404). With `maxBytes`, an object larger
   * than that throws ObjectTooLargeError instead (GetOptions).
   */
  async get(key: string, options: GetOptions = {}): Promise<string | undefined> {
    const { maxBytes } = options;
    if (maxBytes === undefined) {
      const response = await this.send({ method: 'GET', key }, { accepted: [404] });
      return response.status === 404 ? undefined : response.text;
    }
    // `bytes=0-N` is inclusive: N + 1 bytes, so an object of more than N bytes shows as one that
    // fills the range. S3 answers 206, or 416 to any range of an empty object.
    const response = await this.send(
      { method: 'GET', key, headers: { range: `bytes=0-${maxBytes}` } },
      { accepted: [404, 416], maxBytes: maxBytes + 1 },
    );
    if (response.status === 404) return undefined;
    if (response.status === 416) return '';
    if (response.bytes > maxBytes) throw new ObjectTooLargeError(maxBytes);
    return response.text;
  }

  /** Writes `body` with `headers` signed; a refused condition (`if-none-match`) throws its 412/409. */
  async put(key: string, body: string, headers: Readonly<Record<string, string>>): Promise<void> {
    await this.send({ method: 'PUT', key, headers, body });
  }

  /** S3 answers 204 whether or not the object existed. */
  async delete(key: string): Promise<void> {
    await this.send({ method: 'DELETE', key });
  }

  /** One page (up to 1,000 keys) of the keys under `prefix` (ListObjectsV2), from `continuationToken`. */
  async list(prefix: string, continuationToken?: string): Promise<ListedKeys> {
    const { text } = await this.send({
      method: 'GET',
      query: {
        'list-type': '2',
        prefix,
        ...(continuationToken === undefined ? {} : { 'continuation-token': continuationToken }),
      },
    });
    const truncated = textOf(text, 'IsTruncated') === 'true';
    return {
      keys: elements(text, 'Contents').flatMap((contents) =>
        elements(contents, 'Key').slice(0, 1).map(xmlDecode),
      ),
      nextToken: truncated ? textOf(text, 'NextContinuationToken') : undefined,
    };
  }

  /**
   * The first `maxKeys` (at most 1,000) objects under `prefix` in key order, with their times: one
   * ListObjectsV2 request whatever the prefix holds.
   */
  async listFirst(prefix: string, maxKeys: number): Promise<ListedObject[]> {
    const { text } = await this.send({
      method: 'GET',
      query: { 'list-type': '2', prefix, 'max-keys': String(Math.min(maxKeys, MAX_KEYS_PER_DELETE)) },
    });
    return elements(text, 'Contents').flatMap((contents) => {
      const key = textOf(contents, 'Key');
      const lastModified = new Date(textOf(contents, 'LastModified') ?? Number.NaN);
      return key === undefined || Number.isNaN(lastModified.getTime()) ? [] : [{ key, lastModified }];
    });
  }

  /**
   * Deletes `keys`, one DeleteObjects request per 1,000. S3 answers 200 even when it could not
   * delete some of them, listing those as <Error> entries: the first one throws, naming its key.
   */
  async deleteMany(keys: readonly string[]): Promise<void> {
    for (let start = 0; start < keys.length; start += MAX_KEYS_PER_DELETE) {
      const objects = keys
        .slice(start, start + MAX_KEYS_PER_DELETE)
        .map((key) => `<Object><Key>${xmlEscape(key)}</Key></Object>`);
      // Quiet: S3 lists only the keys it failed to delete.
      const body = `<Delete><Quiet>true</Quiet>${objects.join('')}</Delete>`;
      const { text } = await this.send({
        method: 'POST',
        query: { delete: '' },
        // S3 refuses a DeleteObjects without an integrity header (Content-MD5 or a flexible checksum).
        headers: { 'content-md5': createHash('md5').update(body, 'utf8').digest('base64') },
        body,
      });
      const failed = elements(text, 'Error')[0];
      if (failed !== undefined) {
        // A key S3 could not delete for now (SlowDown, InternalError) is retried like a throttled
        // call. The message names our own key and S3's code, no account or role.
        const code = textOf(failed, 'Code') ?? 'UnknownError';
        const message = `S3 DeleteObjects of ${textOf(failed, 'Key')}: ${code}`;
        const transient = isTransientAwsError(Object.assign(new Error(message), { name: code }));
        throw transient ? new TransientError(message) : new Error(message);
      }
    }
  }

  /**
   * One request, attempts included; success or an `accepted` status returns the answer, read (at
   * most `maxBytes` of it when given, `bytes` saying how many were).
   */
  private send(
    request: Omit<S3Request, 'bucket'>,
    { accepted = [], maxBytes }: { accepted?: readonly number[]; maxBytes?: number } = {},
  ): Promise<{ status: number; text: string; bytes: number }> {
    const { method, body } = request;
    const { fetch: fetchFn = fetch, now = () => new Date(), random, wait } = this.options;
    const timeoutMs = this.options.timeoutMs ?? ATTEMPT_TIMEOUT_MS;
    const attempt = async (): Promise<{ status: number; text: string; bytes: number }> => {
      const signed = signS3Request(
        { ...request, bucket: this.bucket },
        this.region,
        this.credentials(),
        now(),
        this.endpoint,
      );
      const { response, text, bytes } = await fetchFn(signed.url, {
        method,
        headers: signed.headers,
        // A stalled attempt is aborted, retried, then becomes TransientError (../transient).
        signal: AbortSignal.timeout(timeoutMs),
        // Bytes, not a string, so fetch adds no content-type of its own to the stored object.
        ...(body === undefined ? {} : { body: Buffer.from(body, 'utf8') }),
      })
        // Read in full even when unused, so the connection goes back to the pool at once; or up to
        // the bound, should the server send more than the range asked for.
        .then(async (answer) => ({ response: answer, ...(await readBody(answer, maxBytes)) }))
        .catch((error: unknown) => {
          // The abort is a DOMException: an Error of its own, named as the SDK names a timeout.
          if ((error as { name?: unknown } | null)?.name === 'TimeoutError') {
            throw Object.assign(new Error(`S3 ${method} had no answer within ${timeoutMs} ms`), {
              name: 'TimeoutError',
            });
          }
          // fetch wraps the socket's failure (ECONNRESET, UND_ERR_SOCKET…) in a TypeError's cause.
          throw error instanceof TypeError && error.cause instanceof Error ? error.cause : error;
        });
      if (response.ok || accepted.includes(response.status)) return { status: response.status, text, bytes };
      const code = /<Code>([^<]+)<\/Code>/.exec(text)?.[1] ?? 'UnknownError';
      throw new S3ResponseError(code, response.status, method);
    };
    return transientOn('S3', () =>
      retry(attempt, {
        attempts: ATTEMPTS,
        delayMs: (failed, draw) => draw * BASE_DELAY_MS * 2 ** failed,
        retryable: isTransientAwsError,
        ...(random ? { random } : {}),
        ...(wait ? { wait } : {}),
      }),
    );
  }
}

/**
 * The content of each `<name>` element of `xml`, still encoded: S3's answers have no attributes and
 * no CDATA, and an element's text is decoded (xmlDecode) once, where it is read.
 */
const elements = (xml: string, name: string): string[] =>
  Array.from(xml.matchAll(new RegExp(`<${name}>([\\s\\S]*?)</${name}>`, 'g')), ([, inner]) => inner ?? '');
/** The decoded text of the first `<name>` element of `xml`. */
const textOf = (xml: string, name: string): string | undefined => {
  const [first] = elements(xml, name);
  return first === undefined ? undefined : xmlDecode(first);
};

const XML_ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const xmlDecode = (text: string): string =>
  text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (entity, name: string) =>
    name.startsWith('#x')
      ? String.fromCodePoint(Number.parseInt(name.slice(2), 16))
      : name.startsWith('#')
        ? String.fromCodePoint(Number(name.slice(1)))
        : (XML_ENTITIES[name] ?? entity),
  );
const XML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};
const xmlEscape = (text: string): string => text.replace(/[&<>"']/g, (c) => XML_ESCAPES[c] ?? c);

/** The answer's body as text, and its size in bytes; past `maxBytes` bytes it is left unread. */
async function readBody(answer: Response, maxBytes?: number): Promise<{ text: string; bytes: number }> {
  if (maxBytes === undefined || !answer.body) {
    const buffer = await answer.arrayBuffer();
    return { text: new TextDecoder().decode(buffer), bytes: buffer.byteLength };
  }
  const reader = answer.body.getReader();
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  for (let read = await reader.read(); !read.done; read = await reader.read()) {
    chunks.push(read.value);
    bytes += read.value.byteLength;
    if (bytes >= maxBytes) {
      // The rest is dropped with the connection: it was never going to be used.
      await reader.cancel();
      break;
    }
  }
  return { text: new TextDecoder().decode(Buffer.concat(chunks)), bytes };
}

/** `bucket`'s objects with the function's region and role credentials (lambdas/shared/env.ts). */
export const signedObjects = (bucket: string) => {
  const endpoint = env.s3Endpoint();
  return new S3HttpObjects(
    bucket,
    env.awsRegion(),
    env.awsCredentials,
    {},
    endpoint ? new URL(endpoint) : undefined,
  );
};
