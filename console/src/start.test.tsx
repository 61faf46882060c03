import { act, screen } from '@testing-library/react';
import type { Root } from 'react-dom/client';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { completeCognitoSignIn } from './auth/cognito';
import { signIn, signOut } from './auth/session';
import { start } from './start';
import { inAnHour, jwt } from './test-support/tokens';

vi.mock('./preload', async () => ({
  configReady: Promise.resolve((await import('./test-support/configs')).COGNITO_CONFIG),
  takePreloadedGateways: () => undefined,
}));
vi.mock('./pages/GatewaysList', () => ({ GatewaysList: () => <h1>VPN Gateways</h1> }));
vi.mock('./auth/cognito', () => ({
  completeCognitoSignIn: vi.fn(),
  cognitoSignOut: vi.fn(async () => undefined),
  endCognitoSession: vi.fn(async () => undefined),
  startCognitoSignIn: vi.fn(async () => undefined),
}));

/** The app's root, as index.html has it. */
function appRoot(): void {
  const root = document.createElement('div');
  root.id = 'root';
  document.body.replaceChildren(root);
}

let app: Root | undefined;

afterEach(() => {
  act(() => app?.unmount());
  app = undefined;
  signOut();
  document.body.replaceChildren();
});

describe("Cognito's /callback", () => {
  test('a callback that fails (its state already taken: a reload, Back) lands on sign-in with the reason', async () => {
    // Prepare: the address Cognito sent the browser to, whose state an earlier load consumed
    appRoot();
    window.history.replaceState(null, '', '/callback?code=abc&state=0123456789abcdef');
    vi.mocked(completeCognitoSignIn).mockRejectedValueOnce(new Error('No matching state found in storage'));
    // Act
    app = await start();
    // Assess: /callback is left (a reload no longer repeats it), and Sign in is offered with the reason
    expect(`${window.location.pathname}${window.location.search}`).toBe('/signin');
    expect(
      await screen.findByText(/Signing in did not complete \(No matching state found in storage\)/),
    ).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Sign in' })).toBeTruthy();
  });

  test('a reload of /callback with a session open goes back to VPN Gateways, quietly', async () => {
    // Prepare: signed in through this callback earlier; the page is reloaded
    appRoot();
    signIn(jwt({ sub: 'alice', exp: inAnHour() }));
    window.history.replaceState(null, '', '/callback?code=abc&state=0123456789abcdef');
    vi.mocked(completeCognitoSignIn).mockRejectedValueOnce(new Error('No matching state found in storage'));
    // Act
    app = await start();
    // Assess
    expect(window.location.pathname).toBe('/gateways');
    expect(await screen.findByRole('heading', { name: 'VPN Gateways' })).toBeTruthy();
    expect(screen.queryByText(/Signing in did not complete/)).toBeNull();
  });
});
