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
