/**
 * The API's create on the workflow bench (real ASL, real handlers): a create whose run ended without
 * writing a peering can be retried with the same Idempotency-Key, a key names one remote gateway,
 * and a throttled look at the execution does not end the wait.
 */
import { createPeering, deletePeering } from '../../lambdas/app/api/peerings';
import type { WorkflowEngine } from '../../lambdas/app/ports';
import { TransientError } from '../../lambdas/core/errors';
import type { Caller } from '../../lambdas/core/types';
import { toErrorResponse } from '../../lambdas/http/errors';
import { logger } from '../../lambdas/shared/logger';
import type { LambdaHandler } from '../../runtime/workflow-engine';
import { ownerLimits } from '../support/limits';
import { useWorkflowBench } from '../support/workflow-bench';

const bench = useWorkflowBench();

const alice: Caller = { userId: 'alice', isAdmin: false };
/**
 * Long enough for any execution here to end (AWS's API_WAIT_MS); a run that ends without a peering
 * is answered at a create's sparse looks (docs/DECISIONS.md, "A settled wait describes nothing").
 */
const timing = { waitMs: 8_000, pollMs: 10 };
const LIMITS = ownerLimits();
/** What withIdempotency hands the route for `key` under one idempotency record. */
const keyed = (key: string) => ({ key, nonce: '0123456789abcdef' });

const apiDeps = (workflows: WorkflowEngine) => ({
  repository: bench.repository(),
  workflows,
  clock: () => new Date(),
});

/** A step that throws TransientError (DynamoDB throttling) while `throttle.on`, else runs for real. */
const throttledWhile =
  (throttle: { on: boolean }) =>
  (real: LambdaHandler): LambdaHandler =>
  async (payload, context) => {
    if (throttle.on) throw new TransientError('ProvisionedThroughputExceededException');
    return real(payload, context);
  };

/** `engine`, except that its first `times` DescribeExecution calls are throttled. */
function describeThrottled(engine: WorkflowEngine, times: number): WorkflowEngine {
  let left = times;
  return {
    start: (workflow, name, input) => engine.start(workflow, name, input),
    describe: async (executionId) => {
      if (left-- > 0) throw new TransientError('ThrottlingException: Rate exceeded');
      return engine.describe(executionId);
    },
    find: (workflow, name) => engine.find(workflow, name),
  };
}

/** The HTTP status a use case's outcome or error is answered with. */
async function statusOf(call: Promise<unknown>): Promise<number> {
  return call.then(
    () => 0,
    (error: unknown) => toErrorResponse(error).statusCode,
  );
}

beforeEach(() => {
  jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
});

afterEach(() => {
  jest.restoreAllMocks();
});

describe('a create whose run ended without a peering', () => {
  it.each([
    { step: 'ValidateFunctionArn', when: 'Validate stays throttled past its retries' },
    { step: 'AllocateFunctionArn', when: 'Allocate stays throttled past its retries (Compensate runs)' },
  ])('answers 503 when $when, and a retry with the same key ends ACTIVE', async ({ step }) => {
    // Prepare
    const [a, b] = [await bench.gateway(), await bench.gateway()];
    const throttle = { on: true };
    const d = apiDeps(bench.engine({ [step]: throttledWhile(throttle) }));

    // Act
    const first = await statusOf(createPeering(d, alice, a.id, b.id, keyed('key-1'), timing, LIMITS));
    throttle.on = false;
    const second = await createPeering(d, alice, a.id, b.id, keyed('key-1'), timing, LIMITS);

    // Assess
    expect(first).toBe(503);
    expect(second).toEqual({ kind: 'done', peering: expect.objectContaining({ status: 'ACTIVE' }) });
    const peeringId = second.kind === 'done' ? second.peering.id : '';
    expect(await bench.repository().getPeering(peeringId)).toMatchObject({
      status: 'ACTIVE',
      gatewayIds: [a.id, b.id],
    });
    // A repeat of the key now joins the ACTIVE peering: nothing starts twice.
    const repeat = await createPeering(d, alice, a.id, b.id, keyed('key-1'), timing, LIMITS);
    expect(repeat).toEqual(second);
  });
});

describe('a reused Idempotency-Key', () => {
  it("with another remote gateway names a new peering, never the earlier request's", async () => {
    // Prepare
    const [a, b, c] = [await bench.gateway(), await bench.gateway(), await bench.gateway()];
    const d = apiDeps(bench.engine());
    const first = await createPeering(d, alice, a.id, b.id, keyed('key-2'), timing, LIMITS);

    // Act: the same key and nonce with another body (the ids' derivation alone, which names the
    // remote gateway too, keeps the two requests apart).
    const second = await createPeering(d, alice, a.id, c.id, keyed('key-2'), timing, LIMITS);

    // Assess
    expect(first).toEqual({ kind: 'done', peering: expect.objectContaining({ gatewayIds: [a.id, b.id] }) });
    expect(second).toEqual({
      kind: 'done',
      peering: expect.objectContaining({ status: 'ACTIVE', gatewayIds: [a.id, c.id] }),
    });
  });

  it('whose peering was deleted since makes a fresh peering', async () => {
    // Prepare
    const [a, b] = [await bench.gateway(), await bench.gateway()];
    const d = apiDeps(bench.engine());
    const first = await createPeering(d, alice, a.id, b.id, keyed('key-3'), timing, LIMITS);
    const firstId = first.kind === 'done' ? first.peering.id : '';
    expect(await deletePeering(d, alice, firstId, timing)).toBe('done');

    // Act
    const second = await createPeering(d, alice, a.id, b.id, keyed('key-3'), timing, LIMITS);

    // Assess: a new peering (its own id, so its own delete-peering run), and it can be deleted.
    expect(second).toEqual({ kind: 'done', peering: expect.objectContaining({ status: 'ACTIVE' }) });
    const secondId = second.kind === 'done' ? second.peering.id : '';
    expect(secondId).not.toBe(firstId);
    expect(await deletePeering(d, alice, secondId, timing)).toBe('done');
    expect(await bench.repository().getPeering(secondId)).toBeUndefined();
  });
});

describe('a throttled look at the execution while the API waits', () => {
  it('does not end the wait: the create answers the ACTIVE peering', async () => {
    // Prepare
    const [a, b] = [await bench.gateway(), await bench.gateway()];
    const d = apiDeps(describeThrottled(bench.engine(), 3));

    // Act
    const outcome = await createPeering(d, alice, a.id, b.id, undefined, timing, LIMITS);

    // Assess
    expect(outcome).toEqual({ kind: 'done', peering: expect.objectContaining({ status: 'ACTIVE' }) });
  });

  it('throttled to the end of the window answers "still running"', async () => {
    // Prepare
    const [a, b] = [await bench.gateway(), await bench.gateway()];
    const engine = bench.engine();
    const d = apiDeps(describeThrottled(engine, Number.POSITIVE_INFINITY));

    // Act
    const outcome = await createPeering(d, alice, a.id, b.id, undefined, { waitMs: 50, pollMs: 10 }, LIMITS);
    await engine.idle();

    // Assess
    expect(outcome).toEqual({
      kind: 'running',
      peering: expect.objectContaining({ gatewayIds: [a.id, b.id] }),
    });
  });
});
