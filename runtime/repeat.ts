/**
 * The embedded runtime's timers: schedules (status reports, sweep), the counterpart of an
 * EventBridge schedule, and bounded waits of a shutdown.
 */

/**
 * Runs `task` every `intervalMs` (0: never), one run at a time; the returned stop waits for the run
 * in flight (it may still need DynamoDB).
 */
export function repeat(intervalMs: number, task: () => Promise<void>, onError: (error: Error) => void) {
  if (intervalMs <= 0) return async () => {};
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
