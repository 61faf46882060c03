/**
 * S3 objects over a stubbed fetch (lambdas/adapters/signed-s3/http-objects.ts): every request is recorded
 * and answered in turn from `answers` (the last one again once they run out); back-off pauses are
 * instant. No answer given: any request fails the test, naming the request.
 */
import { S3HttpObjects } from '../../lambdas/adapters/signed-s3/http-objects';

export type Answer = (init?: RequestInit) => Response | Promise<Response>;

export interface RecordedRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
}

export const OBJECTS_REGION = 'eu-west-1';

/** S3's XML error answer. */
export const s3Error =
  (status: number, code: string, message = 'S3 says so'): Answer =>
  () =>
    new Response(`<?xml version="1.0"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`, {
      status,
    });

export const ok =
  (body: string | null = null, status = 200): Answer =>
  () =>
    new Response(body, { status });

/** What fetch throws when the socket fails: a TypeError with the socket error as its cause. */
export const socketFailure =
  (code: string): Answer =>
  () => {
    throw new TypeError('fetch failed', { cause: Object.assign(new Error(`connect ${code}`), { code }) });
  };

/** An answer whose body breaks off while it is read, as fetch reports a socket closed mid-body. */
export const bodyCut =
  (code: string): Answer =>
  () =>
    new Response(
      new ReadableStream({
        start(controller) {
          controller.error(
            new TypeError('terminated', { cause: Object.assign(new Error('other side closed'), { code }) }),
          );
        },
      }),
    );

/**
 * S3's ListObjectsV2 answer listing `keys`, truncated with `nextToken` when one is given; each
 * written at `lastModifiedOf(key)` (by default one fixed time).
 */
export const listing = (
  keys: readonly string[],
  nextToken?: string,
  lastModifiedOf: (key: string) => Date = () => new Date('2026-12-04T00:00:00.000Z'),
): Answer =>
  ok(
    `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
      `<Name>bucket</Name><KeyCount>${keys.length}</KeyCount><MaxKeys>1000</MaxKeys>` +
      `<IsTruncated>${nextToken !== undefined}</IsTruncated>` +
      keys
        .map(
          (key) =>
            `<Contents><Key>${xmlEscaped(key)}</Key><LastModified>${lastModifiedOf(key).toISOString()}</LastModified>` +
            '<ETag>&quot;0f343b0931126a20f133d67c2b018a3b&quot;</ETag><Size>44</Size><StorageClass>STANDARD</StorageClass></Contents>',
        )
        .join('') +
      (nextToken === undefined
        ? ''
        : `<NextContinuationToken>${xmlEscaped(nextToken)}</NextContinuationToken>`) +
      '</ListBucketResult>',
  );

/** S3's answer to a quiet DeleteObjects: one <Error> per key it could not delete, none otherwise. */
export const deleteResult = (errors: ReadonlyArray<{ key: string; code: string }> = []): Answer =>
  ok(
    `<?xml version="1.0" encoding="UTF-8"?>\n<DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
      errors
        .map(
          ({ key, code }) =>
            `<Error><Key>${xmlEscaped(key)}</Key><Code>${code}</Code><Message>S3 says so</Message></Error>`,
        )
        .join('') +
      '</DeleteResult>',
  );

/** The keys a DeleteObjects request's body names, decoded. */
export const keysToDelete = (request: RecordedRequest): string[] =>
  Array.from(request.body?.matchAll(/<Key>([^<]*)<\/Key>/g) ?? [], ([, key]) =>
    (key ?? '').replace(/&(amp|lt|gt|quot|apos);/g, (_entity, name: string) => XML_TEXT[name] ?? ''),
  );

const XML_TEXT: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const xmlEscaped = (text: string) =>
  text.replace(/[&<>"']/g, (c) => `&${Object.keys(XML_TEXT).find((name) => XML_TEXT[name] === c)};`);

/** A connection that never answers: only the attempt's abort signal ends it, with its reason. */
export const stalled: Answer = (init) =>
  new Promise((_resolve, reject) => {
    const signal = init?.signal;
    if (!signal) return reject(new Error('a stalled request needs an abort signal, or it never ends'));
    signal.addEventListener('abort', () => reject(signal.reason));
  });

/** A fetch answering `answers` in turn, and the requests it was sent. */
export function fetchAnswering(answers: readonly Answer[]): {
  fetch: typeof fetch;
  requests: RecordedRequest[];
} {
  const requests: RecordedRequest[] = [];
  const fakeFetch = async (url: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const request: RecordedRequest = {
      url: String(url),
      method: init?.method ?? 'GET',
      headers: init?.headers as Record<string, string>,
      ...(init?.body ? { body: Buffer.from(init.body as Uint8Array).toString('utf8') } : {}),
    };
    requests.push(request);
    const answer = answers[Math.min(requests.length, answers.length) - 1];
    if (!answer) throw new Error(`Unexpected S3 request: ${request.method} ${request.url}`);
    return answer(init);
  };
  return { fetch: fakeFetch as typeof fetch, requests };
}

export function objectsAnswering(
  bucket: string,
  answers: readonly Answer[] = [],
  options: { timeoutMs?: number } = {},
): { objects: S3HttpObjects; requests: RecordedRequest[] } {
  const { fetch: fakeFetch, requests } = fetchAnswering(answers);
  const objects = new S3HttpObjects(
    bucket,
    OBJECTS_REGION,
    () => ({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret', sessionToken: 'token' }),
    { fetch: fakeFetch, wait: async () => undefined, ...options },
  );
  return { objects, requests };
}

/**
 * A bucket held in memory behind the signed requests: an object PUT is stored, written at `now()`
 * (S3 keeps whole seconds), a GET reads it back (404 once gone), ListObjectsV2 lists in key order
 * up to `max-keys`, and DeleteObjects deletes what it names. Enough for the stores' contract suites.
 */
export function objectsInMemory(bucket: string, now: () => Date): S3HttpObjects {
  const stored = new Map<string, { body: string; lastModified: Date }>();
  const answer = (url: URL, method: string, body: string): Response | Promise<Response> => {
    const key = url.pathname.slice(1).split('/').map(decodeURIComponent).join('/');
    if (method === 'PUT') {
      stored.set(key, { body, lastModified: new Date(Math.floor(now().getTime() / 1000) * 1000) });
      return ok()();
    }
    if (method === 'POST' && url.searchParams.has('delete')) {
      for (const deleted of keysToDelete({ url: String(url), method, headers: {}, body }))
        stored.delete(deleted);
      return deleteResult()();
    }
    if (url.searchParams.get('list-type') === '2') {
      const prefix = url.searchParams.get('prefix') ?? '';
      const keys = [...stored.keys()].filter((found) => found.startsWith(prefix)).sort();
      const page = keys.slice(0, Number(url.searchParams.get('max-keys') ?? 1000));
      return listing(page, undefined, (listed) => stored.get(listed)?.lastModified ?? new Date(0))();
    }
    const object = stored.get(key);
    return object === undefined ? s3Error(404, 'NoSuchKey')() : ok(object.body)();
  };
  const inMemory = async (url: string | URL | Request, init?: RequestInit): Promise<Response> =>
    answer(
      new URL(String(url)),
      init?.method ?? 'GET',
      init?.body ? Buffer.from(init.body as Uint8Array).toString('utf8') : '',
    );
  return new S3HttpObjects(
    bucket,
    OBJECTS_REGION,
    () => ({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret', sessionToken: 'token' }),
    { fetch: inMemory as typeof fetch, wait: async () => undefined },
  );
}
