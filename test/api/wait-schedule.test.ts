/**
 * The API's waits on a fake engine and item, in scaled time (docs/DECISIONS.md, "A settled wait
 * describes nothing"): awaitExecution follows the item at every poll and answers a settled one
 * without describing the run; a run whose item never settles is described once, at the window's
 * end. awaitRunEnd (a deletion's, for its run's output) follows a settled run's last step.
 */
import { awaitExecution, awaitRunEnd, windowEnd } from '../../lambdas/app/api/waiting';
import type { ExecutionResult, WorkflowEngine } from '../../lambdas/app/ports';
import { TransientError } from '../../lambdas/core/errors';

/** A settled deletion's looks at its run's last step (a loaded machine's). */
const TAIL_LOOKS = 5;
const POLL_MS = 5;
const timing = { waitMs: 2_000, pollMs: POLL_MS };

/**
 * A run that ends `endsAfterMs` after it starts; its item says so from `settlesAfterMs` (never:
 * undefined). `throttled`: every DescribeExecution is throttled, as the account's quota is when
 * another tenant drained it.
 */
function fakeRun(endsAfterMs: number, settlesAfterMs?: number, options: { throttled?: boolean } = {}) {
  const started = Date.now();
  const calls = { describe: 0 };
  const workflows: WorkflowEngine = {
    start: async () => ({ executionId: 'run', mayHaveEnded: false }),
    find: async () => undefined,
    describe: async (): Promise<ExecutionResult> => {
      calls.describe++;
      if (options.throttled) throw new TransientError('Step Functions ThrottlingException');
      return { status: Date.now() - started >= endsAfterMs ? 'SUCCEEDED' : 'RUNNING' };
    },
  };
  const itemSettled = async () => settlesAfterMs !== undefined && Date.now() - started >= settlesAfterMs;
  return { workflows, calls, itemSettled, started };
}

describe('awaitExecution', () => {
  it('answers a run that wrote its end within a poll of it, describing it not at all', async () => {
    // Prepare: the item settles at 120 polls, the run's last step ends a poll later
    const run = fakeRun(121 * POLL_MS, 120 * POLL_MS);

    // Act
    const end = await awaitExecution({ workflows: run.workflows }, 'run', timing, run.itemSettled);

    // Assess
    expect(end).toEqual({ settled: true });
    expect(Date.now() - run.started).toBeLessThan(121 * POLL_MS + 10 * POLL_MS + 200);
    expect(run.calls.describe).toBe(0);
  });

  it('answers a settled item while every DescribeExecution is throttled: settled, not RUNNING', async () => {
    // Prepare: the account's describes all throttled (review s21c); the item settles at 10 polls
    const run = fakeRun(11 * POLL_MS, 10 * POLL_MS, { throttled: true });

    // Act
    const end = await awaitExecution({ workflows: run.workflows }, 'run', timing, run.itemSettled);

    // Assess
    expect(end).toEqual({ settled: true });
    expect(Date.now() - run.started).toBeLessThan(timing.waitMs / 2);
    expect(run.calls.describe).toBe(0);
  });

  it("describes a run that ended without writing once, at the window's end", async () => {
    // Prepare: a refusal 30 polls in; its item never says anything
    const run = fakeRun(30 * POLL_MS);

    // Act
    const end = await awaitExecution({ workflows: run.workflows }, 'run', timing, run.itemSettled);

    // Assess: the look at the window's end found it
    expect(end).toEqual({ settled: false, run: { status: 'SUCCEEDED' } });
    expect(Date.now() - run.started).toBeGreaterThanOrEqual(timing.waitMs);
    expect(run.calls.describe).toBe(1);
  });

  it('describes a run that outlasts the window once, answering RUNNING at its end', async () => {
    // Prepare
    const run = fakeRun(Number.POSITIVE_INFINITY);

    // Act
    const end = await awaitExecution({ workflows: run.workflows }, 'run', timing, run.itemSettled);

    // Assess
    expect(end).toEqual({ settled: false, run: { status: 'RUNNING' } });
    expect(Date.now() - run.started).toBeGreaterThanOrEqual(timing.waitMs);
    expect(run.calls.describe).toBe(1);
  });
});

describe('awaitRunEnd', () => {
  it('answers a settled run whose last step ends a poll later with about one look', async () => {
    // Prepare: the item settled; the run ends one poll later
    const run = fakeRun(POLL_MS);

    // Act
    const result = await awaitRunEnd({ workflows: run.workflows }, 'run', timing, windowEnd(timing));

    // Assess
    expect(result.status).toBe('SUCCEEDED');
    expect(Date.now() - run.started).toBeLessThan(timing.waitMs / 2);
    expect(run.calls.describe).toBeLessThanOrEqual(TAIL_LOOKS);
  });

  it("looks at the window's end: a tail that ended after the last look is answered ended", async () => {
    // Prepare: the run's tail (a push queued behind a lease) ends at 1.4 s, between the doubling
    // looks and the window's end (2 s)
    const run = fakeRun(1_400);

    // Act
    const result = await awaitRunEnd({ workflows: run.workflows }, 'run', timing, windowEnd(timing));

    // Assess
    expect(result.status).toBe('SUCCEEDED');
    // the looks of a tail whose gaps reached SETTLED_GAP_MAX_MS, and the window's end
    expect(run.calls.describe).toBeLessThanOrEqual(TAIL_LOOKS + 6);
  });
});
