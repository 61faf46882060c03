/**
 * How the DynamoDB adapter retries a step, on the one retry loop (lambdas/shared/retry.ts): a step
 * runs until it returns something other than AGAIN. Two budgets: a lost race (AGAIN, or a
 * transaction cancelled by a concurrent one) is cheap and ends as soon as the race is won, so it
 * may use all `maxAttempts`; any other TransientError (throttling, a 5xx, a timed-out or reset
 * connection) means the service is struggling, and each such attempt already holds the SDK's own
 * retries and request timeouts (sdk-client.ts), so it gets only `maxTransientAttempts`: the
 * caller's retry (the ASL's, the API client's on 503) takes over. AGAIN is tried again at once; a
 * TransientError backs off (full jitter, exponential, capped). A batch that left items unprocessed
 * (Unprocessed) backs off the same way, as AWS asks, but counts as a failure only when its round
 * got none of its items done: a round that made progress is DynamoDB pacing a busy partition, not
 * failing. Randomness and sleeping are injected so tests and benchmarks control them.
 */
import { TransientError } from '../../core/errors';
import { retry } from '../../shared/retry';
import { cancellationReasons } from './errors';

/** Returned by a retryable step to ask for another attempt. */
export const AGAIN = Symbol('again');

/**
 * Attempts of a step that may fail with a TransientError that is not a lost race. Three: a short
 * throttle often passes within them, and one repository call stays within its time bound
 * (table.ts, repositoryCallBoundMs).
 */
export const TRANSIENT_ATTEMPTS = 3;

export interface RetryPolicy {
  /** Attempts in all before giving up with TransientError; lost races may use every one. */
  maxAttempts: number;
  /** Of those, how many may end in any other TransientError (default TRANSIENT_ATTEMPTS). */
  maxTransientAttempts?: number;
  /** Jitter source in [0, 1). */
  random: () => number;
  sleep?: (ms: number) => Promise<unknown>;
}

const BACKOFF_BASE_MS = 10;
const BACKOFF_CAP_MS = 500;

/** AGAIN, carried through the retry loop as a failure; it never leaves this module. */
class StepAgain extends Error {}

/**
 * Thrown by a batch step whose request left items unprocessed (UnprocessedItems/UnprocessedKeys),
 * for the next attempt to send those: `progressed` when the round got some of its items done.
 */
export class Unprocessed extends Error {
  constructor(
    readonly operation: string,
    readonly progressed: boolean,
  ) {
    super(`${operation} left unprocessed items`);
    this.name = 'Unprocessed';
  }
}

/** A transaction that lost to a concurrent write of the same items: a race, not an outage. */
const CONTENTION_NAMES = new Set(['TransactionConflictException', 'TransactionInProgressException']);
function isLostRace(error: unknown): boolean {
  if (error instanceof StepAgain) return true;
  const cause = error instanceof TransientError ? error.cause : undefined;
  if (!(cause instanceof Error)) return false;
  return (
    CONTENTION_NAMES.has(cause.name) ||
    (cancellationReasons(cause) ?? []).some((reason) => reason.Code === 'TransactionConflict')
  );
}

/** The pause after failed attempt `attempt` (1-based): none after AGAIN, full jitter after a TransientError or Unprocessed. */
function pauseAfter(attempt: number, random: number, error: unknown): number {
  if (error instanceof StepAgain) return 0;
  return Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** (attempt - 1)) * random;
}

export async function retrying<T>(
  label: string,
  step: () => Promise<T | typeof AGAIN>,
  policy: RetryPolicy,
): Promise<T> {
  const maxTransientAttempts = policy.maxTransientAttempts ?? TRANSIENT_ATTEMPTS;
  let attempts = 0;
  let transientFailures = 0;
  const attemptStep = async (): Promise<T> => {
    attempts += 1;
    const result = await step();
    if (result === AGAIN) throw new StepAgain();
    return result;
  };
  const retryable = (error: unknown): boolean => {
    if (isLostRace(error)) return true;
    if (error instanceof Unprocessed && error.progressed) return true;
    if (!(error instanceof TransientError) && !(error instanceof Unprocessed)) return false;
    transientFailures += 1;
    return transientFailures < maxTransientAttempts;
  };
  try {
    return await retry(attemptStep, {
      attempts: policy.maxAttempts,
      delayMs: pauseAfter,
      retryable,
      random: policy.random,
      wait: policy.sleep,
    });
  } catch (error) {
    if (error instanceof StepAgain || error instanceof TransientError || error instanceof Unprocessed) {
      const cause = error instanceof StepAgain ? undefined : { cause: error };
      throw new TransientError(`${label}: gave up after ${attempts} attempts`, cause);
    }
    throw error;
  }
}
