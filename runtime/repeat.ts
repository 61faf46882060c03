/**
 * The embedded runtime's timers: schedules (status reports, sweep), the counterpart of an
 * EventBridge schedule, and bounded waits of a shutdown.
 */

/** The longest delay setInterval keeps: past it (or for NaN) Node fires every 1 ms instead. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * Runs `task` every `intervalMs` (0: never), one run at a time; the returned stop waits for the run
 * in flight (it may still need DynamoDB). A period that is negative, not finite, or longer than
 * a timer holds throws a RangeError: Node would run the task every millisecond instead.
 */
export function repeat(intervalMs: number, task: () => Promise<void>, onError: (error: Error) => void) {
  if (!Number.isFinite(intervalMs) || intervalMs < 0 || intervalMs > MAX_TIMER_MS) {
    throw new RangeError(
      `A timer's period must be 0 (never) or a positive number of ms up to ${MAX_TIMER_MS}, got ${intervalMs}`,
    );
  }
  if (intervalMs === 0) return async () => {};
  let inFlight: Promise<void> | undefined;
  const timer = setInterval(() => {
    inFlight ??= task()
      .catch(onError)
      .finally(() => {
        inFlight = undefined;
      });
  }, intervalMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await inFlight;
  };
}

/**
 * True when `work` settles within `ms`, false when the bound comes first. The bound's timer is
 * cleared either way: a timer left behind would hold the process (or a test worker) until it fired.
 */
export async function settlesWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<false>((done) => {
    timer = setTimeout(() => done(false), ms);
  });
  const settled = work.then(
    () => true as const,
    () => true as const,
  );
  try {
    return await Promise.race([settled, bound]);
  } finally {
    clearTimeout(timer);
  }
}
