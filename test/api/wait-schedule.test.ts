/**
 * The API's waits on a fake engine and item, in scaled time (docs/DECISIONS.md, "A settled wait
 * describes nothing"): awaitExecution follows the item at every poll and answers a settled one
 * without describing the run; a run whose item never settles is described at the window's end
 * and, for a 'sparse' wait (a create's), a few times before. awaitRunEnd (a deletion's, for its
 * run's output) follows a settled run's last step.
 */
import {
  awaitExecution,
  awaitRunEnd,
  LOOKS_BEFORE_SETTLED,
  type LooksBeforeSettled,
  sparseLookTimes,
  windowEnd,
} from '../../lambdas/app/api/waiting';
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
  /**
   * The looks a wait started at `started` made before it answered at `answeredAt`: none for
   * 'none', only the sparse ones before its item settled for 'sparse' (none after: the code before
   * this section also looked once or twice at the run's last step).
   */
  const looksBefore = (looks: LooksBeforeSettled, started: number, answeredAt: number): number =>
    looks === 'none' ? 0 : sparseLookTimes(timing, started).filter((at) => at <= answeredAt).length;

  it.each(['none', 'sparse'] as const)(
    "answers a run that wrote its end within a poll of it, describing it after that not at all ('%s')",
    async (looks) => {
      // Prepare: the item settles at 120 polls, the run's last step ends a poll later
      const run = fakeRun(121 * POLL_MS, 120 * POLL_MS);

      // Act
      const end = await awaitExecution({ workflows: run.workflows }, 'run', timing, run.itemSettled, looks);

      // Assess
      expect(end).toEqual({ settled: true });
      expect(Date.now() - run.started).toBeLessThan(121 * POLL_MS + 10 * POLL_MS + 200);
      expect(run.calls.describe).toBeLessThanOrEqual(looksBefore(looks, run.started, Date.now()));
    },
  );

  it.each(['none', 'sparse'] as const)(
    "answers a settled item while every DescribeExecution is throttled: settled, not RUNNING ('%s')",
    async (looks) => {
      // Prepare: the account's describes all throttled (review s21c); the item settles at 10 polls
      const run = fakeRun(11 * POLL_MS, 10 * POLL_MS, { throttled: true });

      // Act
      const end = await awaitExecution({ workflows: run.workflows }, 'run', timing, run.itemSettled, looks);

      // Assess
      expect(end).toEqual({ settled: true });
      expect(Date.now() - run.started).toBeLessThan(timing.waitMs / 2);
      expect(run.calls.describe).toBeLessThanOrEqual(looksBefore(looks, run.started, Date.now()));
    },
  );

  it("describes a run that ended without writing once, at the window's end ('none')", async () => {
    // Prepare: a failed push 30 polls in; its item never says anything
    const run = fakeRun(30 * POLL_MS);

    // Act
    const end = await awaitExecution({ workflows: run.workflows }, 'run', timing, run.itemSettled, 'none');

    // Assess: the look at the window's end found it
    expect(end).toEqual({ settled: false, run: { status: 'SUCCEEDED' } });
    expect(Date.now() - run.started).toBeGreaterThanOrEqual(timing.waitMs);
    expect(run.calls.describe).toBe(1);
  });

  it("finds a run that ended without writing by its sparse looks, long before the window ends ('sparse')", async () => {
    // Prepare: a refusal 30 polls in (its item never says anything): after the second sparse look
    // (about 58 ms), before the third (about 342 ms)
    const run = fakeRun(30 * POLL_MS);

    // Act
    const end = await awaitExecution({ workflows: run.workflows }, 'run', timing, run.itemSettled, 'sparse');

    // Assess: a sparse look found it
    expect(end).toEqual({ settled: false, run: { status: 'SUCCEEDED' } });
    expect(Date.now() - run.started).toBeLessThan(timing.waitMs / 2);
    expect(run.calls.describe).toBeLessThanOrEqual(LOOKS_BEFORE_SETTLED);
  });

  it.each([
    ['none', 1],
    ['sparse', LOOKS_BEFORE_SETTLED + 1],
  ] as const)(
    "describes a run that outlasts the window '%s' %d time(s), answering RUNNING at its end",
    async (looks, made) => {
      // Prepare
      const run = fakeRun(Number.POSITIVE_INFINITY);

      // Act
      const end = await awaitExecution({ workflows: run.workflows }, 'run', timing, run.itemSettled, looks);

      // Assess: the sparse looks (if any), and the window's end
      expect(end).toEqual({ settled: false, run: { status: 'RUNNING' } });
      expect(Date.now() - run.started).toBeGreaterThanOrEqual(timing.waitMs);
      expect(run.calls.describe).toBe(made);
    },
  );
});

describe('sparseLookTimes', () => {
  it("spaces a 'sparse' wait's looks from 2 × API_POLL_MS geometrically towards the window's end", () => {
    // Prepare: AWS's API_WAIT_MS and API_POLL_MS
    const aws = { waitMs: 8_000, pollMs: 150 };

    // Act
    const times = sparseLookTimes(aws, 0);

    // Assess: 0.3, 0.9, 2.7 s (a fourth would fall at 8 s, the window's own look)
    expect(times.map((at) => Math.round(at / 100) / 10)).toEqual([0.3, 0.9, 2.7]);
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
