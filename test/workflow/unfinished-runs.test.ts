/**
 * Runs that end before their first write, and what finishes their work: a gateway's cascade whose
 * peering deletion fails before Detach, and a create started again from Validate after an earlier
 * run stored the preshared key (docs/CONTRACT.md#invariants 3 and 6). On the real create-peering and
 * delete-peering ASL and the workflow bench (test/support/workflow-bench.ts).
 */

import { cascadeGatewayRemoval } from '../../lambdas/app/gateway-cascade';
import type { RemovedGateway } from '../../lambdas/app/ports';
import { sweepTable } from '../../lambdas/app/sweeper';
import { CommandFailedError, TransientError } from '../../lambdas/core/errors';
import { generatePresharedKey } from '../../lambdas/core/key-format';
import { eventDependencies } from '../support/events-fixture';
import { runToEnd, useWorkflowBench } from '../support/workflow-bench';

const bench = useWorkflowBench();

/** What the cascade and the sweep take, on the bench and `engine`. */
const sweepDeps = (engine: ReturnType<typeof bench.engine>) =>
  eventDependencies({
    repository: bench.repository(),
    workflows: engine,
    secrets: bench.secrets(),
    audit: bench.audit(),
  });

/** A sweep an hour from now: everything left is past its bounds. */
const sweepInAnHour = (deps: ReturnType<typeof sweepDeps>) =>
  sweepTable(
    { ...deps, clock: () => new Date(Date.now() + 3_600_000) },
    { stalledPeeringSeconds: 60, pendingCascadeSeconds: 60 },
    { remainingMs: () => 60_000, random: () => 0 },
  );

/** Two fresh ACTIVE gateways and a create-peering input for them. */
async function pairToPeer(peeringId: string) {
  const [a, b] = [await bench.gateway(), await bench.gateway()];
  return { a, b, request: { peeringId, gatewayId: a.id, remoteGatewayId: b.id } };
}

describe("a gateway's cascade whose peering deletion fails before Detach's first write", () => {
  it('leaves the peering DELETING, and the sweep deletes it on both sides', async () => {
    // Prepare: an ACTIVE peering; then its gateway a is deleted while Detach cannot reach the table
    // (every retry of the step throttled), so the delete-peering run fails before writing.
    const { a, b, request } = await pairToPeer('pcx-cascade-unfinished');
    expect((await runToEnd(bench.engine(), 'create-peering', request.peeringId, request)).status).toBe(
      'SUCCEEDED',
    );
    let throttled = true;
    const engine = bench.engine({
      DetachFunctionArn: (real) => async (payload, context) => {
        if (throttled) throw new TransientError('DynamoDB ThrottlingException');
        return real(payload, context);
      },
    });
    const repository = bench.repository();
    const removed = (await repository.deleteGateway(a.id)) as RemovedGateway;
    const deps = sweepDeps(engine);

    // Act: the cascade (its run fails), then, the throttle over, a sweep past the bounds.
    await cascadeGatewayRemoval(deps, removed);
    await engine.idle();
    const failedRun = await engine.find('delete-peering', `delete-${request.peeringId}`);
    const left = await repository.getPeering(request.peeringId);
    throttled = false;
    const sweep = await sweepInAnHour(deps);
    await engine.idle();

    // Assess: without the cascade's DELETING, the peering stayed ACTIVE and nothing found it.
    expect(failedRun?.status).toBe('FAILED');
    expect(left?.status).toBe('DELETING');
    expect(sweep.redriven.map((redrive) => redrive.peeringId)).toEqual([request.peeringId]);
    expect(await repository.getPeering(request.peeringId)).toBeUndefined();
    expect((await repository.listPeers(b.id)).map((peer) => peer.name)).toEqual([]);
    expect(bench.addressesHeld(b.id)).toEqual([]);
    expect(await bench.secrets().get(bench.secrets().names.presharedKey(request.peeringId))).toBeUndefined();
  });
});

describe('a create started again from Validate after its Allocate stored the preshared key', () => {
  it('deletes that key when Validate refuses and no peering was written', async () => {
    // Prepare: the first run's Allocate stored the key and died before its transaction (the
    // embedded runtime killed); gateway b was deleted before the run started again.
    const { b, request } = await pairToPeer('pcx-validate-refused');
    const psk = bench.secrets().names.presharedKey(request.peeringId);
    await bench.secrets().putIfAbsent(psk, generatePresharedKey());
    await bench.repository().deleteGateway(b.id);

    // Act: the recovery runs the execution from its first state.
    const result = await runToEnd(bench.engine(), 'create-peering', request.peeringId, request);

    // Assess
    expect(result.status).toBe('FAILED');
    expect(bench.calls.map((call) => [call.step, call.error])).toEqual([
      ['ValidateFunctionArn', 'NotFoundError'],
    ]);
    expect(await bench.secrets().get(psk)).toBeUndefined();
  });
});

describe('a create whose compensation ran out of retries in Release', () => {
  it('leaves the peering FAILED and holding its places until the sweep releases them', async () => {
    // Prepare: the push fails (the peering is compensated), and every try of Release is throttled
    const { a, b, request } = await pairToPeer('pcx-release-unfinished');
    let throttled = true;
    const engine = bench.engine({
      PushConfigFunctionArn: () => async () => {
        throw new CommandFailedError('Config push ended Failed');
      },
      ReleaseFunctionArn: (real) => async (payload, context) => {
        if (throttled) throw new TransientError('DynamoDB ThrottlingException');
        return real(payload, context);
      },
    });
    const deps = sweepDeps(engine);
    const psk = bench.secrets().names.presharedKey(request.peeringId);

    // Act: the run, then, the throttle over, two sweeps past the bounds
    const run = await runToEnd(engine, 'create-peering', request.peeringId, request);
    const heldAfterRun = [...bench.addressesHeld(a.id), ...bench.addressesHeld(b.id)];
    const keyAfterRun = await bench.secrets().get(psk);
    throttled = false;
    const sweep = await sweepInAnHour(deps);
    const again = await sweepInAnHour(deps);

    // Assess: the run left everything held; the sweep freed it once and audited it; the peering
    // stays FAILED with its reason, for its owner to read
    expect(run.status).toBe('FAILED');
    expect(heldAfterRun).toHaveLength(2);
    expect(keyAfterRun).toBeDefined();
    expect(sweep.released).toEqual([{ peeringId: request.peeringId, ownerId: 'alice', step: 'Release' }]);
    expect(again.released).toEqual([]);
    expect(bench.addressesHeld(a.id)).toEqual([]);
    expect(bench.addressesHeld(b.id)).toEqual([]);
    expect(await bench.secrets().get(psk)).toBeUndefined();
    expect(await deps.repository.getPeering(request.peeringId)).toMatchObject({ status: 'FAILED' });
    expect(bench.audit().events.filter((event) => event.detailType === 'VPC Peering Re-driven')).toEqual([
      expect.objectContaining({
        detail: { peeringId: request.peeringId, ownerId: 'alice', step: 'Release', status: 'FAILED' },
      }),
    ]);
  });
});
