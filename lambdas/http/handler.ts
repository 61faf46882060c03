/**
 * The API Lambda's middy chain: error envelope, caller from the authorizer's claims, throttle, then
 * the route table (which parses the JSON body only once a route matched and admitted the caller).
 * Dependencies and timing are read per invocation, so the embedded runtime and the tests can
 * provide their own before the first request.
 */
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { ApiDeps, ApiPolicy, ApiTiming } from '../app/api/context';
import { OPENAPI_PATH } from '../openapi';
import { env } from '../shared/env';
import { withLogKeys } from '../shared/logger';
import { callerClaims, callerFromClaims } from './claims';
import { corsHeaders } from './cors';
import { httpErrors } from './errors';
import type { ApiEvent } from './event';
import { withRequestRecord, writeRequestLine } from './request-record';
import { createRouter, samePath } from './router';
import { apiRoutes } from './routes';
import { callerThrottle } from './throttle';

export const PUBLIC_PATHS = ['/health', OPENAPI_PATH];

/** A route without an authorizer on AWS (lib/constructs/peering-api.ts), in any spelling of its path. */
export const isPublicPath = (path: string): boolean => PUBLIC_PATHS.some((known) => samePath(known, path));

export function createApiHandler(
  deps: () => ApiDeps,
  timing: () => ApiTiming,
  policy: () => ApiPolicy,
): (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult> {
  const chain = middy<ApiEvent, APIGatewayProxyResult>()
    .use(corsHeaders(env.consoleOrigin))
    .use(httpErrors())
    .use(callerClaims({ publicPaths: PUBLIC_PATHS }))
    .use(callerThrottle(() => policy().throttle))
    .handler((event) => {
      const d = deps();
      const routes = apiRoutes(d, timing(), policy()).map((route) => withRequestRecord(route, d.repository));
      return createRouter(routes)(event);
    });
  // The whole chain, its error envelope included, runs with the request's ids and its caller on
  // every line, so the tenant's x-amzn-requestid finds the line of its 500 (README, "Logs"); the
  // `api request` line follows the answer, whatever its status.
  return (event, context) =>
    withLogKeys(requestKeys(event, context), async () => {
      const result = await chain(event, context);
      writeRequestLine(event, result.statusCode, result.body);
      return result;
    });
}

/**
 * `requestId`: API Gateway's id of the request, the `x-amzn-requestid` header a client sees;
 * `awsRequestId`: the Lambda invocation's. Locally the HTTP front makes them one value.
 * `callerId`: who made the request.
 */
function requestKeys(event: APIGatewayProxyEvent, context: Context | undefined): Record<string, string> {
  const keys: Record<string, string> = {};
  const requestId = event.requestContext?.requestId;
  if (typeof requestId === 'string') keys.requestId = requestId;
  if (typeof context?.awsRequestId === 'string') keys.awsRequestId = context.awsRequestId;
  // `callerId`: the caller's `sub`, read as callerClaims reads it (a public path has no claims).
  const caller = callerFromClaims(event.requestContext?.authorizer?.claims);
  if (caller) keys.callerId = caller.userId;
  return keys;
}
