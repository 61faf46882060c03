/**
 * awaitExecution's schedule (docs/DECISIONS.md, "The API's waits follow their own item") on a fake
 * engine and item, in scaled time: it follows the item at every poll and describes the run a few
 * times, so a run that writes its end is answered within a few polls of it, and a run that ends
 * without writing is found by the sparse looks.
 */
import { awaitExecution, LOOKS_BEFORE_SETTLED } from '../../lambdas/app/api/waiting';
import type { ExecutionResult, WorkflowEngine } from '../../lambdas/app/ports';

/** The looks while the item says nothing, and a few for the run's last step (a loaded machine's). */
const FEW_LOOKS = LOOKS_BEFORE_SETTLED + 5;
const POLL_MS = 5;
const timing = { waitMs: 2_000, pollMs: POLL_MS };

/** A run that ends `endsAfterMs` after it starts; its item says so from `settlesAfterMs` (never: undefined). */
function fakeRun(endsAfterMs: number, settlesAfterMs?: number) {
  const started = Date.now();
  const calls = { describe: 0 };
  const workflows: WorkflowEngine = {
    start: async () => ({ executionId: 'run', mayHaveEnded: false }),
    find: async () => undefined,
    describe: async (): Promise<ExecutionResult> => {
      calls.describe++;
      return { status: Date.now() - started >= endsAfterMs ? 'SUCCEEDED' : 'RUNNING' };
    },
  };
  const itemSettled = async () => settlesAfterMs !== undefined && Date.now() - started >= settlesAfterMs;
  return { workflows, calls, itemSettled, started };
}

describe('awaitExecution', () => {
  it('answers a run that wrote its end within a few polls of its end, describing it a few times', async () => {
    // Prepare: the item settles at 120 polls, the run's last step ends a poll later: between two
    // sparse looks (the one before is at about 340 ms, the next at the window's end), so only
    // following the item answers within the bound
    const run = fakeRun(121 * POLL_MS, 120 * POLL_MS);

    // Act
    const result = await awaitExecution({ workflows: run.workflows }, 'run', timing, run.itemSettled);

    // Assess
    expect(result.status).toBe('SUCCEEDED');
    expect(Date.now() - run.started).toBeLessThan(121 * POLL_MS + 10 * POLL_MS + 200);
    expect(run.calls.describe).toBeLessThanOrEqual(FEW_LOOKS);
  });

  it('finds a run that ended without writing by its sparse looks, long before the window ends', async () => {
    // Prepare: a refusal 30 polls in; its item never says anything
    const run = fakeRun(30 * POLL_MS);

    // Act
    const result = await awaitExecution({ workflows: run.workflows }, 'run', timing, run.itemSettled);

    // Assess: a sparse look found it
    expect(result.status).toBe('SUCCEEDED');
    expect(Date.now() - run.started).toBeLessThan(timing.waitMs / 2);
    expect(run.calls.describe).toBeLessThanOrEqual(FEW_LOOKS);
  });

  it("looks at the window's end: a tail that ended after the last settled look is answered ended", async () => {
    // Prepare: the item settles at 10 polls; the run's tail (a push queued behind a lease) ends at
    // 1.4 s, between the doubling looks after the item settled and the window's end (2 s)
    const run = fakeRun(1_400, 10 * POLL_MS);

    // Act
    const result = await awaitExecution({ workflows: run.workflows }, 'run', timing, run.itemSettled);

    // Assess
    expect(result.status).toBe('SUCCEEDED');
    // the looks of a tail whose gaps reached SETTLED_GAP_MAX_MS, and the window's end
    expect(run.calls.describe).toBeLessThanOrEqual(FEW_LOOKS + 3);
  });

  it('describes a run that outlasts the window a few times, answering RUNNING at its end', async () => {
    // Prepare
    const run = fakeRun(Number.POSITIVE_INFINITY);

    // Act
    const result = await awaitExecution({ workflows: run.workflows }, 'run', timing, run.itemSettled);

    // Assess
    expect(result.status).toBe('RUNNING');
    expect(Date.now() - run.started).toBeGreaterThanOrEqual(timing.waitMs);
    expect(run.calls.describe).toBeLessThanOrEqual(FEW_LOOKS);
  });
});
