import { afterEach, describe, expect, test } from 'vitest';
import { currentIdentity, identityOf, signIn, signOut } from './session';

const base64url = (value: unknown) =>
  btoa(JSON.stringify(value)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const jwt = (claims: Record<string, unknown>) =>
  `${base64url({ alg: 'HS256' })}.${base64url(claims)}.signature`;
const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;

afterEach(() => signOut());

describe('the session', () => {
  test('reads the user and the admin group from the claims', () => {
    expect(identityOf(jwt({ sub: 'alice', exp: inAnHour() }))).toMatchObject({
      userId: 'alice',
      isAdmin: false,
    });
    expect(identityOf(jwt({ sub: 'root', 'cognito:groups': ['admin'], exp: inAnHour() }))?.isAdmin).toBe(
      true,
    );
    expect(identityOf(jwt({ sub: 'ops', 'cognito:groups': 'ops,admin' }))?.isAdmin).toBe(true);
  });

  test('refuses what is no token, has no sub, or has expired', () => {
    expect(identityOf('not a token')).toBeUndefined();
    expect(identityOf(jwt({ exp: inAnHour() }))).toBeUndefined();
    expect(identityOf(jwt({ sub: 'alice', exp: Math.floor(Date.now() / 1000) - 1 }))).toBeUndefined();
  });

  test('signs in and out', () => {
    expect(signIn(jwt({ sub: 'alice', exp: inAnHour() }))?.userId).toBe('alice');
    expect(currentIdentity()?.userId).toBe('alice');
    signOut();
    expect(currentIdentity()).toBeUndefined();
  });
});
