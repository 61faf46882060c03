/**
 * The `api request` line: who did what (README, "Logs"; docs/DECISIONS.md, "Who did what, and group
 * names"). One INFO line per request that changes something (any method but GET) and per
 * road-warrior config download (it hands out a private key), written once the answer is known:
 * the route pattern, the ids the request names, the status, the caller, and, when an admin acted
 * on another owner's resource, that owner (`actingFor`). Ids only: never a body, a key or a token.
 */
import type { Repository } from '../app/storage-ports';
import { isResourceId } from '../core/schemas';
import { logger } from '../shared/logger';
import type { ApiEvent } from './event';
import type { Route, RouteRequest } from './router';

const CONFIG_DOWNLOAD = '/v1/gateways/{id}/peers/{name}/config';
const REGISTER_GATEWAY = '/v1/gateways';

/** The ids a route's body names, by the line's key and the body's field (the path names the rest). */
const BODY_IDS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  [REGISTER_GATEWAY]: { gatewayId: 'id', ownerId: 'ownerId' },
  '/v1/gateways/{id}/peers': { name: 'name' },
  '/v1/gateways/{id}/vpc-peerings': { remoteGatewayId: 'remoteGatewayId' },
};

/** What the request's line names beyond the matched route, set before the route runs. */
export interface RequestRecordNotes {
  /** The owner of the resource the path names, looked up for admins only (a user acts on their own). */
  ownerId?: string;
  /** The body's ids (BODY_IDS); written only when the answer is a success, which validated them. */
  bodyIds: Record<string, string>;
}

export const isRecordedRoute = (method: string, routePath: string): boolean =>
  method !== 'GET' || routePath === CONFIG_DOWNLOAD;

function bodyIdsOf(routePath: string, body: unknown): Record<string, string> {
  const fields = BODY_IDS[routePath];
  if (!fields || typeof body !== 'object' || body === null) return {};
  const values = body as Record<string, unknown>;
  return Object.fromEntries(
    Object.entries(fields).flatMap(([key, field]) => {
      const value = values[field];
      return typeof value === 'string' ? [[key, value]] : [];
    }),
  );
}

/** The owner of the gateway or peering `{id}` names, read before the route acts (a delete may remove it). */
async function ownerOfPath(
  repository: Pick<Repository, 'getGateway' | 'getPeering'>,
  routePath: string,
  params: Record<string, string>,
): Promise<string | undefined> {
  const id = params.id;
  if (id === undefined || !isResourceId(id)) return undefined;
  const record = routePath.startsWith('/v1/vpc-peerings/')
    ? await repository.getPeering(id)
    : await repository.getGateway(id);
  return record?.ownerId;
}

/**
 * `route`, noting on its event what its line needs before it runs. The router has admitted the
 * caller by then; an admin costs one more read of the resource, a user none.
 */
export function withRequestRecord(
  route: Route,
  repository: Pick<Repository, 'getGateway' | 'getPeering'>,
): Route {
  if (route.access === 'public' || !isRecordedRoute(route.method, route.path)) return route;
  const { handle } = route;
  return {
    ...route,
    handle: async (request: RouteRequest) => {
      request.event.recordNotes = {
        ownerId: request.caller.isAdmin
          ? await ownerOfPath(repository, route.path, request.params)
          : undefined,
        bodyIds: bodyIdsOf(route.path, request.body),
      };
      return handle(request);
    },
  };
}

/**
 * The id of the gateway a registration answered (201): the body may name none, and the id is then
 * generated.
 */
function registeredGatewayId(answerBody: string | undefined): Record<string, string> {
  try {
    const id = (JSON.parse(answerBody ?? '') as { id?: unknown }).id;
    return typeof id === 'string' ? { gatewayId: id } : {};
  } catch {
    return {};
  }
}

/** Writes the request's `api request` line, when a recorded route matched it (a 403 included). */
export function writeRequestLine(event: ApiEvent, status: number, answerBody?: string): void {
  const matched = event.matchedRoute;
  const caller = event.caller;
  if (!matched || !caller || !isRecordedRoute(event.httpMethod, matched.path)) return;
  const succeeded = status >= 200 && status < 300;
  const registered =
    succeeded && matched.path === REGISTER_GATEWAY && event.httpMethod === 'POST'
      ? registeredGatewayId(answerBody)
      : {};
  const ids = { ...matched.params, ...(succeeded ? event.recordNotes?.bodyIds : {}), ...registered };
  const ownerId = event.recordNotes?.ownerId ?? (matched.path === REGISTER_GATEWAY ? ids.ownerId : undefined);
  const actingFor =
    caller.isAdmin && ownerId !== undefined && ownerId !== caller.userId ? ownerId : undefined;
  logger.info('api request', {
    method: event.httpMethod,
    route: matched.path,
    ids,
    status,
    callerId: caller.userId,
    admin: caller.isAdmin,
    ...(actingFor !== undefined ? { actingFor } : {}),
  });
}
