/**
 * The API Lambda's middy chain: error envelope, caller from the authorizer's claims, JSON body,
 * then the route table. Dependencies and timing are read per invocation, so the embedded runtime
 * and the tests can provide their own before the first request.
 */
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { callerClaims } from '../../shared/http/claims';
import { httpErrors } from '../../shared/http/errors';
import type { ApiEvent } from '../../shared/http/event';
import { jsonBody } from '../../shared/http/json-body';
import { createRouter } from '../../shared/http/router';
import { callerThrottle } from '../../shared/http/throttle';
import type { ApiDeps, ApiPolicy, ApiTiming } from './context';
import { apiRoutes } from './routes';

export const PUBLIC_PATHS = ['/health'];

export function createApiHandler(
  deps: () => ApiDeps,
  timing: () => ApiTiming,
  policy: () => ApiPolicy,
): (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult> {
  return middy<ApiEvent, APIGatewayProxyResult>()
    .use(httpErrors())
    .use(callerClaims({ publicPaths: PUBLIC_PATHS }))
    .use(callerThrottle(() => policy().throttle))
    .use(jsonBody())
    .handler((event) => createRouter(apiRoutes(deps(), timing(), policy()))(event));
}
