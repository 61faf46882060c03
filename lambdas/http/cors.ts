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
      'access-control-expose-headers': 'Location',
      vary: 'Origin',
    };
  };
  return { name: 'corsHeaders', after: addHeaders, onError: addHeaders };
}
