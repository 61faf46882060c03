/**
 * How the DynamoDB adapter retries a step, on the one retry loop (lambdas/shared/retry.ts): a step
 * runs until it returns something other than AGAIN. AGAIN (a lost condition race) is tried again at
 * once; a TransientError backs off (full jitter, exponential, capped). Randomness and sleeping are
 * injected so tests and benchmarks control them.
 */
import { TransientError } from '../../core/errors';
import { retry } from '../../shared/retry';

/** Returned by a retryable step to ask for another attempt. */
export const AGAIN = Symbol('again');

export interface RetryPolicy {
  /** Attempts before giving up with TransientError (the caller's retry policy takes over). */
  maxAttempts: number;
  /** Jitter source in [0, 1). */
  random: () => number;
  sleep?: (ms: number) => Promise<unknown>;
}

const BACKOFF_BASE_MS = 10;
const BACKOFF_CAP_MS = 500;

/** AGAIN, carried through the retry loop as a failure; it never leaves this module. */
class StepAgain extends Error {}

/** The pause after failed attempt `attempt` (1-based): none after AGAIN, full jitter after a TransientError. */
function pauseAfter(attempt: number, random: number, error: unknown): number {
  if (error instanceof StepAgain) return 0;
  return Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** (attempt - 1)) * random;
}

export async function retrying<T>(
  label: string,
  step: () => Promise<T | typeof AGAIN>,
  policy: RetryPolicy,
): Promise<T> {
  const attemptStep = async (): Promise<T> => {
    const result = await step();
    if (result === AGAIN) throw new StepAgain();
    return result;
  };
  try {
    return await retry(attemptStep, {
      attempts: policy.maxAttempts,
      delayMs: pauseAfter,
      retryable: (error) => error instanceof StepAgain || error instanceof TransientError,
      random: policy.random,
      wait: policy.sleep,
    });
  } catch (error) {
    if (error instanceof StepAgain || error instanceof TransientError) {
      throw new TransientError(`${label}: gave up after ${policy.maxAttempts} attempts`);
    }
    throw error;
  }
}
