/**
 * A deleted gateway leaves nothing running in the embedded runtime (issue 17: its host kept
 * reporting, and the report was dropped every period): the cascade's teardown command runs the
 * script's `--teardown` on its host, then the host is destroyed; its published documents and the
 * secret copies of its instance go. Files-mode hosts and the in-memory repository: runs anywhere.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { useRuntime } from '../support/runtime';

const { runtime, api, dataDir } = useRuntime('gateway-teardown', {
  storage: 'memory',
  waitMs: 50,
  statusReportIntervalMs: 0,
});

const gateway = {
  id: 'gw-gone',
  ownerId: 'alice',
  vpcId: 'vpc-gone',
  vpcCidr: '10.41.0.0/16',
  tunnelSubnet: '100.64.41.0/24',
  publicIp: '203.0.113.41',
  instanceId: 'i-gone',
};

it('tears the host of a deleted gateway down, destroys it, and deletes what was published for it', async () => {
  // Prepare: a gateway whose host exists and applied a push (a road-warrior).
  expect((await api('POST', '/v1/gateways', gateway)).status).toBe(201);
  expect((await api('POST', `/v1/gateways/${gateway.id}/peers`, { name: 'laptop' })).status).toBe(201);
  await runtime().settled();
  const stateDir = runtime().hosts.hostInfo(gateway.instanceId)?.stateDir ?? '';
  expect(existsSync(join(stateDir, 'state.json'))).toBe(true);
  const teardowns = jest.spyOn(runtime().commands, 'teardown');

  // Act
  // A 202 without a body: not through api(), which reads JSON.
  const deleted = await fetch(`${runtime().url}/v1/gateways/${gateway.id}`, {
    method: 'DELETE',
    headers: { authorization: `Bearer ${runtime().adminToken}` },
  });
  expect(deleted.status).toBe(202);
  await runtime().settled();

  // Assess
  expect(teardowns).toHaveBeenCalledWith({
    instanceId: gateway.instanceId,
    gatewayId: gateway.id,
    generation: 1,
  });
  const commandId = (await teardowns.mock.results[0]?.value) as string;
  const invocation = await runtime().commands.get(commandId, gateway.instanceId);
  expect(invocation.status).toBe('Success');
  expect(JSON.parse(invocation.output.trim().split('\n').pop() ?? '')).toMatchObject({
    gatewayId: gateway.id,
    path: 'teardown',
    tornDown: true,
  });
  expect(runtime().hosts.hostInfo(gateway.instanceId)).toBeUndefined();
  expect(runtime().hosts.instanceIds()).toEqual([]);
  expect(existsSync(stateDir)).toBe(false);
  expect(existsSync(join(dataDir(), 'instance-secrets', gateway.instanceId))).toBe(false);
  expect(readdirSync(join(dataDir(), 'config', 'gateways', gateway.id))).toEqual([]);
  teardowns.mockRestore();
});
