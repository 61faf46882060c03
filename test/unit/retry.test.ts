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
