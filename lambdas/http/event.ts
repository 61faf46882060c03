/** The API Gateway proxy event as the API's middlewares leave it for the router. */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { Caller } from '../core/types';

export interface ApiEvent extends APIGatewayProxyEvent {
  /** Set by callerClaims; undefined only on public paths. */
  caller?: Caller;
}

/** Header lookup ignoring case: API Gateway keeps the client's spelling, node:http lowercases. */
export function headerOf(event: APIGatewayProxyEvent, name: string): string | undefined {
  const wanted = name.toLowerCase();
  const entry = Object.entries(event.headers ?? {}).find(([key]) => key.toLowerCase() === wanted);
  return entry?.[1] ?? undefined;
}
