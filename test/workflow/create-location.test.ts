/**
 * A create's Location (docs/CONTRACT.md, "A create's Location"), on the workflow bench (real ASL,
 * real handlers): a create answered 202 is read back at its Location while its run has not written
 * the peering (PROVISIONING), and after its run refused it without writing anything (FAILED, with
 * the reason a 409 would have given), never 404. Only the owner (or an admin) reads it.
 */
import { newPeeringId } from '../../lambdas/app/api/ids';
import { createPeering, deletePeering, getPeering } from '../../lambdas/app/api/peerings';
import { CommandFailedError, NotFoundError } from '../../lambdas/core/errors';
import type { Caller } from '../../lambdas/core/types';
import { ownerLimits } from '../support/limits';
import { useWorkflowBench } from '../support/workflow-bench';

const bench = useWorkflowBench();
const alice: Caller = { userId: 'alice', isAdmin: false };
const bob: Caller = { userId: 'bob', isAdmin: false };
const admin: Caller = { userId: 'root', isAdmin: true };
/** The API answers before the run's first step: a 202, whatever the run then does. */
const answerAtOnce = { waitMs: 0, pollMs: 10 };
const limits = ownerLimits();

/** Alice's create answered 202; resolves once its run has ended. */
async function createAnsweredAccepted(
  gatewayCidrs: [string, string],
  wrap?: Parameters<typeof bench.engine>[0],
) {
  const [a, b] = [
    await bench.gateway({ ownerId: 'alice', vpcCidr: gatewayCidrs[0] }),
    await bench.gateway({ ownerId: 'alice', vpcCidr: gatewayCidrs[1] }),
  ];
  const engine = bench.engine(wrap);
  const deps = { ...bench.apiDeps(engine) };
  const outcome = await createPeering(deps, alice, a.id, b.id, undefined, answerAtOnce, limits);
  if (outcome.kind !== 'running') throw new Error(`expected a 202, got ${outcome.kind}`);
  return { engine, deps, peeringId: outcome.peering.id, gatewayIds: [a.id, b.id] };
}

describe("a create's Location", () => {
  it('shows a create its checks refused after the 202 as FAILED, with the 409 reason, holding nothing', async () => {
    // Prepare: two of alice's VPCs whose CIDRs overlap: Validate refuses the peering
    const { engine, deps, peeringId, gatewayIds } = await createAnsweredAccepted([
      '10.77.0.0/16',
      '10.77.128.0/17',
    ]);
    await engine.idle();

    // Act
    const view = await getPeering(deps, alice, peeringId);

    // Assess
    expect(view).toMatchObject({ id: peeringId, ownerId: 'alice', gatewayIds, status: 'FAILED', sides: [] });
    expect(view.statusReason).toMatch(/overlap/i);
    expect(await bench.repository().getPeering(peeringId)).toBeUndefined();
  });

  it('shows a run that has not written the peering yet as PROVISIONING', async () => {
    // Prepare: Validate held until released
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { engine, deps, peeringId, gatewayIds } = await createAnsweredAccepted(
      ['10.78.0.0/16', '10.79.0.0/16'],
      {
        ValidateFunctionArn: (real) => async (payload, context) => {
          await held;
          return real(payload, context);
        },
      },
    );

    // Act
    const whileHeld = await getPeering(deps, alice, peeringId);
    release();
    await engine.idle();
    const afterRun = await getPeering(deps, alice, peeringId);

    // Assess
    expect(whileHeld).toMatchObject({ id: peeringId, ownerId: 'alice', gatewayIds, status: 'PROVISIONING' });
    expect(afterRun).toMatchObject({ id: peeringId, status: 'ACTIVE' });
  });

  it('is 404 to another tenant and readable by an admin', async () => {
    // Prepare
    const { engine, deps, peeringId } = await createAnsweredAccepted(['10.80.0.0/16', '10.80.0.0/16']);
    await engine.idle();

    // Act
    const bobReads = getPeering(deps, bob, peeringId);
    const adminReads = await getPeering(deps, admin, peeringId);

    // Assess
    await expect(bobReads).rejects.toThrow(NotFoundError);
    expect(adminReads.status).toBe('FAILED');
  });

  it('is 404 once the peering its run created was deleted', async () => {
    // Prepare
    const { engine, deps, peeringId } = await createAnsweredAccepted(['10.81.0.0/16', '10.82.0.0/16']);
    await engine.idle();
    expect(await deletePeering(deps, alice, peeringId, { waitMs: 60_000, pollMs: 10 })).toBe('done');

    // Act
    const read = getPeering(deps, alice, peeringId);

    // Assess
    await expect(read).rejects.toThrow(NotFoundError);
  });

  it('is 404 once the FAILED peering its run wrote was deleted', async () => {
    // Prepare: the push fails after Allocate wrote the peering: compensated, FAILED; then deleted
    const { engine, deps, peeringId } = await createAnsweredAccepted(['10.83.0.0/16', '10.84.0.0/16'], {
      PushConfigFunctionArn: () => async () => {
        throw new CommandFailedError('Config push ended Failed');
      },
    });
    await engine.idle();
    expect((await getPeering(deps, alice, peeringId)).status).toBe('FAILED');
    const pushingAgain = bench.apiDeps(bench.engine());
    expect(await deletePeering(pushingAgain, alice, peeringId, { waitMs: 60_000, pollMs: 10 })).toBe('done');

    // Act
    const read = getPeering(deps, alice, peeringId);

    // Assess
    await expect(read).rejects.toThrow(NotFoundError);
  });

  it('asks the workflow engine nothing for a caller who has no receipt of the id', async () => {
    // Prepare: alice's create answered 202; bob guesses its id and others
    const { engine, deps, peeringId } = await createAnsweredAccepted(['10.85.0.0/16', '10.85.0.0/16']);
    await engine.idle();
    const find = jest.spyOn(engine, 'find');

    // Act
    const reads = await Promise.allSettled(
      [peeringId, 'pcx-0000000000000001', 'pcx-0000000000000002'].map((id) => getPeering(deps, bob, id)),
    );

    // Assess
    expect(reads.map((read) => read.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(find).not.toHaveBeenCalled();
  });

  it('is 404 for an id no run ever had', async () => {
    // Act
    const read = getPeering(bench.apiDeps(bench.engine()), alice, 'pcx-0123456789abcdef');

    // Assess
    await expect(read).rejects.toThrow(NotFoundError);
  });
});

describe('a create an earlier version started', () => {
  it('is joined by a retry with the same key, though its input lacked ownerId', async () => {
    // Prepare: the run a keyed create started before its input carried ownerId (an upgrade of the
    // embedded runtime over its DATA_DIR's journal), ended ACTIVE
    const [a, b] = [await bench.gateway({ ownerId: 'alice' }), await bench.gateway({ ownerId: 'alice' })];
    const derivation = { key: 'retry-across-upgrade', nonce: '0123456789abcdef' };
    const peeringId = newPeeringId('alice', a.id, b.id, derivation);
    const engine = bench.engine();
    await engine.start('create-peering', peeringId, { peeringId, gatewayId: a.id, remoteGatewayId: b.id });
    await engine.idle();

    // Act
    const outcome = await createPeering(
      bench.apiDeps(engine),
      alice,
      a.id,
      b.id,
      derivation,
      answerAtOnce,
      limits,
    );

    // Assess: that run's peering, no second run
    expect(outcome).toMatchObject({ kind: 'done', peering: { id: peeringId, status: 'ACTIVE' } });
    expect(engine.list().filter((run) => run.workflow === 'create-peering')).toHaveLength(1);
  });
});
