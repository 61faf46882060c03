/**
 * Drafts of a form's input, so that a session ending mid-form (a 401 or an expired token; on AWS,
 * signing in again is a redirect that leaves the page) does not take what the person typed with it
 * (docs/DECISIONS.md, "The console keeps the user's work"). A draft lives in sessionStorage (this tab
 * only) under the page's path and the form's name, for the user who typed it. The forms that keep
 * one hold only non-secret fields (names, ids, CIDRs, public keys): never a private key or a token.
 * It is removed when the form's request succeeds, when the form is cancelled, and on sign-out.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { readOwned, removeOwned, writeOwned } from './user-storage';

const nameOf = (form: string, path: string) => `draft:${path}#${form}`;

/** The draft of `form` on the page at `path`, if the signed-in user left one. */
export function readDraft<T>(form: string, path = window.location.pathname): T | undefined {
  return readOwned<T>(nameOf(form, path));
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
    if (edited.current) writeOwned(nameOf(form, path), values);
  }, [form, path, values]);
  const discard = useCallback(() => {
    edited.current = false;
    removeOwned(nameOf(form, path));
  }, [form, path]);
  return [values, update, discard];
}
