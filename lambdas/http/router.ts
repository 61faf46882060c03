/**
 * A small method + path-pattern router. `{param}` matches one non-empty path segment (URL-decoded).
 * Unknown paths answer 404, known paths with another method 405 with an Allow header.
 */
import { ForbiddenError, UnauthorizedError } from '../core/errors';
import type { Caller } from '../core/types';
import type { ApiEvent } from './event';
import { jsonBodyOf } from './json-body';
import { HttpError, type HttpResponse } from './response';

export interface RouteRequest<C extends Caller | undefined = Caller> {
  event: ApiEvent;
  caller: C;
  /** The matched route's pattern (`/v1/gateways/{id}`), whatever spelling of it the path used. */
  path: string;
  /** The pattern's `{param}`s, URL-decoded. */
  params: Record<string, string>;
  /** The parsed JSON body (POST routes), undefined otherwise. */
  body: unknown;
}

export type Route =
  | {
      method: string;
      path: string;
      access: 'public';
      handle: (request: RouteRequest<undefined>) => Promise<HttpResponse>;
    }
  | {
      method: string;
      path: string;
      access: 'user' | 'admin';
      handle: (request: RouteRequest) => Promise<HttpResponse>;
    };

interface CompiledRoute {
  route: Route;
  segments: string[];
}

function splitPath(path: string): string[] {
  return path.split('/').filter((segment) => segment.length > 0);
}

/** Params of `segments` matched against the pattern, or undefined when they do not match. */
function matchSegments(pattern: string[], segments: string[]): Record<string, string> | undefined {
  if (pattern.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (const [index, part] of pattern.entries()) {
    const segment = segments[index] ?? '';
    if (part.startsWith('{') && part.endsWith('}')) {
      params[part.slice(1, -1)] = segment;
    } else if (part !== segment) {
      return undefined;
    }
  }
  return params;
}

function decodeSegments(path: string): string[] | undefined {
  try {
    return splitPath(path).map((segment) => decodeURIComponent(segment));
  } catch {
    return undefined; // a malformed %-escape names no resource
  }
}

/** Whether two spellings name one path as the router matches it (doubled or trailing slashes, %-escapes). */
export function samePath(a: string, b: string): boolean {
  const left = decodeSegments(a);
  const right = decodeSegments(b);
  return (
    left !== undefined &&
    right !== undefined &&
    left.length === right.length &&
    left.every((segment, index) => segment === right[index])
  );
}

export function createRouter(routes: Route[]): (event: ApiEvent) => Promise<HttpResponse> {
  const compiled: CompiledRoute[] = routes.map((route) => ({ route, segments: splitPath(route.path) }));
  return async (event) => {
    const segments = decodeSegments(event.path ?? '');
    const matching = segments
      ? compiled.flatMap((entry) => {
          const params = matchSegments(entry.segments, segments);
          return params ? [{ route: entry.route, params }] : [];
        })
      : [];
    if (matching.length === 0) throw new HttpError(404, 'NOT_FOUND', 'No such route');
    const match = matching.find(({ route }) => route.method === event.httpMethod);
    if (!match) {
      const allow = [...new Set(matching.map(({ route }) => route.method))].join(', ');
      throw new HttpError(405, 'METHOD_NOT_ALLOWED', `Method ${event.httpMethod} is not allowed here`, {
        allow,
      });
    }
    const { route, params } = match;
    // Known before the access check, so a refused admin route is on the request's line too.
    event.matchedRoute = { path: route.path, params };
    // The body is parsed last: a bad body on an unknown path, another method or a forbidden
    // route is refused for that reason (404, 405, 403), not as malformed JSON.
    if (route.access === 'public') {
      return route.handle({ event, caller: undefined, path: route.path, params, body: jsonBodyOf(event) });
    }
    const caller = event.caller;
    if (!caller) throw new UnauthorizedError();
    if (route.access === 'admin' && !caller.isAdmin) throw new ForbiddenError();
    return route.handle({ event, caller, path: route.path, params, body: jsonBodyOf(event) });
  };
}
