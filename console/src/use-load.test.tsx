import { act, cleanup, render, renderHook, screen, waitFor } from '@testing-library/react';
import type { ReactNode } from 'react';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { ApiError } from './api/errors';
import { focusHeading, focusIsLost, focusPageHeadingOnceShown } from './focus';
import { NotificationsProvider, useNotifications } from './notifications';
import { Preloaded } from './preload';
import { useLoad } from './use-load';

afterEach(cleanup);

const wrapper = ({ children }: { children: ReactNode }) => (
  <NotificationsProvider>{children}</NotificationsProvider>
);

describe('useLoad with a preloaded first load', () => {
  test('an arrived value shows at the first render, without loading again', async () => {
    // Prepare
    const preloaded = new Preloaded(Promise.resolve(['gw-a']));
    await preloaded.promise;
    const load = vi.fn(async () => ['gw-b']);
    // Act
    const { result } = renderHook(() => useLoad('Loading', load, [], { preloaded }), { wrapper });
    // Assess
    expect(result.current).toMatchObject({ data: ['gw-a'], loading: false });
    expect(load).not.toHaveBeenCalled();
  });

  test('a value still on its way stands for the first load; a reload loads again', async () => {
    // Prepare
    let arrive: (value: string[]) => void = () => undefined;
    const preloaded = new Preloaded(new Promise<string[]>((resolve) => (arrive = resolve)));
    const load = vi.fn(async () => ['gw-b']);
    const { result } = renderHook(() => useLoad('Loading', load, [], { preloaded }), { wrapper });
    expect(result.current.loading).toBe(true);
    // Act
    act(() => arrive(['gw-a']));
    // Assess
    await waitFor(() => expect(result.current).toMatchObject({ data: ['gw-a'], loading: false }));
    expect(load).not.toHaveBeenCalled();
    act(() => result.current.reload());
    await waitFor(() => expect(result.current.data).toEqual(['gw-b']));
  });
});

describe('focus', () => {
  test('a heading in the container takes the focus; none there, nothing moves', () => {
    // Prepare
    render(
      <main>
        <h1>VPN Gateways</h1>
      </main>,
    );
    expect(focusIsLost()).toBe(true);
    // Act
    const focused = focusHeading(document.querySelector('main'));
    // Assess
    expect(focused).toBe(true);
    expect(document.activeElement).toBe(screen.getByRole('heading', { name: 'VPN Gateways' }));
    expect(focusIsLost()).toBe(false);
    expect(focusHeading(document.querySelector('main'), 'h2')).toBe(false);
  });

  test('a page that replaces its heading while loading keeps the focus on it, until the person moves it', async () => {
    // Prepare: a page whose heading is replaced once its data is in (a loading table's header)
    document.body.innerHTML = '<main><h1>VPN Gateways</h1></main><button>Refresh</button>';
    const main = document.querySelector('main') as HTMLElement;
    const replaceHeading = (name: string) => {
      main.innerHTML = `<h1>${name}</h1>`;
      return new Promise((resolve) => setTimeout(resolve, 0)); // MutationObserver callbacks run first
    };
    // Act
    const stop = focusPageHeadingOnceShown();
    await replaceHeading('VPN Gateways (2)');
    // Assess
    expect(document.activeElement).toBe(screen.getByRole('heading', { name: 'VPN Gateways (2)' }));
    // Act: the person moves on; a later replacement leaves their focus alone
    (screen.getByRole('button', { name: 'Refresh' }) as HTMLElement).focus();
    await replaceHeading('VPN Gateways (3)');
    // Assess
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Refresh' }));
    stop();
  });

  test('the person going back to where the focus was before the page changed keeps it there', async () => {
    // Prepare: the focus is on a navigation link when the page changes
    document.body.innerHTML =
      '<nav><a href="/gateways">VPN Gateways</a></nav><main><h1>VPN Gateways</h1></main>';
    const link = screen.getByRole('link', { name: 'VPN Gateways' }) as HTMLElement;
    link.focus();
    const stop = focusPageHeadingOnceShown();
    expect(document.activeElement).toBe(screen.getByRole('heading', { name: 'VPN Gateways' }));
    // Act: Shift+Tab back to the link, then the page changes its content
    link.focus();
    (document.querySelector('main') as HTMLElement).append(document.createElement('p'));
    await new Promise((resolve) => setTimeout(resolve, 0));
    // Assess
    expect(document.activeElement).toBe(link);
    stop();
  });
});

describe('useLoad when the load fails', () => {
  test('the failure is given to the page until a load succeeds; one the page shows itself is not flashed', async () => {
    // Prepare: a load that fails once with a 404
    const gone = new ApiError(404, 'NOT_FOUND', 'Gateway gw-a not found');
    const load = vi.fn().mockRejectedValueOnce(gone).mockResolvedValue(['gw-a']);
    // Act
    const { result } = renderHook(
      () => ({
        loaded: useLoad('Loading', load, [], { shownByPage: (error) => error === gone }),
        flashes: useNotifications().items,
      }),
      { wrapper },
    );
    // Assess
    await waitFor(() => expect(result.current.loaded).toMatchObject({ error: gone, loading: false }));
    expect(result.current.flashes).toEqual([]);
    // Act
    act(() => result.current.loaded.reload());
    // Assess
    await waitFor(() => expect(result.current.loaded).toMatchObject({ data: ['gw-a'], error: undefined }));
  });
});

describe('useLoad read order', () => {
  test('data keeps the order of the read it came from through a failed reload; a later read is greater', async () => {
    // Prepare: a first read, then one that fails, then one that succeeds
    const load = vi
      .fn()
      .mockResolvedValueOnce(['a'])
      .mockRejectedValueOnce(new Error('busy'))
      .mockResolvedValue(['b']);
    const { result } = renderHook(() => useLoad('Loading', load, []), { wrapper });
    await waitFor(() => expect(result.current.data).toEqual(['a']));
    const first = result.current.readOrder;
    expect(first).toBeTypeOf('number');
    // Act
    act(() => result.current.reload());
    await waitFor(() => expect(result.current.error).toBeInstanceOf(Error));
    // Assess
    expect(result.current).toMatchObject({ data: ['a'], readOrder: first });
    // Act
    act(() => result.current.reload());
    await waitFor(() => expect(result.current.data).toEqual(['b']));
    // Assess
    expect(result.current.readOrder).toBeGreaterThan((first ?? 0) + 1);
  });
});
