import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { App } from './App';
import { endCognitoSession, startCognitoSignIn } from './auth/cognito';
import { identityOf, signIn, signOut } from './auth/session';
import type { ConsoleConfig } from './config';
import { NotificationsProvider } from './notifications';
import { COGNITO_CONFIG, LOCAL_CONFIG } from './test-support/configs';
import { inAnHour, jwt } from './test-support/tokens';
import { readOwned, writeOwned } from './user-storage';

vi.mock('./pages/GatewaysList', () => ({ GatewaysList: () => <h1>VPN Gateways</h1> }));
vi.mock('./auth/cognito', () => ({
  cognitoSignOut: vi.fn(async () => undefined),
  endCognitoSession: vi.fn(async () => undefined),
  startCognitoSignIn: vi.fn(async () => undefined),
}));

const SUB = '7c1e2f4a-0000-4000-8000-000000000001';

// Cloudscape's transitions set timers that would fire after jsdom is gone: fake, and dropped.
beforeEach(() => vi.useFakeTimers());

afterEach(() => {
  cleanup();
  signOut();
  vi.mocked(endCognitoSession).mockClear();
  vi.clearAllTimers();
  vi.useRealTimers();
});

function renderApp(config: ConsoleConfig, token: string, notice?: string) {
  const identity = signIn(token).signedIn ? identityOf(token) : undefined;
  return render(
    <NotificationsProvider>
      <App config={config} identity={identity} notice={notice} />
    </NotificationsProvider>,
  );
}

describe('the console shell', () => {
  test('the top bar names the person by their email, not the sub', () => {
    // Act
    renderApp(COGNITO_CONFIG, jwt({ sub: SUB, email: 'alice@example.com', exp: inAnHour() }));
    // Assess
    expect(screen.getByRole('button', { name: /alice@example\.com/ })).toBeTruthy();
    expect(screen.queryByText(SUB)).toBeNull();
  });

  test("a refused sign-in link's notice shows as a warning to whoever is signed in", () => {
    // Act
    renderApp(
      LOCAL_CONFIG,
      jwt({ sub: 'alice', exp: inAnHour() }),
      'This sign-in link is for mallory, but alice…',
    );
    // Assess
    expect(screen.getByText('This sign-in link is for mallory, but alice…')).toBeTruthy();
  });

  test('on AWS, a session that ends (expiry, a 401) revokes its refresh token', () => {
    // Prepare
    renderApp(COGNITO_CONFIG, jwt({ sub: SUB, exp: inAnHour() }));
    // Act: the API refused the token (api/client signs out)
    act(() => signOut());
    // Assess
    expect(endCognitoSession).toHaveBeenCalledWith(COGNITO_CONFIG);
  });

  test('a session refused on a request that changes something says that request was not sent', async () => {
    // Prepare
    renderApp(LOCAL_CONFIG, jwt({ sub: 'alice', exp: inAnHour() }));
    // Act: the API refused Register gateway's token (api/client signs out with what it was for)
    act(() => signOut({ unsentRequest: 'Register gateway' }));
    await act(async () => {
      await import('./pages/SignIn'); // the sign-in page's lazy chunk
    });
    // Assess
    expect(
      screen.getByText(/You were signed out: .*Your last request \(Register gateway\) was not sent\./),
    ).toBeTruthy();
  });

  test("a session that ends hands the focus to the sign-in page's heading and announces why", async () => {
    // Prepare: alice is on the list, the focus in the page
    renderApp(LOCAL_CONFIG, jwt({ sub: 'alice', exp: inAnHour() }));
    screen.getByRole('heading', { name: 'VPN Gateways' }).focus();
    // Act: the API refused Add peer's token; the list and its focus go
    act(() => signOut({ unsentRequest: 'Add peer tablet' }));
    await act(async () => {
      await import('./pages/SignIn'); // the sign-in page's lazy chunk
    });
    await act(async () => vi.advanceTimersByTime(1000)); // Cloudscape's live-region delay
    // Assess
    expect(document.activeElement).toBe(
      screen.getByRole('heading', { name: 'VPC Peering console', level: 1 }),
    );
    const politelyTold = [...document.querySelectorAll('[aria-live="polite"]')].map(
      (region) => region.textContent,
    );
    expect(politelyTold).toContainEqual(
      expect.stringMatching(/You were signed out: .*\(Add peer tablet\) was not sent/),
    );
  });

  test('the sign-in page the browser opened leaves the focus alone', async () => {
    // Act: no session; a refused sign-in link's notice
    renderApp(LOCAL_CONFIG, 'not a token', 'This sign-in link has expired.');
    await act(async () => {
      await import('./pages/SignIn');
    });
    // Assess
    screen.getByText('This sign-in link has expired.');
    expect(document.activeElement).toBe(document.body);
  });

  test("Sign out forgets what the console kept for the person: drafts and the list's filters", () => {
    // Prepare: alice typed into a form and left the list filtered
    renderApp(LOCAL_CONFIG, jwt({ sub: 'alice', exp: inAnHour() }));
    writeOwned('draft:/gateways/new#register', { name: 'prod' });
    writeOwned('gateways-query', 'status=ERROR');
    // Act: Sign out, from the top bar's menu
    fireEvent.click(screen.getByRole('button', { name: /alice/ }));
    fireEvent.click(screen.getByText('Sign out'));
    // Assess: alice signing in again in this tab finds none of it, nor does the storage hold it
    signIn(jwt({ sub: 'alice', exp: inAnHour() }));
    expect(readOwned('draft:/gateways/new#register')).toBeUndefined();
    expect(readOwned('gateways-query')).toBeUndefined();
    expect(Object.keys(sessionStorage).filter((key) => key.startsWith('vpc-peering-console.own:'))).toEqual(
      [],
    );
  });

  test("on AWS, signing in again comes back to the page with its query: a list's filters live there", async () => {
    // Prepare: an admin's session ends on alice's ERROR gateways
    window.history.replaceState(null, '', '/gateways?status=ERROR&ownerId=alice');
    renderApp(COGNITO_CONFIG, jwt({ sub: SUB, 'cognito:groups': ['admin'], exp: inAnHour() }));
    act(() => signOut());
    await act(async () => {
      await import('./pages/SignIn'); // the sign-in page's lazy chunk
    });
    // Act
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    // Assess
    expect(startCognitoSignIn).toHaveBeenCalledWith(COGNITO_CONFIG, '/gateways?status=ERROR&ownerId=alice');
    window.history.replaceState(null, '', '/');
  });
});
