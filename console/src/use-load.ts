/** Loads what a page shows; a failure goes to the flash bar with a Retry that loads again. */
import { useCallback, useEffect, useRef, useState } from 'react';
import { useNotifications } from './notifications';
import type { Preloaded } from './preload';
import { whileMounted } from './while-mounted';

export interface Loaded<T> {
  /** The last value loaded: kept through a failed reload (a throttled Refresh hides nothing). */
  data: T | undefined;
  /**
   * When the read of `data` started, among all the console's reads: a greater one started later.
   * Reads started by one render count in the order their hooks are declared. A page that compares
   * two loads tells by it which is the more recent (docs/DECISIONS.md, "The console shows what
   * status says").
   */
  readOrder: number | undefined;
  /** The failure of the latest load, until a load succeeds: the page decides what it means. */
  error: unknown;
  loading: boolean;
  reload(): void;
}

export interface LoadOptions<T> {
  /** Stands for the first load (its value shows at once if it has arrived). */
  preloaded?: Preloaded<T> | undefined;
  /** Failures the page shows itself (a gone gateway's "not found"): no flash for them. */
  shownByPage?: (error: unknown) => boolean;
}

/** How many reads have started: the next one's `readOrder`. */
let readsStarted = 0;

export function useLoad<T>(
  action: string,
  load: () => Promise<T>,
  deps: unknown[],
  options: LoadOptions<T> = {},
): Loaded<T> {
  const { reportError } = useNotifications();
  const { preloaded } = options;
  const [held, setHeld] = useState<{ data: T; readOrder: number } | undefined>(() =>
    preloaded?.settled ? { data: preloaded.settled.value, readOrder: ++readsStarted } : undefined,
  );
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(!preloaded?.settled);
  const [round, setRound] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  const shownByPageRef = useRef(options.shownByPage);
  shownByPageRef.current = options.shownByPage;
  const pendingRef = useRef(preloaded);
  const reload = useCallback(() => setRound((value) => value + 1), []);
  // biome-ignore lint/correctness/useExhaustiveDependencies: deps name what the load reads; round reloads
  useEffect(() => {
    const pending = pendingRef.current;
    pendingRef.current = undefined;
    if (pending?.settled) return; // shown since the first render
    setLoading(true);
    const readOrder = ++readsStarted;
    return whileMounted(
      pending?.promise ?? loadRef.current(),
      (value) => {
        setHeld({ data: value, readOrder });
        setError(undefined);
        setLoading(false);
      },
      (failure) => {
        setError(failure);
        setLoading(false);
        if (!shownByPageRef.current?.(failure)) reportError(action, failure, reload);
      },
    );
  }, [...deps, round]);
  return { data: held?.data, readOrder: held?.readOrder, error, loading, reload };
}
