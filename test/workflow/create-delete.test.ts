/**
 * The real create-peering and delete-peering ASL on the interpreter, real handlers, the in-memory repository,
 * and the real gateway script (files-only mode) behind the local command bus.
 */
import { CONFLICT_MESSAGES, TransientError } from '../../lambdas/core/errors';
import { FAILURE_REASONS } from '../../lambdas/core/failure-reasons';
import type { GatewayRecord } from '../../lambdas/core/types';
import type { LocalWorkflowEngine } from '../../runtime/workflow-engine';
import { runToEnd, useWorkflowBench } from '../support/workflow-bench';

const bench = useWorkflowBench();

function peeringRequest(peeringId: string, gatewayId: string, remoteGatewayId: string) {
  return { peeringId, gatewayId, remoteGatewayId };
}

/** Two fresh ACTIVE gateways of one owner, with distinct ranges. */
async function gatewayPair(): Promise<[GatewayRecord, GatewayRecord]> {
  return [await bench.gateway(), await bench.gateway()];
}

/** Runs create-peering to its end; the execution is named after the peering, as the API names it. */
function createPeering(
  engine: LocalWorkflowEngine,
  peeringId: string,
  local: GatewayRecord,
  remote: GatewayRecord,
) {
  return runToEnd(engine, 'create-peering', peeringId, peeringRequest(peeringId, local.id, remote.id));
}

async function hostPeerKeys(instanceId: string): Promise<string[]> {
  const report = await bench.hosts().report(instanceId);
  return (report?.peers ?? []).map((p) => p.publicKey);
}

async function allSecretValues(names: string[]): Promise<string[]> {
  const values = await Promise.all(names.map((n) => bench.secrets().get(n)));
  return values.filter((v): v is string => typeof v === 'string');
}

describe('create-peering', () => {
  it('ends ACTIVE with both sides applied on both instances', async () => {
    // Prepare
    const [a, b] = await gatewayPair();
    // Act
    const result = await createPeering(bench.engine(), 'pcx-ok', a, b);
    // Assess
    expect(result.status).toBe('SUCCEEDED');
    const peering = await bench.repository().getPeering('pcx-ok');
    expect(peering?.status).toBe('ACTIVE');
    expect(peering?.sides.every((s) => s.applied)).toBe(true);
    expect(await hostPeerKeys(a.instanceId)).toEqual([b.publicKey]);
    expect(await hostPeerKeys(b.instanceId)).toEqual([a.publicKey]);
    const peerOnA = await bench.repository().getPeer(a.id, 'vpc-peering-pcx-ok');
    expect(peerOnA?.allowedIps).toEqual([b.vpcCidr, b.tunnelSubnet]);
    expect(peerOnA?.endpoint).toBe(`${b.publicIp}:51820`);
    // Each audit event names the peering's owner, for routing per tenant.
    const detail = { peeringId: 'pcx-ok', ownerId: a.ownerId, gatewayIds: [a.id, b.id] };
    expect(bench.audit().events.map(({ detailType, detail }) => ({ detailType, detail }))).toEqual([
      { detailType: 'VPC Peering Created', detail },
      { detailType: 'VPC Peering Activated', detail },
    ]);
  });

  it('never puts a secret in a step payload, a step result or a log line', async () => {
    // Prepare
    const [a, b] = await gatewayPair();
    const logged: string[] = [];
    const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      logged.push(String(chunk));
      return true;
    });
    // Act
    try {
      await createPeering(bench.engine(), 'pcx-secret', a, b);
    } finally {
      write.mockRestore();
    }
    // Assess
    const secrets = await allSecretValues([
      '/vpc-peering/peerings/pcx-secret/psk',
      `/vpc-peering/gateways/${a.id}/private-key`,
      `/vpc-peering/gateways/${b.id}/private-key`,
    ]);
    expect(secrets).toHaveLength(3);
    const traffic = JSON.stringify(bench.calls);
    expect(bench.calls.length).toBeGreaterThan(5);
    const logs = logged.join('');
    expect(logs).toContain('step finished');
    for (const secret of secrets) {
      expect(traffic).not.toContain(secret);
      expect(logs).not.toContain(secret);
    }
  });

  it('fails with the exact conflict message and writes nothing when the check refuses', async () => {
    // Prepare: two gateways in one VPC (their CIDRs overlap too: SAME_VPC must win)
    const a = await bench.gateway({ vpcId: 'vpc-shared', vpcCidr: '10.200.0.0/16' });
    const b = await bench.gateway({ vpcId: 'vpc-shared', vpcCidr: '10.200.0.0/16' });
    // Act
    const result = await createPeering(bench.engine(), 'pcx-same', a, b);
    // Assess
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('ConflictError');
    expect(JSON.parse(result.cause ?? '{}')).toEqual({
      errorType: 'ConflictError',
      errorMessage: CONFLICT_MESSAGES.SAME_VPC,
    });
    expect(await bench.repository().getPeering('pcx-same')).toBeUndefined();
    expect(await bench.secrets().get('/vpc-peering/peerings/pcx-same/psk')).toBeUndefined();
  });

  it('refuses a second peering of the same pair from the other side', async () => {
    // Prepare
    const [a, b] = await gatewayPair();
    const engine = bench.engine();
    await createPeering(engine, 'pcx-first', a, b);
    // Act
    const second = await createPeering(engine, 'pcx-second', b, a);
    // Assess
    expect(second.status).toBe('FAILED');
    expect(JSON.parse(second.cause ?? '{}').errorMessage).toBe(CONFLICT_MESSAGES.PEERING_ALREADY_EXISTS);
  });

  it('retries a step that throws a transient error once', async () => {
    // Prepare
    const [a, b] = await gatewayPair();
    let thrown = 0;
    const engine = bench.engine({
      AllocateFunctionArn: (real) => async (payload, context) => {
        if (thrown++ === 0) throw new TransientError('throttled');
        return real(payload, context);
      },
    });
    // Act
    const result = await createPeering(engine, 'pcx-retry', a, b);
    // Assess
    expect(result.status).toBe('SUCCEEDED');
    expect(bench.calls.filter((c) => c.step === 'AllocateFunctionArn').map((c) => c.error ?? 'ok')).toEqual([
      'TransientError',
      'ok',
    ]);
  });

  it('does nothing twice when the same execution name is started again', async () => {
    // Prepare
    const [a, b] = await gatewayPair();
    const engine = bench.engine();
    const input = peeringRequest('pcx-twice', a.id, b.id);
    // Act
    const first = await engine.start('create-peering', 'pcx-twice', input);
    const second = await engine.start('create-peering', 'pcx-twice', input);
    await engine.idle();
    // Assess
    expect(second).toEqual({ executionId: first.executionId, mayHaveEnded: false });
    expect(bench.calls.filter((c) => c.step === 'AllocateFunctionArn')).toHaveLength(1);
    expect(await hostPeerKeys(a.instanceId)).toEqual([b.publicKey]);
  });

  it('compensates a failed push: nothing left on either side, everything released', async () => {
    // Prepare
    const [a, b] = await gatewayPair();
    bench.commands().failNext(b.instanceId, 'disk full');
    // Act
    const result = await createPeering(bench.engine(), 'pcx-fail', a, b);
    // Assess
    expect(result.status).toBe('FAILED');
    const peering = await bench.repository().getPeering('pcx-fail');
    expect(peering?.status).toBe('FAILED');
    expect(peering?.statusReason).toBe(FAILURE_REASONS.push);
    expect(await bench.repository().listPeers(a.id)).toEqual([]);
    expect(await bench.repository().listPeers(b.id)).toEqual([]);
    expect(await hostPeerKeys(a.instanceId)).toEqual([]);
    expect(await hostPeerKeys(b.instanceId)).toEqual([]);
    expect(bench.addressesHeld(a.id)).toEqual([]);
    expect(bench.addressesHeld(b.id)).toEqual([]);
    expect(await bench.secrets().get('/vpc-peering/peerings/pcx-fail/psk')).toBeUndefined();
    // The failure's event names the owner, for routing per tenant, and says why.
    expect(bench.audit().events.at(-1)).toMatchObject({
      detailType: 'VPC Peering Failed',
      detail: { peeringId: 'pcx-fail', ownerId: a.ownerId, reason: FAILURE_REASONS.push },
    });
    expect(Object.keys(bench.audit().events.at(-1)?.detail ?? {}).sort()).toEqual([
      'ownerId',
      'peeringId',
      'reason',
    ]);
    // the pair is free again
    const retry = await createPeering(bench.engine(), 'pcx-again', a, b);
    expect(retry.status).toBe('SUCCEEDED');
  });

  it('compensates an allocation whose Lambda failed after its transaction committed', async () => {
    // Prepare: the write succeeds, then the invocation dies (a timeout, a crash) on every attempt
    const a = await bench.gateway();
    const b = await bench.gateway();
    const engine = bench.engine({
      AllocateFunctionArn: (real) => async (payload, context) => {
        await real(payload, context);
        throw new Error('Task timed out after 30.00 seconds');
      },
    });
    // Act
    const result = await runToEnd(
      engine,
      'create-peering',
      'pcx-lost',
      peeringRequest('pcx-lost', a.id, b.id),
    );
    // Assess
    expect(result.status).toBe('FAILED');
    expect((await bench.repository().getPeering('pcx-lost'))?.status).toBe('FAILED');
    expect(await bench.repository().listPeers(a.id)).toEqual([]);
    expect(await bench.repository().listPeers(b.id)).toEqual([]);
    expect(bench.addressesHeld(a.id)).toEqual([]);
    expect(bench.addressesHeld(b.id)).toEqual([]);
    expect(await bench.secrets().get('/vpc-peering/peerings/pcx-lost/psk')).toBeUndefined();
  });

  it('compensates when a gateway is deleted while its peering is being created', async () => {
    // Prepare
    const [a, b] = await gatewayPair();
    const engine = bench.engine({
      PushConfigFunctionArn: (real) => async (payload, context) => {
        await bench.repository().deleteGateway(b.id);
        return real(payload, context);
      },
    });
    // Act
    const result = await createPeering(engine, 'pcx-gone', a, b);
    // Assess
    expect(result.status).toBe('FAILED');
    expect((await bench.repository().getPeering('pcx-gone'))?.status).toBe('FAILED');
    expect(await bench.repository().listPeers(a.id)).toEqual([]);
    expect(await hostPeerKeys(a.instanceId)).toEqual([]);
    expect(bench.addressesHeld(a.id)).toEqual([]);
  });

  it('keeps a hub gateway ordered when peerings touching it are created concurrently', async () => {
    // Prepare
    const hub = await bench.gateway();
    const spokes = [await bench.gateway(), await bench.gateway(), await bench.gateway()];
    const engine = bench.engine();
    // Act
    await Promise.all(
      spokes.map((s, i) =>
        engine.start('create-peering', `pcx-hub-${i}`, peeringRequest(`pcx-hub-${i}`, hub.id, s.id)),
      ),
    );
    await engine.idle();
    await bench.commands().idle();
    // Assess
    const results = await Promise.all(spokes.map((_, i) => bench.repository().getPeering(`pcx-hub-${i}`)));
    expect(results.map((p) => `${p?.status} ${p?.statusReason ?? ''}`.trim())).toEqual([
      'ACTIVE',
      'ACTIVE',
      'ACTIVE',
    ]);
    const gateway = await bench.repository().getGateway(hub.id);
    const report = await bench.hosts().report(hub.instanceId);
    expect(report?.appliedGeneration).toBe(gateway?.desiredGeneration);
    expect((await hostPeerKeys(hub.instanceId)).sort()).toEqual(spokes.map((s) => s.publicKey).sort());
  });
});

describe('delete-peering', () => {
  it('removes the peering from both sides and frees the pair', async () => {
    // Prepare
    const [a, b] = await gatewayPair();
    const engine = bench.engine();
    await createPeering(engine, 'pcx-del', a, b);
    // Act
    const result = await runToEnd(engine, 'delete-peering', 'delete-pcx-del', { peeringId: 'pcx-del' });
    // Assess
    expect(result.status).toBe('SUCCEEDED');
    expect(await bench.repository().getPeering('pcx-del')).toBeUndefined();
    expect(await hostPeerKeys(a.instanceId)).toEqual([]);
    expect(await hostPeerKeys(b.instanceId)).toEqual([]);
    expect(bench.addressesHeld(a.id)).toEqual([]);
    expect(await bench.secrets().get('/vpc-peering/peerings/pcx-del/psk')).toBeUndefined();
    expect(bench.audit().events.at(-1)).toEqual(
      expect.objectContaining({
        detailType: 'VPC Peering Deleted',
        detail: { peeringId: 'pcx-del', ownerId: a.ownerId, gatewayIds: [a.id, b.id] },
      }),
    );
  });

  it('skips the side whose gateway is gone and still cleans the other', async () => {
    // Prepare
    const [a, b] = await gatewayPair();
    const engine = bench.engine();
    await createPeering(engine, 'pcx-half', a, b);
    await bench.repository().deleteGateway(a.id);
    // Act
    const result = await runToEnd(engine, 'delete-peering', 'delete-pcx-half', { peeringId: 'pcx-half' });
    // Assess
    expect(result.status).toBe('SUCCEEDED');
    expect(await hostPeerKeys(b.instanceId)).toEqual([]);
    expect(await bench.repository().listPeers(b.id)).toEqual([]);
  });

  it('succeeds for a peering that no longer exists (idempotent)', async () => {
    const result = await runToEnd(bench.engine(), 'delete-peering', 'delete-pcx-none', {
      peeringId: 'pcx-none',
    });
    expect(result.status).toBe('SUCCEEDED');
  });
});
