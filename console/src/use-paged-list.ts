/**
 * A list read from the API a page at a time, as the person moves through it (Cloudscape's
 * server-side, open-ended pagination): page 1 is the API's first page, the next page is read with
 * the API's `nextToken`, and the token that started each visited page is kept so Previous (or a
 * page number) reads that page again. Nothing is loaded up front, so a list of millions costs one
 * page per step. The total is unknown while the API has more: the pager is open-ended and the
 * counter says `(N+)`, N the items of the pages seen.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { Page } from './api/client';
import { retryWaitSeconds } from './api/errors';
import { useNotifications } from './notifications';
import type { Preloaded } from './preload';
import { whileMounted } from './while-mounted';

/**
 * Empty pages followed at most, per page shown: a filtered API page may be empty yet not the last
 * (docs/DECISIONS.md, "Lists, page tokens and the busy hub"); a few more reads find its rows.
 */
const EMPTY_PAGES_FOLLOWED = 4;

export interface PagedList<T> {
  /**
   * The rows of the page shown: none while the read of another page or of other filters failed
   * (the list shows that failure, not the rows of a query it no longer is).
   */
  items: T[];
  loading: boolean;
  /** 1-based. */
  pageIndex: number;
  /** The pages visited so far (the pager's numbers). */
  pagesCount: number;
  /** Whether the API has more after the furthest page visited. */
  openEnd: boolean;
  /** The items of every page visited (the counter, with `+` while `openEnd`). */
  seenCount: number;
  goTo(pageIndex: number): void;
  /**
   * The failure of the latest read, until a read succeeds: a list that could not be read is not
   * an empty one (the page says so, with `retry`, and shows no counter).
   */
  error: unknown;
  /** Reads the page shown again. */
  reload(): void;
  /** `reload` once the wait the failed read's answer asked for (Retry-After) is over. */
  retry(): void;
  /** Starts again from page 1. */
  refresh(): void;
}

interface Position {
  /** What the list is of (the filters sent); another one starts again from page 1. */
  key: string;
  index: number;
  /** The token that starts each known page (`undefined` for page 1). */
  starts: (string | undefined)[];
  /** The item count of each visited page. */
  sizes: number[];
  more: boolean;
  round: number;
}

const firstPage = (key: string, round = 0): Position => ({
  key,
  index: 1,
  starts: [undefined],
  sizes: [],
  more: false,
  round,
});

/** Reads the page that `start` starts, following empty pages a few times (see above). */
async function readPage<T>(fetchPage: (nextToken?: string) => Promise<Page<T>>, start: string | undefined) {
  let page = await fetchPage(start);
  for (let hop = 0; hop < EMPTY_PAGES_FOLLOWED && page.items.length === 0 && page.nextToken; hop += 1) {
    page = await fetchPage(page.nextToken);
  }
  return page;
}

/**
 * `fetchPage` reads one page (`limit: LIST_PAGE_SIZE`, api/client.ts); `filters` name what it
 * sends besides the token: when they change the list starts again from page 1. `preloaded`, when
 * given, stands for the first page of the first load.
 */
export function usePagedList<T>(
  action: string,
  fetchPage: (nextToken?: string) => Promise<Page<T>>,
  filters: unknown[],
  preloaded?: Preloaded<Page<T>>,
): PagedList<T> {
  const { reportError } = useNotifications();
  const key = JSON.stringify(filters);
  const [position, setPosition] = useState(() => firstPage(key));
  const [shown, setShown] = useState<T[]>(preloaded?.settled?.value.items ?? []);
  const [loading, setLoading] = useState(!preloaded?.settled);
  const [failure, setFailure] = useState<{ error: unknown; notBefore: number }>();
  const failureRef = useRef(failure);
  failureRef.current = failure;
  const fetchRef = useRef(fetchPage);
  fetchRef.current = fetchPage;
  const pendingRef = useRef(preloaded);
  /** Which page `shown` is (its list's key and index); none once a failed read emptied it. */
  const shownPageRef = useRef<{ key: string; index: number } | undefined>(
    preloaded?.settled ? { key, index: 1 } : undefined,
  );
  const isShown = (page: { key: string; index: number }) =>
    shownPageRef.current?.key === page.key && shownPageRef.current.index === page.index;
  const keepShownRef = useRef(false);
  // Other filters: page 1 of the new list, in this same render (no read of the old position).
  const current = position.key === key ? position : firstPage(key, position.round + 1);
  if (current !== position) setPosition(current);

  const { index, round } = current;
  const start = current.starts[index - 1];
  const goTo = useCallback(
    (requested: number) =>
      setPosition((at) =>
        requested >= 1 && requested <= at.starts.length ? { ...at, index: requested } : at,
      ),
    [],
  );
  const reload = useCallback(() => setPosition((at) => ({ ...at, round: at.round + 1 })), []);
  const refresh = useCallback(() => setPosition((at) => firstPage(at.key, at.round + 1)), []);
  const retry = useCallback(() => {
    const left = (failureRef.current?.notBefore ?? 0) - Date.now();
    setLoading(true); // the wait shows as the table's loading state
    if (left > 0) window.setTimeout(reload, left);
    else reload();
  }, [reload]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: the page is named by key, index, its start and round
  useEffect(() => {
    if (keepShownRef.current) {
      keepShownRef.current = false; // the page on screen is this one, read just before
      return;
    }
    const pending = pendingRef.current;
    pendingRef.current = undefined;
    if (!pending?.settled) setLoading(true);
    return whileMounted(
      pending?.promise ?? readPage(fetchRef.current, start),
      (page) => {
        setLoading(false);
        setFailure(undefined);
        // A page past the first that is empty and last: the one before is the last page. When it
        // is the page on screen it stays as it is (read again, it would offer a next page again).
        if (page.items.length === 0 && !page.nextToken && index > 1) {
          const last = index - 1;
          keepShownRef.current = isShown({ key, index: last });
          setPosition((at) => ({
            ...at,
            index: last,
            starts: at.starts.slice(0, last),
            sizes: at.sizes.slice(0, last),
            more: false,
          }));
          return;
        }
        setPosition((at) => {
          const sizes = [...at.sizes.slice(0, index - 1), page.items.length, ...at.sizes.slice(index)];
          // With a next page the pages known past this one stay; without, this one is the last.
          const starts = page.nextToken
            ? at.starts.slice(0, Math.max(at.starts.length, index + 1))
            : at.starts.slice(0, index);
          if (page.nextToken) starts[index] = page.nextToken; // the freshest token to the next page
          const furthest = index >= at.sizes.length;
          return {
            ...at,
            starts,
            sizes: sizes.slice(0, starts.length),
            more: page.nextToken ? furthest || at.more : false,
          };
        });
        setShown(page.items);
        shownPageRef.current = { key, index };
      },
      (error) => {
        setLoading(false);
        setFailure({ error, notBefore: Date.now() + (retryWaitSeconds(error) ?? 0) * 1000 });
        // A failed reload of the page shown keeps its rows (docs/DECISIONS.md, "The console after
        // failures and while waiting"); rows of other filters or another page would sit under
        // this query's filters and page number as if they were its own: the list shows its failure.
        if (!isShown({ key, index })) {
          setShown([]);
          shownPageRef.current = undefined;
        }
        // A kept token lives an hour (docs/DECISIONS.md): past that the page is refused, and the
        // list's Refresh starts again from page 1.
        reportError(action, error, reload);
      },
    );
  }, [key, index, start, round]);

  return {
    items: shown,
    loading,
    pageIndex: index,
    pagesCount: Math.max(current.sizes.length, index),
    openEnd: current.more,
    seenCount: current.sizes.reduce((sum, size) => sum + size, 0),
    error: failure?.error,
    goTo,
    reload,
    retry,
    refresh,
  };
}
