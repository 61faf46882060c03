/**
 * A gateway's push lease (docs/DECISIONS.md "Coalescing a gateway's pushes") on the real ASL,
 * handlers and gateway script (files-only hosts): one push in flight per gateway, the others
 * queued until it ends; a holder's failed command fails only its own execution, a holder that
 * vanished is waited out by the lease's expiry, and a gateway gone is noticed by its waiters.
 */
import { FULL_TRY_INTERVAL_MS, PUSH_LEASE_MS } from '../../lambdas/app/push-lease';
import { provideDependencies } from '../../lambdas/shared/deps';
import { runToEnd, useWorkflowBench } from '../support/workflow-bench';

const bench = useWorkflowBench();

type PushResult = { queued?: unknown; ticket?: { gatewayId: string; commandId: string } } | undefined;

/** The PushConfig results for `gatewayId`'s pushes of the execution named `executionName`. */
const pushResultsOf = (gatewayId: string, executionName?: string): PushResult[] =>
  bench.calls
    .filter((call) => call.step === 'PushConfigFunctionArn')
    .filter((call) => {
      const payload = call.payload as { gatewayId: string; correlation?: { executionName?: string } };
      const ofExecution = executionName === undefined || payload.correlation?.executionName === executionName;
      return payload.gatewayId === gatewayId && ofExecution;
    })
    .map((call) => call.result as PushResult);

const commandsSentTo = (gatewayId: string): number =>
  pushResultsOf(gatewayId).filter((result) => result?.ticket?.commandId !== undefined).length;

/** Waits (bounded) until `ready` holds. */
async function until(ready: () => boolean, what: string): Promise<void> {
  for (let waited = 0; !ready(); waited += 20) {
    if (waited > 30_000) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

it("a holder's failed command fails its own execution only: the waiter is applied by a later command", async () => {
  // Prepare: the hub's next command fails; two creates on it at once, so one holds the lease.
  const hub = await bench.gateway();
  const spokes = [await bench.gateway(), await bench.gateway()];
  bench.commands().failNext(hub.instanceId, 'disk full');
  const engine = bench.engine();

  // Act
  const started = await Promise.all(
    spokes.map((spoke, i) =>
      engine.start('create-peering', `pcx-lease-${i}`, {
        peeringId: `pcx-lease-${i}`,
        gatewayId: hub.id,
        remoteGatewayId: spoke.id,
      }),
    ),
  );
  await engine.idle();

  // Assess: the holder failed with its command; the waiter was queued, then ended ACTIVE.
  const results = await Promise.all(started.map(({ executionId }) => engine.describe(executionId)));
  expect(results.map((result) => result.status).sort()).toEqual(['FAILED', 'SUCCEEDED']);
  const survivor = results.findIndex((result) => result.status === 'SUCCEEDED');
  expect((await bench.repository().getPeering(`pcx-lease-${survivor}`))?.status).toBe('ACTIVE');
  const survivorPushes = pushResultsOf(hub.id, `pcx-lease-${survivor}`);
  expect(survivorPushes.some((result) => result?.queued !== undefined)).toBe(true);
  expect(commandsSentTo(hub.id)).toBeGreaterThanOrEqual(2);
});

it('a holder that vanished, its lease left behind, is waited out by the expiry', async () => {
  // Prepare: a lease on the gateway whose holder is gone; the clock is ours to move.
  const gateway = await bench.gateway();
  let skewMs = 0;
  provideDependencies({ clock: () => new Date(Date.now() + skewMs) });
  await bench.repository().takePushLease(
    {
      gatewayId: gateway.id,
      execution: 'vanished-execution',
      leaseHolder: 'vanished-execution/Push',
      gatewayCreatedAt: gateway.createdAt,
      instanceId: gateway.instanceId,
      expiresAt: new Date(Date.now() + PUSH_LEASE_MS).toISOString(),
    },
    new Date().toISOString(),
  );
  const engine = bench.engine();
  const name = `push-${gateway.id}-1`;

  // Act: the push queues while the lease lasts; then the lease expires.
  const { executionId } = await engine.start('push-gateway', name, { gatewayId: gateway.id });
  await until(() => pushResultsOf(gateway.id).filter((result) => result?.queued).length >= 3, 'queued tries');
  const whileHeld = await engine.describe(executionId);
  skewMs = PUSH_LEASE_MS;
  await engine.idle();

  // Assess: still waiting while held, then sent one command and applied, well before its try limit.
  expect(whileHeld.status).toBe('RUNNING');
  expect(commandsSentTo(gateway.id)).toBe(1);
  expect((await engine.describe(executionId)).status).toBe('SUCCEEDED');
  expect((await bench.repository().getAppliedGeneration(gateway.id))?.appliedGeneration).toBe(
    gateway.desiredGeneration,
  );
});

it('a push waiting for a lease of a gateway deleted meanwhile is skipped at its next full try, not at the expiry', async () => {
  // Prepare: a live lease of another holder, which will not end by itself; the clock is ours.
  const gateway = await bench.gateway();
  let skewMs = 0;
  provideDependencies({ clock: () => new Date(Date.now() + skewMs) });
  await bench.repository().takePushLease(
    {
      gatewayId: gateway.id,
      execution: 'slow-execution',
      leaseHolder: 'slow-execution/Push',
      gatewayCreatedAt: gateway.createdAt,
      instanceId: gateway.instanceId,
      expiresAt: new Date(Date.now() + PUSH_LEASE_MS).toISOString(),
    },
    new Date().toISOString(),
  );
  const engine = bench.engine();

  // Act: the gateway goes while its push waits.
  const { executionId } = await engine.start('push-gateway', `push-${gateway.id}-2`, {
    gatewayId: gateway.id,
  });
  await until(() => pushResultsOf(gateway.id).some((result) => result?.queued), 'a queued try');
  await bench.repository().deleteGateway(gateway.id);
  skewMs = FULL_TRY_INTERVAL_MS;
  await engine.idle();

  // Assess: skipped (push-gateway's push is not required), nothing sent.
  expect((await engine.describe(executionId)).status).toBe('SUCCEEDED');
  expect(commandsSentTo(gateway.id)).toBe(0);
});

it('a storm of pushes of one gateway sends far fewer commands than pushes, each applied', async () => {
  // Prepare
  const gateway = await bench.gateway();
  const engine = bench.engine();
  const PUSHES = 20;

  // Act: 20 push-gateway executions at once (as road-warrior changes start them).
  const results = await Promise.all(
    Array.from({ length: PUSHES }, (_, i) =>
      runToEnd(engine, 'push-gateway', `push-${gateway.id}-storm-${i}`, { gatewayId: gateway.id }),
    ),
  );

  // Assess
  expect(results.filter((result) => result.status !== 'SUCCEEDED')).toEqual([]);
  expect(commandsSentTo(gateway.id)).toBeLessThanOrEqual(PUSHES / 4);
  expect((await bench.repository().getAppliedGeneration(gateway.id))?.appliedGeneration).toBe(
    gateway.desiredGeneration,
  );
});
