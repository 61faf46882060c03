/**
 * What the API's waits cost the account's DescribeExecution quota (docs/DECISIONS.md, "The API's
 * waits follow their own item" and "A settled wait describes nothing"), on the workflow bench
 * (real ASL, real handlers), counted through the workflow engine port: a wait follows its own item
 * and answers as soon as it settles without describing its run after that (a deletion: about one
 * look, for its run's output); a run whose item has not settled is described at the window's end
 * and, for a create (bounded per owner), at a few sparse looks before, which answer a refusal
 * early; a create's Location describes a closed run once, then reads its outcome from the receipt.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createPeering, deletePeering, getPeering } from '../../lambdas/app/api/peerings';
import { addRoadWarrior, deletePeer } from '../../lambdas/app/api/peers';
import { LOOKS_BEFORE_SETTLED, sparseLookTimes } from '../../lambdas/app/api/waiting';
import type { WorkflowEngine } from '../../lambdas/app/ports';
import { ConflictError, TransientError } from '../../lambdas/core/errors';
import { generateKeyPair } from '../../lambdas/core/keys';
import type { Caller, GatewayRecord } from '../../lambdas/core/types';
import type { LambdaHandler } from '../../runtime/workflow-engine';
import { ownerLimits } from '../support/limits';
import { runToEnd, useWorkflowBench } from '../support/workflow-bench';

/** A settled deletion's looks at its run's last step, for its output (a loaded machine's). */
const TAIL_LOOKS = 5;
const bench = useWorkflowBench();
const alice: Caller = { userId: 'alice', isAdmin: false };
const limits = ownerLimits();
/** Long enough for any run here to end; a wait that described its run at every poll made ~100 calls a second. */
const timing = { waitMs: 60_000, pollMs: 50 };
/**
 * An answer that followed its own item: a run here ends within 0.8-1.4 s (idle or loaded), and a
 * wait whose item never settled looks at its run only at the window's end (60 s), so only a wait
 * that reads its item at every poll answers within this bound.
 */
const PROMPT_MS = 5_000;
/** For a run held past it: 60 polls. */
const shortWindow = { waitMs: 3_000, pollMs: 50 };
/**
 * A create's sparse looks with this window: 0.1, 0.59 and 3.4 s, then 20 s; a refusal answered
 * before half of it was found by one of them.
 */
const refusalWindow = { waitMs: 20_000, pollMs: 50 };

/**
 * The looks a create's wait started after `started` may make before it answered at `answeredAt`:
 * its sparse ones before its item settled, none after it (the code before session 21 also looked
 * at the run's last step once or twice).
 */
const sparseLooksBefore = (
  window: { waitMs: number; pollMs: number },
  started: number,
  answeredAt: number,
): number => sparseLookTimes(window, started).filter((at) => at <= answeredAt).length;

/** `engine` behind the port, counting its DescribeExecution calls (describe and find alike). */
function counted(engine: WorkflowEngine, options: { throttled?: boolean } = {}) {
  const calls = { describe: 0, find: 0 };
  const workflows: WorkflowEngine = {
    start: (workflow, name, input) => engine.start(workflow, name, input),
    describe: async (executionId) => {
      calls.describe++;
      if (options.throttled) throw new TransientError('Step Functions ThrottlingException');
      return engine.describe(executionId);
    },
    find: async (workflow, name) => {
      calls.find++;
      return engine.find(workflow, name);
    },
  };
  return { workflows, calls };
}

/** Alice's create of a peering between `a` and `b` through `workflows`, waiting `window`. */
const createAsAlice = (
  workflows: WorkflowEngine,
  [a, b]: [GatewayRecord, GatewayRecord],
  window: { waitMs: number; pollMs: number },
) => createPeering(bench.apiDeps(workflows), alice, a.id, b.id, undefined, window, limits);

/** A step held until `release` (a run that outlasts the window). */
function held() {
  let release = () => {};
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const wrap =
    (real: LambdaHandler): LambdaHandler =>
    async (payload, context) => {
      await gate;
      return real(payload, context);
    };
  return { wrap, release: () => release() };
}

const alicePair = async (
  cidrs: [string, string] = ['10.91.0.0/16', '10.92.0.0/16'],
): Promise<[GatewayRecord, GatewayRecord]> => [
  await bench.gateway({ ownerId: 'alice', vpcCidr: cidrs[0] }),
  await bench.gateway({ ownerId: 'alice', vpcCidr: cidrs[1] }),
];

describe("a create's wait", () => {
  it('answers ACTIVE as soon as its run ends, describing it only by the sparse looks before', async () => {
    // Prepare
    const [a, b] = await alicePair();
    const { workflows, calls } = counted(bench.engine());
    const started = Date.now();

    // Act
    const outcome = await createAsAlice(workflows, [a, b], timing);

    // Assess: done long before the window's end
    expect(outcome).toMatchObject({ kind: 'done', peering: { status: 'ACTIVE' } });
    expect(Date.now() - started).toBeLessThan(PROMPT_MS);
    expect(calls.describe).toBeLessThanOrEqual(sparseLooksBefore(timing, started, Date.now()));
  });

  it("answers a refusal that wrote nothing with its 409 at a sparse look, long before the window's end", async () => {
    // Prepare: overlapping VPCs, which a slow Validate refuses (the run ends at 0.7-1.5 s, between
    // two sparse looks)
    const [a, b] = await alicePair(['10.93.0.0/16', '10.93.128.0/17']);
    const slowValidate =
      (real: LambdaHandler): LambdaHandler =>
      async (payload, context) => {
        await sleep(600);
        return real(payload, context);
      };
    const { workflows, calls } = counted(bench.engine({ ValidateFunctionArn: slowValidate }));
    const started = Date.now();

    // Act
    const outcome = createAsAlice(workflows, [a, b], refusalWindow);

    // Assess: the 409 (review of session 21's branch: it came at the window's end, 8 s on AWS)
    await expect(outcome).rejects.toThrow(ConflictError);
    expect(Date.now() - started).toBeLessThan(refusalWindow.waitMs / 2);
    expect(calls.describe).toBeLessThanOrEqual(LOOKS_BEFORE_SETTLED);
  });

  it('describes a run that outlasts the window at its sparse looks and its end, then answers 202', async () => {
    // Prepare: Validate held past the window
    const [a, b] = await alicePair(['10.94.0.0/16', '10.95.0.0/16']);
    const validate = held();
    const engine = bench.engine({ ValidateFunctionArn: validate.wrap });
    const { workflows, calls } = counted(engine);

    // Act
    const outcome = await createAsAlice(workflows, [a, b], shortWindow);
    validate.release();
    await engine.idle();

    // Assess
    expect(outcome).toMatchObject({ kind: 'running', peering: { status: 'PROVISIONING' } });
    expect(calls.describe).toBe(LOOKS_BEFORE_SETTLED + 1);
  });

  it('answers a create ACTIVE while every DescribeExecution is throttled: 201, not 202', async () => {
    // Prepare: every DescribeExecution throttled (another tenant drained the account's quota)
    const [a, b] = await alicePair(['10.96.0.0/16', '10.97.0.0/16']);
    const engine = bench.engine();
    const { workflows, calls } = counted(engine, { throttled: true });
    const started = Date.now();

    // Act
    const outcome = await createAsAlice(workflows, [a, b], shortWindow);
    const answeredAt = Date.now();
    await engine.idle();

    // Assess: answered from its item, which the throttle does not touch
    expect(outcome).toMatchObject({ kind: 'done', peering: { status: 'ACTIVE' } });
    expect(calls.describe).toBeLessThanOrEqual(sparseLooksBefore(shortWindow, started, answeredAt));
  });
});

describe("a deletion's wait", () => {
  it('answers done as soon as its run ends, describing it a few times at most', async () => {
    // Prepare
    const [a, b] = await alicePair(['10.98.0.0/16', '10.99.0.0/16']);
    const input = { peeringId: 'pcx-wait-cost-del', gatewayId: a.id, remoteGatewayId: b.id };
    expect((await runToEnd(bench.engine(), 'create-peering', input.peeringId, input)).status).toBe(
      'SUCCEEDED',
    );
    const { workflows, calls } = counted(bench.engine());
    const started = Date.now();

    // Act
    const answer = await deletePeering(bench.apiDeps(workflows), alice, input.peeringId, timing);

    // Assess
    expect(answer).toBe('done');
    expect(Date.now() - started).toBeLessThan(PROMPT_MS);
    expect(calls.describe).toBeGreaterThan(0);
    expect(calls.describe).toBeLessThanOrEqual(TAIL_LOOKS);
  });
});

describe("a road-warrior change's wait", () => {
  it('follows the applied generation: an add and a revocation describe their push not at all', async () => {
    // Prepare
    const gateway = await bench.gateway();
    const { workflows, calls } = counted(bench.engine());
    const deps = bench.apiDeps(workflows);
    const { publicKey } = generateKeyPair();

    // Act
    const started = Date.now();
    await addRoadWarrior(deps, alice, gateway.id, { name: 'laptop', publicKey }, timing);
    const addMs = Date.now() - started;
    const afterAdd = calls.describe;
    const revoked = await deletePeer(deps, alice, gateway.id, 'laptop', timing);
    const revocationMs = Date.now() - started - addMs;

    // Assess
    expect(revoked).toMatchObject({ state: 'done' });
    expect(addMs).toBeLessThan(PROMPT_MS);
    expect(revocationMs).toBeLessThan(PROMPT_MS);
    expect(afterAdd).toBe(0);
    expect(calls.describe - afterAdd).toBe(0);
  });

  it('answers a revocation the instance applied done while every DescribeExecution is throttled', async () => {
    // Prepare: every DescribeExecution throttled (another tenant drained the account's quota)
    const gateway = await bench.gateway();
    const engine = bench.engine();
    const { workflows, calls } = counted(engine, { throttled: true });
    const deps = bench.apiDeps(workflows);
    const { publicKey } = generateKeyPair();
    await addRoadWarrior(deps, alice, gateway.id, { name: 'phone', publicKey }, shortWindow);

    // Act
    const revoked = await deletePeer(deps, alice, gateway.id, 'phone', shortWindow);
    await engine.idle();

    // Assess: done (204) from the gateway's APPLIED item, not "still running" (202)
    expect(revoked).toMatchObject({ state: 'done' });
    expect(calls.describe).toBe(0);
  });
});

describe("a create's Location", () => {
  it('describes a closed run once: later reads answer from the receipt', async () => {
    // Prepare: a create answered 202 at once, then refused by Validate (overlapping VPCs)
    const [a, b] = await alicePair(['10.100.0.0/16', '10.100.128.0/17']);
    const engine = bench.engine();
    const { workflows, calls } = counted(engine);
    const deps = bench.apiDeps(workflows);
    const answerAtOnce = { waitMs: 0, pollMs: 10 };
    const outcome = await createPeering(deps, alice, a.id, b.id, undefined, answerAtOnce, limits);
    if (outcome.kind !== 'running') throw new Error(`expected a 202, got ${outcome.kind}`);
    await engine.idle();

    // Act
    const first = await getPeering(deps, alice, outcome.peering.id);
    const later = await Promise.all([1, 2, 3].map(() => getPeering(deps, alice, outcome.peering.id)));

    // Assess: the same FAILED view each time, one look at the run
    expect(first).toMatchObject({ status: 'FAILED', statusReason: expect.stringMatching(/overlap/i) });
    expect(later).toEqual([first, first, first]);
    expect(calls.find).toBe(1);
  });
});
