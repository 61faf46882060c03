/**
 * The caller, from the claims the Cognito authorizer (AWS) or the embedded runtime's HTTP front
 * put in `requestContext.authorizer.claims` (docs/CONTRACT.md#authentication-and-visibility).
 */
import type { MiddlewareObj } from '@middy/core';
import { UnauthorizedError } from '../core/errors';
import type { Caller } from '../core/types';
import type { ApiEvent } from './event';
import { samePath } from './router';

const ADMIN_GROUP = 'admin';

/**
 * A group name never holds a comma (docs/SECURITY.md, "Who can do what"): the REST authorizer
 * passes a token's groups as one comma-joined string, so a group `ops,admin` would reach this
 * handler as `ops` and `admin`. Nothing here can tell the two apart; the local token issuer and
 * front refuse such a name (runtime/tokens.ts), and on AWS the operator must not create one.
 */
export const hasCommaFreeGroupNames = (groups: readonly unknown[]): boolean =>
  groups.every((group) => typeof group !== 'string' || !group.includes(','));

/**
 * `cognito:groups` arrives as an array (JWT) of exact group names, or as one comma-separated string
 * (the REST authorizer's flattening). Commas are the only separator and nothing is stripped, so a
 * group named "[admin]", " admin" or "ops admin" never counts as "admin" (docs/DECISIONS.md, "Hardening").
 */
export function parseGroups(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((group): group is string => typeof group === 'string');
  if (typeof value !== 'string') return [];
  return value.split(',').filter((group) => group.length > 0);
}

export function callerFromClaims(claims: unknown): Caller | undefined {
  if (typeof claims !== 'object' || claims === null) return undefined;
  const { sub } = claims as Record<string, unknown>;
  if (typeof sub !== 'string' || sub.length === 0) return undefined;
  const groups = parseGroups((claims as Record<string, unknown>)['cognito:groups']);
  return { userId: sub, isAdmin: groups.includes(ADMIN_GROUP) };
}

/**
 * Puts the caller on the event, and answers 401 for every path outside `publicPaths` when there is
 * none, before the body is even parsed (as the API Gateway authorizer does on AWS).
 */
export function callerClaims(options: { publicPaths: string[] }): MiddlewareObj<ApiEvent> {
  return {
    name: 'callerClaims',
    before: (request) => {
      const event = request.event;
      event.caller = callerFromClaims(event.requestContext?.authorizer?.claims);
      // Any spelling the router takes for a public route is public (`/v1/openapi.json/`).
      const isPublic = options.publicPaths.some((path) => samePath(path, event.path));
      if (!event.caller && !isPublic) throw new UnauthorizedError();
    },
  };
}
