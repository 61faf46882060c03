/**
 * The list routes' query (README "API", "Lists are pages"): `limit`, `nextToken` and the filters,
 * checked, with the binding that ties a token to its caller and query.
 */
import { ValidationError } from '../../core/errors';
import {
  type PageRequest,
  pageBinding,
  parseEnumFilter,
  parsePageQuery,
  type QueryParameters,
} from '../../core/pagination';
import { GATEWAY_STATUSES, PEERING_STATUSES, parseOwnerId } from '../../core/schemas';
import type { Caller, GatewayStatus, PeeringStatus } from '../../core/types';
import type { GatewayFilter, PeeringFilter } from '../ports';

/**
 * The query parameters each list route takes; any other is 400. The OpenAPI document declares
 * exactly these for each route (test/api/openapi-conformance.test.ts holds it to this list).
 */
export const LIST_QUERY_PARAMETERS = {
  'GET /v1/gateways': ['limit', 'nextToken', 'status', 'ownerId'],
  'GET /v1/vpc-peerings': ['limit', 'nextToken', 'status', 'ownerId'],
  'GET /v1/gateways/{id}/peers': ['limit', 'nextToken'],
  'GET /v1/gateways/{id}/peering-candidates': ['limit', 'nextToken'],
} as const satisfies Record<string, readonly string[]>;

function checkedQuery(query: QueryParameters, allowed: readonly string[]): QueryParameters {
  const unknown = Object.keys(query ?? {}).find((name) => !allowed.includes(name));
  if (unknown !== undefined) throw new ValidationError('unknown query parameter', unknown.slice(0, 64));
  return query;
}

/** Admins may list one owner's items; a user's lists are always their own. */
function ownerScope(caller: Caller, query: QueryParameters): string | undefined {
  const requested = query?.ownerId === undefined ? undefined : parseOwnerId(query.ownerId, 'ownerId');
  if (caller.isAdmin) return requested;
  if (requested !== undefined && requested !== caller.userId) {
    throw new ValidationError('only admins may list another owner’s items', 'ownerId');
  }
  return caller.userId;
}

function page(
  caller: Caller,
  route: string,
  query: QueryParameters,
  filters: Record<string, string | undefined>,
): PageRequest {
  return { ...parsePageQuery(query), binding: pageBinding(caller, route, filters) };
}

export function gatewayListQuery(
  caller: Caller,
  query: QueryParameters,
): { filter: GatewayFilter; page: PageRequest } {
  checkedQuery(query, LIST_QUERY_PARAMETERS['GET /v1/gateways']);
  const status = parseEnumFilter<GatewayStatus>(query?.status, GATEWAY_STATUSES, 'status');
  const ownerId = ownerScope(caller, query);
  return { filter: { ownerId, status }, page: page(caller, 'GET /v1/gateways', query, { ownerId, status }) };
}

export function peeringListQuery(
  caller: Caller,
  query: QueryParameters,
): { filter: PeeringFilter; page: PageRequest } {
  checkedQuery(query, LIST_QUERY_PARAMETERS['GET /v1/vpc-peerings']);
  const status = parseEnumFilter<PeeringStatus>(query?.status, PEERING_STATUSES, 'status');
  const ownerId = ownerScope(caller, query);
  return {
    filter: { ownerId, status },
    page: page(caller, 'GET /v1/vpc-peerings', query, { ownerId, status }),
  };
}

/** The peer list of one gateway: the gateway view's first page and GET /v1/gateways/{id}/peers. */
export function peerListPage(caller: Caller, gatewayId: string, query: QueryParameters): PageRequest {
  checkedQuery(query, LIST_QUERY_PARAMETERS['GET /v1/gateways/{id}/peers']);
  return page(caller, `GET /v1/gateways/${gatewayId}/peers`, query, {});
}

export function candidateListPage(caller: Caller, gatewayId: string, query: QueryParameters): PageRequest {
  checkedQuery(query, LIST_QUERY_PARAMETERS['GET /v1/gateways/{id}/peering-candidates']);
  return page(caller, `GET /v1/gateways/${gatewayId}/peering-candidates`, query, {});
}
