/** A small history-API router: the console has five routes and needs no library for them. */
import { useEffect, useState } from 'react';

const listeners = new Set<() => void>();

export function navigate(href: string, options: { replace?: boolean } = {}): void {
  if (options.replace) window.history.replaceState(null, '', href);
  else window.history.pushState(null, '', href);
  for (const listener of listeners) listener();
}

/** The current path; re-renders on navigate() and on the browser's back and forward. */
export function usePath(): string {
  const [path, setPath] = useState(window.location.pathname);
  useEffect(() => {
    const update = () => setPath(window.location.pathname);
    listeners.add(update);
    window.addEventListener('popstate', update);
    return () => {
      listeners.delete(update);
      window.removeEventListener('popstate', update);
    };
  }, []);
  return path;
}

/** For Cloudscape's onFollow: a plain click stays in the app; a modified click opens a tab. */
export function followInApp(event: CustomEvent<{ href?: string; external?: boolean }>): void {
  const href = event.detail.href;
  if (!href || event.detail.external) return;
  event.preventDefault();
  navigate(href);
}

export type Route =
  | { page: 'gateways' }
  | { page: 'register-gateway' }
  | { page: 'gateway'; id: string }
  | { page: 'create-peering'; id: string }
  | { page: 'peerings' }
  | { page: 'signin' }
  | { page: 'not-found' };

export function matchRoute(path: string): Route {
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
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
