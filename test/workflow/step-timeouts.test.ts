/**
 * A step Lambda that hits its own timeout is reported by Step Functions as `Lambda.Unknown`
 * (`Sandbox.Timedout` on newer runtimes), never as `States.Timeout`: the ASL retries it twice,
 * since every step is safe to run again (docs/CONTRACT.md#invariants 6), then its Catch runs. On the
 * real ASL, the real handlers and the workflow bench (test/support/workflow-bench.ts); the timeout
 * strikes after the step did its work, the hardest case for the retry.
 */
import { InvocationNotReadyError } from '../../lambdas/core/errors';
import type { LambdaHandler } from '../../runtime/workflow-engine';
import { runToEnd, useWorkflowBench } from '../support/workflow-bench';

const bench = useWorkflowBench();

/** The Lambda timeout errors Step Functions reports for a function that ran out of time. */
const LAMBDA_TIMEOUTS = ['Lambda.Unknown', 'Sandbox.Timedout'];

/** What Step Functions reports for a step Lambda that ran out of its own time. */
const lambdaTimeout = (errorName: string) =>
  Object.assign(new Error('Task timed out after 30.00 seconds'), { name: errorName });

/** The step, except that its first invocation does its work and is then cut off as `errorName`. */
const timingOutOnce =
  (errorName: string) =>
  (real: LambdaHandler): LambdaHandler => {
    let timedOut = false;
    return async (payload, context) => {
      const result = await real(payload, context);
      if (timedOut) return result;
      timedOut = true;
      throw lambdaTimeout(errorName);
    };
  };

/**
 * The bench's command bus, every command sent counted (the ids returned); `lost` commands are
 * unknown to it, as a crashed runtime's are.
 */
function countingCommands(lost: (commandId: string) => boolean = () => false): string[] {
  const local = bench.commands();
  const sent: string[] = [];
  bench.useCommands({
    send: async (command) => {
      const id = await local.send(command);
      sent.push(id);
      return id;
    },
    teardown: (command) => local.teardown(command),
    requestReports: () => local.requestReports(),
    get: async (commandId, instanceId) => {
      if (lost(commandId)) throw new InvocationNotReadyError(`Invocation ${commandId} is not registered`);
      return local.get(commandId, instanceId);
    },
  });
  return sent;
}

/** The errors each run of `step` ended with ('ok' for a result), in order. */
const outcomesOf = (step: string) =>
  bench.calls.filter((call) => call.step === step).map((call) => call.error ?? 'ok');

async function hostPeerKeys(instanceId: string): Promise<string[]> {
  const report = await bench.hosts().report(instanceId);
  return (report?.peers ?? []).map((peer) => peer.publicKey);
}

describe.each(LAMBDA_TIMEOUTS)('a step Lambda timing out once (%s)', (errorName) => {
  it('create-peering: a push that timed out is retried, and the peering ends ACTIVE', async () => {
    // Prepare
    const [a, b] = [await bench.gateway(), await bench.gateway()];
    const peeringId = `pcx-push-timeout-${errorName.replace('.', '-')}`;
    const engine = bench.engine({ PushConfigFunctionArn: timingOutOnce(errorName) });

    // Act
    const result = await runToEnd(engine, 'create-peering', peeringId, {
      peeringId,
      gatewayId: a.id,
      remoteGatewayId: b.id,
    });

    // Assess
    expect(outcomesOf('PushConfigFunctionArn')).toContain(errorName);
    expect(result.status).toBe('SUCCEEDED');
    expect(bench.calls.map((call) => call.step)).not.toContain('CompensateFunctionArn');
    expect((await bench.repository().getPeering(peeringId))?.status).toBe('ACTIVE');
    expect(await hostPeerKeys(a.instanceId)).toEqual([b.publicKey]);
    expect(await hostPeerKeys(b.instanceId)).toEqual([a.publicKey]);
  });

  it('delete-peering: a Detach that timed out is retried, and the peering is deleted', async () => {
    // Prepare: an ACTIVE peering.
    const [a, b] = [await bench.gateway(), await bench.gateway()];
    const peeringId = `pcx-detach-timeout-${errorName.replace('.', '-')}`;
    const created = await runToEnd(bench.engine(), 'create-peering', peeringId, {
      peeringId,
      gatewayId: a.id,
      remoteGatewayId: b.id,
    });
    expect(created.status).toBe('SUCCEEDED');
    bench.calls.length = 0;
    const engine = bench.engine({ DetachFunctionArn: timingOutOnce(errorName) });

    // Act
    const result = await runToEnd(engine, 'delete-peering', `delete-${peeringId}`, { peeringId });

    // Assess
    expect(outcomesOf('DetachFunctionArn')).toEqual([errorName, 'ok']);
    expect(result.status).toBe('SUCCEEDED');
    expect(await bench.repository().getPeering(peeringId)).toBeUndefined();
    expect(bench.addressesHeld(a.id)).toEqual([]);
    expect(bench.addressesHeld(b.id)).toEqual([]);
    expect(await hostPeerKeys(a.instanceId)).toEqual([]);
    expect(await hostPeerKeys(b.instanceId)).toEqual([]);
  });

  it('push-gateway: a push that timed out is retried, and the gateway is applied', async () => {
    // Prepare
    const gateway = await bench.gateway();
    const engine = bench.engine({ PushConfigFunctionArn: timingOutOnce(errorName) });

    // Act
    const result = await runToEnd(engine, 'push-gateway', `push-${gateway.id}-0`, { gatewayId: gateway.id });

    // Assess
    expect(outcomesOf('PushConfigFunctionArn')).toEqual([errorName, 'ok']);
    expect(result.status).toBe('SUCCEEDED');
    expect((await bench.repository().getStatusReport(gateway.id))?.appliedGeneration).toBe(
      gateway.desiredGeneration,
    );
  });
  it('push-gateway: a push cut off after sending its command is retried without sending another', async () => {
    // Prepare
    const gateway = await bench.gateway();
    const sent = countingCommands();
    const engine = bench.engine({ PushConfigFunctionArn: timingOutOnce(errorName) });

    // Act
    const result = await runToEnd(engine, 'push-gateway', `push-${gateway.id}-0`, { gatewayId: gateway.id });

    // Assess: the retry found the lease its first run took, with that run's command, and polled it.
    expect(outcomesOf('PushConfigFunctionArn')).toEqual([errorName, 'ok']);
    expect(result.status).toBe('SUCCEEDED');
    expect(sent).toHaveLength(1);
    expect((await bench.repository().getAppliedGeneration(gateway.id))?.appliedGeneration).toBe(
      gateway.desiredGeneration,
    );
  });

  it('push-gateway: a push cut off after sending, whose command applied before the retry, frees its lease', async () => {
    // Prepare: the first run sends, its command applies (a status report records it), then the
    // run is cut off; the retry then finds its generation applied, with no CheckCommand to come.
    const gateway = await bench.gateway();
    const engine = bench.engine({
      PushConfigFunctionArn: (real) => {
        let timedOut = false;
        return async (payload, context) => {
          const result = await real(payload, context);
          if (timedOut) return result;
          timedOut = true;
          await bench.commands().idle();
          await bench.repository().recordApplied({
            gatewayId: gateway.id,
            appliedGeneration: gateway.desiredGeneration,
            appliedAt: new Date().toISOString(),
            instanceId: gateway.instanceId,
            gatewayCreatedAt: gateway.createdAt,
          });
          throw lambdaTimeout(errorName);
        };
      },
    });

    // Act
    const result = await runToEnd(engine, 'push-gateway', `push-${gateway.id}-0`, { gatewayId: gateway.id });

    // Assess: the gateway's next push need not wait out the lease's expiry.
    expect(outcomesOf('PushConfigFunctionArn')).toEqual([errorName, 'ok']);
    expect(result.status).toBe('SUCCEEDED');
    expect(await bench.repository().getPushLease(gateway.id)).toBeUndefined();
  });

  it('push-gateway: a command lost with its runtime (the retry finds it unknown) is sent again', async () => {
    // Prepare: the first command sent is lost, as a crashed embedded runtime loses it.
    const gateway = await bench.gateway();
    const sent = countingCommands((commandId) => commandId === sent[0]);
    const engine = bench.engine({ PushConfigFunctionArn: timingOutOnce(errorName) });

    // Act
    const result = await runToEnd(engine, 'push-gateway', `push-${gateway.id}-0`, { gatewayId: gateway.id });

    // Assess: the resumed command was unknown, so the loop sent a fresh one, which applied.
    expect(result.status).toBe('SUCCEEDED');
    expect(sent).toHaveLength(2);
    expect((await bench.repository().getAppliedGeneration(gateway.id))?.appliedGeneration).toBe(
      gateway.desiredGeneration,
    );
  });
});

describe('a step Lambda that always times out', () => {
  it('create-peering: the push runs three times, then the peering is compensated and FAILED', async () => {
    // Prepare: every run of the push does its work and is then cut off.
    const [a, b] = [await bench.gateway(), await bench.gateway()];
    const peeringId = 'pcx-push-always-times-out';
    const alwaysTimingOut = (): LambdaHandler => async () => {
      throw lambdaTimeout('Sandbox.Timedout');
    };
    const engine = bench.engine({ PushConfigFunctionArn: alwaysTimingOut });

    // Act
    const result = await runToEnd(engine, 'create-peering', peeringId, {
      peeringId,
      gatewayId: a.id,
      remoteGatewayId: b.id,
    });

    // Assess: each side's push ran once and was retried twice (RETRY_TIMED_OUT in
    // statemachine/states.ts), not six times; then the compensation's best-effort unpush ran.
    const requiredPushesTo = (gatewayId: string) =>
      bench.calls.filter((call) => {
        const payload = call.payload as { gatewayId?: string; required?: boolean };
        return call.step === 'PushConfigFunctionArn' && payload.required && payload.gatewayId === gatewayId;
      }).length;
    expect([requiredPushesTo(a.id), requiredPushesTo(b.id)]).toEqual([3, 3]);
    expect(result.status).toBe('FAILED');
    expect(bench.calls.map((call) => call.step)).toContain('CompensateFunctionArn');
    expect((await bench.repository().getPeering(peeringId))?.status).toBe('FAILED');
    expect(bench.addressesHeld(a.id)).toEqual([]);
    expect(bench.addressesHeld(b.id)).toEqual([]);
  });
});
