import { act, cleanup, fireEvent, renderHook, screen } from '@testing-library/react';
import type { ReactNode } from 'react';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { ApiError } from './api/errors';
import { NotificationsProvider, useNotifications } from './notifications';
import { renderPage } from './test-support/page';
import { useLoad } from './use-load';

afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

function Gateways({ load }: { load: () => Promise<string[]> }) {
  const { data } = useLoad('Loading gateways', load, []);
  return <p>{data?.join(', ')}</p>;
}

describe('a throttled load', () => {
  test("offers a Retry that waits out the API's Retry-After before loading again", async () => {
    // Prepare: the first load is throttled for 3 s, the next one answers
    vi.useFakeTimers();
    const throttled = new ApiError(429, 'THROTTLED', 'Too many requests from this caller; retry in 3 s', 3);
    const load = vi
      .fn<() => Promise<string[]>>()
      .mockRejectedValueOnce(throttled)
      .mockResolvedValue(['gw-a']);
    renderPage(<Gateways load={load} />);
    await act(async () => undefined);
    // Act: Retry at once
    fireEvent.click(screen.getByRole('button', { name: 'Retry after 3 s' }));
    // Assess: nothing is asked before the 3 s are out, then the list loads
    await act(async () => vi.advanceTimersByTime(2900));
    expect(load).toHaveBeenCalledTimes(1);
    await act(async () => vi.advanceTimersByTime(200));
    expect(load).toHaveBeenCalledTimes(2);
    expect(screen.getByText('gw-a')).toBeTruthy();
  });
});

describe('every flash', () => {
  test('is a status message, which Cloudscape announces politely without moving the focus', () => {
    // Prepare
    const wrapper = ({ children }: { children: ReactNode }) => (
      <NotificationsProvider>{children}</NotificationsProvider>
    );
    const { result } = renderHook(() => useNotifications(), { wrapper });
    // Act: a success, a warning and a failure worth a Retry
    act(() => result.current.notify({ type: 'success', content: 'Peer tablet added.' }));
    act(() => result.current.notify({ type: 'warning', content: 'This sign-in link is for mallory.' }));
    act(() =>
      result.current.reportError(
        'Getting the config of laptop',
        new ApiError(500, 'INTERNAL', 'Internal error'),
        () => undefined,
      ),
    );
    // Assess
    expect(result.current.items.map((item) => [item.type, item.ariaRole])).toEqual([
      ['error', 'status'],
      ['warning', 'status'],
      ['success', 'status'],
    ]);
  });
});
