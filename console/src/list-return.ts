/**
 * The way back to VPN Gateways (a gateway page's breadcrumb, its "not found" link, the page after
 * a delete, Register gateway's Cancel) opens the list as the person left it: the list remembers
 * its query (status, and an admin's owner) here, in sessionStorage (this tab only, user-storage.ts), so it outlives
 * a reload and the Cognito sign-in's redirect. It is the signed-in user's own: another person
 * signing in next in this tab gets the plain list, and Sign out forgets it. The page the list
 * showed is not kept: it lives in the list's state, not its address, and its token expires
 * (docs/DECISIONS.md, "An admin is told whose it is, and keeps the list", session 19).
 */
import { readOwned, removeOwned, writeOwned } from './user-storage';

const NAME = 'gateways-query';

/** What the gateway list shows now (`listQueryOf` of its filters, `''` for none). */
export function rememberGatewaysQuery(query: string): void {
  if (query) writeOwned(NAME, query);
  else removeOwned(NAME);
}

/** The address of VPN Gateways under the filters the signed-in user last left it with. */
export function gatewaysListHref(): string {
  const query = readOwned<unknown>(NAME);
  return typeof query === 'string' && query ? `/gateways?${query}` : '/gateways';
}
