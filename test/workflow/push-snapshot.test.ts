/**
 * A push renders a gateway's peers as they were at one generation (lambdas/app/push.ts): when a
 * change lands while the peers are read, it reads again, so a document's generation names exactly
 * its peer set and two pushes of one generation publish the same bytes. Read once, a busy hub's
 * concurrent pushes published different documents under one generation's name, and the instance
 * refused the first one's digest (docs/DECISIONS.md "Busy hub: the hub item"). A push's first poll
 * records it as the newest push sent (docs/DECISIONS.md "The newest push sent").
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileConfigStore } from '../../lambdas/adapters/local/file-config-store';
import { MemoryRepository } from '../../lambdas/adapters/memory/repository';
import type { CommandBus, CommandStatus, Repository } from '../../lambdas/app/ports';
import { checkPush, pushGatewayConfig } from '../../lambdas/app/push';
import { InvocationNotReadyError, SecretMissingError, TransientError } from '../../lambdas/core/errors';
import { sendingCommands } from '../support/fakes';
import { gatewayRecord } from '../support/gateways';
import { roadWarrior } from '../support/records';

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'push-snapshot-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Records every command sent; each is reported `status`, or unknown to its instance ('unknown'). */
function recordingCommands(status: CommandStatus | 'unknown' = 'Failed') {
  return sendingCommands(async (_command, commandId, instanceId) => {
    if (status === 'unknown') throw new InvocationNotReadyError(`${commandId} on ${instanceId}`);
    return { status, output: '' };
  });
}

/** The repository, with `during` run inside each of the first `times` peer reads (a concurrent change). */
function changingWhilePeersAreRead(
  repository: Repository,
  times: number,
  during: (n: number) => Promise<unknown>,
) {
  let reads = 0;
  return Object.assign(Object.create(repository) as Repository, {
    listPeers: async (gatewayId: string) => {
      const peers = await repository.listPeers(gatewayId);
      reads += 1;
      if (reads <= times) await during(reads);
      return peers;
    },
  });
}

const MAX_POLLS = 10;

const deps = (repository: Repository, commands: CommandBus, clock = () => new Date()) => ({
  repository,
  commands,
  configStore: new FileConfigStore(join(dir, 'config')),
  instanceSecrets: { deliver: async () => {}, withdraw: async () => {} },
  clock,
});

it('reads again when a change lands while the peers are read, and labels the document with its generation', async () => {
  // Prepare: a road-warrior is added right after the first peer read returned.
  const repository = new MemoryRepository();
  const gateway = gatewayRecord();
  await repository.createGateway(gateway);
  const racing = changingWhilePeersAreRead(repository, 1, () =>
    repository.addRoadWarrior(roadWarrior(gateway.id, 'laptop')),
  );
  const commands = recordingCommands();

  // Act
  const raced = await pushGatewayConfig(deps(racing, commands), gateway.id);
  const quiet = await pushGatewayConfig(deps(repository, commands), gateway.id);

  // Assess: both pushes name generation 1, which holds the road-warrior, with the same digest.
  expect([raced?.generation, quiet?.generation]).toEqual([1, 1]);
  const [first, second] = commands.sent;
  expect(first?.stateSha256).toBe(second?.stateSha256);
  const document = await new FileConfigStore(join(dir, 'config')).get(gateway.id, 1);
  expect(document).toContain('"name":"laptop"');
});

it('gives up with a TransientError when the gateway keeps changing, and sends nothing', async () => {
  // Prepare: every peer read meets another road-warrior.
  const repository = new MemoryRepository();
  const gateway = gatewayRecord();
  await repository.createGateway(gateway);
  const racing = changingWhilePeersAreRead(repository, 100, (n) =>
    repository.addRoadWarrior(roadWarrior(gateway.id, `rw-${n}`)),
  );
  const commands = recordingCommands();

  // Act
  const push = await pushGatewayConfig(deps(racing, commands), gateway.id).catch((error) => error);

  // Assess
  expect(push).toBeInstanceOf(TransientError);
  expect(commands.sent).toEqual([]);
});

it('reads again when a secret the document names was deleted meanwhile (a peering deleted during the push)', async () => {
  // Prepare: the first delivery finds a secret gone, as a concurrent delete leaves it, and the
  // change that deleted it has moved the gateway's generation.
  const repository = new MemoryRepository();
  const gateway = gatewayRecord();
  await repository.createGateway(gateway);
  const deliveries: number[] = [];
  const instanceSecrets = {
    deliver: async () => {
      deliveries.push(deliveries.length + 1);
      if (deliveries.length === 1) {
        await repository.addRoadWarrior(roadWarrior(gateway.id, 'after-the-delete'));
        throw new SecretMissingError('/vpc-peering/peerings/pcx-gone/psk');
      }
    },
    withdraw: async () => {},
  };
  const commands = recordingCommands();

  // Act
  const ticket = await pushGatewayConfig({ ...deps(repository, commands), instanceSecrets }, gateway.id);

  // Assess: one command, for the generation read after the change.
  expect(deliveries).toEqual([1, 2]);
  expect(ticket?.generation).toBe(1);
  expect(commands.sent.map((command) => command.generation)).toEqual([1]);
});

it('gives up with a TransientError naming the secret when it stays missing though nothing moved, and sends nothing', async () => {
  // Prepare
  const repository = new MemoryRepository();
  const gateway = gatewayRecord();
  await repository.createGateway(gateway);
  const instanceSecrets = {
    deliver: async () => {
      throw new SecretMissingError('/vpc-peering/peerings/pcx-lost/psk');
    },
    withdraw: async () => {},
  };
  const commands = recordingCommands();

  // Act
  const push = await pushGatewayConfig({ ...deps(repository, commands), instanceSecrets }, gateway.id).catch(
    (error: unknown) => error,
  );

  // Assess
  expect(push).toEqual(new TransientError('Secret /vpc-peering/peerings/pcx-lost/psk does not exist'));
  expect(commands.sent).toEqual([]);
});

describe('the newest push sent (the PUSH item)', () => {
  it('is recorded by the first poll, before the invocation is known; push-config and later polls write nothing', async () => {
    // Prepare: SSM does not know the command yet.
    const commands = recordingCommands('unknown');
    const repository = new MemoryRepository();
    const gateway = gatewayRecord();
    await repository.createGateway(gateway);
    const sentAt = new Date('2026-12-05T10:00:00.000Z');

    // Act
    const ticket = await pushGatewayConfig(deps(repository, commands), gateway.id);
    if (!ticket) throw new Error('the gateway was not pushed');
    const beforePoll = await repository.getPushSent(gateway.id);
    const laterPoll = checkPush(
      deps(repository, commands, () => sentAt),
      { ...ticket, polls: 1 },
      MAX_POLLS,
    );
    await expect(laterPoll).rejects.toBeInstanceOf(InvocationNotReadyError);
    const afterLaterPoll = await repository.getPushSent(gateway.id);
    const firstPoll = checkPush(
      deps(repository, commands, () => sentAt),
      ticket,
      MAX_POLLS,
    );
    await expect(firstPoll).rejects.toBeInstanceOf(InvocationNotReadyError);

    // Assess
    expect(beforePoll).toBeUndefined();
    expect(afterLaterPoll).toBeUndefined();
    expect(await repository.getPushSent(gateway.id)).toEqual({
      gatewayId: gateway.id,
      instanceId: gateway.instanceId,
      commandId: ticket.commandId,
      generation: ticket.generation,
      sentAt: sentAt.toISOString(),
    });
  });
});
