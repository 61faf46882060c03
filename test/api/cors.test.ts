/** CORS headers on the API's answers: the console's origin only, errors included; none when unset. */
import middy from '@middy/core';
import { NotFoundError } from '../../lambdas/core/errors';
import { corsHeaders } from '../../lambdas/http/cors';
import { httpErrors } from '../../lambdas/http/errors';
import { jsonResponse } from '../../lambdas/http/response';

const ORIGIN = 'https://d111111abcdef8.cloudfront.net';

function handler(origin: string | undefined, fail: boolean) {
  return middy<unknown, ReturnType<typeof jsonResponse>>()
    .use(corsHeaders(() => origin))
    .use(httpErrors())
    .handler(async () => {
      if (fail) throw new NotFoundError('Gateway gw-z not found');
      return jsonResponse(200, { ok: true });
    });
}

describe('CORS headers', () => {
  test.each([false, true])('answer (error: %s) allows the console origin only', async (fail) => {
    // Act
    const response = await handler(ORIGIN, fail)({}, {} as never);
    // Assess
    expect(response.statusCode).toBe(fail ? 404 : 200);
    expect(response.headers['access-control-allow-origin']).toBe(ORIGIN);
    expect(response.headers['access-control-expose-headers']).toBe('Location, Retry-After');
  });

  test('no console origin configured: no CORS header', async () => {
    const response = await handler(undefined, false)({}, {} as never);
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
  });
});
