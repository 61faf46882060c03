/**
 * The API's peering delete on the workflow bench (real ASL, real handlers): 'done' (204) only when
 * both gateways applied the removal. The run's pushes are best effort (Release runs whatever they
 * do), so pushes that failed are a PushFailedError (502 PUSH_FAILED): the peering is deleted, and
 * drift repair pushes the removal again (docs/CONTRACT.md, the DELETE rows).
 */
import { deletePeering } from '../../lambdas/app/api/peerings';
import { CommandFailedError, PushFailedError } from '../../lambdas/core/errors';
import type { Caller } from '../../lambdas/core/types';
import { toErrorResponse } from '../../lambdas/http/errors';
import { runToEnd, useWorkflowBench } from '../support/workflow-bench';

const bench = useWorkflowBench();
const alice: Caller = { userId: 'alice', isAdmin: false };
/** Long enough for any execution here to end. */
const timing = { waitMs: 60_000, pollMs: 10 };

async function activePeering(peeringId: string) {
  const [a, b] = [await bench.gateway({ ownerId: 'alice' }), await bench.gateway({ ownerId: 'alice' })];
  const created = await runToEnd(bench.engine(), 'create-peering', peeringId, {
    peeringId,
    gatewayId: a.id,
    remoteGatewayId: b.id,
  });
  expect(created.status).toBe('SUCCEEDED');
  return [a, b] as const;
}

const peerKeysOn = async (instanceId: string) =>
  ((await bench.hosts().report(instanceId))?.peers ?? []).map((peer) => peer.publicKey);

describe('DELETE of a peering', () => {
  it('is done when both gateways applied the removal', async () => {
    // Prepare
    const [a, b] = await activePeering('pcx-del-ok');

    // Act
    const answer = await deletePeering(bench.apiDeps(bench.engine()), alice, 'pcx-del-ok', timing);

    // Assess
    expect(answer).toBe('done');
    expect(await peerKeysOn(a.instanceId)).toEqual([]);
    expect(await peerKeysOn(b.instanceId)).toEqual([]);
  });

  it('is 502 PUSH_FAILED when the gateways did not apply it, the peering deleted all the same', async () => {
    // Prepare: every push of the delete fails (an apply that fails, SSM unreachable)
    const [a, b] = await activePeering('pcx-del-failed');
    const engine = bench.engine({
      PushConfigFunctionArn: () => async () => {
        throw new CommandFailedError('Config push ended Failed');
      },
    });

    // Act
    const answer = await deletePeering(bench.apiDeps(engine), alice, 'pcx-del-failed', timing).catch(
      (error: unknown) => error,
    );

    // Assess: the caller hears that the tunnel may still carry traffic; the record and its places are gone
    expect(answer).toBeInstanceOf(PushFailedError);
    expect(toErrorResponse(answer).statusCode).toBe(502);
    expect(await bench.repository().getPeering('pcx-del-failed')).toBeUndefined();
    expect(bench.addressesHeld(a.id)).toEqual([]);
    expect(await peerKeysOn(a.instanceId)).toEqual([b.publicKey]);
  });
});
