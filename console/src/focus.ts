/**
 * Where the keyboard focus goes when what had it disappears (README, "Using the console": every flow
 * works with the keyboard alone): to the heading of what the person is now looking at.
 */

/**
 * Focuses the first shown `selector` heading in `container` (made focusable, not tabbable); true if
 * one took the focus. A page being replaced may still be in the document, hidden (React keeps it
 * while the next page's chunk loads), and its heading cannot take the focus.
 */
export function focusHeading(container: ParentNode | null | undefined, selector = 'h1'): boolean {
  for (const heading of container?.querySelectorAll<HTMLElement>(selector) ?? []) {
    heading.tabIndex = -1;
    heading.focus();
    if (document.activeElement === heading) return true;
  }
  return false;
}

/** True when nothing useful has the focus: the page's body, or an element no longer in the page. */
export function focusIsLost(): boolean {
  const active = document.activeElement;
  return !active || active === document.body || !active.isConnected;
}

/**
 * After a page change (or signing in) the new page's h1 takes the focus, so a keyboard or screen
 * reader user starts at the page, not at the top of the document. The page may still be loading
 * (its chunk, its data) and may replace its heading once loaded, taking the focus with it: for up
 * to `timeoutMs` a lost focus goes back to the heading. It gives up as soon as the person has put
 * the focus somewhere themselves. Returns a function that stops watching.
 */
export function focusPageHeadingOnceShown(timeoutMs = 10_000): () => void {
  const startedOn = document.activeElement;
  let placed: Element | null = null;
  const observer = new MutationObserver(() => attempt());
  const timer = window.setTimeout(() => stop(), timeoutMs);
  function stop(): void {
    observer.disconnect();
    window.clearTimeout(timer);
  }
  function attempt(): void {
    const active = document.activeElement;
    const lost = focusIsLost();
    // Where the focus was before the page changed counts as the person's only once a heading had it.
    if (!lost && active !== placed && (placed !== null || active !== startedOn)) {
      stop(); // the person put the focus somewhere
    } else if (lost || active !== placed) {
      if (focusHeading(document.querySelector('main'))) placed = document.activeElement;
    }
  }
  observer.observe(document.body, { childList: true, subtree: true });
  attempt();
  return stop;
}

/**
 * For a control that goes away once used (a list's Clear filters, Next page or Retry in its table's
 * empty slot, which the rows or the loading state replace): the page's heading takes the focus, as
 * after a page change, rather than the body. The console's pages are inside `main`.
 */
export function focusPageHeading(): boolean {
  return focusHeading(document.querySelector('main') ?? document);
}
