import { act, cleanup, render, renderHook, screen, waitFor } from '@testing-library/react';
import type { ReactNode } from 'react';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { focusHeading, focusIsLost } from './focus';
import { NotificationsProvider } from './notifications';
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
    const { result } = renderHook(() => useLoad('Loading', load, [], preloaded), { wrapper });
    // Assess
    expect(result.current).toMatchObject({ data: ['gw-a'], loading: false });
    expect(load).not.toHaveBeenCalled();
  });

  test('a value still on its way stands for the first load; a reload loads again', async () => {
    // Prepare
    let arrive: (value: string[]) => void = () => undefined;
    const preloaded = new Preloaded(new Promise<string[]>((resolve) => (arrive = resolve)));
    const load = vi.fn(async () => ['gw-b']);
    const { result } = renderHook(() => useLoad('Loading', load, [], preloaded), { wrapper });
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
});
