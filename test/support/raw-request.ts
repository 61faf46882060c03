/**
 * One request sent exactly as given (node:http or node:https, not fetch: no URL normalisation), for
 * the fuzz suite's odd paths. `path` goes under API_URL's own path, a deployment's stage (`/prod`),
 * with API_URL's scheme: an `https://` URL without a port is port 443, never plain HTTP to 80.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface RawReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** Where a raw request for `path` goes: API_URL's scheme, host and port, and its path before `path`. */
export function rawRequestTarget(apiUrl: string, path: string) {
  const url = new URL(apiUrl);
  return {
    https: url.protocol === 'https:',
    host: url.hostname,
    port: url.port,
    path: `${url.pathname.replace(/\/$/, '')}${path}`,
  };
}

export function rawRequest(
  apiUrl: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<RawReply> {
  const { https, ...where } = rawRequestTarget(apiUrl, path);
  const request = https ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      // A connection per request: what one odd request leaves on a socket never reaches the next
      // (the report says why).
      { ...where, method, headers, timeout: 60_000, agent: false },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        response.on('error', reject);
      },
    );
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.end(body);
  });
}
