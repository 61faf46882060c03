/**
 * The one retry loop: a bounded number of attempts with a pause between them. Randomness and
 * waiting are injected (defaults: Math.random and node:timers/promises), so a test can run the
 * loop deterministically and instantly, and callers share one definition of back-off.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export interface RetryOptions {
  /** Attempts in all, the first included (at least 1). */
  attempts: number;
  /** The pause after failed attempt `attempt` (1-based), given a draw of `random` in [0, 1) and the failure. */
  delayMs: (attempt: number, random: number, error: unknown) => number;
  /** Whether a failure deserves another attempt; any other failure is thrown at once. Default: all do. */
  retryable?: (error: unknown) => boolean;
  random?: () => number;
  wait?: (ms: number) => Promise<unknown>;
}

/**
 * Runs `attempt` until it resolves, a failure is not retryable, or the attempts are spent; then
 * the last failure is thrown, for the caller to translate (e.g. into its TransientError).
 */
export async function retry<T>(run: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const { attempts, delayMs, retryable = () => true, random = Math.random, wait = sleep } = options;
  for (let attempt = 1; ; attempt++) {
    try {
      return await run(attempt);
    } catch (error) {
      if (attempt >= attempts || !retryable(error)) throw error;
      const pause = delayMs(attempt, random(), error);
      if (pause > 0) await wait(pause);
    }
  }
}
