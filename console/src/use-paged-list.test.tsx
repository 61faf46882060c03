import { act, cleanup, renderHook, waitFor } from '@testing-library/react';
import type { ReactNode } from 'react';
import { afterEach, describe, expect, test, vi } from 'vitest';
import type { Page } from './api/client';
import { NotificationsProvider } from './notifications';
import { usePagedList } from './use-paged-list';

afterEach(cleanup);

const wrapper = ({ children }: { children: ReactNode }) => (
  <NotificationsProvider>{children}</NotificationsProvider>
);

/** An API list of `pages` pages of 2 items (endless by default), its tokens `t<page index>`. */
function apiOf(pages = Number.POSITIVE_INFINITY) {
  return vi.fn(async (nextToken?: string): Promise<Page<string>> => {
    const index = nextToken ? Number(nextToken.slice(1)) : 0;
    const items = [`${index}-a`, `${index}-b`];
    return index + 1 < pages ? { items, nextToken: `t${index + 1}` } : { items };
  });
}

const shown = (list: { items: string[]; loading: boolean }) => !list.loading && list.items;

describe('usePagedList', () => {
  test('reads one page at a time, open-ended while the API has a next page', async () => {
    // Prepare: an endless list
    const fetchPage = apiOf();
    // Act
    const { result } = renderHook(() => usePagedList('Loading', fetchPage, []), { wrapper });
    // Assess: page 1 only, more to come
    await waitFor(() => expect(shown(result.current)).toEqual(['0-a', '0-b']));
    expect(fetchPage.mock.calls).toEqual([[undefined]]);
    expect(result.current).toMatchObject({ pageIndex: 1, pagesCount: 1, openEnd: true, seenCount: 2 });
    // Act: next, and next again
    act(() => result.current.goTo(2));
    await waitFor(() => expect(shown(result.current)).toEqual(['1-a', '1-b']));
    act(() => result.current.goTo(3));
    await waitFor(() => expect(shown(result.current)).toEqual(['2-a', '2-b']));
    // Assess: each page by the token the one before gave
    expect(fetchPage.mock.calls).toEqual([[undefined], ['t1'], ['t2']]);
    expect(result.current).toMatchObject({ pageIndex: 3, pagesCount: 3, openEnd: true, seenCount: 6 });
  });

  test('goes back by the token kept for that page, and a refresh starts from page 1', async () => {
    // Prepare: on page 3
    const fetchPage = apiOf();
    const { result } = renderHook(() => usePagedList('Loading', fetchPage, []), { wrapper });
    await waitFor(() => expect(shown(result.current)).toEqual(['0-a', '0-b']));
    act(() => result.current.goTo(2));
    await waitFor(() => expect(shown(result.current)).toEqual(['1-a', '1-b']));
    act(() => result.current.goTo(3));
    await waitFor(() => expect(shown(result.current)).toEqual(['2-a', '2-b']));
    // Act: back to page 2
    act(() => result.current.goTo(2));
    // Assess: read again with its own token; the pages seen stay known
    await waitFor(() => expect(shown(result.current)).toEqual(['1-a', '1-b']));
    expect(fetchPage).toHaveBeenLastCalledWith('t1');
    expect(result.current).toMatchObject({ pageIndex: 2, pagesCount: 3, openEnd: true });
    // Act: refresh
    act(() => result.current.refresh());
    // Assess: page 1 again, the pages seen forgotten
    await waitFor(() => expect(result.current).toMatchObject({ pageIndex: 1, pagesCount: 1, seenCount: 2 }));
    expect(fetchPage).toHaveBeenLastCalledWith(undefined);
  });

  test('a list that ends has an exact count and a closed pager; a page past the end is never asked', async () => {
    // Prepare: two pages
    const fetchPage = apiOf(2);
    const { result } = renderHook(() => usePagedList('Loading', fetchPage, []), { wrapper });
    await waitFor(() => expect(shown(result.current)).toEqual(['0-a', '0-b']));
    // Act
    act(() => result.current.goTo(2));
    await waitFor(() => expect(shown(result.current)).toEqual(['1-a', '1-b']));
    act(() => result.current.goTo(3));
    // Assess
    expect(result.current).toMatchObject({ pageIndex: 2, pagesCount: 2, openEnd: false, seenCount: 4 });
    expect(fetchPage).toHaveBeenCalledTimes(2);
  });

  test('other filters start again from page 1', async () => {
    // Prepare: on page 2 of the list of owner a
    const fetchPage = apiOf();
    const { result, rerender } = renderHook(({ owner }) => usePagedList('Loading', fetchPage, [owner]), {
      wrapper,
      initialProps: { owner: 'a' },
    });
    await waitFor(() => expect(shown(result.current)).toEqual(['0-a', '0-b']));
    act(() => result.current.goTo(2));
    await waitFor(() => expect(shown(result.current)).toEqual(['1-a', '1-b']));
    // Act
    rerender({ owner: 'b' });
    // Assess: page 1, asked without a token (a token is bound to its query)
    await waitFor(() =>
      expect(result.current).toMatchObject({ pageIndex: 1, pagesCount: 1, loading: false }),
    );
    expect(fetchPage).toHaveBeenLastCalledWith(undefined);
    expect(fetchPage).toHaveBeenCalledTimes(3);
  });

  test('an empty page that is not the last is followed; an empty last page falls back to the one before', async () => {
    // Prepare: page 1, then two empty pages with a token, then a page; after it an empty last page
    const answers: Record<string, Page<string>> = {
      first: { items: ['a'], nextToken: 'e1' },
      e1: { items: [], nextToken: 'e2' },
      e2: { items: [], nextToken: 'p' },
      p: { items: ['b'], nextToken: 'end' },
      end: { items: [] },
    };
    const fetchPage = vi.fn(async (token?: string) => answers[token ?? 'first'] ?? { items: [] });
    const { result } = renderHook(() => usePagedList('Loading', fetchPage, []), { wrapper });
    await waitFor(() => expect(shown(result.current)).toEqual(['a']));
    // Act
    act(() => result.current.goTo(2));
    // Assess: page 2 shows b
    await waitFor(() => expect(shown(result.current)).toEqual(['b']));
    expect(fetchPage.mock.calls.map(([token]) => token)).toEqual([undefined, 'e1', 'e2', 'p']);
    // Act: next; nothing there
    act(() => result.current.goTo(3));
    // Assess: back on page 2, the list closed there
    await waitFor(() =>
      expect(result.current).toMatchObject({ pageIndex: 2, openEnd: false, pagesCount: 2, loading: false }),
    );
    expect(shown(result.current)).toEqual(['b']);
  });
});

describe('usePagedList after a failed read', () => {
  test('of other filters or another page shows no rows of the query before; a failed reload of the page shown keeps them', async () => {
    // Prepare: owner a's endless list, read to page 1; owner b's list and a's page 2 cannot be read
    let failing = new Set<string | undefined>();
    const endless = apiOf();
    const fetchPage = (owner: string) => async (token?: string) => {
      if (failing.has(owner === 'a' ? token : owner)) throw new Error('Service Unavailable');
      return endless(token);
    };
    const { result, rerender } = renderHook(
      ({ owner }) => usePagedList('Loading', fetchPage(owner), [owner]),
      { wrapper, initialProps: { owner: 'a' } },
    );
    await waitFor(() => expect(shown(result.current)).toEqual(['0-a', '0-b']));
    failing = new Set(['b', 't1']);
    // Act: owner b
    rerender({ owner: 'b' });
    // Assess: the failure, and none of a's rows under b
    await waitFor(() => expect(result.current.error).toBeDefined());
    expect(result.current).toMatchObject({ items: [], pageIndex: 1, loading: false });
    // Act: back to a (read), then its page 2, which fails
    rerender({ owner: 'a' });
    await waitFor(() => expect(shown(result.current)).toEqual(['0-a', '0-b']));
    act(() => result.current.goTo(2));
    // Assess: page 2 failed, and page 1's rows are not shown as page 2's
    await waitFor(() => expect(result.current.error).toBeDefined());
    expect(result.current).toMatchObject({ items: [], pageIndex: 2, loading: false });
    // Act: back to page 1, then a reload of it that fails
    act(() => result.current.goTo(1));
    await waitFor(() => expect(shown(result.current)).toEqual(['0-a', '0-b']));
    failing = new Set([undefined]);
    act(() => result.current.reload());
    // Assess: the same page read again: its rows stay, beside the failure
    await waitFor(() => expect(result.current.error).toBeDefined());
    expect(result.current).toMatchObject({ items: ['0-a', '0-b'], pageIndex: 1, loading: false });
  });

  test('an empty last page after a failed page falls back to the page before, read again', async () => {
    // Prepare: page 1, then a page 2 that fails once and then is empty and last
    let page2Reads = 0;
    const fetchPage = vi.fn(async (token?: string): Promise<Page<string>> => {
      if (!token) return { items: ['a'], nextToken: 'p2' };
      page2Reads += 1;
      if (page2Reads === 1) throw new Error('Service Unavailable');
      return { items: [] };
    });
    const { result } = renderHook(() => usePagedList('Loading', fetchPage, []), { wrapper });
    await waitFor(() => expect(shown(result.current)).toEqual(['a']));
    act(() => result.current.goTo(2));
    await waitFor(() => expect(result.current.error).toBeDefined());
    // Act: read page 2 again
    act(() => result.current.reload());
    // Assess: back on page 1, its rows read again (none were on screen to keep)
    await waitFor(() => expect(shown(result.current)).toEqual(['a']));
    expect(result.current).toMatchObject({ pageIndex: 1, error: undefined });
    expect(fetchPage.mock.calls.map(([token]) => token)).toEqual([undefined, 'p2', 'p2', undefined]);
  });
});
