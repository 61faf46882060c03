import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { AGAIN, retrying } from '../../lambdas/adapters/dynamodb/retry';
import { TransientError } from '../../lambdas/core/errors';
import { retry } from '../../lambdas/shared/retry';

/** A run that fails `failures` times with `error`, then answers 'ok'. */
function failing(failures: number, error: Error = new Error('busy')): () => Promise<string> {
  let calls = 0;
  return async () => {
    calls += 1;
    if (calls <= failures) throw error;
    return 'ok';
  };
}

describe('retry', () => {
  it('answers the first success and pauses between attempts as the policy says, with the injected draws', async () => {
    // Prepare
    const pauses: number[] = [];
    const wait = async (ms: number) => pauses.push(ms);
    // Act
    const result = await retry(failing(2), {
      attempts: 5,
      delayMs: (attempt, random) => attempt * 100 * random,
      random: () => 0.5,
      wait,
    });
    // Assess
    expect(result).toBe('ok');
    expect(pauses).toEqual([50, 100]);
  });

  it('throws the last failure once the attempts are spent, without a pause after the last one', async () => {
    // Prepare
    const pauses: number[] = [];
    const wait = async (ms: number) => pauses.push(ms);
    // Act
    const outcome = retry(failing(9, new Error('still busy')), { attempts: 3, delayMs: () => 1, wait });
    // Assess
    await expect(outcome).rejects.toThrow('still busy');
    expect(pauses).toEqual([1, 1]);
  });

  it('throws a failure that is not retryable at once', async () => {
    // Prepare
    const attempts: number[] = [];
    const run = async (attempt: number) => {
      attempts.push(attempt);
      throw new TypeError('refused');
    };
    // Act
    const outcome = retry(run, {
      attempts: 5,
      delayMs: () => 1,
      retryable: (error) => !(error instanceof TypeError),
      wait: async () => undefined,
    });
    // Assess
    await expect(outcome).rejects.toThrow('refused');
    expect(attempts).toEqual([1]);
  });

  it('passes the failure to the pause, and does not wait for a pause of 0', async () => {
    // Prepare
    const pauses: number[] = [];
    const wait = async (ms: number) => pauses.push(ms);
    let calls = 0;
    const run = async () => {
      calls += 1;
      if (calls === 1) throw new RangeError('contention');
      if (calls === 2) throw new Error('busy');
      return 'ok';
    };
    // Act
    await retry(run, {
      attempts: 3,
      delayMs: (_attempt, _random, error) => (error instanceof RangeError ? 0 : 7),
      wait,
    });
    // Assess
    expect(pauses).toEqual([7]);
  });
});

describe('the DynamoDB adapter on the one retry loop (retrying)', () => {
  /** A step answering each of `outcomes` in turn: a value, AGAIN, or an error to throw. */
  function steps(
    outcomes: ReadonlyArray<string | typeof AGAIN | Error>,
  ): () => Promise<string | typeof AGAIN> {
    let calls = 0;
    return async () => {
      const outcome = outcomes[calls++];
      if (outcome instanceof Error) throw outcome;
      if (outcome === undefined) throw new Error('called once too often');
      return outcome;
    };
  }

  it('tries AGAIN at once and backs off a TransientError exponentially, with the injected jitter', async () => {
    // Prepare
    const pauses: number[] = [];
    const step = steps([new TransientError('throttled'), AGAIN, new TransientError('throttled'), 'done']);
    // Act
    const result = await retrying('step', step, {
      maxAttempts: 5,
      random: () => 0.5,
      sleep: async (ms) => pauses.push(ms),
    });
    // Assess: 10 ms after attempt 1, none after the AGAIN of attempt 2, 40 ms after attempt 3, halved.
    expect(result).toBe('done');
    expect(pauses).toEqual([5, 20]);
  });

  it('gives up with a TransientError naming the step once the attempts are spent', async () => {
    // Prepare
    const pauses: number[] = [];
    const step = steps([AGAIN, new TransientError('throttled'), AGAIN]);
    // Act
    const outcome = retrying('createPeering', step, {
      maxAttempts: 3,
      random: () => 1,
      sleep: async (ms) => pauses.push(ms),
    });
    // Assess
    await expect(outcome).rejects.toThrow(new TransientError('createPeering: gave up after 3 attempts'));
    expect(pauses).toEqual([20]);
  });

  it('gives a TransientError that is not a lost race only its own few attempts, however many races may take', async () => {
    // Prepare: throttled on every attempt (the SDK already retried each).
    const throttled = new TransientError('DynamoDB ProvisionedThroughputExceededException');
    const step = steps([throttled, throttled, throttled, 'done']);
    // Act
    const outcome = retrying('addRoadWarrior', step, {
      maxAttempts: 30,
      maxTransientAttempts: 3,
      random: () => 0,
      sleep: async () => undefined,
    });
    // Assess
    await expect(outcome).rejects.toMatchObject({
      name: 'TransientError',
      message: 'addRoadWarrior: gave up after 3 attempts',
    });
  });

  it('counts a transaction lost to a concurrent one as a race, not against the transient attempts', async () => {
    // Prepare: three commits cancelled by TransactionConflict (as errors.ts maps them), then two throttles.
    const conflict = () =>
      new TransientError('DynamoDB transaction cancelled: None, TransactionConflict', {
        cause: new TransactionCanceledException({
          $metadata: {},
          message: 'conflict',
          CancellationReasons: [{ Code: 'None' }, { Code: 'TransactionConflict' }],
        }),
      });
    const throttled = new TransientError('DynamoDB ThrottlingException');
    const step = steps([conflict(), conflict(), conflict(), throttled, throttled]);
    // Act
    const outcome = retrying('updatePeerEndpoint', step, {
      maxAttempts: 30,
      maxTransientAttempts: 2,
      random: () => 0,
      sleep: async () => undefined,
    });
    // Assess
    await expect(outcome).rejects.toMatchObject({
      name: 'TransientError',
      message: 'updatePeerEndpoint: gave up after 5 attempts',
    });
  });

  it('throws any other failure at once', async () => {
    // Prepare
    const step = steps([new RangeError('not retried')]);
    // Act
    const outcome = retrying('step', step, { maxAttempts: 5, random: () => 0, sleep: async () => undefined });
    // Assess
    await expect(outcome).rejects.toBeInstanceOf(RangeError);
  });
});
