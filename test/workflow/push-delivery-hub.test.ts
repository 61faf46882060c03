/**
 * Delta delivery end to end (docs/DECISIONS.md "Delta delivery of secret copies"): the real
 * create-peering ASL, handlers and gateway script (files-only hosts, which read every secret from
 * the copies delivered to their instance). A peering added to a hub that already has several is
 * applied and ACTIVE while the hub's push copies only the new peering's key.
 */
import type { InstanceSecrets, InstanceTarget } from '../../lambdas/app/ports';
import { provideDependencies, provided } from '../../lambdas/shared/deps';
import { runToEnd, useWorkflowBench } from '../support/workflow-bench';

const bench = useWorkflowBench();

/** Every delivery the workflows make, in order, through the bench's own delivery. */
const deliveries: { target: InstanceTarget; names: string[] }[] = [];
beforeEach(() => {
  const real = provided('instanceSecrets') as InstanceSecrets;
  const counting: InstanceSecrets = {
    deliver: (target, names) => {
      deliveries.push({ target, names: [...names] });
      return real.deliver(target, names);
    },
    withdraw: (target) => real.withdraw(target),
  };
  provideDependencies({ instanceSecrets: counting });
  deliveries.length = 0;
});

it('applies a peering added to a hub with three, and ACTIVE, copying only its key to the hub', async () => {
  // Prepare: a hub registered an hour ago (past the settling time a registration starts), with
  // three peerings, each created, applied and ACTIVE in turn.
  const registered = new Date(Date.now() - 60 * 60_000).toISOString();
  const hub = await bench.gateway({ createdAt: registered, updatedAt: registered });
  const engine = bench.engine();
  for (let n = 1; n <= 3; n += 1) {
    const spoke = await bench.gateway();
    const created = await runToEnd(engine, 'create-peering', `pcx-hub-${n}`, {
      peeringId: `pcx-hub-${n}`,
      gatewayId: hub.id,
      remoteGatewayId: spoke.id,
    });
    expect(created.status).toBe('SUCCEEDED');
  }
  const spoke = await bench.gateway();
  deliveries.length = 0;

  // Act
  const created = await runToEnd(engine, 'create-peering', 'pcx-hub-4', {
    peeringId: 'pcx-hub-4',
    gatewayId: hub.id,
    remoteGatewayId: spoke.id,
  });

  // Assess: ACTIVE and applied on both sides, the hub's instance serving all four peers, and the
  // hub's pushes copied the new key only (the new spoke, never pushed before, gets all of its own).
  expect(created.status).toBe('SUCCEEDED');
  const peering = await bench.repository().getPeering('pcx-hub-4');
  expect(peering?.status).toBe('ACTIVE');
  expect(peering?.sides.every((side) => side.applied)).toBe(true);
  const report = await bench.hosts().report(hub.instanceId);
  expect(report?.appliedGeneration).toBe((await bench.repository().getGateway(hub.id))?.desiredGeneration);
  expect(report?.peers).toHaveLength(4);
  const newKey = bench.secrets().names.presharedKey('pcx-hub-4');
  const toHub = deliveries.filter((delivery) => delivery.target.gatewayId === hub.id);
  expect(toHub.length).toBeGreaterThan(0);
  expect(toHub.flatMap((delivery) => delivery.names)).toEqual([newKey]);
  const toSpoke = deliveries.filter((delivery) => delivery.target.gatewayId === spoke.id);
  expect(toSpoke.flatMap((delivery) => delivery.names).sort()).toEqual(
    [spoke.privateKeyParam, newKey].sort(),
  );
});
