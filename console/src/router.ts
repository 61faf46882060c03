/** A small history-API router: the console has six routes (routes.ts) and needs no library for them. */
import { useEffect, useState } from 'react';

export { gatewayHref, type ListFilters, listFiltersOf, listQueryOf, matchRoute, type Route } from './routes';

const listeners = new Set<() => void>();

export function navigate(href: string, options: { replace?: boolean } = {}): void {
  if (options.replace) window.history.replaceState(null, '', href);
  else window.history.pushState(null, '', href);
  for (const listener of listeners) listener();
}

/** A part of the address that re-renders on navigate() and on the browser's back and forward. */
function useAddress(read: () => string): string {
  const [value, setValue] = useState(read);
  useEffect(() => {
    const update = () => setValue(read());
    listeners.add(update);
    window.addEventListener('popstate', update);
    return () => {
      listeners.delete(update);
      window.removeEventListener('popstate', update);
    };
  }, [read]);
  return value;
}

const pathOf = () => window.location.pathname;
const queryOf = () => window.location.search;

/** The current path. */
export const usePath = (): string => useAddress(pathOf);

/** The current query (`?status=FAILED`): where a list keeps its filters, so a reload or a link keeps them. */
export const useQuery = (): string => useAddress(queryOf);

/** Puts this query in the address in place (a filter chosen adds no step to Back). */
export function replaceQuery(query: string): void {
  navigate(`${window.location.pathname}${query ? `?${query}` : ''}`, { replace: true });
}

/** For Cloudscape's onFollow: a plain click stays in the app; a modified click opens a tab. */
export function followInApp(event: CustomEvent<{ href?: string; external?: boolean }>): void {
  const href = event.detail.href;
  if (!href || event.detail.external) return;
  event.preventDefault();
  navigate(href);
}
