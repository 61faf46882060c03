/** The API Gateway proxy event as the API's middlewares leave it for the router. */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { Caller } from '../core/types';
import type { RequestRecordNotes } from './request-record';

/** The route that matched a request's path and method: its pattern and URL-decoded `{param}`s. */
export interface MatchedRoute {
  path: string;
  params: Record<string, string>;
}

export interface ApiEvent extends APIGatewayProxyEvent {
  /** Set by callerClaims; undefined only on public paths. */
  caller?: Caller;
  /** Set by the router once a route matched, before it checks the caller's access. */
  matchedRoute?: MatchedRoute;
  /** Set before a recorded route runs, for its `api request` line (request-record.ts). */
  recordNotes?: RequestRecordNotes;
}

/** Header lookup ignoring case: API Gateway keeps the client's spelling, node:http lowercases. */
export function headerOf(event: APIGatewayProxyEvent, name: string): string | undefined {
  const wanted = name.toLowerCase();
  const entry = Object.entries(event.headers ?? {}).find(([key]) => key.toLowerCase() === wanted);
  return entry?.[1] ?? undefined;
}
