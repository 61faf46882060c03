/**
 * A step that fails after some of its writes, and what runs next: the ASL's Retry, its Catch, or a
 * re-drive of the whole execution (docs/CONTRACT.md#invariants 3 and 6). On the real create-peering
 * and delete-peering ASL and the workflow bench (test/support/workflow-bench.ts), and the create
 * API's wait for its execution; each fault is injected into one dependency of the real step handlers.
 */

import { newPeeringId } from '../../lambdas/app/api/ids';
import { createPeering, deletePeering } from '../../lambdas/app/api/peerings';
import { releasePeering } from '../../lambdas/app/peering-teardown';
import { activatePeering, allocatePeering } from '../../lambdas/app/peering-workflow';
import { ConflictError, TransientError } from '../../lambdas/core/errors';
import type { Caller, GatewayRecord } from '../../lambdas/core/types';
import { provideDependencies } from '../../lambdas/shared/deps';
import type { LambdaHandler } from '../../runtime/workflow-engine';
import { ownerLimits } from '../support/limits';
import { newPeering } from '../support/records';
import { runToEnd, useWorkflowBench } from '../support/workflow-bench';

const bench = useWorkflowBench();

const pskOf = (peeringId: string) => bench.secrets().names.presharedKey(peeringId);

/** The API's create, as the gateways' owner; it waits long enough for any execution here to end. */
const alice: Caller = { userId: 'alice', isAdmin: false };
const timing = { waitMs: 120_000, pollMs: 10 };
const LIMITS = ownerLimits();

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

/** Every "VPC Peering Activated" the audit received, by peering id. */
const activatedEvents = () =>
  bench
    .audit()
    .events.filter((event) => event.detailType === 'VPC Peering Activated')
    .map((event) => event.detail.peeringId);

describe('a create whose Activate set ACTIVE, then failed', () => {
  it.each([
    {
      when: 'its audit publish is refused',
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
      activate:
        (real: LambdaHandler): LambdaHandler =>
        async (payload, context) => {
          await real(payload, context);
          throw new Error('Task timed out after 30.00 seconds');
        },
    },
  ])(
    'answers the create call ACTIVE when $when: Compensate undoes nothing, the execution succeeds',
    async ({ activate }) => {
      // Prepare
      const [a, b] = [await bench.gateway(), await bench.gateway()];
      const workflows = bench.engine({ ActivateFunctionArn: activate });
      const d = { repository: bench.repository(), workflows, clock: () => new Date() };

      // Act: the API's create, which waits for the execution's end.
      const outcome = await createPeering(d, alice, a.id, b.id, undefined, timing, LIMITS);

      // Assess: the call and the execution end as a plain success would.
      expect(outcome).toEqual({ kind: 'done', peering: expect.objectContaining({ status: 'ACTIVE' }) });
      const peeringId = outcome.kind === 'done' ? outcome.peering.id : '';
      expect(await workflows.find('create-peering', peeringId)).toMatchObject({
        status: 'SUCCEEDED',
        output: { peeringId, status: 'ACTIVE' },
      });
      const steps = bench.calls.map((call) => call.step);
      expect(steps).toContain('CompensateFunctionArn');
      expect(steps).not.toContain('ReleaseFunctionArn');
      // Announced at least once (a second time when the failed run had published it).
      expect(activatedEvents().length).toBeGreaterThanOrEqual(1);
      expect(new Set(activatedEvents())).toEqual(new Set([peeringId]));
      expect(bench.audit().events.map((event) => event.detailType)).not.toContain('VPC Peering Failed');
      // Compensation removed nothing: peers, instances, addresses, pair lock, key.
      const peering = await bench.repository().getPeering(peeringId);
      expect(peering?.status).toBe('ACTIVE');
      for (const [self, other] of [
        [a, b],
        [b, a],
      ] as const) {
        expect((await bench.repository().listPeers(self.id)).map((peer) => peer.peeringId)).toEqual([
          peeringId,
        ]);
        expect(await hostPeerKeys(self)).toEqual([other.publicKey]);
      }
      expect(bench.addressesHeld(a.id)).toEqual([peering?.sides[0].tunnelIp]);
      expect(bench.addressesHeld(b.id)).toEqual([peering?.sides[1].tunnelIp]);
      await expect(bench.repository().createPeering(newPeering(b, a))).rejects.toEqual(
        new ConflictError('PEERING_ALREADY_EXISTS'),
      );
      expect(await bench.secrets().get(pskOf(peeringId))).toBeDefined();
    },
  );
});

describe('two runs of one create at once: Compensate of one, Activate of the other', () => {
  it.each([
    { lands: 'before', status: 'ACTIVE', execution: 'SUCCEEDED' },
    { lands: 'after', status: 'FAILED', execution: 'FAILED' },
  ])(
    "ends $status, never half undone, when Activate lands $lands Compensate's first write",
    async ({ lands, status, execution }) => {
      // Prepare: this run's Activate fails (before its own write); another run of the same peering
      // (a sweep's re-drive) has pushed both sides too, and its Activate lands around the first
      // write of this run's Compensate.
      const { a, b, request } = await pairToPeer(`pcx-race-${lands}`);
      const real = bench.repository();
      let raced = false;
      const otherRunActivates = async () => {
        raced = true;
        const pushed = [];
        for (const gatewayId of [a.id, b.id]) {
          const applied = await real.getAppliedGeneration(gatewayId);
          pushed.push({ gatewayId, generation: applied?.appliedGeneration ?? 0 });
        }
        await activatePeering(
          { repository: real, audit: bench.audit() },
          { peeringId: request.peeringId, pushed },
        )
          // Refused once this run's compensation began: that run then compensates too.
          .catch(() => undefined);
      };
      const aroundFirstWrite =
        (method: 'setPeeringStatus' | 'detachPeering') =>
        async (...args: unknown[]) => {
          const write = (real[method] as (...a: unknown[]) => Promise<unknown>).bind(real);
          if (raced) return write(...args);
          if (lands === 'before') await otherRunActivates();
          const result = await write(...args);
          if (lands === 'after') await otherRunActivates();
          return result;
        };
      const racing = Object.assign(Object.create(real) as typeof real, {
        setPeeringStatus: aroundFirstWrite('setPeeringStatus'),
        detachPeering: aroundFirstWrite('detachPeering'),
      });
      const engine = bench.engine({
        ActivateFunctionArn: () => async () => {
          throw new Error('Task timed out after 30.00 seconds');
        },
        CompensateFunctionArn: (compensate) => (payload, context) => {
          provideDependencies({ repository: racing });
          return compensate(payload, context);
        },
      });

      // Act
      const result = await runToEnd(engine, 'create-peering', request.peeringId, request);

      // Assess: whoever won, the peering is either ACTIVE with everything, or FAILED with nothing.
      expect(raced).toBe(true);
      expect(result.status).toBe(execution);
      const peering = await real.getPeering(request.peeringId);
      expect(peering?.status).toBe(status);
      const events = bench.audit().events.map((event) => event.detailType);
      if (status === 'ACTIVE') {
        expect(events).not.toContain('VPC Peering Failed');
        for (const [self, other] of [
          [a, b],
          [b, a],
        ] as const) {
          expect((await real.listPeers(self.id)).map((peer) => peer.peeringId)).toEqual([request.peeringId]);
          expect(await hostPeerKeys(self)).toEqual([other.publicKey]);
        }
        expect(bench.addressesHeld(a.id)).toEqual([peering?.sides[0].tunnelIp]);
        expect(await bench.secrets().get(pskOf(request.peeringId))).toBeDefined();
      } else {
        expect(events).not.toContain('VPC Peering Activated');
        expect(events.filter((event) => event === 'VPC Peering Failed')).toHaveLength(1);
        for (const gateway of [a, b]) {
          expect(await real.listPeers(gateway.id)).toEqual([]);
          expect(await hostPeerKeys(gateway)).toEqual([]);
          expect(bench.addressesHeld(gateway.id)).toEqual([]);
        }
        expect(await bench.secrets().get(pskOf(request.peeringId))).toBeUndefined();
      }
    },
  );

  it("a compensation's Release frees nothing of a peering still PROVISIONING", async () => {
    // Prepare: a peering written, its Compensate never ran (an execution of an older release).
    const { a, request } = await pairToPeer('pcx-release-provisioning');
    const d = { repository: bench.repository(), secrets: bench.secrets(), audit: bench.audit() };
    await allocatePeering({ ...d, clock: () => new Date() }, request);

    // Act
    await releasePeering(d, { peeringId: request.peeringId, deleteRecord: false });

    // Assess: another run may still activate it, with everything it holds.
    const peering = await d.repository.getPeering(request.peeringId);
    expect(peering?.status).toBe('PROVISIONING');
    expect(bench.addressesHeld(a.id)).toEqual([peering?.sides[0].tunnelIp]);
    expect(await bench.secrets().get(pskOf(request.peeringId))).toBeDefined();
  });
});

describe('a create whose Activate is retried after setting ACTIVE', () => {
  it('announces the activation on the retry, which finds the peering ACTIVE', async () => {
    // Prepare: the step's first publish, its own, is throttled (a TransientError: the ASL retries
    // the step).
    const { request } = await pairToPeer('pcx-activate-retried');
    const throttled = new TransientError('EventBridge ThrottlingException');
    let runs = 0;
    const engine = bench.engine({
      ActivateFunctionArn: (real) => (payload, context) => {
        runs += 1;
        if (runs === 1) provideDependencies({ audit: failingOnce(bench.audit(), 'publish', throttled) });
        return real(payload, context);
      },
    });

    // Act
    const result = await runToEnd(engine, 'create-peering', request.peeringId, request);

    // Assess
    const activations = bench.calls.filter((call) => call.step === 'ActivateFunctionArn');
    expect(activations.map((call) => call.error ?? 'ok')).toEqual(['TransientError', 'ok']);
    expect(result.status).toBe('SUCCEEDED');
    expect(bench.calls.map((call) => call.step)).not.toContain('CompensateFunctionArn');
    expect(activatedEvents()).toEqual([request.peeringId]);
  });
});

describe('a re-driven create', () => {
  it('finishes a written peering even when a gateway is no longer ACTIVE (Validate lets a written peering through)', async () => {
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

describe('a create whose Allocate lost its answer while the peering was deleted', () => {
  it('stays deleted: the retried Allocate ends the create, and a later DELETE finds nothing', async () => {
    // Prepare: Allocate commits, then its "VPC Peering Created" publish is throttled (its answer is
    // lost); before its retry, the user deletes the PROVISIONING peering, and that run ends.
    const [a, b] = [await bench.gateway(), await bench.gateway()];
    const key = { key: 'key-deleted-meanwhile', nonce: '0123456789abcdef' };
    const peeringId = newPeeringId(alice.userId, a.id, b.id, key);
    const deleter = { repository: bench.repository(), workflows: bench.engine(), clock: () => new Date() };
    const creator = { ...deleter, workflows: bench.engine() };
    let deletion: Promise<unknown> = Promise.resolve();
    provideDependencies({
      audit: failingOnce(
        bench.audit(),
        'publish',
        new TransientError('EventBridge ThrottlingException'),
        () => {
          deletion = deletePeering(deleter, alice, peeringId, timing);
          return deletion;
        },
      ),
    });

    // Act: the API's create, which waits for its execution's end; then the user's DELETE again.
    const created = createPeering(creator, alice, a.id, b.id, key, timing, LIMITS);
    const createStatus = await created.then(
      (outcome) => outcome.kind,
      (error: Error) => error.name,
    );
    // the create answers 404 from its tombstone, before its run's retried Allocate ends it
    await creator.workflows.idle();
    const deletedAgain = deletePeering(deleter, alice, peeringId, timing);

    // Assess: the deletion answered done and holds: no record, no entry, no address, no lock, no key.
    await expect(deletion).resolves.toBe('done');
    expect(createStatus).toBe('NotFoundError');
    const allocations = bench.calls.filter((call) => call.step === 'AllocateFunctionArn');
    expect(allocations.map((call) => call.error)).toEqual(['TransientError', 'NotFoundError']);
    expect(await creator.workflows.find('create-peering', peeringId)).toMatchObject({
      status: 'FAILED',
      error: 'NotFoundError',
    });
    await expect(deletedAgain).rejects.toMatchObject({ name: 'NotFoundError' });
    expect(await bench.repository().getPeering(peeringId)).toBeUndefined();
    for (const gateway of [a, b]) {
      expect(await bench.repository().listPeers(gateway.id)).toEqual([]);
      expect(bench.addressesHeld(gateway.id)).toEqual([]);
      expect(await hostPeerKeys(gateway)).toEqual([]);
    }
    await expect(bench.repository().createPeering(newPeering(b, a))).resolves.toMatchObject({
      status: 'PROVISIONING',
    });
    expect(await bench.secrets().get(pskOf(peeringId))).toBeUndefined();
    const events = bench.audit().events.map((event) => event.detailType);
    expect(events).toContain('VPC Peering Deleted');
    expect(events).not.toContain('VPC Peering Activated');
  });
});

describe('a delete whose Release fails after freeing the allocations', () => {
  it.each([
    {
      when: "the keys' deletion fails",
      peeringId: 'pcx-del-key',
      // Release deletes the peering's folder, every key it had (a move gives it new ones).
      fault: () => ({
        secrets: failingOnce(bench.secrets(), 'deleteUnder', new TransientError('S3 SlowDown')),
      }),
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
