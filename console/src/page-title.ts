/**
 * The browser tab's title says which page it is, from the page's own h1 ("edge | VPC Peering
 * console"), so tabs, windows and the history list can be told apart (WCAG 2.4.2; docs/DECISIONS.md,
 * "Console: what a screen reader is told"). index.html's title is what shows until a page sets it.
 */
import { useEffect } from 'react';

export const CONSOLE_TITLE = 'VPC Peering console';

/** "<page> | <context…> | VPC Peering console"; empty parts (a name not loaded yet) are left out. */
export function pageTitle(...parts: readonly (string | undefined)[]): string {
  return [...parts.filter((part): part is string => Boolean(part)), CONSOLE_TITLE].join(' | ');
}

/**
 * Sets the document's title while the page shows, and again when what it names changes (a gateway's
 * name once loaded). `undefined` leaves the title to a child that replaces the page's own view: a
 * child's effect runs before its parent's, so the parent must stay out of the way.
 */
export function usePageTitle(page: string | undefined, ...context: readonly (string | undefined)[]): void {
  const title = page === undefined ? undefined : pageTitle(page, ...context);
  useEffect(() => {
    if (title !== undefined) document.title = title;
  }, [title]);
}
