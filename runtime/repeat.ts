/** The embedded runtime's timers (status reports, sweep): the counterpart of an EventBridge schedule. */

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
