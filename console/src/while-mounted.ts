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
