import { afterEach, describe, expect, test } from 'vitest';
import { COGNITO_CONFIG, LOCAL_CONFIG } from '../test-support/configs';
import { inAnHour, jwt } from '../test-support/tokens';
import { currentIdentity, signIn, signOut } from './session';
import { takeSignInLink } from './sign-in-link';

const alice = jwt({ sub: 'alice', email: 'alice@example.com', exp: inAnHour() });
const mallory = jwt({ sub: 'mallory', email: 'mallory@example.com', exp: inAnHour() });

/** The browser opened this address. */
const open = (address: string) => window.history.replaceState(null, '', address);

afterEach(() => signOut());

describe('a sign-in link (#token=…)', () => {
  test('is ignored on AWS (Cognito), on any page, and leaves the address bar', () => {
    // Prepare
    open(`/signin#token=${mallory}`);
    // Act
    const outcome = takeSignInLink(COGNITO_CONFIG);
    // Assess
    expect(outcome).toEqual({ kind: 'ignored' });
    expect(currentIdentity()).toBeUndefined();
    expect(window.location.hash).toBe('');
    expect(window.location.pathname).toBe('/signin');
  });

  test('is ignored locally on any page but /signin, and leaves the address bar', () => {
    // Prepare
    open(`/gateways?x=1#token=${mallory}`);
    // Act
    const outcome = takeSignInLink(LOCAL_CONFIG);
    // Assess
    expect(outcome).toEqual({ kind: 'ignored' });
    expect(currentIdentity()).toBeUndefined();
    expect(`${window.location.pathname}${window.location.search}${window.location.hash}`).toBe(
      '/gateways?x=1',
    );
  });

  test('signs in locally on /signin, and leaves the address bar', () => {
    // Prepare
    open(`/signin#token=${alice}`);
    // Act
    const outcome = takeSignInLink(LOCAL_CONFIG);
    // Assess
    expect(outcome).toEqual({ kind: 'signed-in' });
    expect(currentIdentity()?.userId).toBe('alice');
    expect(window.location.hash).toBe('');
  });

  test("never takes the place of someone else's session: it says who is who", () => {
    // Prepare: alice is signed in; a link for mallory arrives
    signIn(alice);
    open(`/signin#token=${mallory}`);
    // Act
    const outcome = takeSignInLink(LOCAL_CONFIG);
    // Assess
    expect(outcome.kind).toBe('refused');
    expect(outcome.kind === 'refused' && outcome.notice).toMatch(
      /for mallory@example\.com, but alice@example\.com is signed in here\. .*sign out first/,
    );
    expect(currentIdentity()?.userId).toBe('alice');
    expect(window.location.hash).toBe('');
  });

  test('a link whose token is no valid token is refused, and leaves the address bar', () => {
    // Prepare
    open('/signin#token=not-a-token');
    // Act
    const outcome = takeSignInLink(LOCAL_CONFIG);
    // Assess
    expect(outcome).toMatchObject({
      kind: 'refused',
      notice: expect.stringMatching(/no valid, unexpired token/),
    });
    expect(currentIdentity()).toBeUndefined();
    expect(window.location.hash).toBe('');
  });

  test('an address without a token is left as it is', () => {
    // Prepare
    open('/gateways#section');
    // Act / Assess
    expect(takeSignInLink(LOCAL_CONFIG)).toEqual({ kind: 'none' });
    expect(window.location.hash).toBe('#section');
  });
});
