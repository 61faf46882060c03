/**
 * CORS for the console: every answer, errors included, allows the console's origin and no other
 * (README, "Using the console"). Preflights never reach the Lambda: API Gateway answers them.
 */
import type { MiddlewareObj } from '@middy/core';
import type { HttpResponse } from './response';

export function corsHeaders(origin: () => string | undefined): MiddlewareObj<unknown, HttpResponse> {
  const addHeaders = (request: { response: HttpResponse | null | undefined }) => {
    const allowed = origin();
    if (!allowed || !request.response) return;
    request.response.headers = {
      ...request.response.headers,
      'access-control-allow-origin': allowed,
      // Retry-After: a browser client of another origin reads when to ask again (429, 503, 409 IN_PROGRESS).
      'access-control-expose-headers': 'Location, Retry-After',
      vary: 'Origin',
    };
  };
  return { name: 'corsHeaders', after: addHeaders, onError: addHeaders };
}
