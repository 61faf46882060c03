/**
 * Drafts of a form's input, so that a session ending mid-form (a 401 or an expired token; on AWS,
 * signing in again is a redirect that leaves the page) does not take what the person typed with it
 * (docs/DECISIONS.md, "The console keeps the user's work"). A draft lives in sessionStorage (this tab
 * only) under the page's path and the form's name, for the user who typed it. The forms that keep
 * one hold only non-secret fields (names, ids, CIDRs, public keys): never a private key or a token.
 * It is removed when the form's request succeeds, when the form is cancelled, and on sign-out.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { currentIdentity } from './auth/session';

const PREFIX = 'vpc-peering-console.draft:';

const keyOf = (form: string, path: string) => `${PREFIX}${path}#${form}`;

/** The draft of `form` on the page at `path`, if the signed-in user left one. */
export function readDraft<T>(form: string, path = window.location.pathname): T | undefined {
  const stored = sessionStorage.getItem(keyOf(form, path));
  const identity = currentIdentity();
  if (!stored || !identity) return undefined;
  try {
    const draft = JSON.parse(stored) as { userId?: unknown; values?: T };
    if (draft.userId === identity.userId && draft.values !== undefined) return draft.values;
  } catch {
    // Not a draft this console wrote: dropped below.
  }
  // Another person's input is never shown to whoever signs in next in this tab.
  sessionStorage.removeItem(keyOf(form, path));
  return undefined;
}

/** Sign-out by the person: no draft outlives it. */
export function clearAllDrafts(): void {
  const keys: string[] = [];
  for (let index = 0; index < sessionStorage.length; index += 1) {
    const key = sessionStorage.key(index);
    if (key?.startsWith(PREFIX)) keys.push(key);
  }
  for (const key of keys) sessionStorage.removeItem(key);
}

/**
 * A form's input as `useState` holds it, restored from its draft when the form opens and saved
 * with every change while someone is signed in. `discard` ends the draft (success, cancel).
 */
export function useDraft<T>(
  form: string,
  empty: T,
): [T, (next: T | ((previous: T) => T)) => void, () => void] {
  const [path] = useState(() => window.location.pathname);
  const [values, setValues] = useState<T>(() => readDraft<T>(form, path) ?? empty);
  // Only what the person typed is saved: opening a form leaves no draft behind.
  const edited = useRef(false);
  const update = useCallback((next: T | ((previous: T) => T)) => {
    edited.current = true;
    setValues(next);
  }, []);
  useEffect(() => {
    const identity = currentIdentity();
    if (!edited.current || !identity) return;
    sessionStorage.setItem(keyOf(form, path), JSON.stringify({ userId: identity.userId, values }));
  }, [form, path, values]);
  const discard = useCallback(() => {
    edited.current = false;
    sessionStorage.removeItem(keyOf(form, path));
  }, [form, path]);
  return [values, update, discard];
}
