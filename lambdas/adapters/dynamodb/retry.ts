/**
 * The one retry loop of the DynamoDB adapter: a step runs until it returns something other than
 * AGAIN; a TransientError backs off (full jitter, exponential, capped) and tries again. Randomness
 * and sleeping are injected so tests and benchmarks control them.
 */
import { setTimeout as sleepFor } from 'node:timers/promises';
import { TransientError } from '../../core/errors';

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

export async function retrying<T>(
  label: string,
  step: () => Promise<T | typeof AGAIN>,
  policy: RetryPolicy,
): Promise<T> {
  const sleep = policy.sleep ?? sleepFor;
  for (let attempt = 0; attempt < policy.maxAttempts; attempt++) {
    try {
      const result = await step();
      if (result !== AGAIN) return result;
    } catch (error) {
      if (!(error instanceof TransientError)) throw error;
      await sleep(Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt) * policy.random());
    }
  }
  throw new TransientError(`${label}: gave up after ${policy.maxAttempts} attempts`);
}
