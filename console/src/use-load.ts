/** Loads what a page shows; a failure goes to the flash bar with a Retry that loads again. */
import { useCallback, useEffect, useRef, useState } from 'react';
import { useNotifications } from './notifications';
import type { Preloaded } from './preload';
import { whileMounted } from './while-mounted';

export interface Loaded<T> {
  data: T | undefined;
  loading: boolean;
  reload(): void;
}

/** `preloaded`, when given, stands for the first load (its value shows at once if it has arrived). */
export function useLoad<T>(
  action: string,
  load: () => Promise<T>,
  deps: unknown[],
  preloaded?: Preloaded<T>,
): Loaded<T> {
  const { reportError } = useNotifications();
  const [data, setData] = useState<T | undefined>(preloaded?.settled?.value);
  const [loading, setLoading] = useState(!preloaded?.settled);
  const [round, setRound] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  const pendingRef = useRef(preloaded);
  const reload = useCallback(() => setRound((value) => value + 1), []);
  // biome-ignore lint/correctness/useExhaustiveDependencies: deps name what the load reads; round reloads
  useEffect(() => {
    const pending = pendingRef.current;
    pendingRef.current = undefined;
    if (pending?.settled) return; // shown since the first render
    setLoading(true);
    return whileMounted(
      pending?.promise ?? loadRef.current(),
      (value) => {
        setData(value);
        setLoading(false);
      },
      (error) => {
        setLoading(false);
        reportError(action, error, reload);
      },
    );
  }, [...deps, round]);
  return { data, loading, reload };
}
