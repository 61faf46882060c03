/**
 * The embedded runtime's status schedule (runtime/main.ts): with no change at all, the timer has
 * every host report again, through the same local Run Command bus, SSM-shaped events and
 * status-reports handler as on AWS, so `/status` moves on by itself. Files-mode hosts and the
 * in-memory repository: runs anywhere.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { useRuntime } from '../support/runtime';

const { runtime, api } = useRuntime('status-timer', {
  storage: 'memory',
  waitMs: 50,
  statusReportIntervalMs: 300,
});

it('refreshes a gateway status every period, without any change', async () => {
  // Prepare: a gateway whose host exists (a road-warrior push), and its status right after.
  const gateway = {
    id: 'gw-timer',
    ownerId: 'alice',
    vpcId: 'vpc-timer',
    vpcCidr: '10.40.0.0/16',
    tunnelSubnet: '100.64.40.0/24',
    publicIp: '203.0.113.40',
    instanceId: 'i-timer',
  };
  expect((await api('POST', '/v1/gateways', gateway)).status).toBe(201);
  expect((await api('POST', '/v1/gateways/gw-timer/peers', { name: 'laptop' })).status).toBe(201);
  await runtime().settled();
  const first = (await api('GET', '/v1/gateways/gw-timer/status')).json;

  // Act: wait, changing nothing, until a later report is stored (bounded: 30 periods).
  let later = first;
  for (let waited = 0; later.reportedAt === first.reportedAt && waited < 9_000; waited += 100) {
    await sleep(100);
    later = (await api('GET', '/v1/gateways/gw-timer/status')).json;
  }

  // Assess
  expect(first).toMatchObject({ appliedGeneration: 1, mode: 'files' });
  expect(first.peers).toHaveLength(1);
  expect(String(later.reportedAt) > String(first.reportedAt)).toBe(true);
  expect(later).toMatchObject({ appliedGeneration: 1, appliedAt: first.appliedAt, peers: first.peers });
});
