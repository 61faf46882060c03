/** Loads what a page shows; a failure goes to the flash bar with a Retry that loads again. */
import { useCallback, useEffect, useRef, useState } from 'react';
import { useNotifications } from './notifications';
import type { Preloaded } from './preload';

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
    let live = true;
    setLoading(true);
    (pending?.promise ?? loadRef.current()).then(
      (value) => {
        if (!live) return;
        setData(value);
        setLoading(false);
      },
      (error: unknown) => {
        if (!live) return;
        setLoading(false);
        reportError(action, error, reload);
      },
    );
    return () => {
      live = false;
    };
  }, [...deps, round]);
  return { data, loading, reload };
}
