/**
 * What the console keeps for the person signed in, in sessionStorage (this tab only), so it
 * outlives a reload and the Cognito sign-in's redirect: form drafts (drafts.ts) and the gateway
 * list's filters (list-return.ts). Each entry names its user: another person signing in next in
 * this tab never sees it, and Sign out forgets every entry. Never a secret: no private key, no token
 * (docs/DECISIONS.md, "The console keeps the user's work").
 */
import { currentIdentity } from './auth/session';

const PREFIX = 'vpc-peering-console.own:';

/** The entry `name` if the signed-in user wrote it; another person's is removed. */
export function readOwned<T>(name: string): T | undefined {
  const stored = sessionStorage.getItem(PREFIX + name);
  const identity = currentIdentity();
  if (!stored || !identity) return undefined;
  try {
    const entry = JSON.parse(stored) as { userId?: unknown; value?: T };
    if (entry.userId === identity.userId && entry.value !== undefined) return entry.value;
  } catch {
    // Not what this console wrote: removed below.
  }
  sessionStorage.removeItem(PREFIX + name);
  return undefined;
}

/** Keeps `value` as the signed-in user's entry `name`; nothing while nobody is signed in. */
export function writeOwned(name: string, value: unknown): void {
  const identity = currentIdentity();
  if (identity) sessionStorage.setItem(PREFIX + name, JSON.stringify({ userId: identity.userId, value }));
}

export function removeOwned(name: string): void {
  sessionStorage.removeItem(PREFIX + name);
}

/** Sign-out by the person: every entry goes, whoever wrote it. */
export function forgetAllOwned(): void {
  const keys: string[] = [];
  for (let index = 0; index < sessionStorage.length; index += 1) {
    const key = sessionStorage.key(index);
    if (key?.startsWith(PREFIX)) keys.push(key);
  }
  for (const key of keys) sessionStorage.removeItem(key);
}
