/**
 * "VPN Gateway Updated" giving a gateway a new public key, end to end on the workflow bench (real
 * create-peering and push-gateway ASL, real handlers, the real gateway script in files mode): the
 * peer gateway's instance applies a document that names the new key, so its tunnel takes the new
 * key's handshakes.
 */
import { gatewayUpdated } from '../../lambdas/app/gateway-lifecycle';
import { generateKeyPair } from '../../lambdas/core/keys';
import type { GatewayRecord } from '../../lambdas/core/types';
import { toPublicGateway } from '../../lambdas/core/views';
import { provided } from '../../lambdas/shared/deps';
import { gatewayRecord } from '../support/gateways';
import { runToEnd, useWorkflowBench } from '../support/workflow-bench';

const bench = useWorkflowBench();

async function hostPeerKeys(gateway: GatewayRecord): Promise<string[]> {
  const report = await bench.hosts().report(gateway.instanceId);
  return (report?.peers ?? []).map((peer) => peer.publicKey);
}

function required<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('not provided by the bench');
  return value;
}

it("pushes a gateway's new public key to its peer gateway's instance", async () => {
  // Prepare: b's key pair is the product's (privateKeyParam null), so it may change.
  const a = await bench.gateway();
  const b = gatewayRecord();
  await bench.repository().createGateway(b);
  const engine = bench.engine();
  const created = await runToEnd(engine, 'create-peering', 'pcx-rekey', {
    peeringId: 'pcx-rekey',
    gatewayId: a.id,
    remoteGatewayId: b.id,
  });
  expect(created.status).toBe('SUCCEEDED');
  expect(await hostPeerKeys(a)).toEqual([b.publicKey]);
  const { publicKey } = generateKeyPair();

  // Act
  const update = await gatewayUpdated(
    {
      repository: bench.repository(),
      clock: () => new Date(),
      workflows: engine,
      configStore: required(provided('configStore')),
      instanceSecrets: required(provided('instanceSecrets')),
      secrets: bench.secrets(),
      commands: bench.commands(),
    },
    { ...toPublicGateway(b), publicKey },
  );
  await engine.idle();

  // Assess: a's instance applied the generation holding b's new key, and only that key.
  const [push] = update.pushes;
  expect(update.pushes).toHaveLength(1);
  expect(push?.gatewayId).toBe(a.id);
  expect((await engine.describe(push?.executionId ?? '')).status).toBe('SUCCEEDED');
  expect(await hostPeerKeys(a)).toEqual([publicKey]);
  expect((await bench.hosts().report(a.instanceId))?.appliedGeneration).toBe(push?.generation);
  expect((await bench.repository().getPeering('pcx-rekey'))?.status).toBe('ACTIVE');
});
