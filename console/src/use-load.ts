/** Loads what a page shows; a failure goes to the flash bar with a Retry that loads again. */
import { useCallback, useEffect, useRef, useState } from 'react';
import { useNotifications } from './notifications';

export interface Loaded<T> {
  data: T | undefined;
  loading: boolean;
  reload(): void;
}

export function useLoad<T>(action: string, load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const { reportError } = useNotifications();
  const [data, setData] = useState<T>();
  const [loading, setLoading] = useState(true);
  const [round, setRound] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  const reload = useCallback(() => setRound((value) => value + 1), []);
  // biome-ignore lint/correctness/useExhaustiveDependencies: deps name what the load reads; round reloads
  useEffect(() => {
    let live = true;
    setLoading(true);
    loadRef.current().then(
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
