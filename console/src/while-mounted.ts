import { useCallback, useEffect, useRef } from 'react';

/**
 * An effect's promise, whose outcome counts only while the effect is current: `onValue` or
 * `onError` runs when it settles unless the returned cleanup ran first (the effect's inputs
 * changed, or the component went away), so a late answer never overwrites a newer one.
 */
export function whileMounted<T>(
  promise: Promise<T>,
  onValue: (value: T) => void,
  onError: (error: unknown) => void,
): () => void {
  let live = true;
  promise.then(
    (value) => {
      if (live) onValue(value);
    },
    (error: unknown) => {
      if (live) onError(error);
    },
  );
  return () => {
    live = false;
  };
}

/**
 * Whether the component is still on screen, for work that outlives any one effect (a create or a
 * delete followed until it settles): its outcome is still told (a flash), but what belongs to the
 * page (navigating from it, its dialog, its table) happens only while the page is there.
 */
export function useMounted(): () => boolean {
  const mounted = useRef(false);
  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);
  return useCallback(() => mounted.current, []);
}
