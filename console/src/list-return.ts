/**
 * The way back to VPN Gateways (a gateway page's breadcrumb, its "not found" link, the page after
 * a delete, Register gateway's Cancel) opens the list as the person left it: the list remembers
 * its query (status, and an admin's owner) here, in sessionStorage (this tab only), so it outlives
 * a reload and the Cognito sign-in's redirect. It is the signed-in user's own: another person
 * signing in next in this tab gets the plain list, and Sign out forgets it. The page the list
 * showed is not kept: it lives in the list's state, not its address, and its token expires
 * (docs/DECISIONS.md, "An admin is told whose it is, and keeps the list", session 19).
 */
import { currentIdentity } from './auth/session';

const STORAGE_KEY = 'vpc-peering-console.gateways-query';

/** What the gateway list shows now (`listQueryOf` of its filters, `''` for none). */
export function rememberGatewaysQuery(query: string): void {
  const identity = currentIdentity();
  if (!identity) return;
  if (query) sessionStorage.setItem(STORAGE_KEY, JSON.stringify({ userId: identity.userId, query }));
  else sessionStorage.removeItem(STORAGE_KEY);
}

/** The address of VPN Gateways under the filters the signed-in user last left it with. */
export function gatewaysListHref(): string {
  const stored = sessionStorage.getItem(STORAGE_KEY);
  const identity = currentIdentity();
  if (!stored || !identity) return '/gateways';
  try {
    const kept = JSON.parse(stored) as { userId?: unknown; query?: unknown };
    if (kept.userId === identity.userId && typeof kept.query === 'string' && kept.query)
      return `/gateways?${kept.query}`;
  } catch {
    // Not what this console wrote: the plain list.
  }
  return '/gateways';
}

/** Sign-out by the person: the next one starts from the plain list. */
export function forgetGatewaysQuery(): void {
  sessionStorage.removeItem(STORAGE_KEY);
}
