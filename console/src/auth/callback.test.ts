import { afterEach, describe, expect, test } from 'vitest';
import { COGNITO_CONFIG } from '../test-support/configs';
import { inAnHour, jwt } from '../test-support/tokens';
import { finishCognitoCallback } from './callback';
import { signOut } from './session';

afterEach(() => {
  signOut();
  window.history.replaceState(null, '', '/');
});

describe("Cognito's /callback once signed in", () => {
  const signedIn = (returnTo: string | undefined) => async () => ({
    idToken: jwt({ sub: 'alice', exp: inAnHour() }),
    returnTo,
  });

  test('opens again the page the person left for the login, where its form keeps a draft', async () => {
    // Prepare
    window.history.replaceState(null, '', '/callback?code=abc&state=0123456789abcdef');
    // Act
    const notice = await finishCognitoCallback(COGNITO_CONFIG, signedIn('/gateways/gw-a/create-peering'));
    // Assess
    expect(notice).toBeUndefined();
    expect(`${window.location.pathname}${window.location.search}`).toBe('/gateways/gw-a/create-peering');
  });

  test("keeps the query of the page it returns to: a list's filters live there", async () => {
    // Prepare
    window.history.replaceState(null, '', '/callback?code=abc&state=0123456789abcdef');
    // Act
    await finishCognitoCallback(COGNITO_CONFIG, signedIn('/gateways?status=ERROR&ownerId=alice'));
    // Assess
    expect(`${window.location.pathname}${window.location.search}`).toBe(
      '/gateways?status=ERROR&ownerId=alice',
    );
  });

  test('goes to VPN Gateways when the state names no page of the console, or the root', async () => {
    for (const returnTo of [
      undefined,
      '/',
      '/?status=ERROR',
      '/nowhere/a/b/c?status=ERROR',
      '//evil.example/x',
      'https://evil.example/',
      '/signin',
      '/nowhere/a/b/c',
    ]) {
      // Prepare
      signOut();
      window.history.replaceState(null, '', '/callback?code=abc&state=0123456789abcdef');
      // Act
      await finishCognitoCallback(COGNITO_CONFIG, signedIn(returnTo));
      // Assess
      expect(window.location.pathname).toBe('/gateways');
    }
  });
});
