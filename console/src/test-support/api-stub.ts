/** A stand-in for the API in page tests: answers each request from `answer`, and records them. */
import { vi } from 'vitest';
import { configureApi } from '../api/client';

export interface SeenRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Headers;
}

export function stubApi(answer: (request: SeenRequest) => Response | Promise<Response>): SeenRequest[] {
  const seen: SeenRequest[] = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: Request) => {
      const url = new URL(input.url);
      const request = {
        method: input.method,
        path: url.pathname,
        query: url.searchParams,
        headers: input.headers,
      };
      seen.push(request);
      return answer(request);
    }),
  );
  // openapi-fetch takes the global fetch when its client is made.
  configureApi('http://api.test');
  return seen;
}

export const notFound = () =>
  Response.json({ error: { code: 'NOT_FOUND', message: 'Not found' } }, { status: 404 });
