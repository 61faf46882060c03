import { settleEach } from '../../lambdas/shared/bounded';

/** A run that records how many runs are in flight, settles on a later tick, and fails for `failing` items. */
function instrumented(failing: (item: number) => boolean = () => false) {
  const seen = { started: [] as number[], inFlight: 0, maxInFlight: 0 };
  const run = async (item: number) => {
    seen.started.push(item);
    seen.inFlight += 1;
    seen.maxInFlight = Math.max(seen.maxInFlight, seen.inFlight);
    // Uneven durations, so lanes finish out of order.
    await new Promise((resolve) => setTimeout(resolve, item % 3));
    seen.inFlight -= 1;
    if (failing(item)) throw new Error(`item ${item} failed`);
  };
  return { seen, run };
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('settleEach', () => {
  it('runs every item, in order, with no more than the limit in flight, and uses the whole limit', async () => {
    // Prepare
    const { seen, run } = instrumented();

    // Act
    const failures = await settleEach(range(50), 7, run);

    // Assess
    expect(failures).toEqual([]);
    expect(seen.started).toEqual(range(50));
    expect(seen.maxInFlight).toBe(7);
    expect(seen.inFlight).toBe(0);
  });

  it('goes on past failures and returns each with its item, in the items order', async () => {
    // Prepare
    const { seen, run } = instrumented((item) => item === 3 || item === 11);

    // Act
    const failures = await settleEach(range(20), 4, run);

    // Assess
    expect(seen.started).toEqual(range(20));
    expect(failures.map(({ item, error }) => [item, (error as Error).message])).toEqual([
      [3, 'item 3 failed'],
      [11, 'item 11 failed'],
    ]);
  });

  it('settles an empty list at once, and refuses a limit that would run nothing', async () => {
    // Prepare
    const { seen, run } = instrumented();

    // Act
    const none = await settleEach([], 5, run);
    const refused = settleEach(range(3), 0, run);

    // Assess
    expect(none).toEqual([]);
    await expect(refused).rejects.toThrow(RangeError);
    expect(seen.started).toEqual([]);
  });
});
