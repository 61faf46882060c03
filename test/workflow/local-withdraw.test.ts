/**
 * The embedded runtime's copies belong to a gateway, as on S3 (docs/DECISIONS.md, "Withdrawing one
 * gateway's local copies"): a deleted gateway's late cascade, run after the next gateway on its
 * instance was pushed, leaves that gateway's copies, which its next (delta) push trusts.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileInstanceSecrets } from '../../lambdas/adapters/local/file-instance-secrets';
import { secretPath } from '../../lambdas/adapters/local/file-secret-store';
import { MemoryRepository } from '../../lambdas/adapters/memory/repository';
import { cascadeGatewayRemoval } from '../../lambdas/app/gateway-cascade';
import { gatewayDeleted } from '../../lambdas/app/gateway-lifecycle';
import type { ApplyCommand, CommandBus, RemovedGateway } from '../../lambdas/app/ports';
import { checkPush, pushGatewayConfig } from '../../lambdas/app/push';
import { MemoryPublications, MemorySecrets, RecordingWorkflows } from '../support/fakes';
import { gatewayRecord, gatewayWithKey } from '../support/gateways';
import { newPeering } from '../support/records';

/** A command bus whose every apply succeeds at once, reporting the command's generation. */
function applyingCommands(): CommandBus {
  const sent: ApplyCommand[] = [];
  return {
    send: async (command) => {
      sent.push(command);
      return `cmd-${sent.length}`;
    },
    teardown: async () => 'teardown',
    requestReports: async () => 'reports',
    get: async (commandId) => {
      const command = sent[Number(commandId.slice('cmd-'.length)) - 1];
      return {
        status: 'Success',
        output: JSON.stringify({
          gatewayId: command?.gatewayId,
          appliedGeneration: command?.generation,
          mode: 'wireguard',
          path: 'delta',
        }),
      };
    },
  };
}

/** Pushes the gateway's config and sees it applied. */
async function pushApplied(
  d: Parameters<typeof pushGatewayConfig>[0] & Parameters<typeof checkPush>[0],
  gatewayId: string,
) {
  const ticket = await pushGatewayConfig(d, gatewayId);
  if (!ticket) throw new Error(`no push for ${gatewayId}`);
  await checkPush(d, ticket, 10);
}

let root = '';
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'vpg-local-withdraw-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

it("a deleted gateway's late cascade leaves the copies of the next gateway on its instance", async () => {
  // Prepare: G1 on the instance, deleted: its lock goes at once, its cascade comes later.
  const clock = () => new Date();
  const repository = new MemoryRepository({ clock });
  const secrets = new MemorySecrets();
  const instanceSecrets = new FileInstanceSecrets(secrets, root);
  const d = {
    repository,
    configStore: new MemoryPublications(clock),
    instanceSecrets,
    commands: applyingCommands(),
    clock,
    workflows: new RecordingWorkflows(),
    secrets,
  };
  const instanceId = 'i-0123456789abcdef0';
  const { record: g1 } = await gatewayWithKey(secrets, { instanceId });
  await repository.claimInstance(instanceId, g1.id);
  await repository.createGateway(g1);
  const removed = (await gatewayDeleted(d, g1.id)) as RemovedGateway;
  // G2 takes the instance, with a peering, pushed and applied (every copy).
  const { record: g2 } = await gatewayWithKey(secrets, { instanceId });
  await repository.claimInstance(instanceId, g2.id);
  await repository.createGateway(g2);
  const remote = gatewayRecord();
  await repository.createGateway(remote);
  const p1 = newPeering(g2, remote);
  await secrets.putIfAbsent(p1.presharedKeyParam, 'psk-1');
  await repository.createPeering(p1);
  await pushApplied(d, g2.id);
  const directory = instanceSecrets.directoryOf(instanceId);
  const ownKey = secrets.names.gatewayPrivateKey(g2.id);
  expect(existsSync(secretPath(directory, ownKey))).toBe(true);

  // Act: G1's cascade, then one more peering for G2, whose push copies only the new key.
  await cascadeGatewayRemoval(d, removed);
  const remote2 = gatewayRecord();
  await repository.createGateway(remote2);
  const p2 = newPeering(g2, remote2);
  await secrets.putIfAbsent(p2.presharedKeyParam, 'psk-2');
  await repository.createPeering(p2);
  await pushApplied(d, g2.id);

  // Assess: the instance holds every secret G2's applied document names.
  const present = [ownKey, p1.presharedKeyParam, p2.presharedKeyParam].map((name) =>
    existsSync(secretPath(directory, name)),
  );
  expect(present).toEqual([true, true, true]);
});
