/**
 * Runs that end before their first write, and what finishes their work: a gateway's cascade whose
 * peering deletion fails before Detach, and a create started again from Validate after an earlier
 * run stored the preshared key (docs/CONTRACT.md#invariants 3 and 6). On the real create-peering and
 * delete-peering ASL and the workflow bench (test/support/workflow-bench.ts).
 */

import { cascadeGatewayRemoval } from '../../lambdas/app/gateway-cascade';
import type { RemovedGateway } from '../../lambdas/app/ports';
import { sweepTable } from '../../lambdas/app/sweeper';
import { TransientError } from '../../lambdas/core/errors';
import { generatePresharedKey } from '../../lambdas/core/key-format';
import { MemoryPublications, RecordingCommands } from '../support/fakes';
import { runToEnd, useWorkflowBench } from '../support/workflow-bench';

const bench = useWorkflowBench();

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
    const publications = new MemoryPublications();
    const deps = {
      repository,
      workflows: engine,
      secrets: bench.secrets(),
      clock: () => new Date(),
      configStore: publications,
      instanceSecrets: publications,
      commands: new RecordingCommands(),
    };

    // Act: the cascade (its run fails), then, the throttle over, a sweep past the bounds.
    await cascadeGatewayRemoval(deps, removed);
    await engine.idle();
    const failedRun = await engine.find('delete-peering', `delete-${request.peeringId}`);
    const left = await repository.getPeering(request.peeringId);
    throttled = false;
    const inAnHour = () => new Date(Date.now() + 3_600_000);
    const sweep = await sweepTable(
      { ...deps, audit: bench.audit(), clock: inAnHour },
      { stalledPeeringSeconds: 60, pendingCascadeSeconds: 60 },
      { remainingMs: () => 60_000, random: () => 0 },
    );
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
