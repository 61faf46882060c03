/**
 * The sweep on the embedded runtime's timer (runtime/main.ts → lambdas/handlers/sweeper.ts): a
 * peering left PROVISIONING with no execution at all (its workflow never started, as after a crash
 * between the allocation and the start) is re-driven once it is older than the bound, settles
 * ACTIVE with no client action, and the re-drive is audited. Files-mode hosts: runs anywhere.
 */
import { join } from 'node:path';
import { repository } from '../../lambdas/adapters/dynamodb';
import { FileSecretStore } from '../../lambdas/adapters/local/file-secret-store';
import { allocatePeering } from '../../lambdas/app/peering-workflow';
import { useRuntime } from '../support/runtime';

const BOUND_MS = 1000;
const { runtime, api, dataDir } = useRuntime('sweeper', {
  waitMs: 50,
  statusReportIntervalMs: 0,
  sweepIntervalMs: 200,
  stalledPeeringBoundMs: BOUND_MS,
});

const gateway = (n: number) => ({
  id: `gw-sweep-${n}`,
  ownerId: 'alice',
  vpcId: `vpc-sweep-${n}`,
  vpcCidr: `10.${50 + n}.0.0/16`,
  tunnelSubnet: `100.64.${50 + n}.0/24`,
  publicIp: `203.0.113.${50 + n}`,
  instanceId: `i-sweep-${n}`,
});

it('settles a PROVISIONING peering that has no execution once it is older than the bound', async () => {
  // Prepare: the allocation step alone, as if the runtime died before starting the workflow.
  for (const n of [1, 2]) expect((await api('POST', '/v1/gateways', gateway(n))).status).toBe(201);
  const peeringId = 'pcx-00000000sweep001';
  await allocatePeering(
    {
      repository: repository(),
      secrets: new FileSecretStore(join(dataDir(), 'secrets')),
      audit: runtime().audit,
      clock: () => new Date(),
    },
    { peeringId, gatewayId: 'gw-sweep-1', remoteGatewayId: 'gw-sweep-2' },
  );
  const before = (await api('GET', `/v1/vpc-peerings/${peeringId}`)).json;

  // Act: nothing but time (the sweep's timer), bounded well past the bound.
  let peering = before;
  for (let waited = 0; peering.status === 'PROVISIONING' && waited < BOUND_MS + 30_000; waited += 100) {
    await new Promise((done) => setTimeout(done, 100));
    peering = (await api('GET', `/v1/vpc-peerings/${peeringId}`)).json;
  }

  // Assess
  expect(before.status).toBe('PROVISIONING');
  expect(peering.status).toBe('ACTIVE');
  expect(runtime().audit.events.filter((e) => e.detailType === 'VPC Peering Re-driven')).toEqual([
    expect.objectContaining({
      detail: expect.objectContaining({ peeringId, status: 'PROVISIONING', workflow: 'create-peering' }),
    }),
  ]);
  const status = (await api('GET', '/v1/gateways/gw-sweep-1/status')).json;
  expect(status.appliedGeneration).toBe(status.desiredGeneration);
  expect(status.localHost).toEqual({ instanceId: 'i-sweep-1', mode: 'files' });
});
