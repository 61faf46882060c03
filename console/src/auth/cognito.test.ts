import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { COGNITO_CONFIG } from '../test-support/configs';

/** oidc-client-ts, recorded: what the console asks of it, in order. */
const oidc = vi.hoisted(() => {
  const calls: string[] = [];
  const settings: Record<string, unknown>[] = [];
  const revoke = vi.fn(async (token: string, type: string) => {
    calls.push(`revoke ${type} ${token}`);
  });
  class UserManager {
    constructor(options: Record<string, unknown>) {
      settings.push(options);
    }
    async signinRedirectCallback() {
      calls.push('callback');
      return {
        id_token: 'id-token',
        refresh_token: 'refresh-token',
        state: { returnTo: '/gateways/register' },
      };
    }
    async signinRedirect(args?: unknown) {
      calls.push(`redirect ${JSON.stringify(args)}`);
    }
    async removeUser() {
      calls.push('removeUser');
    }
  }
  class OidcClient {
    revokeToken = revoke;
  }
  class WebStorageStateStore {}
  return { calls, settings, revoke, UserManager, OidcClient, WebStorageStateStore };
});
vi.mock('oidc-client-ts', () => oidc);

const { cognitoSignOut, completeCognitoSignIn, endCognitoSession, startCognitoSignIn } = await import(
  './cognito'
);

beforeEach(() => {
  oidc.calls.length = 0;
  oidc.settings.length = 0;
  oidc.revoke.mockClear();
});

afterEach(() => endCognitoSession(COGNITO_CONFIG));

describe('Cognito sign-in', () => {
  test('renews nothing silently, and keeps no user of oidc-client-ts once the callback is done', async () => {
    // Act
    const signedIn = await completeCognitoSignIn(COGNITO_CONFIG);
    // Assess
    expect(signedIn.idToken).toBe('id-token');
    expect(oidc.settings[0]).toMatchObject({ automaticSilentRenew: false });
    expect(oidc.calls).toEqual(['callback', 'removeUser']);
  });

  test('the page the person was on rides in the sign-in state, and comes back with the callback', async () => {
    // Act
    await startCognitoSignIn(COGNITO_CONFIG, '/gateways/register');
    const signedIn = await completeCognitoSignIn(COGNITO_CONFIG);
    // Assess
    expect(oidc.calls[0]).toBe('redirect {"state":{"returnTo":"/gateways/register"}}');
    expect(signedIn.returnTo).toBe('/gateways/register');
  });

  test('sign-out revokes the refresh token before it leaves for the logout endpoint', async () => {
    // Prepare
    await completeCognitoSignIn(COGNITO_CONFIG);
    oidc.calls.length = 0;
    const leave = vi.fn((url: string) => oidc.calls.push(`leave ${url}`));
    // Act
    await cognitoSignOut(COGNITO_CONFIG, leave);
    // Assess
    expect(oidc.calls).toEqual([
      'revoke refresh_token refresh-token',
      'removeUser',
      `leave https://login.example.com/logout?client_id=client&logout_uri=${encodeURIComponent(`${window.location.origin}/`)}`,
    ]);
  });

  test('a session that ends (expiry, a 401) revokes it too, once; a failed revocation does not stop sign-out', async () => {
    // Prepare
    await completeCognitoSignIn(COGNITO_CONFIG);
    oidc.revoke.mockRejectedValueOnce(new Error('network down'));
    const leave = vi.fn();
    // Act: the session ends, then the person signs out
    const ended = endCognitoSession(COGNITO_CONFIG);
    await cognitoSignOut(COGNITO_CONFIG, leave);
    await ended;
    // Assess
    expect(oidc.revoke).toHaveBeenCalledTimes(1);
    expect(oidc.revoke).toHaveBeenCalledWith('refresh-token', 'refresh_token');
    expect(leave).toHaveBeenCalledTimes(1);
  });
});
