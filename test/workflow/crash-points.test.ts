/**
 * A step that fails after some of its writes, and what runs next: the ASL's Retry, its Catch, or a
 * re-drive of the whole execution (docs/CONTRACT.md#invariants 3 and 6). On the real create-peering
 * and delete-peering ASL and the workflow bench (test/support/workflow-bench.ts); each fault is
 * injected into one dependency of the real step handlers.
 */
import { allocatePeering } from '../../lambdas/app/peering-workflow';
import { ConflictError, TransientError } from '../../lambdas/core/errors';
import type { GatewayRecord } from '../../lambdas/core/types';
import { provideDependencies } from '../../lambdas/shared/deps';
import type { LambdaHandler } from '../../runtime/workflow-engine';
import { newPeering } from '../support/records';
import { runToEnd, useWorkflowBench } from '../support/workflow-bench';

const bench = useWorkflowBench();

const pskOf = (peeringId: string) => bench.secrets().names.presharedKey(peeringId);

/** `target`, except that the first call of `method` runs `meanwhile`, then throws `error`. */
function failingOnce<T extends object>(
  target: T,
  method: keyof T,
  error: Error,
  meanwhile: () => Promise<unknown> = async () => {},
): T {
  const real = target[method] as (...args: unknown[]) => Promise<unknown>;
  let failed = false;
  return Object.assign(Object.create(target) as T, {
    [method]: async (...args: unknown[]) => {
      if (failed) return real.apply(target, args);
      failed = true;
      await meanwhile();
      throw error;
    },
  });
}

/** Two fresh ACTIVE gateways and a create-peering input for them. */
async function pairToPeer(peeringId: string) {
  const [a, b] = [await bench.gateway(), await bench.gateway()];
  return { a, b, request: { peeringId, gatewayId: a.id, remoteGatewayId: b.id } };
}

async function hostPeerKeys(gateway: GatewayRecord): Promise<string[]> {
  const report = await bench.hosts().report(gateway.instanceId);
  return (report?.peers ?? []).map((peer) => peer.publicKey);
}

describe('a create whose Activate set ACTIVE, then failed', () => {
  it.each([
    {
      when: 'its audit publish is refused',
      peeringId: 'pcx-kept-audit',
      // The step's first publish is its own "VPC Peering Activated"; Error is not retried.
      activate:
        (real: LambdaHandler): LambdaHandler =>
        (payload, context) => {
          provideDependencies({
            audit: failingOnce(bench.audit(), 'publish', new Error('Audit event rejected')),
          });
          return real(payload, context);
        },
    },
    {
      when: 'its invocation dies before returning',
      peeringId: 'pcx-kept-timeout',
      activate:
        (real: LambdaHandler): LambdaHandler =>
        async (payload, context) => {
          await real(payload, context);
          throw new Error('Task timed out after 30.00 seconds');
        },
    },
  ])(
    'keeps the peering whole when $when: Compensate and Release leave it ACTIVE',
    async ({ peeringId, activate }) => {
      // Prepare
      const { a, b, request } = await pairToPeer(peeringId);

      // Act
      const engine = bench.engine({ ActivateFunctionArn: activate });
      await runToEnd(engine, 'create-peering', request.peeringId, request);

      // Assess: compensation ran, and removed nothing: peers, instances, addresses, pair lock, key.
      expect(bench.calls.map((call) => call.step)).toEqual(
        expect.arrayContaining(['CompensateFunctionArn', 'ReleaseFunctionArn']),
      );
      const peering = await bench.repository().getPeering(request.peeringId);
      expect(peering?.status).toBe('ACTIVE');
      for (const [self, other] of [
        [a, b],
        [b, a],
      ] as const) {
        expect((await bench.repository().listPeers(self.id)).map((peer) => peer.peeringId)).toEqual([
          request.peeringId,
        ]);
        expect(await hostPeerKeys(self)).toEqual([other.publicKey]);
      }
      expect(bench.addressesHeld(a.id)).toEqual([peering?.sides[0].tunnelIp]);
      expect(bench.addressesHeld(b.id)).toEqual([peering?.sides[1].tunnelIp]);
      await expect(bench.repository().createPeering(newPeering(b, a))).rejects.toEqual(
        new ConflictError('PEERING_ALREADY_EXISTS'),
      );
      expect(await bench.secrets().get(pskOf(request.peeringId))).toBeDefined();
    },
  );
});

describe('a re-driven create', () => {
  it('finishes a written peering even when a gateway is no longer ACTIVE (Validate checks nothing)', async () => {
    // Prepare: the first execution's Allocate committed, then the execution ended (an abort, a
    // crash of the runtime); gateway b has gone to ERROR since.
    const { b, request } = await pairToPeer('pcx-redriven');
    const d = { repository: bench.repository(), secrets: bench.secrets(), audit: bench.audit() };
    await allocatePeering({ ...d, clock: () => new Date() }, request);
    await bench.repository().upsertGateway({ ...b, status: 'ERROR' });

    // Act: the sweeper's re-drive, under a suffixed name.
    const result = await runToEnd(bench.engine(), 'create-peering', 'pcx-redriven-sweep-1', request);

    // Assess
    expect(result.status).toBe('SUCCEEDED');
    expect((await bench.repository().getPeering(request.peeringId))?.status).toBe('ACTIVE');
  });
});

describe('a create whose Allocate is retried, then refused', () => {
  it('deletes the preshared key the first attempt stored: Rejected compensates nothing', async () => {
    // Prepare: the first attempt stores the key, then its transaction is throttled; meanwhile
    // gateway b goes to ERROR, so the retry's checks refuse.
    const { b, request } = await pairToPeer('pcx-refused-retry');
    const repository = bench.repository();
    const throttled = new TransientError('DynamoDB ThrottlingException');
    provideDependencies({
      repository: failingOnce(repository, 'createPeering', throttled, () =>
        repository.upsertGateway({ ...b, status: 'ERROR' }),
      ),
    });

    // Act
    const result = await runToEnd(bench.engine(), 'create-peering', request.peeringId, request);

    // Assess
    const allocations = bench.calls.filter((call) => call.step === 'AllocateFunctionArn');
    expect(allocations.map((call) => call.error)).toEqual(['TransientError', 'ConflictError']);
    expect(result.status).toBe('FAILED');
    expect(await repository.getPeering(request.peeringId)).toBeUndefined();
    expect(await bench.secrets().get(pskOf(request.peeringId))).toBeUndefined();
  });
});

describe('a delete whose Release fails after freeing the allocations', () => {
  it.each([
    {
      when: 'the key delete fails',
      peeringId: 'pcx-del-key',
      fault: () => ({ secrets: failingOnce(bench.secrets(), 'delete', new TransientError('S3 SlowDown')) }),
      error: 'TransientError',
    },
    {
      when: 'the audit publish fails',
      peeringId: 'pcx-del-audit',
      fault: () => ({ audit: failingOnce(bench.audit(), 'publish', new Error('Audit event rejected')) }),
      error: 'Error',
    },
  ])(
    'keeps the record for the retry when $when, which publishes the deletion',
    async ({ peeringId, fault, error }) => {
      // Prepare
      const { request } = await pairToPeer(peeringId);
      const engine = bench.engine();
      await runToEnd(engine, 'create-peering', request.peeringId, request);
      provideDependencies(fault());

      // Act
      const result = await runToEnd(engine, 'delete-peering', `delete-${request.peeringId}`, {
        peeringId: request.peeringId,
      });

      // Assess
      const releases = bench.calls.filter((call) => call.step === 'ReleaseFunctionArn');
      expect(releases.map((call) => call.error ?? 'ok')).toEqual([error, 'ok']);
      expect(result.status).toBe('SUCCEEDED');
      expect(await bench.repository().getPeering(request.peeringId)).toBeUndefined();
      expect(await bench.secrets().get(pskOf(request.peeringId))).toBeUndefined();
      const deleted = bench.audit().events.filter((event) => event.detailType === 'VPC Peering Deleted');
      expect(deleted.map((event) => event.detail.peeringId)).toEqual([request.peeringId]);
    },
  );
});
