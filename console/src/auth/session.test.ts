import { afterEach, describe, expect, test } from 'vitest';
import { inAnHour, jwt } from '../test-support/tokens';
import { currentIdentity, identityOf, signIn, signOut } from './session';

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

  test('names the person by email, else user name, else the sub', () => {
    // Prepare: Cognito's sub is a UUID nobody recognises
    const sub = '7c1e2f4a-0000-4000-8000-000000000001';
    // Act / Assess
    expect(identityOf(jwt({ sub, email: 'alice@example.com', 'cognito:username': 'alice' }))?.name).toBe(
      'alice@example.com',
    );
    expect(identityOf(jwt({ sub, 'cognito:username': 'alice' }))?.name).toBe('alice');
    expect(identityOf(jwt({ sub, preferred_username: 'Alice' }))?.name).toBe('Alice');
    expect(identityOf(jwt({ sub, email: '' }))?.name).toBe(sub);
  });

  test('refuses what is no token, has no sub, or has expired', () => {
    expect(identityOf('not a token')).toBeUndefined();
    expect(identityOf(jwt({ exp: inAnHour() }))).toBeUndefined();
    expect(identityOf(jwt({ sub: 'alice', exp: Math.floor(Date.now() / 1000) - 1 }))).toBeUndefined();
  });

  test('signs in and out', () => {
    expect(signIn(jwt({ sub: 'alice', exp: inAnHour() }))).toMatchObject({
      signedIn: true,
      identity: { userId: 'alice' },
    });
    expect(currentIdentity()?.userId).toBe('alice');
    signOut();
    expect(currentIdentity()).toBeUndefined();
  });

  test('never replaces the open session of someone else; the same person may renew it', () => {
    // Prepare
    signIn(jwt({ sub: 'alice', email: 'alice@example.com', exp: inAnHour() }));
    // Act
    const other = signIn(jwt({ sub: 'mallory', email: 'mallory@example.com', exp: inAnHour() }));
    // Assess: alice stays signed in, and the refusal names both
    expect(other).toMatchObject({
      signedIn: false,
      reason: 'another-identity',
      current: { name: 'alice@example.com' },
      offered: { name: 'mallory@example.com' },
    });
    expect(currentIdentity()?.userId).toBe('alice');
    expect(sessionStorage.getItem('vpc-peering-console.token')).toBe(currentIdentity()?.token);
    // Act: a newer token of alice's own
    const renewed = jwt({ sub: 'alice', exp: inAnHour() + 60 });
    // Assess
    expect(signIn(renewed).signedIn).toBe(true);
    expect(currentIdentity()?.token).toBe(renewed);
  });
});
