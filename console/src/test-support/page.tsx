/** Renders a page as the shell does, with its flash messages as plain text to find. */
import { cleanup, render } from '@testing-library/react';
import type { ReactNode } from 'react';
import { vi } from 'vitest';
import { type Identity, signOut } from '../auth/session';
import { NotificationsProvider, useNotifications } from '../notifications';

function Flashes() {
  const { items } = useNotifications();
  return (
    <ul aria-label="Messages">
      {items.map((item) => (
        <li key={item.id}>
          {item.header} {item.content}
          {item.buttonText && (
            <button type="button" onClick={() => item.onButtonClick?.(new CustomEvent('click') as never)}>
              {item.buttonText}
            </button>
          )}
        </li>
      ))}
    </ul>
  );
}

export function renderPage(page: ReactNode) {
  return render(
    <NotificationsProvider>
      <Flashes />
      {page}
    </NotificationsProvider>,
  );
}

export const identityOf = (userId: string, isAdmin = false): Identity => ({
  token: 't',
  userId,
  name: userId,
  isAdmin,
  expiresAt: null,
});

/** After a page's test: unmounted, signed out, nothing kept in the tab, at "/", no stubbed fetch. */
export function resetPageState(): void {
  cleanup();
  signOut();
  sessionStorage.clear();
  window.history.replaceState(null, '', '/');
  vi.unstubAllGlobals();
}
