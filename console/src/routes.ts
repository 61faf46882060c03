/** The console's routes, without React: preload.ts reads them before the app has loaded. */
export type Route =
  | { page: 'gateways' }
  | { page: 'register-gateway' }
  | { page: 'gateway'; id: string }
  | { page: 'create-peering'; id: string }
  | { page: 'peerings' }
  | { page: 'signin' }
  | { page: 'not-found' };

/** A path's segments, decoded; undefined for a malformed escape (`%E0%A4%A`), which is no page. */
function segmentsOf(path: string): string[] | undefined {
  try {
    return path.split('/').filter(Boolean).map(decodeURIComponent);
  } catch (error) {
    if (error instanceof URIError) return undefined;
    throw error;
  }
}

export function matchRoute(path: string): Route {
  const parts = segmentsOf(path);
  if (!parts) return { page: 'not-found' };
  const [first, second, third] = parts;
  if (parts.length === 0 || (first === 'gateways' && parts.length === 1)) return { page: 'gateways' };
  if (first === 'signin' && parts.length === 1) return { page: 'signin' };
  if (first === 'peerings' && parts.length === 1) return { page: 'peerings' };
  if (first === 'gateways' && second === 'register' && parts.length === 2)
    return { page: 'register-gateway' };
  if (first === 'gateways' && second && parts.length === 2) return { page: 'gateway', id: second };
  if (first === 'gateways' && second && third === 'create-peering' && parts.length === 3) {
    return { page: 'create-peering', id: second };
  }
  return { page: 'not-found' };
}

export const gatewayHref = (id: string): string => `/gateways/${encodeURIComponent(id)}`;

/** A list's server filters (VPN Gateways, VPC Peerings): the API's `status=` and admin `ownerId=`. */
export interface ListFilters<S extends string = string> {
  status?: S;
  ownerId?: string;
}

/**
 * The filters an address's query holds (`/peerings?status=FAILED&ownerId=alice`), named as the API
 * names them. A status the list does not have is left out, and so is an owner for someone who is
 * not an admin: a user's lists are always their own (the API refuses another owner), so a link
 * made by an admin opens as the user's own list rather than as an error.
 */
export function listFiltersOf<S extends string>(
  search: string,
  statuses: readonly S[],
  isAdmin: boolean,
): ListFilters<S> {
  const query = new URLSearchParams(search);
  const status = statuses.find((value) => value === query.get('status'));
  const ownerId = isAdmin ? query.get('ownerId')?.trim() : undefined;
  return { ...(status ? { status } : {}), ...(ownerId ? { ownerId } : {}) };
}

/** The query that holds these filters (`status=FAILED&ownerId=alice`), `''` for none. */
export function listQueryOf(filters: ListFilters): string {
  const query = new URLSearchParams();
  if (filters.status) query.set('status', filters.status);
  if (filters.ownerId) query.set('ownerId', filters.ownerId);
  return query.toString();
}
