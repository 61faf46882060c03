/**
 * The embedded runtime's front routes paths as API Gateway and the contract do: any spelling of an
 * API path reaches the API (doubled slashes too), and a public route (no authorizer on AWS) answers
 * whatever token comes with it, in any spelling of its path.
 */
import type { ApiDeps, ApiPolicy } from '../../lambdas/app/api/context';
import { createApiHandler } from '../../lambdas/http/handler';
import { OPENAPI_PATH } from '../../lambdas/openapi';
import type { HttpFront } from '../../runtime/http-front';
import { mintToken } from '../../runtime/tokens';
import { callJson, startApiFront } from '../support/api-front';

const secret = 'front-paths-secret-of-at-least-32-bytes!';
let front: HttpFront;

beforeAll(async () => {
  const handler = createApiHandler(
    () => ({}) as ApiDeps,
    () => ({ waitMs: 0, pollMs: 0 }),
    () => ({ throttle: { ratePerSecond: 0, burst: 0 } }) as unknown as ApiPolicy,
  );
  front = await startApiFront(handler, secret);
});
afterAll(() => front?.close());

describe('paths at the local front', () => {
  test('//v1//gateways//gw1 is the API route, not the console page', async () => {
    // Act
    const response = await fetch(`${front.url}//v1//gateways//gw1`);
    // Assess: the API's 401 for a call without a token
    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('UNAUTHORIZED');
  });

  test(`${OPENAPI_PATH}/ (trailing slash) is public like ${OPENAPI_PATH}`, async () => {
    // Act
    const answer = await callJson(front, 'GET', `${OPENAPI_PATH}/`);
    // Assess
    expect(answer.status).toBe(200);
    expect(answer.body.openapi).toMatch(/^3\.1/);
  });

  test.each([OPENAPI_PATH, '/health/'])(
    'a refused token on the public %s is not looked at, as on AWS',
    async (path) => {
      // Prepare: a token of another secret, and an expired one
      const tokens = [
        await mintToken(`${secret}-but-another`, { sub: 'alice' }),
        await mintToken(secret, { sub: 'alice' }, -60),
      ];
      for (const bearer of tokens) {
        // Act
        const answer = await callJson(front, 'GET', path, bearer);
        // Assess
        expect(answer.status).toBe(200);
      }
    },
  );
});
